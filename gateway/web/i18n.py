"""The portal's words in plain Dutch (B1, the default) and English: one catalogue per
language (`i18n/nl.toml`, `i18n/en.toml`; the officer console's words in
`i18n/officer.nl.toml` / `officer.en.toml`, merged in, under `fg.`), with the same keys
(checked at load and by a test).

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


#: The catalogue files of each language, merged into one: the portal's, then the
#: privacy-officer console's (`officer.<lang>.toml`). No key may be in two of them.
PARTS = ("{lang}.toml", "officer.{lang}.toml")


def load_catalogues() -> dict[str, Catalogue]:
    folder = resources.files("gateway.web") / "i18n"
    catalogues: dict[str, Catalogue] = {}
    for lang in LANGUAGES:
        texts: dict[str, str] = {}
        for part in PARTS:
            name = part.format(lang=lang)
            found = _flatten(tomllib.loads((folder / name).read_text("utf-8")))
            clash = sorted(set(found) & set(texts))
            if clash:
                raise ValueError(f"i18n {name} repeats keys of another catalogue: {clash}")
            texts.update(found)
        catalogues[lang] = Catalogue(lang, texts)
    keys = {lang: set(c.texts) for lang, c in catalogues.items()}
    first = keys[DEFAULT_LANGUAGE]
    for lang, found_keys in keys.items():
        if found_keys != first:
            raise ValueError(
                f"i18n {lang} and {DEFAULT_LANGUAGE} differ in keys: "
                f"{sorted(found_keys ^ first)[:10]}"
            )
    return catalogues


def language_of(request: web.Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE, "")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE
