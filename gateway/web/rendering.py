"""Rendering a page: Jinja2 through aiohttp-jinja2, autoescaping every template.

Every page gets the portal's own Content-Security-Policy (stricter than the API's: no
script at all, styles only from /static/), the language of the `lang` cookie, its
catalogue as `t`, the vocabulary's labels in that language, and, when someone is
logged in, the CSRF token for its forms. Templates never mark text safe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

import aiohttp_jinja2
import jinja2
from aiohttp import web

from gateway.appkeys import ORGANISATIONS, VOCABULARY
from gateway.auth.organisations import OrganisationRegistry
from gateway.web.csrf import CSRF_FIELD, CSRF_KEY, csrf_token
from gateway.web.i18n import Catalogue, language_of, load_catalogues
from policies import Vocabulary

__all__ = ["CATALOGUES", "PAGE_CSP", "Labels", "render", "safe_return_path", "setup_rendering"]

#: Pages load nothing but their own stylesheet: no script, no inline style, no frames.
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
CATALOGUES: web.AppKey[dict[str, Catalogue]] = web.AppKey("web_catalogues")


def setup_rendering(app: web.Application) -> None:
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("gateway.web", "templates"),
        autoescape=True,  # every template, whatever its name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        filters={"sentence": _sentence},
    )
    app[CATALOGUES] = load_catalogues()


def _sentence(text: str) -> str:
    """`text` with a capital first letter (for a sentence that starts with "u" or "uw")."""
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Labels:
    """The vocabulary's words (purposes, categories, organisation types, organisations)
    and dates in one language."""

    t: Catalogue
    vocabulary: Vocabulary
    organisations: OrganisationRegistry

    def purpose(self, purpose_id: str) -> str:
        found = self.vocabulary.purposes.get(purpose_id)
        return purpose_id if found is None else getattr(found, self.t.lang)

    def category(self, category_id: str) -> str:
        found = self.vocabulary.categories.get(category_id)
        return category_id if found is None else getattr(found, self.t.lang)

    def org_type(self, type_id: str) -> str:
        found = self.vocabulary.organisation_types.get(type_id)
        return type_id if found is None else getattr(found, self.t.lang)

    def organisation(self, org_id: str | None) -> str:
        found = self.organisations.get(org_id) if org_id else None
        return self.t("label.unknown_organisation") if found is None else found.name

    def day(self, value: datetime | date | None) -> str:
        if value is None:
            return ""
        month = self.t(f"month.{value.month}")
        return self.t("date.day", day=value.day, month=month, year=value.year)


def safe_return_path(value: str | None, default: str = "/") -> str:
    """A path on this site to return to (never another site: no scheme, no `//`)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(c) < 0x20 for c in value) or len(value) > 512:
        return default
    return value


def render(
    request: web.Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    session_token: str | None = None,
) -> web.Response:
    app = request.app
    t = app[CATALOGUES][language_of(request)]
    here = safe_return_path(request.path_qs)
    page: dict[str, Any] = {
        "lang": t.lang,
        "t": t,
        "labels": Labels(t, app[VOCABULARY], app[ORGANISATIONS]),
        "logged_in": session_token is not None,
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(app[CSRF_KEY], session_token) if session_token else "",
        "switch_url": "/taal?lang={}&terug={}".format(
            "en" if t.lang == "nl" else "nl", quote(here, safe="")
        ),
        "current_path": request.path,
        # A person as the viewer knows them: (catalogue key, values) → text.
        "party": lambda p: t(p[0], **p[1]),
        **(context or {}),
    }
    response = aiohttp_jinja2.render_template(template, request, page, status=status)
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["Content-Language"] = t.lang
    return response
