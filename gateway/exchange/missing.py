"""Whose consent is still missing, in terms the professional can act on.

The consent check names the people whose consent is missing by pseudonym (the subject,
each parent with custody who has not consented) or, when the custody register confirms
no one, by the label `custody_holder`. A pseudonym is useless to a professional and, being
stable, would let an organisation link one household's parents across the children it
asks about. So the answer says *who, in the household's terms*: the subject themselves
with their age band (the band decides whose consent counts), or a parent with custody.

It reveals nothing the caller may not see: never a pseudonym, a name, a BSN or which
parent; never anyone outside the consent rule (a parent without custody, a sibling, a VT
reporter never appear); the number of entries is the number of consents still needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from consent import AgeRules

__all__ = ["MissingConsent", "age_band", "describe_missing"]

#: The consent check's label for "a custody holder, none confirmed" (consent.rules).
NO_CONFIRMED_HOLDER = "custody_holder"

DASH = "\u2013"  # an en dash between the ends of a band, as Dutch and English print it
Party = Literal["subject", "custody_holder"]


@dataclass(frozen=True, slots=True)
class MissingConsent:
    """One consent still needed: whose (`party`), their place in the household, the age
    band of the subject, and a label in Dutch and English."""

    party: Party
    household_role: str
    age_band: str | None
    nl: str
    en: str

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"party": self.party, "household_role": self.household_role}
        if self.age_band is not None:
            body["age_band"] = self.age_band
        body["label"] = {"nl": self.nl, "en": self.en}
        return body


def age_band(age: int, rules: AgeRules) -> tuple[str, str]:
    """(code, text) of the band `age` is in; the bands are where the consent rules change
    (config/consent.toml), so the band says whose consent counts."""
    young, alone = rules.child_consents_from, rules.child_alone_from
    if age >= 18:
        return "18+", "18+"
    if age >= alone:
        return f"{alone}-17", f"{alone}{DASH}17"
    if age >= young:
        return f"{young}-{alone - 1}", f"{young}{DASH}{alone - 1}"
    return f"0-{young - 1}", f"0{DASH}{young - 1}"


def _subject(age: int | None, rules: AgeRules) -> MissingConsent:
    if age is None:  # not in any registered household: register it first
        return MissingConsent(
            "subject",
            "not_registered",
            None,
            "de persoon zelf; het huishouden is nog niet geregistreerd (POST /api/v1/households)",
            "the person themselves; the household is not registered yet (POST /api/v1/households)",
        )
    code, text = age_band(age, rules)
    if age >= 18:
        return MissingConsent(
            "subject",
            "adult",
            code,
            "de persoon zelf (volwassene)",
            "the person themselves (adult)",
        )
    if age >= rules.child_alone_from:
        return MissingConsent(
            "subject",
            "child",
            code,
            f"de jongere zelf ({text} jaar, beslist alleen)",
            f"the young person themselves ({text}, decides alone)",
        )
    return MissingConsent(
        "subject",
        "child",
        code,
        f"het kind zelf ({text} jaar)",
        f"the child themselves ({text})",
    )


_HOLDER = MissingConsent(
    "custody_holder", "parent_with_custody", None, "een ouder met gezag", "a parent with custody"
)
_NO_HOLDER = MissingConsent(
    "custody_holder",
    "parent_with_custody",
    None,
    "een ouder met gezag; het gezagsregister bevestigt nog niemand",
    "a parent with custody; the custody register confirms no one yet",
)


def describe_missing(
    missing: Sequence[str], subject: str, age: int | None, rules: AgeRules
) -> tuple[MissingConsent, ...]:
    """`missing` (the consent check's pseudonyms and labels) as the caller may read it."""
    described: list[MissingConsent] = []
    for who in missing:
        if who == subject:
            described.append(_subject(age, rules))
        elif who == NO_CONFIRMED_HOLDER:
            described.append(_NO_HOLDER)
        else:  # anyone else the rule names is a custody holder of the subject
            described.append(_HOLDER)
    # The subject first, then the parents: the order of the rule, not of pseudonyms.
    return tuple(sorted(described, key=lambda m: m.party != "subject"))
