"""The one boundary where foreign exceptions become the gateway's problems.

One table, read top to bottom, first match wins. The problem middleware asks
`as_gateway_error` about every exception that escapes a handler; nothing else in
the code base wraps driver errors at its call sites. An exception that matches no
row is unexpected: the middleware answers 500 `internal_error`.

    exception (or what it wraps: SQLAlchemy's `.orig`, the `raise ... from` cause)
      GatewayError                                  itself
      aiohttp HTTPNotFound / HTTPMethodNotAllowed   404 not_found / 405 method_not_allowed
      aiohttp HTTPRequestEntityTooLarge             413 payload_too_large
      consent HouseholdNotFound / ConsentNotFound /
        CaseNotFound                                404 not_found
      consent ConsentAlreadyWithdrawn               409 consent_already_withdrawn
      consent ConsentNotActive                      409 conflict
      consent NoCustody                             403 no_custody
      consent InvalidValidity                       400 invalid_validity
      consent InvalidHousehold / InvalidCase        400 validation_failed
      consent CaseAlreadyClosed                     409 case_already_closed
      consent CaseReferenceInUse                    409 case_reference_in_use
      consent RegiehouderExists                     409 regiehouder_exists (fixed text: never
                                                    which organisation or household)
      consent NotRegiehouder                        403 not_regiehouder
      consent WithdrawalNotPermitted                403 withdrawal_not_permitted
      consent CustodyNotConfirmed                   422 custody_not_confirmed
      consent PersonNotConfirmed                    422 person_not_confirmed
      consent CustodyRegisterUnavailable            503 custody_register_unavailable
      adapters SourceUnavailable                    503 service_unavailable
      AuditEntryUnreadable (a rewritten audit row)  503 audit_unavailable
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

`NEVER_CROSSES` names the domain errors that have no row, and why (start-up only, or
a base class never raised itself).

No problem detail quotes a foreign exception: driver messages can hold the statement's
parameters, and so personal data. Only the consent package's own messages, written for
clients without personal data, are passed on where today's answers show them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
from aiohttp import web
from sqlalchemy import exc as sa

from adapters.errors import AdapterConfigError, AdapterError, MappingError, SourceUnavailable
from consent import (
    CaseAlreadyClosedError,
    CaseNotFoundError,
    CaseReferenceInUseError,
    ConsentAlreadyWithdrawnError,
    ConsentError,
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
from policies import PolicyError, PolicyLoadError

__all__ = ["DOMAIN_ERRORS", "FOREIGN_EXCEPTIONS", "NEVER_CROSSES", "as_gateway_error"]

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


def _fixed(problem: type[GatewayError], detail: str) -> Mapper:
    """Always `detail`: the exception's own words are not shown (or say too much)."""

    def mapper(_exc: BaseException, _audit: bool) -> GatewayError:
        return problem(detail)

    return mapper


def _own_words(problem: type[GatewayError]) -> Mapper:
    """The domain error's message as the detail: the consent package writes those for
    clients (field names and rules, never personal data; `consent/errors.py`)."""

    def mapper(exc: BaseException, _audit: bool) -> GatewayError:
        return problem(str(exc))

    return mapper


_NOT_FOUND = _fixed(NotFound, "Not found")

#: The domain errors of `consent` and `adapters` a handler may let escape (no call site
#: wraps them any more). Fixed texts where the exception's words would say more than
#: the caller may know.
DOMAIN_ROWS: tuple[tuple[type[BaseException], Mapper], ...] = (
    (HouseholdNotFoundError, _NOT_FOUND),
    (ConsentNotFoundError, _NOT_FOUND),
    (CaseNotFoundError, _NOT_FOUND),  # another organisation's case too: no existence leak
    (
        ConsentAlreadyWithdrawnError,
        _fixed(ConsentAlreadyWithdrawn, "This consent was already withdrawn"),
    ),
    (ConsentNotActiveError, _own_words(Conflict)),
    (NoCustodyError, _fixed(NoCustody, "The person acting for the child has no custody of it")),
    (InvalidValidityError, _own_words(InvalidValidity)),
    (InvalidHouseholdError, _own_words(ValidationFailed)),
    (InvalidCaseError, _own_words(ValidationFailed)),
    (CaseAlreadyClosedError, _fixed(CaseAlreadyClosed, "This case was already closed")),
    (
        CaseReferenceInUseError,
        _fixed(CaseReferenceInUse, "An open case of this organisation has this reference"),
    ),
    (
        # Never says which organisation or household: that is itself personal data.
        RegiehouderExistsError,
        _fixed(
            RegiehouderExists,
            "A person in this request already has a regiehouder; only a hand-over by that "
            "regiehouder changes it",
        ),
    ),
    (NotRegiehouderError, _fixed(NotRegiehouder, "Only the household's regiehouder may do this")),
    (
        WithdrawalNotPermittedError,
        _fixed(
            WithdrawalNotPermitted,
            "Only the person it is about, a custody holder of that person, or the "
            "organisation that recorded it may withdraw this consent",
        ),
    ),
    (CustodyNotConfirmedError, _own_words(CustodyNotConfirmed)),
    (PersonNotConfirmedError, _own_words(PersonNotConfirmed)),
    (
        CustodyRegisterUnavailableError,
        _fixed(
            CustodyRegisterUnavailable,
            "The custody register cannot be reached; nothing was written",
        ),
    ),
    (
        # Sources fail per item (the registry) and the register as above; one that
        # escapes a handler anyway is an outage of that source, not a bug of the caller's.
        SourceUnavailable,
        _fixed(ServiceUnavailable, "A source system cannot be reached; no data released"),
    ),
)

#: Domain errors that never reach a handler's caller, and why. With `DOMAIN_ROWS` this
#: names every exception class `consent`, `policies` and `adapters` define (a test checks).
NEVER_CROSSES: Mapping[type[BaseException], str] = {
    ConsentError: "a base class: only its subclasses are raised, each has its row",
    AdapterError: "a base class: only its subclasses are raised",
    AdapterConfigError: "start-up only: `exchange_context` turns it into a SettingsError",
    MappingError: "start-up only (an AdapterConfigError)",
    PolicyError: "a base class: only PolicyLoadError is raised",
    PolicyLoadError: "start-up and `gateway policy` only: `PolicyStore.reload` never raises",
}

#: Errors whose 4xx problem is an expected answer, not an incident (not logged as one).
DOMAIN_ERRORS: tuple[type[BaseException], ...] = (ConsentError, AdapterError, PolicyError)

FOREIGN_EXCEPTIONS: tuple[tuple[Match, Mapper], ...] = (
    (web.HTTPNotFound, _not_found),
    (web.HTTPMethodNotAllowed, _method_not_allowed),
    (web.HTTPRequestEntityTooLarge, _too_large),
    *DOMAIN_ROWS,
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
