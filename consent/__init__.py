"""Consent: the family's say in what is shared. Model, age and representation rules, registry.

This package never imports `gateway`, `policies` or `adapters`: the gateway checks
vocabulary and hands in pseudonyms, a signing function and the age rules.
"""

from consent.custody import CustodySource, RegisteredPerson, confirm_claims
from consent.errors import (
    ConsentAlreadyWithdrawnError,
    ConsentError,
    ConsentNotActiveError,
    ConsentNotFoundError,
    CustodyNotConfirmedError,
    CustodyRegisterUnavailableError,
    HouseholdNotFoundError,
    InvalidHouseholdError,
    InvalidValidityError,
    NoCustodyError,
    PersonNotConfirmedError,
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
    "ConsentAlreadyWithdrawnError",
    "ConsentError",
    "ConsentEvent",
    "ConsentNotActiveError",
    "ConsentNotFoundError",
    "ConsentRecord",
    "ConsentScope",
    "ConsentStore",
    "Coverage",
    "CustodyNotConfirmedError",
    "CustodyRegisterUnavailableError",
    "CustodyRelation",
    "CustodySource",
    "Household",
    "HouseholdEvent",
    "HouseholdNotFoundError",
    "InvalidHouseholdError",
    "InvalidValidityError",
    "Member",
    "NewConsent",
    "NewMember",
    "NoCustodyError",
    "Notification",
    "PersonNotConfirmedError",
    "Receipt",
    "RegisteredPerson",
    "RequesterRef",
    "Requirement",
    "SourceRef",
    "SqlConsentStore",
    "SqlHouseholdStore",
    "SubjectState",
    "SubjectSummary",
    "age_on",
    "confirm_claims",
    "evaluate",
    "receipt_claims",
    "requirement",
]
