"""Minimisation holds for any answer a source sends: only mapped fields of asked categories."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import native_records
from support import REPO

from adapters.mapping import load_mapping

MAPPING = load_mapping(REPO / "config" / "sources" / "wijkteam.toml")
ALLOWED = {
    (rule.category, rule.output) for collection in MAPPING.collections for rule in collection.fields
}
CATEGORIES = sorted({category for category, _ in ALLOWED})
PATHS = {c.name: [rule.source for rule in c.fields] for c in MAPPING.collections}
RAW = st.fixed_dictionaries(
    {}, optional={name: native_records(paths) for name, paths in PATHS.items()}
)


@settings(max_examples=200, deadline=None)
@given(RAW, st.lists(st.sampled_from(CATEGORIES), max_size=4))
def test_apply_never_emits_unmapped_fields_or_unrequested_categories(
    raw: dict[str, list[dict[str, object]]], asked: list[str]
) -> None:
    result = MAPPING.apply(raw, asked)
    emitted: set[str] = set()
    assert set(result) == set(asked)
    for category, records in result.items():
        for record in records:
            assert record, "no empty records"
            emitted.add(category)
            for output, value in record.items():
                assert (category, output) in ALLOWED
                assert not isinstance(value, dict)  # nested objects never pass
                if isinstance(value, list):
                    assert all(not isinstance(v, dict | list) for v in value)
    assert emitted <= set(asked)


def test_a_mapped_scalar_does_come_through() -> None:
    record = {"naam": "Testpersoon-Synthetisch", "bsn": "999990019", "adres": {"straat": "X"}}
    result = MAPPING.apply({"client": [record]}, ["contact_details"])
    assert result["contact_details"] and "999990019" not in str(result)


def test_mapping_file_exists() -> None:
    assert Path(REPO / "config" / "sources" / "wijkteam.toml").is_file()
