"""docs/connect.md stays true: every problem code is documented (the table is the one
`gateway.http.problem_guide` generates), and the roles table is the configuration's."""

from __future__ import annotations

import re

from support import REPO

from gateway.errors import all_error_classes
from gateway.http.problem_guide import GUIDE, markdown_table
from policies import load_vocabulary

GUIDE_FILE = REPO / "docs" / "connect.md"


def test_every_code_has_a_guide_entry_and_no_entry_is_stale() -> None:
    assert set(GUIDE) == {cls.code for cls in all_error_classes()}
    for entry in GUIDE.values():
        assert entry.title_nl and entry.advice_en and entry.advice_nl


def test_the_guide_lists_every_code_as_generated() -> None:
    text = GUIDE_FILE.read_text(encoding="utf-8")
    table = text.split("<!-- problem-codes:start -->\n", 1)[1].split(
        "\n<!-- problem-codes:end -->"
    )[0]
    assert table == markdown_table(), "run: python -m gateway.http.problem_guide"
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.MULTILINE))
    assert documented == {cls.code for cls in all_error_classes()}


def test_the_guide_names_each_types_roles_as_configured() -> None:
    text = GUIDE_FILE.read_text(encoding="utf-8")
    types = load_vocabulary(REPO / "config").organisation_types
    for type_id, kind in types.items():
        row = re.search(rf"^\| `{type_id}` \| (.+) \|$", text, flags=re.MULTILINE)
        assert row is not None, type_id
        assert re.findall(r"`([a-z_]+)`", row.group(1)) == list(kind.roles)
