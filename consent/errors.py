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
    ├── CustodyNotConfirmedError        the custody register does not confirm a claimed relation
    ├── PersonNotConfirmedError         the register does not know the person or their birth date
    └── CustodyRegisterUnavailableError the custody register cannot be asked right now
"""

from __future__ import annotations

__all__ = [
    "ConsentAlreadyWithdrawnError",
    "ConsentError",
    "ConsentNotActiveError",
    "ConsentNotFoundError",
    "CustodyNotConfirmedError",
    "CustodyRegisterUnavailableError",
    "HouseholdNotFoundError",
    "InvalidHouseholdError",
    "InvalidValidityError",
    "NoCustodyError",
    "PersonNotConfirmedError",
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


class CustodyNotConfirmedError(ConsentError):
    pass


class PersonNotConfirmedError(ConsentError):
    pass


class CustodyRegisterUnavailableError(ConsentError):
    """Every failure to ask the custody register: the caller fails closed."""
