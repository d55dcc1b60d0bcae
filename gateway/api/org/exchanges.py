"""`POST /api/v1/exchanges`: an organisation asks for data about one person, for one purpose."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.api.describe import answer, problems, request_body
from gateway.appkeys import (
    AUTHENTICATOR,
    EXCHANGE_DEPS,
    LOG_ORGANISATION,
    LOG_PURPOSE,
    ORGANISATIONS,
    REQUEST_ID,
    SETTINGS,
    TRACE_ID,
    TRACEPARENT,
    VOCABULARY,
)
from gateway.exchange import schema
from gateway.exchange.pipeline import RequestMeta, run_exchange
from gateway.exchange.validate import exchange_request
from gateway.http.bodies import json_response, read_body

__all__ = ["OPENAPI", "setup"]


async def create_exchange(request: web.Request) -> web.Response:
    app = request.app
    principal = await app[AUTHENTICATOR].authenticate_request(request)
    request[LOG_ORGANISATION] = principal.organisation.id
    vocabulary = app[VOCABULARY]
    exchange = exchange_request(
        await read_body(request, schema.ExchangeRequest),
        purposes=vocabulary.purposes,
        break_glass_purposes={p for p, v in vocabulary.purposes.items() if v.break_glass},
        aggregates_only_purposes={p for p, v in vocabulary.purposes.items() if v.aggregates_only},
        categories=vocabulary.categories,
        sources=app[ORGANISATIONS].ids(),
        max_categories=app[SETTINGS].max_categories,
    )
    request[LOG_PURPOSE] = exchange.purpose
    meta = RequestMeta(request[REQUEST_ID], request[TRACE_ID], request[TRACEPARENT])
    result = await run_exchange(exchange, principal, meta, app[EXCHANGE_DEPS])
    return json_response(result.to_json())


def setup(app: web.Application) -> None:
    app.router.add_post("/api/v1/exchanges", create_exchange)


OPENAPI: dict[str, dict[str, Any]] = {
    "/api/v1/exchanges": {
        "post": {
            "operationId": "createExchange",
            "summary": "Ask for data about one person for one declared purpose",
            "description": "Every source x category is decided by the policy engine and the "
            "consent check; permitted items are fetched live and minimised; every item is "
            "written to the audit log before the answer leaves.",
            "tags": ["exchange"],
            "requestBody": request_body(schema.ExchangeRequest, schema.EXAMPLE_REQUEST),
            "responses": {
                "200": answer(
                    schema.ExchangeResponse,
                    "Per-item decisions, with records where permitted",
                    schema.EXAMPLE_RESPONSE,
                ),
                **problems(400, 401, 403, 413, 415, 422, 503),
            },
        }
    }
}
