"""Every error the gateway reports, with a stable machine-readable `code`.

A leaf module (imports nothing from the project) so any part can raise these
without import loops. The problem middleware renders each as RFC 9457
`application/problem+json`; anything that is not a `GatewayError` becomes a
500 `internal_error` without details. Codes never change once published;
ARCHITECTURE.md lists them and a test keeps them unique.
Longer than most modules because it is the whole tree, one small class per code: split,
the tree below could no longer be read as one picture.

    GatewayError
    ├── BadRequest (400)
    │   ├── InvalidJson               invalid_json
    │   ├── ValidationFailed          validation_failed
    │   ├── InvalidBsn                invalid_bsn
    │   ├── UnknownPurpose            unknown_purpose
    │   ├── UnknownCategory           unknown_category
    │   ├── UnknownSource             unknown_source
    │   ├── UnknownOrganisation       unknown_organisation
    │   ├── InvalidValidity           invalid_validity
    │   ├── JustificationRequired     justification_required
    │   ├── InvalidFilter             invalid_filter
    │   └── InvalidCursor             invalid_cursor
    ├── Unauthenticated (401)
    │   ├── TokenMissing              token_missing
    │   ├── TokenInvalid              token_invalid
    │   ├── TokenExpired              token_expired
    │   ├── TokenReplayed             token_replayed
    │   ├── UnknownIssuer             unknown_issuer
    │   ├── UnknownKey                unknown_key
    │   └── ClientCertificateMismatch client_certificate_mismatch
    ├── Forbidden (403)
    │   ├── CsrfTokenInvalid          csrf_token_invalid
    │   ├── RoleRequired              role_required
    │   ├── RoleNotAllowed            role_not_allowed
    │   ├── NotRegiehouder            not_regiehouder
    │   ├── NoCustody                 no_custody
    │   └── WithdrawalNotPermitted    withdrawal_not_permitted
    ├── NotFound (404)                not_found
    ├── MethodNotAllowed (405)        method_not_allowed
    ├── Conflict (409)
    │   ├── ConsentAlreadyWithdrawn   consent_already_withdrawn
    │   ├── CaseAlreadyClosed         case_already_closed
    │   ├── CaseReferenceInUse        case_reference_in_use
    │   └── RegiehouderExists         regiehouder_exists
    ├── PayloadTooLarge (413)         payload_too_large
    ├── UnsupportedMediaType (415)    unsupported_media_type
    ├── Unprocessable (422)           unprocessable_content
    │   ├── AggregatesOnlyPurpose     aggregates_only_purpose
    │   ├── PolicyInvalid             policy_invalid
    │   ├── TooManyRules              too_many_rules
    │   ├── SimulationPeriodTooLong   simulation_period_too_long
    │   └── TooManyDecisions          too_many_decisions
    │   ├── CustodyNotConfirmed       custody_not_confirmed
    │   └── PersonNotConfirmed        person_not_confirmed
    ├── RateLimited (429)             rate_limited
    ├── InternalError (500)           internal_error
    └── ServiceUnavailable (503)      service_unavailable
        ├── AuditUnavailable          audit_unavailable
        └── CustodyRegisterUnavailable custody_register_unavailable
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

__all__ = [
    "AggregatesOnlyPurpose",
    "AuditEntryUnreadable",
    "AuditUnavailable",
    "BadRequest",
    "CaseAlreadyClosed",
    "CaseReferenceInUse",
    "Conflict",
    "ConsentAlreadyWithdrawn",
    "CsrfTokenInvalid",
    "CustodyNotConfirmed",
    "CustodyRegisterUnavailable",
    "Forbidden",
    "GatewayError",
    "InternalError",
    "InvalidBsn",
    "InvalidCursor",
    "InvalidFilter",
    "InvalidJson",
    "InvalidValidity",
    "JustificationRequired",
    "MethodNotAllowed",
    "NoCustody",
    "NotFound",
    "NotRegiehouder",
    "PayloadTooLarge",
    "PersonNotConfirmed",
    "PolicyInvalid",
    "RateLimited",
    "RegiehouderExists",
    "RoleNotAllowed",
    "RoleRequired",
    "ServiceUnavailable",
    "SettingsError",
    "SimulationPeriodTooLong",
    "TokenExpired",
    "TokenInvalid",
    "TokenMissing",
    "TokenReplayed",
    "TooManyDecisions",
    "TooManyRules",
    "Unauthenticated",
    "UnknownCategory",
    "UnknownIssuer",
    "UnknownKey",
    "UnknownOrganisation",
    "UnknownPurpose",
    "UnknownSource",
    "Unprocessable",
    "UnsupportedMediaType",
    "ValidationFailed",
    "WithdrawalNotPermitted",
    "all_error_classes",
    "naming_valid_values",
]

#: Where an organisation finds every valid purpose, category, role and organisation type.
VOCABULARY_PATH = "/api/v1/vocabulary"


class GatewayError(Exception):
    """Base of all errors shown to a client. `detail` must never hold personal data."""

    code: ClassVar[str] = "internal_error"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra  # extra problem members, e.g. {"errors": [...]}


class BadRequest(GatewayError):
    code, status, title = "bad_request", 400, "Bad request"


class InvalidJson(BadRequest):
    code, title = "invalid_json", "Request body is not valid JSON"


class ValidationFailed(BadRequest):
    code, title = "validation_failed", "Request does not match the schema"


class InvalidBsn(BadRequest):
    code, title = "invalid_bsn", "BSN is not valid"


class UnknownPurpose(BadRequest):
    code, title = "unknown_purpose", "Unknown purpose"


class UnknownCategory(BadRequest):
    code, title = "unknown_category", "Unknown data category"


class UnknownSource(BadRequest):
    code, title = "unknown_source", "Unknown source organisation"


class UnknownOrganisation(BadRequest):
    code, title = "unknown_organisation", "Unknown organisation"


class InvalidValidity(BadRequest):
    code, title = "invalid_validity", "Validity period is not valid"


class JustificationRequired(BadRequest):
    code, title = "justification_required", "Break-the-glass needs a justification"


class InvalidFilter(BadRequest):
    code, title = "invalid_filter", "Filter value is not valid"


class InvalidCursor(BadRequest):
    code, title = "invalid_cursor", "Cursor is not valid for this query"


class Unauthenticated(GatewayError):
    code, status, title = "unauthenticated", 401, "Authentication required"


class TokenMissing(Unauthenticated):
    code, title = "token_missing", "No bearer token"


class TokenInvalid(Unauthenticated):
    code, title = "token_invalid", "Token is not valid"


class TokenExpired(Unauthenticated):
    code, title = "token_expired", "Token has expired"


class TokenReplayed(Unauthenticated):
    code, title = "token_replayed", "Token was already used"


class UnknownIssuer(Unauthenticated):
    code, title = "unknown_issuer", "Token issuer is not a registered organisation"


class UnknownKey(Unauthenticated):
    code, title = "unknown_key", "Token key id is not registered for the issuer"


class ClientCertificateMismatch(Unauthenticated):
    code, title = (
        "client_certificate_mismatch",
        "Client certificate is not one the token's issuer registered",
    )


class Forbidden(GatewayError):
    code, status, title = "forbidden", 403, "Forbidden"


class CsrfTokenInvalid(Forbidden):
    code, title = "csrf_token_invalid", "The form's CSRF token is missing or wrong"


class RoleRequired(Forbidden):
    code, title = "role_required", "The caller's role may not do this"


class RoleNotAllowed(Forbidden):
    code, title = "role_not_allowed", "The token's role is not one its organisation may assert"


class NotRegiehouder(Forbidden):
    code, title = "not_regiehouder", "Only the household's regiehouder may do this"


class NoCustody(Forbidden):
    code, title = "no_custody", "The parent has no custody of this child"


class WithdrawalNotPermitted(Forbidden):
    code, title = (
        "withdrawal_not_permitted",
        "Only the person, a custody holder or the recording organisation may withdraw",
    )


class NotFound(GatewayError):
    code, status, title = "not_found", 404, "Not found"


class MethodNotAllowed(GatewayError):
    code, status, title = "method_not_allowed", 405, "Method not allowed"


class Conflict(GatewayError):
    code, status, title = "conflict", 409, "Conflict"


class ConsentAlreadyWithdrawn(Conflict):
    code, title = "consent_already_withdrawn", "Consent was already withdrawn"


class CaseAlreadyClosed(Conflict):
    code, title = "case_already_closed", "Case was already closed"


class CaseReferenceInUse(Conflict):
    code, title = "case_reference_in_use", "An open case already has this reference"


class RegiehouderExists(Conflict):
    code, title = "regiehouder_exists", "A person in it already has another regiehouder"


class PayloadTooLarge(GatewayError):
    code, status, title = "payload_too_large", 413, "Request body too large"


class UnsupportedMediaType(GatewayError):
    code, status, title = "unsupported_media_type", 415, "Content type must be application/json"


class RateLimited(GatewayError):
    code, status, title = "rate_limited", 429, "Too many requests of this kind; try again later"


class InternalError(GatewayError):
    code, status, title = "internal_error", 500, "Internal error"


class Unprocessable(GatewayError):
    code, status, title = "unprocessable_content", 422, "Request cannot be processed"


class AggregatesOnlyPurpose(Unprocessable):
    code, status, title = (
        "aggregates_only_purpose",
        422,
        "This purpose yields aggregate figures only, never an answer about one person",
    )


class PolicyInvalid(Unprocessable):
    code, title = "policy_invalid", "The candidate rule set does not load"


class TooManyRules(Unprocessable):
    code, title = "too_many_rules", "The candidate rule set has too many rules or files"


class SimulationPeriodTooLong(Unprocessable):
    code, title = "simulation_period_too_long", "The simulated period is too long"


class TooManyDecisions(Unprocessable):
    code, title = "too_many_decisions", "The simulated period holds too many decisions"


class CustodyNotConfirmed(Unprocessable):
    code, title = "custody_not_confirmed", "The custody register does not confirm this custody"


class PersonNotConfirmed(Unprocessable):
    code, title = "person_not_confirmed", "The register does not confirm this person"


class ServiceUnavailable(GatewayError):
    code, status, title = "service_unavailable", 503, "Service unavailable"


class AuditUnavailable(ServiceUnavailable):
    code, title = "audit_unavailable", "Audit log unavailable; no data released"


class CustodyRegisterUnavailable(ServiceUnavailable):
    code, title = "custody_register_unavailable", "Custody register unavailable; nothing written"


class AuditEntryUnreadable(ValueError):
    """A stored audit row holds a value that is not what an entry keeps there (a
    database administrator rewrote it). Not shown to clients as such: the verifier
    reports it at `seq`, readers answer 503 `audit_unavailable` (gateway.http.problems)."""

    def __init__(self, seq: int, what: str = "entry") -> None:
        super().__init__(f"audit {what} {seq} cannot be read")
        self.seq = seq


class SettingsError(Exception):
    """A setting is missing or invalid; `gateway` exits 2 with this one-line message."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


def naming_valid_values(
    problem: type[GatewayError], detail: str, valid: Iterable[str], *, member: str = "valid_values"
) -> GatewayError:
    """`problem` whose answer names the valid values (member `member`) and points to the
    discovery endpoint, so a typo can be fixed from the answer alone. Only for values
    the caller may know (the vocabulary, its own type's roles)."""
    return problem(
        f"{detail}; GET {VOCABULARY_PATH} lists the valid values",
        **{member: sorted(set(valid)), "vocabulary_url": VOCABULARY_PATH},
    )


def all_error_classes() -> list[type[GatewayError]]:
    """Every `GatewayError` subclass, for the uniqueness test and the OpenAPI document."""
    seen: list[type[GatewayError]] = [GatewayError]
    stack = [GatewayError]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in seen:
                seen.append(sub)
                stack.append(sub)
    return seen
