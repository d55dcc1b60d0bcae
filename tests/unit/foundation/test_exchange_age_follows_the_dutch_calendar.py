"""The exchange's policy context counts the subject's age on the Dutch calendar.

The pipeline with in-memory ports (a real policy engine, subject register and access
log held in memory): a rule that only holds for children of 11 or younger stops
holding at midnight in Amsterdam on the 12th birthday, an hour before midnight UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from support import CONFIG_DIR

from gateway.auth.organisation_tokens import Principal
from gateway.auth.organisations import Organisation, OrganisationRegistry
from gateway.exchange.model import AccessRecord, ExchangeRequest, SubjectInfo
from gateway.exchange.pipeline import (
    ConsentView,
    ExchangeDeps,
    ExchangeMeta,
    RequestMeta,
    SubjectRecord,
    run_exchange,
)
from policies import Conditions, PolicyEngine, PolicySet, Rule, load_vocabulary

BIRTH = date(2014, 3, 5)
WIJKTEAM, VEILIG_THUIS = "wijkteam-utrecht", "veilig-thuis-utrecht"


class InMemorySubject:
    def __init__(self, info: SubjectInfo) -> None:
        self.info = info

    def consent(
        self, requester: Organisation, purpose: str, items: Sequence[tuple[str, Organisation]]
    ) -> list[ConsentView]:
        return [ConsentView(False, (), (self.info.pseudonym,)) for _ in items]

    def open_case(self, organisation_id: str, reference: str) -> str | None:
        return None


class InMemorySubjectReader:
    async def read(self, pseudonym: str, at: datetime, bsn: str | None = None) -> SubjectRecord:
        return InMemorySubject(SubjectInfo(pseudonym, "hh_1", BIRTH, WIJKTEAM))


class InMemoryAccessLog:
    def __init__(self) -> None:
        self.records: list[AccessRecord] = []

    async def record(self, meta: ExchangeMeta, records: Sequence[AccessRecord]) -> Sequence[int]:
        start = len(self.records)
        self.records.extend(records)
        return list(range(start + 1, len(self.records) + 1))


def deps(at: datetime) -> ExchangeDeps:
    vocabulary = load_vocabulary(CONFIG_DIR)
    under_twelve = Rule(
        id="young-children-school-forbidden",
        effect="forbid",
        description_nl="Test",
        description_en="Test",
        requester_types=frozenset({"wijkteam"}),
        purposes=frozenset({"support_planning"}),
        source_types=frozenset({"veilig_thuis"}),
        categories=frozenset({"school"}),
        conditions=Conditions(max_age=11),
    )
    engine = PolicyEngine(PolicySet.build(vocabulary, [under_twelve]))
    registry = OrganisationRegistry.load(
        CONFIG_DIR / "organisations.toml", data_dir=CONFIG_DIR, require_keys=False
    )
    return ExchangeDeps(
        engine=lambda: engine,
        organisations={org.id: org for org in registry},
        adapters={},
        pseudonymise=lambda _bsn: "ps_child",
        subjects=InMemorySubjectReader(),
        access_log=InMemoryAccessLog(),
        deadline_seconds=1.0,
        clock=lambda: at,
    )


async def reason_at(at: datetime) -> str:
    dependencies = deps(at)
    wijkteam = dependencies.organisations[WIJKTEAM]
    result = await run_exchange(
        ExchangeRequest("999990019", "support_planning", ("school",), (VEILIG_THUIS,)),
        Principal(wijkteam, "prof-1", "hulpverlener", "jti-1"),
        RequestMeta("req_1", "0" * 32, "00-" + "0" * 32 + "-" + "0" * 16 + "-01"),
        dependencies,
    )
    (item,) = result.items
    return str(item.decision.reason)


async def test_at_half_past_midnight_in_amsterdam_the_child_is_twelve() -> None:
    # 2026-03-04T23:30Z is 00:30 on 5 March in Amsterdam: the 12th birthday has begun.
    assert await reason_at(datetime(2026, 3, 4, 23, 30, tzinfo=UTC)) == "no_matching_rule"


async def test_an_hour_earlier_the_child_is_still_eleven() -> None:
    assert await reason_at(datetime(2026, 3, 4, 22, 30, tzinfo=UTC)) == "forbidden_by_rule"
