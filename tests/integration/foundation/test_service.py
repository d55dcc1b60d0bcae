"""The service foundation over real HTTP: health, keys, OpenAPI, problem+json, headers."""

from __future__ import annotations

import io
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from openapi_spec_validator import validate
from support import GatewayFixture

from gateway import api as routes
from gateway.app import create_app
from gateway.http.bodies import json_response, read_json_object
from gateway.web import is_page_route

Client = TestClient[web.Request, web.Application]


async def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status == status
    assert response.content_type == "application/problem+json"
    body: dict[str, Any] = await response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["type"].endswith(code)
    assert body["request_id"] == response.headers["X-Request-Id"]
    assert "Traceback" not in await response.text()
    return body


async def test_healthz_answers_ok(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


async def test_readyz_reports_migrated_schema(client: Client) -> None:
    response = await client.get("/readyz")
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "ready"
    assert body["schema"]


async def test_jwks_publishes_public_key_only(client: Client) -> None:
    response = await client.get("/.well-known/jwks.json")
    assert response.status == 200
    keys = (await response.json())["keys"]
    assert len(keys) == 1
    assert keys[0]["kty"] == "OKP" and keys[0]["crv"] == "Ed25519"
    assert keys[0]["kid"] and "d" not in keys[0]


async def test_openapi_document_is_valid_and_lists_every_route(client: Client) -> None:
    response = await client.get("/api/v1/openapi.json")
    document = await response.json()
    validate(document)  # raises on an invalid OpenAPI 3.1 document
    documented = {
        (path, method.upper()) for path, ops in document["paths"].items() for method in ops
    }
    served = {
        (route.resource.canonical, route.method)
        for route in client.app.router.routes()
        if route.method != "HEAD" and route.resource is not None and not is_page_route(route)
    }
    assert documented == served


async def test_unknown_path_is_problem_404(client: Client) -> None:
    await assert_problem(await client.get("/no/such/thing"), 404, "not_found")


async def test_wrong_method_is_problem_405(client: Client) -> None:
    await assert_problem(await client.delete("/healthz"), 405, "method_not_allowed")


async def test_security_headers_on_success_and_on_problems(client: Client) -> None:
    for path in ("/healthz", "/nope"):
        response = await client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "Strict-Transport-Security" not in response.headers


async def test_request_id_is_echoed_when_well_formed(client: Client) -> None:
    response = await client.get("/healthz", headers={"X-Request-Id": "caller-req-12345"})
    assert response.headers["X-Request-Id"] == "caller-req-12345"
    response = await client.get("/healthz", headers={"X-Request-Id": "bad id\twith junk"})
    assert response.headers["X-Request-Id"].startswith("req_")


@pytest.fixture
async def echo_client(gateway: GatewayFixture, aiohttp_client: Any) -> Client:
    """The real app plus one route that reads a JSON body the way every API route does."""

    async def echo(request: web.Request) -> web.Response:
        return json_response(await read_json_object(request))

    app = create_app(gateway.settings)
    app.router.add_post("/test/echo", echo)
    client: Client = await aiohttp_client(app)
    return client


async def test_malformed_json_is_400_invalid_json(echo_client: Client) -> None:
    response = await echo_client.post(
        "/test/echo", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    await assert_problem(response, 400, "invalid_json")


async def test_json_that_is_not_an_object_is_400(echo_client: Client) -> None:
    response = await echo_client.post("/test/echo", json=[1, 2])
    await assert_problem(response, 400, "validation_failed")


async def test_wrong_content_type_is_415(echo_client: Client) -> None:
    response = await echo_client.post(
        "/test/echo", data=b"a=b", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    await assert_problem(response, 415, "unsupported_media_type")


async def test_body_over_limit_is_413(echo_client: Client) -> None:
    body = io.BytesIO(b'{"x": "' + b"a" * (1024 * 1024 + 10) + b'"}')
    response = await echo_client.post(
        "/test/echo", data=body, headers={"Content-Type": "application/json"}
    )
    await assert_problem(response, 413, "payload_too_large")


async def test_valid_json_passes_through(echo_client: Client) -> None:
    response = await echo_client.post("/test/echo", json={"a": 1})
    assert response.status == 200
    assert await response.json() == {"a": 1}


async def test_hsts_only_behind_tls(gateway: GatewayFixture, aiohttp_client: Any) -> None:
    from dataclasses import replace

    app = create_app(replace(gateway.settings, behind_tls=True))
    client: Client = await aiohttp_client(app)
    response = await client.get("/healthz")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_every_route_module_documents_itself() -> None:
    for module in routes.modules():
        assert module.OPENAPI, module.__name__
