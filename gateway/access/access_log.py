"""Wie heeft mijn gegevens bekeken: a household member's audit entries and those of the
children they may see (`gateway.access.visible`), through the `AuditReader` port.

Each entry says when, which organisation and role (or "you" / "a household member"
for portal reads), the purpose, the legal basis in plain words with its article and
the rule's statutory reference, the category, and whether access was permitted or
refused. Break-the-glass entries carry their review status. Entries marked
confidential stay hidden until a privacy officer lifts that (the reader's household
view); the answer always says that entries can be withheld by law and why, whether or
not any are. Entries about a child that concern restricted data (a reporter's identity,
a shelter address) are never shown to anyone but the child. Entries newer than the
member's previous visit, done by someone else, are marked `new`. Every read is itself
an audit entry (`household.access_log_read`), written before the answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from consent import AgeRules
from gateway.access.visible import CustodyView, PortalRules, Visible, shows_to, visible_subjects
from gateway.audit.model import AuditEntry, AuditEvent
from gateway.audit.query import DEFAULT_LIMIT, MAX_LIMIT, Withheld
from gateway.audit.reader import AuditReader
from gateway.errors import InvalidFilter
from policies import PolicySet, Vocabulary

__all__ = [
    "CURSOR_TTL_SECONDS",
    "PAGE_LIMIT",
    "WITHHELD_NOTICE",
    "AccessAudit",
    "AccessLogPorts",
    "Page",
    "VisitLog",
    "access_log_page",
    "entry_json",
    "my_access_log",
    "portal_event",
    "render_page",
    "session_binding",
    "withheld_for",
]

PAGE_LIMIT = min(100, MAX_LIMIT)  # bounded: at most this many entries per page
#: How long a "next page" link of the access log works (the session's idle time).
CURSOR_TTL_SECONDS = 15 * 60

WITHHELD_NOTICE = {
    "nl": (
        "Soms mag een organisatie u nog niet laten weten dat zij uw gegevens heeft "
        "bekeken. Bijvoorbeeld als Veilig Thuis onderzoekt of een kind veilig is en het "
        "kind in gevaar kan komen als u het nu weet (Wmo 2015 art. 5.3.1; AVG art. 23). "
        "Zo'n bekijk-moment staat dan nog niet in deze lijst. Een privacyfunctionaris "
        "beslist wanneer het wel zichtbaar wordt. Deze uitleg staat hier altijd, ook "
        "als er niets is weggelaten."
    ),
    "en": (
        "Sometimes an organisation may not yet tell you that it looked at your data. "
        "For example when Veilig Thuis investigates whether a child is safe and telling "
        "you now could put the child in danger (Wmo 2015 art. 5.3.1; GDPR art. 23). "
        "Such a moment is then not yet in this list. A privacy officer decides when it "
        "becomes visible. This explanation is always here, also when nothing is left out."
    ),
}

_PORTAL_EVENTS = {
    "household.read": ("Gegevens bekeken in het portaal", "Data viewed on the portal"),
    "household.access_log_read": ("Deze lijst bekeken", "This list viewed"),
    "household.export": ("Gegevens gedownload", "Data downloaded"),
}


class VisitLog(Protocol):
    async def visit(self, person: str, at: datetime) -> datetime | None:
        """Record a visit at `at`; the previous one (None: the first)."""
        ...

    async def previous(self, person: str) -> datetime | None:
        """The visit before the current one."""
        ...


class AccessAudit(Protocol):
    async def append(self, events: Sequence[AuditEvent]) -> list[int]:
        """Append durably before anything is answered (`AuditUnavailable` if not)."""
        ...


@dataclass(frozen=True, slots=True)
class AccessLogPorts:
    reader: AuditReader
    audit: AccessAudit
    visits: VisitLog
    custody: CustodyView
    ages: AgeRules
    portal: PortalRules
    vocabulary: Vocabulary
    policies: Callable[[], PolicySet]  # the set in force (for a rule's statutory reference)
    organisations: Mapping[str, Mapping[str, str]]
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)


def _label(pair: tuple[str, str] | None) -> dict[str, str] | None:
    return None if pair is None else {"nl": pair[0], "en": pair[1]}


def _statutory(policies: PolicySet, rule_ids: Sequence[str]) -> str | None:
    for rule_id in rule_ids:
        try:
            reference = policies.rule(rule_id).statutory_reference
        except KeyError:
            continue
        if reference:
            return str(reference)
    return None


def _who(entry: AuditEntry, viewer: str) -> dict[str, Any]:
    if entry.requester_org is None and entry.role == "household":
        return {"kind": "you" if entry.professional == viewer else "household_member"}
    if entry.requester_org is None:
        return {"kind": "gateway"}
    return {"kind": "organisation", "role": entry.role}


def entry_json(
    ports: AccessLogPorts,
    policies: PolicySet,
    entry: AuditEntry,
    viewer: str,
    relation: str,
    previous: datetime | None,
    review: AuditEntry | None,
) -> dict[str, Any]:
    vocabulary = ports.vocabulary
    purpose = vocabulary.purposes.get(entry.purpose or "")
    category = vocabulary.categories.get(entry.category or "")
    basis = vocabulary.legal_bases.get(entry.legal_basis or "")
    who = _who(entry, viewer)
    org = ports.organisations.get(entry.requester_org or "")
    source = ports.organisations.get(entry.source or "")
    body: dict[str, Any] = {
        "seq": entry.seq,
        "time": entry.time.isoformat(),
        "event_type": entry.event_type,
        "what": _label(_PORTAL_EVENTS.get(entry.event_type)),
        "about": relation,
        "subject": entry.subject,
        "who": who,
        "organisation": None if org is None else dict(org),
        "purpose": None
        if purpose is None
        else {"code": purpose.id, "label": {"nl": purpose.nl, "en": purpose.en}},
        "category": None
        if category is None
        else {"code": category.id, "label": {"nl": category.nl, "en": category.en}},
        "source": None if source is None else dict(source),
        "legal_basis": None
        if basis is None
        else {
            "code": basis.id,
            "label": {"nl": basis.nl, "en": basis.en},
            "article": basis.article,
            "statutory_reference": _statutory(policies, entry.rule_ids),
        },
        "decision": entry.decision,
        "permitted": entry.decision == "permit",
        "break_glass": None,
        "new": who["kind"] != "you" and (previous is None or entry.time > previous),
    }
    if entry.break_glass:
        body["break_glass"] = {
            "review_status": "pending" if review is None else "reviewed",
            "verdict": None if review is None else review.details.get("verdict"),
        }
    return body


def _shown(ports: AccessLogPorts, entry: AuditEntry, relation: str) -> bool:
    category = ports.vocabulary.categories.get(entry.category or "")
    return category is None or shows_to(category.sensitivity, relation)  # type: ignore[arg-type]


async def my_access_log(
    ports: AccessLogPorts,
    person: str,
    household_id: str | None,
    *,
    request_id: str,
    trace_id: str | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    bound_to: str,
    others_only: bool = False,
) -> dict[str, Any]:
    """One page (newest first) of the entries about the member and their visible
    children; the read is audited first, and a first page counts as a new visit.
    `bound_to`: a digest of the session (`session_binding`), which the cursors need.
    `others_only`: without the member's own portal acts (their reads and downloads), as
    the page shows it (left out in the query: full pages)."""
    if not 1 <= limit <= PAGE_LIMIT:
        raise InvalidFilter(f"`limit` must be a whole number from 1 to {PAGE_LIMIT}")
    now = ports.clock()
    visible = await visible_subjects(ports.custody, ports.ages, ports.portal, person, now)
    page = await access_log_page(
        ports,
        person,
        visible,
        limit=limit,
        cursor=cursor,
        bound_to=bound_to,
        others_only=others_only,
    )
    await ports.audit.append([portal_event("household.access_log_read", person, household_id,
                                           request_id, trace_id)])  # fmt: skip
    if cursor is None:
        previous = await ports.visits.visit(person, now)
    else:
        previous = await ports.visits.previous(person)
    return render_page(ports, person, visible, page, previous)


def session_binding(session_token: str) -> str:
    """What binds the access log's cursors to one session: a digest of its token (the
    token itself never goes into a cursor)."""
    return hashlib.sha256(b"gw-access-log-cursor\x00" + session_token.encode()).hexdigest()[:32]


def portal_event(
    event_type: str,
    person: str,
    household_id: str | None,
    request_id: str,
    trace_id: str | None,
) -> AuditEvent:
    """A member's own portal act (`household.access_log_read`, `household.export`)."""
    return AuditEvent(
        event_type=event_type,
        request_id=request_id,
        trace_id=trace_id,
        professional=person,
        role="household",
        subject=person,
        household=household_id,
        decision="permit",
        outcome="returned",
    )


@dataclass(frozen=True, slots=True)
class Page:
    entries: tuple[AuditEntry, ...]
    reviews: Mapping[int, AuditEntry]
    next_cursor: str | None


def withheld_for(
    ports: AccessLogPorts,
    visible: Sequence[Visible],
    bound_to: str,
    own_portal_acts_of: str | None = None,
) -> Withheld:
    """What the reader leaves out for this member: restricted categories about anyone
    but themselves; cursors bound to `bound_to` (the session) for `CURSOR_TTL_SECONDS`."""
    restricted = frozenset(
        cid
        for cid, category in ports.vocabulary.categories.items()
        if not shows_to(category.sensitivity, "child")
    )
    return Withheld(
        others=frozenset(v.person for v in visible if v.relation != "self"),
        categories=restricted,
        bound_to=bound_to,
        cursor_ttl_seconds=CURSOR_TTL_SECONDS,
        own_portal_acts_of=own_portal_acts_of,
    )


async def access_log_page(
    ports: AccessLogPorts,
    person: str,
    visible: Sequence[Visible],
    *,
    limit: int,
    cursor: str | None,
    bound_to: str,
    others_only: bool = False,
) -> Page:
    """The entries of one page that the member may see (nothing audited or recorded).
    What they may not see is left out by the query itself, so pages are full and a
    cursor says nothing about hidden entries; a cursor works only in the session
    (`bound_to`) that got it, and for `CURSOR_TTL_SECONDS`."""
    relation = {v.person: v.relation for v in visible}
    page = await ports.reader.entries_for_subject(
        sorted(relation),
        limit=limit,
        cursor=cursor,
        withheld=withheld_for(ports, visible, bound_to, person if others_only else None),
    )
    # Defence in depth: the query already left these out, so this never shortens a page.
    shown = tuple(
        e for e in page.entries if _shown(ports, e, relation.get(e.subject or "", "child"))
    )
    reviews = await ports.reader.break_glass_reviews([e.seq for e in shown if e.break_glass])
    return Page(shown, reviews, page.next_cursor)


def render_page(
    ports: AccessLogPorts,
    person: str,
    visible: Sequence[Visible],
    page: Page,
    previous: datetime | None,
) -> dict[str, Any]:
    relation = {v.person: v.relation for v in visible}
    policies = ports.policies()
    return {
        "person": person,
        "people": [_visible_json(v) for v in visible],
        "previous_visit_at": None if previous is None else previous.isoformat(),
        "withheld_notice": WITHHELD_NOTICE,
        "entries": [
            entry_json(
                ports,
                policies,
                entry,
                person,
                relation.get(entry.subject or "", "child"),
                previous,
                page.reviews.get(entry.seq),
            )
            for entry in page.entries
        ],
        "next_cursor": page.next_cursor,
    }


def _visible_json(visible: Visible) -> dict[str, Any]:
    return {"person": visible.person, "relation": visible.relation, "age": visible.age}
