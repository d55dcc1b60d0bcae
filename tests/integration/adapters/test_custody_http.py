"""HttpCustodySource against the reference custody register on a real socket, real JWTs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.custody_http import PERSONEN_PATH, REGISTER_ID, HttpCustodySource, gezag_holders
from adapters.errors import SourceUnavailable
from adapters.reference.custody_register import CustodyRegister, create_custody_register_app
from adapters.reference.jwks import StaticJwks
from adapters.reference.synthetic import Population

ISSUER = "http://gateway.test"  # what the adapters suite's conftest signs as the gateway
GatewayKey = Any  # tests/integration/adapters/conftest.py's key (a fixture value)


def _url(server: TestServer) -> str:
    return str(server.make_url("")).rstrip("/")


async def _register(
    aiohttp_server: Any, population: Population, gateway_key: GatewayKey
) -> tuple[TestServer, CustodyRegister]:
    register = CustodyRegister.from_population(population)
    app = create_custody_register_app(register, StaticJwks(gateway_key.jwks), ISSUER)
    return await aiohttp_server(app), register


async def test_the_register_answers_birth_dates_and_custody_holders(
    aiohttp_server: Any,
    population: Population,
    gateway_key: GatewayKey,
    session: aiohttp.ClientSession,
    tokens: Callable[[str], str],
) -> None:
    server, register = await _register(aiohttp_server, population, gateway_key)
    source = HttpCustodySource(_url(server), session, tokens)
    child = population.scenario("parent_without_custody")  # names a parent, not the child
    kids = [p for p in population.people if p.role == "child"]
    adult = population.scenario("adult")
    found = await source.entries([k.bsn for k in kids] + [adult.bsn, "999999990"])
    assert "999999990" not in found  # unknown to the register: absent
    assert found[adult.bsn].custody_holders == frozenset()
    for kid in kids:
        links = [c for h in population.households for c in h.custody if c.child_bsn == kid.bsn]
        assert found[kid.bsn].birth_date == kid.birth_date
        assert found[kid.bsn].custody_holders == {c.parent_bsn for c in links if c.has_custody}
    assert child.bsn not in repr(found)  # no BSN in a repr that could reach a log
    parent, kid = next(
        (c.parent_bsn, c.child_bsn)
        for h in population.households
        for c in h.custody
        if c.has_custody
    )
    register.end_custody(parent, kid)
    assert parent not in (await source.entries([kid]))[kid].custody_holders


async def test_the_bsn_travels_in_the_body_never_the_url(
    aiohttp_server: Any, session: aiohttp.ClientSession, tokens: Callable[[str], str]
) -> None:
    seen: list[tuple[str, Any, str]] = []

    async def capture(request: web.Request) -> web.Response:
        seen.append((str(request.url), await request.json(), request.headers["Authorization"]))
        return web.json_response({"personen": []})

    app = web.Application()
    app.router.add_post(PERSONEN_PATH, capture)
    server = await aiohttp_server(app)
    await HttpCustodySource(_url(server), session, tokens).entries(["999999990"])
    ((url, body, authorization),) = seen
    assert "999999990" not in url
    assert body == {
        "type": "RaadpleegMetBurgerservicenummer",
        "burgerservicenummer": ["999999990"],
        "fields": ["burgerservicenummer", "geboorte.datum", "gezag"],
    }
    assert authorization.startswith("Bearer ")


async def test_a_token_for_another_audience_is_refused_by_the_register(
    aiohttp_server: Any,
    population: Population,
    gateway_key: GatewayKey,
    session: aiohttp.ClientSession,
) -> None:
    server, _ = await _register(aiohttp_server, population, gateway_key)
    wrong = HttpCustodySource(
        _url(server), session, lambda _aud: gateway_key.token_factory("wijkteam")
    )
    with pytest.raises(SourceUnavailable) as raised:
        await wrong.entries([population.scenario("adult").bsn])
    assert (raised.value.source_id, raised.value.reason_code) == (REGISTER_ID, "unauthorized")


def _answering(document: Any, status: int = 200, delay: float = 0.0) -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        await asyncio.sleep(delay)
        if isinstance(document, bytes):
            return web.Response(body=document, status=status)
        return web.json_response(document, status=status)

    app = web.Application()
    app.router.add_post(PERSONEN_PATH, handler)
    return app


ASKED = "999999990"
OTHER = "999999989"
_BIRTH = {"datum": {"type": "Datum", "datum": "2019-04-01"}}


@pytest.mark.parametrize(
    ("app", "reason"),
    [
        (_answering({"personen": []}, status=500), "http_error"),
        (_answering(b"not json"), "bad_response"),
        # JSON the parser gives up on without a JSONDecodeError: too deep, too many digits
        (_answering(b"[" * 100_000), "bad_response"),
        (_answering(b'{"personen": [], "n": 1' + b"0" * 5000 + b"}"), "bad_response"),
        (_answering({"personen": "nobody"}), "bad_response"),
        (_answering({"personen": [{"burgerservicenummer": ASKED}]}), "bad_response"),
        (  # an answer about someone the gateway did not ask about
            _answering({"personen": [{"burgerservicenummer": OTHER, "geboorte": _BIRTH}]}),
            "bad_response",
        ),
        (
            _answering(
                {
                    "personen": [
                        {
                            "burgerservicenummer": ASKED,
                            "geboorte": _BIRTH,
                            "gezag": [{"type": "EenhoofdigOuderlijkGezag", "ouder": "x"}],
                        }
                    ]
                }
            ),
            "bad_response",
        ),
        (_answering({"personen": []}, delay=1.0), "timeout"),
    ],
)
async def test_every_failure_becomes_source_unavailable(
    aiohttp_server: Any,
    session: aiohttp.ClientSession,
    tokens: Callable[[str], str],
    app: web.Application,
    reason: str,
) -> None:
    server = await aiohttp_server(app)
    source = HttpCustodySource(_url(server), session, tokens, timeout=0.3)
    with pytest.raises(SourceUnavailable) as raised:
        await source.entries([ASKED])
    assert raised.value.reason_code == reason


async def test_an_unreachable_register_is_a_connection_error(
    session: aiohttp.ClientSession, tokens: Callable[[str], str]
) -> None:
    from support import free_port

    source = HttpCustodySource(f"http://127.0.0.1:{free_port()}", session, tokens)
    with pytest.raises(SourceUnavailable) as raised:
        await source.entries([ASKED])
    assert raised.value.reason_code == "connection_error"


def test_gezag_kinds_name_their_holders_and_unknown_kinds_name_nobody() -> None:
    def person(bsn: str) -> dict[str, str]:
        return {"burgerservicenummer": bsn}

    one, two, three, four, five = "999999990", "999999989", "999999977", "999999965", "999999953"
    assert gezag_holders(
        [
            {"type": "TweehoofdigOuderlijkGezag", "ouders": [person(one), person(two)]},
            {"type": "GezamenlijkGezag", "ouder": person(three), "derde": person(four)},
            {"type": "Voogdij", "derden": [person(five)]},
            {"type": "GezagNietTeBepalen", "toelichting": "..."},
        ]
    ) == frozenset({one, two, three, four, five})
    with pytest.raises(ValueError, match="valid burgerservicenummer"):
        gezag_holders([{"type": "Voogdij", "derden": [person("123456789")]}])
    assert gezag_holders([{"type": "TijdelijkGeenGezag"}]) == frozenset()
    with pytest.raises(ValueError, match="must be a list"):
        gezag_holders({"type": "Voogdij"})


async def test_the_register_names_a_parents_children_for_the_portal(
    aiohttp_server: Any,
    population: Population,
    gateway_key: GatewayKey,
    session: aiohttp.ClientSession,
    tokens: Callable[[str], str],
) -> None:
    server, _ = await _register(aiohttp_server, population, gateway_key)
    source = HttpCustodySource(_url(server), session, tokens)
    for household in population.households:
        for link in household.custody:  # with or without custody: kinderen is parentage
            assert link.child_bsn in await source.children(link.parent_bsn)
    assert await source.children(population.scenario("adult").bsn) == ()
    assert await source.children("999999990") == ()  # unknown: nobody


@pytest.mark.parametrize(
    "answer",
    [
        {"personen": [{"burgerservicenummer": OTHER, "kinderen": []}]},
        {"personen": [{"burgerservicenummer": ASKED, "kinderen": "x"}]},
        {"personen": [{"burgerservicenummer": ASKED, "kinderen": [{"burgerservicenummer": 1}]}]},
        {"personen": [{"burgerservicenummer": ASKED, "kinderen": [{"burgerservicenummer": "1"}]}]},
    ],
)
async def test_a_malformed_children_answer_is_source_unavailable(
    aiohttp_server: Any,
    session: aiohttp.ClientSession,
    tokens: Callable[[str], str],
    answer: dict[str, Any],
) -> None:
    server = await aiohttp_server(_answering(answer))
    source = HttpCustodySource(_url(server), session, tokens, timeout=0.3)
    with pytest.raises(SourceUnavailable) as raised:
        await source.children(ASKED)
    assert raised.value.reason_code == "bad_response"
