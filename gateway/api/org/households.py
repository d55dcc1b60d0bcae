"""Households: registered by their regiehouder, read by it and by organisations whose
purpose the policy permits; every change kept as history, never overwritten.

A person's regiehouder is not self-assigned: registering or adding a person who is a
current member of another organisation's household is refused (409
`regiehouder_exists`) until that regiehouder hands its household over (`transfer`).
Every write commits with its audit entry in one transaction, or not at all.

Nothing about people is taken on the caller's word: every member's birth date and
every custody relation is checked against the custody register before anything is
written (422 `person_not_confirmed` / `custody_not_confirmed`; register down: 503
`custody_register_unavailable`), and each relation is stored with when it was confirmed.

Longer than most route modules because register, change and hand-over each check the
register, the regiehouder rule and the audit entry of one write; apart they would drift.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from aiohttp import web

from consent import CASE_REFERENCE, Actor, AuditStep, Household, NewMember, confirm_claims
from consent.households import check_household
from gateway.access.households import HOUSEHOLD_CATEGORY, may_see_household
from gateway.api.auditing import audit, audit_step
from gateway.api.describe import answer, problems, request_body
from gateway.api.org import schema
from gateway.api.parsing import birth_date, date_time, one_line, pseudonym, query_purpose
from gateway.api.ports import household_ports
from gateway.api.views import household_json
from gateway.appkeys import AUTHENTICATOR, CUSTODY, HOUSEHOLDS, ORGANISATIONS
from gateway.auth.organisation_tokens import Principal
from gateway.errors import (
    CustodyNotConfirmed,
    InvalidBsn,
    NotFound,
    NotRegiehouder,
    UnknownOrganisation,
    ValidationFailed,
)
from gateway.http.bodies import json_response, read_body

__all__ = ["OPENAPI", "setup"]


def _actor(principal: Principal) -> Actor:
    return Actor(
        "professional", organisation=principal.organisation.id, professional=principal.subject
    )


def _household_audit(
    request: web.Request, principal: Principal, event: str, event_type: str
) -> AuditStep:
    """The audit step of a household write (its id is known once the store wrote it)."""
    return audit_step(
        request,
        principal,
        event_type,
        lambda household_id: {"household": household_id, "details": {"event": event}},
    )


def _contact(
    request: web.Request, contact: schema.ContactPerson | None, default: str
) -> tuple[str, str]:
    """The contact person's organisation (`default` unless named) and professional."""
    if contact is None:
        raise ValidationFailed("`contact_person` must be an object with `professional`")
    organisation = default if contact.organisation is msgspec.UNSET else contact.organisation
    if request.app[ORGANISATIONS].get(organisation) is None:
        raise UnknownOrganisation("`contact_person.organisation` is not a known organisation")
    return organisation, one_line(contact.professional, "professional", limit=128)


def _member(request: web.Request, raw: schema.NewMember | schema.ChangedMember) -> NewMember:
    """The member to store: its BSN checked, and a joining member's date and role."""
    person = pseudonym(request, raw.bsn)
    born = birth_date(raw.birth_date)
    if raw.role is None:
        raise ValidationFailed("`role` must be one of the member roles")
    return NewMember(person=person, birth_date=born, role=raw.role)


def _bsn(
    request: web.Request, person: schema.PersonRef | schema.ChangedMember | None
) -> tuple[str, str]:
    """A BSN named in the body (`invalid_bsn` unless it passes) and its pseudonym."""
    if person is None:
        raise InvalidBsn("BSN must be nine digits that pass the elfproef")
    bsn = schema.bsn_of(person)
    return bsn, pseudonym(request, bsn)


async def register(request: web.Request) -> web.Response:
    principal = await request.app[AUTHENTICATOR].authenticate_request(request)
    body = await read_body(request, schema.HouseholdRegistration)
    claimed = [(m.bsn, _member(request, m)) for m in body.members]
    pairs = [(_bsn(request, c.parent), _bsn(request, c.child)) for c in body.custody]
    organisation, professional = _contact(request, body.contact_person, principal.organisation.id)
    now = datetime.now(UTC)
    check_household([member for _, member in claimed], [(p[1], c[1]) for p, c in pairs], now)
    # The register decides who these people are and who holds custody; nothing before.
    known = await confirm_claims(
        request.app[CUSTODY].source,
        [(bsn, member.birth_date) for bsn, member in claimed],
        [(parent[0], child[0]) for parent, child in pairs],
    )
    # Every holder the register names counts (the claims are a subset, just checked):
    # leaving a parent with custody out gives nobody more say over the child.
    relations = sorted(
        {
            (pseudonym(request, holder), member.person)
            for bsn, member in claimed
            for holder in known[bsn].custody_holders
        }
    )
    household = await request.app[HOUSEHOLDS].register(
        regiehouder=principal.organisation.id,
        members=[member for _, member in claimed],
        custody_pairs=relations,
        contact_organisation=organisation,
        contact_professional=professional,
        actor=_actor(principal),
        region=principal.organisation.region,
        audit=_household_audit(request, principal, "registered", "household.registered"),
        custody_confirmed_at=now,
    )
    return json_response(household_json(household), status=201)


async def read(request: web.Request) -> web.Response:
    principal = await request.app[AUTHENTICATOR].authenticate_request(request)
    purpose = query_purpose(request)
    case_reference = request.query.get("case_reference") or None
    household = await request.app[HOUSEHOLDS].get(request.match_info["household_id"])
    access = await may_see_household(
        household_ports(request), principal, household, purpose, case_reference=case_reference
    )
    # Every read is a data access: logged (permit or deny) before anything is returned.
    await audit(
        request,
        principal,
        "household.read_by_organisation",
        household=household.id,
        purpose=purpose,
        source=household.regiehouder,
        category=HOUSEHOLD_CATEGORY,
        decision="permit" if access.allowed else "deny",
        reason=access.reason,
        rule_ids=access.rule_ids,
        legal_basis=access.legal_basis,
        consent_ids=access.consent_ids,
        outcome="returned" if access.allowed else "denied",
        details={} if access.case_id is None else {"case_id": access.case_id},
    )
    if not access.allowed:
        raise NotFound("Not found")
    return json_response(household_json(household))


async def change(request: web.Request) -> web.Response:
    principal = await request.app[AUTHENTICATOR].authenticate_request(request)
    body = await read_body(request, schema.HouseholdChange)
    household = await _as_regiehouder(request, principal)
    store = request.app[HOUSEHOLDS]
    kind = body.change
    at = date_time(body.at, "at")
    actor = _actor(principal)
    step = _household_audit(request, principal, kind, "household.changed")
    source = request.app[CUSTODY].source
    if kind == "member_joined":
        if not isinstance(body.member, schema.ChangedMember):
            raise ValidationFailed("`member` must be an object with bsn, birth_date and role")
        bsn, member = body.member.bsn, _member(request, body.member)
        known = await confirm_claims(source, [(bsn, member.birth_date)], [])
        updated = await store.member_joined(
            household.id,
            member,
            actor=actor,
            at=at,
            custody_holders=[pseudonym(request, h) for h in known[bsn].custody_holders],
            confirmed_at=datetime.now(UTC),
            audit=step,
        )
    elif kind == "member_moved_out":
        _, person = _bsn(request, body.member)
        updated = await store.member_moved_out(household.id, person, actor=actor, at=at, audit=step)
    elif kind == "custody_granted":
        (parent_bsn, parent), (child_bsn, child) = (
            _bsn(request, body.parent),
            _bsn(request, body.child),
        )
        await confirm_claims(source, [], [(parent_bsn, child_bsn)])
        updated = await store.custody_granted(
            household.id,
            parent,
            child,
            actor=actor,
            at=at,
            confirmed_at=datetime.now(UTC),
            audit=step,
        )
    elif kind == "custody_ended":
        (parent_bsn, parent), (child_bsn, child) = (
            _bsn(request, body.parent),
            _bsn(request, body.child),
        )
        # Ending a holder's custody changes who decides for the child: only as the
        # register says (a relation it still records stays).
        found = (await source.persons([child_bsn])).get(child_bsn)
        if found is not None and parent_bsn in found.custody_holders:
            raise CustodyNotConfirmed("The custody register still records this custody")
        updated = await store.custody_ended(
            household.id, parent, child, actor=actor, at=at, audit=step
        )
    else:
        organisation, professional = _contact(
            request, body.contact_person, principal.organisation.id
        )
        updated = await store.contact_changed(
            household.id, organisation, professional, actor=actor, at=at, audit=step
        )
    return json_response(household_json(updated))


async def transfer(request: web.Request) -> web.Response:
    """The regiehouder hands the household over to another organisation (audited)."""
    principal = await request.app[AUTHENTICATOR].authenticate_request(request)
    body = await read_body(request, schema.HouseholdTransfer)
    household = await _as_regiehouder(request, principal)
    to = body.to
    if request.app[ORGANISATIONS].get(to) is None:
        raise UnknownOrganisation("`to` is not a known organisation")
    if to == household.regiehouder:
        raise ValidationFailed("`to` is already the household's regiehouder")
    organisation, professional = _contact(request, body.contact_person, to)
    old = household.regiehouder
    step = audit_step(
        request,
        principal,
        "household.regiehouder_transferred",
        lambda household_id: {
            "household": household_id,
            "details": {"event": "regiehouder_transferred", "from": old, "to": to},
        },
    )
    updated = await request.app[HOUSEHOLDS].transfer(
        household.id,
        to,
        contact_organisation=organisation,
        contact_professional=professional,
        actor=_actor(principal),
        expected_regiehouder=principal.organisation.id,
        audit=step,
    )
    return json_response(household_json(updated))


async def _as_regiehouder(request: web.Request, principal: Principal) -> Household:
    """The household of the path, if the caller is its regiehouder: 403 `not_regiehouder`
    if the caller may see it (a permitted `purpose`) but is not, 404 if it may not even
    see it."""
    household = await request.app[HOUSEHOLDS].get(request.match_info["household_id"])
    if household.regiehouder != principal.organisation.id:
        purpose = query_purpose(request)
        if (
            await may_see_household(household_ports(request), principal, household, purpose)
        ).allowed:
            raise NotRegiehouder("Only the household's regiehouder may do this")
        raise NotFound("Not found")
    return household


def setup(app: web.Application) -> None:
    app.router.add_post("/api/v1/households", register)
    app.router.add_get("/api/v1/households/{household_id}", read)
    app.router.add_post("/api/v1/households/{household_id}/changes", change)
    app.router.add_post("/api/v1/households/{household_id}/transfer", transfer)


_ID_PARAM = {"name": "household_id", "in": "path", "required": True, "schema": {"type": "string"}}
_PURPOSE_PARAM = {
    "name": "purpose",
    "in": "query",
    "required": False,
    "description": "Required for organisations that are not the regiehouder",
    "schema": {"$ref": "#/components/schemas/Purpose"},
}

OPENAPI: dict[str, dict[str, Any]] = {
    "/api/v1/households": {
        "post": {
            "operationId": "registerHousehold",
            "summary": "Register a household (the caller becomes its regiehouder)",
            "tags": ["households"],
            "requestBody": request_body(schema.HouseholdRegistration, schema.EXAMPLE_REGISTRATION),
            "responses": {
                "201": answer(schema.Household, "Registered", schema.EXAMPLE_HOUSEHOLD),
                **problems(400, 401, 409, 415, 422, 503),
            },
        }
    },
    "/api/v1/households/{household_id}": {
        "get": {
            "operationId": "readHousehold",
            "summary": "A household with members, custody and full history (pseudonyms only)",
            "tags": ["households"],
            "parameters": [
                _ID_PARAM,
                _PURPOSE_PARAM,
                {
                    "name": "case_reference",
                    "in": "query",
                    "description": (
                        "The reference of the caller's open registered case covering a "
                        "current member; any other reference satisfies no rule."
                    ),
                    "schema": {"type": "string", "pattern": CASE_REFERENCE.pattern},
                },
            ],
            "responses": {
                "200": answer(schema.Household, "The household", schema.EXAMPLE_HOUSEHOLD),
                **problems(400, 401, 404),
            },
        }
    },
    "/api/v1/households/{household_id}/changes": {
        "post": {
            "operationId": "changeHousehold",
            "summary": "Record a change: a member joins or moves out, custody, contact person",
            "tags": ["households"],
            "parameters": [_ID_PARAM],
            "requestBody": request_body(schema.HouseholdChange, schema.EXAMPLE_CHANGE),
            "responses": {
                "200": answer(
                    schema.Household, "The household after the change", schema.EXAMPLE_HOUSEHOLD
                ),
                **problems(400, 401, 403, 404, 409, 422, 503),
            },
        }
    },
    "/api/v1/households/{household_id}/transfer": {
        "post": {
            "operationId": "transferHousehold",
            "summary": "Hand the household over to another regiehouder (only by the current one)",
            "tags": ["households"],
            "parameters": [_ID_PARAM],
            "requestBody": request_body(schema.HouseholdTransfer, schema.EXAMPLE_TRANSFER),
            "responses": {
                "200": answer(
                    schema.Household, "The household after the hand-over", schema.EXAMPLE_HOUSEHOLD
                ),
                **problems(400, 401, 403, 404, 415, 503),
            },
        }
    },
}
