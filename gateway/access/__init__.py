"""Who may see or change what: the rules, as plain functions over ports.

No aiohttp here, so a JSON route and a web page call the same rule with the same answer.
`households.py`: who may see a household (`may_see_household`, `visible_household_of`,
`require_fresh_custody`) over `HouseholdPorts`; `custody.py`: the custody register port
and freshness at decision time.
Imports consent/policies ports and `gateway.audit`; imported by `gateway.api` and `gateway.web`.
"""
