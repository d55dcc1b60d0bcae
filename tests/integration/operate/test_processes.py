"""Several gateway processes on one machine, as an operator runs them: `gateway reload`
reaches every one, a key added with `gateway org keys add` and a policy changed on disk
take effect with no restart and no failed request, a broken file changes nothing, and
`gateway serve --workers 2` answers from both workers."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from operate_support import OrgKey, drop_finances, exchange_body, reasons_by_category
from sqlalchemy import select
from support import GatewayFixture, free_port

from gateway.audit.storage import verify_stored
from gateway.audit.tables import audit_entries
from gateway.auth.keys import KeyStore
from gateway.storage.db import create_engine, dispose

pytestmark = pytest.mark.slow

ORG = "wijkteam-utrecht"


@dataclass
class Process:
    popen: subprocess.Popen[bytes]
    port: int
    metrics_port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _env(gateway: GatewayFixture, port: int, metrics_port: int) -> dict[str, str]:
    settings = gateway.settings
    return {
        **os.environ,
        "GATEWAY_DATA_DIR": str(settings.data_dir),
        "GATEWAY_CONFIG_DIR": str(settings.config_dir),
        "GATEWAY_DATABASE_URL": settings.database_url,
        "GATEWAY_PORT": str(port),
        "GATEWAY_METRICS_PORT": str(metrics_port),
        "GATEWAY_LOG_FORMAT": "json",
        "GATEWAY_LOG_LEVEL": "warning",
    }


@contextmanager
def running(gateway: GatewayFixture, count: int, workers: int = 1) -> Iterator[list[Process]]:
    """`count` gateway processes (each `--workers workers`) on ports of their own."""
    started: list[Process] = []
    try:
        for _ in range(count):
            # worker i takes metrics_port + i
            port, metrics_port = free_port(), free_port(span=workers)
            command = [sys.executable, "-m", "gateway", "serve", "--workers", str(workers)]
            popen = subprocess.Popen(
                command,
                env=_env(gateway, port, metrics_port),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            started.append(Process(popen, port, metrics_port))
        for process in started:
            _wait_ready(process)
            for worker in range(workers):  # every worker listens (its metrics port says so)
                _wait_ready(process, f"http://127.0.0.1:{process.metrics_port + worker}/metrics")
        yield started
    finally:
        for process in started:
            if process.popen.poll() is None:
                process.popen.send_signal(signal.SIGTERM)
        for process in started:
            try:
                process.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.popen.kill()
                process.popen.wait()
            if process.popen.stderr:
                process.popen.stderr.close()


def _wait_ready(process: Process, url: str | None = None) -> None:
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            err = process.popen.stderr.read().decode() if process.popen.stderr else ""
            raise AssertionError(f"gateway exited {process.popen.returncode}: {err[-2000:]}")
        try:
            with urllib.request.urlopen(url or f"{process.url}/readyz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("gateway did not become ready")


async def gateway_cli(gateway: GatewayFixture, *args: str) -> tuple[int, str]:
    settings = gateway.settings
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway",
        *args,
        "--config-dir",
        str(settings.config_dir),
        "--data-dir",
        str(settings.data_dir),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "GATEWAY_DATABASE_URL": settings.database_url},
    )
    out, _ = await proc.communicate()
    return int(proc.returncode or 0), out.decode()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post_exchange(
    http: aiohttp.ClientSession, process: Process, authorization: str
) -> tuple[int, dict[str, Any]]:
    async with http.post(
        f"{process.url}/api/v1/exchanges",
        json=exchange_body(),
        headers={"Authorization": authorization},
    ) as response:
        return response.status, await response.json()


async def test_key_and_policy_take_effect_on_every_process_after_reload_with_no_failed_request(
    ops_gateway: GatewayFixture, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """The issue's "done when", on two processes sharing one database."""
    new_key = OrgKey.new("rotated-in")
    audience = ops_gateway.settings.audience
    with running(ops_gateway, 2) as processes:
        for process in processes:  # before: the new key is unknown everywhere
            status, body = await post_exchange(
                http, process, f"Bearer {new_key.token(ORG, audience)}"
            )
            assert (status, body["code"]) == (401, "unknown_key")
        statuses: list[int] = []
        stop = asyncio.Event()

        async def keep_asking(process: Process) -> None:
            while not stop.is_set():
                status, _body = await post_exchange(
                    http, process, f"Bearer {ops_gateway.token(ORG)}"
                )
                statuses.append(status)

        loops = [asyncio.create_task(keep_asking(p)) for p in processes for _ in range(2)]
        await asyncio.sleep(0.5)
        key_file = tmp_path / "rotated-in.jwk.json"
        key_file.write_text(json.dumps(new_key.public_jwk))
        code, out = await gateway_cli(ops_gateway, "org", "keys", "add", ORG, str(key_file))
        assert code == 0, out
        assert "gateway reload" in out
        drop_finances(ops_gateway.settings.config_dir)
        code, out = await gateway_cli(ops_gateway, "reload")
        assert code == 0, out
        pids = {str(p.popen.pid) for p in processes}
        assert all(f"process {pid}" in out for pid in pids), out
        assert out.count("reloaded, generation 2") == 2, out
        await asyncio.sleep(0.5)
        stop.set()
        await asyncio.gather(*loops)
        assert len(statuses) > 10
        assert set(statuses) == {200}, statuses

        for process in processes:  # after: the new key counts and the new policy decides
            status, body = await post_exchange(
                http, process, f"Bearer {new_key.token(ORG, audience)}"
            )
            assert status == 200, body
            assert reasons_by_category(body)["finances"] == "no_matching_rule"
            async with http.get(f"{process.url}/readyz") as response:
                ready = await response.json()
            assert ready["configuration"]["generation"] == 2
            async with http.get(f"http://127.0.0.1:{process.metrics_port}/metrics") as response:
                text = await response.text()
            assert 'gateway_config_reloads_total{result="success"} 1.0' in text


async def test_a_sighup_with_a_broken_organisations_file_keeps_serving_the_old_one(
    ops_gateway: GatewayFixture, http: aiohttp.ClientSession
) -> None:
    path = ops_gateway.settings.config_dir / "organisations.toml"
    with running(ops_gateway, 1) as (process,):
        path.write_text(path.read_text() + "\n[[organisation]]\nid = 'broken'\n")
        code, out = await gateway_cli(ops_gateway, "reload")
        assert code == 1
        assert "REFUSED (organisations_invalid in organisations.toml)" in out
        assert "generation 1 stays in force" in out
        status, body = await post_exchange(http, process, f"Bearer {ops_gateway.token(ORG)}")
        assert status == 200, body
        async with http.get(f"{process.url}/readyz") as response:
            assert response.status == 200
            ready = await response.json()
        assert ready["configuration"]["error"] == "organisations_invalid"
        async with http.get(f"http://127.0.0.1:{process.metrics_port}/metrics") as response:
            text = await response.text()
        assert "gateway_config_reload_failing 1.0" in text
        # A plain SIGHUP (no command) does the same.
        process.popen.send_signal(signal.SIGHUP)
        await asyncio.sleep(1.0)
        status, _ = await post_exchange(http, process, f"Bearer {ops_gateway.token(ORG)}")
        assert status == 200
        assert process.popen.poll() is None


async def test_reload_with_no_gateway_running_says_so(ops_gateway: GatewayFixture) -> None:
    code, out = await gateway_cli(ops_gateway, "reload")
    assert code == 1
    assert "no running gateway process" in out


async def test_serve_with_two_workers_answers_from_both(
    ops_gateway: GatewayFixture, http: aiohttp.ClientSession
) -> None:
    with running(ops_gateway, 1, workers=2) as (process,):
        connector = aiohttp.TCPConnector(force_close=True)  # a new connection per request
        async with aiohttp.ClientSession(connector=connector) as fresh:
            for _ in range(40):
                async with fresh.get(f"{process.url}/healthz") as response:
                    assert response.status == 200
        answered = []
        for worker in range(2):
            url = f"http://127.0.0.1:{process.metrics_port + worker}/metrics"
            async with http.get(url) as response:
                assert response.status == 200
                text = await response.text()
            line = next(
                (
                    row
                    for row in text.splitlines()
                    if row.startswith("gateway_http_requests_total{") and 'route="/healthz"' in row
                ),
                None,
            )
            answered.append(float(line.rsplit(" ", 1)[1]) if line else 0.0)
        assert all(count > 0 for count in answered), answered
        assert sum(answered) >= 40
        code, out = await gateway_cli(ops_gateway, "reload")
        assert code == 0, out
        assert out.count("unchanged, generation 1") == 2, out


async def test_reload_never_signals_a_pid_whose_gateway_is_gone(
    ops_gateway: GatewayFixture,
) -> None:
    """A pid file left by a killed gateway may name a pid some other program has now."""
    bystander = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import time; time.sleep(60)"
    )
    try:
        run = ops_gateway.settings.data_dir / "run"
        run.mkdir(mode=0o700, exist_ok=True)
        (run / f"gateway-{bystander.pid}.lock").write_text("")  # nobody holds its lock
        (run / f"gateway-{bystander.pid}.json").write_text(json.dumps({"pid": bystander.pid}))
        code, out = await gateway_cli(ops_gateway, "reload")
        assert code == 1
        assert "no running gateway process" in out
        await asyncio.sleep(0.3)
        assert bystander.returncode is None  # not hung up on
        assert not (run / f"gateway-{bystander.pid}.lock").exists()
    finally:
        bystander.kill()
        await bystander.wait()


async def test_org_keys_add_with_reload_puts_the_key_in_force_at_once(
    ops_gateway: GatewayFixture, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    key = OrgKey.new("with-reload")
    key_file = tmp_path / "with-reload.jwk.json"
    key_file.write_text(json.dumps(key.public_jwk))
    with running(ops_gateway, 1) as (process,):
        code, out = await gateway_cli(
            ops_gateway, "org", "keys", "add", ORG, str(key_file), "--reload"
        )
        assert code == 0, out
        assert f"process {process.popen.pid} (port {process.port}): reloaded" in out
        token = key.token(ORG, ops_gateway.settings.audience)
        status, body = await post_exchange(http, process, f"Bearer {token}")
        assert status == 200, body


@pytest.mark.postgres
async def test_four_processes_under_concurrent_load_form_one_valid_chain(
    ops_gateway: GatewayFixture, http: aiohttp.ClientSession
) -> None:
    """Four `gateway serve` processes on one PostgreSQL database, each under concurrent
    exchanges: every process's group commit extends the one chain (the head moves only
    from the head a batch was chained on), and the verifier accepts it whole."""
    if not ops_gateway.settings.database_url.startswith("postgresql"):
        pytest.skip("several processes on one database: PostgreSQL")
    per_client, clients = 15, 4
    statuses: list[int] = []
    with running(ops_gateway, 4) as processes:

        async def client(number: int, process: Process, client: int) -> None:
            for i in range(per_client):
                async with http.post(
                    f"{process.url}/api/v1/exchanges",
                    json=exchange_body(),
                    headers={
                        "Authorization": f"Bearer {ops_gateway.token(ORG)}",
                        "X-Request-Id": f"req_p{number}_c{client}_{i:04d}",
                    },
                ) as response:
                    statuses.append(response.status)
                    await response.read()

        await asyncio.gather(
            *(
                client(number, process, c)
                for number, process in enumerate(processes)
                for c in range(clients)
            )
        )
    assert set(statuses) == {200}, statuses
    engine = create_engine(ops_gateway.settings.database_url)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(audit_entries.c.seq, audit_entries.c.request_id)
                    .where(audit_entries.c.event_type == "exchange.decision")
                    .order_by(audit_entries.c.seq)
                )
            ).all()
        writers = [r.request_id.split("_")[1] for r in rows if r.request_id.startswith("req_p")]
        assert set(writers) == {"p0", "p1", "p2", "p3"}
        # Per request one entry per category asked (2): all of them, none lost or doubled.
        assert len(writers) == 4 * clients * per_client * 2
        # The processes wrote concurrently: their entries interleave along the chain.
        switches = sum(1 for a, b in itertools.pairwise(writers) if a != b)
        assert switches >= 8, switches
        report = await verify_stored(engine, KeyStore.load(ops_gateway.settings.keys_dir).jwks())
        assert report.ok, report.summary()
    finally:
        await dispose(engine)
