"""Mijn toestemmingen: the consents about me and my children, their history, giving
consent, withdrawing one (after one confirmation) and downloading its signed receipts.

Every rule is a use-case of `gateway.access.my_consents`, the same ones the JSON routes
of `/api/v1/me/consents` call; this module turns forms into their arguments and their
answers into pages. Every POST is CSRF-checked first.

Longer than most page modules: giving consent takes two steps and withdrawing a
confirmation, and each step's form, errors and page belong together.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from consent import ConsentRecord, ConsentScope, Household
from gateway.access import my_consents as use_cases
from gateway.access.my_household import my_household
from gateway.api.me.consents import audit_for
from gateway.api.ports import household_ports
from gateway.api.views import receipt_json
from gateway.appkeys import CONSENTS, HOUSEHOLDS
from gateway.errors import NoCustody
from gateway.web.csrf import require_csrf
from gateway.web.household.session import PageSession, page_session
from gateway.web.i18n import language_of
from gateway.web.rendering import CATALOGUES, Labels, render

__all__ = ["consents_page", "give_form", "give_submit", "receipt_download", "withdraw_confirm"]

LIVE = ("active", "refused")


@dataclass(frozen=True)
class People:
    """Who is who for the viewer: the words for each person a page mentions."""

    viewer: str
    household: Household | None
    children: tuple[str, ...]
    ages: dict[str, int] = field(default_factory=dict)

    def party(self, person: str) -> tuple[str, dict[str, Any]]:
        """(catalogue key, values) naming `person` for the viewer."""
        now = datetime.now(UTC)
        kind = use_cases.relation(person, self.viewer, self.household, now)
        if kind == "your_child" and person in self.ages:
            return "party.your_child_age", {"age": self.ages[person]}
        return f"party.{kind}", {}


async def _people(request: web.Request, session: PageSession, children: tuple[str, ...]) -> People:
    ports = household_ports(request)
    household = await my_household(ports, session.person, session.household_id)
    rules = request.app[CONSENTS].rules
    now = datetime.now(UTC)
    ages = {}
    for member in household.members_at(now):
        if member.person in children:
            ages[member.person] = rules.age_at(member.birth_date, now)
    return People(session.person, household, children, ages)


def _consent_view(
    record: ConsentRecord,
    people: People,
    labels: Labels,
    agreement: use_cases.Agreement | None,
) -> dict[str, Any]:
    now = datetime.now(UTC)
    scope = record.scope
    recipients = [labels.organisation(o) for o in sorted(scope.recipient_organisations)]
    recipients += [labels.org_type(t) for t in sorted(scope.recipient_types)]
    events = []
    for event in record.events:
        actor = event.actor
        if actor.kind == "person" and actor.person:
            who = people.party(actor.person)
        elif actor.kind == "professional":
            who = ("actor.professional", {"organisation": labels.organisation(actor.organisation)})
        else:
            who = ("actor.system", {})
        events.append({"event": f"event.{event.event}", "at": labels.day(event.at), "who": who})
    status = record.status_at(now)
    return {
        "id": record.id,
        "about": people.party(record.subject),
        "given_by": people.party(record.given_by),
        "decision": record.decision,
        "status": status,
        "live": status in LIVE,
        "purposes": [labels.purpose(p) for p in sorted(scope.purposes)],
        "categories": [labels.category(c) for c in sorted(scope.categories)],
        "recipients": recipients,
        "given_at": labels.day(record.given_at),
        "valid_until": labels.day(record.valid_until),
        "recorded_via": record.recorded_via,
        "events": events,
        "agreed": [(f"party.{p}", {}) for p in agreement.agreed] if agreement else [],
        "waiting_for": [(f"party.{p}", {}) for p in agreement.waiting_for] if agreement else [],
    }


async def consents_page(request: web.Request) -> web.Response:
    session = await page_session(request)
    ports = household_ports(request)
    mine = await use_cases.my_consents(ports, session.person)
    people = await _people(request, session, mine.children)
    labels = Labels(
        request.app[CATALOGUES][language_of(request)], ports.vocabulary, ports.organisations
    )
    households = request.app[HOUSEHOLDS]
    rules = request.app[CONSENTS].rules
    views = []
    for record in sorted(mine.consents, key=lambda r: r.given_at, reverse=True):
        holders = [
            c.parent
            for c in (people.household.custody_at(datetime.now(UTC)) if people.household else ())
            if c.child == record.subject
        ]
        agreement = use_cases.agreement(
            record,
            session.person,
            household=people.household,
            birth_date=await households.birth_date(record.subject),
            custody_holders=holders,
            declarations=mine.consents,
            rules=rules,
        )
        views.append(_consent_view(record, people, labels, agreement))
    return render(
        request,
        "consents.html",
        {
            "current": [v for v in views if v["live"]],
            "history": [v for v in views if not v["live"]],
            "done": request.query.get("klaar"),
        },
        session_token=session.token,
    )


def _subjects(people: People) -> list[tuple[str, tuple[str, dict[str, Any]]]]:
    return [(people.viewer, ("give.for_self", {}))] + [
        (child, people.party(child)) for child in people.children
    ]


async def give_form(request: web.Request) -> web.Response:
    """Step 1: for whom and which purpose (a GET form); step 2, once both are chosen:
    which organisation and which categories, then POST."""
    session = await page_session(request)
    ports = household_ports(request)
    mine = await use_cases.my_consents(ports, session.person)
    people = await _people(request, session, mine.children)
    choices = {c.purpose: c for c in use_cases.consent_choices(ports)}
    subjects = _subjects(people)
    subject = request.query.get("voor")
    purpose = request.query.get("doel")
    errors: list[tuple[str, str]] = []
    if subject is not None or purpose is not None:
        if subject not in {s for s, _ in subjects}:
            errors.append(("voor", "give.error.subject"))
        if purpose not in choices:
            errors.append(("doel", "give.error.purpose"))
    if subject is None or purpose is None or errors:
        return render(
            request,
            "give_step1.html",
            {"subjects": subjects, "choices": list(choices.values()), "errors": errors},
            status=400 if errors else 200,
            session_token=session.token,
        )
    return _step2(request, session, people, choices[purpose], subject, [], {})


def _step2(
    request: web.Request,
    session: PageSession,
    people: People,
    choice: use_cases.PurposeChoice,
    subject: str,
    errors: list[tuple[str, str]],
    chosen: dict[str, Any],
    *,
    status: int = 200,
) -> web.Response:
    return render(
        request,
        "give_step2.html",
        {
            "choice": choice,
            "subject": subject,
            "subject_party": (
                ("party.yourself", {}) if subject == people.viewer else people.party(subject)
            ),
            "errors": errors,
            "chosen": chosen,
            "categories": sorted(choice.categories),
        },
        status=status,
        session_token=session.token,
    )


async def give_submit(request: web.Request) -> web.Response:
    session = await page_session(request)
    form = await require_csrf(request, session.token)
    ports = household_ports(request)
    mine = await use_cases.my_consents(ports, session.person)
    people = await _people(request, session, mine.children)
    choices = {c.purpose: c for c in use_cases.consent_choices(ports)}
    subject = form.get("voor", "")
    choice = choices.get(form.get("doel", ""))
    if choice is None or subject not in {s for s, _ in _subjects(people)}:
        raise web.HTTPSeeOther("/mijn-toestemmingen/geven")
    organisation, categories, errors = _chosen(form, choice)
    chosen = {"organisation": organisation, "categories": categories}
    if errors:
        return _step2(request, session, people, choice, subject, errors, chosen, status=400)
    try:
        await use_cases.give_consent(
            ports,
            session.person,
            subject=subject,
            decision="grant",
            scope=ConsentScope(
                purposes=frozenset({choice.purpose}),
                categories=frozenset(categories),
                recipient_organisations=frozenset({organisation}),
            ),
            valid_from=None,
            valid_until=None,
            audit=audit_for(request),
        )
    except NoCustody:
        errors = [("voor", "give.error.no_custody")]
        return _step2(request, session, people, choice, subject, errors, chosen, status=403)
    raise web.HTTPSeeOther("/mijn-toestemmingen?klaar=gegeven")


def _chosen(
    form: MultiDictProxy[str], choice: use_cases.PurposeChoice
) -> tuple[str, list[str], list[tuple[str, str]]]:
    organisation = form.get("organisatie", "")
    categories = sorted(set(form.getall("categorie", [])))
    errors: list[tuple[str, str]] = []
    org = next((o for o in choice.organisations if o.id == organisation), None)
    if org is None:
        errors.append(("organisatie", "give.error.organisation"))
    if not categories:
        errors.append(("categorie", "give.error.no_category"))
    else:
        allowed = choice.categories if org is None else choice.categories_by_type[org.type]
        if not set(categories) <= allowed:
            errors.append(("categorie", "give.error.category_not_allowed"))
    return organisation, categories, errors


async def withdraw_confirm(request: web.Request) -> web.Response:
    """GET: the one confirmation step; POST (CSRF-checked): withdraw, then back to the list."""
    session = await page_session(request)
    ports = household_ports(request)
    consent_id = request.match_info["consent_id"]
    if request.method == "POST":
        await require_csrf(request, session.token)
        await use_cases.withdraw_consent(
            ports, session.person, consent_id, audit=audit_for(request)
        )
        raise web.HTTPSeeOther("/mijn-toestemmingen?klaar=ingetrokken")
    record = await use_cases.visible_consent(ports, session.person, consent_id)
    mine = await use_cases.my_consents(ports, session.person)
    people = await _people(request, session, mine.children)
    labels = Labels(
        request.app[CATALOGUES][language_of(request)], ports.vocabulary, ports.organisations
    )
    view = _consent_view(record, people, labels, None)
    if not view["live"]:
        raise web.HTTPSeeOther("/mijn-toestemmingen")
    return render(request, "withdraw.html", {"consent": view}, session_token=session.token)


async def receipt_download(request: web.Request) -> web.Response:
    """The consent's signed receipts as a JSON file (each a JWS anyone can verify
    against the gateway's published keys)."""
    session = await page_session(request)
    found = await use_cases.consent_receipts(
        household_ports(request), session.person, request.match_info["consent_id"]
    )
    body = {
        "consent_id": found.consent.id,
        "receipts": [receipt_json(r) for r in found.receipts],
        "verify_with": "/.well-known/jwks.json",
    }
    return web.Response(
        body=json.dumps(body, indent=2).encode(),
        content_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="ontvangstbewijs-{found.consent.id}.json"'
        },
    )
