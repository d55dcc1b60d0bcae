"""A household member's own household: who coordinates their support (the regiehouder)
and their fixed contact person (the portal's page "Mijn contactpersoon").

Only a current member sees it: the session names the household, and a person who has
moved out sees nothing of it (404 `not_found`, as if it did not exist).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from gateway.errors import NotFound

if TYPE_CHECKING:
    from consent import Household
    from gateway.access.households import HouseholdPorts
    from gateway.auth.organisations import Organisation

__all__ = ["MyContact", "my_contact", "my_household"]


@dataclass(frozen=True, slots=True)
class MyContact:
    regiehouder: Organisation | None  # None: an organisation no longer configured
    contact_organisation: Organisation | None
    contact_professional: str  # the professional's id at that organisation


async def my_household(ports: HouseholdPorts, person: str, household_id: str) -> Household:
    """The household `household_id` if `person` is a member of it now; else 404."""
    if household_id not in await ports.households.households_of(person):
        raise NotFound("Not found")
    return await ports.households.get(household_id)


async def my_contact(ports: HouseholdPorts, person: str, household_id: str) -> MyContact:
    household = await my_household(ports, person, household_id)
    organisations = ports.organisations
    return MyContact(
        regiehouder=organisations.get(household.regiehouder),
        contact_organisation=organisations.get(household.contact_organisation),
        contact_professional=household.contact_professional,
    )
