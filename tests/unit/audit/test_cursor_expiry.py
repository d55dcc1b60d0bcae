"""Cursors with an end (the household's access log): refused after it, and a query that
asks for an end refuses a cursor without one (so an unending cursor cannot stand in)."""

from __future__ import annotations

import time

import pytest

from gateway.audit.query import CursorCodec
from gateway.errors import InvalidCursor

CODEC = CursorCodec.from_secret(b"k" * 32)
BINDING = CODEC.binding("subject", ["ps_a"], False, [["ps_b"], ["reporter_identity"], "s1", None])


def test_a_cursor_works_until_its_end_and_not_after() -> None:
    now = time.time()
    cursor = CODEC.encode(BINDING, 42, expires_at=int(now) + 60)
    assert CODEC.decode(cursor, BINDING, now=now) == 42
    with pytest.raises(InvalidCursor):
        CODEC.decode(cursor, BINDING, now=now + 61)


def test_a_query_that_needs_an_end_refuses_a_cursor_without_one() -> None:
    plain = CODEC.encode(BINDING, 42)
    assert CODEC.decode(plain, BINDING) == 42  # the officer's queries: no end needed
    with pytest.raises(InvalidCursor):
        CODEC.decode(plain, BINDING, now=time.time())


def test_an_end_cannot_be_moved_without_breaking_the_mac() -> None:
    cursor = CODEC.encode(BINDING, 42, expires_at=int(time.time()) - 1)
    _, _, mac = cursor.partition(".")
    later = CODEC.encode(BINDING, 42, expires_at=int(time.time()) + 3600).partition(".")[0]
    with pytest.raises(InvalidCursor):
        CODEC.decode(f"{later}.{mac}", BINDING, now=time.time())
    with pytest.raises(InvalidCursor):
        CODEC.decode(cursor, BINDING, now=time.time())


def test_a_cursor_of_another_session_is_refused() -> None:
    cursor = CODEC.encode(BINDING, 42, expires_at=int(time.time()) + 60)
    other = CODEC.binding("subject", ["ps_a"], False, [["ps_b"], ["reporter_identity"], "s2", None])
    with pytest.raises(InvalidCursor):
        CODEC.decode(cursor, other, now=time.time())
