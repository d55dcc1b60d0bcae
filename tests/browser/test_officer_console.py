"""The privacy officer's console in a real browser (Debian's Chromium through Playwright):
a synthetic officer logs in through the demo provider, finds the entries an exchange
(over real HTTP, moments earlier) created, sees the chain verified and then a cut after
a row is deleted, reviews a break-the-glass use by keyboard only; then reads the rules
and the art. 30 register, compares a stricter version, runs a simulation in which a
stricter rule shows which past decisions (made moments earlier by real exchanges over
HTTP) would have been refused, follows a misuse signal into the log, and reads the
demo's statistics with suppression. axe-core on every page (no serious or critical
violations); screenshots into docs/screenshots/."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from audit_support import decision, drop_guards
from consent_support import MOTHER, consent_body, household_body
from login_support import CLIENT_ID
from officer_support import EVERYONE
from sqlalchemy import text
from support import REPO, GatewayFixture, free_port

from gateway.app import create_app
from gateway.appkeys import (
    AUDIT,
    AUDIT_READER,
    CASES,
    CONSENTS,
    CUSTODY,
    ENGINE,
    HOUSEHOLDS,
    ORGANISATIONS,
    POLICIES,
    PSEUDONYMISER,
)
from gateway.audit.query import AuditFilters, Scope
from gateway.demo.oidc_provider import client_for, create_provider_app, ensure_provider_files
from gateway.demo.seed import demo_population, seed_demo

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
BLOCKING = ("serious", "critical")
SHOTS = REPO / "docs" / "screenshots"
MAX_TABS = 120

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium found (apt-get install -y chromium)"),
]


@dataclass
class Console:
    base: str
    app: web.Application
    gateway: GatewayFixture


@pytest.fixture
async def console(gateway: GatewayFixture, custody_server: TestServer) -> AsyncIterator[Console]:
    key, secret_file = ensure_provider_files(gateway.settings.data_dir)
    gateway_port, provider_port = free_port(), free_port()
    base, issuer = f"http://127.0.0.1:{gateway_port}", f"http://127.0.0.1:{provider_port}"
    client = client_for(
        CLIENT_ID,
        secret_file.read_text().strip(),
        f"{base}/oidc/callback",
        f"{base}/fg/oidc/callback",
    )
    provider = TestServer(
        create_provider_app(issuer, [client], EVERYONE, key), host="127.0.0.1", port=provider_port
    )
    settings = replace(
        gateway.settings,
        port=gateway_port,
        oidc_issuer=issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret_file=secret_file,
        oidc_redirect_url=f"{base}/oidc/callback",
        officer_oidc_redirect_url=f"{base}/fg/oidc/callback",
    )
    app = create_app(settings)
    server = TestServer(app, host="127.0.0.1", port=gateway_port)
    await provider.start_server()
    await server.start_server()
    async with aiohttp.ClientSession() as http:
        answer = await http.post(
            f"{base}/api/v1/households",
            json=household_body(),
            headers=gateway.auth("wijkteam-utrecht"),
        )
        assert answer.status == 201, await answer.text()
    yield Console(base, app, gateway)
    await server.close()
    await provider.close()


def _axe_script() -> str:
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("axe-playwright-python (which ships axe-core) is not installed")
    return str(Path(next(iter(spec.submodule_search_locations))) / "axe.min.js")


async def check_axe(page: Any) -> None:
    await page.add_script_tag(path=_axe_script())
    result = await page.evaluate("async () => await axe.run(document)")
    blocking = [v for v in result["violations"] if v["impact"] in BLOCKING]
    report = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in blocking
    ]
    assert not blocking, f"{page.url}:\n" + "\n".join(report)


async def shot(page: Any, name: str, *, full_page: bool = True) -> None:
    await check_axe(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


async def tab_to(page: Any, wanted: str, attribute: str = "innerText") -> None:
    """Press Tab until the focused element's text (or `attribute`) contains `wanted`."""
    for _ in range(MAX_TABS):
        await page.keyboard.press("Tab")
        found = await page.evaluate(
            "(a) => { const e = document.activeElement; if (!e) return '';"
            " return (a === 'innerText' ? e.innerText : e.getAttribute(a)) || ''; }",
            attribute,
        )
        if wanted in found:
            return
    pytest.fail(f"{wanted!r} not reached with {MAX_TABS} presses of Tab on {page.url}")


async def log_in(page: Any, console: Console, officer_name: str) -> None:
    await page.goto(f"{console.base}/fg/inloggen")
    await page.get_by_role("link", name="Inloggen").click()
    assert "DEMO — dit is niet DigiD" in await page.content()
    await page.get_by_label(f"{officer_name} (").check()  # "FG fg_region" is also a prefix
    await page.get_by_role("button", name="Inloggen").click()
    await page.wait_for_url(f"{console.base}/fg/logboek")


async def test_an_officer_finds_an_exchange_sees_the_chain_cut_and_reviews_by_keyboard(
    console: Console,
) -> None:
    playwright_api = pytest.importorskip("playwright.async_api")
    # an exchange over real HTTP, moments before: the wijkteam asks about the mother
    exchange = {
        "subject": {"bsn": MOTHER},
        "purpose": "support_planning",
        "categories": ["support_plan"],
        "sources": ["wijkteam-utrecht"],
    }
    async with aiohttp.ClientSession() as http:
        answer = await http.post(
            f"{console.base}/api/v1/exchanges",
            json=exchange,
            headers=console.gateway.auth("wijkteam-utrecht"),
        )
        assert answer.status == 200, await answer.text()
        request_id = answer.headers["X-Request-ID"]
    # and a break-the-glass use of the wijkteam waiting for review
    subject = console.app[PSEUDONYMISER].pseudonym(MOTHER)
    await console.app[AUDIT].append(
        [
            decision(
                n,
                subject=subject,
                request_id="req_glass_browser",
                purpose="acute_safety",
                break_glass=True,
                justification="Kind alleen thuis, acuut",
                source=src,
            )
            for n, src in ((1, "wijkteam-utrecht"), (2, "veilig-thuis-utrecht"))
        ]
    )
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = await browser.new_context(
                bypass_csp=True, viewport={"width": 1280, "height": 900}
            )
            page = await context.new_page()
            await page.goto(f"{console.base}/fg/inloggen")
            await shot(page, "fg-inloggen")
            await log_in(page, console, "FG fg_wijkteam")
            await shot(page, "fg-logboek")

            # keyboard only: BSN into the search field, search, open the first entry
            await page.goto(f"{console.base}/fg/logboek")
            await tab_to(page, "f-bsn", attribute="id")
            await page.keyboard.type(MOTHER)
            await tab_to(page, "Zoeken")
            await page.keyboard.press("Enter")
            await page.wait_for_url("**/fg/logboek?subject=*")
            assert MOTHER not in page.url and MOTHER not in await page.content()
            await shot(page, "fg-logboek-zoeken")
            rows = page.locator("table.entries tbody tr")
            assert await rows.count() >= 3
            content = await page.content()
            assert "support_planning" in content
            reader = console.app[AUDIT_READER]
            mine = await reader.search(AuditFilters(request_id=request_id), Scope(None))
            seqs = sorted(e.seq for e in mine.entries if e.event_type == "exchange.decision")
            assert seqs, "the exchange wrote its decisions"
            for seq in seqs:
                assert f'href="/fg/logboek/{seq}"' in content
            await tab_to(page, f"/fg/logboek/{seqs[0]}", attribute="href")
            await page.keyboard.press("Enter")
            await page.wait_for_url(f"**/fg/logboek/{seqs[0]}")
            detail = await page.content()
            assert request_id in detail and "De hele uitwisseling" in detail
            await shot(page, "fg-regel")

            # integrity: verified, then a cut after a row is deleted
            await page.get_by_role("link", name="Integriteit").click()
            await page.wait_for_url("**/fg/integriteit")
            await page.get_by_role("button", name="Nu opnieuw controleren").click()
            await page.wait_for_url("**/fg/integriteit?melding=verified")
            assert "Het logboek is in orde" in await page.content()
            await shot(page, "fg-integriteit")
            async with console.app[ENGINE].begin() as conn:
                await drop_guards(conn)
                await conn.execute(text("DELETE FROM audit_entries WHERE seq = 2"))
            await page.get_by_role("button", name="Nu opnieuw controleren").click()
            await page.wait_for_url("**/fg/integriteit?melding=verified")
            content = await page.content()
            assert "Het logboek is niet in orde" in content and "Vanaf regel 2" in content
            await shot(page, "fg-integriteit-kapot")

            # keyboard only: to the break-the-glass queue, judge, note, save
            await page.goto(f"{console.base}/fg/logboek")
            await tab_to(page, "Doorbraken")
            await page.keyboard.press("Enter")
            await page.wait_for_url("**/fg/doorbraken")
            await shot(page, "fg-doorbraken")
            await tab_to(page, "justified", attribute="value")
            await page.keyboard.press("Space")
            await tab_to(page, "note", attribute="name")
            await page.keyboard.type("Politie bevestigde acuut gevaar.")
            await tab_to(page, "Beoordeling opslaan")
            await page.keyboard.press("Enter")
            await page.wait_for_url("**/fg/doorbraken?klaar=beoordeeld")
            assert "Uw beoordeling is opgeslagen." in await page.content()
            await check_axe(page)

            await page.get_by_role("link", name="Vertrouwelijk").click()
            await shot(page, "fg-vertrouwelijk")

            # the English switch
            await page.get_by_role("link", name="English").click()
            await page.wait_for_url("**/fg/vertrouwelijk")
            assert "Confidential entries" in await page.content()
            await page.goto(f"{console.base}/fg/logboek?from=yesterday")
            assert "is not valid" in await page.content()
            await shot(page, "fg-access-log-error-en")
        finally:
            await browser.close()


# --- the insight pages: policies, simulation, signals, statistics ------------------------

#: One more file over the rules in force: the wijkteam no longer gets support plans.
STRICTER = (
    "[[rules]]\n"
    'id = "no-support-plans-for-wijkteam"\n'
    'effect = "forbid"\n'
    'description = { nl = "Het wijkteam krijgt geen ondersteuningsplannen meer.", '
    'en = "The local team no longer gets support plans." }\n'
    'requester_types = ["wijkteam"]\n'
    'purposes = ["support_planning"]\n'
    'source_types = ["*"]\n'
    'categories = ["support_plan"]\n'
)


async def exchanges(console: Console, count: int) -> list[int]:
    """`count` real exchanges over HTTP: the wijkteam asks for the mother's support plan
    (she consented, over HTTP too); the seqs of the permitted decisions they wrote."""
    request_ids = []
    async with aiohttp.ClientSession() as http:
        consent = await http.post(
            f"{console.base}/api/v1/consents",
            json=consent_body(MOTHER),
            headers=console.gateway.auth("wijkteam-utrecht"),
        )
        assert consent.status == 201, await consent.text()
        for _ in range(count):
            answer = await http.post(
                f"{console.base}/api/v1/exchanges",
                json={
                    "subject": {"bsn": MOTHER},
                    "purpose": "support_planning",
                    "categories": ["support_plan"],
                    "sources": ["wijkteam-utrecht"],
                },
                headers=console.gateway.auth("wijkteam-utrecht"),
            )
            assert answer.status == 200, await answer.text()
            request_ids.append(answer.headers["X-Request-ID"])
    seqs = []
    reader = console.app[AUDIT_READER]
    for request_id in request_ids:
        found = await reader.search(AuditFilters(request_id=request_id), Scope(None))
        seqs += [
            e.seq
            for e in found.entries
            if e.event_type == "exchange.decision" and e.decision == "permit"
        ]
    assert seqs, "the exchanges wrote permitted decisions"
    return sorted(seqs)


async def table_seqs(page: Any) -> set[int]:
    cells = page.locator("#veranderingen tbody tr")
    return {int(await cells.nth(i).get_attribute("data-seq")) for i in range(await cells.count())}


async def test_policies_simulation_signals_and_statistics_in_chromium(console: Console) -> None:
    playwright_api = pytest.importorskip("playwright.async_api")
    app = console.app
    permitted = await exchanges(console, 2)
    # the demo's households and consents, for the statistics
    await seed_demo(
        demo_population(app[ORGANISATIONS]), app[HOUSEHOLDS], app[CONSENTS],
        app[PSEUDONYMISER].pseudonym, custody=app[CUSTODY].source,
        policy_version=app[POLICIES].version, organisations=app[ORGANISATIONS], cases=app[CASES],
    )  # fmt: skip
    # a professional trying out what is allowed: ten refusals within the hour
    probing = await app[AUDIT].append(
        [
            decision(n, decision="deny", outcome="denied", professional="prof-probe")
            for n in range(10)
        ]
    )
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = await browser.new_context(
                bypass_csp=True, viewport={"width": 1280, "height": 900}
            )
            page = await context.new_page()
            await log_in(page, console, "FG fg_wijkteam")

            # policies: the rules in plain words, the register, a comparison
            await page.get_by_role("link", name="Beleid").click()
            await page.wait_for_url("**/fg/beleid")
            content = await page.content()
            assert "Bij direct gevaar mogen professionals" in content
            assert "Register van verwerkingen" in content and "Bewaartermijnen" in content
            await shot(page, "fg-beleid", full_page=False)  # twenty rules: the top of it
            await page.locator("#v-rules").fill(STRICTER)
            await page.get_by_role("button", name="Vergelijken").click()
            await page.wait_for_url("**/fg/beleid/vergelijken")
            content = await page.content()
            assert "1 regel(s) erbij, 0 vervallen, 0 veranderd." in content
            assert "no-support-plans-for-wijkteam" in content
            await page.locator("#verschil").scroll_into_view_if_needed()
            await shot(page, "fg-beleid-vergelijken", full_page=False)

            # simulation: the stricter rule refuses the decisions the exchanges made
            await page.get_by_role("link", name="Simulatie").click()
            await page.wait_for_url("**/fg/simulatie")
            await check_axe(page)
            await page.locator("#s-rules").fill(STRICTER)
            await page.get_by_role("button", name="Simuleren").click()
            await page.wait_for_url("**/fg/simulatie")
            assert await table_seqs(page) == set(permitted)
            content = await page.content()
            assert "toegestaan → geweigerd" in content
            assert "no-support-plans-for-wijkteam" in content
            await shot(page, "fg-simulatie")
            # an invalid rule set: every problem on the page
            await page.locator("#s-rules").fill('[[rules]]\nid = "x"\neffect = "perhaps"\n')
            await page.get_by_label("Alleen deze bestanden").check()
            await page.get_by_role("button", name="Simuleren").click()
            await page.wait_for_url("**/fg/simulatie")
            assert await page.locator("ol.problems li").count() >= 2
            await shot(page, "fg-simulatie-fouten")

            # signals: explained, and the link lands on exactly the entries
            await page.get_by_role("link", name="Signalen").click()
            await page.wait_for_url("**/fg/signalen")
            assert "Veel weigeringen kort na elkaar" in await page.content()
            await shot(page, "fg-signalen")
            await page.locator('[data-kind="probing"] a.signal-link').click()
            await page.wait_for_url("**/fg/logboek?*professional=prof-probe*")
            links = page.locator("table.entries tbody tr td:first-child a")
            shown = {int(await links.nth(i).inner_text()) for i in range(await links.count())}
            assert shown == set(probing)
            await check_axe(page)

            # statistics: the demo's figures, small counts suppressed
            await page.get_by_role("link", name="Statistieken").click()
            await page.wait_for_url("**/fg/statistieken")
            content = await page.content()
            assert "cell-key" in content
            assert await page.locator("td.figure .suppressed").count() >= 1
            await shot(page, "fg-statistieken")

            # the regional officer: the region's figures; the English switch
            await context.clear_cookies()
            await log_in(page, console, "FG fg_region")
            await page.goto(f"{console.base}/fg/statistieken")
            assert await page.locator('table[data-unit="utrecht"]').count() == 1
            await shot(page, "fg-statistieken-regio")
            await page.get_by_role("link", name="English").click()
            await page.wait_for_url("**/fg/statistieken")
            assert "Statistics for the monitor" in await page.content()
            await shot(page, "fg-statistics-en")
        finally:
            await browser.close()
