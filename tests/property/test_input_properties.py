"""Whatever a client sends in a date-time, date or cursor, the parser answers a value or
a 4xx problem: never another exception (which would be a 500)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from strategies import HOSTILE_CHARACTERS, any_json, date_time_texts

from gateway.api.parsing import birth_date, date_time
from gateway.audit.query import CursorCodec, parse_filters
from gateway.errors import GatewayError, InvalidCursor, InvalidFilter, ValidationFailed
from gateway.http.inputs import EARLIEST, LATEST, clean_text


def _outcome(parse: Callable[[], object]) -> tuple[object, GatewayError | None]:
    """What `parse` returned, or the problem it raised (anything else propagates: a 500)."""
    try:
        return parse(), None
    except GatewayError as exc:
        return None, exc


@given(value=date_time_texts() | any_json())
def test_any_value_in_a_consent_date_time_field_is_a_utc_time_or_validation_failed(
    value: object,
) -> None:
    parsed, error = _outcome(lambda: date_time(value, "valid_until"))
    if error is not None:
        assert isinstance(error, ValidationFailed) and "valid_until" in error.detail
        return
    if value is None:
        assert parsed is None
        return
    assert isinstance(parsed, datetime) and parsed.tzinfo is UTC
    assert isinstance(parsed, datetime) and EARLIEST - 1 <= parsed.year <= LATEST + 1
    assert parsed + timedelta(days=365 * 100) > parsed  # room for any period the gateway adds


@given(value=date_time_texts() | any_json())
def test_any_value_as_a_birth_date_is_a_date_or_validation_failed(value: object) -> None:
    try:
        parsed = birth_date(value)
    except ValidationFailed:
        return
    assert EARLIEST <= parsed.year <= LATEST


@given(name=st.sampled_from(["from", "to"]), text=date_time_texts())
def test_any_text_as_an_audit_time_filter_is_a_utc_time_or_invalid_filter(
    name: str, text: str
) -> None:
    try:
        filters = parse_filters({name: text}, pseudonym=str, organisations=())
    except InvalidFilter:
        return
    value = filters.since if name == "from" else filters.until
    assert isinstance(value, datetime) and value.utcoffset() == timedelta(0)


@given(
    cursor=st.text(HOSTILE_CHARACTERS, max_size=200)
    | st.from_regex(r"[A-Za-z0-9_-]{1,60}\.[\x00-\xff]{0,30}")
)
def test_any_text_as_a_cursor_is_a_position_or_invalid_cursor(cursor: str) -> None:
    codec = CursorCodec.from_secret(b"k" * 32)
    try:
        seq = codec.decode(cursor, codec.binding("search"))
    except InvalidCursor:
        return
    assert isinstance(seq, int) and seq >= 1


@given(text=st.text(HOSTILE_CHARACTERS, max_size=60))
def test_clean_text_is_storable_text(text: str) -> None:
    if clean_text(text, 60):
        text.encode("utf-8")  # no lone surrogate
        assert "\x00" not in text and "\ufffd" not in text


@given(value=any_json())
def test_a_gateway_error_is_the_only_way_parsing_fails(value: object) -> None:
    for parse in (lambda: date_time(value, "at"), lambda: birth_date(value)):
        _, error = _outcome(parse)
        assert error is None or 400 <= error.status < 500
