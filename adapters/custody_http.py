"""Ask the custody register (Haal Centraal BRP personen / gezag shape) over HTTP.

`POST {base_url}/haalcentraal/api/brp/personen` with
`{"type": "RaadpleegMetBurgerservicenummer", "burgerservicenummer": [...], "fields": [...]}`
answers `{"personen": [{"burgerservicenummer", "geboorte": {"datum": ...}, "gezag": [...]}]}`.
The BSNs travel in the body only, never in a URL; the call carries a short-lived gateway
token (audience: the register) like every source call. Every failure (connection, status,
timeout, oversized or malformed answer, a person the gateway did not ask about) becomes
`SourceUnavailable` with a stable reason; the gateway maps it to the custody port's error.

Gezag kinds understood: `EenhoofdigOuderlijkGezag` (`ouder`), `TweehoofdigOuderlijkGezag`
(`ouders`), `GezamenlijkGezag` (`ouder`, `derde`) and `Voogdij` (`derden`); any other kind
(e.g. `GezagNietTeBepalen`, `TijdelijkGeenGezag`) names nobody, so nobody counts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import aiohttp

from adapters.errors import (
    REASON_BAD_RESPONSE,
    REASON_TIMEOUT,
    REASON_TOKEN_ERROR,
    AdapterConfigError,
    SourceUnavailable,
)
from adapters.http import post_json

__all__ = [
    "PERSONEN_PATH",
    "REGISTER_ID",
    "HttpCustodySource",
    "RegisterEntry",
    "gezag_holders",
]

PERSONEN_PATH = "/haalcentraal/api/brp/personen"
REGISTER_ID = "custody-register"
FIELDS = ("burgerservicenummer", "geboorte.datum", "gezag")
CHILDREN_FIELDS = ("burgerservicenummer", "kinderen.burgerservicenummer")
MAX_RESPONSE_BYTES = 256 * 1024
MAX_PERSONS = 30  # one household at most


@dataclass(frozen=True, slots=True)
class RegisterEntry:
    """One person as the register answers: birth date and custody holders (BSNs)."""

    bsn: str
    birth_date: date
    custody_holders: frozenset[str]

    def __repr__(self) -> str:  # never a BSN in a log line or a traceback
        return f"RegisterEntry(birth_date={self.birth_date}, holders={len(self.custody_holders)})"


def gezag_holders(gezag: Any) -> frozenset[str]:
    """The BSNs holding custody in a Haal Centraal `gezag` list (ValueError if malformed)."""
    if not isinstance(gezag, list):
        raise ValueError("gezag must be a list")
    holders: set[str] = set()
    for relation in gezag:
        if not isinstance(relation, dict) or not isinstance(relation.get("type"), str):
            raise ValueError("a gezag relation needs a type")
        kind = relation["type"]
        people: list[Any] = []
        if kind == "EenhoofdigOuderlijkGezag":
            people = [relation.get("ouder")]
        elif kind == "TweehoofdigOuderlijkGezag":
            people = list(relation.get("ouders") or [])
        elif kind == "GezamenlijkGezag":
            people = [relation.get("ouder"), relation.get("derde")]
        elif kind == "Voogdij":
            people = list(relation.get("derden") or [])
        for person in people:
            if person is None:
                continue
            if not isinstance(person, dict) or not _valid_bsn(person.get("burgerservicenummer")):
                raise ValueError("a custody holder needs a valid burgerservicenummer")
            holders.add(person["burgerservicenummer"])
    return frozenset(holders)


def _valid_bsn(value: Any) -> bool:
    """Nine digits passing the elfproef (what the gateway can pseudonymise)."""
    if not isinstance(value, str) or len(value) != 9 or not value.isascii() or not value.isdigit():
        return False
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    return sum(int(d) * w for d, w in zip(value, weights, strict=True)) % 11 == 0


def _birth_date(person: Mapping[str, Any]) -> date:
    geboorte = person.get("geboorte")
    raw = geboorte.get("datum") if isinstance(geboorte, dict) else None
    if isinstance(raw, dict):  # BRP API 2: {"type": "Datum", "datum": "2017-05-01", ...}
        raw = raw.get("datum")
    if not isinstance(raw, str):
        raise ValueError("geboorte.datum missing")
    return date.fromisoformat(raw)


class HttpCustodySource:
    """The custody register behind `POST {base_url}/haalcentraal/api/brp/personen`."""

    def __init__(
        self,
        base_url: str,
        session: aiohttp.ClientSession,
        token_factory: Callable[[str], str],
        timeout: float = 2.0,
        *,
        audience: str = REGISTER_ID,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise AdapterConfigError(REGISTER_ID, "base_url must be an http(s) URL")
        if timeout <= 0:
            raise AdapterConfigError(REGISTER_ID, "timeout must be positive")
        self.timeout = timeout
        self.audience = audience
        self._url = base_url.rstrip("/") + PERSONEN_PATH
        self._session = session
        self._token_factory = token_factory

    def __repr__(self) -> str:
        return f"HttpCustodySource({self._url!r})"

    async def entries(self, bsns: Sequence[str]) -> dict[str, RegisterEntry]:
        """The register's entry for each BSN it knows (unknown people are absent)."""
        asked = list(dict.fromkeys(bsns))
        if not asked:
            return {}
        if len(asked) > MAX_PERSONS:
            raise SourceUnavailable(REGISTER_ID, REASON_BAD_RESPONSE)
        document = await self._ask(asked, FIELDS)
        try:
            return _entries(document, frozenset(asked))
        except (ValueError, TypeError) as exc:
            raise SourceUnavailable(REGISTER_ID, REASON_BAD_RESPONSE) from exc

    async def children(self, bsn: str) -> tuple[str, ...]:
        """The BSNs of `bsn`'s children (`kinderen`) as the register knows them (the
        household portal asks the sources about a child by this; custody is decided
        apart, on `gezag`). An unknown person has none."""
        document = await self._ask([bsn], CHILDREN_FIELDS)
        try:
            return _children(document, bsn)
        except (ValueError, TypeError) as exc:
            raise SourceUnavailable(REGISTER_ID, REASON_BAD_RESPONSE) from exc

    async def _ask(self, asked: list[str], fields: Sequence[str]) -> Any:
        try:
            token = self._token_factory(self.audience)
        except Exception as exc:  # the gateway's signer failed: no call without a token
            raise SourceUnavailable(REGISTER_ID, REASON_TOKEN_ERROR) from exc
        body = {
            "type": "RaadpleegMetBurgerservicenummer",
            "burgerservicenummer": asked,
            "fields": list(fields),
        }
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        try:
            async with asyncio.timeout(self.timeout):
                return await self._post(body, headers)
        except TimeoutError as exc:
            raise SourceUnavailable(REGISTER_ID, REASON_TIMEOUT) from exc

    async def _post(self, body: dict[str, Any], headers: dict[str, str]) -> Any:
        return await post_json(
            self._session,
            self._url,
            body,
            headers,
            timeout_seconds=self.timeout,
            source=REGISTER_ID,
            limit=MAX_RESPONSE_BYTES,
        )


def _children(document: Any, bsn: str) -> tuple[str, ...]:
    if not isinstance(document, dict) or not isinstance(document.get("personen"), list):
        raise ValueError("personen missing")
    children: list[str] = []
    for person in document["personen"]:
        if not isinstance(person, dict) or person.get("burgerservicenummer") != bsn:
            raise ValueError("an answer about a person the gateway did not ask about")
        kinderen = person.get("kinderen", [])
        if not isinstance(kinderen, list):
            raise ValueError("kinderen must be a list")
        for kind in kinderen:
            value = kind.get("burgerservicenummer") if isinstance(kind, dict) else None
            if not _valid_bsn(value):
                raise ValueError("a child without a valid burgerservicenummer")
            assert isinstance(value, str)
            children.append(value)
    return tuple(dict.fromkeys(children))


def _entries(document: Any, asked: frozenset[str]) -> dict[str, RegisterEntry]:
    if not isinstance(document, dict) or not isinstance(document.get("personen"), list):
        raise ValueError("personen missing")
    found: dict[str, RegisterEntry] = {}
    for person in document["personen"]:
        if not isinstance(person, dict):
            raise ValueError("a person must be an object")
        bsn = person.get("burgerservicenummer")
        if not isinstance(bsn, str) or bsn not in asked or bsn in found:
            raise ValueError("an answer about a person the gateway did not ask about")
        found[bsn] = RegisterEntry(bsn, _birth_date(person), gezag_holders(person.get("gezag", [])))
    return found
