"""The household portal in a real browser: axe-core on every page (no serious or critical
violation), a keyboard-only walk from the home page to withdrawing a consent (after
which the organisation's very next exchange is refused for lack of consent), the pages
without JavaScript, and a screenshot of each page into docs/screenshots/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import WIJKTEAM, LivePortal, check_axe
from consent_support import CHILD_8, CHILD_13, MOTHER, TEEN_17, consent_body

from gateway.appkeys import CONSENTS, PSEUDONYMISER

pytestmark = pytest.mark.browser

MAX_TABS = 80


def paper_consent(portal: LivePortal, bsn: str) -> str:
    status, body = portal.api("POST", "/api/v1/consents", json=consent_body(bsn))
    assert status == 201, body
    return str(body["id"])


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    # axe is injected as a script, which the pages' CSP (rightly) forbids: the checking
    # context bypasses it. The CSP itself is asserted by tests/integration/web.
    ctx = browser.new_context(bypass_csp=True, viewport={"width": 1024, "height": 800})
    try:
        yield ctx
    finally:
        ctx.close()


def logged_in(context: Any, portal: LivePortal, bsn: str, lang: str | None = None) -> Any:
    cookies = [portal.cookie(portal.session_for(bsn))]
    if lang:
        cookies.append(portal.lang_cookie(lang))
    context.add_cookies(cookies)
    return context.new_page()


def visit(page: Any, portal: LivePortal, path: str, shot: Path | None, name: str) -> None:
    page.goto(portal.url + path)
    assert page.locator("h1").count() == 1, path
    check_axe(page)
    if shot is not None:
        page.screenshot(path=str(shot / f"{name}.png"), full_page=True)


def test_every_page_passes_axe_and_is_photographed(
    context: Any, portal: LivePortal, screenshots: Path
) -> None:
    paper_consent(portal, CHILD_13)  # the 12-15 rule: the mother must still agree
    page = context.new_page()
    visit(page, portal, "/login", screenshots, "login")
    visit(page, portal, "/login?error=session_expired", None, "login-error")
    page = logged_in(context, portal, MOTHER)
    visit(page, portal, "/", screenshots, "home")
    visit(page, portal, "/mijn-toestemmingen", screenshots, "mijn-toestemmingen")
    visit(page, portal, "/mijn-toestemmingen/geven", screenshots, "toestemming-geven")
    page.get_by_role("button", name="Volgende").click()
    check_axe(page)
    page.screenshot(path=str(screenshots / "toestemming-geven-stap-2.png"), full_page=True)
    page.get_by_role("button", name="Toestemming geven").click()  # nothing chosen
    assert page.locator(".error-summary").count() == 1
    check_axe(page)
    consent_id = paper_consent(portal, TEEN_17)
    visit(page, portal, f"/mijn-toestemmingen/{consent_id}/intrekken", None, "intrekken")
    visit(page, portal, "/mijn-contactpersoon", screenshots, "mijn-contactpersoon")
    # Without sources (and a session without a BSN): the pages' "could not ask" states.
    visit(page, portal, "/mijn-dossier", None, "dossier-niet-beschikbaar")
    assert "We konden deze gegevens nu niet opvragen." in page.content()
    visit(page, portal, "/wie-heeft-gekeken", None, "wie-heeft-gekeken-leeg")
    visit(page, portal, "/mijn-gegevens", None, "mijn-gegevens")
    visit(page, portal, "/bestaat-niet", None, "niet-gevonden")
    english = logged_in(context, portal, CHILD_13, lang="en")
    visit(english, portal, "/mijn-toestemmingen", screenshots, "my-consents-en")
    assert "Your parent with custody must still give consent." in english.content()


def _tab_to(page: Any, text: str) -> None:
    """Press Tab until the focused element's accessible text contains `text`."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => (document.activeElement && document.activeElement.innerText) || ''"
        )
        if text in focused:
            return
    pytest.fail(f"{text!r} not reached with {MAX_TABS} presses of Tab on {page.url}")


def test_keyboard_only_from_home_to_a_withdrawn_consent_and_the_next_exchange_is_refused(
    context: Any, portal: LivePortal, screenshots: Path
) -> None:
    consent_id = paper_consent(portal, TEEN_17)
    exchange = {
        "subject": {"bsn": TEEN_17},
        "purpose": "support_planning",
        "categories": ["support_plan"],
        "sources": [WIJKTEAM],
    }
    status, before = portal.api("POST", "/api/v1/exchanges", json=exchange)
    assert status == 200, before
    assert [r["decision"] for r in before["results"]] == ["permit"]

    page = logged_in(context, portal, TEEN_17)
    page.goto(portal.url + "/")
    _tab_to(page, "Ga direct naar de inhoud")  # the skip link comes first
    _tab_to(page, "Mijn toestemmingen")
    page.keyboard.press("Enter")
    page.wait_for_url("**/mijn-toestemmingen")
    _tab_to(page, "Intrekken")
    assert consent_id in page.evaluate("() => document.activeElement.getAttribute('href')")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/mijn-toestemmingen/{consent_id}/intrekken")
    page.screenshot(path=str(screenshots / "toestemming-intrekken.png"), full_page=True)
    _tab_to(page, "Ja, trek deze toestemming in")
    page.keyboard.press("Enter")
    page.wait_for_url("**/mijn-toestemmingen?klaar=ingetrokken")
    assert "De toestemming is ingetrokken." in page.content()
    check_axe(page)

    status, after = portal.api("POST", "/api/v1/exchanges", json=exchange)
    assert status == 200, after
    assert [(r["decision"], r["reason"]) for r in after["results"]] == [
        ("deny", "consent_required")
    ]


def test_giving_consent_works_without_javascript(browser: Any, portal: LivePortal) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = logged_in(context, portal, MOTHER)
        page.goto(portal.url + "/mijn-toestemmingen/geven")
        page.get_by_label("Uw kind (8 jaar)").check()
        page.get_by_role("button", name="Volgende").click()
        page.get_by_label("Wijkteam Utrecht-Demo").check()
        page.get_by_label("Het plan met de hulp die het gezin krijgt").check()
        page.get_by_role("button", name="Toestemming geven").click()
        page.wait_for_url("**/mijn-toestemmingen?klaar=gegeven")
        assert "Uw toestemming is vastgelegd." in page.content()
        child = portal.app[PSEUDONYMISER].pseudonym(CHILD_8)
        records = portal.run(portal.app[CONSENTS].for_subject(child))
        assert [r.recorded_via for r in records] == ["portal"]
        receipt = page.locator("a", has_text="Ontvangstbewijs downloaden").first
        with page.expect_download() as download:
            receipt.click()
        saved = json.loads(Path(download.value.path()).read_text())
        assert saved["receipts"] and saved["receipts"][0]["jws"].count(".") == 2
    finally:
        context.close()
