"""Hypothesis strategies shared by the property tests, one section per package."""

from __future__ import annotations

import random as _random
from dataclasses import replace as _replace
from datetime import UTC as _UTC
from datetime import date as _date
from datetime import datetime as _datetime
from datetime import timedelta as _timedelta

from hypothesis import strategies as _st

from consent import ConsentRecord, ConsentScope, RequesterRef, SourceRef
from consent.model import Actor as _ConsentActor
from policies import Conditions, DecisionRequest, Rule, Vocabulary
from policies.model import RuleEffect
from policies.vocabulary import Category, LegalBasis, Purpose, RequesterType

# --- policies ---
# Strategies for the policy engine: a small vocabulary (small so that generated
# rules and requests collide often), rules and rule sets over it, requests, and a
# TOML writer with varying formatting for loader round trips.

POLICY_ORGS = ("wijkteam", "veilig_thuis", "gi")
_POLICY_EFFECTS: tuple[RuleEffect, ...] = ("permit", "forbid")
POLICY_CATEGORIES = {
    "contact_details": "normal",
    "support_plan": "normal",
    "school": "normal",
    "health": "special",
    "criminal_records": "criminal",
    "reporter_identity": "restricted",
}
POLICY_PURPOSES = ("support_planning", "safety_assessment", "acute_safety", "monitoring")
POLICY_ROLES = ("hulpverlener", "teamleider")
POLICY_REGIONS = ("utrecht", "utrecht-proeftuin")
#: Validity bounds (epoch seconds) rules pick from, and request times around them.
POLICY_INSTANTS = (1_700_000_000, 1_750_000_000, 1_800_000_000)


def policy_vocabulary() -> Vocabulary:
    """A small, complete vocabulary with every sensitivity and a portal requester."""
    orgs = {
        o: RequesterType(o, f"{o} nl", f"{o} en", "organisation", POLICY_ROLES) for o in POLICY_ORGS
    }
    return Vocabulary(
        organisation_types=orgs,
        portal_requesters={
            "household": RequesterType("household", "gezin", "household", "household_portal")
        },
        categories={
            c: Category(c, s, f"{c} nl", f"{c} en")  # type: ignore[arg-type]
            for c, s in POLICY_CATEGORIES.items()
        },
        purposes={
            p: Purpose(p, f"{p} nl", f"{p} en", p == "acute_safety", p == "monitoring")
            for p in POLICY_PURPOSES
        },
        legal_bases={
            b: LegalBasis(b, f"{b} nl", f"{b} en", f"AVG {b}")
            for b in ("consent", "public_task", "vital_interest")
        },
    )


def _subset(items: tuple[str, ...], *, min_size: int = 1) -> _st.SearchStrategy[frozenset[str]]:
    """A subset as one integer bitmask: a single draw, shrinking towards small sets."""

    def pick(mask: int) -> frozenset[str]:
        chosen = frozenset(item for bit, item in enumerate(items) if mask >> bit & 1)
        return chosen if len(chosen) >= min_size else frozenset(items[:min_size])

    return _st.integers(0, 2 ** len(items) - 1).map(pick)


@_st.composite
def policy_rules(draw: _st.DrawFn, rule_id: str | None = None) -> Rule:
    """Any well-formed rule over `policy_vocabulary()` (not necessarily a consistent set)."""
    effect: RuleEffect = draw(_st.sampled_from(_POLICY_EFFECTS))
    bounds = sorted(draw(_st.lists(_st.sampled_from(POLICY_INSTANTS), max_size=2, unique=True)))
    valid_from = valid_until = None
    if len(bounds) == 2:
        valid_from, valid_until = bounds
    elif bounds:
        if draw(_st.booleans()):
            valid_from = bounds[0]
        else:
            valid_until = bounds[0]
    min_age = draw(_st.none() | _st.integers(0, 18))
    max_age = draw(_st.none() | _st.integers(min_age or 0, 20))
    basis = draw(_st.sampled_from(("consent", "public_task", "vital_interest")))
    consent = basis == "consent" or draw(_st.booleans())
    permit = effect == "permit"
    return Rule(
        id=rule_id or f"r-{draw(_st.integers(0, 999))}",
        effect=effect,
        description_nl=draw(_st.sampled_from(("Mag.", 'Met "aanhalingstekens" \\ en é.'))),
        description_en="Text.",
        requester_types=draw(_subset((*POLICY_ORGS, "household", "*"))),
        purposes=draw(_subset(POLICY_PURPOSES, min_size=1)),
        source_types=draw(_subset((*POLICY_ORGS, "*"))),
        categories=draw(_subset((*POLICY_CATEGORIES, "*"))),
        requester_roles=draw(_subset(POLICY_ROLES, min_size=0)),
        legal_basis=basis if permit else None,
        statutory_reference="Wet art. 1" if permit and basis != "consent" else None,
        consent_required=consent if permit else False,
        consent_from=("subject" if consent else None) if permit else None,
        regions=draw(_subset(POLICY_REGIONS, min_size=0)),
        valid_from=valid_from,
        valid_until=valid_until,
        conditions=Conditions(
            min_age=min_age,
            max_age=max_age,
            requester_is_regiehouder=draw(_st.booleans()),
            case_reference_required=draw(_st.booleans()),
        ),
        confidential=permit and draw(_st.booleans()),
        max_duration_hours=draw(_st.sampled_from((None, 24))) if permit else None,
        min_justification_length=draw(_st.sampled_from((None, 10, 40))),
    )


@_st.composite
def policy_rule_sets(draw: _st.DrawFn, max_size: int = 8) -> list[Rule]:
    """A list of rules with unique ids."""
    count = draw(_st.integers(0, max_size))
    return [draw(policy_rules(rule_id=f"rule-{n:02d}")) for n in range(count)]


@_st.composite
def decision_requests(draw: _st.DrawFn) -> DecisionRequest:
    requester = draw(_st.sampled_from((*POLICY_ORGS, "household")))
    channel = "household_portal" if requester == "household" else "organisation"
    if draw(_st.integers(0, 9)) == 0:  # occasionally the wrong channel
        channel = "organisation" if channel == "household_portal" else "household_portal"
    instant = draw(_st.sampled_from(POLICY_INSTANTS)) + draw(_st.sampled_from((-1, 0, 1)))
    return DecisionRequest(
        requester_type=requester,
        purpose=draw(_st.sampled_from(POLICY_PURPOSES)),
        source_type=draw(_st.sampled_from(POLICY_ORGS)),
        category=draw(_st.sampled_from(tuple(POLICY_CATEGORIES))),
        at=_datetime.fromtimestamp(instant + draw(_st.sampled_from((0.0, 0.5))), _UTC),
        requester_role=draw(_st.sampled_from((None, *POLICY_ROLES))),
        requester_region=draw(_st.sampled_from(("", *POLICY_REGIONS))),
        subject_age=draw(_st.none() | _st.integers(0, 20)),
        requester_is_regiehouder=draw(_st.booleans()),
        has_case_reference=draw(_st.booleans()),
        channel=channel,  # type: ignore[arg-type]
        about_self=draw(_st.booleans()),
        justification_length=draw(_st.sampled_from((0, 9, 10, 39, 40, 100))),
    )


def _toml_value(value: object, rng: _random.Random) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, _datetime):
        return value.isoformat()
    if isinstance(value, list):
        sep = ", " if rng.random() < 0.5 else ",\n    "
        return "[" + sep.join(_toml_value(v, rng) for v in value) + "]"
    raise TypeError(value)


def rule_to_toml(rule: Rule, rng: _random.Random) -> str:
    """One `[[rules]]` table for `rule`, with key order, list order, spacing and
    sub-table style varied by `rng` (the content stays the same)."""
    fields: dict[str, object] = {
        "id": rule.id,
        "effect": rule.effect,
        "requester_types": sorted(rule.requester_types),
        "purposes": sorted(rule.purposes),
        "source_types": sorted(rule.source_types),
        "categories": sorted(rule.categories),
    }
    if rule.requester_roles:
        fields["requester_roles"] = sorted(rule.requester_roles)
    if rule.effect == "permit":
        fields["legal_basis"] = rule.legal_basis
        fields["consent_required"] = rule.consent_required
        if rule.consent_from is not None:
            fields["consent_from"] = rule.consent_from
        fields["confidential"] = rule.confidential
    if rule.statutory_reference is not None:
        fields["statutory_reference"] = rule.statutory_reference
    if rule.regions:
        fields["regions"] = sorted(rule.regions)
    if rule.valid_from is not None:
        fields["valid_from"] = _datetime.fromtimestamp(rule.valid_from, _UTC)
    if rule.valid_until is not None:
        fields["valid_until"] = _datetime.fromtimestamp(rule.valid_until, _UTC)
    for value in fields.values():
        if isinstance(value, list):
            rng.shuffle(value)
    c = rule.conditions
    conditions: dict[str, object] = {
        k: v
        for k, v in (
            ("min_age", c.min_age),
            ("max_age", c.max_age),
            ("requester_is_regiehouder", c.requester_is_regiehouder),
            ("case_reference_required", c.case_reference_required),
        )
        if v is not None
    }
    tables: dict[str, dict[str, object]] = {
        "description": {"nl": rule.description_nl, "en": rule.description_en},
        "conditions": conditions,
    }
    if rule.max_duration_hours is not None or rule.min_justification_length is not None:
        tables["break_glass"] = {
            "max_duration_hours": rule.max_duration_hours,
            "min_justification_length": rule.min_justification_length,
        }
    items: list[tuple[str, str]] = [(k, _toml_value(v, rng)) for k, v in fields.items()]
    subtables = []
    for name, table in tables.items():
        if rng.random() < 0.5:
            inner = ", ".join(f"{k} = {_toml_value(v, rng)}" for k, v in table.items())
            items.append((name, f"{{ {inner} }}"))
        else:
            body = "\n".join(f"{k}   =   {_toml_value(v, rng)}" for k, v in table.items())
            subtables.append(f"[rules.{name}]\n{body}")
    rng.shuffle(items)
    lines = ["", "# a rule" if rng.random() < 0.5 else "", "[[rules]]"]
    for key, rendered in items:
        spacing = " = " if rng.random() < 0.5 else "="
        lines.append(f"{key}{spacing}{rendered}")
    return "\n".join(lines + subtables) + "\n"


@_st.composite
def loadable_policy_rules(draw: _st.DrawFn, rule_id: str | None = None) -> Rule:
    """A rule the loader accepts on its own (break-glass fields only where they belong,
    roles only for organisation requesters)."""
    rule = draw(policy_rules(rule_id=rule_id))
    changes: dict[str, object] = {}
    break_glass = rule.effect == "permit" and "acute_safety" in rule.purposes
    if break_glass:
        changes.update(
            purposes=frozenset({"acute_safety"}),
            max_duration_hours=24,
            min_justification_length=rule.min_justification_length or 40,
        )
    else:
        changes.update(max_duration_hours=None, min_justification_length=None)
    if rule.requester_types == frozenset({"household"}):
        changes["requester_roles"] = frozenset()
    return _replace(rule, **changes)  # type: ignore[arg-type]


@_st.composite
def loadable_rule_sets(draw: _st.DrawFn, max_size: int = 6) -> list[Rule]:
    count = draw(_st.integers(1, max_size))
    return [draw(loadable_policy_rules(rule_id=f"rule-{n:02d}")) for n in range(count)]


# --- consent ---
# Strategies for households and consent: synthetic BSNs (prefix 9999, passing the
# elfproef), pseudonyms, birth dates around the age thresholds, scopes over a small
# vocabulary (so generated consents and questions collide often) and declarations.
CONSENT_PURPOSES = ("support_planning", "joint_problem_analysis", "safety_assessment")
CONSENT_CATEGORIES = ("contact_details", "household_composition", "support_plan", "health")
CONSENT_ORGS = (
    ("wijkteam-utrecht", "wijkteam"),
    ("veilig-thuis-utrecht", "veilig_thuis"),
    ("gi-jeugdbescherming-demo", "gi"),
)
CONSENT_AT = _datetime(2026, 6, 1, 12, 0, tzinfo=_UTC)
_BSN_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2)


def bsn_from_digits(digits: str) -> str | None:
    """`9999` + four digits + the check digit the elfproef needs (None if it would be 10)."""
    body = "9999" + digits
    check = sum(w * int(d) for w, d in zip(_BSN_WEIGHTS, body, strict=True)) % 11
    return body + str(check) if check < 10 else None


def synthetic_bsns() -> _st.SearchStrategy[str]:
    digits = _st.text("0123456789", min_size=4, max_size=4)
    return digits.map(bsn_from_digits).filter(lambda b: b is not None).map(str)


def invalid_bsns() -> _st.SearchStrategy[str]:
    """Nine digits failing the elfproef, or not nine digits at all."""
    wrong_check = synthetic_bsns().map(lambda b: b[:8] + str((int(b[8]) + 1) % 10))
    return _st.one_of(wrong_check, _st.text("0123456789", max_size=8), _st.just("99990000a"))


def pseudonyms() -> _st.SearchStrategy[str]:
    return _st.text("0123456789abcdef", min_size=8, max_size=8).map(lambda h: "ps_" + h)


def birth_dates(around: _datetime = CONSENT_AT) -> _st.SearchStrategy[_date]:
    """Birth dates from 0 to 40 years before `around`, often on a threshold birthday."""
    today = around.date()

    def years_before(years: int, shift: int) -> _date:
        try:
            anchor = today.replace(year=today.year - years)
        except ValueError:  # 29 February
            anchor = today.replace(year=today.year - years, day=28)
        return anchor + _timedelta(days=shift)

    on_threshold = _st.builds(years_before, _st.sampled_from([12, 16]), _st.integers(-1, 1))
    anywhere = _st.builds(years_before, _st.integers(0, 40), _st.integers(-200, 200))
    return _st.one_of(on_threshold, anywhere)


def _consent_subset(
    items: tuple[str, ...], *, min_size: int = 1
) -> _st.SearchStrategy[frozenset[str]]:
    return _st.frozensets(_st.sampled_from(items), min_size=min_size, max_size=len(items))


def consent_scopes() -> _st.SearchStrategy[ConsentScope]:
    orgs = tuple(o for o, _ in CONSENT_ORGS)
    types = tuple(t for _, t in CONSENT_ORGS)
    return _st.builds(
        ConsentScope,
        purposes=_consent_subset(CONSENT_PURPOSES),
        categories=_consent_subset(CONSENT_CATEGORIES),
        recipient_organisations=_consent_subset(orgs, min_size=0),
        recipient_types=_consent_subset(types, min_size=0),
        source_organisations=_consent_subset(orgs, min_size=0),
        source_types=_consent_subset(types, min_size=0),
    )


def requester_refs() -> _st.SearchStrategy[RequesterRef]:
    return _st.sampled_from(CONSENT_ORGS).map(lambda o: RequesterRef(o[0], o[1], "utrecht"))


def source_refs() -> _st.SearchStrategy[SourceRef | None]:
    return _st.one_of(_st.none(), _st.sampled_from(CONSENT_ORGS).map(lambda o: SourceRef(*o)))


@_st.composite
def consent_records(
    draw: _st.DrawFn, subject: str, givers: tuple[str, ...], at: _datetime = CONSENT_AT
) -> ConsentRecord:
    """A declaration about `subject` by one of `givers`, in any status and period."""
    given_by = draw(_st.sampled_from(givers))
    start = at + _timedelta(days=draw(_st.integers(-800, 30)))
    length = draw(_st.one_of(_st.none(), _st.integers(1, 900)))
    decision = draw(_st.sampled_from(["grant", "grant", "refuse"]))
    live = "active" if decision == "grant" else "refused"
    return ConsentRecord(
        id="cs_" + draw(_st.text("0123456789abcdef", min_size=6, max_size=6)),
        subject=subject,
        given_by=given_by,
        giver_role="self" if given_by == subject else "custody_holder",
        decision=decision,  # type: ignore[arg-type]
        status=draw(_st.sampled_from([live, live, "withdrawn", "superseded", "expired"])),
        scope=draw(consent_scopes()),
        recorded_via="paper",
        recorded_by=_ConsentActor("professional", organisation="wijkteam-utrecht"),
        given_at=start,
        valid_from=start,
        valid_until=None if length is None else start + _timedelta(days=length),
        evidence_reference="dossier-1",
        policy_version="sha256:test",
    )


# --- audit ---
# Audit events and chains: codes drawn from the code alphabet, free text from all of
# Unicode (minus lone surrogates), so canonicalisation meets every escape it must handle.
from gateway.audit.model import EVENT_TYPES as _AUDIT_EVENT_TYPES  # noqa: E402
from gateway.audit.model import AuditEvent as _AuditEvent  # noqa: E402

_AUDIT_CODE_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:/+=@-"
_audit_code = _st.text(_AUDIT_CODE_CHARS, min_size=1, max_size=24).filter(lambda s: s[0].isalnum())
_audit_text = _st.text(_st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60)
_audit_optional_code = _st.none() | _audit_code


@_st.composite
def audit_events(draw: _st.DrawFn) -> _AuditEvent:
    """A valid `AuditEvent` of any type, with any mix of optional fields."""
    return _AuditEvent(
        event_type=draw(_st.sampled_from(sorted(_AUDIT_EVENT_TYPES))),
        request_id=draw(_audit_code),
        trace_id=draw(_audit_optional_code),
        requester_org=draw(_audit_optional_code),
        professional=draw(_audit_optional_code),
        role=draw(_audit_optional_code),
        subject=draw(_audit_optional_code),
        household=draw(_audit_optional_code),
        purpose=draw(_audit_optional_code),
        source=draw(_audit_optional_code),
        category=draw(_audit_optional_code),
        decision=draw(_st.sampled_from([None, "permit", "deny"])),
        reason=draw(_audit_optional_code),
        rule_ids=tuple(draw(_st.lists(_audit_code, max_size=3))),
        legal_basis=draw(_audit_optional_code),
        consent_ids=tuple(draw(_st.lists(_audit_code, max_size=2))),
        policy_version=draw(_audit_optional_code),
        break_glass=draw(_st.booleans()),
        justification=draw(_st.none() | _audit_text),
        outcome=draw(_st.sampled_from([None, "returned", "denied", "source_error"])),
        confidentiality=draw(_st.sampled_from(["normal", "confidential"])),
        target_seq=draw(_st.none() | _st.integers(1, 2**40)),
        details=draw(
            _st.dictionaries(
                _st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True),
                _st.text(_st.characters(blacklist_categories=("Cs",)), max_size=20),
                max_size=3,
            )
        ),
    )


# --- adapters ---

_JSON_LEAF = _st.none() | _st.booleans() | _st.integers() | _st.text(max_size=8)
_JSON = _st.recursive(
    _JSON_LEAF,
    lambda inner: (
        _st.lists(inner, max_size=3)
        | _st.dictionaries(_st.text(min_size=1, max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


@_st.composite
def native_records(draw: _st.DrawFn, paths: list[str]) -> list[dict[str, object]]:
    """Records a sloppy source might send: every mapped (dotted) path set to any JSON value
    (scalars, lists, nested objects), some paths missing, plus unknown fields."""
    records = []
    for _ in range(draw(_st.integers(0, 3))):
        record: dict[str, object] = draw(
            _st.dictionaries(_st.text(min_size=1, max_size=6), _JSON, max_size=3)
        )
        for path in paths:
            if draw(_st.booleans()):
                head, *rest = path.split(".")
                if rest:
                    inner = record.setdefault(head, {})
                    if isinstance(inner, dict):
                        inner[rest[0]] = draw(_JSON)
                else:
                    record[head] = draw(_JSON)
        records.append(record)
    return records


# --- token claims ---
# What an organisation's system might put in `sub` or `role`: well-formed codes, and
# the shapes that broke the audit log (names with spaces, formula prefixes, non-ASCII,
# control characters, trailing newlines, over-long values).

_CLAIM_EDGES = _st.sampled_from(
    ["Jan de Vries", "=cmd", "+31", "-1", "@x", "profé", "prof\n", "a\tb", "", "x" * 129, "x" * 128]
)
_claim_codes = _st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:/+=@-]{0,140}", fullmatch=True)


def token_claim_texts() -> _st.SearchStrategy[str]:
    """Any text a token's `sub` or `role` might carry, valid or not."""
    return _st.one_of(_CLAIM_EDGES, _claim_codes, _st.text(max_size=140))


# --- hostile input ---
# What a client can put in a field: anything. Texts near the edges of the calendar
# (with every kind of offset), texts that almost parse, and arbitrary text including
# NUL, controls and lone surrogates; JSON values generated from an OpenAPI schema,
# with any JSON (of any type) in place of any member.

from datetime import timezone as _timezone  # noqa: E402
from typing import Any as _Any  # noqa: E402

_OFFSETS = _st.builds(
    _timezone,
    _st.timedeltas(
        min_value=_timedelta(hours=-23, minutes=-59), max_value=_timedelta(hours=23, minutes=59)
    ),
)
_EDGE_YEARS = _st.sampled_from([1, 2, 1899, 1900, 1970, 2026, 9000, 9001, 9998, 9999])
HOSTILE_CHARACTERS = _st.characters(exclude_categories=())  # every code point, surrogates too


@_st.composite
def _edge_date_times(draw: _st.DrawFn) -> str:
    moment = draw(_st.datetimes(min_value=_datetime(1, 1, 2), max_value=_datetime(9999, 12, 30)))
    if draw(_st.booleans()):
        moment = moment.replace(year=draw(_EDGE_YEARS))
    aware = moment.replace(tzinfo=draw(_st.none() | _OFFSETS | _st.just(_UTC)))
    text = aware.isoformat(timespec=draw(_st.sampled_from(["auto", "seconds", "microseconds"])))
    return text.replace("+00:00", "Z") if draw(_st.booleans()) else text


def date_time_texts() -> _st.SearchStrategy[str]:
    """Any string a client might send as a date-time, weighted towards the hard ones."""
    return _st.one_of(
        _edge_date_times(),
        _edge_date_times().map(lambda t: t[: len(t) // 2]),
        _st.dates().map(_date.isoformat),
        _st.text(HOSTILE_CHARACTERS, max_size=40),
        _st.text("0123456789-+:TZ.", max_size=40),
    )


def any_json(max_leaves: int = 8) -> _st.SearchStrategy[_Any]:
    """Any JSON value (no NaN), strings from every code point."""
    scalars = (
        _st.none()
        | _st.booleans()
        | _st.integers(-(2**70), 2**70)
        | _st.floats(allow_nan=False, allow_infinity=False)
        | _st.text(HOSTILE_CHARACTERS, max_size=30)
    )
    return _st.recursive(
        scalars,
        lambda inner: (
            _st.lists(inner, max_size=4)
            | _st.dictionaries(_st.text(max_size=10), inner, max_size=4)
        ),
        max_leaves=max_leaves,
    )


def json_from_schema(
    schema: dict[str, _Any], components: dict[str, _Any]
) -> _st.SearchStrategy[_Any]:
    """Values shaped by an OpenAPI schema, often valid; any member may be any JSON instead."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return json_from_schema(components.get(name, {}), components)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return _st.one_of([json_from_schema(s, components) for s in schema[key]])
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "enum" in schema:
        shaped: _st.SearchStrategy[_Any] = _st.sampled_from(schema["enum"])
    elif "object" in kinds:
        properties = schema.get("properties", {})
        required = [k for k in schema.get("required", []) if k in properties]
        shaped = _st.fixed_dictionaries(
            {k: json_from_schema(properties[k], components) for k in required},
            optional={
                k: json_from_schema(v, components)
                for k, v in properties.items()
                if k not in required
            },
        )
    elif "array" in kinds:
        shaped = _st.lists(json_from_schema(schema.get("items", {}), components), max_size=4)
    elif "string" in kinds:
        fmt = schema.get("format")
        if fmt == "date-time":
            shaped = date_time_texts()
        elif fmt == "date":
            shaped = _st.dates().map(_date.isoformat) | date_time_texts()
        elif "pattern" in schema and schema["pattern"] == "^[0-9]{9}$":
            shaped = synthetic_bsns() | invalid_bsns()
        else:
            shaped = _st.text(HOSTILE_CHARACTERS, max_size=40) | _st.text(max_size=8)
    elif "integer" in kinds:
        shaped = _st.integers(-(2**70), 2**70)
    elif "boolean" in kinds:
        shaped = _st.booleans()
    else:
        shaped = any_json()
    return _st.one_of(shaped, shaped, shaped, any_json(max_leaves=3))


def exchange_bodies() -> _st.SearchStrategy[dict[str, _Any]]:
    """`POST /api/v1/exchanges` bodies: each member often well-formed, else any JSON,
    sometimes an unknown member."""

    def member(shaped: _st.SearchStrategy[_Any]) -> _st.SearchStrategy[_Any]:
        return _st.one_of(shaped, shaped, any_json(max_leaves=3))

    names = _st.lists(_st.sampled_from(["health", "contact_details", "horoscope", "wijkteam"]))
    return _st.fixed_dictionaries(
        {},
        optional={
            "subject": member(_st.fixed_dictionaries({"bsn": synthetic_bsns() | invalid_bsns()})),
            "purpose": member(_st.sampled_from(["support_planning", "acute_safety", "gossip"])),
            "categories": member(names),
            "sources": member(names),
            "case_reference": member(_st.from_regex(r"[A-Za-z0-9._:/ -]{0,70}", fullmatch=True)),
            "break_glass": member(_st.fixed_dictionaries({"justification": _st.text(max_size=20)})),
            "extra": any_json(max_leaves=2),
        },
    )


# Strategies for the operator's side: JWKs as a hostile key server or a careless
# integrator might send them (tests/property/test_operate_properties.py).
_JWK_MEMBERS = ("kty", "crv", "x", "y", "n", "e", "d", "k", "alg", "kid", "use")
_JWK_VALUES = _st.one_of(
    _st.sampled_from(
        [
            "EC",
            "RSA",
            "OKP",
            "oct",
            "P-256",
            "P-384",
            "Ed25519",
            "ES256",
            "RS256",
            "EdDSA",
            "HS256",
            "none",
            "AQAB",
            "sig",
            "enc",
            "",
        ]
    ),
    _st.text(max_size=60),
    _st.integers(),
    _st.none(),
    _st.lists(_st.integers(), max_size=3),
)


def hostile_jwks() -> _st.SearchStrategy[dict[str, object]]:
    """Dicts shaped like JWKs, with any mix of wrong, missing and lying members."""
    return _st.dictionaries(_st.sampled_from(_JWK_MEMBERS), _JWK_VALUES, max_size=len(_JWK_MEMBERS))


# --- monitoring statistics (gateway.insight.statistics) -----------------------------------

from gateway.insight.statistics import BaseCell as _BaseCell  # noqa: E402
from gateway.insight.statistics import Protection as _Protection  # noqa: E402


def protections() -> _st.SearchStrategy[_Protection]:
    """A threshold from 3 to 20 and a rounding base from 2 to it, with a random key."""
    return _st.integers(3, 20).flatmap(
        lambda threshold: _st.builds(
            _Protection,
            secret=_st.binary(min_size=16, max_size=32),
            threshold=_st.just(threshold),
            base=_st.integers(2, threshold),
        )
    )


def statistics_cells(
    max_cells: int = 12, max_records: int = 45
) -> _st.SearchStrategy[dict[_BaseCell, frozenset[str]]]:
    """Base cells (unit x quarter x measure) with random record ids; many small ones."""
    cell = _st.builds(
        _BaseCell,
        unit=_st.sampled_from(["wijkteam-utrecht", "gi-jeugdbescherming-demo", "utrecht"]),
        quarter=_st.sampled_from(["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]),
        measure=_st.sampled_from(["households_supported", "break_glass_uses", "consents_given"]),
    )
    size = _st.one_of(_st.integers(0, 12), _st.integers(0, max_records))
    records = size.map(lambda n: frozenset(f"hh_{i:04d}" for i in range(n)))
    return _st.dictionaries(cell, records, min_size=1, max_size=max_cells)
