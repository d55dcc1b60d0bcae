"""The register of processing activities (AVG art. 30), generated from the rules.

One section per purpose with every permit rule as a row (recipients, sources, data
categories, legal basis and statutory reference, consent, conditions), the special
(art. 9) and criminal (art. 10) categories involved, then the forbidden exchanges.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Final, Literal
from zoneinfo import ZoneInfo

from policies.explain import condition_texts
from policies.model import WILDCARD, PolicySet, Rule

__all__ = ["Language", "render_register"]

Language = Literal["nl", "en"]
_AMSTERDAM: Final = ZoneInfo("Europe/Amsterdam")

_LABELS: Final[dict[str, dict[str, str]]] = {
    "nl": {
        "title": "Register van verwerkingsactiviteiten (AVG art. 30)",
        "intro": "Gegenereerd uit de beleidsregels, versie {version}. De gateway bewaart zelf "
        "geen dossierinhoud: hij haalt gegevens per verzoek op bij de bron en legt elke "
        "inzage vast in een logboek dat de betrokkene kan lezen. De genoemde wettelijke "
        "grondslagen moeten per inzet worden bevestigd door een juridisch adviseur.",
        "purpose": "Doel",
        "header": "| Regel | Ontvanger | Bron | Gegevens | Grondslag | Wettelijke bepaling "
        "| Toestemming | Voorwaarden |",
        "special": "Bijzondere persoonsgegevens (AVG art. 9)",
        "criminal": "Strafrechtelijke gegevens (AVG art. 10)",
        "restricted": "Afgeschermde gegevens",
        "none": "geen",
        "forbidden": "Nooit toegestane verstrekkingen",
        "forbid_header": "| Regel | Aanvrager | Bron | Gegevens | Doelen | Toelichting |",
        "all_orgs": "alle organisaties",
        "all_normal": "alle gewone gegevens",
        "no": "nee",
        "yes_from": "ja, van {who}",
        "break_glass": "noodtoegang: max. {hours} uur, onderbouwing van min. {chars} tekens",
        "aggregates": "alleen getelde totalen",
        "regions": "alleen in {regions}",
        "valid": "geldig {start} t/m {end}",
        "confidential": "vertrouwelijk voor het gezin",
        "roles": "rollen: {roles}",
        "no_rules": "Geen regels voor dit doel: niets is toegestaan.",
        "terms": "Begrippen",
    },
    "en": {
        "title": "Register of processing activities (GDPR art. 30)",
        "intro": "Generated from the policy rules, version {version}. The gateway itself "
        "stores no dossier contents: it fetches data from the source per request and "
        "records every access in a log the person concerned can read. The statutory "
        "grounds cited must be confirmed by legal counsel for each deployment.",
        "purpose": "Purpose",
        "header": "| Rule | Recipient | Source | Data | Legal basis | Statutory reference "
        "| Consent | Conditions |",
        "special": "Special categories (GDPR art. 9)",
        "criminal": "Criminal-offence data (GDPR art. 10)",
        "restricted": "Restricted data",
        "none": "none",
        "forbidden": "Exchanges that are never allowed",
        "forbid_header": "| Rule | Requester | Source | Data | Purposes | Explanation |",
        "all_orgs": "all organisations",
        "all_normal": "all normal data",
        "no": "no",
        "yes_from": "yes, from {who}",
        "break_glass": "emergency access: max. {hours} hours, justification of min. "
        "{chars} characters",
        "aggregates": "aggregate figures only",
        "regions": "only in {regions}",
        "valid": "valid {start} to {end}",
        "confidential": "confidential towards the family",
        "roles": "roles: {roles}",
        "no_rules": "No rules for this purpose: nothing is permitted.",
        "terms": "Terms",
    },
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _names(ids: Iterable[str], labels: dict[str, str], kind: str) -> str:
    out = []
    for ident in sorted(ids):
        if ident == WILDCARD:
            out.append(labels["all_normal"] if kind == "category" else labels["all_orgs"])
        else:
            out.append(f"`{ident}`")
    return ", ".join(out)


def _day(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, _AMSTERDAM).date().isoformat()


def _conditions(rule: Rule, labels: dict[str, str], lang: Language, aggregates: bool) -> str:
    nl, en = condition_texts(rule)
    parts = list(nl if lang == "nl" else en)
    if rule.requester_roles:
        parts.append(labels["roles"].format(roles=", ".join(sorted(rule.requester_roles))))
    if rule.regions:
        parts.append(labels["regions"].format(regions=", ".join(sorted(rule.regions))))
    if rule.valid_from is not None or rule.valid_until is not None:
        start = _day(rule.valid_from) if rule.valid_from is not None else "…"
        end = _day(rule.valid_until - 1) if rule.valid_until is not None else "…"
        parts.append(labels["valid"].format(start=start, end=end))
    if rule.max_duration_hours is not None:
        parts.append(
            labels["break_glass"].format(
                hours=rule.max_duration_hours, chars=rule.min_justification_length
            )
        )
    if aggregates:
        parts.append(labels["aggregates"])
    if rule.confidential:
        parts.append(labels["confidential"])
    return "; ".join(parts) or "-"


def render_register(policy_set: PolicySet, lang: Language = "nl") -> str:
    """The AVG art. 30 register as Markdown."""
    labels = _LABELS[lang]
    vocab = policy_set.vocabulary
    lines = [f"# {labels['title']}", "", labels["intro"].format(version=policy_set.version), ""]
    for purpose in sorted(vocab.purposes.values(), key=lambda p: p.id):
        lines += [f"## {labels['purpose']}: {getattr(purpose, lang)} (`{purpose.id}`)", ""]
        rules = [r for r in policy_set.rules if r.effect == "permit" and purpose.id in r.purposes]
        if not rules:
            lines += [labels["no_rules"], ""]
            continue
        lines += [labels["header"], "|" + "---|" * 8]
        for rule in rules:
            basis = vocab.legal_bases.get(rule.legal_basis or "")
            basis_text = f"{getattr(basis, lang)} ({basis.article})" if basis else "-"
            consent = (
                labels["yes_from"].format(who=rule.consent_from or "subject")
                if rule.consent_required
                else labels["no"]
            )
            row = [
                f"`{rule.id}`",
                _names(rule.requester_types, labels, "requester"),
                _names(rule.source_types, labels, "requester"),
                _names(rule.categories, labels, "category"),
                basis_text,
                rule.statutory_reference or "-",
                consent,
                _conditions(rule, labels, lang, purpose.aggregates_only),
            ]
            lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
        lines.append("")
        for sensitivity in ("special", "criminal", "restricted"):
            named = sorted(
                {
                    c
                    for r in rules
                    for c in r.categories
                    if c in vocab.categories and vocab.categories[c].sensitivity == sensitivity
                }
            )
            shown = ", ".join(f"`{c}`" for c in named) or labels["none"]
            lines.append(f"- {labels[sensitivity]}: {shown}")
        lines.append("")
    lines += [f"## {labels['forbidden']}", "", labels["forbid_header"], "|" + "---|" * 6]
    for rule in (r for r in policy_set.rules if r.effect == "forbid"):
        row = [
            f"`{rule.id}`",
            _names(rule.requester_types, labels, "requester"),
            _names(rule.source_types, labels, "requester"),
            _names(rule.categories, labels, "category"),
            ", ".join(f"`{p}`" for p in sorted(rule.purposes)),
            rule.description_nl if lang == "nl" else rule.description_en,
        ]
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    lines += ["", f"## {labels['terms']}", ""]
    for kind in sorted(vocab.requester_types.values(), key=lambda k: k.id):
        lines.append(f"- `{kind.id}`: {getattr(kind, lang)}")
    for category in sorted(vocab.categories.values(), key=lambda c: c.id):
        lines.append(f"- `{category.id}` ({category.sensitivity}): {getattr(category, lang)}")
    return "\n".join(lines) + "\n"
