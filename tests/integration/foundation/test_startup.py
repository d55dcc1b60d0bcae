"""Start-up and availability: refuse an old schema, answer 503 without a database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from support import REPO, GatewayFixture, free_port, make_gateway_fixture

from gateway.app import create_app
from gateway.errors import SettingsError
from gateway.storage.db import create_engine
from gateway.storage.schema import upgrade

Client = TestClient[web.Request, web.Application]


async def test_app_refuses_to_start_on_out_of_date_schema(
    database_url: str, tmp_path: Path
) -> None:
    fixture = make_gateway_fixture(tmp_path / "data", database_url)
    engine = create_engine(database_url)
    await upgrade(engine, "0001_foundation")
    await engine.dispose()
    runner = web.AppRunner(create_app(fixture.settings))
    try:
        with pytest.raises(SettingsError, match="run `gateway migrate`"):
            await runner.setup()
    finally:
        await runner.cleanup()


@pytest.fixture
async def dead_db_client(tmp_path: Path, aiohttp_client: Any) -> Client:
    # A SQLite file in a folder that does not exist: every connection attempt fails.
    url = f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'dir' / 'gateway.db'}"
    fixture: GatewayFixture = make_gateway_fixture(tmp_path / "data", url)
    client: Client = await aiohttp_client(create_app(fixture.settings))
    return client


async def test_readyz_is_503_when_database_is_down(dead_db_client: Client) -> None:
    response = await dead_db_client.get("/readyz")
    assert response.status == 503
    body = await response.json()
    assert body["code"] == "service_unavailable"
    assert "Traceback" not in await response.text()
    health = await dead_db_client.get("/healthz")
    assert health.status == 200


def test_migrate_then_serve_answers_readyz(tmp_path: Path, database_url: str) -> None:
    """The README's `gateway migrate && gateway serve`, as real processes."""
    make_gateway_fixture(tmp_path / "data", database_url)  # keys + organisation keys
    port = free_port()
    env = {
        **os.environ,
        "GATEWAY_DATA_DIR": str(tmp_path / "data"),
        "GATEWAY_DATABASE_URL": database_url,
        "GATEWAY_CONFIG_DIR": str(REPO / "config"),
        "GATEWAY_PORT": str(port),
        "GATEWAY_LOG_FORMAT": "json",
    }
    subprocess.run(
        [sys.executable, "-m", "gateway", "migrate"], env=env, check=True, capture_output=True
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        status = None
        deadline = time.monotonic() + 40  # a busy 2-core machine took more than 20 s
        while time.monotonic() < deadline and status is None:
            if server.poll() is not None:  # it stopped: say why instead of waiting
                err = server.stderr.read().decode() if server.stderr else ""
                raise AssertionError(f"gateway exited {server.returncode}: {err[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                    status = r.status
            except OSError:
                time.sleep(0.2)
        assert status == 200
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stdout:
            server.stdout.close()
        if server.stderr:
            server.stderr.close()


def test_serve_exits_2_on_unmigrated_database(tmp_path: Path) -> None:
    make_gateway_fixture(tmp_path / "data", f"sqlite+aiosqlite:///{tmp_path / 'g.db'}")
    env = {
        **os.environ,
        "GATEWAY_DATA_DIR": str(tmp_path / "data"),
        "GATEWAY_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'g.db'}",
        "GATEWAY_CONFIG_DIR": str(REPO / "config"),
        "GATEWAY_PORT": str(free_port()),
    }
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "run `gateway migrate`" in result.stderr
    assert "Traceback" not in result.stderr


async def test_api_call_is_503_when_database_is_down(
    dead_db_client: Client, tmp_path: Path
) -> None:
    from gateway.demo.keys import load_demo_key

    token = load_demo_key("wijkteam-utrecht", tmp_path / "data").token(
        "jeugd-gateway", role="hulpverlener"
    )
    response = await dead_db_client.post(
        "/api/v1/exchanges",
        json={
            "subject": {"bsn": "999990019"},
            "purpose": "support_planning",
            "categories": ["health"],
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status == 503
    assert response.content_type == "application/problem+json"
    assert (await response.json())["code"] == "service_unavailable"
    assert "Traceback" not in await response.text()


def test_a_bad_setting_is_named_in_the_log_and_explained_only_on_the_terminal(
    tmp_path: Path,
) -> None:
    """The log line carries the setting's name; the reason, which may quote a configured
    value or a file's error, goes to the operator's terminal only."""
    make_gateway_fixture(tmp_path / "data", f"sqlite+aiosqlite:///{tmp_path / 'g.db'}")
    env = {
        **os.environ,
        "GATEWAY_DATA_DIR": str(tmp_path / "data"),
        "GATEWAY_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'g.db'}",
        "GATEWAY_CONFIG_DIR": str(REPO / "config"),
        "GATEWAY_PORT": str(free_port()),
        "GATEWAY_LOG_FORMAT": "json",
    }
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    (failed,) = [line for line in lines if line["event"] == "startup_failed"]
    assert failed["setting"] and "reason" not in failed
    assert "run `gateway migrate`" not in json.dumps(lines)
    assert "gateway: invalid setting" in result.stderr
    assert "run `gateway migrate`" in result.stderr
