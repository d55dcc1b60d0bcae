"""The household portal's pages (server-rendered, no script): home, login and logout, the
language switch, Mijn dossier, Wie heeft mijn gegevens bekeken, Mijn toestemmingen,
Mijn contactpersoon and Mijn gegevens downloaden. A page without a live
household session redirects to /login. Each page calls the use-cases in
`gateway.access` that the `/api/v1/me` routes call; none builds SQL."""

from __future__ import annotations

from aiohttp import web

from gateway.web.household import access_log, consents, dossier, export, home, login

__all__ = ["setup"]


def setup(app: web.Application) -> None:
    add = app.router.add_route
    add("GET", "/", home.home_page, name="web.home")
    add("GET", "/login", login.login_page, name="web.login")
    add("POST", "/logout", login.logout, name="web.logout")
    add("GET", "/taal", login.language_switch, name="web.language")
    add("GET", "/mijn-contactpersoon", home.contact_page, name="web.contact")
    add("GET", "/mijn-dossier", dossier.dossier_page, name="web.dossier")
    add("GET", "/wie-heeft-gekeken", access_log.access_log_page, name="web.access_log")
    add("GET", "/mijn-gegevens", export.export_page, name="web.export")
    add("POST", "/mijn-gegevens", export.export_download, name="web.export_download")
    add("GET", "/mijn-toestemmingen", consents.consents_page, name="web.consents")
    add("GET", "/mijn-toestemmingen/geven", consents.give_form, name="web.give")
    add("POST", "/mijn-toestemmingen/geven", consents.give_submit, name="web.give_submit")
    withdraw = "/mijn-toestemmingen/{consent_id}/intrekken"
    add("GET", withdraw, consents.withdraw_confirm, name="web.withdraw")
    add("POST", withdraw, consents.withdraw_confirm, name="web.withdraw_submit")
    add(
        "GET",
        "/mijn-toestemmingen/{consent_id}/ontvangstbewijs",
        consents.receipt_download,
        name="web.receipt",
    )
