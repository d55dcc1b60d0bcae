"""The privacy officer's policy routes: the rules in force, comparison, simulation.

Same callers and same scope as the audit routes (`gateway.api.officer.audit._officer`:
an organisation token with `privacy_officer` or `regional_privacy_officer`, scoped to
the organisation or the office's regions); every call is logged before it answers.
Each handler parses, calls one use-case in `gateway.insight`, and shapes the JSON.
The monitoring routes (signals, statistics) are in `monitoring.py`; both modules use
`audit._officer` and the settings this module's `setup` loads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from aiohttp import web

from gateway.access.officer_log import OfficerLog
from gateway.api.describe import answer, problems, request_body
from gateway.api.officer import insight_schema as schema
from gateway.api.officer.audit import _officer, officer_log
from gateway.appkeys import (
    ENGINE,
    INSIGHT,
    KEYS,
    ORGANISATIONS,
    POLICIES,
    PROCESSING_REGISTER,
    SETTINGS,
    VOCABULARY,
)
from gateway.errors import (
    InvalidFilter,
    PayloadTooLarge,
    SettingsError,
)
from gateway.http.bodies import json_response, read_body
from gateway.http.inputs import parse_datetime
from gateway.insight.config import load_insight_config
from gateway.insight.officer import OfficerInsight
from policies import PolicyLoadError
from policies.explain import condition_texts, rule_facts
from policies.model import Rule
from policies.processing_register import load_processing_register
from policies.simulation import Change, RuleDiff

__all__ = ["MISSING", "OPENAPI", "insight", "officer_insight", "setup", "summary"]


def officer_insight(request: web.Request, log: OfficerLog) -> OfficerInsight:
    """The insight use-cases for this request (`gateway.insight.officer`); the console's
    pages build theirs here too, with their own `OfficerLog`."""
    app = request.app
    return OfficerInsight(
        log=log,
        engine=app[ENGINE],
        config=app[INSIGHT],
        policy_set=app[POLICIES].policy_set,
        register=app[PROCESSING_REGISTER],
        organisations=app[ORGANISATIONS],
        purposes=frozenset(app[VOCABULARY].purposes),
        pseudonym_secret=app[KEYS].pseudonym_secret,
    )


def insight(request: web.Request) -> OfficerInsight:
    return officer_insight(request, officer_log(request))


def _rule_json(rule: Rule) -> dict[str, Any]:
    nl, en = condition_texts(rule)
    return {
        **rule_facts(rule),
        "text": {"nl": rule.description_nl, "en": rule.description_en},
        "conditions": {"nl": nl, "en": en},
    }


def _register_json(request: web.Request) -> dict[str, Any]:
    register = request.app[PROCESSING_REGISTER]
    vocabulary = request.app[VOCABULARY]

    def labelled(ids: Sequence[str], table: Mapping[str, Any]) -> list[dict[str, str]]:
        return [{"id": i, "nl": table[i].nl, "en": table[i].en} for i in ids]

    return {
        "controller": register.controller,  # (a)
        "purposes": labelled(register.purposes, vocabulary.purposes),  # (b)
        "data_subjects": [{"id": i, "nl": t.nl, "en": t.en} for i, t in register.data_subjects],
        "categories": [  # (c)
            {
                "id": i,
                "nl": vocabulary.categories[i].nl,
                "en": vocabulary.categories[i].en,
                "sensitivity": vocabulary.categories[i].sensitivity,
            }
            for i in register.categories
        ],
        "recipients": labelled(register.recipients, vocabulary.organisation_types),  # (d)
        "third_country_transfers": {  # (e)
            "nl": register.third_country_transfers.nl,
            "en": register.third_country_transfers.en,
        },
        "retention": [  # (f)
            {"what": r.what, "period": r.period, "nl": r.text.nl, "en": r.text.en}
            for r in register.retention
        ],
        "security_measures": [{"nl": m.nl, "en": m.en} for m in register.security_measures],
    }


async def list_policies(request: web.Request) -> web.Response:
    principal = await _officer(request)
    if request.query:
        raise InvalidFilter("No query parameters are accepted here")
    policy_set = await insight(request).policies(principal)
    return json_response(
        {
            "version": policy_set.version,
            "files": list(policy_set.files),
            "rules": [_rule_json(rule) for rule in policy_set.rules],
            "register": _register_json(request),
        }
    )


def _rule_diff_json(diff: RuleDiff) -> dict[str, Any]:
    return {
        "added": [_rule_json(r) for r in diff.added],
        "removed": [_rule_json(r) for r in diff.removed],
        "changed": [
            {"id": new.id, "keys": list(keys), "before": _rule_json(old), "after": _rule_json(new)}
            for old, new, keys in diff.changed
        ],
    }


async def compare_policies(request: web.Request) -> web.Response:
    principal = await _officer(request)
    limits = request.app[INSIGHT].simulation
    if request.content_length is not None and request.content_length > limits.max_body_bytes:
        raise PayloadTooLarge(f"A body may be at most {limits.max_body_bytes} bytes")
    texts = (await read_body(request, schema.CompareRequest)).policies
    found = await insight(request).compare(principal, texts)
    return json_response(
        {
            "in_force_version": found.base.version,
            "other_version": found.other.version,
            "rule_changes": _rule_diff_json(found.diff),
        }
    )


def _time(value: str, name: str) -> datetime:
    parsed = parse_datetime(value, naive_is_utc=True)
    if parsed is None:
        raise InvalidFilter(f"`{name}` must be an ISO 8601 date-time")
    return parsed


def _change_json(change: Change) -> dict[str, Any]:
    r = change.recorded
    return {
        "seq": r.seq,
        "time": r.at.isoformat().replace("+00:00", "Z"),
        "purpose": r.purpose,
        "requester_type": r.requester_type,
        "source_type": r.source_type,
        "category": r.category,
        "change": change.direction,
        "recorded": {"decision": r.decision, "reason": r.reason, "rule_ids": list(r.rule_ids)},
        "candidate": {
            "decision": change.outcome,
            "reason": change.reason,
            "rule_ids": list(change.rule_ids),
            "explanation": {"nl": change.explanation_nl, "en": change.explanation_en},
        },
    }


def summary(changes: Sequence[Change]) -> list[dict[str, Any]]:
    """How many decisions change, per direction and deciding rule(s), largest first."""
    counts: dict[tuple[str, tuple[str, ...], str], int] = {}
    for change in changes:
        key = (change.direction, change.rule_ids, change.reason)
        counts[key] = counts.get(key, 0) + 1
    return [
        {"change": d, "rule_ids": list(rules), "reason": reason, "count": n}
        for (d, rules, reason), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


MISSING = {
    "subject_age": "The log does not record the subject's age at the time",
    "requester_is_regiehouder": "The log does not record whether the requester was regiehouder",
    "consent": "Consent was not checked for the recorded decision",
    "justification": "The log holds no justification for this decision",
}


async def simulate_policies(request: web.Request) -> web.Response:
    principal = await _officer(request)
    limits = request.app[INSIGHT].simulation
    if request.content_length is not None and request.content_length > limits.max_body_bytes:
        raise PayloadTooLarge(f"A simulation body may be at most {limits.max_body_bytes} bytes")
    body = await read_body(request, schema.SimulationRequest)
    use_case = insight(request)
    use_case.check_size(body.policies)
    since, until = _time(body.since, "from"), _time(body.until, "to")
    result = await use_case.simulate(principal, body.policies, since, until)
    changes = result.result.changes
    diff = result.diff
    return json_response(
        {
            "candidate_version": result.candidate_version,
            "in_force_version": result.in_force_version,
            "period": {"from": body.since, "to": body.until},
            "replayed": result.result.replayed,
            "unreplayable": result.unreplayable,
            "changes_total": len(changes),
            "summary": summary(changes),
            "changes": [_change_json(c) for c in changes[: limits.max_listed]],
            "undetermined_total": len(result.result.undetermined),
            "undetermined": [
                {"seq": r.seq, "missing": list(missing)}
                for r, missing in result.result.undetermined[: limits.max_listed]
            ],
            "rule_changes": _rule_diff_json(diff),
            "missing_inputs": MISSING,
        }
    )


def setup(app: web.Application) -> None:
    settings = app[SETTINGS]
    vocabulary = app[VOCABULARY]
    app[INSIGHT] = load_insight_config(settings.config_dir, frozenset(vocabulary.purposes))
    try:
        app[PROCESSING_REGISTER] = load_processing_register(settings.config_dir, vocabulary)
    except PolicyLoadError as exc:
        raise SettingsError("processing_register.toml", "; ".join(exc.problems)) from exc
    app.router.add_get("/api/v1/policies", list_policies)
    app.router.add_post("/api/v1/policies/simulate", simulate_policies)
    app.router.add_post("/api/v1/policies/compare", compare_policies)


# --- OpenAPI ------------------------------------------------------------------------------

_ERRORS = problems(400, 401, 403, 503)


EXAMPLE_LISTING = schema.PolicyListing(
    version="sha256:...",
    files=["policies/wijkteam.toml"],
    rules=[],
    register=schema.ProcessingRegister(
        controller=schema.Controller("Samenwerkingsverband (demo)", "privacy@example.invalid",
                                     "fg@example.invalid"),
        purposes=[], data_subjects=[], categories=[], recipients=[],
        third_country_transfers=schema.Texts("Geen.", "None."),
        retention=[schema.RetentionPeriod("audit_log", "P20Y", "20 jaar", "20 years")],
        security_measures=[],
    ),
)  # fmt: skip

OPENAPI: dict[str, dict[str, Any]] = {
    "/api/v1/policies": {
        "get": {
            "operationId": "listPolicies",
            "summary": "The policy set in force, each rule in plain words, and the register of "
            "processing activities (AVG art. 30); itself audited",
            "tags": ["policies"],
            "responses": {
                "200": answer(
                    schema.PolicyListing,
                    "The rules in force and the register",
                    EXAMPLE_LISTING,
                ),
                **_ERRORS,
            },
        }
    },
    "/api/v1/policies/simulate": {
        "post": {
            "operationId": "simulatePolicies",
            "summary": "Replay a period's recorded decisions through a candidate rule set; the "
            "decisions that would change; itself audited",
            "tags": ["policies"],
            "requestBody": request_body(schema.SimulationRequest, schema.EXAMPLE_SIMULATION),
            "responses": {
                "200": answer(
                    schema.SimulationAnswer,
                    "The changes",
                    schema.SimulationAnswer(
                        candidate_version="sha256:...",
                        in_force_version="sha256:...",
                        period=schema.Period("2026-01-01T00:00:00Z", "2026-04-01T00:00:00Z"),
                        replayed=0,
                        unreplayable=0,
                        changes_total=0,
                        summary=[],
                        changes=[],
                        undetermined_total=0,
                        undetermined=[],
                        rule_changes=schema.RuleDiff(added=[], removed=[], changed=[]),
                        missing_inputs=MISSING,
                    ),
                ),
                **problems(413, 415, 422),
                **_ERRORS,
            },
        }
    },
    "/api/v1/policies/compare": {
        "post": {
            "operationId": "comparePolicies",
            "summary": "The rule-by-rule difference between the policy set in force and another "
            "version; itself audited",
            "tags": ["policies"],
            "requestBody": request_body(
                schema.CompareRequest, schema.CompareRequest(schema.EXAMPLE_SIMULATION.policies)
            ),
            "responses": {
                "200": answer(
                    schema.PolicyComparison,
                    "The difference",
                    schema.PolicyComparison(
                        in_force_version="sha256:...",
                        other_version="sha256:...",
                        rule_changes=schema.RuleDiff(added=[], removed=[], changed=[]),
                    ),
                ),
                **problems(413, 415, 422),
                **_ERRORS,
            },
        }
    },
}
