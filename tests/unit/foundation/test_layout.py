"""Imports point one way: api/web -> access/exchange/audit -> storage, and nothing in
policies/, consent/ or adapters/ imports the gateway.

Read from the source (the AST of every module, imports under `TYPE_CHECKING` included),
so a rule holds without running the code. An exception to a rule is listed here with
its reason, or not at all.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]

#: (package folder, forbidden import prefixes, why).
RULES: list[tuple[str, tuple[str, ...], str]] = [
    ("policies", ("gateway",), "policies is a floor under the gateway"),
    ("consent", ("gateway",), "consent is a floor under the gateway"),
    ("adapters", ("gateway",), "adapters is a floor under the gateway"),
    ("gateway/access", ("aiohttp",), "a rule is a plain function a page and a route share"),
    ("gateway/api", ("sqlalchemy",), "routes call use-cases and readers, never build SQL"),
    ("gateway/web", ("sqlalchemy",), "pages call use-cases and readers, never build SQL"),
    (
        "gateway/storage",
        ("gateway.api", "gateway.web", "gateway.commands"),
        "storage is the lowest floor",
    ),
    (
        "gateway/audit",
        ("gateway.api", "gateway.web", "gateway.commands"),
        "the audit log serves every caller and depends on none",
    ),
    ("gateway/access", ("gateway.api", "gateway.web"), "use-cases do not know their callers"),
    ("gateway/exchange", ("gateway.api", "gateway.web"), "use-cases do not know their callers"),
    ("gateway/insight", ("aiohttp", "gateway.api", "gateway.web"), "officer use-cases"),
]

#: (module path, imported module): an import a rule would refuse, kept on purpose.
EXCEPTIONS: dict[tuple[str, str], str] = {}


def _modules(folder: str) -> Iterator[Path]:
    yield from sorted((REPO / folder).rglob("*.py"))


def _imports(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
            for alias in node.names:  # `from gateway import api` imports gateway.api
                yield f"{node.module}.{alias.name}"


def _forbidden(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize(("folder", "forbidden", "why"), RULES, ids=[r[0] for r in RULES])
def test_imports_point_one_way(folder: str, forbidden: tuple[str, ...], why: str) -> None:
    assert (REPO / folder).is_dir() or folder == "gateway/web", folder
    broken = sorted(
        f"{path.relative_to(REPO)} imports {name}"
        for path in _modules(folder)
        for name in set(_imports(path))
        if _forbidden(name, forbidden) and (str(path.relative_to(REPO)), name) not in EXCEPTIONS
    )
    assert not broken, f"{why}:\n  " + "\n  ".join(broken)


def test_every_listed_exception_is_still_needed() -> None:
    for (module, name), reason in EXCEPTIONS.items():
        assert reason.strip()
        assert name in set(_imports(REPO / module)), f"{module} no longer imports {name}"


def test_the_rules_see_imports_at_all() -> None:
    """A guard on the guard: the walker finds a known import."""
    assert "aiohttp" in set(_imports(REPO / "gateway" / "app.py"))
