"""The custody source port: what the custody register (gezagsregister, through the BRP
"gezag" API) says about a person, so that no custody relation counts on assertion.

This is the one place where the consent package sees BSNs: the register knows people
only by BSN. They are asked about and compared here, never stored (the gateway keeps
pseudonyms only). The HTTP implementation is `adapters.custody_http.HttpCustodySource`,
wired to this port by the gateway.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from consent.errors import (
    CustodyNotConfirmedError,
    CustodyRegisterUnavailableError,
    PersonNotConfirmedError,
)

__all__ = [
    "CustodyRegisterUnavailableError",
    "CustodySource",
    "RegisteredPerson",
    "confirm_claims",
]


@dataclass(frozen=True, slots=True)
class RegisteredPerson:
    """The register's facts about one person: birth date and who holds custody (gezag)
    over them (BSNs; empty for an adult or a minor without anyone with custody)."""

    bsn: str
    birth_date: date
    custody_holders: frozenset[str]

    def __repr__(self) -> str:  # never a BSN in a log line or a traceback
        return (
            f"RegisteredPerson(birth_date={self.birth_date}, holders={len(self.custody_holders)})"
        )


class CustodySource(Protocol):
    """The custody register. Raises `CustodyRegisterUnavailableError` for every failure
    (unreachable, slow, refused, malformed): the caller then fails closed."""

    async def persons(self, bsns: Sequence[str]) -> Mapping[str, RegisteredPerson]:
        """The register's facts for each BSN it knows; an unknown person is absent."""
        ...


async def confirm_claims(
    source: CustodySource,
    members: Sequence[tuple[str, date]],
    custody: Sequence[tuple[str, str]],
) -> Mapping[str, RegisteredPerson]:
    """Check what a registering organisation claims against the register, or raise.

    `members` are (BSN, birth date) as claimed, `custody` (parent BSN, child BSN). Every
    member must be known to the register with that birth date (`PersonNotConfirmedError`),
    every custody pair must be one the register names (`CustodyNotConfirmedError`). The
    register is asked once, about everyone involved; it being unreachable raises
    `CustodyRegisterUnavailableError`. Messages hold no personal data.
    """
    asked = list(dict.fromkeys([bsn for bsn, _ in members] + [c for _, c in custody]))
    known = await source.persons(asked)
    for bsn, birth in members:
        person = known.get(bsn)
        if person is None:
            raise PersonNotConfirmedError("the register does not know a member")
        if person.birth_date != birth:
            raise PersonNotConfirmedError("a member's birth date is not the register's")
    for parent, child in custody:
        person = known.get(child)
        if person is None or parent not in person.custody_holders:
            raise CustodyNotConfirmedError("the custody register does not confirm a custody claim")
    return known
