"""The privacy officer's console (FG, functionaris gegevensbescherming), under `/fg`:
login through the portal's OpenID Connect relying party (officer claims checked against
`config/privacy_officers.toml`), the access log, integrity, break-the-glass review,
confidential entries, misuse signals, policies (a comparison, the art. 30 register),
simulation and monitoring statistics. Server-rendered, no script, Dutch with an English
switch (words in `i18n/officer.*.toml`, keys under `fg.`), routes named `web.officer.*`.

Every page needs an officer session (`session.officer_page`); a household session is
403. Pages call the use-cases of `gateway.access.officer_log` and
`gateway.insight.officer`, the ones the JSON API calls. The menu is `nav.NAV`, in one
place: a page added to the console adds its route below and one line to `NAV` (and its
words to the catalogues).
"""

from __future__ import annotations

from aiohttp import web

from gateway.web.officer import (
    break_glass,
    confidential,
    integrity,
    log,
    login,
    policies,
    signals,
    simulation,
    statistics,
)
from gateway.web.officer.nav import NAV
from gateway.web.officer.session import officer_page

__all__ = ["NAV", "setup"]


async def home(request: web.Request) -> web.Response:
    await officer_page(request)  # a household session: 403 here too
    raise web.HTTPSeeOther("/fg/logboek")


def setup(app: web.Application) -> None:
    add = app.router.add_route
    add("GET", "/fg", home, name="web.officer.home")
    add("GET", "/fg/inloggen", login.login_page, name="web.officer.login")
    add("GET", "/fg/inloggen/start", login.login_start, name="web.officer.login_start")
    add("GET", "/fg/oidc/callback", login.callback, name="web.officer.callback")
    add("POST", "/fg/uitloggen", login.logout, name="web.officer.logout")
    add("GET", "/fg/logboek", log.log_page, name="web.officer.log")
    add("POST", "/fg/logboek", log.log_search, name="web.officer.log_search")
    add("GET", "/fg/logboek.csv", log.log_csv, name="web.officer.log_csv")
    add("GET", "/fg/logboek/{seq}", log.entry_page, name="web.officer.entry")
    add("GET", "/fg/integriteit", integrity.integrity_page, name="web.officer.integrity")
    add("POST", "/fg/integriteit", integrity.verify_now, name="web.officer.verify")
    add("GET", "/fg/doorbraken", break_glass.break_glass_page, name="web.officer.break_glass")
    add(
        "POST",
        "/fg/doorbraken/{seq}/beoordelen",
        break_glass.review_submit,
        name="web.officer.review",
    )
    add(
        "GET",
        "/fg/vertrouwelijk",
        confidential.confidential_page,
        name="web.officer.confidential",
    )
    add(
        "POST",
        "/fg/vertrouwelijk/{seq}/opheffen",
        confidential.lift_submit,
        name="web.officer.lift",
    )
    add("GET", "/fg/signalen", signals.signals_page, name="web.officer.signals")
    add("GET", "/fg/beleid", policies.policies_page, name="web.officer.policies")
    add("GET", "/fg/beleid/vergelijken", policies.compare_form, name="web.officer.compare_form")
    add("POST", "/fg/beleid/vergelijken", policies.compare_submit, name="web.officer.compare")
    add("GET", "/fg/simulatie", simulation.simulation_page, name="web.officer.simulation")
    add("POST", "/fg/simulatie", simulation.simulate_submit, name="web.officer.simulate")
    add("GET", "/fg/statistieken", statistics.statistics_page, name="web.officer.statistics")
