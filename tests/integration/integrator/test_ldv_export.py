"""`gateway audit export --format ldv`: every audit entry as a Logboek Dataverwerkingen
record, on both engines, from the same sealed export the verifier reads."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from support import REPO, GatewayFixture

from gateway.appkeys import PSEUDONYMISER

Client = TestClient[web.Request, web.Application]
CHILD = "999990019"
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def _export(gateway: GatewayFixture, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    settings = gateway.settings
    env = {
        **os.environ,
        "GATEWAY_DATA_DIR": str(settings.data_dir),
        "GATEWAY_CONFIG_DIR": str(settings.config_dir),
        "GATEWAY_DATABASE_URL": settings.database_url,
        "GATEWAY_LOG_FORMAT": "json",
    }
    return subprocess.run(  # the CLI as an operator runs it
        [
            sys.executable,
            "-m",
            "gateway",
            "audit",
            "export",
            "--format",
            "ldv",
            "--out",
            str(out),
            *extra,
        ],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def _records(client: Client, gateway: GatewayFixture, tmp_path: Path) -> list[dict[str, Any]]:
    exchange = await client.post(
        "/api/v1/exchanges",
        headers={
            **gateway.auth("wijkteam-utrecht"),
            "traceparent": f"00-{TRACE}-00f067aa0ba902b7-01",
        },
        json={"subject": {"bsn": CHILD}, "purpose": "support_planning", "categories": ["school"]},
    )
    assert exchange.status == 200, await exchange.text()
    refused = await client.get(
        "/api/v1/vocabulary", headers=gateway.auth("wijkteam-utrecht", role="jeugdbeschermer")
    )
    assert refused.status == 403
    # In a thread: the app on this loop keeps answering while the CLI seals and exports.
    return await asyncio.to_thread(_exported, gateway, tmp_path)


def _exported(gateway: GatewayFixture, tmp_path: Path) -> list[dict[str, Any]]:
    out = tmp_path / "ldv.jsonl"
    result = _export(gateway, out)
    assert result.returncode == 0, result.stderr
    assert "Logboek Dataverwerkingen" in result.stdout
    assert out.stat().st_mode & 0o077 == 0
    assert not list(tmp_path.glob("*.partial"))
    text = out.read_text()
    assert CHILD not in text  # the data subject only by pseudonym
    return [json.loads(line) for line in text.splitlines()]


async def test_each_entry_becomes_an_ldv_record(
    client: Client, gateway: GatewayFixture, tmp_path: Path
) -> None:
    records = await _records(client, gateway, tmp_path)
    decisions = [r for r in records if r["name"] == "exchange.decision"]
    assert decisions
    pseudonym = client.app[PSEUDONYMISER].pseudonym(CHILD)
    for record in records:
        assert set(record) >= {
            "trace_id", "span_id", "name", "start_time", "end_time", "status_code", "attributes"
        }  # fmt: skip
        assert len(bytes.fromhex(record["trace_id"])) == 16
        assert len(bytes.fromhex(record["span_id"])) == 8
        assert record["start_time"] <= record["end_time"]
        assert record["attributes"]["dpl.core.processing_activity_id"].startswith("urn:")
    assert len({r["span_id"] for r in records}) == len(records)
    for record in decisions:
        attributes = record["attributes"]
        assert record["trace_id"] == TRACE  # the caller's trace, end to end
        assert record["status_code"] == 0  # a denial is an answer, not a server error
        assert attributes["dpl.core.processing_activity_id"].endswith(":support_planning")
        assert attributes["dpl.core.data_subject_id"] == pseudonym
        assert "pseudoniem" in attributes["dpl.core.data_subject_id_type"]
        assert attributes["dpl.jeugd.requester_organisation"] == "wijkteam-utrecht"
        assert isinstance(record["resource"]["attributes"]["dpl.jeugd.audit_seq"], int)
    (refusal,) = [r for r in records if r["name"] == "auth.role_refused"]
    assert refusal["attributes"]["dpl.core.processing_activity_id"].endswith(":access_control")
    assert "dpl.core.data_subject_id" not in refusal["attributes"]


async def test_the_register_uri_can_be_named(
    client: Client, gateway: GatewayFixture, tmp_path: Path
) -> None:
    await _records(client, gateway, tmp_path)
    register = "https://register.example.nl/verwerkingsactiviteiten"
    activities = await asyncio.to_thread(_named, gateway, tmp_path / "named.jsonl", register)
    assert activities and all(a.startswith(register + ":") for a in activities)


def _named(gateway: GatewayFixture, out: Path, register: str) -> list[str]:
    result = _export(gateway, out, "--register", register)
    assert result.returncode == 0, result.stderr
    return [
        json.loads(line)["attributes"]["dpl.core.processing_activity_id"]
        for line in out.read_text().splitlines()
    ]
