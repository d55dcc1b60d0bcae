"""One error boundary: every domain error of `consent`, `policies` and `adapters` either
has its row in `gateway.http.problems` or is named there as never crossing it.

Raised inside a handler, each mapped error reads as today's problem: the same status,
code and detail as when every call site wrapped it (`consent_errors()`, now gone).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web

import adapters
import consent
import policies
from adapters.errors import SourceUnavailable
from consent import errors as ce
from gateway.http.middlewares import problems
from gateway.http.problems import DOMAIN_ROWS, NEVER_CROSSES

#: Exceptions outside the packages' error modules, and why they stay where they are.
ELSEWHERE = {
    "adapters.reference.jwks.TokenRejectedError": (
        "raised and answered inside the reference source servers (adapters/reference), "
        "which the gateway only runs as their own aiohttp apps"
    ),
}

PRIVATE = "org_hidden hh_secret ps_person"  # words a domain message must not pass on

#: (exception, status, code, detail): today's answers, written out independently of the table.
EXPECTED: list[tuple[BaseException, int, str, str]] = [
    (ce.HouseholdNotFoundError(PRIVATE), 404, "not_found", "Not found"),
    (ce.ConsentNotFoundError(PRIVATE), 404, "not_found", "Not found"),
    (ce.CaseNotFoundError(PRIVATE), 404, "not_found", "Not found"),
    (
        ce.ConsentAlreadyWithdrawnError(PRIVATE),
        409,
        "consent_already_withdrawn",
        "This consent was already withdrawn",
    ),
    (ce.ConsentNotActiveError("consent is superseded"), 409, "conflict", "consent is superseded"),
    (
        ce.NoCustodyError(PRIVATE),
        403,
        "no_custody",
        "The person acting for the child has no custody of it",
    ),
    (
        ce.InvalidValidityError("valid_until must be after valid_from"),
        400,
        "invalid_validity",
        "valid_until must be after valid_from",
    ),
    (
        ce.InvalidHouseholdError("a child needs a parent"),
        400,
        "validation_failed",
        "a child needs a parent",
    ),
    (
        ce.InvalidCaseError("`reference` is not valid"),
        400,
        "validation_failed",
        "`reference` is not valid",
    ),
    (
        ce.CaseAlreadyClosedError(PRIVATE),
        409,
        "case_already_closed",
        "This case was already closed",
    ),
    (
        ce.CaseReferenceInUseError(PRIVATE),
        409,
        "case_reference_in_use",
        "An open case of this organisation has this reference",
    ),
    (
        ce.RegiehouderExistsError(PRIVATE),
        409,
        "regiehouder_exists",
        "A person in this request already has a regiehouder; only a hand-over by that "
        "regiehouder changes it",
    ),
    (
        ce.NotRegiehouderError(PRIVATE),
        403,
        "not_regiehouder",
        "Only the household's regiehouder may do this",
    ),
    (
        ce.WithdrawalNotPermittedError(PRIVATE),
        403,
        "withdrawal_not_permitted",
        "Only the person it is about, a custody holder of that person, or the "
        "organisation that recorded it may withdraw this consent",
    ),
    (
        ce.CustodyNotConfirmedError("the register does not confirm this custody"),
        422,
        "custody_not_confirmed",
        "the register does not confirm this custody",
    ),
    (
        ce.PersonNotConfirmedError("the register does not confirm this person"),
        422,
        "person_not_confirmed",
        "the register does not confirm this person",
    ),
    (
        ce.CustodyRegisterUnavailableError("timeout"),
        503,
        "custody_register_unavailable",
        "The custody register cannot be reached; nothing was written",
    ),
    (
        SourceUnavailable("org_hidden", "timeout"),
        503,
        "service_unavailable",
        "A source system cannot be reached; no data released",
    ),
]


def _defined_exceptions() -> dict[str, type[BaseException]]:
    """Every exception class a module of consent, policies or adapters defines."""
    found: dict[str, type[BaseException]] = {}
    for package in (consent, policies, adapters):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            module = importlib.import_module(info.name)
            for obj in vars(module).values():
                if (
                    inspect.isclass(obj)
                    and issubclass(obj, BaseException)
                    and obj.__module__ == module.__name__
                ):
                    found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


def test_every_domain_error_is_mapped_or_named_as_never_crossing() -> None:
    mapped = {cls for cls, _ in DOMAIN_ROWS}
    assert not mapped & set(NEVER_CROSSES), "a class is both mapped and said never to cross"
    for name, cls in _defined_exceptions().items():
        if cls.__module__.endswith(".errors"):
            assert cls in mapped or cls in NEVER_CROSSES, f"{name} has no row in the table"
        else:
            assert name in ELSEWHERE, f"{name}: map it, or say why it never crosses"
    for reason in [*NEVER_CROSSES.values(), *ELSEWHERE.values()]:
        assert reason.strip()


def test_every_mapped_class_has_its_expected_answer_here() -> None:
    assert {cls for cls, _ in DOMAIN_ROWS} == {type(exc) for exc, *_ in EXPECTED}


def _app(raise_it: Callable[[], None]) -> web.Application:
    async def handler(_request: web.Request) -> web.Response:
        raise_it()
        return web.Response()

    app = web.Application(middlewares=[problems])
    app.router.add_get("/boom", handler)
    return app


@pytest.mark.parametrize(
    ("exc", "status", "code", "detail"), EXPECTED, ids=[type(e[0]).__name__ for e in EXPECTED]
)
async def test_a_domain_error_raised_in_a_handler_is_its_problem(
    aiohttp_client: Any,
    exc: BaseException,
    status: int,
    code: str,
    detail: str,
) -> None:
    def raise_it() -> None:
        raise exc

    client = await aiohttp_client(_app(raise_it))
    response = await client.get("/boom")
    body = await response.json(content_type="application/problem+json")
    assert (response.status, body["code"], body["detail"]) == (status, code, detail)
    for word in PRIVATE.split():
        assert word not in body["detail"]
