"""Web pages: the household portal (`household/`), the privacy officer's console
(`officer/`, under `/fg`), server-rendered with autoescaping
Jinja2 templates (`templates/`), one stylesheet (`static/`), words in Dutch and English
(`i18n/`), CSRF tokens on every form (`csrf`), HTML error pages for browsers (`errors`),
the page per problem code that every problem's `type` points to (`problem_pages`).

Pages call the same use-cases as `gateway.api` (in `gateway.access`) and build no SQL.
Their routes are named `web.*`: they are pages, not operations of the OpenAPI document.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from aiohttp import web

from gateway.appkeys import KEYS
from gateway.http.middlewares import problems
from gateway.web import household, officer, problem_pages
from gateway.web.csrf import CSRF_KEY, csrf_key
from gateway.web.errors import html_errors
from gateway.web.rendering import setup_rendering

__all__ = ["PAGE_ROUTE_PREFIX", "is_page_route", "setup"]

PAGE_ROUTE_PREFIX = "web."


def is_page_route(route: web.AbstractRoute) -> bool:
    """Whether `route` is one of the pages (or their stylesheet), not a JSON operation."""
    return (route.name or "").startswith(PAGE_ROUTE_PREFIX)


def setup(app: web.Application) -> None:
    setup_rendering(app)
    app[CSRF_KEY] = csrf_key(app[KEYS])
    # Inside the problem middleware (which stays the outer net), so that browsers get
    # error pages for what the handlers and the input guard raise.
    app.middlewares.insert(list(app.middlewares).index(problems) + 1, html_errors)
    static = Path(str(resources.files("gateway.web") / "static"))
    app.router.add_static("/static/", static, name="web.static")
    household.setup(app)
    officer.setup(app)  # the privacy officer's console under /fg
    problem_pages.setup(app)  # /problems/{code}: what every problem `type` points to
