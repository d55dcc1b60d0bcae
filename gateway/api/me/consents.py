"""The household's own view (`/api/v1/me`, household session): consents and refusals
about the person and the children in their custody, given and withdrawn here.

A person sees the consents they gave, that are about them, or about someone in their
custody; they may withdraw one about themselves or about someone in their custody
(a parent who gave it but no longer has custody sees it: 403
`withdrawal_not_permitted`). A withdrawal for a child needs custody the register
confirmed within the freshness; the portal holds no BSN to re-read older custody
with, so that is refused (422 `custody_not_confirmed`) until the register has been
asked again (by an exchange or a paper withdrawal naming the child). A custody holder
never withdraws a 16-year-old's consent, nor from 12 the child's own declaration.
Each write commits with its audit entry or not at all.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from consent import Actor, ConsentRecord, NewConsent
from gateway.access.households import require_fresh_custody
from gateway.api.auditing import consent_audit_step
from gateway.api.describe import answer, problems, request_body
from gateway.api.me import schema
from gateway.api.org import schema as org_schema
from gateway.api.org.consents import decision_of
from gateway.api.parsing import optional_datetime, parse_scope
from gateway.api.ports import household_ports
from gateway.api.views import consent_json, receipt_json
from gateway.appkeys import CONSENTS, HOUSEHOLD_SESSIONS, HOUSEHOLDS, POLICIES
from gateway.auth.sessions import HouseholdSession, session_token
from gateway.errors import InvalidValidity, NotFound, Unauthenticated, ValidationFailed
from gateway.http.bodies import json_response, read_json_object

__all__ = ["OPENAPI", "current_session", "setup"]


async def current_session(request: web.Request) -> HouseholdSession:
    """The household session of this request, or 401."""
    session = await request.app[HOUSEHOLD_SESSIONS].resolve(session_token(request))
    if session is None:
        raise Unauthenticated("The household session is unknown or has expired")
    return session


async def _may_act_on(request: web.Request, person: str, record: ConsentRecord) -> bool:
    """The giver, the person it is about, or a parent with custody of that person."""
    if person in (record.given_by, record.subject):
        return True
    return await request.app[HOUSEHOLDS].has_custody(person, record.subject)


async def _own_consent(request: web.Request, person: str) -> ConsentRecord:
    record = await request.app[CONSENTS].get(request.match_info["consent_id"])
    if not await _may_act_on(request, person, record):
        raise NotFound("Not found")
    return record


async def my_consents(request: web.Request) -> web.Response:
    session = await current_session(request)
    children = await request.app[HOUSEHOLDS].children_in_custody(session.person)
    store = request.app[CONSENTS]
    records = await store.for_people([session.person, *children])
    notifications = await store.notifications(session.person)
    return json_response(
        {
            "person": session.person,
            "consents": [consent_json(r) for r in records],
            "notifications": [
                {
                    "id": n.id,
                    "consent_id": n.consent_id,
                    "event": n.event,
                    "created_at": n.created_at.isoformat(),
                    "actor": n.actor.as_dict(),
                }
                for n in notifications
            ],
        }
    )


async def give_consent(request: web.Request) -> web.Response:
    session = await current_session(request)
    body = await read_json_object(request)
    subject = body.get("subject", session.person)
    if not isinstance(subject, str) or not subject.startswith("ps_") or len(subject) > 64:
        raise ValidationFailed("`subject` must be the pseudonym of yourself or your child")
    decision = decision_of(body)
    scope = parse_scope(request, body)
    valid_from = optional_datetime(body, "valid_from")
    valid_until = optional_datetime(body, "valid_until")
    if valid_from and valid_until and valid_until <= valid_from:
        raise InvalidValidity("`valid_until` must be after `valid_from`")
    now = datetime.now(UTC)
    record = await request.app[CONSENTS].record(
        NewConsent(
            subject=subject,
            given_by=session.person,
            decision="grant" if decision == "grant" else "refuse",
            scope=scope,
            recorded_via="portal",
            recorded_by=Actor("person", person=session.person),
            given_at=now,
            valid_from=valid_from or now,
            valid_until=valid_until,
            policy_version=request.app[POLICIES].version,
        ),
        audit=consent_audit_step(
            request,
            None,
            subject=subject,
            decision=decision,
            recorded_via="portal",
            event="granted" if decision == "grant" else "refused",
        ),
    )
    return json_response(consent_json(record), status=201)


async def withdraw(request: web.Request) -> web.Response:
    session = await current_session(request)
    record = await _own_consent(request, session.person)
    if session.person != record.subject:
        # A parent's withdrawal counts only on custody the register stands behind now;
        # the portal has no BSN to re-read stale custody with, so that is refused.
        await require_fresh_custody(household_ports(request), record.subject, None)
    updated = await request.app[CONSENTS].withdraw(
        record.id,
        actor=Actor("person", person=session.person),
        audit=consent_audit_step(
            request,
            None,
            subject=record.subject,
            decision=record.decision,
            recorded_via=record.recorded_via,
            event="withdrawn",
        ),
    )
    return json_response(consent_json(updated))


async def receipts(request: web.Request) -> web.Response:
    session = await current_session(request)
    record = await _own_consent(request, session.person)
    found = await request.app[CONSENTS].receipts(record.id)
    return json_response({"consent_id": record.id, "receipts": [receipt_json(r) for r in found]})


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
