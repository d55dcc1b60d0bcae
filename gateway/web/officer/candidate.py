"""The candidate rule set of a console form (the policies page's comparison and the
simulation page): the same files-to-TOML mapping the JSON API takes.

The form is `multipart/form-data`, CSRF-checked: TOML typed into a text area (as the
file `kandidaat.toml`) and/or uploaded `.toml` files (by their own names). With
`basis=in_force` (the default) those files are laid over the files in force (a file of
the same name replaces it, another is added), so a stricter rule is one more file; with
`basis=only` they are the whole rule set. Bounded as the API is: the body at most
`max_body_bytes` (and a little for the other fields), at most `max_files` files (the
use-case checks both again, with their own codes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from multidict import MultiDictProxy

from gateway.appkeys import INSIGHT, SETTINGS
from gateway.web.csrf import require_csrf_upload

__all__ = ["TEXT_FILE", "Candidate", "read_candidate"]

TEXT_FILE = "kandidaat.toml"
#: The API's file names (`insight_schema.FileName`).
_FILE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,80}\.toml$")
_FIELDS_SLACK = 16 * 1024  # the form's other fields (token, dates, choices)


@dataclass
class Candidate:
    form: MultiDictProxy[str]
    texts: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # catalogue keys under fg.cand.error.
    names: list[str] = field(default_factory=list)  # the files the officer gave

    @property
    def text(self) -> str:
        return self.form.get("rules", "")

    @property
    def basis(self) -> str:
        return "only" if self.form.get("basis") == "only" else "in_force"


def in_force_texts(config_dir: Path) -> dict[str, str]:
    """The policy files in force, by name (the loader's directory)."""
    directory = config_dir / "policies"
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.toml"))}


async def read_candidate(request: web.Request, session_token: str) -> Candidate:
    limits = request.app[INSIGHT].simulation
    form, files = await require_csrf_upload(
        request, session_token, limit=limits.max_body_bytes + _FIELDS_SLACK
    )
    found = Candidate(form)
    given: dict[str, str] = {}
    if found.text.strip():
        given[TEXT_FILE] = found.text
    for name, text in files:
        base = Path(name.replace("\\", "/")).name.lower()
        if not _FILE_NAME.match(base):
            found.errors.append("file_name")
            continue
        given[base] = text
    found.names = sorted(given)
    if not given:
        found.errors.append("empty")
        return found
    if found.basis == "in_force":
        found.texts = {**in_force_texts(request.app[SETTINGS].config_dir), **given}
    else:
        found.texts = given
    return found
