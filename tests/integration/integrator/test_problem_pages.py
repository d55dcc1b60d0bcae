"""Every problem's `type` resolves to a page the gateway serves (NL API Design Rules),
in Dutch and English, as HTML without script or inline style, or as JSON if asked."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from markupsafe import escape

from gateway.appkeys import SETTINGS
from gateway.errors import all_error_classes
from gateway.http.problem_guide import GUIDE

Client = TestClient[web.Request, web.Application]
CODES = sorted({cls.code for cls in all_error_classes()})


class _Page(HTMLParser):
    """What a page holds that the CSP or WCAG would object to."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts = 0
        self.inline_styles = 0
        self.langs: list[str] = []
        self.h1 = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        self.scripts += tag == "script"
        self.inline_styles += tag == "style" or "style" in names
        self.h1 += tag == "h1"
        if names.get("lang"):
            self.langs.append(str(names["lang"]))


@pytest.mark.parametrize("code", CODES)
async def test_every_code_has_a_page_in_dutch_and_english(client: Client, code: str) -> None:
    response = await client.get(f"/problems/{code}", headers={"Accept": "text/html"})
    assert response.status == 200
    assert response.content_type == "text/html"
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    html = await response.text()
    page = _Page()
    page.feed(html)
    assert page.scripts == 0 and page.inline_styles == 0 and page.h1 == 1
    assert {"nl", "en"} <= set(page.langs)
    guide = GUIDE[code]
    assert guide.title_nl in html and code in html
    for advice in (guide.advice_en, guide.advice_nl):
        for piece in advice.split("`"):
            assert str(escape(piece)) in html
    assert "<JWT>" not in html  # escaped, like every text


async def test_a_page_is_json_when_json_is_asked_for(client: Client) -> None:
    response = await client.get(
        "/problems/unknown_purpose", headers={"Accept": "application/problem+json"}
    )
    assert response.status == 200
    body = await response.json()
    assert body["code"] == "unknown_purpose" and body["status"] == 400
    assert set(body["title"]) == {"nl", "en"} and set(body["advice"]) == {"nl", "en"}
    assert body["type"].endswith("/problems/unknown_purpose")


async def test_a_problem_type_is_a_url_of_this_gateway_that_answers(client: Client) -> None:
    """A real problem (no token) points at this gateway's page for its code."""
    problem = await client.post("/api/v1/exchanges", json={})
    assert problem.status == 401
    body = await problem.json()
    kind = urlsplit(body["type"])
    settings_base = urlsplit(client.app[SETTINGS].base_url)
    assert (kind.scheme, kind.netloc) == (settings_base.scheme, settings_base.netloc)
    assert kind.path == f"/problems/{body['code']}"
    page = await client.get(kind.path)
    assert page.status == 200


async def test_an_unknown_code_is_a_404_problem_not_a_page(client: Client) -> None:
    for path in ("/problems/no_such_code", "/problems/%3Cscript%3E", "/problems/"):
        response = await client.get(path, headers={"Accept": "text/html"})
        assert response.status == 404, path
        assert response.content_type == "application/problem+json"
        assert "<script" not in await response.text()
