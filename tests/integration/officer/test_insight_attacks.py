"""Attacks on the console's insight pages (signals, policies, comparison, simulation,
statistics), over real HTTP on both engines, each made as a class rather than one
example: forged or foreign CSRF tokens (form and multipart), household cookies,
malformed and oversized multipart bodies, TOML bombs and markup in rule texts, absurd
periods and statistics parameters, seq guessing across organisations, open-redirect
attempts through the language switch, expired sessions. Every one ends in a 4xx (or the
login redirect), never a 500 or a stack trace, and writes nothing half."""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
from audit_support import decision
from consent_support import MOTHER
from login_support import Client
from officer_support import cookie, csrf_of, officer_session
from support import GatewayFixture

from gateway.appkeys import AUDIT, AUDIT_READER, HOUSEHOLD_SESSIONS, PSEUDONYMISER
from gateway.audit.query import AuditFilters, Scope
from gateway.auth.officer_sessions import OFFICER_COOKIE
from gateway.auth.sessions import COOKIE_NAME

POSTS = ["/fg/simulatie", "/fg/beleid/vergelijken"]
GETS = ["/fg/signalen", "/fg/beleid", "/fg/beleid/vergelijken", "/fg/simulatie", "/fg/statistieken"]
LEAKS = ("Traceback", 'File "/', "Exception", "sqlalchemy", "aiohttp.web")
RULE = (
    "[[rules]]\n"
    'id = "no-finances"\n'
    'effect = "forbid"\n'
    'description = {{ nl = "{nl}", en = "{en}" }}\n'
    'requester_types = ["wijkteam"]\n'
    'purposes = ["support_planning"]\n'
    'source_types = ["*"]\n'
    'categories = ["finances"]\n'
)
SCRIPT = "<script>alert(1)</script><img src=x onerror=alert(2)>"


async def count(client: Client) -> int:
    """The entries written but the officer's own views (a refused comparison shows the
    policies page again, and that view is logged as every view is)."""
    reader = client.app[AUDIT_READER]
    views = await reader.count(AuditFilters(event_type="audit.query"), Scope(None))
    return await reader.count(AuditFilters(), Scope(None)) - views


def clean(body: str) -> None:
    for leak in LEAKS:
        assert leak not in body, (leak, body[:800])


async def get(client: Client, path: str, token: str, *, expect: int | tuple[int, ...]) -> str:
    response = await client.get(path, headers=cookie(token), allow_redirects=False)
    body = await response.text()
    allowed = expect if isinstance(expect, tuple) else (expect,)
    assert response.status in allowed, (path[:200], response.status, body[:800])
    clean(body)
    return body


def form(csrf: str | None, *, rules: str = "", **fields: str) -> aiohttp.FormData:
    data = aiohttp.FormData()
    if csrf is not None:
        data.add_field("csrf_token", csrf)
    data.add_field("rules", rules)
    data.add_field("basis", "in_force")
    for name, value in fields.items():
        data.add_field(name, value)
    # the empty file input a browser sends too (and what makes it multipart)
    data.add_field("files", b"", filename="", content_type="application/octet-stream")
    return data


async def post(
    client: Client,
    path: str,
    token: str,
    data: Any,
    *,
    expect: int | tuple[int, ...],
    headers: dict[str, str] | None = None,
) -> str:
    response = await client.post(
        path, headers={**cookie(token), **(headers or {})}, data=data, allow_redirects=False
    )
    body = await response.text()
    allowed = expect if isinstance(expect, tuple) else (expect,)
    assert response.status in allowed, (path, response.status, body[:1500])
    assert response.status < 500
    clean(body)
    return body


def same_page(body: str, seq: str) -> str:
    """A page without what differs between any two answers (its seq, its request id)."""
    body = re.sub(rf"logboek(/|%2F){seq}\b", "logboek/N", body)
    return re.sub(r"req_[0-9a-f]+", "req", body.replace(f">{seq}<", ">N<"))


def raw_multipart(boundary: str, parts: list[tuple[str, bytes]]) -> bytes:
    """A multipart body by hand: each part its header lines and its content."""
    out = b""
    for headers, content in parts:
        out += f"--{boundary}\r\n".encode() + headers.encode("latin-1") + b"\r\n\r\n"
        out += content + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


@pytest.fixture
async def officer(client: Client) -> tuple[str, str]:
    token = await officer_session(client, "fg_wijkteam")
    csrf = csrf_of(await get(client, "/fg/simulatie", token, expect=200))
    return token, csrf


# --- CSRF and sessions -------------------------------------------------------------------


async def test_a_post_without_its_own_csrf_token_is_403_and_writes_nothing(
    client: Client, officer: tuple[str, str]
) -> None:
    token, csrf = officer
    other = await officer_session(client, "fg_vt")
    foreign = csrf_of(await get(client, "/fg/simulatie", other, expect=200))
    rules = RULE.format(nl="x", en="x")
    before = await count(client)
    for path in POSTS:
        for sent in (None, "", "x" * 43, csrf[:-1] + ("A" if csrf[-1] != "A" else "B"), foreign):
            await post(client, path, token, form(sent, rules=rules), expect=403)
        # two tokens, the right one first or last: refused either way (no "any of")
        for pair in ((csrf, foreign), (foreign, csrf)):
            data = form(pair[0], rules=rules)
            data.add_field("csrf_token", pair[1])
            await post(client, path, token, data, expect=(400, 403))
        # URL-encoded with the right token: not the form's type
        await post(client, path, token, {"csrf_token": csrf, "rules": rules}, expect=415)
    assert await count(client) == before


async def test_a_household_cookie_or_none_reaches_no_insight_page(
    client: Client, household: dict[str, Any]
) -> None:
    mother = client.app[PSEUDONYMISER].pseudonym(MOTHER)
    token = await client.app[HOUSEHOLD_SESSIONS].create(mother, household["id"], bsn=MOTHER)
    before = await count(client)
    for m, path in [*(("GET", p) for p in GETS), *(("POST", p) for p in POSTS)]:
        response = await client.request(
            m,
            path,
            headers={"Cookie": f"{COOKIE_NAME}={token}", "Accept": "text/html"},
            data=form("x", rules="x"),
            allow_redirects=False,
        )
        assert response.status == 403, (m, path, response.status)
        # nothing at all: to the login page
        response = await client.request(m, path, allow_redirects=False)
        assert response.status == 303 and response.headers["Location"] == "/fg/inloggen"
    assert await count(client) == before


async def test_a_logged_out_or_made_up_session_is_sent_to_the_login(
    client: Client, officer: tuple[str, str]
) -> None:
    token, csrf = officer
    response = await client.post(
        "/fg/uitloggen", headers=cookie(token), data={"csrf_token": csrf}, allow_redirects=False
    )
    assert response.status in (302, 303)
    for stale in (token, "made-up-" + "x" * 40, "é" * 10):
        for path in GETS:
            response = await client.get(
                path, headers={"Cookie": f"{OFFICER_COOKIE}={stale}"}, allow_redirects=False
            )
            assert response.status == 303, (path, response.status)
            assert response.headers["Location"].startswith("/fg/inloggen")
            assert "data-unit" not in await response.text()
        for path in POSTS:
            response = await client.post(
                path,
                headers={"Cookie": f"{OFFICER_COOKIE}={stale}"},
                data=form(csrf, rules="x"),
                allow_redirects=False,
            )
            assert response.status == 303, (path, response.status)


# --- multipart ---------------------------------------------------------------------------


async def test_malformed_or_oversized_multipart_is_a_4xx(
    client: Client, officer: tuple[str, str]
) -> None:
    token, csrf = officer
    before = await count(client)
    for path in POSTS:
        # many parts
        data = form(csrf)
        for n in range(200):
            data.add_field(f"f{n}", "x")
        await post(client, path, token, data, expect=413)
        b = "grens1234"
        ctype = {"Content-Type": f"multipart/form-data; boundary={b}"}
        # one huge part
        body = raw_multipart(
            b,
            [
                ('Content-Disposition: form-data; name="csrf_token"', csrf.encode()),
                ('Content-Disposition: form-data; name="rules"', b"#" * (8 * 1024 * 1024)),
            ],
        )
        await post(client, path, token, io.BytesIO(body), headers=ctype, expect=413)
        # a huge, a traversing, a NUL, a non-UTF-8 file name
        for filename in (
            "a" * 100_000 + ".toml",
            "../../../etc/passwd.toml",
            "..\\..\\windows\\x.toml",
            "x\x00.toml",
            "x\u202e.toml",
        ):
            body = raw_multipart(
                b,
                [
                    ('Content-Disposition: form-data; name="csrf_token"', csrf.encode()),
                    ('Content-Disposition: form-data; name="basis"', b"only"),
                    (
                        'Content-Disposition: form-data; name="files"; filename="'
                        + filename.encode("utf-8").decode("latin-1")
                        + '"',
                        RULE.format(nl="x", en="x").encode(),
                    ),
                ],
            )
            await post(client, path, token, io.BytesIO(body), headers=ctype, expect=(400, 413, 422))
        body = raw_multipart(
            b,
            [
                ('Content-Disposition: form-data; name="csrf_token"', csrf.encode()),
                ('Content-Disposition: form-data; name="files"; filename="\xff\xfe.toml"', b"x"),
            ],
        )
        await post(client, path, token, body, headers=ctype, expect=(400, 422))
        # a field name that is not text
        body = raw_multipart(
            b,
            [
                ('Content-Disposition: form-data; name="csrf_token"', csrf.encode()),
                ('Content-Disposition: form-data; name="\x01\xff"', b"x"),
            ],
        )
        await post(client, path, token, body, headers=ctype, expect=400)
        # boundary games: none, empty, another one than the body's, unterminated, nested
        for header, content in (
            ("multipart/form-data", b"--x\r\n\r\n"),
            ("multipart/form-data; boundary=", b"--\r\n"),
            (f"multipart/form-data; boundary={b}", raw_multipart("anders", [])),
            (f"multipart/form-data; boundary={b}", f"--{b}\r\nContent-Disp".encode()),
            (f"multipart/form-data; boundary={'b' * 5000}", b"x"),
            (
                f"multipart/form-data; boundary={b}",
                raw_multipart(
                    b,
                    [
                        (
                            'Content-Disposition: form-data; name="files"\r\n'
                            "Content-Type: multipart/mixed; boundary=inner",
                            raw_multipart("inner", [("Content-Disposition: file", b"x")]),
                        )
                    ],
                ),
            ),
            ("multipart/mixed; boundary=x", raw_multipart("x", [])),
            ("text/plain", b"csrf_token=" + csrf.encode()),
            ("application/json", b'{"csrf_token": "' + csrf.encode() + b'"}'),
        ):
            await post(
                client,
                path,
                token,
                content,
                headers={"Content-Type": header},
                expect=(400, 403, 413, 415),
            )
    assert await count(client) == before


async def test_duplicate_fields_never_pass_a_second_value_unchecked(
    client: Client, officer: tuple[str, str]
) -> None:
    token, csrf = officer
    data = form(csrf, rules=RULE.format(nl="een", en="one"), **{"from": "2026-01-01"})
    data.add_field("from", "not-a-date")
    data.add_field("basis", "only")
    data.add_field("rules", RULE.format(nl="twee", en="two"))
    await post(client, "/fg/simulatie", token, data, expect=(200, 400))


# --- TOML bombs and markup ---------------------------------------------------------------

BOMBS = [
    "x = " + "[" * 50_000 + "]" * 50_000,
    "x = " + "{a = " * 20_000 + "1" + "}" * 20_000,
    "x = " + "[{a = " * 10_000 + "1" + "}]" * 10_000,
]


@pytest.mark.parametrize(
    "bomb",
    [
        *BOMBS,
        "[" + ".".join(["a"] * 20_000) + "]\nb = 1",
        "x = [" + ",".join(["1"] * 200_000) + "]",
        'x = "' + "a" * 900_000 + '"',
        "".join(RULE.format(nl="x", en="x").replace("no-finances", f"r{n}") for n in range(3000)),
    ],
    ids=[
        "arrays",
        "inline-tables",
        "mixed",
        "dotted-keys",
        "huge-array",
        "huge-string",
        "many-rules",
    ],
)
async def test_a_toml_bomb_is_a_4xx_on_every_form(
    client: Client, officer: tuple[str, str], bomb: str
) -> None:
    token, csrf = officer
    before = await count(client)
    for path in POSTS:
        await post(
            client,
            path,
            token,
            form(csrf, rules=bomb, basis="only"),
            expect=(400, 413, 422),
        )
    # the comparison's version A may be the bomb as well
    data = form(csrf, rules=RULE.format(nl="x", en="x"), basis="only")
    data.add_field("a_basis", "only")
    data.add_field("a_rules", bomb)
    await post(client, "/fg/beleid/vergelijken", token, data, expect=(400, 413, 422))
    # the refusals are logged as the use-case's refusal at most; nothing else is written
    assert await count(client) - before <= len(POSTS)


async def test_a_deeply_nested_rule_set_is_a_422_listing_the_problem_in_the_api(
    client: Client, gateway: GatewayFixture
) -> None:
    for bomb in BOMBS:
        for path, extra in (
            (
                "/api/v1/policies/simulate",
                {"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"},
            ),
            ("/api/v1/policies/compare", {}),
        ):
            response = await client.post(
                path,
                json={"policies": {"bom.toml": bomb}, **extra},
                headers=gateway.auth("wijkteam-utrecht", "privacy_officer"),
            )
            body = await response.json()
            assert response.status == 422, (path, response.status, body)
            assert body["code"] == "policy_invalid"
            assert any("nest too deeply" in p for p in body["errors"]), body


async def test_markup_in_a_rule_is_escaped_and_the_page_has_its_csp(
    client: Client, officer: tuple[str, str]
) -> None:
    token, csrf = officer
    rules = RULE.format(nl=SCRIPT.replace('"', "'"), en=SCRIPT.replace('"', "'"))
    rules = rules.replace('id = "no-finances"', 'id = "x<b>y</b>"')
    for path in POSTS:
        response = await client.post(
            path,
            headers=cookie(token),
            data=form(csrf, rules=rules, basis="only"),
            allow_redirects=False,
        )
        body = await response.text()
        assert response.status < 500, body[:800]
        assert "<script>alert" not in body and "<img src=x" not in body and "<b>y</b>" not in body
        csp = response.headers.get("Content-Security-Policy", "")
        assert "script-src" in csp or "default-src" in csp, csp
        assert "unsafe-inline" not in csp.split("script-src", 1)[-1].split(";")[0]


# --- simulation periods ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-03-01", "2026-01-01"),
        ("0001-01-01", "9999-12-31"),
        ("9999-12-31", "9999-12-31"),
        ("2026-02-30", "2026-03-01"),
        ("gisteren", "vandaag"),
        ("2026-01-01T00:00+14:00", "2026-01-02T00:00-12:00"),
        ("2026-01-01", "2026-01-01" + "x" * 10_000),
        ("+2026-01-01", "2026-W01-1"),
        ("\u0662\u0660\u0662\u0666-\u0660\u0661-\u0660\u0661", "2026-01-02"),
        ("1969-12-31", "1970-01-01"),
    ],
)
async def test_a_wrong_simulation_period_is_a_4xx(
    client: Client, officer: tuple[str, str], start: str, end: str
) -> None:
    token, csrf = officer
    data = form(csrf, rules=RULE.format(nl="x", en="x"), **{"from": start, "to": end})
    await post(client, "/fg/simulatie", token, data, expect=(200, 400, 422))


# --- statistics --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "organisation=nobody-at-all",
        "organisation=veilig-thuis-utrecht",
        "organisation=wijkteam-utrecht&organisation=veilig-thuis-utrecht",
        "organisation=veilig-thuis-utrecht&organisation=wijkteam-utrecht",
        "organisation=utrecht",
        "from=2026-Q4&to=2020-Q1",
        "from=1000-Q1&to=9999-Q4",
        "from=2026-Q5&to=2026-Q0",
        "from=2026-Q1&from=2025-Q1&to=2026-Q1",
        "from=" + "2" * 5000,
        "from=%00&to=%FF",
        "from=\uff12\uff10\uff12\uff16-Q1",
        "organisation=" + "é" * 3000,
        "region=utrecht",
        "unit=veilig-thuis-utrecht",
        "quarter[]=x",
    ],
)
async def test_statistics_parameters_never_widen_the_scope(
    client: Client, officer: tuple[str, str], query: str
) -> None:
    token, _ = officer
    body = await get(client, f"/fg/statistieken?{query}", token, expect=(200, 400, 403))
    assert 'data-unit="veilig-thuis-utrecht"' not in body
    assert 'data-unit="utrecht"' not in body


async def test_a_regional_officer_drills_down_into_its_region_only(client: Client) -> None:
    token = await officer_session(client, "fg_region")
    for query in (
        "organisation=gi-jeugdbescherming-demo&organisation=rvt-utrecht-proeftuin",
        "organisation=rvt-utrecht-proeftuin",
        "organisation=../wijkteam-utrecht",
        "organisation=WIJKTEAM-UTRECHT",
    ):
        body = await get(client, f"/fg/statistieken?{query}", token, expect=(400, 403))
        assert 'class="table statistics"' not in body


# --- seq guessing and foreign names ------------------------------------------------------


async def test_another_organisations_entry_is_404_like_a_made_up_one(client: Client) -> None:
    audit = client.app[AUDIT]
    await audit.append(
        [
            decision(
                n,
                request_id=f"req_other_{n}",
                requester_org="veilig-thuis-utrecht",
                professional="vt-prof-geheim",
            )
            for n in range(3)
        ]
    )
    theirs = await client.app[AUDIT_READER].search(
        AuditFilters(organisation="veilig-thuis-utrecht"), Scope(None)
    )
    assert theirs.entries
    token = await officer_session(client, "fg_wijkteam")
    made_up = await get(client, "/fg/logboek/999999999", token, expect=404)
    for entry in theirs.entries:
        body = await get(client, f"/fg/logboek/{entry.seq}", token, expect=404)
        assert same_page(body, str(entry.seq)) == same_page(made_up, "999999999")
    for seq in ("-1", "0", "1e3", "9" * 400, "0x10", "%20"):
        await get(client, f"/fg/logboek/{seq}", token, expect=(400, 404))
    signals = await get(client, "/fg/signalen", token, expect=200)
    assert "vt-prof-geheim" not in signals
    # the signal link of the other organisation, followed by hand: refused or empty
    seqs = {e.seq for e in theirs.entries}
    for query in (
        "organisation=veilig-thuis-utrecht&professional=vt-prof-geheim",
        "professional=vt-prof-geheim",
        "organisation=wijkteam-utrecht&organisation=veilig-thuis-utrecht",
        "organisation=veilig-thuis-utrecht&organisation=wijkteam-utrecht",
    ):
        for path in ("/fg/logboek", "/fg/logboek.csv"):
            body = await get(client, f"{path}?{query}", token, expect=(200, 400, 403))
            listed = {int(s) for s in re.findall(r'href="/fg/logboek/(\d+)"', body)}
            assert not listed & seqs, (path, query, listed)
            if path.endswith(".csv"):  # (a page says back what was searched for)
                assert "vt-prof-geheim" not in body, (path, query)


# --- query strings and the language switch -----------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "x=1",
        "lang=en&lang=nl",
        "a=" + "ü" * 4000,
        "%ff%fe=%00",
        "terug=//evil.example",
    ],
)
async def test_odd_query_strings_are_never_a_500(
    client: Client, officer: tuple[str, str], query: str
) -> None:
    token, _ = officer
    for path in GETS:
        # the comparison's address opened by GET goes back to its form
        expect = (303, 400, 414) if path == "/fg/beleid/vergelijken" else (200, 400, 414)
        await get(client, f"{path}?{query}", token, expect=expect)


@pytest.mark.parametrize(
    "back",
    [
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
        "%2F%2Fevil.example",
        "%2F%5Cevil.example",
        "/%09/evil.example",
        "%0d%0aLocation:%20https://evil.example",
        "\\\\evil.example",
        "https:evil.example",
        "javascript:alert(1)",
        "/%2F%2Fevil.example",
    ],
)
async def test_the_language_switch_only_returns_to_this_site(client: Client, back: str) -> None:
    response = await client.get(f"/taal?lang=en&terug={back}", allow_redirects=False)
    clean(await response.text())
    if response.status == 400:  # a control character in the query: refused outright
        assert "Location" not in response.headers
        return
    assert response.status in (302, 303), response.status
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//"), location
    assert "\\" not in location and "\r" not in location and "\n" not in location
    assert urlsplit(location).netloc == "" and urlsplit(location).scheme == "", location
