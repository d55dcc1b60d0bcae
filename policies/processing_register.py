"""The register of processing activities (AVG art. 30 lid 1), read from config and checked.

The rules say who may receive what for which purpose; what they cannot say lives in
`config/processing_register.toml`: (a) the controller and the privacy officer, (b) the
purposes, (c) the categories of data subjects and of personal data, (d) the
recipients, (e) transfers to third countries, (f) the retention periods and (g) the
security measures. `load_processing_register` checks every key against the vocabulary
and lists every problem (`PolicyLoadError`), like the policy loader.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from policies._toml import check_keys, read_toml
from policies.errors import PolicyLoadError
from policies.vocabulary import Vocabulary

__all__ = ["REGISTER_FILE", "ProcessingRegister", "Retention", "Text", "load_processing_register"]

REGISTER_FILE: Final = "processing_register.toml"
_PERIOD = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Text:
    nl: str
    en: str


@dataclass(frozen=True, slots=True)
class Retention:
    what: str
    period: str  # ISO 8601 duration
    text: Text


@dataclass(frozen=True)
class ProcessingRegister:
    controller: Mapping[str, Any]
    purposes: tuple[str, ...]
    data_subjects: tuple[tuple[str, Text], ...]
    categories: tuple[str, ...]
    recipients: tuple[str, ...]
    third_country_transfers: Text
    retention: tuple[Retention, ...]
    security_measures: tuple[Text, ...]


def _text(value: Any, where: str, problems: list[str]) -> Text:
    if (
        not isinstance(value, Mapping)
        or set(value) != {"nl", "en"}
        or not all(isinstance(v, str) and v.strip() for v in value.values())
    ):
        problems.append(f"{where}: must be a table with non-empty `nl` and `en` texts")
        return Text("", "")
    return Text(value["nl"].strip(), value["en"].strip())


def _ids(
    value: Any, known: Mapping[str, object], where: str, problems: list[str]
) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        problems.append(f"{where}: must be a non-empty list of ids")
        return ()
    for unknown in sorted(set(value) - set(known)):
        problems.append(f"{where}: '{unknown}' is not in the vocabulary")
    return tuple(value)


def load_processing_register(config_dir: Path, vocabulary: Vocabulary) -> ProcessingRegister:
    """`config_dir/processing_register.toml`, checked; `PolicyLoadError` lists every problem."""
    problems: list[str] = []
    document = read_toml(config_dir / REGISTER_FILE, REGISTER_FILE, problems)
    if document is None:
        raise PolicyLoadError(problems)
    keys = (
        "controller",
        "purposes",
        "data_subjects",
        "categories",
        "recipients",
        "third_country_transfers",
        "retention",
        "security_measures",
    )
    check_keys(document, allowed=keys, required=keys, where=REGISTER_FILE, problems=problems)
    controller = document.get("controller", {})
    where = f"{REGISTER_FILE} [controller]"
    if not isinstance(controller, Mapping):
        problems.append(f"{where}: must be a table")
        controller = {}
    check_keys(
        controller,
        allowed=("name", "contact", "privacy_officer", "joint_controllers"),
        required=("name", "contact", "privacy_officer"),
        where=where,
        problems=problems,
    )
    for key in ("name", "contact", "privacy_officer"):
        if key in controller and not (isinstance(controller[key], str) and controller[key]):
            problems.append(f"{where}: '{key}' must be a non-empty string")
    purposes = _ids(document.get("purposes"), vocabulary.purposes, "purposes", problems)
    subjects: list[tuple[str, Text]] = []
    raw_subjects = document.get("data_subjects")
    if not isinstance(raw_subjects, list) or not raw_subjects:
        problems.append(f"{REGISTER_FILE}: data_subjects must be one or more tables")
        raw_subjects = []
    for n, table in enumerate(raw_subjects):
        where = f"{REGISTER_FILE} data_subjects[{n}]"
        if not isinstance(table, Mapping):
            problems.append(f"{where}: must be a table")
            continue
        check_keys(
            table,
            allowed=("id", "nl", "en"),
            required=("id", "nl", "en"),
            where=where,
            problems=problems,
        )
        ident = table.get("id")
        if not isinstance(ident, str) or not _ID.match(ident):
            problems.append(f"{where}: 'id' must be a lowercase code")
            continue
        subjects.append(
            (ident, _text({"nl": table.get("nl"), "en": table.get("en")}, where, problems))
        )
    raw_categories = document.get("categories")
    categories = (
        tuple(sorted(vocabulary.categories))
        if raw_categories == "all"
        else _ids(raw_categories, vocabulary.categories, "categories", problems)
    )
    recipients = _ids(
        document.get("recipients"), vocabulary.organisation_types, "recipients", problems
    )
    transfers = _text(document.get("third_country_transfers"), "third_country_transfers", problems)
    retention: list[Retention] = []
    for n, table in enumerate(document.get("retention") or []):
        where = f"{REGISTER_FILE} retention[{n}]"
        if not isinstance(table, Mapping):
            problems.append(f"{where}: must be a table")
            continue
        check_keys(
            table,
            allowed=("what", "period", "nl", "en"),
            required=("what", "period", "nl", "en"),
            where=where,
            problems=problems,
        )
        period = table.get("period")
        if not isinstance(period, str) or not _PERIOD.match(period):
            problems.append(f"{where}: 'period' must be an ISO 8601 duration such as P20Y")
            continue
        retention.append(
            Retention(
                str(table.get("what")),
                period,
                _text({"nl": table.get("nl"), "en": table.get("en")}, where, problems),
            )
        )
    if not retention:
        problems.append(f"{REGISTER_FILE}: retention must name at least one period")
    measures = [
        _text(t, f"{REGISTER_FILE} security_measures[{n}]", problems)
        for n, t in enumerate(document.get("security_measures") or [])
    ]
    if not measures:
        problems.append(f"{REGISTER_FILE}: security_measures must name at least one measure")
    if problems:
        raise PolicyLoadError(problems)
    return ProcessingRegister(
        controller=dict(controller),
        purposes=purposes,
        data_subjects=tuple(subjects),
        categories=categories,
        recipients=recipients,
        third_country_transfers=transfers,
        retention=tuple(retention),
        security_measures=tuple(measures),
    )
