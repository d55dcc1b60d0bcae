"""The scenario guide `gateway demo` prints: where things run, which synthetic BSNs to try."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from adapters.reference.synthetic import Population
from gateway.demo.seed import DEMO_CASES
from gateway.settings import Settings

__all__ = ["print_guide"]


def portal_logins(population: Population) -> list[tuple[str, str]]:
    """(who, name to pick at the demo provider) for the portal's scenarios."""
    scenarios = population.scenarios

    def name(bsn: str) -> str:
        person = population.person(bsn)
        return person.name if person is not None else "?"

    young = scenarios["child_under_12"]
    parent = next(
        c.parent_bsn
        for h in population.households
        for c in h.custody
        if c.child_bsn == young and c.has_custody
    )
    return [
        ("a parent with custody (sees their children under 12 too)", name(parent)),
        (
            "a child of 12 (sees their own dossier, not the parent's)",
            name(scenarios["child_consented_at_11"]),
        ),
        (
            "a parent without custody (sees no child's data)",
            name(scenarios["parent_without_custody"]),
        ),
        ("a young person of 16 (decides alone)", name(scenarios["child_16_17"])),
        ("an adult living alone", name(scenarios["adult"])),
        ("a child under 12 (no login: the parents act)", name(young)),
    ]


def print_guide(
    settings: Settings,
    people_file: Path,
    scenarios: Mapping[str, str],
    population: Population | None = None,
) -> None:
    base = f"http://{settings.host}:{settings.port}"
    logins = (
        "\n".join(f"  {who:58} {name}" for who, name in portal_logins(population))
        if population
        else "  (see the people file)"
    )
    bsn = scenarios["child_under_12"]
    ots = scenarios["child_under_ots"]
    gi_case = next(reference for kind, reference, _ in DEMO_CASES if kind == "gi")
    cases = "\n".join(
        f"  {kind:5} {reference:22} covering {', '.join(covered)}"
        for kind, reference, covered in DEMO_CASES
    )
    print(
        f"""
Jeugd- en gezinsgateway demo is running.

  Gateway         {base}
  OpenAPI         {base}/api/v1/openapi.json
  JWKS            {base}/.well-known/jwks.json
  Custody register {settings.custody_register_url} (reference, synthetic)
  Household portal {base}/  (log in: {base}/login/start)
  Demo OpenID provider {settings.oidc_issuer or "(none configured)"} (DEMO, not DigiD)
  Data folder     {settings.data_dir}
  Synthetic people (BSNs are synthetic) {people_file}

Scenarios (synthetic BSNs to try):
{json.dumps(dict(scenarios), indent=2)}

Try an exchange (the wijkteam asks for support planning for a child under 12 whose
parents consented; then try "child_consented_at_11": now 12, the child must consent too):

  TOKEN=$(.venv/bin/gateway token --org wijkteam-utrecht)
  curl -s {base}/api/v1/exchanges -H "Authorization: Bearer $TOKEN" \\
    -H 'Content-Type: application/json' \\
    -d '{{"subject": {{"bsn": "{bsn}"}}, "purpose": "support_planning",
         "categories": ["contact_details", "health", "school", "reports"]}}'

The GI and the Raad need a registered case (POST /api/v1/cases); the demo opened:
{cases}
  e.g. the GI executing the measure for "child_under_ots":

  TOKEN=$(.venv/bin/gateway token --org gi-jeugdbescherming-demo)
  curl -s {base}/api/v1/exchanges -H "Authorization: Bearer $TOKEN" \\
    -H 'Content-Type: application/json' \\
    -d '{{"subject": {{"bsn": "{ots}"}}, "purpose": "protection_measure_execution",
         "categories": ["contact_details", "support_plan"], "case_reference": "{gi_case}"}}'

  Any other reference, or the reference for someone the case does not cover, is denied
  (reason case_reference_required).

Log in to the household portal as (pick the name at the demo provider):
{logins}

Read the audit log as a privacy officer:

  TOKEN=$(.venv/bin/gateway token --org wijkteam-utrecht --role privacy_officer)
  curl -s {base}/api/v1/audit/entries -H "Authorization: Bearer $TOKEN"

Stop with Ctrl+C.
""",
        flush=True,
    )
