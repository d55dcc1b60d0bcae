"""The portal's words: both catalogues hold the same keys, every key a template or page
asks for exists, placeholders match, and the templates autoescape."""

from __future__ import annotations

import re
import string
from pathlib import Path

import jinja2

from gateway.web.i18n import LANGUAGES, load_catalogues
from gateway.web.rendering import _sentence

WEB = Path(__file__).resolve().parents[3] / "gateway" / "web"
#: `t("literal.key"` in templates and `"literal.key"` arguments in the page modules.
_TEMPLATE_KEY = re.compile(r"""\bt\(\s*["']([a-z_][a-z0-9_.]*)["']""")
_PREFIX_KEY = re.compile(r"""\bt\(\s*["']([a-z_][a-z0-9_.]*\.)["']\s*~""")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_dutch_and_english_have_the_same_keys_and_placeholders() -> None:
    catalogues = load_catalogues()
    assert set(catalogues) == set(LANGUAGES)
    nl, en = catalogues["nl"].texts, catalogues["en"].texts
    assert set(nl) == set(en), sorted(set(nl) ^ set(en))
    for key in nl:
        assert _placeholders(nl[key]) == _placeholders(en[key]), key


def test_every_key_the_templates_ask_for_exists() -> None:
    texts = load_catalogues()["nl"].texts
    asked: set[str] = set()
    prefixes: set[str] = set()
    for path in (WEB / "templates").glob("*.html"):
        source = path.read_text()
        asked |= set(_TEMPLATE_KEY.findall(source))
        prefixes |= set(_PREFIX_KEY.findall(source))
    for path in (WEB / "household").glob("*.py"):
        asked |= set(re.findall(r'"((?:give|home|party|actor|event)\.[a-z_.]+)"', path.read_text()))
    assert asked, "the scan found no keys"
    missing = sorted(k for k in asked if k not in texts and not k.endswith((".", ".html")))
    assert missing == []
    for prefix in prefixes:  # t("status." ~ c.status): the family of keys exists
        assert any(k.startswith(prefix) for k in texts), prefix


def test_the_families_of_keys_cover_every_value() -> None:
    texts = load_catalogues()["en"].texts
    from consent.model import CONSENT_EVENTS
    from gateway.access.my_consents import Party
    from gateway.web.household.login import LOGIN_ERRORS

    for event in CONSENT_EVENTS:
        assert f"event.{event}" in texts
    for status in ("active", "refused", "withdrawn", "expired", "superseded"):
        assert f"status.{status}" in texts
    for party in Party.__args__:
        assert f"party.{party}" in texts
    from gateway.auth.oidc import LOGIN_ERRORS as FLOW_ERRORS

    assert set(FLOW_ERRORS) <= set(LOGIN_ERRORS), "every code of the login flow has words"
    for key in LOGIN_ERRORS.values():
        assert f"login.error.{key}" in texts
    for status in (400, 403, 404, 405, 409, 413, 422, 500, 503):
        assert f"error.{status}.title" in texts and f"error.{status}.text" in texts
    for month in range(1, 13):
        assert f"month.{month}" in texts


def test_templates_autoescape_and_never_mark_text_safe() -> None:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(WEB / "templates"), autoescape=True)
    assert env.from_string("{{ x }}").render(x="<script>") == "&lt;script&gt;"
    for path in (WEB / "templates").glob("*.html"):
        source = path.read_text()
        assert "|safe" not in source.replace(" ", "") and "autoescape false" not in source
        assert "<script" not in source and "style=" not in source, path.name


def test_a_sentence_starts_with_a_capital() -> None:
    assert _sentence("uw kind (13 jaar)") == "Uw kind (13 jaar)"
    assert _sentence("") == ""
