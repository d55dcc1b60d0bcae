"""The consent package's own errors (a leaf module: imports nothing from the project).

The gateway maps each to its HTTP problem at the boundary.

    ConsentError
    ├── HouseholdNotFoundError          no such household, or the person is in none
    ├── ConsentNotFoundError            no such consent
    ├── ConsentAlreadyWithdrawnError    withdrawn before
    ├── ConsentNotActiveError           superseded or expired: nothing left to withdraw
    ├── NoCustodyError                  the person acting for a child has no custody of it
    ├── InvalidValidityError            valid_until is not after valid_from
    ├── InvalidHouseholdError           members or custody relations do not fit together
    ├── InvalidCaseError                a case's reference or subjects are not valid
    ├── CaseNotFoundError               no such case (or another organisation's)
    ├── CaseAlreadyClosedError          the case was closed before
    ├── CaseReferenceInUseError         the organisation has an open case with this reference
    ├── RegiehouderExistsError          a person already has another regiehouder
    ├── NotRegiehouderError             the caller is (no longer) the household's regiehouder
    ├── WithdrawalNotPermittedError     neither the person, a custody holder, nor the recorder
    ├── CustodyNotConfirmedError        the custody register does not confirm a claimed relation
    ├── PersonNotConfirmedError         the register does not know the person or their birth date
    └── CustodyRegisterUnavailableError the custody register cannot be asked right now
"""

from __future__ import annotations

__all__ = [
    "CaseAlreadyClosedError",
    "CaseNotFoundError",
    "CaseReferenceInUseError",
    "ConsentAlreadyWithdrawnError",
    "ConsentError",
    "ConsentNotActiveError",
    "ConsentNotFoundError",
    "CustodyNotConfirmedError",
    "CustodyRegisterUnavailableError",
    "HouseholdNotFoundError",
    "InvalidCaseError",
    "InvalidHouseholdError",
    "InvalidValidityError",
    "NoCustodyError",
    "NotRegiehouderError",
    "PersonNotConfirmedError",
    "RegiehouderExistsError",
    "WithdrawalNotPermittedError",
]


class ConsentError(Exception):
    """Base of the consent package's errors. Messages never hold personal data."""


class HouseholdNotFoundError(ConsentError):
    pass


class ConsentNotFoundError(ConsentError):
    pass


class ConsentAlreadyWithdrawnError(ConsentError):
    pass


class ConsentNotActiveError(ConsentError):
    pass


class NoCustodyError(ConsentError):
    pass


class InvalidValidityError(ConsentError):
    pass


class InvalidHouseholdError(ConsentError):
    pass


class InvalidCaseError(ConsentError):
    pass


class CaseNotFoundError(ConsentError):
    pass


class CaseAlreadyClosedError(ConsentError):
    pass


class CaseReferenceInUseError(ConsentError):
    pass


class RegiehouderExistsError(ConsentError):
    """A person is a current member of a household another organisation is regiehouder of."""


class NotRegiehouderError(ConsentError):
    """The caller is not (or no longer) the household's regiehouder."""


class WithdrawalNotPermittedError(ConsentError):
    """Only the person, a custody holder of them, or the recording organisation may."""


class CustodyNotConfirmedError(ConsentError):
    pass


class PersonNotConfirmedError(ConsentError):
    pass


class CustodyRegisterUnavailableError(ConsentError):
    """Every failure to ask the custody register: the caller fails closed."""
