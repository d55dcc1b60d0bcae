"""Declarative field mapping: a source's native fields → shared categories.

A mapping file (`config/sources/<name>.toml`) names *collections* of native
records (a dotted path in an HTTP answer, or a table with the BSN's key column)
and, per collection, which native field becomes which output field of which
category. Whatever is not mapped is dropped, and only the requested categories
come out: minimisation is done here, whatever the source sends.

    kind = "http"                       # or "sql"
    description = "..."

    [[collections]]
    name = "meldingen"
    path = "meldingen"                  # sql: table = "...", key = "bsn", order_by = "..."
    fields = [
      { source = "melder.naam", category = "reporter_identity", output = "name" },
    ]
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from adapters.errors import MappingError

__all__ = [
    "CATEGORIES",
    "CollectionMapping",
    "FieldMapping",
    "FieldRule",
    "load_mapping",
]

# The shared vocabulary's categories (config may add more: pass `categories=`).
CATEGORIES = frozenset(
    {
        "contact_details",
        "household_composition",
        "support_plan",
        "safety_assessment",
        "reports",
        "reporter_identity",
        "shelter_address",
        "protection_measures",
        "court_decisions",
        "investigation_reports",
        "health",
        "criminal_records",
        "school",
        "finances",
    }
)

_TOP_KEYS = {"kind", "description", "collections"}
_FIELD_KEYS = {"source", "category", "output"}
_COLLECTION_KEYS: Mapping[str, frozenset[str]] = {
    "http": frozenset({"name", "path", "fields"}),
    "sql": frozenset({"name", "table", "key", "order_by", "fields"}),
}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_SQL_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_PATH_SEGMENT = re.compile(r"^[^.\s]{1,64}$")

Kind = Literal["http", "sql"]


@dataclass(frozen=True, slots=True)
class FieldRule:
    """One native field (dotted path or column) → one category's output field."""

    source: str
    category: str
    output: str


@dataclass(frozen=True, slots=True)
class CollectionMapping:
    """A group of native records about the subject, and how their fields map."""

    name: str
    fields: tuple[FieldRule, ...]
    path: str = ""
    table: str = ""
    key: str = ""
    order_by: str = ""

    @property
    def categories(self) -> frozenset[str]:
        return frozenset(rule.category for rule in self.fields)

    def columns_for(self, categories: Collection[str]) -> tuple[str, ...]:
        """The native fields needed for `categories`, in file order, without repeats."""
        wanted = [rule.source for rule in self.fields if rule.category in categories]
        return tuple(dict.fromkeys(wanted))


@dataclass(frozen=True, slots=True)
class FieldMapping:
    """A validated mapping file; `apply` turns native records into category records."""

    name: str
    kind: Kind
    collections: tuple[CollectionMapping, ...]
    description: str = ""

    @property
    def categories(self) -> frozenset[str]:
        return frozenset().union(*(c.categories for c in self.collections))

    def apply(
        self,
        raw_records: Mapping[str, Sequence[Mapping[str, Any]]],
        categories: Iterable[str],
    ) -> dict[str, list[dict[str, Any]]]:
        """Map native records (per collection name) to records per requested category.

        Every requested category gets a key. A native record yields one output
        record per requested category it has at least one mapped value for.
        Unmapped fields, fields of other categories and values that are not
        plain scalars (or lists of them) are dropped, so nested data the source
        tucks into a mapped field cannot leak either.
        """
        requested = tuple(dict.fromkeys(categories))
        result: dict[str, list[dict[str, Any]]] = {category: [] for category in requested}
        for collection in self.collections:
            rules = [rule for rule in collection.fields if rule.category in result]
            if not rules:
                continue
            for record in raw_records.get(collection.name, ()):
                out: dict[str, dict[str, Any]] = {}
                for rule in rules:
                    found, value = _lookup(record, rule.source, dotted=self.kind == "http")
                    if not found:
                        continue
                    ok, clean = _clean_value(value)
                    if ok:
                        out.setdefault(rule.category, {})[rule.output] = clean
                for category, fields in out.items():
                    result[category].append(fields)
        return result

    def extract(self, document: Mapping[str, Any]) -> dict[str, list[Mapping[str, Any]]]:
        """The native records of each collection in an HTTP answer document.

        A missing path means no records; an object is one record; a list holds
        records. Anything else means the source broke its contract: `ValueError`.
        """
        found: dict[str, list[Mapping[str, Any]]] = {}
        for collection in self.collections:
            present, value = _lookup(document, collection.path, dotted=True)
            if not present or value is None:
                found[collection.name] = []
            elif isinstance(value, Mapping):
                found[collection.name] = [value]
            elif isinstance(value, list) and all(isinstance(v, Mapping) for v in value):
                found[collection.name] = list(value)
            else:
                raise ValueError(f"collection {collection.name!r} is not an object or list")
        return found

    @classmethod
    def from_dict(
        cls,
        raw: Mapping[str, Any],
        *,
        name: str,
        where: str,
        categories: Collection[str] = CATEGORIES,
    ) -> FieldMapping:
        """Validate a parsed mapping file strictly; the first problem raises `MappingError`."""
        _no_unknown(raw, _TOP_KEYS, where)
        kind = raw.get("kind")
        if kind not in ("http", "sql"):
            raise MappingError(where, '`kind` must be "http" or "sql"')
        description = raw.get("description", "")
        if not isinstance(description, str):
            raise MappingError(f"{where}:description", "must be a string")
        entries = raw.get("collections")
        if not isinstance(entries, list) or not entries:
            raise MappingError(where, "needs at least one [[collections]]")
        collections = tuple(
            _collection(entry, kind, f"{where}:collections[{index}]", categories)
            for index, entry in enumerate(entries)
        )
        names = [c.name for c in collections]
        if len(set(names)) != len(names):
            raise MappingError(where, "collection names must be unique")
        return cls(name=name, kind=kind, collections=collections, description=description)


def load_mapping(path: Path, *, categories: Collection[str] = CATEGORIES) -> FieldMapping:
    """Read and validate one mapping file; errors name the file."""
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise MappingError(str(path), f"cannot be read: {exc}") from exc
    return FieldMapping.from_dict(raw, name=path.stem, where=str(path), categories=categories)


def _collection(
    entry: Any, kind: Kind, where: str, categories: Collection[str]
) -> CollectionMapping:
    if not isinstance(entry, dict):
        raise MappingError(where, "must be a table")
    _no_unknown(entry, _COLLECTION_KEYS[kind], where)
    name = entry.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise MappingError(f"{where}:name", "must be a lower-case identifier")
    where = f"{where} ({name})"
    sql = kind == "sql"
    if sql:
        table = _required(entry, "table", _SQL_IDENTIFIER, where)
        key = _required(entry, "key", _SQL_IDENTIFIER, where)
        order_by = entry.get("order_by", "")
        if not isinstance(order_by, str) or (order_by and not _SQL_IDENTIFIER.match(order_by)):
            raise MappingError(f"{where}:order_by", "must be a column name")
        path = ""
    else:
        raw_path = entry.get("path")
        if not isinstance(raw_path, str) or not _valid_path(raw_path):
            raise MappingError(f"{where}:path", "must be a dotted path")
        path, table, key, order_by = raw_path, "", "", ""
    raw_fields = entry.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        raise MappingError(f"{where}:fields", "must be a non-empty list")
    rules: list[FieldRule] = []
    for index, raw_rule in enumerate(raw_fields):
        rules.append(_rule(raw_rule, sql, f"{where}:fields[{index}]", categories))
    outputs = [(rule.category, rule.output) for rule in rules]
    if len(set(outputs)) != len(outputs):
        raise MappingError(f"{where}:fields", "an output field appears twice in one category")
    return CollectionMapping(
        name=name, fields=tuple(rules), path=path, table=table, key=key, order_by=order_by
    )


def _rule(raw: Any, sql: bool, where: str, categories: Collection[str]) -> FieldRule:
    if not isinstance(raw, dict):
        raise MappingError(where, "must be a table {source, category, output}")
    _no_unknown(raw, _FIELD_KEYS, where)
    source = raw.get("source")
    if sql:
        if not isinstance(source, str) or not _SQL_IDENTIFIER.match(source):
            raise MappingError(f"{where}:source", "must be a column name")
    elif not isinstance(source, str) or not _valid_path(source):
        raise MappingError(f"{where}:source", "must be a dotted path")
    category = raw.get("category")
    if not isinstance(category, str) or category not in categories:
        raise MappingError(f"{where}:category", f"unknown category {category!r}")
    output = _required(raw, "output", _NAME, where)
    return FieldRule(source=source, category=category, output=output)


def _required(entry: Mapping[str, Any], key: str, pattern: re.Pattern[str], where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not pattern.match(value):
        raise MappingError(f"{where}:{key}", "missing or not a valid name")
    return value


def _no_unknown(raw: Mapping[str, Any], allowed: Collection[str], where: str) -> None:
    unknown = sorted(set(raw) - set(allowed))
    if unknown:
        raise MappingError(where, f"unknown key(s) {unknown}")


def _valid_path(path: str) -> bool:
    return all(_PATH_SEGMENT.match(segment) for segment in path.split("."))


def _lookup(record: Mapping[str, Any], source: str, *, dotted: bool) -> tuple[bool, Any]:
    value: Any = record
    for segment in source.split(".") if dotted else (source,):
        # `type(...) is dict` first: the ABC check alone is a tenth of the mapping's cost.
        if not (type(value) is dict or isinstance(value, Mapping)) or segment not in value:
            return False, None
        value = value[segment]
    return True, value


def _clean_value(value: Any) -> tuple[bool, Any]:
    """A JSON-safe scalar (or list of them), or (False, None) to drop the field."""
    if value is None or isinstance(value, str | bool | int | float):
        return True, value
    if isinstance(value, datetime | date | time):
        return True, value.isoformat()
    if isinstance(value, Decimal):
        return True, str(value)
    if isinstance(value, list | tuple):
        items = [_clean_value(item) for item in value]
        if all(ok and not isinstance(item, list) for ok, item in items):
            return True, [item for _, item in items]
    return False, None
