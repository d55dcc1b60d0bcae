"""Fuzzing every route from its OpenAPI description, over real HTTP: never a 500.

The bodies come from each operation's request schema (often valid, any member
possibly any JSON), the query parameters and path segments from every code point,
and every date-time field gets the texts at the calendar's edges. Each answer must
be a 2xx, or a 4xx problem+json; a 5xx is only allowed as 503 when the database
is busy (never seen here, but not input's fault).

Hypothesis drives plain functions, so each test runs one gateway on its own event
loop and sends each example through it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from consent_support import MOTHER, consent_body, household_body
from custody_support import standard_register
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import HOSTILE_CHARACTERS, date_time_texts, json_from_schema
from support import GatewayFixture, make_gateway_fixture, migrate
from yarl import URL

from adapters.reference.custody_register import create_custody_register_app
from adapters.reference.jwks import StaticJwks
from gateway.app import create_app
from gateway.appkeys import HOUSEHOLD_SESSIONS, PSEUDONYMISER
from gateway.auth.keys import KeyStore

WIJKTEAM = "wijkteam-utrecht"
FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


OFFICER_PATHS = ("/api/v1/audit/", "/api/v1/policies", "/api/v1/signals", "/api/v1/statistics")


@dataclass
class Running:
    loop: asyncio.AbstractEventLoop
    client: TestClient[web.Request, web.Application]
    fixture: GatewayFixture
    household: dict[str, Any]
    session: str
    document: dict[str, Any]

    def headers(self, path: str) -> dict[str, str]:
        if path.startswith("/api/v1/me/"):
            return {"Authorization": f"Session {self.session}"}
        if path.startswith(OFFICER_PATHS):
            return self.fixture.auth(WIJKTEAM, "privacy_officer")
        return self.fixture.auth(WIJKTEAM)

    def send(self, method: str, url: str | URL, **kwargs: Any) -> tuple[int, str, Any]:
        """(status, content type, body or None) of one request."""

        async def go() -> tuple[int, str, Any]:
            path = url.path if isinstance(url, URL) else url.split("?")[0]
            async with self.client.request(
                method, url, headers=self.headers(path), **kwargs
            ) as response:
                body = None
                if response.content_type.endswith("json"):
                    body = await response.json()
                return response.status, response.content_type, body

        return self.loop.run_until_complete(go())


@contextlib.contextmanager
def running_gateway(database_url: str, tmp_path: Path) -> Iterator[Running]:
    fixture = make_gateway_fixture(tmp_path / "data", database_url)
    loop = asyncio.new_event_loop()
    register = TestServer(
        create_custody_register_app(
            standard_register(fixture.settings.data_dir),
            StaticJwks(KeyStore.load(fixture.settings.keys_dir).jwks()),
            fixture.settings.audience,
        )
    )

    async def start() -> Running:
        await migrate(database_url)
        await register.start_server()  # the custody register every household write asks
        fixture.settings = replace(
            fixture.settings, custody_register_url=str(register.make_url("")).rstrip("/")
        )
        client: TestClient[web.Request, web.Application] = TestClient(
            TestServer(create_app(fixture.settings))
        )
        await client.start_server()
        answer = await client.post(
            "/api/v1/households", json=household_body(), headers=fixture.auth(WIJKTEAM)
        )
        assert answer.status == 201, await answer.text()
        household = await answer.json()
        recorded = await client.post(
            "/api/v1/consents", json=consent_body(MOTHER), headers=fixture.auth(WIJKTEAM)
        )
        assert recorded.status == 201
        person = client.app[PSEUDONYMISER].pseudonym(MOTHER)
        session = await client.app[HOUSEHOLD_SESSIONS].create(person, household["id"])
        document = await (await client.get("/api/v1/openapi.json")).json()
        return Running(loop, client, fixture, household, session, document)

    running = loop.run_until_complete(start())
    try:
        yield running
    finally:
        loop.run_until_complete(running.client.close())
        loop.run_until_complete(register.close())
        loop.close()


def _assert_not_a_failure(answer: tuple[int, str, Any], what: object) -> None:
    status, content_type, body = answer
    assert status < 500 or status == 503, (status, body, what)
    if status >= 400:
        assert content_type == "application/problem+json", (status, what)
        assert isinstance(body, dict) and body.get("code"), (body, what)


def _path_values(running: Running) -> dict[str, str]:
    return {
        "household_id": running.household["id"],
        "consent_id": "c_unknown",
        "case_id": "case_unknown",
        "seq": "1",
    }


def _operations(running: Running, method: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (path, ops[method])
        for path, ops in sorted(running.document["paths"].items())
        if method in ops
    ]


DATE_TIME_TARGETS = (
    ("POST", "/api/v1/consents", "given_at"),
    ("POST", "/api/v1/consents", "valid_from"),
    ("POST", "/api/v1/consents", "valid_until"),
    ("POST", "/api/v1/households/{household_id}/changes", "at"),
    ("POST", "/api/v1/me/consents", "valid_from"),
    ("POST", "/api/v1/me/consents", "valid_until"),
    ("GET", "/api/v1/audit/entries", "from"),
    ("GET", "/api/v1/audit/entries", "to"),
    ("GET", "/api/v1/audit/entries.csv", "from"),
)


def test_any_string_in_any_date_time_field_is_never_a_500(
    database_url: str, tmp_path: Path
) -> None:
    with running_gateway(database_url, tmp_path) as running:
        paths = {p.format(**_path_values(running)) for _, p, _ in DATE_TIME_TARGETS}
        assert len(paths) == 5

        @FUZZ
        @given(target=st.sampled_from(DATE_TIME_TARGETS), value=date_time_texts())
        def check(target: tuple[str, str, str], value: str) -> None:
            method, template, field = target
            path = template.format(**_path_values(running))
            if method == "GET":
                query = f"{quote(field)}={quote(value.encode('utf-8', 'surrogatepass'))}"
                answer = running.send("GET", URL(f"{path}?{query}", encoded=True))
            elif "changes" in path:
                body = {"change": "contact_person_changed", field: value,
                        "contact_person": {"professional": "prof-0043"}}  # fmt: skip
                answer = running.send("POST", path, json=body)
            elif "/me/" in path:
                body = {"purposes": ["support_planning"], "categories": ["support_plan"],
                        "recipients": {"organisations": [WIJKTEAM]}, field: value}  # fmt: skip
                answer = running.send("POST", path, json=body)
            else:
                answer = running.send("POST", path, json=consent_body(MOTHER, **{field: value}))
            _assert_not_a_failure(answer, (target, value))

        check()


def test_any_body_on_any_json_route_is_never_a_500(database_url: str, tmp_path: Path) -> None:
    with running_gateway(database_url, tmp_path) as running:
        components = running.document.get("components", {}).get("schemas", {})
        routes = [
            (path.format(**_path_values(running)), content["application/json"]["schema"])
            for path, op in _operations(running, "post")
            if "application/json" in (content := op.get("requestBody", {}).get("content", {}))
        ]
        assert len(routes) >= 8

        @FUZZ
        @given(data=st.data(), index=st.integers(0, len(routes) - 1))
        def check(data: st.DataObject, index: int) -> None:
            path, schema = routes[index]
            body = data.draw(json_from_schema(schema, components), label="body")
            _assert_not_a_failure(running.send("POST", path, json=body), (path, body))

        check()


def test_any_query_or_path_value_on_any_get_route_is_never_a_500(
    database_url: str, tmp_path: Path
) -> None:
    with running_gateway(database_url, tmp_path) as running:
        routes = [
            (path, [p["name"] for p in op.get("parameters", []) if p.get("in") == "query"])
            for path, op in _operations(running, "get")
        ]
        hostile = st.text(HOSTILE_CHARACTERS, max_size=30) | st.text(max_size=6)

        def encoded(text: str) -> str:
            return quote(text.encode("utf-8", "surrogatepass"), safe="")

        @FUZZ
        @given(data=st.data(), index=st.integers(0, len(routes) - 1))
        def check(data: st.DataObject, index: int) -> None:
            template, names = routes[index]
            values = _path_values(running)
            if "{" in template and data.draw(st.booleans(), label="hostile path"):
                values = {k: encoded(data.draw(hostile, label=k)) or "x" for k in values}
            path = template.format(**values)
            chosen = (
                data.draw(st.lists(st.sampled_from(names), unique=True), label="params")
                if names
                else []
            )
            query = "&".join(f"{n}={encoded(data.draw(hostile, label=n))}" for n in chosen)
            url = URL(f"{path}?{query}" if query else path, encoded=True)
            _assert_not_a_failure(running.send("GET", url), (str(url),))

        check()
