"""The scenario guide `gateway demo` prints: where things run, which synthetic BSNs to try."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from gateway.demo.seed import DEMO_CASES
from gateway.settings import Settings

__all__ = ["print_guide"]


def print_guide(settings: Settings, people_file: Path, scenarios: Mapping[str, str]) -> None:
    base = f"http://{settings.host}:{settings.port}"
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

Read the audit log as a privacy officer:

  TOKEN=$(.venv/bin/gateway token --org wijkteam-utrecht --role privacy_officer)
  curl -s {base}/api/v1/audit/entries -H "Authorization: Bearer $TOKEN"

Stop with Ctrl+C.
""",
        flush=True,
    )
