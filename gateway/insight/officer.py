"""The privacy officer's insight use-cases: the rules in force, a comparison, a
simulation, the misuse signals and the monitoring statistics.

The JSON API (`gateway.api.officer.insight` and `.monitoring`, organisation token) and
the console's pages (`gateway.web.officer`, officer session) call these same methods,
so both have one set of bounds, one scope rule (`OfficerLog.scope`) and one logging
rule: every call is itself logged before it answers. Each caller only turns its
request into the arguments and the answer into JSON or a page.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.access.officer_log import Officer, OfficerLog
from gateway.audit.monitoring import counted_entries
from gateway.audit.query import Scope
from gateway.audit.replay import entries_with_justification
from gateway.audit.signals import SignalQueries
from gateway.auth.organisations import OrganisationRegistry
from gateway.errors import Forbidden, InvalidFilter, PayloadTooLarge, PolicyInvalid, TooManyRules
from gateway.insight.config import InsightConfig
from gateway.insight.monitor import Quarter, StatisticsAnswer, base_cells, figures
from gateway.insight.signals import Signal, find_signals
from gateway.insight.simulation import Simulation, simulate
from gateway.insight.statistics import Protection
from policies import PolicyLoadError
from policies.model import PolicySet
from policies.processing_register import ProcessingRegister
from policies.simulation import RuleDiff, diff_rules, load_candidate
from policies.vocabulary import REGIONAL_PRIVACY_OFFICER

__all__ = [
    "METHOD",
    "Comparison",
    "OfficerInsight",
    "SignalsAnswer",
    "StatisticsView",
]

#: The statistical-disclosure-control method, as the answer and the page name it.
METHOD = (
    "Suppression below the threshold plus cell-key random rounding (ABS/Destatis cell-key "
    "method): docs/statistics.md"
)


@dataclass(frozen=True)
class Comparison:
    base: PolicySet  # version A: the rules in force unless another was given
    other: PolicySet
    diff: RuleDiff


@dataclass(frozen=True)
class SignalsAnswer:
    since: datetime
    until: datetime
    signals: list[Signal]


@dataclass(frozen=True)
class StatisticsView:
    first: Quarter
    last: Quarter
    quarters: list[Quarter]
    protection: Protection
    answer: StatisticsAnswer


@dataclass(frozen=True)
class OfficerInsight:
    """The insight use-cases for one request (what they need of the application)."""

    log: OfficerLog
    engine: AsyncEngine
    config: InsightConfig
    policy_set: PolicySet
    register: ProcessingRegister
    organisations: OrganisationRegistry
    purposes: frozenset[str]
    pseudonym_secret: bytes

    def scope(self, officer: Officer) -> Scope:
        return self.log.scope(officer)

    # --- policies -----------------------------------------------------------------------

    async def policies(self, officer: Officer) -> PolicySet:
        """The rule set in force (and, with it, `register`): logged, then shown."""
        await self.log.log(officer, "audit.query", details={"view": "policies"})
        return self.policy_set

    def check_size(self, texts: Mapping[str, str]) -> None:
        """The bounds of a candidate's text, before anything parses it."""
        limits = self.config.simulation
        if len(texts) > limits.max_files:
            raise TooManyRules(f"At most {limits.max_files} policy files may be given")
        if sum(len(t.encode()) for t in texts.values()) > limits.max_body_bytes:
            raise PayloadTooLarge(f"A rule set may be at most {limits.max_body_bytes} bytes")

    def candidate(self, texts: Mapping[str, str]) -> PolicySet:
        """Another version of the rules, loaded as the loader loads them (bounded)."""
        self.check_size(texts)
        limits = self.config.simulation
        try:
            return load_candidate(texts, self.policy_set.vocabulary, max_rules=limits.max_rules)
        except PolicyLoadError as exc:
            raise PolicyInvalid(
                f"The rule set has {len(exc.problems)} problem(s)", errors=exc.problems
            ) from None

    async def compare(
        self,
        officer: Officer,
        texts: Mapping[str, str],
        base: Mapping[str, str] | None = None,
    ) -> Comparison:
        """The rule-by-rule difference from `base` (default: the rules in force) to
        `texts`, each loaded as the loader loads them (bounded)."""
        first = self.policy_set if base is None else self.candidate(base)
        other = self.candidate(texts)
        details = {"view": "policy_compare", "other_version": other.version[:200]}
        if base is not None:
            details["base_version"] = first.version[:200]
        await self.log.log(officer, "audit.query", details=details)
        return Comparison(first, other, diff_rules(first.rules, other.rules))

    # --- simulation ---------------------------------------------------------------------

    async def simulate(
        self, officer: Officer, texts: Mapping[str, str], since: datetime, until: datetime
    ) -> Simulation:
        """The recorded decisions of [since, until) within the officer's scope, replayed
        through the candidate `texts`; logged (`policy.simulated`) before it answers."""
        self.check_size(texts)
        scope = self.scope(officer)
        audit = self.log.audit

        async def lengths(seqs: Mapping[int, Any]) -> Mapping[int, int]:
            found: dict[int, int] = {}
            for entry in await entries_with_justification(self.engine, scope, list(seqs)):
                text = audit.open_justification(entry)
                if text is not None:
                    found[entry.seq] = len(text)
            return found

        result = await simulate(
            engine=self.engine,
            scope=scope,
            texts=texts,
            since=since,
            until=until,
            in_force=self.policy_set,
            organisations={org.id: org for org in self.organisations},
            limits=self.config.simulation,
            justification_lengths=lengths,
        )
        await self.log.log(
            officer,
            "policy.simulated",
            details={
                "candidate_version": result.candidate_version[:200],
                "replayed": str(result.result.replayed),
                "changes": str(len(result.result.changes)),
            },
        )
        return result

    # --- monitoring ---------------------------------------------------------------------

    async def signals(self, officer: Officer, now: datetime | None = None) -> SignalsAnswer:
        """The misuse signals of the last `window_days` within the officer's scope."""
        now = now or datetime.now(UTC)
        config = self.config
        found = await find_signals(
            SignalQueries(self.engine), self.scope(officer), now, config.signals,
            config.working_hours,
        )  # fmt: skip
        await self.log.log(
            officer, "audit.query", details={"view": "signals", "results": str(len(found))}
        )
        return SignalsAnswer(now - timedelta(days=config.signals.window_days), now, found)

    def units(self, officer: Officer, organisation: str | None) -> dict[str, str]:
        """Organisation id -> the unit whose figures it counts in (drill-down: one
        organisation within the officer's scope, never another)."""
        allowed = self.scope(officer).organisations or frozenset()
        if organisation is not None:
            if organisation not in allowed:
                raise Forbidden("Figures of that organisation are not yours to see")
            return {organisation: organisation}
        if officer.role == REGIONAL_PRIVACY_OFFICER:
            return {o.id: o.region for o in self.organisations if o.id in allowed}
        return {org: org for org in allowed}

    def quarters(self, first: str | None, last: str | None) -> tuple[Quarter, Quarter]:
        """The quarters asked (default: this one), checked and bounded."""
        today = Quarter.of(datetime.now(UTC), self.config.working_hours.zone)
        start = Quarter.parse(first or str(today))
        end = Quarter.parse(last or str(today))
        if start is None or end is None or end < start:
            raise InvalidFilter("`from` and `to` must be quarters such as 2026-Q1, in order")
        if len(start.span(end)) > self.config.statistics.max_quarters:
            raise InvalidFilter(f"At most {self.config.statistics.max_quarters} quarters at once")
        return start, end

    async def statistics(
        self,
        officer: Officer,
        first: str | None = None,
        last: str | None = None,
        organisation: str | None = None,
    ) -> StatisticsView:
        """The protected figures per unit and quarter (`gateway.insight.statistics`)."""
        start, end = self.quarters(first, last)
        quarters = start.span(end)
        zone = self.config.working_hours.zone
        units = self.units(officer, organisation)
        entries = await counted_entries(
            self.engine, units, quarters[0].start(zone), quarters[-1].next().start(zone)
        )
        purposes = sorted(p for p in self.purposes if p != "monitoring")
        types = {o.id: o.type for o in self.organisations}
        cells = base_cells(entries, units, types, quarters, purposes, zone)
        secret = hmac.new(
            self.pseudonym_secret, b"gateway-statistics-cell-key/v1", hashlib.sha256
        ).digest()
        settings = self.config.statistics
        protection = Protection(secret, settings.threshold, settings.rounding_base)
        answer = figures(cells, protection)
        await self.log.log(
            officer,
            "audit.query",
            details={"view": "statistics", "from": str(start), "to": str(end)},
        )
        return StatisticsView(start, end, quarters, protection, answer)
