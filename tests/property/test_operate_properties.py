"""The operator's side under any input: a JWK is a registrable public key or a
`SettingsError` (never another exception), a JWKS body is keys or `invalid`, a refresh
interval stays in its bounds, and a metrics label never leaves its set."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import hostile_jwks

from gateway.auth.jwks_remote import JwksPolicy, RemoteJwks, _FetchFailed, _max_age, _parse_jwks
from gateway.auth.organisations import ALLOWED_ALGORITHMS, public_key
from gateway.errors import SettingsError
from gateway.metrics import OTHER, closed


@settings(max_examples=300, deadline=None)
@given(hostile_jwks())
def test_a_jwk_is_an_allowed_public_key_or_a_settings_error(jwk: dict[str, object]) -> None:
    try:
        key = public_key(jwk, "test")
    except SettingsError:
        return
    assert key.algorithm_name in ALLOWED_ALGORITHMS
    assert not {"d", "k"} & set(jwk)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=200), st.lists(hostile_jwks(), max_size=3).map(
    lambda keys: json.dumps({"keys": keys}).encode()
)))  # fmt: skip
def test_a_jwks_body_is_keys_or_invalid(body: bytes) -> None:
    try:
        keys = _parse_jwks(body, "org")
    except _FetchFailed as failed:
        outcome = failed.outcome
    else:
        outcome = "ok"
        assert all(key.algorithm_name in ALLOWED_ALGORITHMS for key in keys.values())
    assert outcome in ("ok", "invalid")


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=80),
    st.floats(min_value=0.1, max_value=100.0),
    st.floats(min_value=0.0, max_value=1000.0),
)
def test_the_refresh_interval_stays_within_its_bounds(
    cache_control: str, low: float, extra: float
) -> None:
    remote = RemoteJwks(JwksPolicy(refresh_min_seconds=low, refresh_max_seconds=low + extra))
    wait = remote._bounded(_max_age(cache_control))
    assert low <= wait <= low + extra


@given(st.text(max_size=40), st.frozensets(st.text(max_size=10), max_size=5))
def test_a_label_is_in_its_set_or_other(value: str, allowed: frozenset[str]) -> None:
    label = closed(value, allowed)
    assert label in allowed or label == OTHER
