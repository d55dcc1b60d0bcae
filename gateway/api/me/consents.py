"""The household's own view (`/api/v1/me`, household session): consents and refusals
about the person and the children in their custody, given and withdrawn here.

The rules (who sees, gives and withdraws which consent) are the use-cases of
`gateway.access.my_consents`, which the portal's page "Mijn toestemmingen" calls too;
these routes parse the body, call them and render JSON.
"""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web

from consent import AuditStep
from gateway.access import my_consents as use_cases
from gateway.api.auditing import consent_audit_step
from gateway.api.describe import answer, problems, request_body
from gateway.api.me import schema
from gateway.api.org import schema as org_schema
from gateway.api.parsing import consent_scope, date_time
from gateway.api.ports import household_ports
from gateway.api.views import consent_json, receipt_json
from gateway.appkeys import HOUSEHOLD_SESSIONS
from gateway.auth.sessions import HouseholdSession, session_token
from gateway.errors import CsrfTokenInvalid, Unauthenticated, ValidationFailed
from gateway.http.bodies import json_response, read_body

__all__ = ["OPENAPI", "audit_for", "current_session", "setup"]


#: What `Sec-Fetch-Site` says of a request made by the portal's own pages, or typed in.
_OWN_SITE = frozenset({"same-origin", "none"})


def refuse_cross_site_write(request: web.Request) -> None:
    """A browser sends the session cookie along with a request another site makes it send;
    a write that cookie authorises must come from our own origin (403 otherwise).

    SameSite=Lax already keeps the cookie off cross-site POSTs; this holds even where a
    browser or a sibling site on the same registrable domain would let one through. Clients
    that send `Authorization: Session` are not browsers riding on a cookie and pass.
    """
    if request.method in ("GET", "HEAD", "OPTIONS") or request.headers.get("Authorization"):
        return
    site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    if (site is not None and site not in _OWN_SITE) or origin == "null":
        raise CsrfTokenInvalid("A household write must come from the portal's own pages")


async def current_session(request: web.Request) -> HouseholdSession:
    """The household session of this request, or 401 (403 for a cross-site write)."""
    token = session_token(request)
    refuse_cross_site_write(request)
    session = await request.app[HOUSEHOLD_SESSIONS].resolve(token)
    if session is None:
        raise Unauthenticated("The household session is unknown or has expired")
    return session


def audit_for(request: web.Request) -> use_cases.AuditFor:
    """The audit steps of a household member's consent writes in this request."""

    def step(subject: str, decision: str, recorded_via: str, event: str) -> AuditStep:
        return consent_audit_step(
            request,
            None,
            subject=subject,
            decision=decision,
            recorded_via=recorded_via,
            event=event,
        )

    return step


async def my_consents(request: web.Request) -> web.Response:
    session = await current_session(request)
    mine = await use_cases.my_consents(household_ports(request), session.person)
    return json_response(
        {
            "person": mine.person,
            "consents": [consent_json(r) for r in mine.consents],
            "notifications": [
                {
                    "id": n.id,
                    "consent_id": n.consent_id,
                    "event": n.event,
                    "created_at": n.created_at.isoformat(),
                    "actor": n.actor.as_dict(),
                }
                for n in mine.notifications
            ],
        }
    )


async def give_consent(request: web.Request) -> web.Response:
    session = await current_session(request)
    body = await read_body(request, schema.PortalConsent)
    subject = session.person if body.subject is msgspec.UNSET else body.subject
    if not subject.startswith("ps_"):
        raise ValidationFailed("`subject` must be the pseudonym of yourself or your child")
    scope = consent_scope(
        request,
        purposes=body.purposes,
        categories=body.categories,
        recipients=body.recipients,
        sources=org_schema.Parties() if body.sources is msgspec.UNSET else body.sources,
        regions=body.regions,
    )
    record = await use_cases.give_consent(
        household_ports(request),
        session.person,
        subject=subject,
        decision=body.decision,
        scope=scope,
        valid_from=date_time(body.valid_from, "valid_from"),
        valid_until=date_time(body.valid_until, "valid_until"),
        audit=audit_for(request),
    )
    return json_response(consent_json(record), status=201)


async def withdraw(request: web.Request) -> web.Response:
    session = await current_session(request)
    updated = await use_cases.withdraw_consent(
        household_ports(request),
        session.person,
        request.match_info["consent_id"],
        audit=audit_for(request),
    )
    return json_response(consent_json(updated))


async def receipts(request: web.Request) -> web.Response:
    session = await current_session(request)
    found = await use_cases.consent_receipts(
        household_ports(request), session.person, request.match_info["consent_id"]
    )
    return json_response(
        {"consent_id": found.consent.id, "receipts": [receipt_json(r) for r in found.receipts]}
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/me/consents", my_consents)
    app.router.add_post("/api/v1/me/consents", give_consent)
    app.router.add_post("/api/v1/me/consents/{consent_id}/withdraw", withdraw)
    app.router.add_get("/api/v1/me/consents/{consent_id}/receipts", receipts)


_SESSION: list[dict[str, list[str]]] = [{"householdSession": []}]
_ID = {"name": "consent_id", "in": "path", "required": True, "schema": {"type": "string"}}

OPENAPI: dict[str, dict[str, Any]] = {
    "/api/v1/me/consents": {
        "get": {
            "operationId": "myConsents",
            "summary": "My consents and refusals, my children's, and notifications about them",
            "tags": ["household"],
            "security": _SESSION,
            "responses": {
                "200": answer(schema.MyConsents, "Consents", schema.EXAMPLE_MY_CONSENTS),
                **problems(401),
            },
        },
        "post": {
            "operationId": "giveConsent",
            "summary": "Give or refuse consent, for myself or a child in my custody",
            "tags": ["household"],
            "security": _SESSION,
            "requestBody": request_body(schema.PortalConsent, schema.EXAMPLE_PORTAL_CONSENT),
            "responses": {
                "201": answer(org_schema.Consent, "Recorded", org_schema.EXAMPLE_CONSENT),
                **problems(400, 401, 403, 503),
            },
        },
    },
    "/api/v1/me/consents/{consent_id}/withdraw": {
        "post": {
            "operationId": "withdrawMyConsent",
            "summary": "Withdraw a consent (honoured on the very next request)",
            "tags": ["household"],
            "security": _SESSION,
            "parameters": [_ID],
            "responses": {
                "200": answer(org_schema.Consent, "Withdrawn", org_schema.EXAMPLE_CONSENT),
                **problems(401, 403, 404, 409, 422, 503),
            },
        }
    },
    "/api/v1/me/consents/{consent_id}/receipts": {
        "get": {
            "operationId": "myConsentReceipts",
            "summary": "Download the signed receipts of a consent",
            "tags": ["household"],
            "security": _SESSION,
            "parameters": [_ID],
            "responses": {
                "200": answer(org_schema.ReceiptList, "Receipts", org_schema.EXAMPLE_RECEIPTS),
                **problems(401, 404),
            },
        }
    },
}
