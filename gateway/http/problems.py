"""The one boundary where foreign exceptions become the gateway's problems.

One table, read top to bottom, first match wins. The problem middleware asks
`as_gateway_error` about every exception that escapes a handler; nothing else in
the code base wraps driver errors at its call sites. An exception that matches no
row is unexpected: the middleware answers 500 `internal_error`.

    exception (or what it wraps: SQLAlchemy's `.orig`, the `raise ... from` cause)
      GatewayError                                  itself
      aiohttp HTTPNotFound / HTTPMethodNotAllowed   404 not_found / 405 method_not_allowed
      aiohttp HTTPRequestEntityTooLarge             413 payload_too_large
      SQLAlchemy DataError, asyncpg DataError,
        sqlite3.DataError, UnicodeError            400 bad_request (bad input that slipped
                                                    past validation; nothing was written)
      SQLAlchemy OperationalError / InterfaceError /
        pool TimeoutError / DBAPIError with a
        disconnect, asyncpg's connection, operator
        intervention (a terminated backend) and
        resource errors, asyncpg InterfaceError,
        sqlite3.OperationalError, OSError,
        TimeoutError                                503 service_unavailable
                                                    (audit_unavailable under /api/v1/audit)
      AuditEntryUnreadable (a rewritten audit row)  503 audit_unavailable

No problem detail quotes the exception: driver messages can hold the statement's
parameters, and so personal data.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
from aiohttp import web
from sqlalchemy import exc as sa

from consent import (
    CaseAlreadyClosedError,
    CaseNotFoundError,
    CaseReferenceInUseError,
    ConsentAlreadyWithdrawnError,
    ConsentNotActiveError,
    ConsentNotFoundError,
    CustodyNotConfirmedError,
    CustodyRegisterUnavailableError,
    HouseholdNotFoundError,
    InvalidCaseError,
    InvalidHouseholdError,
    InvalidValidityError,
    NoCustodyError,
    NotRegiehouderError,
    PersonNotConfirmedError,
    RegiehouderExistsError,
    WithdrawalNotPermittedError,
)
from gateway.errors import (
    AuditEntryUnreadable,
    AuditUnavailable,
    BadRequest,
    CaseAlreadyClosed,
    CaseReferenceInUse,
    Conflict,
    ConsentAlreadyWithdrawn,
    CustodyNotConfirmed,
    CustodyRegisterUnavailable,
    GatewayError,
    InvalidValidity,
    MethodNotAllowed,
    NoCustody,
    NotFound,
    NotRegiehouder,
    PayloadTooLarge,
    PersonNotConfirmed,
    RegiehouderExists,
    ServiceUnavailable,
    ValidationFailed,
    WithdrawalNotPermitted,
)

__all__ = ["FOREIGN_EXCEPTIONS", "as_gateway_error", "consent_errors"]

_UNAVAILABLE = "Database unavailable; no data released"


def _unavailable(_exc: BaseException, audit: bool) -> GatewayError:
    if audit:
        return AuditUnavailable("Audit log unavailable; no data released")
    return ServiceUnavailable(_UNAVAILABLE)


def _audit_unreadable(_exc: BaseException, _audit: bool) -> GatewayError:
    return AuditUnavailable("An audit entry cannot be read; run `gateway audit verify`")


def _bad_input(_exc: BaseException, _audit: bool) -> GatewayError:
    return BadRequest("A value in the request cannot be stored or compared")


def _not_found(_exc: BaseException, _audit: bool) -> GatewayError:
    return NotFound("No such resource")


def _method_not_allowed(exc: BaseException, _audit: bool) -> GatewayError:
    allowed = sorted(exc.allowed_methods) if isinstance(exc, web.HTTPMethodNotAllowed) else []
    return MethodNotAllowed(f"Allowed: {', '.join(allowed)}")


def _too_large(_exc: BaseException, _audit: bool) -> GatewayError:
    return PayloadTooLarge("Request body is too large")


def _disconnect(exc: BaseException) -> bool:
    return isinstance(exc, sa.DBAPIError) and exc.connection_invalidated


Mapper = Callable[[BaseException, bool], GatewayError]
Match = type[BaseException] | Callable[[BaseException], bool]

FOREIGN_EXCEPTIONS: tuple[tuple[Match, Mapper], ...] = (
    (web.HTTPNotFound, _not_found),
    (web.HTTPMethodNotAllowed, _method_not_allowed),
    (web.HTTPRequestEntityTooLarge, _too_large),
    (AuditEntryUnreadable, _audit_unreadable),  # before UnicodeError: a ValueError too
    (sa.DataError, _bad_input),
    (asyncpg.DataError, _bad_input),
    (sqlite3.DataError, _bad_input),
    (UnicodeError, _bad_input),
    (_disconnect, _unavailable),
    (sa.OperationalError, _unavailable),
    (sa.InterfaceError, _unavailable),
    (sa.TimeoutError, _unavailable),
    (asyncpg.PostgresConnectionError, _unavailable),
    (asyncpg.exceptions.OperatorInterventionError, _unavailable),
    (asyncpg.exceptions.InsufficientResourcesError, _unavailable),
    (asyncpg.InterfaceError, _unavailable),
    (asyncpg.exceptions.InternalClientError, _unavailable),
    (sqlite3.OperationalError, _unavailable),
    (OSError, _unavailable),  # ConnectionError, TimeoutError (the pool's, the driver's)
)
"""(exception class or predicate, mapper), first match wins."""


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc`, then what it wraps: SQLAlchemy's `.orig` and the explicit cause (not the
    implicit context: a bug raised while handling an outage stays a bug)."""
    seen: set[int] = set()
    todo = [exc]
    while todo and len(seen) < 8:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        for nxt in (orig, current.__cause__):
            if isinstance(nxt, BaseException):
                todo.append(nxt)


def _matches(row: Match, exc: BaseException) -> bool:
    if isinstance(row, type):
        return isinstance(exc, row)
    return row(exc)


def as_gateway_error(exc: BaseException, *, audit: bool = False) -> GatewayError | None:
    """The problem for `exc`, or None when it is unexpected (then: 500 internal_error).

    `audit` says the request was for the audit log, so an outage reads `audit_unavailable`.
    """
    if isinstance(exc, GatewayError):
        return exc
    for current in _chain(exc):
        if isinstance(current, GatewayError):
            return current
        for row, mapper in FOREIGN_EXCEPTIONS:
            if _matches(row, current):
                return mapper(current, audit)
    return None


@contextlib.contextmanager
def consent_errors() -> Iterator[None]:
    """Turn the consent package's errors into the gateway's problems."""
    try:
        yield
    except (HouseholdNotFoundError, ConsentNotFoundError, CaseNotFoundError):
        raise NotFound("Not found") from None
    except ConsentAlreadyWithdrawnError:
        raise ConsentAlreadyWithdrawn("This consent was already withdrawn") from None
    except ConsentNotActiveError as exc:
        raise Conflict(str(exc)) from None
    except NoCustodyError:
        raise NoCustody("The person acting for the child has no custody of it") from None
    except InvalidValidityError as exc:
        raise InvalidValidity(str(exc)) from None
    except (InvalidHouseholdError, InvalidCaseError) as exc:
        raise ValidationFailed(str(exc)) from None
    except CaseAlreadyClosedError:
        raise CaseAlreadyClosed("This case was already closed") from None
    except CaseReferenceInUseError:
        raise CaseReferenceInUse("An open case of this organisation has this reference") from None
    except RegiehouderExistsError:
        # Never says which organisation or household: that is itself personal data.
        raise RegiehouderExists(
            "A person in this request already has a regiehouder; only a hand-over by that "
            "regiehouder changes it"
        ) from None
    except NotRegiehouderError:
        raise NotRegiehouder("Only the household's regiehouder may do this") from None
    except WithdrawalNotPermittedError:
        raise WithdrawalNotPermitted(
            "Only the person it is about, a custody holder of that person, or the "
            "organisation that recorded it may withdraw this consent"
        ) from None
    except CustodyNotConfirmedError as exc:
        raise CustodyNotConfirmed(str(exc)) from None
    except PersonNotConfirmedError as exc:
        raise PersonNotConfirmed(str(exc)) from None
    except CustodyRegisterUnavailableError:
        raise CustodyRegisterUnavailable(
            "The custody register cannot be reached; nothing was written"
        ) from None
