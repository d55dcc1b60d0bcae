"""The candidate rule set of a console form (the policies page's comparison and the
simulation page): the same files-to-TOML mapping the JSON API takes.

The form is `multipart/form-data`, CSRF-checked: TOML typed into a text area (as the
file `kandidaat.toml`) and/or uploaded `.toml` files (by their own names). With
`basis=in_force` (the default) those files are laid over the files in force (a file of
the same name replaces it, another is added), so a stricter rule is one more file; with
`basis=only` they are the whole rule set. The comparison's version A has the same
fields with the prefix `a_`, and `a_basis=current` (its default): the rules in force.
Bounded as the API is: each rule set's text at most `max_body_bytes` (and a little for
the other fields), at most `max_files` files (the use-case checks both again, with
their own codes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from multidict import MultiDictProxy

from gateway.appkeys import INSIGHT, SETTINGS
from gateway.web.csrf import require_csrf_upload

__all__ = ["TEXT_FILE", "Candidate", "read_candidate", "read_candidates"]

TEXT_FILE = "kandidaat.toml"
#: The API's file names (`insight_schema.FileName`).
_FILE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,80}\.toml$")
_FIELDS_SLACK = 16 * 1024  # the form's other fields (token, dates, choices)


@dataclass
class Candidate:
    """One rule set of a form: its fields are `<prefix>rules`, `<prefix>files` and
    `<prefix>basis` (the comparison's version A has the prefix `a_`)."""

    form: MultiDictProxy[str]
    prefix: str = ""
    texts: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # catalogue keys under fg.cand.error.
    names: list[str] = field(default_factory=list)  # the files the officer gave

    @property
    def text(self) -> str:
        return self.form.get(self.prefix + "rules", "")

    @property
    def basis(self) -> str:
        """`current` (the rules in force as they are: only for version A), `in_force`
        (the files in force with the given ones laid over them) or `only`."""
        chosen = self.form.get(self.prefix + "basis", "")
        if chosen == "only" or (chosen == "in_force" and self.prefix):
            return chosen
        return "current" if self.prefix else "in_force"

    @property
    def current(self) -> bool:
        return self.basis == "current"


def in_force_texts(config_dir: Path) -> dict[str, str]:
    """The policy files in force, by name (the loader's directory)."""
    directory = config_dir / "policies"
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.toml"))}


def _candidate(
    form: MultiDictProxy[str], files: list[tuple[str, str, str]], prefix: str, config_dir: Path
) -> Candidate:
    found = Candidate(form, prefix)
    if found.current:
        return found
    given: dict[str, str] = {}
    if found.text.strip():
        given[TEXT_FILE] = found.text
    for input_name, name, text in files:
        if input_name != prefix + "files":
            continue
        base = name.lower()  # a name with a folder in it (`../x.toml`, `C:\x.toml`) is refused
        if not _FILE_NAME.match(base):
            found.errors.append("file_name")
            continue
        given[base] = text
    found.names = sorted(given)
    if not given:
        found.errors.append("empty")
    elif found.basis == "in_force":
        found.texts = {**in_force_texts(config_dir), **given}
    else:
        found.texts = given
    return found


async def read_candidates(
    request: web.Request, session_token: str, prefixes: tuple[str, ...] = ("",)
) -> list[Candidate]:
    """The rule sets of a posted form (CSRF-checked), one per prefix."""
    limits = request.app[INSIGHT].simulation
    form, files = await require_csrf_upload(
        request, session_token, limit=len(prefixes) * limits.max_body_bytes + _FIELDS_SLACK
    )
    config_dir = request.app[SETTINGS].config_dir
    return [_candidate(form, files, prefix, config_dir) for prefix in prefixes]


async def read_candidate(request: web.Request, session_token: str) -> Candidate:
    (found,) = await read_candidates(request, session_token)
    return found
