"""A body's declaration decides its shape and the code of a body that breaks it; the
fast path (bytes straight into the Struct) answers exactly what the full path does."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import any_json, exchange_bodies

from gateway.api.officer.schema import BreakGlassReview
from gateway.api.org.schema import (
    ConsentWithdrawal,
    HouseholdChange,
    HouseholdRegistration,
    HouseholdTransfer,
    NewCase,
    PaperConsent,
)
from gateway.errors import GatewayError
from gateway.exchange.schema import ExchangeRequest
from gateway.exchange.validate import exchange_request
from gateway.http.bodies import convert_body, decode_body

BSN = "999990019"
VALID = {"subject": {"bsn": BSN}, "purpose": "support_planning", "categories": ["health"]}
FIELDS = ("subject", "purpose", "categories", "sources", "case_reference", "break_glass")


def _code(raw: bytes, kind: type[msgspec.Struct] = ExchangeRequest) -> str | None:
    try:
        decode_body(raw, kind)
    except GatewayError as exc:
        return exc.code
    return None


def _outcome(parse: Any) -> tuple[str, object]:
    """("ok", value) or (code, detail): anything but a `GatewayError` propagates (a 500)."""
    try:
        return "ok", parse()
    except GatewayError as exc:
        status, code, detail = exc.status, exc.code, exc.detail
    assert 400 <= status < 500
    return code, detail


def _checked(body: ExchangeRequest) -> object:
    return exchange_request(
        body,
        purposes={"support_planning", "acute_safety"},
        break_glass_purposes={"acute_safety"},
        aggregates_only_purposes=set(),
        categories={"health", "contact_details"},
        sources={"wijkteam"},
        max_categories=50,
    )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({**VALID, "subject": {"bsn": 999990019}}, "invalid_bsn"),
        ({**VALID, "subject": {"bsn": BSN, "name": "x"}}, "validation_failed"),
        ({**VALID, "subject": {}}, "validation_failed"),
        ({**VALID, "subject": BSN}, "validation_failed"),
        ({**VALID, "purpose": 7}, "validation_failed"),
        ({**VALID, "categories": "health"}, "validation_failed"),
        ({**VALID, "categories": []}, "validation_failed"),
        ({**VALID, "categories": [1]}, "validation_failed"),
        ({**VALID, "sources": []}, "validation_failed"),
        ({**VALID, "case_reference": 5}, "validation_failed"),
        ({**VALID, "break_glass": {"justification": "x" * 2001}}, "validation_failed"),
        ({**VALID, "break_glass": {"why": "x"}}, "validation_failed"),
        ({**VALID, "extra": 1}, "validation_failed"),
        ({"purpose": "support_planning", "categories": ["health"]}, "validation_failed"),
        ([VALID], "validation_failed"),
    ],
)
def test_a_body_that_breaks_the_exchange_declaration_has_todays_code(body: Any, code: str) -> None:
    for raw in (json.dumps(body).encode(), json.dumps(body, ensure_ascii=True).encode()):
        assert _code(raw) == code


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b'{"purpose": NaN}', "invalid_json"),
        (b"{", "invalid_json"),
        (b'{"purpose": "\\u0000"}', "validation_failed"),
        (b'{"purpose": "\\ud800"}', "validation_failed"),
        (b'{"x": ' + b"[" * 40 + b"]" * 40 + b"}", "validation_failed"),
        (b"\xff", "invalid_json"),
    ],
)
def test_the_limits_of_every_body_hold_before_the_declaration(raw: bytes, code: str) -> None:
    assert _code(raw) == code


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deep_nesting_in_an_ignored_member_is_validation_failed(depth: int) -> None:
    raw = b'{"verdict": "justified", "note": "x", "x": ' + b"[" * depth + b"]" * depth + b"}"
    assert _code(raw, BreakGlassReview) == "validation_failed"


def test_a_member_may_name_its_own_code() -> None:
    case = {"reference": "zaak-1", "subjects": [{"bsn": BSN}, {"bsn": 1}]}
    assert _code(json.dumps(case).encode(), NewCase) == "invalid_bsn"


MEMBER = {"bsn": BSN, "birth_date": "1990-01-01", "role": "parent"}
HOUSEHOLD = {"members": [MEMBER], "contact_person": {"professional": "p-1"}}
PAPER = {
    "subject": BSN,
    "purposes": ["support_planning"],
    "categories": ["health"],
    "recipients": {"types": ["wijkteam"]},
    "evidence_reference": "form-1",
}


@pytest.mark.parametrize(
    ("kind", "body", "code"),
    [
        (HouseholdRegistration, HOUSEHOLD, None),
        (HouseholdRegistration, {**HOUSEHOLD, "members": [{**MEMBER, "bsn": 5}]}, "invalid_bsn"),
        (HouseholdRegistration, {**HOUSEHOLD, "members": [{"role": "parent"}]}, "invalid_bsn"),
        (HouseholdRegistration, {**HOUSEHOLD, "members": [{"bsn": BSN}]}, "validation_failed"),
        (HouseholdRegistration, {**HOUSEHOLD, "members": []}, "validation_failed"),
        (HouseholdRegistration, {**HOUSEHOLD, "custody": [{"child": BSN}]}, "invalid_bsn"),
        (HouseholdRegistration, {**HOUSEHOLD, "custody": [{"parent": BSN, "child": {}}]},
         "invalid_bsn"),
        (HouseholdRegistration, {**HOUSEHOLD, "custody": [5]}, "validation_failed"),
        (HouseholdRegistration, {**HOUSEHOLD, "custody": None}, "validation_failed"),
        (HouseholdRegistration,
         {**HOUSEHOLD, "contact_person": {"professional": "p", "organisation": None}},
         "unknown_organisation"),
        (HouseholdRegistration, {"members": [MEMBER]}, "validation_failed"),
        (HouseholdTransfer, {"contact_person": {"professional": "p"}}, "unknown_organisation"),
        (HouseholdTransfer, {"to": 5, "contact_person": {"professional": "p"}},
         "unknown_organisation"),
        (HouseholdTransfer, {"to": "gi"}, "validation_failed"),
        (HouseholdChange, {"change": "member_moved_out", "member": {}}, "invalid_bsn"),
        (HouseholdChange, {"change": "custody_granted", "parent": 5, "child": BSN}, "invalid_bsn"),
        (HouseholdChange, {"change": "custody_granted", "parent": {"bsn": 5}}, "invalid_bsn"),
        (HouseholdChange, {"change": "married"}, "validation_failed"),
        (HouseholdChange, {"change": "member_joined", "at": 5}, "validation_failed"),
        (PaperConsent, PAPER, None),
        (PaperConsent, {**PAPER, "subject": {"bsn": BSN, "name": "x"}}, None),
        (PaperConsent, {k: v for k, v in PAPER.items() if k != "subject"}, "invalid_bsn"),
        (PaperConsent, {**PAPER, "subject": {}}, "invalid_bsn"),
        (PaperConsent, {**PAPER, "given_by": None}, "invalid_bsn"),
        (PaperConsent, {**PAPER, "recipients": {"types": ["wijkteam"], "regions": ["utrecht"]}},
         "validation_failed"),
        (PaperConsent, {**PAPER, "sources": None}, "validation_failed"),
        (PaperConsent, {**PAPER, "regions": None}, "validation_failed"),
        (PaperConsent, {**PAPER, "purposes": ["p"] * 51}, "validation_failed"),
        (PaperConsent, {**PAPER, "decision": None}, "validation_failed"),
        (ConsentWithdrawal, {"evidence_reference": "x", "withdrawn_by": None}, "invalid_bsn"),
        (ConsentWithdrawal, {"evidence_reference": "x", "subject": [BSN]}, "invalid_bsn"),
        (ConsentWithdrawal, {"withdrawn_by": BSN}, "validation_failed"),
    ],
)  # fmt: skip
def test_a_household_or_consent_body_keeps_the_codes_of_its_members(
    kind: type[msgspec.Struct], body: dict[str, Any], code: str | None
) -> None:
    assert _code(json.dumps(body).encode(), kind) == code


def test_a_malformed_bsn_text_is_decided_after_the_shape_as_before() -> None:
    case = {"reference": "zaak-1", "subjects": [{"bsn": "1"}], "x": 1}
    assert _code(json.dumps(case).encode(), NewCase) == "validation_failed"
    assert _code(json.dumps({**VALID, "subject": {"bsn": "12345678x"}}).encode()) is None


def test_the_detail_names_the_member_not_its_value() -> None:
    raw = json.dumps({**VALID, "purpose": 123456789}).encode()
    with pytest.raises(GatewayError) as caught:
        decode_body(raw, ExchangeRequest)
    assert "`$.purpose`" in caught.value.detail and "123456789" not in caught.value.detail


def test_unknown_members_of_a_review_are_ignored_as_before() -> None:
    body = {"verdict": "justified", "note": "ok", "by": "me"}
    assert decode_body(json.dumps(body).encode(), BreakGlassReview).verdict == "justified"


@given(body=exchange_bodies(), ascii_only=st.booleans())
def test_any_exchange_body_is_a_request_or_a_documented_4xx(
    body: dict[str, Any], ascii_only: bool
) -> None:
    raw = json.dumps(body, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    code, value = _outcome(lambda: _checked(decode_body(raw, ExchangeRequest)))
    assert code in {
        "ok",
        "invalid_json",
        "validation_failed",
        "invalid_bsn",
        "unknown_purpose",
        "unknown_category",
        "unknown_source",
        "justification_required",
    }, (code, value)


@given(body=exchange_bodies())
def test_the_fast_path_answers_what_the_full_path_answers(body: dict[str, Any]) -> None:
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")
    fast = _outcome(lambda: decode_body(raw, ExchangeRequest))
    try:
        tree = json.loads(raw)
    except ValueError:
        return  # not JSON at all: both paths answer invalid_json (checked above)
    full = _outcome(lambda: convert_body(tree, ExchangeRequest))
    if full[0] == "ok" and "\\u" not in raw.decode("utf-8", "replace"):
        assert fast == full
    else:
        assert fast[0] == full[0] or fast[0] == "validation_failed"


@given(field=st.sampled_from(FIELDS), value=any_json())
def test_any_json_value_in_any_exchange_field_is_never_a_500(field: str, value: Any) -> None:
    raw = json.dumps({**VALID, field: value}).encode("utf-8", "surrogatepass")
    code, _ = _outcome(lambda: _checked(decode_body(raw, ExchangeRequest)))
    if field == "subject" and code not in ("ok", "validation_failed"):
        assert code == "invalid_bsn"
