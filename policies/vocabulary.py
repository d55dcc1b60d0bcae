"""The shared vocabulary (*begrippenkader*): requester types, categories, purposes, legal bases.

Read from four TOML files in the configuration directory:

- `organisation_types.toml`: `[organisation_types.<id>]` and `[portal_requesters.<id>]`
  (the household member on the portal), each with `nl`, `en` and optional `roles`: the
  roles a professional of that type may assert in a token (anything else is refused at
  authentication). `regional_privacy_officer` is never a type's role: only the
  organisations that `organisations.toml` names as a region's privacy office assert it;
- `categories.toml`: `[categories.<id>]` with `sensitivity` (`normal`, `special` for AVG
  art. 9, `criminal` for AVG art. 10, `restricted`), `nl`, `en`;
- `purposes.toml`: `[purposes.<id>]` with `nl`, `en`, `break_glass`, `aggregates_only`;
- `legal_bases.toml`: `[legal_bases.<id>]` with `nl`, `en` and the AVG `article`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from policies._toml import ID_PATTERN, check_keys, read_toml, text_field
from policies.errors import PolicyLoadError

__all__ = [
    "CHANNELS",
    "CONSENT_BASIS",
    "PRIVACY_OFFICER",
    "REGIONAL_PRIVACY_OFFICER",
    "SENSITIVE",
    "SENSITIVITIES",
    "Category",
    "Channel",
    "LegalBasis",
    "Purpose",
    "RequesterType",
    "Sensitivity",
    "Vocabulary",
    "load_vocabulary",
]

Sensitivity = Literal["normal", "special", "criminal", "restricted"]
Channel = Literal["organisation", "household_portal"]

SENSITIVITIES: Final[tuple[Sensitivity, ...]] = ("normal", "special", "criminal", "restricted")
#: Categories a wildcard never reaches: a rule must name them.
SENSITIVE: Final[frozenset[str]] = frozenset({"special", "criminal", "restricted"})
CHANNELS: Final[tuple[Channel, ...]] = ("organisation", "household_portal")
#: The legal basis that means "the person's consent"; every other basis needs a statute.
CONSENT_BASIS: Final = "consent"
#: The organisation's own privacy officer (FG): sees the audit entries of its organisation.
PRIVACY_OFFICER: Final = "privacy_officer"
#: A region's privacy office: sees the audit entries of every organisation of its regions.
#: Bound to organisations (`privacy_office_for` in organisations.toml), never to a type.
REGIONAL_PRIVACY_OFFICER: Final = "regional_privacy_officer"


@dataclass(frozen=True, slots=True)
class RequesterType:
    """Who asks: an organisation type, or the household member on the portal."""

    id: str
    nl: str
    en: str
    channel: Channel
    roles: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    sensitivity: Sensitivity
    nl: str
    en: str


@dataclass(frozen=True, slots=True)
class Purpose:
    id: str
    nl: str
    en: str
    break_glass: bool = False
    aggregates_only: bool = False


@dataclass(frozen=True, slots=True)
class LegalBasis:
    id: str
    nl: str
    en: str
    article: str


@dataclass(frozen=True)
class Vocabulary:
    organisation_types: Mapping[str, RequesterType]
    portal_requesters: Mapping[str, RequesterType]
    categories: Mapping[str, Category]
    purposes: Mapping[str, Purpose]
    legal_bases: Mapping[str, LegalBasis]

    @property
    def requester_types(self) -> dict[str, RequesterType]:
        """Organisation types and portal requesters together."""
        return {**self.organisation_types, **self.portal_requesters}

    def canonical(self) -> dict[str, Any]:
        """A JSON-ready, order-independent form (part of the policy version)."""
        return {
            "organisation_types": {
                k: [v.nl, v.en, v.channel, sorted(v.roles)]
                for k, v in sorted(self.organisation_types.items())
            },
            "portal_requesters": {
                k: [v.nl, v.en, v.channel, sorted(v.roles)]
                for k, v in sorted(self.portal_requesters.items())
            },
            "categories": {
                k: [v.sensitivity, v.nl, v.en] for k, v in sorted(self.categories.items())
            },
            "purposes": {
                k: [v.nl, v.en, v.break_glass, v.aggregates_only]
                for k, v in sorted(self.purposes.items())
            },
            "legal_bases": {
                k: [v.nl, v.en, v.article] for k, v in sorted(self.legal_bases.items())
            },
        }


def _entries(
    document: Mapping[str, Any], section: str, display: str, problems: list[str]
) -> dict[str, dict[str, Any]]:
    raw = document.get(section, {})
    if not isinstance(raw, dict):
        problems.append(f"{display}: '{section}' must be a table")
        return {}
    entries: dict[str, dict[str, Any]] = {}
    for key, value in raw.items():
        if not ID_PATTERN.match(key):
            problems.append(f"{display}: {section} id '{key}' must match {ID_PATTERN.pattern}")
        elif not isinstance(value, dict):
            problems.append(f"{display}: {section}.{key} must be a table")
        else:
            entries[key] = value
    return entries


def _flag(table: Mapping[str, Any], key: str, where: str, problems: list[str]) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        problems.append(f"{where}: '{key}' must be true or false")
        return False
    return value


def _requesters(
    document: Mapping[str, Any],
    section: str,
    channel: Channel,
    display: str,
    problems: list[str],
) -> dict[str, RequesterType]:
    result: dict[str, RequesterType] = {}
    for key, table in _entries(document, section, display, problems).items():
        where = f"{display}: {section} '{key}'"
        check_keys(
            table,
            allowed=("nl", "en", "roles"),
            required=("nl", "en"),
            where=where,
            problems=problems,
        )
        roles = table.get("roles", [])
        if not isinstance(roles, list) or not all(
            isinstance(r, str) and ID_PATTERN.match(r) for r in roles
        ):
            problems.append(f"{where}: 'roles' must be a list of lower-case identifiers")
            roles = []
        if len(set(roles)) != len(roles):
            problems.append(f"{where}: 'roles' has duplicates")
        if REGIONAL_PRIVACY_OFFICER in roles:
            problems.append(
                f"{where}: '{REGIONAL_PRIVACY_OFFICER}' is not a role of a type; name the "
                "office's regions with `privacy_office_for` in organisations.toml"
            )
        result[key] = RequesterType(
            id=key,
            nl=text_field(table, "nl", where, problems),
            en=text_field(table, "en", where, problems),
            channel=channel,
            roles=tuple(roles),
        )
    return result


def load_vocabulary(config_dir: Path) -> Vocabulary:
    """Read and validate the vocabulary; raise `PolicyLoadError` listing every problem."""
    problems: list[str] = []
    docs: dict[str, dict[str, Any]] = {}
    sections = {
        "organisation_types.toml": ("organisation_types", "portal_requesters"),
        "categories.toml": ("categories",),
        "purposes.toml": ("purposes",),
        "legal_bases.toml": ("legal_bases",),
    }
    for name, allowed in sections.items():
        document = read_toml(config_dir / name, name, problems)
        if document is not None:
            check_keys(document, allowed=allowed, where=name, problems=problems)
            docs[name] = document

    org_doc = docs.get("organisation_types.toml", {})
    organisation_types = _requesters(
        org_doc, "organisation_types", "organisation", "organisation_types.toml", problems
    )
    portal = _requesters(
        org_doc, "portal_requesters", "household_portal", "organisation_types.toml", problems
    )
    for key in sorted(set(organisation_types) & set(portal)):
        problems.append(
            f"organisation_types.toml: '{key}' is both an organisation type and a portal requester"
        )

    categories: dict[str, Category] = {}
    for key, table in _entries(
        docs.get("categories.toml", {}), "categories", "categories.toml", problems
    ).items():
        where = f"categories.toml: category '{key}'"
        check_keys(
            table,
            allowed=("sensitivity", "nl", "en"),
            required=("sensitivity", "nl", "en"),
            where=where,
            problems=problems,
        )
        raw = table.get("sensitivity")
        sensitivity: Sensitivity = "restricted"  # the safest value; unused when loading fails
        for known in SENSITIVITIES:
            if raw == known:
                sensitivity = known
                break
        else:
            if "sensitivity" in table:
                problems.append(
                    f"{where}: sensitivity {raw!r} is not one of {', '.join(SENSITIVITIES)}"
                )
        categories[key] = Category(
            id=key,
            sensitivity=sensitivity,
            nl=text_field(table, "nl", where, problems),
            en=text_field(table, "en", where, problems),
        )

    purposes: dict[str, Purpose] = {}
    for key, table in _entries(
        docs.get("purposes.toml", {}), "purposes", "purposes.toml", problems
    ).items():
        where = f"purposes.toml: purpose '{key}'"
        check_keys(
            table,
            allowed=("nl", "en", "break_glass", "aggregates_only"),
            required=("nl", "en"),
            where=where,
            problems=problems,
        )
        purposes[key] = Purpose(
            id=key,
            nl=text_field(table, "nl", where, problems),
            en=text_field(table, "en", where, problems),
            break_glass=_flag(table, "break_glass", where, problems),
            aggregates_only=_flag(table, "aggregates_only", where, problems),
        )

    legal_bases: dict[str, LegalBasis] = {}
    for key, table in _entries(
        docs.get("legal_bases.toml", {}), "legal_bases", "legal_bases.toml", problems
    ).items():
        where = f"legal_bases.toml: legal basis '{key}'"
        check_keys(
            table,
            allowed=("nl", "en", "article"),
            required=("nl", "en", "article"),
            where=where,
            problems=problems,
        )
        legal_bases[key] = LegalBasis(
            id=key,
            nl=text_field(table, "nl", where, problems),
            en=text_field(table, "en", where, problems),
            article=text_field(table, "article", where, problems),
        )
    if docs.get("legal_bases.toml") is not None and CONSENT_BASIS not in legal_bases:
        problems.append(f"legal_bases.toml: the legal basis '{CONSENT_BASIS}' must be defined")
    for name, mapping in (
        ("organisation_types.toml", organisation_types),
        ("categories.toml", categories),
        ("purposes.toml", purposes),
    ):
        if name in docs and not mapping:
            problems.append(f"{name}: defines nothing")

    if problems:
        raise PolicyLoadError(problems)
    return Vocabulary(
        organisation_types=organisation_types,
        portal_requesters=portal,
        categories=categories,
        purposes=purposes,
        legal_bases=legal_bases,
    )
