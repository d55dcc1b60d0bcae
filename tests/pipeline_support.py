"""In-memory ports for `run_exchange`: real implementations of its protocols, no database.

`InMemorySubjectReader` answers from households and consents held in memory, through
the real `consent.rules.evaluate`; `InMemoryAccessLog` keeps what it was told and can
be told to fail; `InMemorySourceAdapter` is a `SourceAdapter` over a dict of records
per BSN that keeps which categories it was asked for, and can hang, fail or answer
more than it was asked. They all write to one `Timeline`, so a test checks the ORDER
in which things happened (read, fetch, audit durable, answer), not a count afterwards.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

from adapters.base import CategoryRecords, FetchRequest
from adapters.errors import REASON_ADAPTER_ERROR, SourceUnavailable
from consent import (
    Actor,
    AgeRules,
    ConsentRecord,
    ConsentScope,
    RequesterRef,
    SourceRef,
    evaluate,
)
from gateway.auth.organisations import Organisation
from gateway.errors import AuditUnavailable
from gateway.exchange.model import AccessRecord, SubjectInfo
from gateway.exchange.pipeline import ConsentView, ExchangeDeps, ExchangeMeta, SubjectRecord
from policies import PolicyEngine, load_policy_set

__all__ = [
    "CONFIG",
    "InMemoryAccessLog",
    "InMemoryHouseholds",
    "InMemorySourceAdapter",
    "InMemorySubjectReader",
    "Person",
    "Timeline",
    "default_engine",
    "in_memory_deps",
    "organisation",
    "pseudonym",
]

CONFIG = Path(__file__).resolve().parent.parent / "config"


class Timeline:
    """What happened, in order, as tuples such as ("audit", "durable")."""

    def __init__(self) -> None:
        self.events: list[tuple[str, ...]] = []

    def note(self, *event: str) -> None:
        self.events.append(event)

    def position(self, *event: str) -> int:
        """Index of the first event that starts with `event`; AssertionError if none."""
        for index, seen in enumerate(self.events):
            if seen[: len(event)] == event:
                return index
        raise AssertionError(f"{event} never happened; timeline: {self.events}")

    def happened(self, *event: str) -> bool:
        return any(seen[: len(event)] == event for seen in self.events)


@dataclass
class Person:
    """One registered person: where they live and who holds custody of them."""

    birth_date: date
    household_id: str
    regiehouder: str
    custody_holders: frozenset[str] = frozenset()
    region: str = "utrecht"  # the household's region (where consent to a type counts)
    # The open cases covering the person: (organisation id, reference) -> case id.
    open_cases: dict[tuple[str, str], str] = field(default_factory=dict)


@dataclass
class InMemoryHouseholds:
    """The household registry and consent store, in memory. Mutable on purpose: a test
    changes it between exchanges and the next exchange must see the change."""

    people: dict[str, Person] = field(default_factory=dict)
    consents: dict[str, ConsentRecord] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def register(
        self,
        pseudonym: str,
        birth_date: date,
        *,
        household_id: str = "hh_1",
        regiehouder: str = "wijkteam-utrecht",
        custody_holders: Iterable[str] = (),
    ) -> None:
        self.people[pseudonym] = Person(
            birth_date, household_id, regiehouder, frozenset(custody_holders)
        )

    def declare(
        self,
        subject: str,
        *,
        given_by: str | None = None,
        decision: str = "grant",
        purposes: Iterable[str],
        categories: Iterable[str],
        recipient_organisations: Iterable[str] = (),
        recipient_types: Iterable[str] = (),
        source_organisations: Iterable[str] = (),
        valid_from: datetime = datetime(2020, 1, 1, tzinfo=UTC),
    ) -> str:
        """Record a grant (or refusal) and return its id."""
        consent_id = f"cs_mem{next(self._ids)}"
        giver = given_by or subject
        self.consents[consent_id] = ConsentRecord(
            id=consent_id,
            subject=subject,
            given_by=giver,
            giver_role="self" if giver == subject else "custody_holder",
            decision="grant" if decision == "grant" else "refuse",
            status="active" if decision == "grant" else "refused",
            scope=ConsentScope(
                purposes=frozenset(purposes),
                categories=frozenset(categories),
                recipient_organisations=frozenset(recipient_organisations),
                recipient_types=frozenset(recipient_types),
                source_organisations=frozenset(source_organisations),
            ),
            recorded_via="portal",
            recorded_by=Actor("person", person=giver),
            given_at=valid_from,
            valid_from=valid_from,
            valid_until=None,
            evidence_reference=None,
            policy_version="test",
        )
        return consent_id

    def withdraw(self, consent_id: str, at: datetime) -> None:
        self.consents[consent_id] = replace(
            self.consents[consent_id], status="withdrawn", withdrawn_at=at
        )


class InMemorySubjectReader:
    """`SubjectReader` over `InMemoryHouseholds`: every read takes what they hold NOW.

    `reads` counts reads, so a test can tell one read per exchange from a cached one.
    """

    def __init__(
        self,
        households: InMemoryHouseholds,
        *,
        rules: AgeRules | None = None,
        timeline: Timeline | None = None,
    ) -> None:
        self._households = households
        self._rules = rules or AgeRules()
        self.rules = self._rules  # the pipeline ages people on the same calendar
        self._timeline = timeline or Timeline()
        self.reads = 0
        self.has_read = asyncio.Event()  # set once the first read has been taken

    async def read(self, pseudonym: str, at: datetime, bsn: str | None = None) -> SubjectRecord:
        await asyncio.sleep(0)  # a real read is I/O: let other tasks run
        self.reads += 1
        self.has_read.set()
        self._timeline.note("subject", "read")
        person = self._households.people.get(pseudonym)
        live = tuple(
            record
            for record in self._households.consents.values()
            if record.subject == pseudonym and record.status in ("active", "refused")
        )
        return _InMemorySubject(pseudonym, person, live, at, self._rules)


class _InMemorySubject:
    def __init__(
        self,
        pseudonym: str,
        person: Person | None,
        live: tuple[ConsentRecord, ...],
        at: datetime,
        rules: AgeRules,
    ) -> None:
        self._pseudonym = pseudonym
        self._person = person
        self._live = live
        self._at = at
        self._rules = rules
        self.info = (
            SubjectInfo(pseudonym, None, None, None)
            if person is None
            else SubjectInfo(pseudonym, person.household_id, person.birth_date, person.regiehouder)
        )

    def consent(
        self, requester: Organisation, purpose: str, items: Sequence[tuple[str, Organisation]]
    ) -> list[ConsentView]:
        person = self._person
        views: list[ConsentView] = []
        for category, source in items:
            coverage = evaluate(
                self._pseudonym,
                None if person is None else person.birth_date,
                () if person is None else person.custody_holders,
                self._live,
                RequesterRef(requester.id, requester.type, requester.region),
                purpose,
                category,
                SourceRef(source.id, source.type),
                self._at,
                self._rules,
                None if person is None else person.region,
            )
            views.append(ConsentView(coverage.ok, coverage.consent_ids, coverage.missing))
        return views

    def open_case(self, organisation_id: str, reference: str) -> str | None:
        person = self._person
        return None if person is None else person.open_cases.get((organisation_id, reference))


class InMemoryAccessLog:
    """`AccessLog` that keeps what it was told; `fail = True` makes it refuse (fail closed).

    An append takes a few scheduler turns (as a durable write does) and notes on the
    timeline when it started and when it became durable.
    """

    def __init__(self, timeline: Timeline | None = None, *, fail: bool = False) -> None:
        self._timeline = timeline or Timeline()
        self.fail = fail
        self.appended: list[tuple[ExchangeMeta, AccessRecord]] = []

    async def record(self, meta: ExchangeMeta, records: Sequence[AccessRecord]) -> Sequence[int]:
        self._timeline.note("audit", "start")
        for _ in range(3):
            await asyncio.sleep(0)
        if self.fail:
            self._timeline.note("audit", "failed")
            raise AuditUnavailable("Audit log unavailable; no data released")
        first = len(self.appended) + 1
        self.appended.extend((meta, record) for record in records)
        self._timeline.note("audit", "durable")
        return list(range(first, first + len(records)))

    @property
    def metas(self) -> list[ExchangeMeta]:
        return [meta for meta, _ in self.appended]

    @property
    def records(self) -> list[AccessRecord]:
        return [record for _, record in self.appended]


class InMemorySourceAdapter:
    """`SourceAdapter` over {bsn: {category: [record, ...]}}.

    `asked` holds the categories of every fetch. `hang` never answers (until cancelled),
    `fail` raises `SourceUnavailable`, `answers_everything` returns every category held
    (a misbehaving source: the gateway must keep only what it asked for).
    """

    def __init__(
        self,
        source_id: str,
        records: dict[str, CategoryRecords] | None = None,
        *,
        timeline: Timeline | None = None,
        hang: bool = False,
        fail: bool = False,
        answers_everything: bool = False,
        timeout: float = 1.0,
    ) -> None:
        self.source_id = source_id
        self.records = records or {}
        self._timeline = timeline or Timeline()
        self.hang = hang
        self.fail = fail
        self.answers_everything = answers_everything
        self.timeout = timeout
        self.asked: list[tuple[str, ...]] = []

    async def fetch(self, request: FetchRequest) -> CategoryRecords:
        self.asked.append(request.categories)
        self._timeline.note("source", self.source_id, "asked")
        if self.hang:
            await asyncio.Event().wait()
        if self.fail:
            raise SourceUnavailable(self.source_id, REASON_ADAPTER_ERROR)
        await asyncio.sleep(0)
        held = copy.deepcopy(self.records.get(request.bsn, {}))
        self._timeline.note("source", self.source_id, "answered")
        if self.answers_everything:
            return held
        return {category: held.get(category, []) for category in request.categories}

    @property
    def categories_asked(self) -> set[str]:
        return {category for fetch in self.asked for category in fetch}


def organisation(org_id: str, org_type: str, region: str = "utrecht") -> Organisation:
    return Organisation(id=org_id, type=org_type, name=org_id, region=region, keys={})


def pseudonym(bsn: str) -> str:
    """A stand-in for the keyed pseudonymiser: stable, and never contains the BSN."""
    return "ps_" + hashlib.sha256(b"test-key|" + bsn.encode()).hexdigest()[:24]


_DEFAULT_ENGINE: list[PolicyEngine] = []


def default_engine() -> PolicyEngine:
    """The policy engine over the repository's own config (loaded once per test run)."""
    if not _DEFAULT_ENGINE:
        _DEFAULT_ENGINE.append(PolicyEngine(load_policy_set(CONFIG)))
    return _DEFAULT_ENGINE[0]


def in_memory_deps(
    *,
    organisations: Iterable[Organisation],
    adapters: Iterable[InMemorySourceAdapter],
    subjects: InMemorySubjectReader,
    access_log: InMemoryAccessLog,
    engine: PolicyEngine | None = None,
    deadline_seconds: float = 1.0,
    now: datetime | None = None,
) -> ExchangeDeps:
    """`ExchangeDeps` wired to in-memory ports (`pseudonym` stands in for the keyed one)."""
    policy = engine or default_engine()
    clock_value = now
    return ExchangeDeps(
        engine=lambda: policy,
        organisations={org.id: org for org in organisations},
        adapters={adapter.source_id: adapter for adapter in adapters},
        pseudonymise=pseudonym,
        subjects=subjects,
        access_log=access_log,
        deadline_seconds=deadline_seconds,
        clock=(lambda: clock_value) if clock_value is not None else (lambda: datetime.now(UTC)),
        age_rules=subjects.rules,
    )
