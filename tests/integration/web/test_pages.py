"""The household portal's pages over real HTTP: sessions, CSRF, the consent pages,
language, error pages and headers. Sessions are created directly in the store (the
OIDC login has its own tests)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from consent_support import (
    CHILD_8,
    CHILD_13,
    FATHER,
    MOTHER,
    OUTSIDER,
    TEEN_17,
    Client,
    consent_body,
)
from support import GatewayFixture

from gateway.appkeys import CONSENTS, HOUSEHOLD_SESSIONS, PSEUDONYMISER
from gateway.auth.sessions import COOKIE_NAME
from gateway.http.middlewares import CSP as API_CSP
from gateway.web.rendering import PAGE_CSP

pytestmark = pytest.mark.usefixtures("household")

HTML = {"Accept": "text/html,application/xhtml+xml"}
WIJKTEAM = "wijkteam-utrecht"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def login(client: Client, household: dict[str, Any], bsn: str) -> str:
    person = client.app[PSEUDONYMISER].pseudonym(bsn)
    return await client.app[HOUSEHOLD_SESSIONS].create(person, household["id"])


async def page(client: Client, path: str, token: str | None = None, **kwargs: Any) -> Any:
    cookies = {COOKIE_NAME: token} if token else {}
    return await client.get(
        path,
        headers={**HTML, **kwargs.pop("headers", {})},
        cookies=cookies,
        allow_redirects=False,
        **kwargs,
    )


async def post(client: Client, path: str, token: str, data: dict[str, Any]) -> Any:
    return await client.post(
        path, data=data, headers=HTML, cookies={COOKIE_NAME: token}, allow_redirects=False
    )


async def csrf_of(client: Client, token: str, path: str = "/") -> str:
    match = _CSRF.search(await (await page(client, path, token)).text())
    assert match, "no CSRF token on the page"
    return match.group(1)


async def paper_consent(client: Client, gateway: GatewayFixture, bsn: str) -> str:
    response = await client.post(
        "/api/v1/consents", json=consent_body(bsn), headers=gateway.auth(WIJKTEAM)
    )
    assert response.status == 201, await response.text()
    return str((await response.json())["id"])


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/mijn-toestemmingen",
        "/mijn-toestemmingen/geven",
        "/mijn-contactpersoon",
        "/mijn-dossier",
        "/wie-heeft-gekeken",
        "/mijn-gegevens",
    ],
)
async def test_a_page_without_a_session_redirects_to_login(client: Client, path: str) -> None:
    response = await page(client, path)
    assert response.status == 303
    assert response.headers["Location"] == "/login"


async def test_an_expired_session_goes_back_to_login_and_the_cookie_is_dropped(
    client: Client, household: dict[str, Any]
) -> None:
    person = client.app[PSEUDONYMISER].pseudonym(MOTHER)
    expired = await client.app[HOUSEHOLD_SESSIONS].create(
        person, household["id"], now=datetime.now(UTC) - timedelta(days=1)
    )
    response = await page(client, "/mijn-toestemmingen", expired)
    assert response.status == 303
    assert response.headers["Location"] == "/login?error=session_expired"
    assert response.cookies[COOKIE_NAME].value == ""
    login_page = await (await page(client, "/login?error=session_expired")).text()
    assert "Log opnieuw in" in login_page


async def test_the_login_page_explains_errors_without_echoing_the_code(client: Client) -> None:
    response = await page(client, "/login?error=%3Cscript%3Ealert(1)%3C/script%3E")
    text = await response.text()
    assert response.status == 200
    assert 'href="/login/start"' in text
    assert "Inloggen is niet gelukt" in text
    assert "<script" not in text and "alert(1)" not in text


async def test_pages_have_a_strict_csp_and_the_api_keeps_its_own(
    client: Client, household: dict[str, Any]
) -> None:
    token = await login(client, household, MOTHER)
    for path in ("/", "/login", "/mijn-toestemmingen", "/mijn-contactpersoon", "/nope"):
        response = await page(client, path, token)
        assert response.headers["Content-Security-Policy"] == PAGE_CSP, path
        assert "script-src" not in PAGE_CSP and "unsafe-inline" not in PAGE_CSP
    api = await client.get("/api/v1/me/consents", cookies={COOKIE_NAME: token})
    assert api.headers["Content-Security-Policy"] == API_CSP


async def test_every_page_has_one_h1_a_skip_link_and_its_language(
    client: Client, household: dict[str, Any]
) -> None:
    token = await login(client, household, MOTHER)
    for path in (
        "/",
        "/login",
        "/mijn-toestemmingen",
        "/mijn-toestemmingen/geven",
        "/mijn-contactpersoon",
        "/mijn-dossier",
        "/wie-heeft-gekeken",
        "/mijn-gegevens",
    ):
        text = await (await page(client, path, token)).text()
        assert text.count("<h1") == 1, path
        assert '<html lang="nl">' in text
        assert 'href="#inhoud"' in text and 'id="inhoud"' in text
        assert "<script" not in text and "style=" not in text


async def test_the_language_switch_sets_a_cookie_and_returns_to_the_same_page(
    client: Client, household: dict[str, Any]
) -> None:
    token = await login(client, household, MOTHER)
    text = await (await page(client, "/mijn-toestemmingen", token)).text()
    assert 'href="/taal?lang=en&amp;terug=%2Fmijn-toestemmingen"' in text
    switch = await page(client, "/taal?lang=en&terug=%2Fmijn-toestemmingen", token)
    assert switch.status == 303
    assert switch.headers["Location"] == "/mijn-toestemmingen"
    assert switch.cookies["lang"].value == "en"
    english = await client.get(
        "/mijn-toestemmingen", headers=HTML, cookies={COOKIE_NAME: token, "lang": "en"}
    )
    body = await english.text()
    assert '<html lang="en">' in body and "My consents" in body


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "evil", "/\\evil"])
async def test_the_language_switch_never_sends_you_to_another_site(
    client: Client, target: str
) -> None:
    response = await page(client, "/taal", params={"lang": "en", "terug": target})
    assert response.headers["Location"] == "/"


async def test_a_form_posted_without_or_with_a_wrong_csrf_token_is_403_and_changes_nothing(
    client: Client, gateway: GatewayFixture, household: dict[str, Any]
) -> None:
    consent_id = await paper_consent(client, gateway, TEEN_17)
    token = await login(client, household, TEEN_17)
    other = await csrf_of(client, await login(client, household, TEEN_17))
    path = f"/mijn-toestemmingen/{consent_id}/intrekken"
    for data in ({}, {"csrf_token": ""}, {"csrf_token": "x" * 43}, {"csrf_token": other}):
        response = await post(client, path, token, data)
        assert response.status == 403, data
        assert "csrf_token_invalid" not in await response.text()  # a page, not a problem
    assert (await client.app[CONSENTS].get(consent_id)).status == "active"


async def test_withdraw_asks_once_then_takes_effect_and_the_receipt_downloads(
    client: Client, gateway: GatewayFixture, household: dict[str, Any]
) -> None:
    consent_id = await paper_consent(client, gateway, TEEN_17)
    token = await login(client, household, TEEN_17)
    listing = await (await page(client, "/mijn-toestemmingen", token)).text()
    assert f"/mijn-toestemmingen/{consent_id}/intrekken" in listing
    confirm = await page(client, f"/mijn-toestemmingen/{consent_id}/intrekken", token)
    assert confirm.status == 200
    assert "Ja, trek deze toestemming in" in await confirm.text()
    assert (await client.app[CONSENTS].get(consent_id)).status == "active"  # not yet
    csrf = await csrf_of(client, token, f"/mijn-toestemmingen/{consent_id}/intrekken")
    done = await post(
        client, f"/mijn-toestemmingen/{consent_id}/intrekken", token, {"csrf_token": csrf}
    )
    assert done.status == 303
    assert done.headers["Location"] == "/mijn-toestemmingen?klaar=ingetrokken"
    assert (await client.app[CONSENTS].get(consent_id)).status == "withdrawn"
    receipt = await page(client, f"/mijn-toestemmingen/{consent_id}/ontvangstbewijs", token)
    assert receipt.status == 200
    assert receipt.headers["Content-Disposition"].startswith("attachment;")
    assert [r["event"] for r in (await receipt.json())["receipts"]] == ["granted", "withdrawn"]


async def test_another_households_consent_is_404_like_one_that_does_not_exist(
    client: Client, gateway: GatewayFixture, household: dict[str, Any]
) -> None:
    consent_id = await paper_consent(client, gateway, TEEN_17)
    stranger = await login(client, household, FATHER)  # same household, no custody
    for path in (
        f"/mijn-toestemmingen/{consent_id}/intrekken",
        f"/mijn-toestemmingen/{consent_id}/ontvangstbewijs",
        "/mijn-toestemmingen/cs_doesnotexist/intrekken",
    ):
        response = await page(client, path, stranger)
        assert response.status == 404, path
        assert "Pagina niet gevonden" in await response.text()
    csrf = await csrf_of(client, stranger)
    refused = await post(
        client, f"/mijn-toestemmingen/{consent_id}/intrekken", stranger, {"csrf_token": csrf}
    )
    assert refused.status == 404
    assert (await client.app[CONSENTS].get(consent_id)).status == "active"


async def test_giving_consent_in_two_steps_records_it_as_the_json_api_shows(
    client: Client, household: dict[str, Any]
) -> None:
    token = await login(client, household, MOTHER)
    step1 = await (await page(client, "/mijn-toestemmingen/geven", token)).text()
    assert 'name="doel" id="doel-1" value="' in step1
    child = client.app[PSEUDONYMISER].pseudonym(CHILD_8)
    step2 = await page(
        client,
        "/mijn-toestemmingen/geven",
        token,
        params={"voor": child, "doel": "support_planning"},
    )
    text = await step2.text()
    assert 'value="wijkteam-utrecht"' in text and 'value="support_plan"' in text
    csrf = _CSRF.search(text).group(1)  # type: ignore[union-attr]
    form = {
        "csrf_token": csrf,
        "voor": child,
        "doel": "support_planning",
        "organisatie": "wijkteam-utrecht",
        "categorie": "support_plan",
    }
    done = await post(client, "/mijn-toestemmingen/geven", token, form)
    assert done.status == 303, await done.text()
    records = await client.app[CONSENTS].for_subject(child)
    assert [(r.recorded_via, sorted(r.scope.categories)) for r in records] == [
        ("portal", ["support_plan"])
    ]
    api = await (await client.get("/api/v1/me/consents", cookies={COOKIE_NAME: token})).json()
    assert records[0].id in {c["id"] for c in api["consents"]}


async def test_a_form_without_choices_shows_an_error_summary_and_records_nothing(
    client: Client, household: dict[str, Any]
) -> None:
    token = await login(client, household, MOTHER)
    me = client.app[PSEUDONYMISER].pseudonym(MOTHER)
    csrf = await csrf_of(client, token)
    response = await post(
        client,
        "/mijn-toestemmingen/geven",
        token,
        {"csrf_token": csrf, "voor": me, "doel": "support_planning"},
    )
    assert response.status == 400
    text = await response.text()
    assert 'class="error-summary"' in text
    assert 'href="#organisatie"' in text and 'href="#categorie"' in text
    assert await client.app[CONSENTS].for_subject(me) == []


async def test_a_parent_without_custody_cannot_choose_the_child(
    client: Client, household: dict[str, Any]
) -> None:
    token = await login(client, household, FATHER)
    child = client.app[PSEUDONYMISER].pseudonym(CHILD_8)
    step1 = await (await page(client, "/mijn-toestemmingen/geven", token)).text()
    assert child not in step1
    csrf = await csrf_of(client, token)
    form = {
        "csrf_token": csrf,
        "voor": child,
        "doel": "support_planning",
        "organisatie": "wijkteam-utrecht",
        "categorie": "support_plan",
    }
    response = await post(client, "/mijn-toestemmingen/geven", token, form)
    assert response.status == 303 and response.headers["Location"] == "/mijn-toestemmingen/geven"
    assert await client.app[CONSENTS].for_subject(child) == []


async def test_the_12_to_15_rule_says_who_must_still_agree_by_role(
    client: Client, gateway: GatewayFixture, household: dict[str, Any]
) -> None:
    await paper_consent(client, gateway, CHILD_13)  # the child agreed; the mother not yet
    mother = await (
        await page(client, "/mijn-toestemmingen", await login(client, household, MOTHER))
    ).text()
    assert "U moet nog toestemming geven." in mother
    assert "Uw kind heeft al toestemming gegeven." in mother
    # A consent that does not count yet is not labelled as one that does.
    assert "Wacht op toestemming van anderen" in mother
    assert ">Geldt<" not in mother
    child_token = await login(client, household, CHILD_13)
    child = await (await page(client, "/mijn-toestemmingen", child_token)).text()
    assert "Uw ouder met gezag moet nog toestemming geven." in child
    english = await client.get(
        "/mijn-toestemmingen", headers=HTML, cookies={COOKIE_NAME: child_token, "lang": "en"}
    )
    assert "Your parent with custody must still give consent." in await english.text()
    assert "ps_" not in re.sub(r'(value|href|id|aria-labelledby)="[^"]*"', "", child)


async def test_the_contact_page_names_the_regiehouder_and_the_contact_person(
    client: Client, household: dict[str, Any]
) -> None:
    text = await (
        await page(client, "/mijn-contactpersoon", await login(client, household, MOTHER))
    ).text()
    assert "Wijkteam Utrecht" in text and "prof-0042" in text


async def test_logout_needs_the_csrf_token_then_ends_the_session(
    client: Client, household: dict[str, Any]
) -> None:
    token = await login(client, household, MOTHER)
    assert (await post(client, "/logout", token, {})).status == 403
    assert await client.app[HOUSEHOLD_SESSIONS].resolve(token) is not None
    response = await post(client, "/logout", token, {"csrf_token": await csrf_of(client, token)})
    assert response.status == 303
    assert response.headers["Location"] == "/login?error=logged_out"
    assert response.cookies[COOKIE_NAME].value == ""
    assert await client.app[HOUSEHOLD_SESSIONS].resolve(token) is None
    assert (await page(client, "/", token)).headers["Location"].startswith("/login")


async def test_browsers_get_error_pages_and_the_api_keeps_problem_json(client: Client) -> None:
    missing = await page(client, "/bestaat-niet")
    assert missing.status == 404 and missing.content_type == "text/html"
    assert "Pagina niet gevonden" in await missing.text()
    api = await client.get("/api/v1/nope", headers=HTML)
    assert api.status == 404 and api.content_type == "application/problem+json"
    plain = await client.get("/bestaat-niet")
    assert plain.content_type == "application/problem+json"


async def test_an_unexpected_error_is_a_500_page_without_a_trace(
    client: Client, household: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway.web.household import home

    async def broken(*args: Any) -> Any:
        raise RuntimeError("secret internals ps_123")

    monkeypatch.setattr(home, "my_contact", broken)
    response = await page(client, "/mijn-contactpersoon", await login(client, household, MOTHER))
    text = await response.text()
    assert response.status == 500
    assert "Er ging iets mis bij ons" in text
    assert "Traceback" not in text and "secret internals" not in text and "RuntimeError" not in text


async def test_an_outsider_session_for_another_household_sees_no_contact(
    client: Client, household: dict[str, Any]
) -> None:
    # A session naming a household the person is not a member of: 404, nothing shown.
    person = client.app[PSEUDONYMISER].pseudonym(OUTSIDER)
    token = await client.app[HOUSEHOLD_SESSIONS].create(person, household["id"])
    response = await page(client, "/mijn-contactpersoon", token)
    assert response.status == 404
    assert "prof-0042" not in await response.text()


async def test_a_wrong_method_on_a_page_is_a_405_page_naming_what_is_allowed(
    client: Client,
) -> None:
    response = await page(client, "/logout")
    assert response.status == 405
    assert response.headers["Allow"] == "POST"
    assert response.content_type == "text/html"


async def test_a_parent_cannot_withdraw_a_17_year_olds_own_consent_and_is_told_why(
    client: Client, gateway: GatewayFixture, household: dict[str, Any]
) -> None:
    consent_id = await paper_consent(client, gateway, TEEN_17)
    mother = await login(client, household, MOTHER)  # custody, but 17 decides alone
    csrf = await csrf_of(client, mother)
    response = await post(
        client, f"/mijn-toestemmingen/{consent_id}/intrekken", mother, {"csrf_token": csrf}
    )
    assert response.status == 403
    assert "Een kind vanaf 16 jaar beslist zelf." in await response.text()
    assert (await client.app[CONSENTS].get(consent_id)).status == "active"


async def test_an_expired_session_on_the_new_pages_and_the_download_goes_back_to_login(
    client: Client, household: dict[str, Any]
) -> None:
    person = client.app[PSEUDONYMISER].pseudonym(MOTHER)
    expired = await client.app[HOUSEHOLD_SESSIONS].create(
        person, household["id"], now=datetime.now(UTC) - timedelta(days=1)
    )
    for path in ("/mijn-dossier", "/wie-heeft-gekeken", "/mijn-gegevens"):
        response = await page(client, path, expired)
        assert response.status == 303 and response.headers["Location"].startswith("/login")
    download = await post(client, "/mijn-gegevens", expired, {"csrf_token": "x"})
    assert download.status == 303
    assert download.headers["Location"] == "/login?error=session_expired"


async def test_another_households_consent_and_receipt_answer_exactly_like_none_at_all(
    client: Client, gateway: GatewayFixture, household: dict[str, Any]
) -> None:
    consent_id = await paper_consent(client, gateway, TEEN_17)
    other = await client.post(
        "/api/v1/households",
        json={
            "members": [{"bsn": OUTSIDER, "birth_date": "1980-01-01", "role": "adult"}],
            "contact_person": {"professional": "prof-0099"},
        },
        headers=gateway.auth(WIJKTEAM),
    )
    assert other.status == 201, await other.text()
    stranger_id = (await other.json())["id"]
    person = client.app[PSEUDONYMISER].pseudonym(OUTSIDER)
    stranger = await client.app[HOUSEHOLD_SESSIONS].create(person, stranger_id)

    made_up_id = f"cs_{'0' * 24}"

    async def answer(path: str, shown_id: str) -> tuple[int, str]:
        response = await page(client, path, stranger)
        text = re.sub(r"req_[0-9a-f]+", "req", await response.text())
        return response.status, text.replace(shown_id, "ID")  # the page's own return link

    for suffix in ("intrekken", "ontvangstbewijs"):
        real = await answer(f"/mijn-toestemmingen/{consent_id}/{suffix}", consent_id)
        made_up = await answer(f"/mijn-toestemmingen/{made_up_id}/{suffix}", made_up_id)
        assert real[0] == 404 and real == made_up, suffix
    api = await client.get(
        f"/api/v1/me/consents/{consent_id}/receipts", cookies={COOKIE_NAME: stranger}
    )
    assert api.status == 404
    csrf = await csrf_of(client, stranger)
    refused = await post(
        client, f"/mijn-toestemmingen/{consent_id}/intrekken", stranger, {"csrf_token": csrf}
    )
    assert refused.status == 404
    assert (await client.app[CONSENTS].get(consent_id)).status == "active"
