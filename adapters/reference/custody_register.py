"""A reference custody register: a small real aiohttp service over synthetic people.

It answers like the Haal Centraal BRP personen API with the gezag fields
(`POST /haalcentraal/api/brp/personen`, see `adapters.custody_http`): for each
BSN asked about that it knows, the birth date, the parents and who holds custody
(gezag). Unknown people are simply absent from `personen`. Tokens are checked as
the other reference sources check them (`verify_gateway_token`; audience
`custody-register`). `GET /healthz` answers without a token.

`CustodyRegister` holds the facts and can change (custody granted or ended), so
the demo and the tests can show the gateway following the register.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from aiohttp import web

from adapters.custody_http import MAX_PERSONS, PERSONEN_PATH, REGISTER_ID
from adapters.reference.jwks import JwksProvider, TokenRejectedError, verify_gateway_token
from adapters.reference.synthetic import Population, elfproef

__all__ = ["REGISTER_KEY", "CustodyRegister", "create_custody_register_app"]

MAX_BODY = 16 * 1024


@dataclass
class _Entry:
    birth_date: date
    parents: set[str] = field(default_factory=set)
    custody: set[str] = field(default_factory=set)


class CustodyRegister:
    """The register's facts, by BSN: birth date, parents, holders of custody."""

    def __init__(self) -> None:
        self._people: dict[str, _Entry] = {}

    @classmethod
    def from_population(cls, population: Population) -> CustodyRegister:
        """Everyone in the synthetic population; `Custody.has_custody` says who has gezag."""
        register = cls()
        for person in population.people:
            register.add_person(person.bsn, person.birth_date)
        for household in population.households:
            for link in household.custody:
                entry = register._people[link.child_bsn]
                entry.parents.add(link.parent_bsn)
                if link.has_custody:
                    entry.custody.add(link.parent_bsn)
        return register

    def add_person(self, bsn: str, birth_date: date, custody_holders: tuple[str, ...] = ()) -> None:
        self._people[bsn] = _Entry(birth_date, set(custody_holders), set(custody_holders))

    def grant_custody(self, parent: str, child: str) -> None:
        self._people[child].custody.add(parent)

    def end_custody(self, parent: str, child: str) -> None:
        """A court ends a parent's custody (the gateway must follow within its freshness)."""
        self._people[child].custody.discard(parent)

    def answer(self, bsn: str) -> dict[str, Any] | None:
        """One person in the Haal Centraal shape, or None if the register does not know them."""
        entry = self._people.get(bsn)
        if entry is None:
            return None
        holders = sorted(entry.custody)
        minor = {"burgerservicenummer": bsn}
        gezag: list[dict[str, Any]] = []
        if len(holders) == 1:
            gezag = [
                {
                    "type": "EenhoofdigOuderlijkGezag",
                    "minderjarige": minor,
                    "ouder": {"burgerservicenummer": holders[0]},
                }
            ]
        elif len(holders) == 2:
            gezag = [
                {
                    "type": "TweehoofdigOuderlijkGezag",
                    "minderjarige": minor,
                    "ouders": [{"burgerservicenummer": h} for h in holders],
                }
            ]
        elif holders:
            gezag = [
                {
                    "type": "Voogdij",
                    "minderjarige": minor,
                    "derden": [{"burgerservicenummer": h} for h in holders],
                }
            ]
        return {
            "burgerservicenummer": bsn,
            "geboorte": {"datum": {"type": "Datum", "datum": entry.birth_date.isoformat()}},
            "ouders": [{"burgerservicenummer": p} for p in sorted(entry.parents)],
            "kinderen": [
                {"burgerservicenummer": child}
                for child, other in sorted(self._people.items())
                if bsn in other.parents
            ],
            "gezag": gezag,
        }


@dataclass(frozen=True, slots=True)
class _Config:
    audience: str
    issuer: str
    jwks: JwksProvider


REGISTER_KEY = web.AppKey("custody_register", CustodyRegister)
_CONFIG_KEY = web.AppKey("custody_register_config", _Config)


def create_custody_register_app(
    register: CustodyRegister,
    jwks: JwksProvider,
    gateway_issuer: str,
    *,
    audience: str = REGISTER_ID,
) -> web.Application:
    """The register as a service; `audience` is what the gateway's tokens must name."""
    app = web.Application(client_max_size=MAX_BODY)
    app[REGISTER_KEY] = register
    app[_CONFIG_KEY] = _Config(audience, gateway_issuer, jwks)
    app.router.add_post(PERSONEN_PATH, _personen)
    app.router.add_get("/healthz", _healthz)
    app.on_cleanup.append(_close_jwks)
    return app


async def _close_jwks(app: web.Application) -> None:
    await app[_CONFIG_KEY].jwks.aclose()


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "register": "gezag"})


async def _personen(request: web.Request) -> web.Response:
    config = request.app[_CONFIG_KEY]
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return _problem(401, "token_missing", "a Bearer token from the gateway is required")
    try:
        await verify_gateway_token(
            token.strip(), config.jwks, audience=config.audience, issuer=config.issuer
        )
    except TokenRejectedError as exc:
        return _problem(401, exc.code, exc.detail)
    try:
        body = json.loads(await request.read())
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _problem(400, "invalid_json", "the body is not JSON")
    except web.HTTPRequestEntityTooLarge:
        return _problem(413, "payload_too_large", "the body is too large")
    if not isinstance(body, dict) or body.get("type") != "RaadpleegMetBurgerservicenummer":
        return _problem(400, "validation_failed", "type must be RaadpleegMetBurgerservicenummer")
    bsns = body.get("burgerservicenummer")
    if (
        not isinstance(bsns, list)
        or not 0 < len(bsns) <= MAX_PERSONS
        or not all(isinstance(b, str) and elfproef(b) for b in bsns)
    ):
        return _problem(400, "invalid_bsn", "burgerservicenummer must be 1-30 valid BSNs")
    register = request.app[REGISTER_KEY]
    found = [register.answer(bsn) for bsn in dict.fromkeys(bsns)]
    return web.json_response(
        {"type": "RaadpleegMetBurgerservicenummer", "personen": [p for p in found if p]}
    )


def _problem(status: int, code: str, detail: str) -> web.Response:
    titles = {400: "Bad Request", 401: "Unauthorized", 413: "Payload Too Large"}
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if status == 401 else {}
    return web.json_response(
        {"type": "about:blank", "title": titles.get(status, "Error"), "status": status,
         "detail": detail, "code": code},
        status=status,
        content_type="application/problem+json",
        headers=headers,
    )  # fmt: skip
