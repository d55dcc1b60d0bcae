"""The one table that maps foreign exceptions: outages are 503, bad input is 400, a bug is 500.

Real exception objects of each driver, as they arrive at the problem middleware.
"""

from __future__ import annotations

import sqlite3

import asyncpg
import pytest
from aiohttp import web
from sqlalchemy import exc as sa

from gateway.errors import AuditUnavailable, NotFound, ServiceUnavailable
from gateway.http.problems import as_gateway_error

BSN = "999990019"


def _wrapped(orig: BaseException, kind: type[sa.DBAPIError] = sa.DBAPIError) -> sa.DBAPIError:
    """How SQLAlchemy hands a driver error on: the statement, its parameters, the original."""
    try:
        raise kind("SELECT * FROM t WHERE bsn = $1", (BSN,), orig) from orig
    except sa.DBAPIError as exc:
        return exc


OUTAGES: list[BaseException] = [
    asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle"),
    asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
    asyncpg.exceptions.TooManyConnectionsError("too many clients"),
    asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
    asyncpg.exceptions.InternalClientError("unexpected"),
    sqlite3.OperationalError("database is locked"),
    ConnectionRefusedError(111, "Connection refused"),
    TimeoutError(),
    OSError(28, "No space left on device"),
]


@pytest.mark.parametrize("orig", OUTAGES, ids=lambda e: type(e).__name__)
def test_a_database_outage_is_503_raw_or_wrapped(orig: BaseException) -> None:
    for exc in (orig, _wrapped(orig), _wrapped(orig, sa.OperationalError)):
        error = as_gateway_error(exc)
        assert isinstance(error, ServiceUnavailable) and error.status == 503, exc
        assert error.code == "service_unavailable"
        assert BSN not in error.detail
        assert not str(orig) or str(orig) not in error.detail


def test_an_outage_while_reading_the_audit_log_is_audit_unavailable() -> None:
    error = as_gateway_error(_wrapped(asyncpg.InterfaceError("closed")), audit=True)
    assert isinstance(error, AuditUnavailable) and error.code == "audit_unavailable"


def test_a_disconnect_sqlalchemy_noticed_is_503() -> None:
    exc = sa.DBAPIError("SELECT 1", None, Exception("gone"), connection_invalidated=True)
    assert isinstance(as_gateway_error(exc), ServiceUnavailable)


@pytest.mark.parametrize(
    "orig",
    [
        asyncpg.exceptions.CharacterNotInRepertoireError("invalid byte sequence: 0x00"),
        asyncpg.exceptions.DatetimeFieldOverflowError("date/time field value out of range"),
        sqlite3.DataError("string or blob too big"),
        "a\ud800".encode,  # calling it raises UnicodeEncodeError
    ],
    ids=["nul", "datetime", "sqlite", "surrogate"],
)
def test_bad_input_that_slipped_past_validation_is_400(orig: object) -> None:
    if callable(orig):
        with pytest.raises(UnicodeEncodeError) as caught:
            orig()
        orig = caught.value
    assert isinstance(orig, BaseException)
    for exc in (orig, _wrapped(orig), _wrapped(orig, sa.DataError)):
        error = as_gateway_error(exc)
        assert error is not None and (error.status, error.code) == (400, "bad_request")
        assert BSN not in error.detail


def _bug_during_outage() -> None:
    try:
        raise ConnectionResetError("reset")
    except ConnectionResetError:
        raise KeyError("a bug in the handler")  # noqa: B904  # the implicit context matters


def test_a_bug_stays_a_bug_even_while_handling_an_outage() -> None:
    with pytest.raises(KeyError) as caught:
        _bug_during_outage()
    assert isinstance(caught.value.__context__, ConnectionResetError)
    assert as_gateway_error(caught.value) is None


def test_an_explicit_cause_is_followed() -> None:
    with pytest.raises(RuntimeError) as caught:
        raise RuntimeError("wrapper") from asyncpg.InterfaceError("closed")
    assert isinstance(as_gateway_error(caught.value), ServiceUnavailable)


def test_aiohttp_answers_become_problems() -> None:
    assert isinstance(as_gateway_error(web.HTTPNotFound()), NotFound)
    error = as_gateway_error(web.HTTPMethodNotAllowed("DELETE", ["GET", "POST"]))
    assert error is not None and error.status == 405 and "GET, POST" in error.detail
    assert as_gateway_error(ValueError("unexpected")) is None
