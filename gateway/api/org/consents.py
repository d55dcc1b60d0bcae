"""Consents recorded by professionals (on paper, with an evidence reference), read and
withdrawn through the organisations' API; each grant, refusal and withdrawal yields
a receipt signed by the gateway, and commits with its audit entry or not at all.

Who may withdraw (`SqlConsentStore.withdraw`): the organisation that recorded the
consent, or a professional acting on paper for the person it is about or a custody
holder of that person (`withdrawn_by`; custody older than the freshness is re-read
from the register, which needs the `subject`'s BSN, else 422 `custody_not_confirmed`).
Any other organisation that may see the
consent gets 403 `withdrawal_not_permitted`; one that may not see it, 404.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from aiohttp import web

from consent import Actor, ConsentRecord, NewConsent
from gateway.access.households import require_fresh_custody, visible_household_of
from gateway.api.auditing import audit, consent_audit_step
from gateway.api.describe import answer, problems, request_body
from gateway.api.org import schema
from gateway.api.parsing import consent_scope, date_time, one_line, pseudonym, query_purpose
from gateway.api.ports import household_ports
from gateway.api.views import consent_json, receipt_json
from gateway.appkeys import AUTHENTICATOR, CONSENTS, CUSTODY, POLICIES
from gateway.auth.organisation_tokens import Principal
from gateway.errors import InvalidValidity, NotFound
from gateway.http.bodies import json_response, read_body

__all__ = ["OPENAPI", "setup"]


def _actor(principal: Principal) -> Actor:
    return Actor(
        "professional", organisation=principal.organisation.id, professional=principal.subject
    )


async def _visible_consent(request: web.Request, principal: Principal) -> ConsentRecord:
    record = await request.app[CONSENTS].get(request.match_info["consent_id"])
    purpose = query_purpose(request)
    if (
        await visible_household_of(household_ports(request), principal, record.subject, purpose)
        is None
    ):
        raise NotFound("Not found")
    return record


async def record_consent(request: web.Request) -> web.Response:
    principal = await request.app[AUTHENTICATOR].authenticate_request(request)
    body = await read_body(request, schema.PaperConsent)
    subject_bsn = schema.bsn_of(body.subject)
    subject = pseudonym(request, subject_bsn)
    given_by = (
        subject
        if body.given_by is msgspec.UNSET
        else pseudonym(request, schema.bsn_of(body.given_by))
    )
    decision = body.decision
    scope = consent_scope(
        request,
        purposes=body.purposes,
        categories=body.categories,
        recipients=body.recipients,
        sources=schema.Parties() if body.sources is msgspec.UNSET else body.sources,
        regions=body.regions,
    )
    evidence = one_line(body.evidence_reference, "evidence_reference", limit=200)
    now = datetime.now(UTC)
    given_at = date_time(body.given_at, "given_at") or now
    valid_from = date_time(body.valid_from, "valid_from") or given_at
    valid_until = date_time(body.valid_until, "valid_until")
    if valid_until is not None and valid_until <= valid_from:
        raise InvalidValidity("`valid_until` must be after `valid_from`")
    if (
        await visible_household_of(
            household_ports(request), principal, subject, query_purpose(request)
        )
        is None
    ):
        raise NotFound("Not found")
    if given_by != subject:
        # Someone acting for the subject: only a custody holder the register stands
        # behind now (a stale relation is re-read; register down means 503).
        custody = request.app[CUSTODY]
        state = await request.app[CONSENTS].subject_state(subject, now)
        if custody.is_stale(state):
            await custody.reconfirm(subject_bsn, subject, now)
    record = await request.app[CONSENTS].record(
        NewConsent(
            subject=subject,
            given_by=given_by,
            decision=decision,
            scope=scope,
            recorded_via="paper",
            recorded_by=_actor(principal),
            given_at=given_at,
            valid_from=valid_from,
            valid_until=valid_until,
            evidence_reference=evidence,
            policy_version=request.app[POLICIES].version,
        ),
        audit=consent_audit_step(
            request,
            principal,
            subject=subject,
            decision=decision,
            recorded_via="paper",
            event="granted" if decision == "grant" else "refused",
        ),
    )
    return json_response(consent_json(record), status=201)


async def list_consents(request: web.Request) -> web.Response:
    principal = await request.app[AUTHENTICATOR].authenticate_request(request)
    subject = pseudonym(request, request.query.get("subject"))
    purpose = query_purpose(request)
    household = await visible_household_of(household_ports(request), principal, subject, purpose)
    # Reading someone's consents is a data access: logged (permit or deny) first.
    await audit(
        request,
        principal,
        "consent.listed",
        subject=subject,
        household=household.id if household is not None else None,
        purpose=purpose,
        decision="permit" if household is not None else "deny",
        reason="household_visible" if household is not None else "household_not_visible",
        outcome="returned" if household is not None else "denied",
    )
    if household is None:
        raise NotFound("Not found")
    records = await request.app[CONSENTS].for_subject(subject)
    return json_response({"subject": subject, "consents": [consent_json(r) for r in records]})


async def withdraw_consent(request: web.Request) -> web.Response:
    principal = await request.app[AUTHENTICATOR].authenticate_request(request)
    body = await read_body(request, schema.ConsentWithdrawal)
    evidence = one_line(body.evidence_reference, "evidence_reference", limit=200)
    withdrawn_by = (
        None
        if body.withdrawn_by is msgspec.UNSET
        else pseudonym(request, schema.bsn_of(body.withdrawn_by))
    )
    record = await _visible_consent(request, principal)
    if withdrawn_by is not None and withdrawn_by != record.subject:
        # For a custody holder: only on custody the register stands behind now.
        subject_bsn = None if body.subject is None else schema.bsn_of(body.subject)
        await require_fresh_custody(household_ports(request), record.subject, subject_bsn)
    updated = await request.app[CONSENTS].withdraw(
        record.id,
        actor=_actor(principal),
        evidence_reference=evidence,
        withdrawn_by=withdrawn_by,
        audit=consent_audit_step(
            request,
            principal,
            subject=record.subject,
            decision=record.decision,
            recorded_via=record.recorded_via,
            event="withdrawn",
            details={"withdrawn_for": "person" if withdrawn_by else "recorder"},
        ),
    )
    return json_response(consent_json(updated))


async def receipts(request: web.Request) -> web.Response:
    principal = await request.app[AUTHENTICATOR].authenticate_request(request)
    record = await _visible_consent(request, principal)
    found = await request.app[CONSENTS].receipts(record.id)
    return json_response({"consent_id": record.id, "receipts": [receipt_json(r) for r in found]})


def setup(app: web.Application) -> None:
    app.router.add_post("/api/v1/consents", record_consent)
    app.router.add_get("/api/v1/consents", list_consents)
    app.router.add_post("/api/v1/consents/{consent_id}/withdraw", withdraw_consent)
    app.router.add_get("/api/v1/consents/{consent_id}/receipts", receipts)


_ID = {"name": "consent_id", "in": "path", "required": True, "schema": {"type": "string"}}
_PURPOSE = {
    "name": "purpose",
    "in": "query",
    "description": "For organisations that are not the household's regiehouder",
    "schema": {"$ref": "#/components/schemas/Purpose"},
}

OPENAPI: dict[str, dict[str, Any]] = {
    "/api/v1/consents": {
        "post": {
            "operationId": "recordConsent",
            "summary": "Record a consent or refusal given on paper (with an evidence reference)",
            "tags": ["consent"],
            "parameters": [_PURPOSE],
            "requestBody": request_body(schema.PaperConsent, schema.EXAMPLE_PAPER_CONSENT),
            "responses": {
                "201": answer(schema.Consent, "Recorded", schema.EXAMPLE_CONSENT),
                **problems(400, 401, 403, 404, 503),
            },
        },
        "get": {
            "operationId": "listConsents",
            "summary": "Every consent and refusal about a person, with history",
            "tags": ["consent"],
            "parameters": [
                {
                    "name": "subject",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "pattern": "^[0-9]{9}$"},
                },
                _PURPOSE,
            ],
            "responses": {
                "200": answer(
                    schema.ConsentList,
                    "Consents",
                    schema.ConsentList(
                        subject=schema.EXAMPLE_CONSENT.subject, consents=[schema.EXAMPLE_CONSENT]
                    ),
                ),
                **problems(400, 401, 404),
            },
        },
    },
    "/api/v1/consents/{consent_id}/withdraw": {
        "post": {
            "operationId": "withdrawConsent",
            "summary": "Withdraw a consent (honoured on the very next request)",
            "tags": ["consent"],
            "parameters": [_ID, _PURPOSE],
            "requestBody": request_body(schema.ConsentWithdrawal, schema.EXAMPLE_WITHDRAWAL),
            "responses": {
                "200": answer(schema.Consent, "Withdrawn", schema.EXAMPLE_CONSENT),
                **problems(400, 401, 403, 404, 409, 422, 503),
            },
        }
    },
    "/api/v1/consents/{consent_id}/receipts": {
        "get": {
            "operationId": "consentReceipts",
            "summary": "The signed receipts of a consent's grant, refusal and withdrawal",
            "tags": ["consent"],
            "parameters": [_ID, _PURPOSE],
            "responses": {
                "200": answer(schema.ReceiptList, "Receipts", schema.EXAMPLE_RECEIPTS),
                **problems(401, 404),
            },
        }
    },
}
