"""Live configuration in one process: keys, organisations and policies change on reload,
a broken configuration keeps the last good one, and requests never fail meanwhile."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from operate_support import OrgKey, drop_finances, exchange_body, reasons_by_category
from support import GatewayFixture

from gateway.app import create_app
from gateway.appkeys import LIVE_CONFIG, METRICS
from gateway.cli import main

Client = TestClient[web.Request, web.Application]
ORG = "wijkteam-utrecht"


def cli(gateway: GatewayFixture, *args: str) -> int:
    settings = gateway.settings
    return main(
        [*args, "--config-dir", str(settings.config_dir), "--data-dir", str(settings.data_dir)]
    )


async def exchange(client: Client, token: str) -> Any:
    return await client.post(
        "/api/v1/exchanges", json=exchange_body(), headers={"Authorization": f"Bearer {token}"}
    )


def sample(client: Client, name: str, **labels: str) -> float | None:
    value = client.app[METRICS].registry.get_sample_value(name, labels or None)
    return value


async def test_a_key_added_with_the_cli_counts_only_after_reload(
    ops_gateway: GatewayFixture, aiohttp_client: Any, tmp_path: Path
) -> None:
    client: Client = await aiohttp_client(create_app(ops_gateway.settings))
    key = OrgKey.new()
    key_file = tmp_path / "new.jwk.json"
    key_file.write_text(json.dumps(key.public_jwk))
    assert cli(ops_gateway, "org", "keys", "add", ORG, str(key_file)) == 0
    token = key.token(ORG, ops_gateway.settings.audience)

    before = await exchange(client, token)
    assert before.status == 401
    assert (await before.json())["code"] == "unknown_key"

    outcome = await client.app[LIVE_CONFIG].reload()
    assert outcome.ok and outcome.changed and outcome.generation == 2
    after = await exchange(client, key.token(ORG, ops_gateway.settings.audience))
    assert after.status == 200, await after.text()
    # The organisation's old key still works: adding one removed none.
    old = await client.post(
        "/api/v1/exchanges", json=exchange_body(), headers=ops_gateway.auth(ORG)
    )
    assert old.status == 200


async def test_a_removed_key_is_refused_after_reload(
    ops_gateway: GatewayFixture, aiohttp_client: Any
) -> None:
    client: Client = await aiohttp_client(create_app(ops_gateway.settings))
    kid = ops_gateway.org_keys[ORG].kid
    assert (
        await client.post("/api/v1/exchanges", json=exchange_body(), headers=ops_gateway.auth(ORG))
    ).status == 200
    # The kid is an RFC 7638 thumbprint (base64url): it can start with "-", so the
    # positionals follow "--", as docs/operate.md tells an operator.
    settings = ops_gateway.settings
    removed = main(
        ["org", "keys", "remove", "--config-dir", str(settings.config_dir),
         "--data-dir", str(settings.data_dir), "--", ORG, kid]
    )  # fmt: skip
    assert removed == 0
    assert (await client.app[LIVE_CONFIG].reload()).ok
    refused = await client.post(
        "/api/v1/exchanges", json=exchange_body(), headers=ops_gateway.auth(ORG)
    )
    assert refused.status == 401
    assert (await refused.json())["code"] == "unknown_key"


async def test_a_policy_changed_on_disk_decides_after_reload(
    ops_gateway: GatewayFixture, aiohttp_client: Any
) -> None:
    client: Client = await aiohttp_client(create_app(ops_gateway.settings))
    first = await client.post(
        "/api/v1/exchanges", json=exchange_body(), headers=ops_gateway.auth(ORG)
    )
    answer = await first.json()
    assert reasons_by_category(answer)["finances"] != "no_matching_rule"
    drop_finances(ops_gateway.settings.config_dir)
    unchanged = await client.post(
        "/api/v1/exchanges", json=exchange_body(), headers=ops_gateway.auth(ORG)
    )
    assert reasons_by_category(await unchanged.json()) == reasons_by_category(answer)

    assert (await client.app[LIVE_CONFIG].reload()).changed
    second = await (
        await client.post("/api/v1/exchanges", json=exchange_body(), headers=ops_gateway.auth(ORG))
    ).json()
    assert reasons_by_category(second)["finances"] == "no_matching_rule"
    assert second["policy_version"] != answer["policy_version"]
    assert (
        reasons_by_category(second)["contact_details"]
        == (reasons_by_category(answer)["contact_details"])
    )


async def test_a_broken_organisations_file_keeps_the_last_good_one(
    ops_gateway: GatewayFixture, aiohttp_client: Any
) -> None:
    client: Client = await aiohttp_client(create_app(ops_gateway.settings))
    path = ops_gateway.settings.config_dir / "organisations.toml"
    path.write_text(path.read_text() + '\n[[organisation]]\nid = "x"\ntype = "no_such_type"\n')
    outcome = await client.app[LIVE_CONFIG].reload()
    assert not outcome.ok
    assert outcome.code == "organisations_invalid"
    assert outcome.generation == 1
    assert any("x" in p for p in outcome.problems)

    answer = await client.post(
        "/api/v1/exchanges", json=exchange_body(), headers=ops_gateway.auth(ORG)
    )
    assert answer.status == 200
    ready = await (await client.get("/readyz")).json()
    assert ready["status"] == "ready"
    assert ready["configuration"]["last_reload"] == "failed"
    assert ready["configuration"]["error"] == "organisations_invalid"
    assert ready["configuration"]["generation"] == 1
    assert "no_such_type" not in json.dumps(ready)  # the problem text is for the terminal
    assert sample(client, "gateway_config_reloads_total", result="failure") == 1
    assert sample(client, "gateway_config_reload_failing") == 1


async def test_a_broken_policy_set_keeps_the_last_good_one(
    ops_gateway: GatewayFixture, aiohttp_client: Any
) -> None:
    client: Client = await aiohttp_client(create_app(ops_gateway.settings))
    before = await (
        await client.post("/api/v1/exchanges", json=exchange_body(), headers=ops_gateway.auth(ORG))
    ).json()
    broken = ops_gateway.settings.config_dir / "policies" / "zz-broken.toml"
    broken.write_text('[[rules]]\nid = "half"\neffect = "permit"\npurposes = ["no_such"]\n')
    outcome = await client.app[LIVE_CONFIG].reload()
    assert not outcome.ok and outcome.code == "policies_invalid"
    after = await (
        await client.post("/api/v1/exchanges", json=exchange_body(), headers=ops_gateway.auth(ORG))
    ).json()
    assert after["policy_version"] == before["policy_version"]
    assert reasons_by_category(after) == reasons_by_category(before)
    # Fixed on disk, the next reload succeeds and clears the failure.
    broken.unlink()
    assert (await client.app[LIVE_CONFIG].reload()).ok
    ready = await (await client.get("/readyz")).json()
    assert ready["configuration"]["last_reload"] == "ok"
    assert sample(client, "gateway_config_reload_failing") == 0


async def test_a_changed_vocabulary_is_refused_until_a_restart(
    ops_gateway: GatewayFixture, aiohttp_client: Any
) -> None:
    client: Client = await aiohttp_client(create_app(ops_gateway.settings))
    purposes = ops_gateway.settings.config_dir / "purposes.toml"
    old = 'nl = "Hulp voor het gezin plannen en afstemmen"'
    text = purposes.read_text()
    assert old in text
    purposes.write_text(text.replace(old, 'nl = "Hulp plannen"', 1))
    outcome = await client.app[LIVE_CONFIG].reload()
    assert not outcome.ok
    assert outcome.code == "vocabulary_changed"
    assert outcome.generation == 1
    ok = await client.post("/api/v1/exchanges", json=exchange_body(), headers=ops_gateway.auth(ORG))
    assert ok.status == 200


async def test_a_reload_of_the_same_files_changes_nothing(
    ops_gateway: GatewayFixture, aiohttp_client: Any
) -> None:
    client: Client = await aiohttp_client(create_app(ops_gateway.settings))
    outcome = await client.app[LIVE_CONFIG].reload()
    assert outcome.ok and not outcome.changed and outcome.generation == 1


async def test_requests_during_reloads_never_fail_and_see_one_generation(
    ops_gateway: GatewayFixture, aiohttp_client: Any
) -> None:
    client: Client = await aiohttp_client(create_app(ops_gateway.settings))
    live = client.app[LIVE_CONFIG]
    config_dir = ops_gateway.settings.config_dir
    statuses: list[int] = []
    versions: set[str] = set()
    stop = asyncio.Event()

    async def ask() -> None:
        while not stop.is_set():
            response = await client.post(
                "/api/v1/exchanges", json=exchange_body(), headers=ops_gateway.auth(ORG)
            )
            statuses.append(response.status)
            answer = await response.json()
            reasons = reasons_by_category(answer)
            # Old policy: finances is decided by a rule; new: by none. Never a mix.
            versions.add(answer["policy_version"] + ":" + reasons["finances"])

    workers = [asyncio.create_task(ask()) for _ in range(4)]
    await asyncio.sleep(0.3)
    drop_finances(config_dir)
    assert (await live.reload()).changed
    for _ in range(3):
        await asyncio.sleep(0.1)
        await live.reload()
    await asyncio.sleep(0.3)
    stop.set()
    await asyncio.gather(*workers)
    assert statuses and set(statuses) == {200}
    assert len(versions) == 2  # one (version, decision) pair per generation, no mix


async def test_a_pinned_request_keeps_its_generation_through_a_reload(
    ops_gateway: GatewayFixture, aiohttp_client: Any
) -> None:
    client: Client = await aiohttp_client(create_app(ops_gateway.settings))
    live = client.app[LIVE_CONFIG]
    drop_finances(ops_gateway.settings.config_dir)
    with live.pinned() as generation:
        assert (await live.reload()).changed
        assert live.current is generation
        assert live.latest is not generation
    assert live.current is live.latest


async def test_a_jwks_file_that_is_not_json_keeps_the_last_good_keys(
    ops_gateway: GatewayFixture, aiohttp_client: Any
) -> None:
    client: Client = await aiohttp_client(create_app(ops_gateway.settings))
    jwks = ops_gateway.settings.data_dir / "organisations" / f"{ORG}.jwks.json"
    jwks.write_text('{"keys": [')
    outcome = await client.app[LIVE_CONFIG].reload()
    assert not outcome.ok and outcome.code == "organisations_invalid"
    answer = await client.post(
        "/api/v1/exchanges", json=exchange_body(), headers=ops_gateway.auth(ORG)
    )
    assert answer.status == 200


async def test_a_reload_keeps_the_adapters_of_unchanged_organisations_open(
    ops_gateway: GatewayFixture, aiohttp_client: Any
) -> None:
    client: Client = await aiohttp_client(create_app(ops_gateway.settings))
    live = client.app[LIVE_CONFIG]
    before = dict(live.latest.adapters)
    assert before  # the shipped organisations have sources
    sql_engine = before["rvdk-midden-nederland"].inner._engine  # the SQL source's own engine
    pool = sql_engine.pool  # disposing an engine replaces its pool
    assert not (await live.reload()).changed  # nothing changed: nothing closed or rebuilt
    assert all(live.latest.adapters[k] is v for k, v in before.items())
    assert sql_engine.pool is pool
    drop_finances(ops_gateway.settings.config_dir)  # policies only
    assert (await live.reload()).changed
    assert all(live.latest.adapters[k] is v for k, v in before.items())
    assert sql_engine.pool is pool
    # An organisation whose adapter changed gets a new one; the others keep theirs.
    path = ops_gateway.settings.config_dir / "organisations.toml"
    path.write_text(path.read_text().replace("http://127.0.0.1:8102", "http://127.0.0.1:8112"))
    assert (await live.reload()).changed
    after = live.latest.adapters
    assert after["veilig-thuis-utrecht"] is not before["veilig-thuis-utrecht"]
    assert all(after[k] is v for k, v in before.items() if k != "veilig-thuis-utrecht")
