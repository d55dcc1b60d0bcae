"""The declarative field mapping: strict loading, and minimisation by `apply`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from adapters.errors import MappingError
from adapters.mapping import CATEGORIES, FieldMapping, load_mapping

CONFIG_SOURCES = Path(__file__).resolve().parents[3] / "config" / "sources"

MAPPING = """
kind = "http"
description = "test"

[[collections]]
name = "client"
path = "client"
fields = [
  { source = "naam", category = "contact_details", output = "name" },
  { source = "adres.straat", category = "contact_details", output = "street" },
  { source = "geheim_adres.straat", category = "shelter_address", output = "street" },
]

[[collections]]
name = "reports"
path = "dossier.meldingen"
fields = [
  { source = "nummer", category = "reports", output = "report_id" },
  { source = "nummer", category = "reporter_identity", output = "report_id" },
  { source = "melder.naam", category = "reporter_identity", output = "name" },
]
"""


def write(tmp_path: Path, text: str, name: str = "bron") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def mapping(tmp_path: Path) -> FieldMapping:
    return load_mapping(write(tmp_path, MAPPING))


DOCUMENT: dict[str, Any] = {
    "bsn": "999900006",
    "client": {
        "naam": "Anna Test-Synthetisch",
        "adres": {"straat": "Proefstraat", "huisnummer": "1"},
        "geheim_adres": {"straat": "Postbus"},
        "notitie": "intern",
    },
    "dossier": {
        "meldingen": [
            {"nummer": "VT-1", "melder": {"naam": "Melder A"}, "intern": "x"},
            {"nummer": "VT-2"},
        ]
    },
}


@pytest.mark.parametrize("path", sorted(CONFIG_SOURCES.glob("*.toml")), ids=lambda p: p.stem)
def test_every_shipped_mapping_file_validates(path: Path) -> None:
    mapping = load_mapping(path)

    assert mapping.categories <= CATEGORIES
    assert mapping.description


def test_apply_keeps_only_mapped_fields_of_requested_categories(mapping: FieldMapping) -> None:
    records = mapping.apply(mapping.extract(DOCUMENT), ["contact_details", "reports"])

    assert records == {
        "contact_details": [{"name": "Anna Test-Synthetisch", "street": "Proefstraat"}],
        "reports": [{"report_id": "VT-1"}, {"report_id": "VT-2"}],
    }


def test_one_native_field_can_feed_two_categories(mapping: FieldMapping) -> None:
    records = mapping.apply(mapping.extract(DOCUMENT), ["reporter_identity"])

    assert records == {
        "reporter_identity": [{"report_id": "VT-1", "name": "Melder A"}, {"report_id": "VT-2"}]
    }


def test_every_requested_category_gets_a_key_even_without_data(mapping: FieldMapping) -> None:
    records = mapping.apply({}, ["health", "shelter_address"])

    assert records == {"health": [], "shelter_address": []}


def test_nested_objects_in_mapped_fields_are_dropped_not_passed_through(
    mapping: FieldMapping,
) -> None:
    raw = {
        "client": [{"naam": {"voornaam": "A", "bsn": "999900006"}, "adres": {"straat": ["a", 1]}}]
    }

    records = mapping.apply(raw, ["contact_details"])

    assert records == {"contact_details": [{"street": ["a", 1]}]}


def test_dates_and_decimals_become_json_text(tmp_path: Path) -> None:
    sql = """
kind = "sql"
[[collections]]
name = "rows"
table = "t"
key = "bsn"
fields = [
  { source = "datum", category = "finances", output = "date" },
  { source = "bedrag", category = "finances", output = "amount" },
]
"""
    mapping = load_mapping(write(tmp_path, sql))

    records = mapping.apply(
        {"rows": [{"datum": date(2026, 1, 2), "bedrag": Decimal("12.50")}]}, ["finances"]
    )

    assert records == {"finances": [{"date": "2026-01-02", "amount": "12.50"}]}


def test_extract_refuses_a_collection_of_the_wrong_shape(mapping: FieldMapping) -> None:
    with pytest.raises(ValueError, match="client"):
        mapping.extract({"client": "not an object"})


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        (
            MAPPING.replace('description = "test"', 'descriptoin = "test"'),
            "unknown key(s) ['descriptoin']",
        ),
        (
            MAPPING.replace('path = "client"', 'path = "client"\ntable = "x"'),
            "unknown key(s) ['table']",
        ),
        (
            MAPPING.replace('output = "name" }', 'output = "name", secret = 1 }'),
            "unknown key(s) ['secret']",
        ),
        (
            MAPPING.replace(
                'category = "contact_details", output = "name"',
                'category = "gossip", output = "name"',
            ),
            "unknown category 'gossip'",
        ),
        (MAPPING.replace('kind = "http"', 'kind = "ftp"'), "`kind`"),
        (
            MAPPING.replace(
                'output = "street" },\n  { source = "geheim',
                'output = "name" },\n  { source = "geheim',
            ),
            "appears twice",
        ),
        (MAPPING.replace('name = "reports"', 'name = "client"'), "unique"),
        (MAPPING.replace('path = "client"', 'path = "client..x"'), "dotted path"),
        ('kind = "http"\n', "at least one [[collections]]"),
        ("kind = ", "cannot be read"),
    ],
    ids=[
        "top-level-typo",
        "sql-key-in-http",
        "field-key",
        "unknown-category",
        "kind",
        "duplicate-output",
        "duplicate-collection",
        "bad-path",
        "no-collections",
        "bad-toml",
    ],
)
def test_bad_mapping_files_are_refused_naming_the_file(
    tmp_path: Path, text: str, complaint: str
) -> None:
    path = write(tmp_path, text)

    with pytest.raises(MappingError) as caught:
        load_mapping(path)

    assert str(path) in str(caught.value)
    assert complaint in str(caught.value)


def test_sql_columns_must_be_plain_identifiers(tmp_path: Path) -> None:
    sql = """
kind = "sql"
[[collections]]
name = "rows"
table = "t; DROP TABLE t"
key = "bsn"
fields = [{ source = "a", category = "finances", output = "a" }]
"""
    with pytest.raises(MappingError, match="table"):
        load_mapping(write(tmp_path, sql))


def test_extra_categories_from_configuration_can_be_allowed(tmp_path: Path) -> None:
    text = MAPPING.replace(
        'category = "contact_details", output = "name"', 'category = "housing", output = "name"'
    )

    mapping = load_mapping(write(tmp_path, text), categories=CATEGORIES | {"housing"})

    assert "housing" in mapping.categories
