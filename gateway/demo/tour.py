"""The demo's tour: for every scenario, who asks, for what, and a command that returns records.

One table (`TOUR`) feeds both what `gateway demo` prints and the test that runs every
printed command against a running demo (tests/integration/demo/test_tour.py), so the
commands cannot rot. Each step names the organisation, the role, the purpose and the
categories, and the case reference where the rules need one (the demo opens those cases,
`gateway.demo.seed.DEMO_CASES`). Where consent is what is missing, the step first records
it, on paper, as the professional would (`POST /api/v1/consents`), and then asks.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.reference.synthetic import Population
from gateway.auth.organisations import OrganisationRegistry
from gateway.demo.seed import DEMO_CASES

__all__ = ["TOUR", "TourStep", "render_step", "tour_text"]

#: At least the 40 characters the acute_safety rule asks for; no quote (shell-safe).
JUSTIFICATION = "Melding via de politie: acuut gevaar voor het kind vannacht, ouders onbereikbaar"


@dataclass(frozen=True)
class TourStep:
    scenario: str
    what: str
    org_type: str
    role: str
    purpose: str
    categories: tuple[str, ...]
    #: Ask only these sources (organisation types); default: every source but the caller's.
    source_types: tuple[str, ...] | None = None
    case: bool = False  # send the demo case reference of the caller's type
    break_glass: bool = False
    #: Record this person's own consent (on paper) for these categories first.
    consent_first: tuple[str, ...] = ()
    then: str = ""


TOUR: tuple[TourStep, ...] = (
    TourStep(
        "child_under_12",
        "a child of 7; both parents with custody consented, so the wijkteam may plan support "
        "(the household's data is in the wijkteam's own reference system)",
        "wijkteam",
        "hulpverlener",
        "support_planning",
        ("contact_details", "household_composition", "school", "health"),
        source_types=("wijkteam",),
        then='add "reports": denied, the wijkteam gets no VT reports without a hand-over',
    ),
    TourStep(
        "child_consented_at_11",
        "a child just 12; the parents consented when it was 11, now the child must consent "
        "too: without the first command the answer is consent_required, naming "
        '"the child themselves (12-15)" in missing_consent',
        "wijkteam",
        "hulpverlener",
        "support_planning",
        ("contact_details", "health"),
        source_types=("wijkteam",),
        consent_first=("contact_details", "health"),
    ),
    TourStep(
        "adult",
        "an adult whose consent expired and who refused health data: record a new consent "
        "for contact details; health stays denied (the refusal still holds)",
        "wijkteam",
        "hulpverlener",
        "support_planning",
        ("contact_details", "health"),
        source_types=("wijkteam",),
        consent_first=("contact_details",),
    ),
    TourStep(
        "child_under_ots",
        "a child of 14 under supervision (OTS): the GI executes the measure on its case",
        "gi",
        "jeugdbeschermer",
        "protection_measure_execution",
        ("contact_details", "support_plan", "protection_measures", "court_decisions"),
        case=True,
        then="any other case_reference, or none, is denied (case_reference_required)",
    ),
    TourStep(
        "rvdk_investigation",
        "the same child: the Raad investigates on its own case",
        "rvdk",
        "raadsonderzoeker",
        "child_protection_investigation",
        ("contact_details", "protection_measures", "court_decisions", "investigation_reports"),
        case=True,
    ),
    TourStep(
        "criminal_record",
        "the father in that family, covered by the Raad's case: his criminal record sits "
        "in the Raad's own register (a special category: only a rule that names it)",
        "rvdk",
        "raadsonderzoeker",
        "child_protection_investigation",
        ("contact_details", "criminal_records"),
        source_types=("rvdk", "gi"),
        case=True,
    ),
    TourStep(
        "vt_report_subject",
        "a toddler Veilig Thuis investigates after a report (its case); the reporter's "
        "identity never leaves",
        "veilig_thuis",
        "medewerker",
        "safety_assessment",
        ("contact_details", "reports", "safety_assessment", "reporter_identity"),
        case=True,
        then="reporter_identity is denied in every answer",
    ),
    TourStep(
        "shelter_address",
        "the toddler's mother in a shelter: her address in the shelter is restricted",
        "veilig_thuis",
        "medewerker",
        "safety_assessment",
        ("contact_details", "safety_assessment", "shelter_address"),
        case=True,
        then="shelter_address is denied: restricted data leaves only where a rule names it",
    ),
    TourStep(
        "child_16_17",
        "a young person of 16 in the pilot region: the RVT acts on its case (the wijkteam "
        "would need the young person's own consent)",
        "rvt",
        "medewerker",
        "safety_assessment",
        ("contact_details", "reports", "safety_assessment"),
        case=True,
    ),
    TourStep(
        "parent_without_custody",
        "a father without custody: in an emergency Veilig Thuis breaks the glass "
        "(justified, limited, reviewed afterwards by the privacy officer)",
        "veilig_thuis",
        "medewerker",
        "acute_safety",
        ("contact_details", "household_composition", "safety_assessment"),
        break_glass=True,
        then="GET /api/v1/audit/break-glass (privacy_officer) lists it for review",
    ),
)


def _cases() -> dict[str, str]:
    return {kind: reference for kind, reference, _ in DEMO_CASES}


def _org_ids(organisations: OrganisationRegistry) -> dict[str, str]:
    return {org.type: org.id for org in organisations}


def exchange_body(
    step: TourStep, population: Population, organisations: OrganisationRegistry
) -> dict[str, Any]:
    ids = _org_ids(organisations)
    body: dict[str, Any] = {
        "subject": {"bsn": population.scenario(step.scenario).bsn},
        "purpose": step.purpose,
        "categories": list(step.categories),
    }
    if step.source_types is not None:
        body["sources"] = [ids[kind] for kind in step.source_types]
    if step.case:
        body["case_reference"] = _cases()[step.org_type]
    if step.break_glass:
        body["break_glass"] = {"justification": JUSTIFICATION}
    return body


def consent_body(
    step: TourStep, population: Population, organisations: OrganisationRegistry
) -> dict[str, Any]:
    """The person's own consent, given on paper and recorded by the asking organisation."""
    return {
        "subject": population.scenario(step.scenario).bsn,
        "purposes": [step.purpose],
        "categories": list(step.consent_first),
        "recipients": {"organisations": [_org_ids(organisations)[step.org_type]]},
        "evidence_reference": f"demo-paper-form-{step.scenario}",
    }


def _curl(base: str, path: str, body: Mapping[str, Any], extra: str = "") -> str:
    data = json.dumps(body, ensure_ascii=False)
    return (
        f'    curl -s {base}{path} -H "Authorization: Bearer $TOKEN" \\\n'
        f"      -H 'Content-Type: application/json'{extra} \\\n"
        f"      -d '{data}'"
    )


def render_step(
    step: TourStep, base: str, population: Population, organisations: OrganisationRegistry
) -> str:
    """One scenario's block: what it shows, then the commands (indented four spaces)."""
    org = _org_ids(organisations)[step.org_type]
    token = f"    TOKEN=$(.venv/bin/gateway token --org {org} --role {step.role})"
    lines = [
        f"### {step.scenario}: {step.what}",
        f"    # organisation {org}, role {step.role}, purpose {step.purpose}, "
        f"categories {', '.join(step.categories)}",
    ]
    if step.consent_first:
        lines += [
            token,
            _curl(
                base,
                "/api/v1/consents",
                consent_body(step, population, organisations),
                " -o /dev/null -w 'consent recorded: %{http_code}\\n'",
            ),
        ]
    lines += [
        token,
        _curl(base, "/api/v1/exchanges", exchange_body(step, population, organisations)),
    ]
    if step.then:
        lines.append(f"  then: {step.then}")
    return "\n".join(lines)


def tour_text(base: str, population: Population, organisations: OrganisationRegistry) -> str:
    return "\n\n".join(render_step(s, base, population, organisations) for s in TOUR)
