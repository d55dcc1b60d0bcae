"""The portal's dossier, access-log and download pages over real HTTP against the whole
demo deployment (reference sources and custody register on real sockets): what each
page shows, in plain words, and what it never shows."""

from __future__ import annotations

import re
from typing import Any

import jwt
import pytest
from audit_support import decision
from deployment import Deployment

from gateway.access import access_log as access_log_rules
from gateway.appkeys import (
    AUDIT,
    AUDIT_READER,
    HOUSEHOLD_SESSIONS,
    HOUSEHOLDS,
    PSEUDONYMISER,
    VOCABULARY,
)
from gateway.auth.sessions import COOKIE_NAME

HTML = {"Accept": "text/html"}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def ps(dep: Deployment, bsn: str) -> str:
    return dep.app[PSEUDONYMISER].pseudonym(bsn)


async def session_of(dep: Deployment, bsn: str) -> str:
    person = ps(dep, bsn)
    (household,) = await dep.app[HOUSEHOLDS].households_of(person)
    return await dep.app[HOUSEHOLD_SESSIONS].create(person, household, bsn=bsn)


def parent_with_custody_of(dep: Deployment, scenario: str) -> str:
    child = dep.population.scenario(scenario).bsn
    for household in dep.population.households:
        for c in household.custody:
            if c.child_bsn == child and c.has_custody:
                return c.parent_bsn
    raise AssertionError(scenario)


async def page(dep: Deployment, path: str, token: str, **kwargs: Any) -> Any:
    return await dep.client.get(
        path, headers=HTML, cookies={COOKIE_NAME: token}, allow_redirects=False, **kwargs
    )


async def text_of(dep: Deployment, path: str, token: str) -> str:
    response = await page(dep, path, token)
    assert response.status == 200, (path, response.status)
    return str(await response.text())


def visible_text(html: str) -> str:
    """The words a person reads (no attributes, no markup)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_the_dossier_page_shows_me_then_my_young_child_by_organisation_and_category(
    deployment: Deployment,
) -> None:
    dep = deployment
    parent = parent_with_custody_of(dep, "child_under_12")
    token = await session_of(dep, parent)
    html = await text_of(dep, "/mijn-dossier", token)
    words = visible_text(html)
    young = dep.population.scenario("child_under_12")
    age = dep.population.age(young)
    assert words.index("Over u ") < words.index(f"Over uw kind ({age} jaar)")
    twelve = dep.population.scenario("child_consented_at_11")
    assert f"({dep.population.age(twelve)} jaar)" not in words  # 12-15: not the parent's
    assert "Wijkteam Utrecht" in words
    assert "Het plan met de hulp die het gezin krijgt" in words  # a category, in words
    assert "Waarom u dit mag zien:" in words and "AVG art. 6" in words
    assert "ps_" not in words and "<script" not in html
    assert young.name.split()[0] in words  # the child's records, live from the source
    reads = await dep.app[AUDIT_READER].entries_for_subject([ps(dep, young.bsn)], limit=500)
    assert {e.professional for e in reads.entries if e.event_type == "household.read"} == {
        ps(dep, parent)
    }


async def test_the_dossier_page_of_a_parent_without_custody_is_about_them_alone(
    deployment: Deployment,
) -> None:
    dep = deployment
    token = await session_of(dep, dep.population.scenario("parent_without_custody").bsn)
    words = visible_text(await text_of(dep, "/mijn-dossier", token))
    assert "Over u " in words and "Over uw kind" not in words


async def test_a_parent_never_sees_restricted_data_about_the_child_nor_the_16_year_old(
    deployment: Deployment,
) -> None:
    dep = deployment
    mum = dep.population.scenario("shelter_address")
    token = await session_of(dep, mum.bsn)
    html = await text_of(dep, "/mijn-dossier", token)
    words = visible_text(html)
    assert "Over uw kind" in words  # the 4-year-old
    teen = dep.population.scenario("child_16_17")
    assert f"({dep.population.age(teen)} jaar)" not in words
    vocabulary = dep.app[VOCABULARY].categories
    restricted = [c.nl for c in vocabulary.values() if c.sensitivity == "restricted"]
    own, child = (visible_text(part) for part in html.split('id="persoon-2"', 1))
    assert vocabulary["shelter_address"].nl in own  # her own shelter address: hers to see
    assert not [label for label in restricted if label in child]
    assert vocabulary["reports"].nl in child  # the VT report about the child, no reporter


@pytest.mark.parametrize("deployment", [("wijkteam-utrecht",)], indirect=True)
async def test_a_source_that_does_not_answer_is_named_on_the_page(deployment: Deployment) -> None:
    dep = deployment
    token = await session_of(dep, dep.population.scenario("adult").bsn)
    words = visible_text(await text_of(dep, "/mijn-dossier", token))
    assert "Deze organisaties gaven nu geen antwoord." in words
    assert "Wijkteam Utrecht" in words


async def test_the_access_log_page_says_who_why_and_on_which_basis_and_marks_what_is_new(
    deployment: Deployment,
) -> None:
    dep = deployment
    adult = dep.population.scenario("adult")
    token = await session_of(dep, adult.bsn)
    first = visible_text(await text_of(dep, "/wie-heeft-gekeken", token))
    assert "U bekijkt deze lijst voor het eerst." in first
    assert "Veilig Thuis" in first and "Wmo 2015 art. 5.3.1" in first  # always said
    exchange = await dep.exchange(
        "wijkteam-utrecht",
        {
            "subject": {"bsn": adult.bsn},
            "purpose": "support_planning",
            "categories": ["support_plan"],
        },
    )
    assert exchange.status == 200, await exchange.text()
    seqs = await dep.app[AUDIT].append(
        [
            decision(
                41,
                subject=ps(dep, adult.bsn),
                purpose="acute_safety",
                break_glass=True,
                justification="Acuut",
                requester_org="gi-jeugdbescherming-demo",
            ),
            decision(42, subject=ps(dep, adult.bsn), confidentiality="confidential"),
        ]
    )
    html = await text_of(dep, "/wie-heeft-gekeken", token)
    words = visible_text(html)
    assert "U bekeek deze lijst eerder op" in words
    assert "Wijkteam Utrecht-Demo (hulpverlener)" in words
    assert "Het plan met de hulp die het gezin krijgt" in words
    assert "Nieuw" in words and "Noodgeval" in words and "Nog niet gecontroleerd." in words
    assert 'class="entry entry-break-glass"' in html
    assert f'id="e-{seqs[1]}"' not in html  # confidential: hidden until lifted
    assert "Soms staat iets hier nog niet" in words
    english = await dep.client.get(
        "/wie-heeft-gekeken", headers=HTML, cookies={COOKIE_NAME: token, "lang": "en"}
    )
    assert "Who looked at my data" in await english.text()


async def test_access_log_pages_are_full_and_their_cursor_works_only_in_this_session(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    dep = deployment
    parent = parent_with_custody_of(dep, "vt_report_subject")
    child = ps(dep, dep.population.scenario("vt_report_subject").bsn)  # 4: the parent sees
    hidden = [
        decision(100 + i, subject=child, category="reporter_identity", decision="deny")
        for i in range(7)
    ]
    shown = [decision(200 + i, subject=child, category="reports") for i in range(5)]
    # Interleaved, so that paging after filtering would leave short or empty pages.
    await dep.app[AUDIT].append([e for pair in zip(hidden, shown, strict=False) for e in pair])
    await dep.app[AUDIT].append(hidden[5:])
    token = await session_of(dep, parent)
    headers = {"Authorization": f"Session {token}"}
    pages, cursor = [], None
    while True:
        url = "/api/v1/me/access-log?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = await (await dep.client.get(url, headers=headers)).json()
        pages.append([e for e in body["entries"]])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert all(len(p) == 3 for p in pages[:-1]) and pages[-1]
    everything = [e for p in pages for e in p]
    assert not {e["category"]["code"] for e in everything if e["category"]} & {"reporter_identity"}
    about_child = [e for e in everything if e["subject"] == child and e["category"]]
    assert len([e for e in about_child if e["category"]["code"] == "reports"]) == 5
    # The first page's cursor, in another session of the same person: refused.
    first = await (await dep.client.get("/api/v1/me/access-log?limit=3", headers=headers)).json()
    other = {"Authorization": f"Session {await session_of(dep, parent)}"}
    stolen = await dep.client.get(
        f"/api/v1/me/access-log?limit=3&cursor={first['next_cursor']}", headers=other
    )
    assert stolen.status == 400 and (await stolen.json())["code"] == "invalid_cursor"
    # On the page: its "older entries" link works in this session; in another, or
    # edited, it starts again at the first page (and says so).
    await dep.app[AUDIT].append([decision(300 + i, subject=child) for i in range(30)])
    html = await text_of(dep, "/wie-heeft-gekeken", token)
    (older,) = re.findall(r'href="(/wie-heeft-gekeken\?verder=[^"]+)"', html)
    older = older.replace("&amp;", "&")
    assert (await page(dep, older, token)).status == 200
    for other_token, link in (
        (await session_of(dep, parent), older),
        (token, older[:-4] + "AAAA"),
        (token, f"/wie-heeft-gekeken?verder={first['next_cursor']}"),  # the API's query
    ):
        moved = await page(dep, link, other_token)
        assert moved.status == 303, link
        assert moved.headers["Location"] == "/wie-heeft-gekeken?verlopen=1"
    again = visible_text(await text_of(dep, "/wie-heeft-gekeken?verlopen=1", token))
    assert "De link naar de volgende bladzijde werkte niet meer." in again
    monkeypatch.setattr(access_log_rules, "CURSOR_TTL_SECONDS", -1)
    stale = await (await dep.client.get("/api/v1/me/access-log?limit=3", headers=headers)).json()
    expired = await dep.client.get(
        f"/api/v1/me/access-log?limit=3&cursor={stale['next_cursor']}", headers=headers
    )
    assert expired.status == 400 and (await expired.json())["code"] == "invalid_cursor"


async def test_the_download_page_explains_and_posts_with_csrf_for_a_signed_export(
    deployment: Deployment,
) -> None:
    dep = deployment
    adult = dep.population.scenario("adult")
    token = await session_of(dep, adult.bsn)
    html = await text_of(dep, "/mijn-gegevens", token)
    words = visible_text(html)
    assert "AVG artikel 15" in words and "AVG artikel 20" in words
    assert 'href="/.well-known/jwks.json"' in html
    refused = await dep.client.post(
        "/mijn-gegevens", data={}, headers=HTML, cookies={COOKIE_NAME: token}
    )
    assert refused.status == 403
    reader = dep.app[AUDIT_READER]
    kinds = {e.event_type for e in (await reader.entries_for_subject([ps(dep, adult.bsn)])).entries}
    assert "household.export" not in kinds  # nothing happened
    csrf = _CSRF.search(html).group(1)  # type: ignore[union-attr]
    done = await dep.client.post(
        "/mijn-gegevens", data={"csrf_token": csrf}, headers=HTML, cookies={COOKIE_NAME: token}
    )
    assert done.status == 200
    assert done.headers["Content-Disposition"] == 'attachment; filename="mijn-gegevens.json"'
    body = await done.json()
    jwks = await (await dep.client.get("/.well-known/jwks.json")).json()
    kid = jwt.get_unverified_header(body["jws"])["kid"]
    (key,) = [k for k in jwks["keys"] if k["kid"] == kid]
    claims = jwt.decode(body["jws"], jwt.PyJWK(key).key, algorithms=["EdDSA"])
    assert claims["export"] == body["export"]
    assert claims["export"]["person"] == ps(dep, adult.bsn)


async def test_every_link_on_the_home_page_opens_a_page(deployment: Deployment) -> None:
    dep = deployment
    token = await session_of(dep, dep.population.scenario("adult").bsn)
    home = await text_of(dep, "/", token)
    links = set(re.findall(r'href="(/[^"]*)"', home)) - {"/static/portal.css"}
    assert {"/mijn-dossier", "/wie-heeft-gekeken", "/mijn-gegevens"} <= links
    for link in sorted(links):
        response = await page(dep, link.replace("&amp;", "&"), token)
        assert response.status in (200, 303), link
        if response.status == 303:  # the language switch returns to the home page
            assert response.headers["Location"] == "/"


async def test_the_access_log_page_never_shows_a_16_year_old_or_another_households_child(
    deployment: Deployment,
) -> None:
    dep = deployment
    parent = parent_with_custody_of(dep, "child_16_17")
    teen = ps(dep, dep.population.scenario("child_16_17").bsn)
    elsewhere = ps(dep, dep.population.scenario("child_consented_at_11").bsn)  # 12, household 1
    seqs = await dep.app[AUDIT].append(
        [decision(500, subject=teen), decision(501, subject=elsewhere)]
    )
    token = await session_of(dep, parent)
    for path in (
        "/wie-heeft-gekeken",
        f"/wie-heeft-gekeken?persoon={elsewhere}",
        f"/wie-heeft-gekeken?subject={teen}",
    ):
        response = await page(dep, path, token)
        if response.status == 303:  # an unknown parameter: the plain page, nothing else
            assert response.headers["Location"] == "/wie-heeft-gekeken"
            response = await page(dep, response.headers["Location"], token)
        html = await response.text()
        assert all(f'id="e-{seq}"' not in html for seq in seqs), path
        assert teen not in html and elsewhere not in html
    # The child of 12 in the other household sees their own entry; the parent never did.
    child_token = await session_of(dep, dep.population.scenario("child_consented_at_11").bsn)
    assert f'id="e-{seqs[1]}"' in await text_of(dep, "/wie-heeft-gekeken", child_token)
