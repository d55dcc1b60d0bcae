"""Consent: the family's say in what is shared. Model, age and representation rules, registry.

This package never imports `gateway`, `policies` or `adapters`: the gateway checks
vocabulary and hands in pseudonyms, a signing function and the age rules.
"""

from consent.cases import MAX_CASE_SUBJECTS, SqlCaseStore
from consent.errors import (
    CaseAlreadyClosedError,
    CaseNotFoundError,
    CaseReferenceInUseError,
    ConsentAlreadyWithdrawnError,
    ConsentError,
    ConsentNotActiveError,
    ConsentNotFoundError,
    HouseholdNotFoundError,
    InvalidCaseError,
    InvalidHouseholdError,
    InvalidValidityError,
    NoCustodyError,
)
from consent.households import SqlHouseholdStore
from consent.model import (
    CASE_REFERENCE,
    MEMBER_ROLES,
    Actor,
    Case,
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
    "CASE_REFERENCE",
    "MAX_CASE_SUBJECTS",
    "MEMBER_ROLES",
    "RECEIPT_TYP",
    "Actor",
    "AgeRules",
    "Case",
    "CaseAlreadyClosedError",
    "CaseNotFoundError",
    "CaseReferenceInUseError",
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
    "InvalidCaseError",
    "InvalidHouseholdError",
    "InvalidValidityError",
    "Member",
    "NewConsent",
    "NewMember",
    "NoCustodyError",
    "Notification",
    "Receipt",
    "RequesterRef",
    "Requirement",
    "SourceRef",
    "SqlCaseStore",
    "SqlConsentStore",
    "SqlHouseholdStore",
    "SubjectState",
    "SubjectSummary",
    "age_on",
    "evaluate",
    "receipt_claims",
    "requirement",
]
