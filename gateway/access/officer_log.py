"""The privacy officer's use-cases on the audit log: search, one entry with its whole
exchange, verify, checkpoints, the break-the-glass queue and its review, confidential
entries and lifting them.

The JSON API (`gateway.api.officer.audit`, organisation token) and the console's pages
(`gateway.web.officer`, officer session) call these same functions, so both have one
scope rule and one logging rule: an officer sees the entries their organisation
requested or was the source of (a regional officer: every organisation in the regions
their organisation is configured as the privacy office of), and every call is itself
logged before it answers (if that fails: `AuditUnavailable`, nothing is shown).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.audit.fields import CSV_FIELDS, VIEW_FIELDS, json_form
from gateway.audit.model import AuditEntry, AuditEvent, Checkpoint
from gateway.audit.query import AuditFilters, AuditPage, Scope
from gateway.audit.reader import AuditReader
from gateway.audit.verify import VerifyReport
from gateway.audit.writer import AuditLog
from gateway.auth.organisations import OrganisationRegistry
from gateway.errors import Conflict, InvalidFilter, NotFound, ValidationFailed
from policies.vocabulary import PRIVACY_OFFICER, REGIONAL_PRIVACY_OFFICER

__all__ = [
    "CSV_COLUMNS",
    "MAX_NOTE",
    "OFFICER_ROLES",
    "VERDICTS",
    "LastVerification",
    "Officer",
    "OfficerLog",
    "Verification",
    "entry_view",
    "officer_scope",
    "parse_seq",
    "verify_key",
]

OFFICER_ROLES = (PRIVACY_OFFICER, REGIONAL_PRIVACY_OFFICER)
CSV_COLUMNS = tuple(f.name for f in CSV_FIELDS)  # gateway.audit.fields declares them
MAX_NOTE = 2000
EXCHANGE_MAX = 200  # entries of one exchange shown with an entry (one per source x category)
VERDICTS = ("justified", "unjustified")  # `gateway.api.officer.schema.Verdict`


@dataclass(frozen=True, slots=True)
class Officer:
    """Who acts: their organisation, their identity there and their officer role."""

    organisation: str
    professional: str
    role: str


def officer_scope(officer: Officer, organisations: OrganisationRegistry) -> Scope:
    """The organisations whose entries `officer` may see: their own; for a regional
    officer every organisation of the regions their organisation is configured as the
    privacy office of (never a region a claim names)."""
    if officer.role == REGIONAL_PRIVACY_OFFICER:
        org = organisations.get(officer.organisation)
        regions = frozenset(org.privacy_office_for if org is not None else ())
        return Scope(frozenset(o.id for o in organisations if o.region in regions))
    return Scope(frozenset({officer.organisation}))


def verify_key(officer: Officer) -> str:
    """The rate limit's key for re-verifying: one officer, whichever way they ask."""
    return f"{officer.organisation}/{officer.professional}"


def parse_seq(text: str) -> int:
    if not text.isascii() or not text.isdigit() or not 0 < len(text) < 16 or int(text) < 1:
        raise InvalidFilter("Entry id must be a sequence number")
    return int(text)


def entry_view(entry: AuditEntry, audit: AuditLog, *, lifted: bool) -> dict[str, Any]:
    """An entry as a privacy officer sees it: stored fields, decrypted text, current status."""
    data = json_form(entry, VIEW_FIELDS)
    data["justification"] = audit.open_justification(entry)
    data["confidentiality"] = "lifted" if lifted else entry.confidentiality
    return data


def csv_text(page: AuditPage, audit: AuditLog) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for entry in page.entries:
        data = entry_view(entry, audit, lifted=entry.seq in page.lifted)
        writer.writerow([_csv_cell(data[name]) for name in CSV_COLUMNS])
    return out.getvalue()


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    text = str(value)
    # Spreadsheet formula injection: never let a cell start like a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _note(text: str) -> str:
    note = text.strip()
    if not note or len(note) > MAX_NOTE:
        raise ValidationFailed(f"`note` must be text of 1 to {MAX_NOTE} characters")
    return note


@dataclass(frozen=True)
class Verification:
    at: datetime
    report: VerifyReport


@dataclass
class LastVerification:
    """The newest verification of this instance (the integrity page shows it)."""

    last: Verification | None = None


@dataclass(frozen=True)
class EntryDetail:
    entry: AuditEntry
    exchange: tuple[AuditEntry, ...]  # every entry of the same request, in scope
    lifted: frozenset[int]
    reviews: Mapping[int, AuditEntry]  # break-the-glass seq -> its review


@dataclass(frozen=True)
class OfficerLog:
    """The use-cases for one request: the reader, the log and the request's ids."""

    reader: AuditReader
    audit: AuditLog
    organisations: OrganisationRegistry
    request_id: str
    trace_id: str | None

    def scope(self, officer: Officer) -> Scope:
        return officer_scope(officer, self.organisations)

    async def log(self, officer: Officer, event_type: str, **fields: Any) -> list[int]:
        """The officer's own action, appended before anything is shown (`AuditUnavailable`)."""
        event = AuditEvent(
            event_type=event_type,
            request_id=self.request_id,
            trace_id=self.trace_id,
            requester_org=officer.organisation,
            professional=officer.professional,
            role=officer.role,
            **fields,
        )
        return await self.audit.append([event])

    async def search(
        self,
        officer: Officer,
        filters: AuditFilters,
        *,
        limit: int,
        cursor: str | None,
        form: str,
    ) -> AuditPage:
        page = await self.reader.search(filters, self.scope(officer), limit=limit, cursor=cursor)
        await self.log(
            officer,
            "audit.query",
            subject=filters.subject,
            details={**filters.details(), "format": form, "results": str(len(page.entries))},
        )
        return page

    async def detail(self, officer: Officer, seq: int) -> EntryDetail:
        """One entry in scope, with the whole exchange it belongs to (404 otherwise)."""
        scope = self.scope(officer)
        entry = await self.reader.entry(seq, scope)
        if entry is None:
            raise NotFound("No such entry in your organisation's log")
        page = await self.reader.search(
            AuditFilters(request_id=entry.request_id), scope, limit=EXCHANGE_MAX
        )
        exchange = tuple(sorted(page.entries, key=lambda e: e.seq))
        glass = [e.seq for e in exchange if e.break_glass]
        reviews = await self.reader.break_glass_reviews(glass) if glass else {}
        await self.log(
            officer,
            "audit.query",
            subject=entry.subject,
            details={"view": "entry", "entry": str(seq), "results": str(len(exchange))},
        )
        lifted = page.lifted | (frozenset({entry.seq}) if entry.seq in page.lifted else frozenset())
        return EntryDetail(entry, exchange, lifted, reviews)

    async def verify(self, officer: Officer) -> VerifyReport:
        report = await self.reader.verify()
        details = {"ok": str(report.ok).lower(), "entries": str(report.entries)}
        if report.first_bad_seq is not None:
            details["first_bad_seq"] = str(report.first_bad_seq)
        await self.log(officer, "audit.verify", details=details)
        return report

    async def checkpoints(self, officer: Officer, *, limit: int) -> list[Checkpoint]:
        found = await self.reader.checkpoints(limit=limit)
        await self.log(
            officer, "audit.query", details={"view": "checkpoints", "results": str(len(found))}
        )
        return found

    async def unreviewed(self, officer: Officer, *, limit: int, cursor: str | None) -> AuditPage:
        page = await self.reader.unreviewed_break_glass(
            self.scope(officer), limit=limit, cursor=cursor
        )
        await self.log(
            officer,
            "audit.query",
            details={"view": "break_glass_unreviewed", "results": str(len(page.entries))},
        )
        return page

    async def _target(self, officer: Officer, seq: int) -> AuditEntry:
        scope = self.scope(officer)
        # An officer's scope always names organisations; never all of them here.
        entry = await self.reader.entry(seq, Scope(scope.organisations or frozenset()))
        if entry is None:
            raise NotFound("No such entry in your organisation's log")
        return entry

    async def review_entry(self, officer: Officer, seq: int, verdict: str, note: str) -> int:
        """Review one break-the-glass decision (exactly once: a second is `Conflict`)."""
        text = _note(note)
        target = await self._target(officer, seq)
        if not target.break_glass or target.event_type != "exchange.decision":
            raise NotFound("That entry is not a break-the-glass decision")
        try:
            seqs = await self.log(officer, **_review(target, verdict, text))
        except Conflict:
            raise Conflict("This break-the-glass use was already reviewed") from None
        return seqs[0]

    async def review_exchange(
        self, officer: Officer, seq: int, verdict: str, note: str
    ) -> list[tuple[int, int]]:
        """Review every unreviewed break-the-glass decision of the exchange that `seq`
        belongs to, with one verdict and note, in one transaction: all or none.
        Returns (target seq, review seq) pairs."""
        if verdict not in VERDICTS:
            raise ValidationFailed(f"`verdict` must be one of {', '.join(VERDICTS)}")
        text = _note(note)
        target = await self._target(officer, seq)
        if not target.break_glass or target.event_type != "exchange.decision":
            raise NotFound("That entry is not a break-the-glass decision")
        scope = Scope(self.scope(officer).organisations or frozenset())
        page = await self.reader.search(
            AuditFilters(
                request_id=target.request_id, break_glass=True, event_type="exchange.decision"
            ),
            scope,
            limit=EXCHANGE_MAX,
        )
        targets = sorted(page.entries, key=lambda e: e.seq)
        done = await self.reader.break_glass_reviews([e.seq for e in targets])
        todo = [e for e in targets if e.seq not in done]
        if not todo:
            raise Conflict("This break-the-glass use was already reviewed")
        events = [
            AuditEvent(
                request_id=self.request_id,
                trace_id=self.trace_id,
                requester_org=officer.organisation,
                professional=officer.professional,
                role=officer.role,
                **_review(e, verdict, text),
            )
            for e in todo
        ]
        try:
            seqs = await self.audit.append(events)
        except Conflict:
            raise Conflict("This break-the-glass use was already reviewed") from None
        return [(e.seq, s) for e, s in zip(todo, seqs, strict=True)]

    async def confidential(self, officer: Officer, *, limit: int, cursor: str | None) -> AuditPage:
        return await self.search(
            officer,
            AuditFilters(confidentiality="confidential"),
            limit=limit,
            cursor=cursor,
            form="confidential",
        )

    async def lift(self, officer: Officer, seq: int, note: str) -> int:
        text = _note(note)
        target = await self._target(officer, seq)
        if target.confidentiality != "confidential":
            raise NotFound("That entry is not confidential")
        try:  # exactly once, like a review
            seqs = await self.log(
                officer,
                "audit.confidentiality_lifted",
                subject=target.subject,
                household=target.household,
                target_seq=target.seq,
                justification=text,
            )
        except Conflict:
            raise Conflict("Confidentiality of this entry was already lifted") from None
        return seqs[0]


def _review(target: AuditEntry, verdict: str, note: str) -> dict[str, Any]:
    return {
        "event_type": "audit.break_glass_review",
        "subject": target.subject,
        "household": target.household,
        "target_seq": target.seq,
        "justification": note,
        "details": {"verdict": str(verdict)},
    }


def group_by_exchange(entries: Sequence[AuditEntry]) -> list[list[AuditEntry]]:
    """Entries grouped by their request (exchange), in the order first seen."""
    groups: dict[str, list[AuditEntry]] = {}
    for entry in entries:
        groups.setdefault(entry.request_id, []).append(entry)
    return list(groups.values())
