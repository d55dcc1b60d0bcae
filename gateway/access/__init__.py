"""Who may see or change what: the rules, as plain functions over ports.

No aiohttp here, so a JSON route and a web page call the same rule with the same answer.
`households.py`: who may see a household (`may_see_household`, `visible_household_of`,
`require_fresh_custody`) over `HouseholdPorts`; `custody.py`: the custody register port
and freshness at decision time. The household portal: `visible.py` whose data a member
may see (themselves; young children in register-confirmed custody, by the age rules;
restricted data only about oneself), `dossier.py` (live, through `run_exchange`),
`access_log.py` (through `AuditReader`) and `export.py` (signed).
Imports consent/policies ports and `gateway.audit`; imported by `gateway.api` and `gateway.web`.
"""
