"""The privacy officers the gateway knows, from `config/privacy_officers.toml`, and the
check of an officer's login claims against them.

An identity provider says who logged in and, in its claims, that the person is a privacy
officer (`fg_role`) of an organisation (`fg_organisation`) under a staff identity
(`fg_id`). None of that is believed on its own: the identity must be configured here,
for that organisation and that role, and the organisation must be one the configuration
lets hold that role (`privacy_officer` for every organisation type; a
`regional_privacy_officer` only for an organisation configured as a region's privacy
office, `privacy_office_for`). Without the file there are no officers: fail closed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.audit.model import is_code
from gateway.auth.organisations import OrganisationRegistry
from gateway.errors import SettingsError
from policies.vocabulary import PRIVACY_OFFICER, REGIONAL_PRIVACY_OFFICER

__all__ = [
    "CLAIM_ID",
    "CLAIM_ORGANISATION",
    "CLAIM_ROLE",
    "OFFICER_ROLES",
    "LiveOfficerRegistry",
    "Officer",
    "OfficerRefused",
    "OfficerRegistry",
]

OFFICER_ROLES = (PRIVACY_OFFICER, REGIONAL_PRIVACY_OFFICER)
CLAIM_ID = "fg_id"
CLAIM_ORGANISATION = "fg_organisation"
CLAIM_ROLE = "fg_role"
_KEYS = {"id", "organisation", "role"}


@dataclass(frozen=True, slots=True)
class Officer:
    id: str  # the staff identity (a code; it goes in the audit log as `professional`)
    organisation: str  # organisation id
    role: str  # privacy_officer | regional_privacy_officer


class OfficerRefused(Exception):
    """Login claims that do not name a configured officer; `code` is a login error code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class OfficerRegistry:
    def __init__(self, officers: Iterable[Officer]) -> None:
        self._by_id = {officer.id: officer for officer in officers}

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Officer]:
        return iter(self._by_id.values())

    def get(self, officer_id: str) -> Officer | None:
        return self._by_id.get(officer_id)

    @classmethod
    def load(cls, path: Path, organisations: OrganisationRegistry) -> OfficerRegistry:
        """The officers of `path` (none if it does not exist); a bad entry stops start-up."""
        if not path.exists():
            return cls(())
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(str(path), f"does not load: {exc}") from exc
        entries = data.get("officer", [])
        if set(data) - {"officer"} or not isinstance(entries, list):
            raise SettingsError(str(path), "only [[officer]] tables are allowed")
        officers = [
            _officer(entry, organisations, f"{path}: officer {i + 1}")
            for i, entry in enumerate(entries)
        ]
        if len({o.id for o in officers}) != len(officers):
            raise SettingsError(str(path), "an officer `id` is listed twice")
        return cls(officers)

    def check(self, claims: Mapping[str, Any]) -> Officer:
        """The configured officer the claims name, or `OfficerRefused`:
        `not_an_officer` (no officer claims, or an identity not configured) or
        `officer_office_mismatch` (a configured identity claiming another office or role)."""
        officer_id = claims.get(CLAIM_ID)
        if not isinstance(officer_id, str) or not is_code(officer_id):
            raise OfficerRefused("not_an_officer")
        officer = self._by_id.get(officer_id)
        if officer is None:
            raise OfficerRefused("not_an_officer")
        if claims.get(CLAIM_ORGANISATION) != officer.organisation:
            raise OfficerRefused("officer_office_mismatch")
        if claims.get(CLAIM_ROLE) != officer.role:
            raise OfficerRefused("officer_office_mismatch")
        return officer


class LiveOfficerRegistry(OfficerRegistry):
    """The officers in force at each call: `current()` gives them (a configuration reload,
    `gateway.config_reload`, swaps them with the organisations they belong to)."""

    def __init__(self, current: Callable[[], OfficerRegistry]) -> None:
        self._current = current

    def __len__(self) -> int:
        return len(self._current())

    def __iter__(self) -> Iterator[Officer]:
        return iter(self._current())

    def get(self, officer_id: str) -> Officer | None:
        return self._current().get(officer_id)

    def check(self, claims: Mapping[str, Any]) -> Officer:
        return self._current().check(claims)


def _officer(entry: Any, organisations: OrganisationRegistry, where: str) -> Officer:
    if not isinstance(entry, dict) or set(entry) != _KEYS:
        raise SettingsError(where, "needs exactly `id`, `organisation` and `role`")
    officer_id, org_id, role = entry["id"], entry["organisation"], entry["role"]
    if not isinstance(officer_id, str) or not is_code(officer_id):
        raise SettingsError(where, "`id` must be a code (letters, digits, ._:/+=@-)")
    org = organisations.get(org_id) if isinstance(org_id, str) else None
    if org is None:
        raise SettingsError(where, "`organisation` is not a configured organisation")
    if role not in OFFICER_ROLES:
        raise SettingsError(where, f"`role` must be one of {', '.join(OFFICER_ROLES)}")
    if role not in org.roles:
        raise SettingsError(where, f"organisation {org_id!r} may not have a {role}")
    return Officer(officer_id, org_id, role)
