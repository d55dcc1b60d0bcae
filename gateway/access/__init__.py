"""Who may see or change what: the rules, as plain functions over ports.

No aiohttp here, so a JSON route and a web page call the same rule with the same answer.
Imports consent/policies ports and `gateway.audit`; imported by `gateway.api` and `gateway.web`.
"""
