"""Who is calling: each audience's way of proving it, and the values that describe a caller.

Organisation tokens (signed JWTs, replay protection, optional mutual TLS), the organisation
registry (a live view of the configuration generation in force), keys organisations publish
at a `jwks_uri` (`jwks_remote.py`), household sessions, and the gateway's own keys. Every
route folder in `gateway.api` authenticates through exactly one of these. Imports
`gateway.storage` for replay and sessions; never `gateway.api` or `gateway.web`.
"""
