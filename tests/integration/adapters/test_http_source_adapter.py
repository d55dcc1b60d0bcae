"""HttpSourceAdapter against real reference sources on real sockets, real Ed25519 JWTs."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.base import FetchRequest
from adapters.errors import SourceUnavailable
from adapters.http import QUERY_PATH, HttpSourceAdapter
from adapters.mapping import FieldMapping, load_mapping
from adapters.reference.app import SEEN_KEY
from adapters.reference.synthetic import Population
from adapters.registry import fetch_all

CONFIG_SOURCES = Path(__file__).resolve().parents[3] / "config" / "sources"
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def request_for(bsn: str, *categories: str, request_id: str = "req-1") -> FetchRequest:
    return FetchRequest(
        bsn=bsn,
        categories=categories,
        purpose="support_planning",
        requester_id="wijkteam",
        request_id=request_id,
        traceparent=TRACEPARENT,
    )


def source_mapping(name: str) -> FieldMapping:
    return load_mapping(CONFIG_SOURCES / f"{name}.toml")


def url_of(server: TestServer) -> str:
    return str(server.make_url("")).rstrip("/")


def adapter_for(
    server: TestServer,
    name: str,
    session: aiohttp.ClientSession,
    tokens: Callable[[str], str],
    *,
    source_id: str | None = None,
    timeout: float = 2.0,
) -> HttpSourceAdapter:
    return HttpSourceAdapter(
        source_id or name, url_of(server), source_mapping(name), session, tokens, timeout
    )


def all_values(records: dict[str, list[dict[str, Any]]]) -> str:
    return json.dumps(records, ensure_ascii=False)


async def test_returns_only_requested_categories_with_mapped_fields(
    start_source: Callable[..., Awaitable[TestServer]],
    session: aiohttp.ClientSession,
    tokens: Callable[[str], str],
    population: Population,
) -> None:
    server = await start_source("wijkteam")
    adapter = adapter_for(server, "wijkteam", session, tokens)
    person = population.scenario("child_consented_at_11")

    records = await adapter.fetch(request_for(person.bsn, "contact_details", "school"))

    assert set(records) == {"contact_details", "school"}
    (contact,) = records["contact_details"]
    assert contact["name"] == person.name
    assert set(contact) == {
        "name",
        "street",
        "house_number",
        "postal_code",
        "city",
        "phone",
        "email",
    }
    assert set(records["school"][0]) <= {"school", "class", "signal", "attendance_officer_involved"}
    text = all_values(records)
    # The source sent its internal notes, health notes, the BSN and the support plan too.
    assert "INTERN" not in text
    assert person.bsn not in text
    assert "huisarts" not in text
    assert "Rust en regelmaat" not in text


async def test_reporter_identity_only_when_requested(
    start_source: Callable[..., Awaitable[TestServer]],
    session: aiohttp.ClientSession,
    tokens: Callable[[str], str],
    population: Population,
) -> None:
    server = await start_source("veilig_thuis")
    adapter = adapter_for(server, "veilig_thuis", session, tokens)
    bsn = population.scenarios["vt_report_subject"]
    reporter = population.document("veilig_thuis", bsn)["meldingen"][0]["melder"]  # type: ignore[index]

    without = await adapter.fetch(request_for(bsn, "reports", "safety_assessment"))
    with_reporter = await adapter.fetch(request_for(bsn, "reports", "reporter_identity"))

    assert without["reports"][0]["report_id"].startswith("VT-")
    assert without["safety_assessment"][0]["outcome"] in {"onveilig", "voorwaardelijk veilig"}
    assert reporter["naam"] not in all_values(without)
    assert reporter["telefoon"] not in all_values(without)
    assert with_reporter["reporter_identity"] == [
        {
            "report_id": without["reports"][0]["report_id"],
            "name": reporter["naam"],
            "relationship": reporter["relatie"],
            "phone": reporter["telefoon"],
        }
    ]


async def test_shelter_address_is_its_own_category(
    start_source: Callable[..., Awaitable[TestServer]],
    session: aiohttp.ClientSession,
    tokens: Callable[[str], str],
    population: Population,
) -> None:
    server = await start_source("veilig_thuis")
    adapter = adapter_for(server, "veilig_thuis", session, tokens)
    bsn = population.scenarios["shelter_address"]

    contact = await adapter.fetch(request_for(bsn, "contact_details"))
    shelter = await adapter.fetch(request_for(bsn, "shelter_address"))

    assert "geheim" not in all_values(contact)
    assert "Opvanglocatie" in shelter["shelter_address"][0]["city"]


async def test_unknown_subject_gives_empty_lists(
    start_source: Callable[..., Awaitable[TestServer]],
    session: aiohttp.ClientSession,
    tokens: Callable[[str], str],
) -> None:
    server = await start_source("gi")
    adapter = adapter_for(server, "gi", session, tokens)

    records = await adapter.fetch(request_for("999900006", "protection_measures", "health"))

    assert records == {"protection_measures": [], "health": []}


async def test_passes_traceparent_and_request_id_but_never_the_bsn_in_the_url(
    start_source: Callable[..., Awaitable[TestServer]],
    session: aiohttp.ClientSession,
    tokens: Callable[[str], str],
    population: Population,
) -> None:
    server = await start_source("gi")
    adapter = adapter_for(server, "gi", session, tokens)
    bsn = population.scenarios["child_under_ots"]

    records = await adapter.fetch(request_for(bsn, "protection_measures", request_id="req-42"))

    assert records["protection_measures"][0]["measure"] == "OTS"
    (seen,) = server.app[SEEN_KEY]
    assert seen.traceparent == TRACEPARENT
    assert seen.request_id == "req-42"
    assert seen.purpose == "support_planning"
    assert seen.categories == ("protection_measures",)
    assert adapter._url.endswith(QUERY_PATH)
    assert bsn not in adapter._url


async def test_rvt_merged_view_maps_measures_and_investigations(
    start_source: Callable[..., Awaitable[TestServer]],
    session: aiohttp.ClientSession,
    tokens: Callable[[str], str],
    population: Population,
) -> None:
    server = await start_source("rvt", "rvt-utrecht")
    adapter = adapter_for(server, "rvt", session, tokens, source_id="rvt-utrecht")
    bsn = population.scenarios["child_under_ots"]

    records = await adapter.fetch(
        request_for(bsn, "protection_measures", "investigation_reports", "court_decisions")
    )

    assert records["protection_measures"][0]["measure"] == "OTS"
    assert records["investigation_reports"][0]["kind"] == "beschermingsonderzoek"
    assert len(records["court_decisions"]) == 1  # GI's and RvdK's copy merged
    assert "INTERN" not in all_values(records)


# --- a sloppy source sending more than it should ---------------------------------------


def sloppy_app(document: dict[str, Any]) -> web.Application:
    async def query(request: web.Request) -> web.Response:
        return web.json_response(document)

    app = web.Application()
    app.router.add_post(QUERY_PATH, query)
    return app


async def test_fields_outside_the_mapping_or_categories_never_leak(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
    session: aiohttp.ClientSession,
    tokens: Callable[[str], str],
) -> None:
    document = {
        "client": {
            "naam": "Anna Test-Synthetisch",
            "telefoon": {
                "nummer": "000-1",
                "geheim": "LEAK-NESTED",
            },  # an object where a value belongs
            "diagnose": "LEAK-UNMAPPED",
            "adres": {"straat": "Proefstraat", "extra": "LEAK-DEEP"},
        },
        "gezondheid": [{"notitie": "LEAK-OTHER-CATEGORY"}],
        "financien": {"schulden_euro": [{"x": "LEAK-LIST-OF-OBJECTS"}]},
        "onbekend": {"whatever": "LEAK-UNKNOWN-COLLECTION"},
    }
    server = await aiohttp_server(sloppy_app(document))
    adapter = adapter_for(server, "wijkteam", session, tokens)

    records = await adapter.fetch(request_for("999900006", "contact_details", "finances"))

    assert records == {
        "contact_details": [{"name": "Anna Test-Synthetisch", "street": "Proefstraat"}],
        "finances": [],
    }
    assert "LEAK" not in all_values(records)


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (500, b'{"error": "boom"}', "http_error"),
        (404, b"{}", "http_error"),
        (401, b"{}", "unauthorized"),
        (200, b"this is not json", "bad_response"),
        # JSON the parser gives up on without a JSONDecodeError: too deep, too many digits
        (200, b"[" * 100_000, "bad_response"),
        (200, b'{"n": 1' + b"0" * 5000 + b"}", "bad_response"),
        (200, b"[1, 2, 3]", "bad_response"),
        (200, b'{"client": "a string where an object belongs"}', "bad_response"),
    ],
)
async def test_broken_answers_make_the_source_unavailable(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
    session: aiohttp.ClientSession,
    tokens: Callable[[str], str],
    status: int,
    body: bytes,
    reason: str,
) -> None:
    async def query(request: web.Request) -> web.Response:
        return web.Response(status=status, body=body, content_type="application/json")

    app = web.Application()
    app.router.add_post(QUERY_PATH, query)
    server = await aiohttp_server(app)
    adapter = adapter_for(server, "wijkteam", session, tokens)

    with pytest.raises(SourceUnavailable) as caught:
        await adapter.fetch(request_for("999900006", "contact_details"))

    assert caught.value.source_id == "wijkteam"
    assert caught.value.reason_code == reason
    assert caught.value.code == "source_unavailable"


async def test_connection_refused_makes_the_source_unavailable(
    session: aiohttp.ClientSession, tokens: Callable[[str], str], unused_tcp_port: int
) -> None:
    adapter = HttpSourceAdapter(
        "gi",
        f"http://127.0.0.1:{unused_tcp_port}",
        source_mapping("gi"),
        session,
        tokens,
    )

    with pytest.raises(SourceUnavailable) as caught:
        await adapter.fetch(request_for("999900006", "contact_details"))

    assert caught.value.reason_code == "connection_error"
    assert isinstance(caught.value.__cause__, aiohttp.ClientError | OSError)


async def test_failing_token_factory_means_no_call(
    start_source: Callable[..., Awaitable[TestServer]], session: aiohttp.ClientSession
) -> None:
    server = await start_source("gi")

    def broken_signer(audience: str) -> str:
        raise RuntimeError("key store unavailable")

    adapter = adapter_for(server, "gi", session, broken_signer)

    with pytest.raises(SourceUnavailable) as caught:
        await adapter.fetch(request_for("999900006", "contact_details"))

    assert caught.value.reason_code == "token_error"
    assert len(server.app[SEEN_KEY]) == 0


# --- timeouts: a hanging source does not hold up the others -------------------------------


async def test_hanging_source_times_out_while_others_answer(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
    start_source: Callable[..., Awaitable[TestServer]],
    session: aiohttp.ClientSession,
    tokens: Callable[[str], str],
    population: Population,
) -> None:
    release = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({})

    slow_app = web.Application()
    slow_app.router.add_post(QUERY_PATH, hang)
    slow = await aiohttp_server(slow_app)
    wijkteam = await start_source("wijkteam")
    adapters = [
        adapter_for(slow, "gi", session, tokens, timeout=0.3),
        adapter_for(wijkteam, "wijkteam", session, tokens, timeout=2.0),
    ]
    bsn = population.scenarios["child_consented_at_11"]
    requests = {
        "gi": request_for(bsn, "protection_measures"),
        "wijkteam": request_for(bsn, "contact_details"),
    }

    started = time.monotonic()
    results = await fetch_all(adapters, requests, deadline=5.0)
    elapsed = time.monotonic() - started
    release.set()

    assert elapsed < 1.5
    gi = results["gi"]
    assert isinstance(gi, SourceUnavailable)
    assert gi.reason_code == "timeout"
    wijk = results["wijkteam"]
    assert not isinstance(wijk, SourceUnavailable)
    assert wijk["contact_details"][0]["name"] == population.scenario("child_consented_at_11").name


async def test_single_adapter_honours_its_own_timeout(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
    session: aiohttp.ClientSession,
    tokens: Callable[[str], str],
) -> None:
    release = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({})

    app = web.Application()
    app.router.add_post(QUERY_PATH, hang)
    server = await aiohttp_server(app)
    adapter = adapter_for(server, "gi", session, tokens, timeout=0.2)

    started = time.monotonic()
    with pytest.raises(SourceUnavailable) as caught:
        await adapter.fetch(request_for("999900006", "contact_details"))
    release.set()

    assert caught.value.reason_code == "timeout"
    assert time.monotonic() - started < 1.0
