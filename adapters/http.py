"""Reach a source system's HTTP API, then map and minimise what it answers.

The source gets a short-lived JWT signed by the gateway (audience: the source's
organisation id), the request id and the W3C `traceparent`; the BSN travels in
the JSON body only, never in the URL. Every failure — connection, status,
timeout, oversized or malformed answer — becomes `SourceUnavailable`.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from typing import Any

import aiohttp

from adapters.base import CategoryRecords, FetchRequest
from adapters.errors import (
    REASON_BAD_RESPONSE,
    REASON_CONNECTION_ERROR,
    REASON_HTTP_ERROR,
    REASON_TIMEOUT,
    REASON_TOKEN_ERROR,
    REASON_UNAUTHORIZED,
    AdapterConfigError,
    SourceUnavailable,
)
from adapters.mapping import FieldMapping

__all__ = [
    "MAX_RESPONSE_BYTES",
    "QUERY_PATH",
    "HttpSourceAdapter",
    "post_json",
    "valid_traceparent",
]

QUERY_PATH = "/api/v1/records/query"
MAX_RESPONSE_BYTES = 4 * 1024 * 1024
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def valid_traceparent(value: str) -> bool:
    """True for a well-formed W3C trace context header (all-zero ids are invalid)."""
    if not _TRACEPARENT.match(value):
        return False
    _, trace_id, parent_id, _ = value.split("-")
    return trace_id != "0" * 32 and parent_id != "0" * 16


class HttpSourceAdapter:
    """A source system behind `POST {base_url}/api/v1/records/query`."""

    def __init__(
        self,
        source_id: str,
        base_url: str,
        mapping: FieldMapping,
        session: aiohttp.ClientSession,
        token_factory: Callable[[str], str],
        timeout: float = 2.0,
        *,
        audience: str | None = None,
    ) -> None:
        if mapping.kind != "http":
            raise AdapterConfigError(source_id, f"mapping {mapping.name!r} is not an http mapping")
        if not base_url.startswith(("http://", "https://")):
            raise AdapterConfigError(source_id, "base_url must be an http(s) URL")
        if timeout <= 0:
            raise AdapterConfigError(source_id, "timeout must be positive")
        self.source_id = source_id
        self.mapping = mapping
        self.timeout = timeout
        self.audience = audience or source_id
        self._url = base_url.rstrip("/") + QUERY_PATH
        self._session = session
        self._token_factory = token_factory

    def __repr__(self) -> str:
        return f"HttpSourceAdapter({self.source_id!r}, {self._url!r})"

    async def fetch(self, request: FetchRequest) -> CategoryRecords:
        """Ask the source, then keep only mapped fields of the requested categories."""
        try:
            token = self._token_factory(self.audience)
        except Exception as exc:  # the gateway's signer failed: no call without a token
            raise SourceUnavailable(self.source_id, REASON_TOKEN_ERROR) from exc
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if _REQUEST_ID.match(request.request_id):
            headers["X-Request-Id"] = request.request_id
        if valid_traceparent(request.traceparent):
            headers["traceparent"] = request.traceparent
        body = {
            "bsn": request.bsn,
            "categories": list(request.categories),
            "purpose": request.purpose,
        }
        try:
            async with asyncio.timeout(self.timeout):
                document = await self._post(body, headers)
        except TimeoutError as exc:
            raise SourceUnavailable(self.source_id, REASON_TIMEOUT) from exc
        try:
            raw = self.mapping.extract(document)
        except ValueError as exc:
            raise SourceUnavailable(self.source_id, REASON_BAD_RESPONSE) from exc
        return self.mapping.apply(raw, request.categories)

    async def _post(self, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        document = await post_json(
            self._session,
            self._url,
            body,
            headers,
            timeout_seconds=self.timeout,
            source=self.source_id,
        )
        if not isinstance(document, dict):
            raise SourceUnavailable(self.source_id, REASON_BAD_RESPONSE)
        return document


async def post_json(
    session: aiohttp.ClientSession,
    url: str,
    body: dict[str, Any],
    headers: dict[str, str],
    *,
    timeout_seconds: float,
    source: str,
    limit: int = MAX_RESPONSE_BYTES,
) -> Any:
    """POST `body` and return the parsed JSON answer; every failure is `SourceUnavailable`
    for `source` with its reason code (one boundary for the sources and the custody
    register). A `TimeoutError` is passed on for the caller to report as `timeout`."""
    try:
        async with session.post(
            url,
            json=body,
            headers=headers,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=timeout_seconds),
        ) as response:
            if response.status in (401, 403):
                raise SourceUnavailable(source, REASON_UNAUTHORIZED)
            if response.status != 200:
                raise SourceUnavailable(source, REASON_HTTP_ERROR)
            payload = await _read_limited(response, limit)
    except (SourceUnavailable, TimeoutError):
        raise  # aiohttp's own timeouts are TimeoutErrors too: reported as `timeout`
    except (aiohttp.ClientError, OSError) as exc:
        raise SourceUnavailable(source, REASON_CONNECTION_ERROR) from exc
    except ValueError as exc:  # body over the limit
        raise SourceUnavailable(source, REASON_BAD_RESPONSE) from exc
    try:
        return json.loads(payload)
    except (ValueError, RecursionError) as exc:  # bad JSON, too deep, too many digits
        raise SourceUnavailable(source, REASON_BAD_RESPONSE) from exc


async def _read_limited(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """The whole body, refusing (ValueError) anything larger than `limit` bytes."""
    if response.content_length is not None and response.content_length > limit:
        raise ValueError("response too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise ValueError("response too large")
        chunks.append(chunk)
    return b"".join(chunks)
