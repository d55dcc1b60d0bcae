"""The scenario guide `gateway demo` prints: where things run, and per scenario a command
that returns records (`gateway.demo.tour`)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from adapters.reference.synthetic import Population
from gateway.auth.organisations import OrganisationRegistry
from gateway.demo.seed import DEMO_CASES
from gateway.demo.tour import tour_text
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
    organisations: OrganisationRegistry | None = None,
    ports: Sequence[tuple[int, str]] = (),
) -> None:
    base = f"http://{settings.host}:{settings.port}"
    logins = (
        "\n".join(f"  {who:58} {name}" for who, name in portal_logins(population))
        if population
        else "  (see the people file)"
    )
    cases = "\n".join(
        f"  {kind:12} {reference:22} covering {', '.join(covered)}"
        for kind, reference, covered in DEMO_CASES
    )
    tour = (
        tour_text(base, population, organisations)
        if population is not None and organisations is not None
        else json.dumps(dict(scenarios), indent=2)
    )
    listening = "\n".join(f"  {port:<6} {what}" for port, what in sorted(ports))
    print(
        f"""
Jeugd- en gezinsgateway demo is running.

  Gateway         {base}
  OpenAPI         {base}/api/v1/openapi.json
  Vocabulary      {base}/api/v1/vocabulary (with an organisation token)
  JWKS            {base}/.well-known/jwks.json
  Custody register {settings.custody_register_url} (reference, synthetic)
  Household portal {base}/  (log in: {base}/login/start)
  Demo OpenID provider {settings.oidc_issuer or "(none configured)"} (DEMO, not DigiD)
  Data folder     {settings.data_dir}
  Synthetic people (BSNs are synthetic) {people_file}

Ports of this demo (all follow from --port; another demo needs a --port 30 or more away):
{listening or "  (see above)"}

Cases the demo opened (rules of the GI, the Raad, Veilig Thuis and the RVT need one):
{cases}

Scenarios: copy a block into a second terminal, in this folder. Each returns records;
every call needs a new token (a replayed jti is refused).

{tour}

Log in to the household portal as (pick the name at the demo provider):
{logins}

Read the audit log as a privacy officer:

  TOKEN=$(.venv/bin/gateway token --org wijkteam-utrecht --role privacy_officer)
  curl -s {base}/api/v1/audit/entries -H "Authorization: Bearer $TOKEN"

Stop with Ctrl+C.
""",
        flush=True,
    )
