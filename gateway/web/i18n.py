"""The portal's words in plain Dutch (B1, the default) and English: one catalogue per
language (`i18n/nl.toml`, `i18n/en.toml`), with the same keys (a test checks it).

The language is the `lang` cookie (`nl` or `en`), set by the switch link on every page;
without it, Dutch. A missing key is an error at render time, never a silent blank.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from aiohttp import web

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANG_COOKIE",
    "Catalogue",
    "language_of",
    "load_catalogues",
]

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"
LANG_COOKIE = "lang"


@dataclass(frozen=True)
class Catalogue:
    lang: str
    texts: Mapping[str, str]

    def __call__(self, key: str, /, **values: Any) -> str:
        """The text of `key`, with `{name}` placeholders filled (values are escaped by
        the template engine where the text is shown, never here)."""
        text = self.texts[key]
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self.texts


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, name + "."))
        elif isinstance(value, str):
            out[name] = value
        else:
            raise ValueError(f"i18n key {name} must be text")
    return out


def load_catalogues() -> dict[str, Catalogue]:
    folder = resources.files("gateway.web") / "i18n"
    return {
        lang: Catalogue(lang, _flatten(tomllib.loads((folder / f"{lang}.toml").read_text("utf-8"))))
        for lang in LANGUAGES
    }


def language_of(request: web.Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE, "")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE
