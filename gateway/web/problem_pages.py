"""`/problems/{code}`: the page every problem's `type` URI points to (RFC 9457 §3.1.1).

One small page per code of the error tree, in Dutch and English on the same page
(`gateway.http.problem_guide`): what it means and what to do. A client that asks for JSON
(`Accept: application/json` or `application/problem+json`) gets the same as JSON. No
script, no inline style (the pages' CSP); an unknown code is a 404 problem, like any path.
"""

from __future__ import annotations

from aiohttp import web

from gateway.appkeys import SETTINGS
from gateway.errors import NotFound
from gateway.http.bodies import json_response
from gateway.http.middlewares import problem_type
from gateway.http.problem_guide import guide_for
from gateway.web.rendering import render

__all__ = ["problem_page", "setup"]

_JSON = ("application/json", "application/problem+json")


def _parts(text: str) -> list[tuple[bool, str]]:
    """`text` as (is code, words) pieces: `backticked` names are shown as code."""
    return [(index % 2 == 1, piece) for index, piece in enumerate(text.split("`")) if piece]


def _wants_json(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "")
    return any(kind in accept for kind in _JSON) and "text/html" not in accept


async def problem_page(request: web.Request) -> web.StreamResponse:
    code = request.match_info["code"]
    found = guide_for(code)
    if found is None:
        raise NotFound("No problem has this code")
    cls, guide = found
    if _wants_json(request):
        response = json_response(
            {
                "code": code,
                "status": cls.status,
                "type": problem_type(code, request.app[SETTINGS].base_url),
                "title": {"nl": guide.title_nl, "en": cls.title},
                "advice": {"nl": guide.advice_nl, "en": guide.advice_en},
            }
        )
    else:
        response = render(
            request,
            "problem.html",
            {
                "code": code,
                "status": cls.status,
                "title_en": cls.title,
                "guide": guide,
                "advice_nl": _parts(guide.advice_nl),
                "advice_en": _parts(guide.advice_en),
            },
        )
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Vary"] = "Accept"
    return response


def setup(app: web.Application) -> None:
    app.router.add_get("/problems/{code}", problem_page, name="web.problem")
