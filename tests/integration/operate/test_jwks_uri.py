"""An organisation's `jwks_uri`, served by a real local HTTP server that answers good,
garbage, slow and down: known keys stay in force until their maximum staleness, an
unknown key never gets in, and an unknown `kid` refetches at most once per interval."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from operate_support import OrgKey, exchange_body
from support import GatewayFixture, make_gateway_fixture, migrate

from gateway.app import create_app
from gateway.appkeys import METRICS
from gateway.auth.jwks_remote import MAX_BYTES, _max_age
from gateway.cli import main

Client = TestClient[web.Request, web.Application]
REMOTE_ORG = "wijkteam-remote"


@dataclass
class KeyServer:
    """What the organisation's key server answers; `mode` is switched by the tests."""

    keys: list[OrgKey]
    mode: str = "good"
    hits: int = 0
    extra: list[dict[str, Any]] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        return {"keys": [k.public_jwk for k in self.keys] + self.extra}

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.hits += 1
        if self.mode == "good":
            return web.json_response(self.document(), headers={"Cache-Control": "max-age=300"})
        if self.mode == "garbage":
            return web.Response(body=b"<html>not a key set</html>", content_type="text/html")
        if self.mode == "down":
            return web.Response(status=503, text="down")
        if self.mode == "slow":
            await asyncio.sleep(5)
            return web.json_response(self.document())
        if self.mode == "huge":
            return web.Response(body=b'{"keys": [' + b" " * (MAX_BYTES + 10) + b"]}")
        if self.mode == "private":
            private = {**self.keys[0].public_jwk, "d": "AAAA"}
            return web.json_response({"keys": [private]})
        if self.mode == "alg_lies":  # an EC key that claims to be RSA
            return web.json_response({"keys": [{**self.keys[-1].public_jwk, "alg": "RS256"}]})
        if self.mode == "redirect":
            raise web.HTTPFound("http://127.0.0.1:1/elsewhere")
        raise AssertionError(self.mode)


@dataclass
class RemoteSetup:
    client: Client
    server: KeyServer
    gateway: GatewayFixture

    async def ask(self, key: OrgKey) -> tuple[int, str | None]:
        token = key.token(REMOTE_ORG, self.gateway.settings.audience)
        response = await self.client.post(
            "/api/v1/exchanges", json=exchange_body(), headers={"Authorization": f"Bearer {token}"}
        )
        body = await response.json()
        return response.status, body.get("code")

    def fetches(self, outcome: str) -> float:
        value = self.client.app[METRICS].registry.get_sample_value(
            "gateway_jwks_fetches_total", {"organisation": REMOTE_ORG, "outcome": outcome}
        )
        return value or 0.0


async def _setup(
    database_url: str,
    tmp_path: Path,
    config_dir: Path,
    aiohttp_server: Any,
    aiohttp_client: Any,
    **env: str,
) -> RemoteSetup:
    keys = KeyServer([OrgKey.new("remote-1")])
    app = web.Application()
    app.router.add_get("/jwks.json", keys.handle)
    server: TestServer = await aiohttp_server(app)
    settings_env = {
        "GATEWAY_CONFIG_DIR": str(config_dir),
        "GATEWAY_METRICS_PORT": "0",
        "GATEWAY_JWKS_TIMEOUT_SECONDS": "0.3",
        "GATEWAY_JWKS_REFRESH_MIN_SECONDS": "60",
        "GATEWAY_JWKS_REFRESH_MAX_SECONDS": "60",
        **env,
    }
    gateway = make_gateway_fixture(tmp_path / "data", database_url, **settings_env)
    await migrate(database_url)
    uri = f"http://127.0.0.1:{server.port}/jwks.json"
    assert main(
        ["org", "add", "--id", REMOTE_ORG, "--type", "wijkteam", "--name", "Wijkteam Remote",
         "--region", "utrecht", "--jwks-uri", uri, "--config-dir", str(config_dir),
         "--data-dir", str(gateway.settings.data_dir)]
    ) == 0  # fmt: skip
    client: Client = await aiohttp_client(create_app(gateway.settings))
    for _ in range(100):  # the first background fetch
        if keys.hits:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.05)
    return RemoteSetup(client, keys, gateway)


@pytest.fixture
async def remote(
    database_url: str, tmp_path: Path, config_dir: Path, aiohttp_server: Any, aiohttp_client: Any
) -> RemoteSetup:
    return await _setup(database_url, tmp_path, config_dir, aiohttp_server, aiohttp_client)


async def test_a_key_served_at_the_jwks_uri_authenticates(remote: RemoteSetup) -> None:
    assert await remote.ask(remote.server.keys[0]) == (200, None)
    assert remote.fetches("ok") >= 1


async def test_a_key_rotated_in_at_the_uri_counts_at_once_with_one_refetch(
    remote: RemoteSetup,
) -> None:
    rotated = OrgKey.new("remote-2")
    remote.server.keys.append(rotated)
    hits = remote.server.hits
    assert await remote.ask(rotated) == (200, None)
    assert remote.server.hits == hits + 1


@pytest.mark.parametrize(
    "mode", ["garbage", "down", "slow", "huge", "private", "alg_lies", "redirect"]
)
async def test_a_failing_uri_keeps_known_keys_and_lets_no_unknown_key_in(
    remote: RemoteSetup, mode: str
) -> None:
    known = remote.server.keys[0]
    assert await remote.ask(known) == (200, None)
    remote.server.mode = mode
    stranger = OrgKey.new("remote-stranger")
    remote.server.keys.append(stranger)  # served only by the broken answers (if at all)
    assert await remote.ask(stranger) == (401, "unknown_key")
    assert await remote.ask(known) == (200, None)
    failed = sum(
        remote.fetches(o) for o in ("invalid", "http_error", "timeout", "too_large", "unreachable")
    )
    assert failed == 1


async def test_random_unknown_kids_refetch_at_most_once_per_interval(
    remote: RemoteSetup,
) -> None:
    hits = remote.server.hits
    for _ in range(10):
        assert await remote.ask(OrgKey.new("guess-" + secrets.token_hex(3))) == (
            401,
            "unknown_key",
        )
    assert remote.server.hits == hits + 1


async def test_known_keys_expire_after_the_maximum_staleness(
    database_url: str, tmp_path: Path, config_dir: Path, aiohttp_server: Any, aiohttp_client: Any
) -> None:
    setup = await _setup(
        database_url,
        tmp_path,
        config_dir,
        aiohttp_server,
        aiohttp_client,
        GATEWAY_JWKS_MAX_STALENESS_SECONDS="1",
        GATEWAY_JWKS_REFRESH_MIN_SECONDS="0.2",
        GATEWAY_JWKS_REFRESH_MAX_SECONDS="0.2",
        GATEWAY_JWKS_UNKNOWN_KID_INTERVAL_SECONDS="0",
    )
    known = setup.server.keys[0]
    assert await setup.ask(known) == (200, None)
    setup.server.mode = "down"
    await asyncio.sleep(1.5)  # the last good fetch is now older than the staleness bound
    assert await setup.ask(known) == (401, "unknown_key")
    setup.server.mode = "good"  # back up: the key counts again after a good fetch
    assert await setup.ask(known) == (200, None)


def test_cache_control_max_age_is_read_and_no_store_means_now() -> None:
    assert _max_age("public, max-age=600") == 600
    assert _max_age('max-age="30", must-revalidate') == 30
    assert _max_age("no-store") == 0
    assert _max_age("private") is None
    assert _max_age("s-maxage=10") is None


def test_a_jwks_uri_must_be_https_except_to_this_machine(tmp_path: Path, config_dir: Path) -> None:
    fixture = make_gateway_fixture(
        tmp_path / "data", f"sqlite+aiosqlite:///{tmp_path / 'g.db'}",
        GATEWAY_CONFIG_DIR=str(config_dir),
    )  # fmt: skip
    before = (config_dir / "organisations.toml").read_text()
    for uri in (
        "http://keys.example.org/jwks.json",
        "https://user:pw@keys.example.org/j",
        "ftp://x/",
    ):
        code = main(
            ["org", "add", "--id", "o", "--type", "wijkteam", "--name", "O", "--region",
             "utrecht", "--jwks-uri", uri, "--config-dir", str(config_dir), "--data-dir",
             str(fixture.settings.data_dir)]
        )  # fmt: skip
        assert code == 1
    assert (config_dir / "organisations.toml").read_text() == before
