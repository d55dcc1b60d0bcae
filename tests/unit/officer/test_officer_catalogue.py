"""The console's words: a catalogue pair of its own, merged without collisions, every
key its templates and page modules ask for exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.web import i18n
from gateway.web.i18n import load_catalogues

WEB = Path(__file__).resolve().parents[3] / "gateway" / "web"
_KEY = re.compile(r"""\bt\(\s*["']([a-z_][a-z0-9_.]*)["']""")
_PREFIX = re.compile(r"""\bt\(\s*["']([a-z_][a-z0-9_.]*[._])["']\s*~""")


def test_every_key_the_console_asks_for_exists_in_both_languages() -> None:
    catalogues = load_catalogues()
    asked: set[str] = set()
    prefixes: set[str] = set()
    for path in (WEB / "templates" / "officer").glob("*.html"):
        asked |= set(_KEY.findall(path.read_text()))
        prefixes |= set(_PREFIX.findall(path.read_text()))
    for path in (WEB / "officer").glob("*.py"):
        asked |= set(re.findall(r'"(fg\.[a-z_.]+)"', path.read_text()))
    assert len(asked) > 50
    for lang, catalogue in catalogues.items():
        missing = sorted(k for k in asked - prefixes if not catalogue.has(k))
        assert missing == [], lang
        for prefix in prefixes:
            assert any(k.startswith(prefix) for k in catalogue.texts), prefix


def test_the_console_words_live_under_fg_only() -> None:
    import tomllib

    for lang in i18n.LANGUAGES:
        data = tomllib.loads((WEB / "i18n" / f"officer.{lang}.toml").read_text())
        assert set(data) == {"fg"}


def test_a_key_in_two_catalogues_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "PARTS", ("{lang}.toml", "{lang}.toml"))
    with pytest.raises(ValueError, match="repeats keys"):
        load_catalogues()
