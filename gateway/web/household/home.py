"""The home page and "Mijn contactpersoon"."""

from __future__ import annotations

from aiohttp import web

from gateway.access.my_household import my_contact
from gateway.api.ports import household_ports
from gateway.web.household.session import page_session
from gateway.web.rendering import render

__all__ = ["contact_page", "home_page"]

#: The home page's links: (path, catalogue key); a test follows each one (none may 404).
SECTIONS = (
    ("/mijn-dossier", "home.dossier"),
    ("/wie-heeft-gekeken", "home.access_log"),
    ("/mijn-toestemmingen", "home.consents"),
    ("/mijn-contactpersoon", "home.contact"),
    ("/mijn-gegevens", "home.export"),
)


async def home_page(request: web.Request) -> web.Response:
    session = await page_session(request)
    return render(request, "home.html", {"sections": SECTIONS}, session_token=session.token)


async def contact_page(request: web.Request) -> web.Response:
    session = await page_session(request)
    contact = await my_contact(household_ports(request), session.person, session.household_id)
    return render(request, "contact.html", {"contact": contact}, session_token=session.token)
