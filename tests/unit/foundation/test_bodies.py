"""Bodies are read in one place, so the limits on them cannot be forgotten by a route."""

from __future__ import annotations

import re

from support import REPO

_DIRECT_READS = re.compile(r"\brequest\.(json|read|text|post|content|multipart)\b")


def test_no_module_but_bodies_reads_a_request_body_itself() -> None:
    offenders = []
    for path in sorted((REPO / "gateway").rglob("*.py")):
        if path.name == "bodies.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if _DIRECT_READS.search(line):
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_json_routes_read_through_read_body_or_read_json_object() -> None:
    routes = REPO / "gateway" / "api"
    readers = {
        str(p.relative_to(routes))
        for p in routes.rglob("*.py")
        if "read_body(" in p.read_text() or "read_json_object(" in p.read_text()
    }
    assert {
        "org/exchanges.py",
        "org/households.py",
        "org/consents.py",
        "org/cases.py",
        "me/consents.py",
        "officer/audit.py",
    } <= readers
