"""Households: registered by their regiehouder, read by it and by organisations whose
purpose the policy permits; every change kept as history, never overwritten."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from consent import Actor, NewMember
from gateway.appkeys import AUTHENTICATOR, HOUSEHOLDS, ORGANISATIONS
from gateway.bodies import json_response, read_json_object
from gateway.consent_http import (
    HOUSEHOLD_CATEGORY,
    audit,
    birth_date,
    bsn_of,
    consent_errors,
    household_json,
    may_see_household,
    optional_datetime,
    pseudonym,
    query_purpose,
    string,
)
from gateway.errors import NotFound, NotRegiehouder, UnknownOrganisation, ValidationFailed
from gateway.org_auth import Principal

__all__ = ["OPENAPI", "setup"]

CHANGES = (
    "member_joined",
    "member_moved_out",
    "custody_granted",
    "custody_ended",
    "contact_person_changed",
)


def _actor(principal: Principal) -> Actor:
    return Actor(
        "professional", organisation=principal.organisation.id, professional=principal.subject
    )


def _contact(request: web.Request, body: dict[str, Any], principal: Principal) -> tuple[str, str]:
    contact = body.get("contact_person")
    if not isinstance(contact, dict):
        raise ValidationFailed("`contact_person` must be an object with `professional`")
    organisation = contact.get("organisation", principal.organisation.id)
    if not isinstance(organisation, str) or request.app[ORGANISATIONS].get(organisation) is None:
        raise UnknownOrganisation("`contact_person.organisation` is not a known organisation")
    return organisation, string(contact, "professional", limit=128)


def _member(request: web.Request, raw: Any) -> NewMember:
    if not isinstance(raw, dict):
        raise ValidationFailed("each member must be an object with bsn, birth_date and role")
    return NewMember(
        person=pseudonym(request, raw.get("bsn")),
        birth_date=birth_date(raw.get("birth_date")),
        role=string(raw, "role", limit=32),
    )


async def register(request: web.Request) -> web.Response:
    principal = await request.app[AUTHENTICATOR].authenticate_request(request)
    body = await read_json_object(request)
    members_raw = body.get("members")
    if not isinstance(members_raw, list) or not 0 < len(members_raw) <= 30:
        raise ValidationFailed("`members` must be a list of 1 to 30 members")
    members = [_member(request, m) for m in members_raw]
    custody_raw = body.get("custody", [])
    if not isinstance(custody_raw, list) or not all(isinstance(c, dict) for c in custody_raw):
        raise ValidationFailed("`custody` must be a list of {parent, child} objects")
    pairs = [
        (pseudonym(request, bsn_of(c, "parent")), pseudonym(request, bsn_of(c, "child")))
        for c in custody_raw
    ]
    organisation, professional = _contact(request, body, principal)
    with consent_errors():
        household = await request.app[HOUSEHOLDS].register(
            regiehouder=principal.organisation.id,
            members=members,
            custody_pairs=pairs,
            contact_organisation=organisation,
            contact_professional=professional,
            actor=_actor(principal),
        )
    details = {"event": "registered"}
    await audit(request, principal, "household.registered", household=household.id, details=details)
    return json_response(household_json(household), status=201)


async def read(request: web.Request) -> web.Response:
    principal = await request.app[AUTHENTICATOR].authenticate_request(request)
    purpose = query_purpose(request)
    case_reference = bool(request.query.get("case_reference"))
    with consent_errors():
        household = await request.app[HOUSEHOLDS].get(request.match_info["household_id"])
    access = await may_see_household(
        request, principal, household, purpose, case_reference=case_reference
    )
    # Every read is a data access: logged (permit or deny) before anything is returned.
    await audit(
        request,
        principal,
        "exchange.decision",
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
        details={"access": "household_read"},
    )
    if not access.allowed:
        raise NotFound("Not found")
    return json_response(household_json(household))


async def change(request: web.Request) -> web.Response:
    principal = await request.app[AUTHENTICATOR].authenticate_request(request)
    body = await read_json_object(request)
    store = request.app[HOUSEHOLDS]
    with consent_errors():
        household = await store.get(request.match_info["household_id"])
    if household.regiehouder != principal.organisation.id:
        purpose = query_purpose(request)
        if (await may_see_household(request, principal, household, purpose)).allowed:
            raise NotRegiehouder("Only the household's regiehouder may change it")
        raise NotFound("Not found")
    kind = body.get("change")
    if kind not in CHANGES:
        raise ValidationFailed(f"`change` must be one of {', '.join(CHANGES)}")
    at = optional_datetime(body, "at")
    actor = _actor(principal)
    with consent_errors():
        if kind == "member_joined":
            updated = await store.member_joined(
                household.id, _member(request, body.get("member")), actor=actor, at=at
            )
        elif kind == "member_moved_out":
            person = pseudonym(request, bsn_of(body, "member"))
            updated = await store.member_moved_out(household.id, person, actor=actor, at=at)
        elif kind in ("custody_granted", "custody_ended"):
            parent = pseudonym(request, bsn_of(body, "parent"))
            child = pseudonym(request, bsn_of(body, "child"))
            method = store.custody_granted if kind == "custody_granted" else store.custody_ended
            updated = await method(household.id, parent, child, actor=actor, at=at)
        else:
            organisation, professional = _contact(request, body, principal)
            updated = await store.contact_changed(
                household.id, organisation, professional, actor=actor, at=at
            )
    details = {"event": str(kind)}
    await audit(request, principal, "household.registered", household=household.id, details=details)
    return json_response(household_json(updated))


def setup(app: web.Application) -> None:
    app.router.add_post("/api/v1/households", register)
    app.router.add_get("/api/v1/households/{household_id}", read)
    app.router.add_post("/api/v1/households/{household_id}/changes", change)


_BSN = {"type": "string", "pattern": "^[0-9]{9}$", "description": "BSN (elfproef-checked)"}
_BSN_REF = {"oneOf": [_BSN, {"type": "object", "required": ["bsn"], "properties": {"bsn": _BSN}}]}
_MEMBER_IN = {
    "type": "object",
    "required": ["bsn", "birth_date", "role"],
    "properties": {
        "bsn": _BSN,
        "birth_date": {"type": "string", "format": "date"},
        "role": {"type": "string", "enum": ["parent", "child", "adult", "foster_parent", "other"]},
    },
}
_CONTACT = {
    "type": "object",
    "required": ["professional"],
    "properties": {"organisation": {"type": "string"}, "professional": {"type": "string"}},
}
_PERIOD = {
    "since": {"type": "string", "format": "date-time"},
    "until": {"type": ["string", "null"], "format": "date-time"},
}
_EVENT = {
    "type": "object",
    "properties": {
        "event": {"type": "string"},
        "at": {"type": "string", "format": "date-time"},
        "actor": {"type": "object"},
        "detail": {"type": "object"},
    },
}
HOUSEHOLD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "regiehouder", "contact_person", "members", "custody", "history"],
    "properties": {
        "id": {"type": "string"},
        "regiehouder": {"type": "string"},
        "contact_person": _CONTACT,
        "created_at": {"type": "string", "format": "date-time"},
        "members": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "person": {"type": "string", "description": "pseudonym"},
                    "birth_date": {"type": "string", "format": "date"},
                    "role": {"type": "string"},
                    "current": {"type": "boolean"},
                    **_PERIOD,
                },
            },
        },
        "custody": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "parent": {"type": "string"},
                    "child": {"type": "string"},
                    **_PERIOD,
                },
            },
        },
        "history": {"type": "array", "items": _EVENT},
    },
}
_PROBLEM = {"$ref": "#/components/responses/Problem"}
_HOUSEHOLD_OK = {"content": {"application/json": {"schema": HOUSEHOLD_SCHEMA}}}
_ID_PARAM = {"name": "household_id", "in": "path", "required": True, "schema": {"type": "string"}}
_PURPOSE_PARAM = {
    "name": "purpose",
    "in": "query",
    "required": False,
    "description": "Required for organisations that are not the regiehouder",
    "schema": {"type": "string"},
}

OPENAPI: dict[str, dict[str, Any]] = {
    "/api/v1/households": {
        "post": {
            "operationId": "registerHousehold",
            "summary": "Register a household (the caller becomes its regiehouder)",
            "tags": ["households"],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["members", "contact_person"],
                            "properties": {
                                "members": {"type": "array", "items": _MEMBER_IN, "minItems": 1},
                                "custody": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "required": ["parent", "child"],
                                        "properties": {"parent": _BSN_REF, "child": _BSN_REF},
                                    },
                                },
                                "contact_person": _CONTACT,
                            },
                        }
                    }
                },
            },
            "responses": {
                "201": {"description": "Registered", **_HOUSEHOLD_OK},
                "400": _PROBLEM,
                "401": _PROBLEM,
                "415": _PROBLEM,
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
                {"name": "case_reference", "in": "query", "schema": {"type": "string"}},
            ],
            "responses": {
                "200": {"description": "The household", **_HOUSEHOLD_OK},
                "400": _PROBLEM,
                "401": _PROBLEM,
                "404": _PROBLEM,
            },
        }
    },
    "/api/v1/households/{household_id}/changes": {
        "post": {
            "operationId": "changeHousehold",
            "summary": "Record a change: a member joins or moves out, custody, contact person",
            "tags": ["households"],
            "parameters": [_ID_PARAM],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["change"],
                            "properties": {
                                "change": {"type": "string", "enum": list(CHANGES)},
                                "at": {"type": "string", "format": "date-time"},
                                "member": {"oneOf": [_MEMBER_IN, _BSN_REF]},
                                "parent": _BSN_REF,
                                "child": _BSN_REF,
                                "contact_person": _CONTACT,
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": {"description": "The household after the change", **_HOUSEHOLD_OK},
                "400": _PROBLEM,
                "401": _PROBLEM,
                "403": _PROBLEM,
                "404": _PROBLEM,
            },
        }
    },
}
