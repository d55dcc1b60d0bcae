"""Plain-language explanations of decisions, in Dutch (B1) and English.

The engine builds each decision's `explanation_nl`/`explanation_en` from the rules'
own descriptions with the functions here; `explain_report` renders the full answer
that `gateway policy explain` prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from policies.model import Decision, DecisionRequest, Rule
from policies.vocabulary import Purpose, Vocabulary

__all__ = [
    "condition_texts",
    "deny_texts",
    "explain_report",
    "forbid_texts",
    "permit_texts",
    "rule_facts",
]

_AMSTERDAM = ZoneInfo("Europe/Amsterdam")

_CONSENT_FROM_NL = {
    "subject": "de persoon zelf (of wie volgens de leeftijdsregels voor die persoon beslist)",
    "custody_holders": "de ouders met gezag",
}
_CONSENT_FROM_EN = {
    "subject": "the person concerned (or whoever decides for them under the age rules)",
    "custody_holders": "the parents with custody",
}


def _ids(rules: Sequence[Rule]) -> str:
    return ", ".join(rule.id for rule in rules)


def _day(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, _AMSTERDAM).date().isoformat()


def _last_day(epoch: int) -> str:
    return datetime.fromtimestamp(epoch - 1, _AMSTERDAM).date().isoformat()


def permit_texts(
    rules: Sequence[Rule], primary: Rule, purpose: Purpose, vocabulary: Vocabulary
) -> tuple[str, str]:
    """Why a request is permitted: the rules' descriptions, basis, consent, limits."""
    basis = vocabulary.legal_bases.get(primary.legal_basis or "")
    basis_nl = basis.nl if basis else (primary.legal_basis or "")
    basis_en = basis.en if basis else (primary.legal_basis or "")
    reference = f" ({primary.statutory_reference})" if primary.statutory_reference else ""
    nl = [f"Toegestaan door regel {_ids(rules)}."]
    en = [f"Permitted by rule {_ids(rules)}."]
    nl += [rule.description_nl for rule in rules]
    en += [rule.description_en for rule in rules]
    nl.append(f"Grondslag: {basis_nl}{reference}.")
    en.append(f"Legal basis: {basis_en}{reference}.")
    if primary.consent_required:
        who = primary.consent_from or "subject"
        nl.append(f"Alleen met toestemming van {_CONSENT_FROM_NL.get(who, who)}.")
        en.append(f"Only with the consent of {_CONSENT_FROM_EN.get(who, who)}.")
    if purpose.break_glass:
        hours = primary.max_duration_hours
        nl.append(
            f"Dit is noodtoegang: hooguit {hours} uur, met een onderbouwing. "
            "De privacyfunctionaris bekijkt elke noodtoegang achteraf."
        )
        en.append(
            f"This is emergency (break-the-glass) access: at most {hours} hours, with a "
            "justification. The privacy officer reviews every emergency access."
        )
    if purpose.aggregates_only:
        nl.append("Alleen getelde totalen, geen gegevens over één persoon.")
        en.append("Aggregate figures only, nothing about one person.")
    if any(rule.confidential for rule in rules):
        nl.append("Deze inzage blijft voorlopig vertrouwelijk: het gezin ziet haar nog niet.")
        en.append("This access stays confidential for now: the family does not see it yet.")
    return " ".join(nl), " ".join(en)


def forbid_texts(rules: Sequence[Rule]) -> tuple[str, str]:
    nl = [f"Niet toegestaan: regel {_ids(rules)} verbiedt dit."]
    en = [f"Denied: rule {_ids(rules)} forbids this."]
    nl += [rule.description_nl for rule in rules]
    en += [rule.description_en for rule in rules]
    references = sorted({r.statutory_reference for r in rules if r.statutory_reference})
    if references:
        nl.append(f"Zie {'; '.join(references)}.")
        en.append(f"See {'; '.join(references)}.")
    return " ".join(nl), " ".join(en)


def condition_texts(rule: Rule) -> tuple[list[str], list[str]]:
    """The conditions of a rule as short phrases (nl, en)."""
    c = rule.conditions
    nl: list[str] = []
    en: list[str] = []
    if c.min_age is not None and c.max_age is not None:
        nl.append(f"de persoon is {c.min_age} tot en met {c.max_age} jaar")
        en.append(f"the person is {c.min_age} to {c.max_age} years old")
    elif c.min_age is not None:
        nl.append(f"de persoon is {c.min_age} jaar of ouder")
        en.append(f"the person is {c.min_age} or older")
    elif c.max_age is not None:
        nl.append(f"de persoon is {c.max_age} jaar of jonger")
        en.append(f"the person is {c.max_age} or younger")
    if c.requester_is_regiehouder:
        nl.append("de aanvrager is regiehouder van het gezin")
        en.append("the requester is the household's regiehouder (lead organisation)")
    if c.case_reference_required:
        nl.append("de aanvrager heeft een open, geregistreerde zaak voor deze persoon")
        en.append("the requester has an open registered case covering the person")
    return nl, en


def deny_texts(reason: str, rules: Sequence[Rule]) -> tuple[str, str]:
    """Why a request is denied although rules `rules` nearly matched (or none did)."""
    ids = _ids(rules)
    if reason == "restricted_to_self":
        return (
            "Niet toegestaan: deze gegevens zijn extra beschermd. Alleen de persoon zelf "
            "mag ze zien, niet een ander lid van het huishouden.",
            "Denied: this data is specially protected. Only the person it is about may see "
            "it, not another household member.",
        )
    if reason == "role_not_permitted":
        roles = sorted({role for rule in rules for role in rule.requester_roles})
        return (
            f"Niet toegestaan: regel {ids} geldt alleen voor de rol(len) {', '.join(roles)}.",
            f"Denied: rule {ids} only applies to the role(s) {', '.join(roles)}.",
        )
    if reason == "outside_region":
        regions = sorted({region for rule in rules for region in rule.regions})
        return (
            f"Niet toegestaan: regel {ids} geldt alleen in {', '.join(regions)}.",
            f"Denied: rule {ids} only applies in {', '.join(regions)}.",
        )
    if reason == "rule_not_in_force":
        rule = rules[0]
        start = _day(rule.valid_from) if rule.valid_from is not None else "…"
        end = _last_day(rule.valid_until) if rule.valid_until is not None else "…"
        return (
            f"Niet toegestaan: regel {ids} geldt nu niet (wel van {start} tot en met {end}).",
            f"Denied: rule {ids} is not in force now (it is from {start} to {end}).",
        )
    if reason == "condition_not_met":
        nl_parts: list[str] = []
        en_parts: list[str] = []
        for rule in rules:
            nl_c, en_c = condition_texts(rule)
            nl_parts += [p for p in nl_c if p not in nl_parts]
            en_parts += [p for p in en_c if p not in en_parts]
        return (
            f"Niet toegestaan: regel {ids} stelt voorwaarden die niet allemaal kloppen: "
            f"{'; '.join(nl_parts)}.",
            f"Denied: rule {ids} has conditions that are not all met: {'; '.join(en_parts)}.",
        )
    if reason == "case_reference_required":
        return (
            f"Niet toegestaan: regel {ids} geldt alleen met het zaaknummer van een open zaak "
            "die de aanvrager voor deze persoon heeft geregistreerd.",
            f"Denied: rule {ids} only applies with the reference of an open case that the "
            "requester registered for this person.",
        )
    if reason == "justification_required":
        needed = max(rule.min_justification_length or 0 for rule in rules)
        return (
            f"Niet toegestaan: noodtoegang volgens regel {ids} vraagt een onderbouwing "
            f"van minstens {needed} tekens.",
            f"Denied: emergency access under rule {ids} needs a justification of at least "
            f"{needed} characters.",
        )
    return (
        "Niet toegestaan: geen enkele regel staat dit toe. Wat niet uitdrukkelijk is "
        "toegestaan, mag niet.",
        "Denied: no rule permits this. Whatever is not explicitly permitted is denied.",
    )


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def explain_report(request: DecisionRequest, decision: Decision, vocabulary: Vocabulary) -> str:
    """The text `gateway policy explain` prints: the question, the answer and why."""
    age = "unknown" if request.subject_age is None else str(request.subject_age)
    lines = [
        f"Decision: {decision.effect.upper()} ({decision.reason})",
        f"Request: {request.requester_type} asks {request.source_type} for "
        f"{request.category}, purpose {request.purpose}",
        f"  region={request.requester_region or '-'} role={request.requester_role or '-'} "
        f"age={age} channel={request.channel} regiehouder="
        f"{_yes(request.requester_is_regiehouder)} case_reference="
        f"{_yes(request.has_case_reference)} at="
        f"{request.at.astimezone(UTC).isoformat(timespec='seconds')}",
        f"Rules: {', '.join(decision.rule_ids) or '-'}",
    ]
    if decision.effect == "permit":
        basis = vocabulary.legal_bases.get(decision.legal_basis or "")
        article = f" [{basis.article}]" if basis else ""
        lines.append(f"Legal basis: {decision.legal_basis}{article}")
        lines.append(f"Statutory reference: {decision.statutory_reference or '-'}")
        consent = f"required, from {decision.consent_from}" if decision.consent_required else "no"
        lines.append(f"Consent: {consent}")
        flags = [
            name
            for name, on in (
                ("confidential", decision.confidential),
                ("break_glass", decision.break_glass),
                ("aggregates_only", decision.aggregates_only),
            )
            if on
        ]
        if decision.max_duration_hours is not None:
            flags.append(f"max_duration={decision.max_duration_hours}h")
        lines.append(f"Flags: {', '.join(flags) or '-'}")
    lines += [
        f"NL: {decision.explanation_nl}",
        f"EN: {decision.explanation_en}",
        f"Policy version: {decision.policy_version}",
    ]
    return "\n".join(lines)


def rule_facts(rule: Rule) -> dict[str, Any]:
    """What a rule covers and on what basis, as plain values (sorted sets): the part of a
    rule that the officer's JSON listing and the console's rule cards show alike."""
    return {
        "id": rule.id,
        "effect": rule.effect,
        "requester_types": sorted(rule.requester_types),
        "requester_roles": sorted(rule.requester_roles),
        "purposes": sorted(rule.purposes),
        "source_types": sorted(rule.source_types),
        "categories": sorted(rule.categories),
        "legal_basis": rule.legal_basis,
        "statutory_reference": rule.statutory_reference,
        "consent_required": rule.consent_required,
        "regions": sorted(rule.regions),
        "file": rule.source_file,
    }
