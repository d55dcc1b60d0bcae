"""BSN validation (elfproef) and keyed pseudonyms."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.errors import InvalidBsn
from gateway.http.subjects import Pseudonymiser, is_valid_bsn, validate_bsn

SECRET = b"k" * 32


@pytest.mark.parametrize("bsn", ["999990007", "999990019", "999991012"])
def test_synthetic_bsns_pass(bsn: str) -> None:
    assert is_valid_bsn(bsn)


@pytest.mark.parametrize(
    "bsn",
    ["999990018", "12345678", "1234567890", "00000000a", "000000000", "\uff19" * 9, ""],
)
def test_invalid_bsns_fail(bsn: str) -> None:
    assert not is_valid_bsn(bsn)
    with pytest.raises(InvalidBsn):
        validate_bsn(bsn)


def test_non_string_is_invalid() -> None:
    with pytest.raises(InvalidBsn):
        validate_bsn(999990019)


@given(st.from_regex(r"\A[0-9]{8}\Z"))
def test_exactly_one_check_digit_or_none_completes_eight_digits(prefix: str) -> None:
    valid = [d for d in "0123456789" if is_valid_bsn(prefix + d)]
    assert len(valid) <= 1


def test_pseudonym_is_stable_keyed_and_hides_the_bsn() -> None:
    one, other = Pseudonymiser(SECRET), Pseudonymiser(b"x" * 32)
    assert one.pseudonym("999990019") == one.pseudonym("999990019")
    assert one.pseudonym("999990019") != one.pseudonym("999991012")
    assert one.pseudonym("999990019") != other.pseudonym("999990019")
    assert "999990019" not in one.pseudonym("999990019")


def test_pseudonymiser_refuses_short_secret() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Pseudonymiser(b"short")
