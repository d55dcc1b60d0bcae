"""Consent: the family's say in what is shared. Model, age and representation rules, registry.

This package never imports `gateway`, `policies` or `adapters`: the gateway checks
vocabulary and hands in pseudonyms, a signing function and the age rules.
"""

from consent._sql import AuditStep, begin_write
from consent.errors import (
    ConsentAlreadyWithdrawnError,
    ConsentError,
    ConsentNotActiveError,
    ConsentNotFoundError,
    HouseholdNotFoundError,
    InvalidHouseholdError,
    InvalidValidityError,
    NoCustodyError,
    NotRegiehouderError,
    RegiehouderExistsError,
    WithdrawalNotPermittedError,
)
from consent.households import SqlHouseholdStore
from consent.model import (
    MEMBER_ROLES,
    Actor,
    ConsentEvent,
    ConsentRecord,
    ConsentScope,
    Coverage,
    CustodyRelation,
    Household,
    HouseholdEvent,
    Member,
    NewConsent,
    NewMember,
    Notification,
    RequesterRef,
    SourceRef,
    SubjectState,
    SubjectSummary,
)
from consent.receipts import RECEIPT_TYP, receipt_claims
from consent.rules import AgeRules, Requirement, age_on, evaluate, requirement
from consent.store import ConsentStore, Receipt, SqlConsentStore

__all__ = [
    "MEMBER_ROLES",
    "RECEIPT_TYP",
    "Actor",
    "AgeRules",
    "AuditStep",
    "ConsentAlreadyWithdrawnError",
    "ConsentError",
    "ConsentEvent",
    "ConsentNotActiveError",
    "ConsentNotFoundError",
    "ConsentRecord",
    "ConsentScope",
    "ConsentStore",
    "Coverage",
    "CustodyRelation",
    "Household",
    "HouseholdEvent",
    "HouseholdNotFoundError",
    "InvalidHouseholdError",
    "InvalidValidityError",
    "Member",
    "NewConsent",
    "NewMember",
    "NoCustodyError",
    "NotRegiehouderError",
    "Notification",
    "Receipt",
    "RegiehouderExistsError",
    "RequesterRef",
    "Requirement",
    "SourceRef",
    "SqlConsentStore",
    "SqlHouseholdStore",
    "SubjectState",
    "SubjectSummary",
    "WithdrawalNotPermittedError",
    "age_on",
    "begin_write",
    "evaluate",
    "receipt_claims",
    "requirement",
]
