"""The privacy officer's console in a real browser (Debian's Chromium through Playwright):
a synthetic officer logs in through the demo provider, finds the entries an exchange
(over real HTTP, moments earlier) created, sees the chain verified and then a cut after
a row is deleted, reviews a break-the-glass use by keyboard only; axe-core on every page
(no serious or critical violations); screenshots into docs/screenshots/."""

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
from aiohttp.test_utils import TestServer, unused_port
from audit_support import decision, drop_guards
from consent_support import MOTHER, household_body
from login_support import CLIENT_ID
from officer_support import EVERYONE
from sqlalchemy import text
from support import REPO, GatewayFixture

from gateway.app import create_app
from gateway.appkeys import AUDIT, AUDIT_READER, ENGINE, PSEUDONYMISER
from gateway.audit.query import AuditFilters, Scope
from gateway.demo.oidc_provider import client_for, create_provider_app, ensure_provider_files

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
    gateway_port, provider_port = unused_port(), unused_port()
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


async def shot(page: Any, name: str) -> None:
    await check_axe(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


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
    await page.get_by_label(officer_name).check()
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
