"""The console's insight pages over real HTTP, on both engines: policies (rules in plain
words, a comparison, the art. 30 register), simulation (changes within the officer's
scope only; invalid and huge rule sets said on the page with a 4xx), misuse signals
(each linked to exactly its entries in the log search), statistics (drill-down scoped,
never a count below the threshold). A household session is 403 on every one."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import aiohttp
from audit_support import decision, finance
from consent_support import MOTHER
from login_support import Client
from officer_support import cookie, csrf_of, officer_session
from support import REPO

from gateway.appkeys import AUDIT, AUDIT_READER, HOUSEHOLD_SESSIONS, INSIGHT, PSEUDONYMISER
from gateway.audit.query import AuditFilters, Scope
from gateway.auth.sessions import COOKIE_NAME

PAGES = ["/fg/beleid", "/fg/simulatie", "/fg/signalen", "/fg/statistieken"]
FORBID_FINANCES = (
    "[[rules]]\n"
    'id = "no-finances-at-all"\n'
    'effect = "forbid"\n'
    'description = { nl = "Niemand krijgt financiele gegevens.", '
    'en = "Nobody gets financial data." }\n'
    'requester_types = ["wijkteam", "veilig_thuis", "gi", "rvdk", "rvt"]\n'
    'purposes = ["support_planning"]\n'
    'source_types = ["*"]\n'
    'categories = ["finances"]\n'
)
INVALID = {
    "a.toml": "this is = not [toml",
    "b.toml": '[[rules]]\nid = "x"\neffect = "perhaps"\n',
}


async def html(client: Client, path: str, token: str, status: int = 200) -> str:
    response = await client.get(path, headers=cookie(token), allow_redirects=False)
    body = await response.text()
    assert response.status == status, (response.status, body[:800])
    return body


def candidate_form(
    csrf: str,
    *,
    text: str = "",
    files: dict[str, str] | None = None,
    basis: str = "in_force",
    **fields: str,
) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("csrf_token", csrf)
    form.add_field("rules", text)
    form.add_field("basis", basis)
    for name, value in fields.items():
        form.add_field(name, value)
    for name, content in (files or {}).items():
        form.add_field("files", content.encode(), filename=name, content_type="text/plain")
    if not files:  # a browser sends the empty file input too
        form.add_field("files", b"", filename="", content_type="application/octet-stream")
    return form


async def post_form(
    client: Client, path: str, token: str, form: aiohttp.FormData, status: int
) -> str:
    response = await client.post(path, headers=cookie(token), data=form, allow_redirects=False)
    body = await response.text()
    assert response.status == status, (response.status, body[:1500])
    return body


def period() -> dict[str, str]:
    today = datetime.now(UTC).date()
    return {"from": str(today - timedelta(days=7)), "to": str(today)}


def changed_seqs(page: str) -> set[int]:
    table = page.split('id="veranderingen"', 1)
    if len(table) < 2:
        return set()
    body = table[1].split("</table>", 1)[0]
    return {int(s) for s in re.findall(r'<tr data-seq="(\d+)"', body)}


# --- every page -------------------------------------------------------------------------


async def test_a_household_session_is_403_on_every_new_page(
    client: Client, household: dict[str, Any]
) -> None:
    mother = client.app[PSEUDONYMISER].pseudonym(MOTHER)
    token = await client.app[HOUSEHOLD_SESSIONS].create(mother, household["id"], bsn=MOTHER)
    before = await client.app[AUDIT_READER].count(AuditFilters(), Scope(None))
    posts = ["/fg/beleid/vergelijken", "/fg/simulatie"]
    gets = [*PAGES, "/fg/beleid/vergelijken"]
    for method, path in [*(("GET", p) for p in gets), *(("POST", p) for p in posts)]:
        for headers in (
            {"Cookie": f"{COOKIE_NAME}={token}", "Accept": "text/html"},
            {"Authorization": f"Session {token}"},
        ):
            response = await client.request(method, path, headers=headers, allow_redirects=False)
            assert response.status == 403, (method, path, response.status)
    assert await client.app[AUDIT_READER].count(AuditFilters(), Scope(None)) == before


async def test_every_new_page_is_in_the_menu_in_both_languages(client: Client) -> None:
    token = await officer_session(client, "fg_wijkteam")
    page = await html(client, "/fg/beleid", token)
    for path in PAGES:
        assert f'href="{path}"' in page
    assert 'href="/fg/beleid" aria-current="page"' in page
    english = await client.get(
        "/fg/statistieken",
        headers={**cookie(token), "Cookie": cookie(token)["Cookie"] + "; lang=en"},
    )
    text = await english.text()
    assert english.status == 200 and "Statistics for the monitor" in text, text[:300]


# --- policies ---------------------------------------------------------------------------


async def test_the_policies_page_shows_the_rules_and_the_register(client: Client) -> None:
    token = await officer_session(client, "fg_wijkteam")
    page = unescape(await html(client, "/fg/beleid", token))
    assert "sha256:" in page and 'id="versie"' in page
    assert "acute-safety-break-the-glass" in page
    assert "Bij direct gevaar mogen professionals" in page  # the rule in plain words
    assert "Samenwerkingsverband Jeugdbescherming Regio Utrecht (demo)" in page  # (a)
    assert "P20Y" in page and "Logboek van verstrekkingen: 20 jaar" in page  # (f)
    assert 'id="beveiliging"' in page  # (g)
    views = await client.app[AUDIT_READER].search(
        AuditFilters(event_type="audit.query"), Scope(None)
    )
    assert any(e.details.get("view") == "policies" for e in views.entries)


async def test_comparing_with_another_version_shows_the_difference(client: Client) -> None:
    token = await officer_session(client, "fg_wijkteam")
    csrf = csrf_of(await html(client, "/fg/beleid", token))
    page = unescape(
        await post_form(
            client, "/fg/beleid/vergelijken", token, candidate_form(csrf, text=FORBID_FINANCES), 200
        )
    )
    assert 'id="verschil"' in page
    assert "1 regel(s) erbij, 0 vervallen, 0 veranderd." in page
    assert "no-finances-at-all" in page and "Niemand krijgt financiele gegevens." in page
    # the same version: no difference
    same = {p.name: p.read_text() for p in (REPO / "config" / "policies").glob("*.toml")}
    page = await post_form(
        client,
        "/fg/beleid/vergelijken",
        token,
        candidate_form(csrf, files=same, basis="only"),
        200,
    )
    assert "De twee versies hebben dezelfde regels." in page
    # the result's address opened again (a reload, the language switch): back to the form
    again = await client.get("/fg/beleid/vergelijken", headers=cookie(token), allow_redirects=False)
    assert again.status == 303 and again.headers["Location"] == "/fg/beleid#vergelijken"


async def test_an_invalid_version_lists_every_problem_and_a_form_needs_its_token(
    client: Client,
) -> None:
    token = await officer_session(client, "fg_wijkteam")
    csrf = csrf_of(await html(client, "/fg/beleid", token))
    page = unescape(
        await post_form(
            client,
            "/fg/beleid/vergelijken",
            token,
            candidate_form(csrf, files=INVALID, basis="only"),
            422,
        )
    )
    problems = re.findall(r"<li><code>(.*?)</code></li>", page, re.S)
    assert len(problems) >= 3, problems
    assert any("a.toml" in p for p in problems) and sum("b.toml" in p for p in problems) >= 2
    await post_form(
        client, "/fg/beleid/vergelijken", token, candidate_form("wrong", text=FORBID_FINANCES), 403
    )


# --- simulation -------------------------------------------------------------------------


async def seed_finances(client: Client) -> dict[str, list[int]]:
    audit = client.app[AUDIT]
    wijkteam = await audit.append([finance(n) for n in range(3)])
    vt = await audit.append(
        [
            finance(
                10 + n,
                requester_org="veilig-thuis-utrecht",
                source="veilig-thuis-utrecht",
                professional="vt-3",
                rule_ids=("vt-support",),
            )
            for n in range(2)
        ]
    )
    return {"wijkteam": wijkteam, "vt": vt}


async def test_a_stricter_rule_shows_the_refusals_within_the_officers_scope_only(
    client: Client,
) -> None:
    seqs = await seed_finances(client)
    token = await officer_session(client, "fg_wijkteam")
    csrf = csrf_of(await html(client, "/fg/simulatie", token))
    page = await post_form(
        client,
        "/fg/simulatie",
        token,
        candidate_form(csrf, text=FORBID_FINANCES, **period()),
        200,
    )
    assert changed_seqs(page) == set(seqs["wijkteam"]), page[-3000:]
    assert "toegestaan → geweigerd" in page and "no-finances-at-all" in page
    for seq in seqs["vt"]:
        assert f'href="/fg/logboek/{seq}"' not in page
    # Veilig Thuis's officer: only their own
    vt = await officer_session(client, "fg_vt")
    csrf = csrf_of(await html(client, "/fg/simulatie", vt))
    page = await post_form(
        client, "/fg/simulatie", vt, candidate_form(csrf, text=FORBID_FINANCES, **period()), 200
    )
    assert seqs["vt"] and set(seqs["vt"]) <= changed_seqs(page)
    assert not changed_seqs(page) & set(seqs["wijkteam"])
    simulated = await client.app[AUDIT_READER].search(
        AuditFilters(event_type="policy.simulated"), Scope(None)
    )
    assert len(simulated.entries) == 2


async def test_an_invalid_or_huge_rule_set_is_a_4xx_page_listing_every_problem(
    client: Client,
) -> None:
    await seed_finances(client)
    token = await officer_session(client, "fg_wijkteam")
    csrf = csrf_of(await html(client, "/fg/simulatie", token))
    page = unescape(
        await post_form(
            client,
            "/fg/simulatie",
            token,
            candidate_form(csrf, files=INVALID, basis="only", **period()),
            422,
        )
    )
    problems = re.findall(r"<li><code>(.*?)</code></li>", page, re.S)
    assert len(problems) >= 3 and any("a.toml" in p for p in problems), problems
    assert 'data-error="invalid"' in page and 'id="veranderingen"' not in page
    limits = client.app[INSIGHT].simulation
    many = "".join(
        FORBID_FINANCES.replace("no-finances-at-all", f"r{n}") for n in range(limits.max_rules + 1)
    )
    assert len(many) < limits.max_body_bytes  # too many rules, not too many bytes
    page = await post_form(
        client, "/fg/simulatie", token, candidate_form(csrf, text=many, **period()), 422
    )
    assert 'data-error="too_many"' in page
    huge = "#" * (limits.max_body_bytes + 1)
    page = await post_form(
        client, "/fg/simulatie", token, candidate_form(csrf, text=huge, **period()), 413
    )
    assert 'data-error="too_large"' in page
    page = await post_form(
        client,
        "/fg/simulatie",
        token,
        candidate_form(csrf, text=FORBID_FINANCES, **{"from": "2026-02-01", "to": "2026-01-01"}),
        400,
    )
    assert 'data-error="period"' in page
    page = await post_form(
        client,
        "/fg/simulatie",
        token,
        candidate_form(csrf, text=FORBID_FINANCES, **{"from": "2024-01-01", "to": "2026-01-01"}),
        422,
    )
    assert 'data-error="period_too_long"' in page
    simulated = await client.app[AUDIT_READER].search(
        AuditFilters(event_type="policy.simulated"), Scope(None)
    )
    assert not simulated.entries  # nothing was simulated


# --- signals ----------------------------------------------------------------------------


async def test_a_signal_links_to_exactly_its_entries_by_professional(client: Client) -> None:
    audit = client.app[AUDIT]
    probing = await audit.append(
        [
            decision(n, decision="deny", outcome="denied", professional="prof-probe")
            for n in range(10)
        ]
    )
    # the same organisation, another professional, the same hour: not part of the signal
    others = await audit.append([decision(100 + n, professional="prof-other") for n in range(3)])
    # another organisation's probing: not the wijkteam's officer's business
    vt = await audit.append(
        [
            decision(
                200 + n,
                decision="deny",
                outcome="denied",
                requester_org="veilig-thuis-utrecht",
                source="veilig-thuis-utrecht",
                professional="vt-probe",
            )
            for n in range(10)
        ]
    )
    token = await officer_session(client, "fg_wijkteam")
    page = unescape(await html(client, "/fg/signalen", token))
    assert page.count('data-kind="probing"') == 1, page[-2000:]
    assert "Veel weigeringen kort na elkaar" in page and "vt-probe" not in page
    # only the probing section: outside 07:00-19:00 Amsterdam time (or at the weekend) the
    # same entries also make a legitimate outside-working-hours signal
    (section,) = re.findall(r'<section [^>]*data-kind="probing">.*?</section>', page, re.S)
    (link,) = re.findall(r'class="signal-link" href="([^"]+)"', section)
    assert "professional=prof-probe" in link and "organisation=wijkteam-utrecht" in link
    assert "from=" in link and "to=" in link and "decision=deny" in link
    found = await html(client, link, token)
    listed = {int(s) for s in re.findall(r'href="/fg/logboek/(\d+)"', found)}
    assert listed == set(probing), (listed, probing)
    assert not listed & set(others) and not listed & set(vt)


# --- statistics -------------------------------------------------------------------------


def figures(page: str) -> list[str]:
    return [
        unescape(v).strip() for v in re.findall(r'<td class="figure[^"]*">(.*?)</td>', page, re.S)
    ]


async def test_statistics_suppress_small_counts_and_never_show_one(client: Client) -> None:
    audit = client.app[AUDIT]
    # 12 distinct exchanges of the wijkteam, 3 break-the-glass ones: 12 shows, 3 does not
    await audit.append(
        [decision(n, request_id=f"req_stat_{n}", subject=f"ps_{n:040x}") for n in range(12)]
    )
    await audit.append(
        [
            decision(50 + n, request_id=f"req_bg_{n}", purpose="acute_safety", break_glass=True)
            for n in range(3)
        ]
    )
    token = await officer_session(client, "fg_wijkteam")
    page = await html(client, "/fg/statistieken", token)
    threshold = client.app[INSIGHT].statistics.threshold
    values = figures(page)
    assert values
    suppressed = [v for v in values if "onderdrukt" in v]
    numbers = [int(v) for v in values if "onderdrukt" not in v]
    assert suppressed, "the three break-the-glass uses are suppressed"
    assert all(n == 0 or n >= threshold for n in numbers), numbers
    assert any(n >= threshold for n in numbers)  # the twelve exchanges, rounded
    assert "cell-key" in page and "Onderdrukt: minder dan" in page
    assert 'data-unit="wijkteam-utrecht"' in page and 'data-unit="veilig-thuis-utrecht"' not in page


async def test_statistics_drill_down_is_scoped(client: Client) -> None:
    token = await officer_session(client, "fg_wijkteam")
    page = await html(client, "/fg/statistieken?organisation=veilig-thuis-utrecht", token, 403)
    assert 'data-error="forbidden"' in page and 'class="table statistics"' not in page
    page = await html(client, "/fg/statistieken?from=2026-Q3&to=2026-Q1", token, 400)
    assert 'data-error="invalid_filter"' in page
    # the regional officer drills down into one organisation of the region
    region = await officer_session(client, "fg_region")
    page = await html(client, "/fg/statistieken", region)
    assert 'data-unit="utrecht"' in page
    page = await html(client, "/fg/statistieken?organisation=wijkteam-utrecht", region)
    assert 'data-unit="wijkteam-utrecht"' in page and 'data-unit="utrecht"' not in page
    page = await html(client, "/fg/statistieken?organisation=rvt-utrecht-proeftuin", region, 403)


async def test_a_malformed_candidate_form_is_a_4xx_never_a_500(client: Client) -> None:
    token = await officer_session(client, "fg_wijkteam")
    csrf = csrf_of(await html(client, "/fg/simulatie", token))
    # not multipart: 415
    response = await client.post(
        "/fg/simulatie",
        headers=cookie(token),
        data={"csrf_token": csrf, "rules": FORBID_FINANCES},
        allow_redirects=False,
    )
    assert response.status == 415
    # a file that is not text (NUL) or not UTF-8: 400
    for content in (b"[[rules]]\x00", b"\xff\xfe\x00x"):
        form = aiohttp.FormData()
        form.add_field("csrf_token", csrf)
        form.add_field("files", content, filename="x.toml", content_type="text/plain")
        response = await client.post(
            "/fg/simulatie", headers=cookie(token), data=form, allow_redirects=False
        )
        assert response.status == 400, await response.text()
    # a file name the API would not take: said on the page
    page = await post_form(
        client,
        "/fg/simulatie",
        token,
        candidate_form(csrf, files={"../../etc/Passwd": FORBID_FINANCES}, **period()),
        400,
    )
    assert 'data-error="file_name"' in page
    # nothing at all: said on the page
    page = await post_form(client, "/fg/simulatie", token, candidate_form(csrf, **period()), 400)
    assert 'data-error="empty"' in page


async def test_two_versions_other_than_the_one_in_force_are_compared(client: Client) -> None:
    token = await officer_session(client, "fg_wijkteam")
    csrf = csrf_of(await html(client, "/fg/beleid", token))
    never = (REPO / "config" / "policies" / "00-never.toml").read_text()
    form = candidate_form(csrf, files={"00-never.toml": never}, basis="in_force")  # B: in force
    form.add_field("a_basis", "in_force")
    form.add_field("a_rules", FORBID_FINANCES)
    page = unescape(await post_form(client, "/fg/beleid/vergelijken", token, form, 200))
    assert "0 regel(s) erbij, 1 vervallen, 0 veranderd." in page
    assert "Regels die in versie B vervallen" in page and "no-finances-at-all" in page
    # version A does not load: said as version A's, with every problem
    form = candidate_form(csrf, text=FORBID_FINANCES)
    form.add_field("a_basis", "only")
    form.add_field("a_files", INVALID["b.toml"].encode(), filename="b.toml")
    page = unescape(await post_form(client, "/fg/beleid/vergelijken", token, form, 422))
    assert 'data-error="a_invalid"' in page and "Versie A:" in page
    assert len(re.findall(r"<li><code>(.*?)</code></li>", page, re.S)) >= 2


async def test_a_rule_card_shows_its_validity_and_break_the_glass_limits(client: Client) -> None:
    token = await officer_session(client, "fg_wijkteam")
    english = {**cookie(token), "Cookie": cookie(token)["Cookie"] + "; lang=en"}
    for headers, valid, hours, characters in (
        (cookie(token), "van 2025-01-01 tot en met 2027-12-31", "24 uur", "40 tekens"),
        (english, "from 2025-01-01 to and including 2027-12-31", "24 hours", "40 characters"),
    ):
        response = await client.get("/fg/beleid", headers=headers)
        assert response.status == 200
        page = unescape(await response.text())
        cards = dict(
            re.findall(
                r'<article class="rule [^"]*" aria-labelledby="regel-([^"]+)">(.*?)</article>',
                page,
                re.S,
            )
        )
        pilot, acute = cards["rvt-pilot-protection"], cards["acute-safety-break-the-glass"]
        assert 'data-field="valid"' in pilot and valid in pilot
        assert 'data-field="break_glass_duration"' not in pilot
        assert 'data-field="break_glass_duration"' in acute and hours in acute
        assert 'data-field="justification_length"' in acute and characters in acute
        assert 'data-field="valid"' not in acute
    # a candidate's own limits are shown on its cards in the comparison too
    csrf = csrf_of(await html(client, "/fg/beleid", token))
    stricter = (REPO / "config" / "policies" / "acute_safety.toml").read_text()
    stricter = stricter.replace("max_duration_hours = 24", "max_duration_hours = 4")
    page = unescape(
        await post_form(
            client,
            "/fg/beleid/vergelijken",
            token,
            candidate_form(csrf, files={"acute_safety.toml": stricter}),
            200,
        )
    )
    assert "4 uur" in page and "24 uur" in page
