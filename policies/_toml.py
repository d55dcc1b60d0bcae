"""Reading TOML files and checking table shapes, collecting problems instead of raising."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["ID_PATTERN", "check_keys", "read_toml", "read_toml_text", "text_field"]

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


def read_toml(path: Path, display: str, problems: list[str]) -> dict[str, Any] | None:
    """Parse one TOML file; on failure add a problem naming the file and return None."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        problems.append(f"{display}: file not found")
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"{display}: invalid TOML: {exc}")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{display}: cannot read file: {exc}")
    return None


def read_toml_text(text: str, display: str, problems: list[str]) -> dict[str, Any] | None:
    """Parse TOML handed in as text (a candidate rule set); like `read_toml` otherwise."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"{display}: invalid TOML: {exc}")
    except RecursionError:  # arrays or inline tables nested thousands deep (a TOML bomb)
        problems.append(f"{display}: invalid TOML: values nest too deeply")
    return None


def check_keys(
    table: Mapping[str, Any],
    *,
    allowed: Iterable[str],
    required: Iterable[str] = (),
    where: str,
    problems: list[str],
) -> None:
    """Report unknown keys and missing required keys of `table`."""
    allowed_set = set(allowed)
    for key in sorted(set(table) - allowed_set):
        problems.append(f"{where}: unknown key '{key}' (allowed: {', '.join(sorted(allowed_set))})")
    for key in required:
        if key not in table:
            problems.append(f"{where}: missing required key '{key}'")


def text_field(table: Mapping[str, Any], key: str, where: str, problems: list[str]) -> str:
    """A required non-empty string; reports a problem and returns '' otherwise."""
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        if key in table:
            problems.append(f"{where}: '{key}' must be a non-empty string")
        return ""
    return value.strip()
