"""The issue's "Done when", in Chromium, against the whole demo deployment on real
sockets: reference sources, the reference custody register, the demo OpenID provider
and the gateway, seeded with the demo's synthetic households.

A parent logs in through the demo provider (keyboard only), sees her dossier and the
access entry that the wijkteam's exchange (over HTTP, with an organisation token) made
a moment earlier, withdraws her consent with one confirmation, and the wijkteam's very
next exchange is refused for lack of consent. Her 13-year-old logs in and sees their
own dossier, not the parent's. axe-core checks every page; screenshots go to
docs/screenshots/.

The population is generated as of a year ago, so that the demo's 12-year-old (who just
turned 12 there) is 13 today, like the issue's child; everyone's birth date moves with
it, so the register, the sources and the gateway agree.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest
from aiohttp import web
from browser_support import check_axe
from support import REPO, GatewayFixture, free_port, make_gateway_fixture, migrate

from adapters.reference.app import create_source_app
from adapters.reference.custody_register import CustodyRegister, create_custody_register_app
from adapters.reference.jwks import StaticJwks
from adapters.reference.sqlsource import build_reference_database
from adapters.reference.synthetic import Population
from gateway.app import create_app
from gateway.appkeys import (
    AUDIT_READER,
    CASES,
    CONSENTS,
    CUSTODY,
    HOUSEHOLDS,
    KEYS,
    ORGANISATIONS,
    POLICIES,
    PSEUDONYMISER,
)
from gateway.demo.oidc_provider import (
    DEMO_CLIENT_ID,
    demo_people,
    ensure_provider_files,
    provider_for_population,
)
from gateway.demo.seed import demo_population, seed_demo

pytestmark = pytest.mark.browser

T = TypeVar("T")
WIJKTEAM = "wijkteam-utrecht"
MAX_KEYS = 80


@dataclass
class Demo:
    url: str
    fixture: GatewayFixture
    population: Population
    app: web.Application
    loop: asyncio.AbstractEventLoop

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    def exchange(self, bsn: str) -> dict[str, Any]:
        body = {
            "subject": {"bsn": bsn},
            "purpose": "support_planning",
            "categories": ["support_plan"],
            "sources": [WIJKTEAM],
        }

        async def call() -> dict[str, Any]:
            async with (
                aiohttp.ClientSession() as http,
                http.post(
                    self.url + "/api/v1/exchanges", json=body, headers=self.fixture.auth(WIJKTEAM)
                ) as response,
            ):
                assert response.status == 200, await response.text()
                answer: dict[str, Any] = await response.json()
                return answer

        return self.run(call())

    def pseudonym(self, bsn: str) -> str:
        return str(self.app[PSEUDONYMISER].pseudonym(bsn))


async def _start(data: Path) -> tuple[list[web.AppRunner], Demo]:
    fixture = make_gateway_fixture(data / "data", f"sqlite+aiosqlite:///{data / 'gateway.db'}")
    await migrate(fixture.settings.database_url)
    probe = create_app(fixture.settings)
    population = demo_population(probe[ORGANISATIONS], today=date.today() - timedelta(days=365))
    jwks = StaticJwks(probe[KEYS].jwks())
    runners: list[web.AppRunner] = []

    async def serve(app: web.Application, port: int) -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)

    config = data / "config"
    shutil.copytree(REPO / "config", config)
    organisations = (config / "organisations.toml").read_text()
    for org in probe[ORGANISATIONS]:
        adapter = org.adapter or {}
        if adapter.get("kind") == "http":
            port = free_port()
            base = str(adapter["base_url"]).rstrip("/")
            organisations = organisations.replace(base, f"http://127.0.0.1:{port}")
            source = create_source_app(
                org.id, org.type, population, jwks, audience=org.id,
                gateway_issuer=fixture.settings.audience,
            )  # fmt: skip
            await serve(source, port)
        elif adapter.get("kind") == "sql":
            url = str(adapter["url"]).replace("{data_dir}", str(fixture.settings.data_dir))
            (fixture.settings.data_dir / "sources").mkdir(exist_ok=True)
            await build_reference_database(url, population, org.id)
    (config / "organisations.toml").write_text(organisations)
    register_port, provider_port, gateway_port = free_port(), free_port(), free_port()
    register = create_custody_register_app(
        CustodyRegister.from_population(population), jwks, fixture.settings.audience
    )
    await serve(register, register_port)
    url = f"http://127.0.0.1:{gateway_port}"
    issuer = f"http://127.0.0.1:{provider_port}"
    _, secret_file = ensure_provider_files(fixture.settings.data_dir)
    provider = provider_for_population(
        issuer, f"{url}/oidc/callback", population, fixture.settings.data_dir
    )
    await serve(provider, provider_port)
    fixture.settings = replace(
        fixture.settings,
        config_dir=config,
        port=gateway_port,
        custody_register_url=f"http://127.0.0.1:{register_port}",
        oidc_issuer=issuer,
        oidc_client_id=DEMO_CLIENT_ID,
        oidc_client_secret_file=secret_file,
        oidc_redirect_url=f"{url}/oidc/callback",
    )
    app = create_app(fixture.settings)
    await serve(app, gateway_port)
    await seed_demo(
        population, app[HOUSEHOLDS], app[CONSENTS], app[PSEUDONYMISER].pseudonym,
        custody=app[CUSTODY].source, policy_version=app[POLICIES].version,
        organisations=app[ORGANISATIONS], cases=app[CASES],
    )  # fmt: skip
    return runners, Demo(url, fixture, population, app, asyncio.get_running_loop())


@pytest.fixture
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The whole deployment, for one test (so that every database connection it opens
    is closed when the test ends)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="live-demo", daemon=True)
    thread.start()
    data = tmp_path_factory.mktemp("demo")
    runners, live = asyncio.run_coroutine_threadsafe(_start(data), loop).result(120)
    try:
        yield live
    finally:

        async def stop() -> None:
            for runner in reversed(runners):
                await runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    # axe is injected as a script, which the pages' CSP forbids: this context bypasses it.
    ctx = browser.new_context(bypass_csp=True, viewport={"width": 1024, "height": 800})
    try:
        yield ctx
    finally:
        ctx.close()


def _focused(page: Any, what: str) -> str:
    script = f"() => (document.activeElement && document.activeElement.{what}) || ''"
    return str(page.evaluate(script))


def _tab_to(page: Any, text: str, *, attribute: str = "innerText") -> None:
    """Press Tab until the focused element's text (or `attribute`) contains `text`."""
    for _ in range(MAX_KEYS):
        page.keyboard.press("Tab")
        if text in _focused(page, attribute):
            return
    pytest.fail(f"{text!r} not reached with {MAX_KEYS} presses of Tab on {page.url}")


def _arrow_to(page: Any, element_id: str) -> None:
    """Within a radio group, press the down arrow until `element_id` is chosen."""
    for _ in range(MAX_KEYS):
        if _focused(page, "id") == element_id:
            return
        page.keyboard.press("ArrowDown")
    pytest.fail(f"{element_id} not reached with the arrow keys on {page.url}")


def _log_in_by_keyboard(page: Any, demo: Demo, bsn: str) -> None:
    page.goto(demo.url + "/login")
    check_axe(page)
    _tab_to(page, "Inloggen met DigiD")
    page.keyboard.press("Enter")
    page.wait_for_url(demo.fixture.settings.oidc_issuer + "/**")
    assert "DEMO — dit is niet DigiD" in page.content()
    check_axe(page)
    (key,) = [p.key for p in demo_people(demo.population) if p.bsn == bsn]
    _tab_to(page, "person-", attribute="id")
    _arrow_to(page, f"person-{key}")
    _tab_to(page, "Inloggen")
    page.keyboard.press("Enter")
    page.wait_for_url(demo.url + "/")


def _enter_link(page: Any, text: str, url_glob: str) -> None:
    _tab_to(page, text)
    page.keyboard.press("Enter")
    page.wait_for_url(url_glob)
    assert page.locator("h1").count() == 1
    check_axe(page)


def test_a_parent_logs_in_sees_her_dossier_and_log_withdraws_and_her_child_sees_only_theirs(
    context: Any, demo: Demo, screenshots: Path
) -> None:
    household = next(h for h in demo.population.households if h.id == "hh-001")
    twelve = demo.population.scenario("child_consented_at_11")
    assert demo.population.person(twelve.bsn) is not None
    mum = next(c.parent_bsn for c in household.custody if c.child_bsn == twelve.bsn)
    me = demo.pseudonym(mum)
    (own,) = [
        r
        for r in demo.run(demo.app[CONSENTS].for_subject(me))
        if r.given_by == me and r.status_at(r.given_at) == "active" and not r.events[1:]
    ]
    before = demo.exchange(mum)  # the wijkteam asks, a moment before she logs in
    assert [r["decision"] for r in before["results"]] == ["permit"]

    page = context.new_page()
    _log_in_by_keyboard(page, demo, mum)
    check_axe(page)
    page.screenshot(path=str(screenshots / "home-na-inloggen.png"), full_page=True)

    _enter_link(page, "Mijn dossier", "**/mijn-dossier")
    text = page.inner_text("main")
    assert "Over u" in text and "Wijkteam Utrecht" in text
    young = demo.population.scenario("child_under_12")
    assert f"Over uw kind ({demo.population.age(young) + 1} jaar)" in text  # 8: the parent's
    assert f"({demo.population.age(twelve) + 1} jaar)" not in text  # 13: not the parent's
    page.screenshot(path=str(screenshots / "mijn-dossier.png"), full_page=True)

    page.goto(demo.url + "/")
    _enter_link(page, "Wie heeft mijn gegevens bekeken", "**/wie-heeft-gekeken")
    entries = page.locator(".entry").all_inner_texts()
    wijkteam = [e for e in entries if "Wijkteam Utrecht-Demo (hulpverlener)" in e]
    assert wijkteam and "Nieuw" in wijkteam[0] and "Gegevens bekeken" in wijkteam[0]
    assert "Soms staat iets hier nog niet" in page.inner_text("main")
    page.screenshot(path=str(screenshots / "wie-heeft-gekeken.png"), full_page=True)

    page.goto(demo.url + "/")
    _enter_link(page, "Mijn gegevens downloaden", "**/mijn-gegevens")
    page.screenshot(path=str(screenshots / "mijn-gegevens.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download mijn gegevens").click()
    saved = json.loads(Path(download.value.path()).read_text())
    assert saved["export"]["person"] == me and saved["jws"].count(".") == 2

    page.goto(demo.url + "/")
    _enter_link(page, "Mijn toestemmingen", "**/mijn-toestemmingen")
    _tab_to(page, f"/mijn-toestemmingen/{own.id}/intrekken", attribute="href")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/mijn-toestemmingen/{own.id}/intrekken")
    check_axe(page)
    _tab_to(page, "Ja, trek deze toestemming in")
    page.keyboard.press("Enter")
    page.wait_for_url("**/mijn-toestemmingen?klaar=ingetrokken")
    check_axe(page)

    after = demo.exchange(mum)  # the very next exchange
    assert [(r["decision"], r["reason"]) for r in after["results"]] == [
        ("deny", "consent_required")
    ]

    child_page = context.browser.new_context(bypass_csp=True).new_page()
    try:
        _log_in_by_keyboard(child_page, demo, twelve.bsn)
        _enter_link(child_page, "Mijn dossier", "**/mijn-dossier")
        assert child_page.locator("section.person").count() == 1
        assert "Over uw kind" not in child_page.inner_text("main")
        child_page.screenshot(path=str(screenshots / "mijn-dossier-kind-13.png"), full_page=True)
    finally:
        child_page.context.close()
    child = demo.pseudonym(twelve.bsn)
    log = demo.run(demo.app[AUDIT_READER].entries_for_subject([me], limit=500))
    assert not [
        e for e in log.entries if e.event_type == "household.read" and e.professional == child
    ]  # the child's dossier asked nothing about the parent
    own_reads = demo.run(demo.app[AUDIT_READER].entries_for_subject([child], limit=500))
    assert [e for e in own_reads.entries if e.event_type == "household.read"]
