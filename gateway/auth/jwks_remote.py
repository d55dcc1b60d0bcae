"""Keys an organisation publishes at its `jwks_uri`: fetched, cached, refreshed, bounded.

For each organisation with a `jwks_uri` a background task fetches the document, then
again after its `Cache-Control: max-age` (clamped to `[jwks_refresh_min_seconds,
jwks_refresh_max_seconds]`; without one, the minimum). Each fetch has a timeout, a size
limit (`MAX_BYTES`), no redirects, and must be a JWKS whose every signing key passes the
same checks as a configured key (`gateway.auth.organisations.public_key`: an allowed
algorithm and curve, no private part). Whatever else comes back (an error status,
garbage, a timeout, a refused connection, too many bytes) changes nothing: the keys of
the last good fetch stay in force until `jwks_max_staleness_seconds` after that fetch,
and then are dropped, so a dead key server can never keep a key alive for ever. A key
only ever enters from a good document: failure never adds one.

A token whose `kid` is unknown triggers one fetch right away (the organisation may
just have rotated), at most once per `jwks_unknown_kid_interval_seconds` per
organisation, so a caller sending random key ids cannot turn the gateway against the
key server; concurrent callers share that one fetch.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import aiohttp
import jwt
import structlog

from gateway.auth.organisations import Organisation, public_key
from gateway.metrics import JWKS_OUTCOMES, Metrics, closed

__all__ = ["MAX_BYTES", "MAX_KEYS", "JwksPolicy", "RemoteJwks"]

log = structlog.get_logger("gateway.auth.jwks")

MAX_BYTES = 64 * 1024
MAX_KEYS = 50
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d{1,10})\"?\s*(?:,|$)", re.IGNORECASE)


@dataclass(frozen=True)
class JwksPolicy:
    """How often, how long and how much (settings `GATEWAY_JWKS_*`)."""

    refresh_min_seconds: float = 60.0
    refresh_max_seconds: float = 3600.0
    max_staleness_seconds: float = 86_400.0
    timeout_seconds: float = 3.0
    unknown_kid_interval_seconds: float = 60.0


class _FetchFailed(Exception):
    def __init__(self, outcome: str) -> None:
        super().__init__(outcome)
        self.outcome = outcome


@dataclass
class _Entry:
    org_id: str
    uri: str
    keys: dict[str, jwt.PyJWK] = field(default_factory=dict)
    good_until: float = 0.0  # monotonic; keys count until then
    wait: float = 0.0  # seconds until the next background fetch
    last_forced: float = float("-inf")
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    task: asyncio.Task[None] | None = None


class RemoteJwks:
    """The remote keys of every organisation with a `jwks_uri`, for one process."""

    def __init__(
        self,
        policy: JwksPolicy,
        metrics: Metrics | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._policy = policy
        self._metrics = metrics
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._session: aiohttp.ClientSession | None = None

    def get(self, org_id: str, kid: str) -> jwt.PyJWK | None:
        """The key `kid` of `org_id` from its jwks_uri, if fetched and not stale."""
        entry = self._entries.get(org_id)
        if entry is None or self._clock() >= entry.good_until:
            return None
        return entry.keys.get(kid)

    def kids(self, org_id: str) -> frozenset[str]:
        entry = self._entries.get(org_id)
        if entry is None or self._clock() >= entry.good_until:
            return frozenset()
        return frozenset(entry.keys)

    async def start(self, session: aiohttp.ClientSession, orgs: Iterable[Organisation]) -> None:
        self._session = session
        self.sync(orgs)

    def sync(self, orgs: Iterable[Organisation]) -> None:
        """Follow the configuration: a task per `jwks_uri`; a changed URI starts afresh."""
        wanted = {org.id: org.jwks_uri for org in orgs if org.jwks_uri}
        for org_id, entry in list(self._entries.items()):
            if wanted.get(org_id) != entry.uri:
                self._stop(entry)
                del self._entries[org_id]
                self._gauge(org_id, 0)
        for org_id, uri in wanted.items():
            if org_id not in self._entries:
                entry = _Entry(org_id, uri)
                self._entries[org_id] = entry
                if self._session is not None:
                    entry.task = asyncio.create_task(self._run(entry), name=f"jwks-{org_id}")

    async def close(self) -> None:
        for entry in self._entries.values():
            self._stop(entry)
        tasks = [e.task for e in self._entries.values() if e.task is not None]
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._entries.clear()
        self._session = None

    async def refresh_for_unknown_kid(self, org: Organisation) -> bool:
        """Fetch `org`'s keys now, unless it was done within the rate limit.

        True if a fetch ran (or was running) so the caller may look the key up again;
        False if none may run now (the caller refuses the token as it stands).
        """
        entry = self._entries.get(org.id)
        if entry is None or self._session is None or entry.uri != org.jwks_uri:
            return False
        if entry.lock.locked():  # a fetch is under way: share it
            async with entry.lock:
                return True
        now = self._clock()
        if now - entry.last_forced < self._policy.unknown_kid_interval_seconds:
            return False
        entry.last_forced = now
        await self._refresh(entry)
        return True

    def _stop(self, entry: _Entry) -> None:
        if entry.task is not None:
            entry.task.cancel()

    async def _run(self, entry: _Entry) -> None:
        while True:
            try:
                await self._refresh(entry)
            except Exception as exc:  # a bug must not end the refresh: fail closed, retry
                log.error("jwks_refresh_error", org=entry.org_id, error_type=type(exc).__name__)
                self._failed(entry, "invalid")
            await asyncio.sleep(entry.wait)

    async def _refresh(self, entry: _Entry) -> None:
        async with entry.lock:
            try:
                keys, max_age = await self._fetch(entry)
            except _FetchFailed as failed:
                self._failed(entry, failed.outcome)
                return
            entry.keys = keys
            entry.good_until = self._clock() + self._policy.max_staleness_seconds
            entry.wait = self._bounded(max_age)
            self._count(entry.org_id, "ok")
            self._gauge(entry.org_id, len(keys))

    def _failed(self, entry: _Entry, outcome: str) -> None:
        stale = self._clock() >= entry.good_until
        if stale and entry.keys:
            entry.keys = {}  # past the maximum staleness: no key from this source counts
            self._gauge(entry.org_id, 0)
        log.warning("jwks_fetch_failed", org=entry.org_id, outcome=outcome, count=len(entry.keys))
        self._count(entry.org_id, outcome)
        # Back off, doubling, within the bounds.
        entry.wait = self._bounded(max(entry.wait * 2, self._policy.refresh_min_seconds))

    def _bounded(self, seconds: float | None) -> float:
        low, high = self._policy.refresh_min_seconds, self._policy.refresh_max_seconds
        return min(max(seconds if seconds is not None else low, low), high)

    async def _fetch(self, entry: _Entry) -> tuple[dict[str, jwt.PyJWK], float | None]:
        session = self._session
        if session is None:
            raise _FetchFailed("unreachable")
        timeout = aiohttp.ClientTimeout(total=self._policy.timeout_seconds)
        try:
            async with session.get(
                entry.uri,
                timeout=timeout,
                allow_redirects=False,
                headers={"Accept": "application/jwk-set+json, application/json"},
            ) as response:
                if response.status != 200:
                    raise _FetchFailed("http_error")
                if (response.content_length or 0) > MAX_BYTES:
                    raise _FetchFailed("too_large")
                body = bytearray()
                async for chunk in response.content.iter_chunked(16 * 1024):
                    body.extend(chunk)
                    if len(body) > MAX_BYTES:
                        raise _FetchFailed("too_large")
                cache_control = response.headers.get("Cache-Control", "")
        except TimeoutError:
            raise _FetchFailed("timeout") from None
        except (aiohttp.ClientError, OSError, ValueError):
            raise _FetchFailed("unreachable") from None
        return _parse_jwks(bytes(body), entry.org_id), _max_age(cache_control)

    def _count(self, org_id: str, outcome: str) -> None:
        if self._metrics is not None:
            self._metrics.jwks_fetches.labels(org_id, closed(outcome, JWKS_OUTCOMES)).inc()

    def _gauge(self, org_id: str, count: int) -> None:
        if self._metrics is not None:
            self._metrics.jwks_keys.labels(org_id).set(count)


def _max_age(cache_control: str) -> float | None:
    lowered = cache_control.lower()
    if "no-store" in lowered or "no-cache" in lowered:
        return 0.0
    match = _MAX_AGE.search(cache_control)
    return float(match.group(1)) if match else None


def _parse_jwks(body: bytes, org_id: str) -> dict[str, jwt.PyJWK]:
    """The signing keys of a JWKS document, all valid, or `_FetchFailed("invalid")`."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise _FetchFailed("invalid") from None
    raw_keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(raw_keys, list) or len(raw_keys) > MAX_KEYS:
        raise _FetchFailed("invalid")
    keys: dict[str, jwt.PyJWK] = {}
    for jwk in raw_keys:
        if isinstance(jwk, dict) and jwk.get("use") == "enc":
            continue  # an encryption key signs nothing here
        try:
            key = public_key(jwk, f"jwks_uri:{org_id}")
        except Exception:  # SettingsError, or whatever a hostile document provokes
            raise _FetchFailed("invalid") from None
        kid = str(jwk["kid"])
        if kid in keys:
            raise _FetchFailed("invalid")
        keys[kid] = key
    return keys
