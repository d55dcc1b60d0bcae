"""The edge: what every HTTP request passes through before and after a handler.

Middlewares (request ids, input guard, error rendering), problem+json rendering with the one
table that maps foreign exceptions to problems (`problems.py`), body reading into declared
Structs (`bodies.py`), the field types those declarations share (`vocabulary.py`), the
server's protocol limits, BSN validation and pseudonymisation, the event loop choice, and
the metrics middleware and `/metrics` listener (`metrics.py`, over `gateway.metrics`).
May import `gateway.errors`, `gateway.settings`, `gateway.appkeys`, `gateway.logs`; imported by
everything that serves HTTP. Holds no use-case logic.
"""
