"""The console's pages over real HTTP: the access log (search, BSN at the edge, detail
with the whole exchange, CSV, every search audited), break-the-glass review per
exchange, lifting confidentiality (end to end into the household's access log), and
integrity (verified, then a cut detected, re-verify rate-limited)."""

from __future__ import annotations

import csv
import io
from typing import Any

from audit_support import decision, drop_guards
from consent_support import MOTHER
from login_support import Client
from officer_support import cookie, csrf_of, officer_session
from sqlalchemy import text

from gateway.appkeys import (
    AUDIT,
    AUDIT_READER,
    ENGINE,
    HOUSEHOLD_SESSIONS,
    PSEUDONYMISER,
    SETTINGS,
)
from gateway.audit.query import AuditFilters, Scope

BSN = "111222333"


async def seed(client: Client) -> dict[str, list[int]]:
    """Three exchanges: the wijkteam asks Veilig Thuis (two decisions, one request); a
    break-the-glass exchange of the GI (two decisions); a confidential decision about
    the mother, asked by Veilig Thuis."""
    audit = client.app[AUDIT]
    subject = client.app[PSEUDONYMISER].pseudonym(BSN)
    mother = client.app[PSEUDONYMISER].pseudonym(MOTHER)
    plain = await audit.append(
        [
            decision(1, subject=subject, request_id="req_plain_1"),
            decision(
                2,
                subject=subject,
                request_id="req_plain_1",
                category="safety",
                decision="deny",
                outcome="denied",
                reason="no_rule",
            ),
        ]
    )
    glass = await audit.append(
        [
            decision(
                n,
                subject=subject,
                request_id="req_glass_1",
                purpose="acute_safety",
                break_glass=True,
                justification="Kind alleen thuis",
                requester_org="gi-jeugdbescherming-demo",
                professional="jb-9",
                source=src,
            )
            for n, src in ((3, "veilig-thuis-utrecht"), (4, "wijkteam-utrecht"))
        ]
    )
    secret = await audit.append(
        [
            decision(
                5,
                subject=mother,
                request_id="req_conf_1",
                requester_org="veilig-thuis-utrecht",
                source="veilig-thuis-utrecht",
                confidentiality="confidential",
                rule_ids=("vt-reporter-protection",),
            )
        ]
    )
    return {"plain": plain, "glass": glass, "secret": secret}


async def html(client: Client, path: str, token: str, status: int = 200) -> str:
    response = await client.get(path, headers=cookie(token), allow_redirects=False)
    body = await response.text()
    assert response.status == status, (response.status, body[:500])
    return body


async def test_search_by_bsn_pseudonymises_at_the_edge_and_is_audited(client: Client) -> None:
    seqs = await seed(client)
    token = await officer_session(client, "fg_wijkteam")
    csrf = csrf_of(await html(client, "/fg/logboek", token))
    posted = await client.post(
        "/fg/logboek",
        headers=cookie(token),
        data={"csrf_token": csrf, "bsn": BSN, "decision": "permit"},
        allow_redirects=False,
    )
    assert posted.status == 303
    location = posted.headers["Location"]
    assert BSN not in location
    subject = client.app[PSEUDONYMISER].pseudonym(BSN)
    assert f"subject={subject}" in location and "decision=permit" in location
    page = await html(client, location, token)
    assert BSN not in page
    assert f'href="/fg/logboek/{seqs["plain"][0]}"' in page
    assert f'href="/fg/logboek/{seqs["plain"][1]}"' not in page  # a deny: filtered out
    queries = await client.app[AUDIT_READER].search(
        AuditFilters(event_type="audit.query"), Scope(None)
    )
    newest = queries.entries[0]
    assert newest.professional == "fg-wijkteam-utrecht-1" and newest.subject == subject
    assert newest.details["format"] == "page" and newest.details["filter_decision"] == "permit"


async def test_a_bsn_failing_the_elfproef_is_said_on_the_page_never_echoed(
    client: Client,
) -> None:
    token = await officer_session(client, "fg_wijkteam")
    csrf = csrf_of(await html(client, "/fg/logboek", token))
    posted = await client.post(
        "/fg/logboek",
        headers=cookie(token),
        data={"csrf_token": csrf, "bsn": "123456789"},
        allow_redirects=False,
    )
    assert "123456789" not in posted.headers["Location"]
    page = await html(client, posted.headers["Location"], token, status=400)
    assert "elfproef" in page and "123456789" not in page


async def test_bad_filters_are_a_400_page_naming_the_field(client: Client) -> None:
    token = await officer_session(client, "fg_wijkteam")
    page = await html(client, "/fg/logboek?from=gisteren&organisation=nope", token, 400)
    assert 'data-error="from"' in page and 'data-error="organisation"' in page
    page = await html(client, "/fg/logboek?subject=ps_nothex", token, 400)
    assert 'data-error="subject"' in page
    page = await html(client, "/fg/logboek?cursor=forged.abc", token, 400)
    assert 'data-error="cursor"' in page
    typed = await client.get(
        "/fg/logboek?bsn=111222333&decision=deny", headers=cookie(token), allow_redirects=False
    )  # never by GET: away from that address at once, the BSN not repeated
    assert typed.status == 303 and "111222333" not in typed.headers["Location"]
    page = await html(client, typed.headers["Location"], token, 400)
    assert "111222333" not in page and 'data-error="bsn_in_url"' in page


async def test_an_entry_shows_its_explanation_and_the_whole_exchange(client: Client) -> None:
    seqs = await seed(client)
    token = await officer_session(client, "fg_wijkteam")
    page = await html(client, f"/fg/logboek/{seqs['plain'][0]}", token)
    assert "wijkteam-support-1" in page and "public_task" in page and "sha256:abc" in page
    for seq in seqs["plain"]:
        assert f'href="/fg/logboek/{seq}"' in page
    assert f'href="/fg/logboek/{seqs["glass"][0]}"' not in page  # another exchange


async def test_csv_export_of_the_same_search(client: Client) -> None:
    seqs = await seed(client)
    token = await officer_session(client, "fg_wijkteam")
    response = await client.get("/fg/logboek.csv?decision=deny", headers=cookie(token))
    assert response.status == 200 and response.content_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert [int(r["seq"]) for r in rows] == [seqs["plain"][1]]


async def test_an_officer_sees_no_other_organisations_entries_by_any_way(client: Client) -> None:
    seqs = await seed(client)
    token = await officer_session(client, "fg_wijkteam")  # not involved in the confidential one
    secret = seqs["secret"][0]
    # by filter
    page = await html(client, "/fg/logboek?organisation=veilig-thuis-utrecht", token)
    assert f'href="/fg/logboek/{secret}"' not in page
    page = await html(client, "/fg/logboek?confidentiality=confidential", token)
    assert f'href="/fg/logboek/{secret}"' not in page
    # by id
    await html(client, f"/fg/logboek/{secret}", token, status=404)
    # by CSV
    response = await client.get("/fg/logboek.csv?limit=10000", headers=cookie(token))
    seqs_in_csv = {int(r["seq"]) for r in csv.DictReader(io.StringIO(await response.text()))}
    assert secret not in seqs_in_csv and seqs["plain"][0] in seqs_in_csv
    # by the confidential list and by lifting it
    page = await html(client, "/fg/vertrouwelijk", token)
    assert f"/fg/vertrouwelijk/{secret}/opheffen" not in page
    csrf = csrf_of(page)
    lifted = await client.post(
        f"/fg/vertrouwelijk/{secret}/opheffen",
        headers=cookie(token),
        data={"csrf_token": csrf, "note": "mag"},
        allow_redirects=False,
    )
    assert lifted.status == 404
    # the GI's officer sees its own break-the-glass exchange, not the plain one
    gi = await officer_session(client, "fg_gi")
    page = await html(client, "/fg/logboek", gi)
    assert f'href="/fg/logboek/{seqs["glass"][0]}"' in page
    assert f'href="/fg/logboek/{seqs["plain"][0]}"' not in page


async def test_the_regional_officer_sees_the_region(client: Client) -> None:
    seqs = await seed(client)
    token = await officer_session(client, "fg_region")
    page = await html(client, "/fg/logboek?limit=500", token)
    for group in seqs.values():
        for seq in group:
            assert f'href="/fg/logboek/{seq}"' in page


async def test_break_the_glass_is_reviewed_per_exchange_with_csrf(client: Client) -> None:
    seqs = await seed(client)
    token = await officer_session(client, "fg_gi")
    page = await html(client, "/fg/doorbraken", token)
    first = seqs["glass"][0]
    assert f'action="/fg/doorbraken/{first}/beoordelen"' in page
    assert f'action="/fg/doorbraken/{seqs["glass"][1]}/beoordelen"' not in page  # one form
    form = {"verdict": "justified", "note": "Politie bevestigde acuut gevaar"}
    no_csrf = await client.post(
        f"/fg/doorbraken/{first}/beoordelen",
        headers=cookie(token),
        data=form,
        allow_redirects=False,
    )
    assert no_csrf.status == 403
    wrong = await client.post(
        f"/fg/doorbraken/{first}/beoordelen",
        headers=cookie(token),
        data={**form, "csrf_token": "x" * 43},
        allow_redirects=False,
    )
    assert wrong.status == 403
    reviews = await client.app[AUDIT_READER].break_glass_reviews(seqs["glass"])
    assert reviews == {}
    done = await client.post(
        f"/fg/doorbraken/{first}/beoordelen",
        headers=cookie(token),
        data={**form, "csrf_token": csrf_of(page)},
        allow_redirects=False,
    )
    assert done.status == 303 and done.headers["Location"] == "/fg/doorbraken?klaar=beoordeeld"
    reviews = await client.app[AUDIT_READER].break_glass_reviews(seqs["glass"])
    assert sorted(reviews) == sorted(seqs["glass"])  # both decisions of the exchange
    assert {r.details["verdict"] for r in reviews.values()} == {"justified"}
    assert {r.professional for r in reviews.values()} == {"fg-gi-jeugdbescherming-1"}
    again = await client.post(
        f"/fg/doorbraken/{first}/beoordelen",
        headers=cookie(token),
        data={**form, "csrf_token": csrf_of(page)},
        allow_redirects=False,
    )
    assert again.headers["Location"] == "/fg/doorbraken?fout=already_reviewed"
    page = await html(client, "/fg/doorbraken", token)
    assert f"/fg/doorbraken/{first}/beoordelen" not in page


async def test_an_incomplete_review_changes_nothing(client: Client) -> None:
    seqs = await seed(client)
    token = await officer_session(client, "fg_gi")
    csrf = csrf_of(await html(client, "/fg/doorbraken", token))
    for data in ({"verdict": "justified", "note": "  "}, {"verdict": "maybe", "note": "x"}):
        response = await client.post(
            f"/fg/doorbraken/{seqs['glass'][0]}/beoordelen",
            headers=cookie(token),
            data={**data, "csrf_token": csrf},
            allow_redirects=False,
        )
        assert response.status == 303 and "fout=incomplete" in response.headers["Location"]
    assert await client.app[AUDIT_READER].break_glass_reviews(seqs["glass"]) == {}


async def test_lifting_takes_a_note_csrf_and_then_the_household_sees_the_entry(
    client: Client, household: dict[str, Any]
) -> None:
    seqs = await seed(client)
    secret = seqs["secret"][0]
    mother = client.app[PSEUDONYMISER].pseudonym(MOTHER)
    session = await client.app[HOUSEHOLD_SESSIONS].create(mother, household["id"], bsn=MOTHER)
    me = {"Authorization": f"Session {session}"}

    async def household_sees() -> set[int]:
        response = await client.get("/api/v1/me/access-log", headers=me)
        assert response.status == 200, await response.text()
        return {e["seq"] for e in (await response.json())["entries"]}

    assert secret not in await household_sees()
    token = await officer_session(client, "fg_vt")
    page = await html(client, "/fg/vertrouwelijk", token)
    assert f"/fg/vertrouwelijk/{secret}/opheffen" in page and "vt-reporter-protection" in page
    url = f"/fg/vertrouwelijk/{secret}/opheffen"
    no_csrf = await client.post(url, headers=cookie(token), data={"note": "klaar"})
    assert no_csrf.status == 403
    no_note = await client.post(
        url,
        headers=cookie(token),
        data={"csrf_token": csrf_of(page), "note": " "},
        allow_redirects=False,
    )
    assert "fout=note_required" in no_note.headers["Location"]
    assert secret not in await household_sees()
    done = await client.post(
        url,
        headers=cookie(token),
        data={"csrf_token": csrf_of(page), "note": "Melder veilig"},
        allow_redirects=False,
    )
    assert done.headers["Location"] == "/fg/vertrouwelijk?klaar=opgeheven"
    assert secret in await household_sees()
    lifts = await client.app[AUDIT_READER].search(
        AuditFilters(event_type="audit.confidentiality_lifted"), Scope(None)
    )
    [lift] = lifts.entries
    assert lift.target_seq == secret and lift.professional == "fg-veilig-thuis-utrecht-1"
    assert client.app[AUDIT].open_justification(lift) == "Melder veilig"


async def test_integrity_verified_then_a_cut_is_detected(client: Client) -> None:
    await seed(client)
    token = await officer_session(client, "fg_vt")
    page = await html(client, "/fg/integriteit", token)
    assert "nog niet gecontroleerd" in page
    verify = await client.post(
        "/fg/integriteit",
        headers=cookie(token),
        data={"csrf_token": csrf_of(page)},
        allow_redirects=False,
    )
    assert verify.headers["Location"] == "/fg/integriteit?melding=verified"
    page = await html(client, verify.headers["Location"], token)
    assert "Het logboek is in orde" in page
    async with client.app[ENGINE].begin() as conn:
        await drop_guards(conn)
        await conn.execute(text("DELETE FROM audit_entries WHERE seq = 3"))
    await client.post("/fg/integriteit", headers=cookie(token), data={"csrf_token": csrf_of(page)})
    page = await html(client, "/fg/integriteit", token)
    assert "Het logboek is niet in orde" in page and "Vanaf regel 3" in page
    verifies = await client.app[AUDIT_READER].search(
        AuditFilters(event_type="audit.verify"), Scope(None)
    )
    assert [e.details["ok"] for e in verifies.entries] == ["false", "true"]


async def test_re_verify_is_rate_limited_per_officer_with_a_page_message(client: Client) -> None:
    token = await officer_session(client, "fg_vt")
    csrf = csrf_of(await html(client, "/fg/integriteit", token))
    limit = client.app[SETTINGS].officer_verify_per_minute
    answers = []
    for _ in range(limit + 1):
        response = await client.post(
            "/fg/integriteit",
            headers=cookie(token),
            data={"csrf_token": csrf},
            allow_redirects=False,
        )
        answers.append(response.headers["Location"])
    assert answers[:limit] == ["/fg/integriteit?melding=verified"] * limit
    assert answers[limit] == "/fg/integriteit?melding=rate_limited"
    page = await html(client, answers[limit], token)
    assert "Wacht een minuut" in page
    # another officer is not held back by this one
    other = await officer_session(client, "fg_wijkteam")
    csrf = csrf_of(await html(client, "/fg/integriteit", other))
    response = await client.post(
        "/fg/integriteit",
        headers=cookie(other),
        data={"csrf_token": csrf},
        allow_redirects=False,
    )
    assert response.headers["Location"] == "/fg/integriteit?melding=verified"
