"""Wie heeft mijn gegevens bekeken: my access log and my young children's, by the same
use-case as `GET /api/v1/me/access-log` (`gateway.access.access_log.my_access_log`).

The use-case decides what is shown (confidential entries stay hidden until lifted;
restricted categories about anyone else are left out by the query itself, so pages
are full and say nothing about what is hidden), audits the read, records the visit
and marks what is new since the previous one. This module puts each entry in plain
words: when, which organisation and role, why (purpose), on which legal basis (with
its article and the rule's statute), which data, permitted or refused, and for a
break-the-glass use whether a privacy officer has reviewed it. The sentence that
entries can be withheld by law is always shown, whatever the log holds.

The page leaves out the member's own visits to the portal (the JSON answer and the
download keep them): it is about who else looked. Paging is by the use-case's cursor
in `?verder=`: it works only in this session and for a quarter of an hour; an old or
foreign one leads back to the first page.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from gateway.access.access_log import my_access_log, session_binding
from gateway.api.me.dossier import access_log_ports
from gateway.appkeys import ORGANISATIONS, REQUEST_ID, TRACE_ID, VOCABULARY
from gateway.errors import InvalidCursor
from gateway.web.household.session import page_session
from gateway.web.household.words import moment, person_party, references_text
from gateway.web.i18n import Catalogue, language_of
from gateway.web.rendering import CATALOGUES, Labels, render

__all__ = ["PAGE_SIZE", "access_log_page", "entry_view"]

PAGE_SIZE = 25
CURSOR_PARAM = "verder"
EXPIRED_PARAM = "verlopen"


def _who(t: Catalogue, entry: Mapping[str, Any]) -> str:
    who = entry["who"]
    if who["kind"] == "you":
        return t("log.who.you")
    if who["kind"] == "household_member":
        return t("log.who.household_member")
    if who["kind"] == "gateway":
        return t("log.who.gateway")
    org = entry["organisation"]
    name = org.get("name", org["id"]) if org else t("label.unknown_organisation")
    role = who.get("role")
    if not role:
        return name
    key = f"role.{role}"
    return t("log.who.organisation", organisation=name, role=t(key) if t.has(key) else role)


def _what(t: Catalogue, entry: Mapping[str, Any]) -> str:
    event = entry["event_type"]
    if event == "exchange.decision":
        return t("log.what.permitted" if entry["permitted"] else "log.what.refused")
    key = f"log.event.{event}"
    return t(key) if t.has(key) else t("log.event.other")


def entry_view(
    t: Catalogue, labels: Labels, entry: Mapping[str, Any], people: Mapping[str, Any]
) -> dict[str, Any]:
    """One entry of the use-case's answer as the template shows it."""
    lang = t.lang
    basis = entry["legal_basis"]
    references = None
    if basis is not None:
        references = references_text(basis["article"], basis["statutory_reference"])
    break_glass = entry["break_glass"]
    about = people.get(entry["subject"] or "", {"relation": entry["about"], "age": None})
    return {
        "seq": entry["seq"],
        "when": moment(t, labels, datetime.fromisoformat(entry["time"])),
        "about": person_party(about["relation"], about.get("age")),
        "who": _who(t, entry),
        "what": _what(t, entry),
        "purpose": entry["purpose"]["label"][lang] if entry["purpose"] else None,
        "category": entry["category"]["label"][lang] if entry["category"] else None,
        "source": entry["source"].get("name") if entry["source"] else None,
        "basis": None if basis is None else basis["label"][lang],
        "references": references,
        "decision": entry["decision"],
        "permitted": entry["permitted"],
        "break_glass": None
        if break_glass is None
        else {"status": break_glass["review_status"], "verdict": break_glass["verdict"]},
        "new": entry["new"],
        "own": entry["who"]["kind"] == "you",
    }


async def access_log_page(request: web.Request) -> web.Response:
    page = await page_session(request)
    params = request.rel_url.query
    if set(params) - {CURSOR_PARAM, EXPIRED_PARAM}:
        raise web.HTTPSeeOther("/wie-heeft-gekeken")
    cursor = params.get(CURSOR_PARAM) or None
    try:
        body = await my_access_log(
            access_log_ports(request.app),
            page.person,
            page.household_id,
            request_id=request[REQUEST_ID],
            trace_id=request[TRACE_ID],
            limit=PAGE_SIZE,
            cursor=cursor,
            bound_to=session_binding(page.token),
            others_only=True,
        )
    except InvalidCursor:
        # An old "next page" link, or another session's: start again at the first page.
        raise web.HTTPSeeOther(f"/wie-heeft-gekeken?{EXPIRED_PARAM}=1") from None
    t = request.app[CATALOGUES][language_of(request)]
    labels = Labels(t, request.app[VOCABULARY], request.app[ORGANISATIONS])
    people = {p["person"]: p for p in body["people"]}
    entries = [entry_view(t, labels, e, people) for e in body["entries"]]
    previous = body["previous_visit_at"]
    next_url = None
    if body["next_cursor"]:
        next_url = "/wie-heeft-gekeken?" + urlencode({CURSOR_PARAM: body["next_cursor"]})
    return render(
        request,
        "access_log.html",
        {
            "entries": entries,
            "new_count": sum(1 for e in entries if e["new"]),
            "previous_visit": moment(t, labels, datetime.fromisoformat(previous))
            if previous
            else None,
            "withheld": body["withheld_notice"][t.lang],
            "next_url": next_url,
            "first_page": cursor is None,
            "expired": cursor is None and EXPIRED_PARAM in params,
        },
        session_token=page.token,
    )
