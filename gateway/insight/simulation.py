"""The simulation use-case: a candidate rule set over a period of the officer's log.

Bounds first (rule count, period length, number of decisions: each with its own code),
then the candidate is loaded exactly as the loader loads `config/policies/`
(`policy_invalid` with every problem), then the recorded decisions of the period within
the officer's scope are read in one query and replayed through the candidate's real
engine (`policies.simulation.replay`). What each recorded decision lacks is stated,
never guessed (see `policies.simulation`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.audit.query import Scope
from gateway.audit.replay import ReplayRow, count_decisions, recorded_decisions
from gateway.auth.organisations import Organisation
from gateway.errors import (
    InvalidFilter,
    PolicyInvalid,
    SimulationPeriodTooLong,
    TooManyDecisions,
    TooManyRules,
)
from gateway.insight.config import SimulationLimits
from policies import PolicyLoadError, PolicySet
from policies.simulation import (
    RecordedDecision,
    ReplayResult,
    RuleDiff,
    diff_rules,
    load_candidate,
    replay,
)

__all__ = ["Simulation", "recorded", "simulate"]


@dataclass(frozen=True)
class Simulation:
    candidate_version: str
    in_force_version: str
    since: datetime
    until: datetime
    result: ReplayResult
    diff: RuleDiff
    unreplayable: int  # recorded decisions whose requester or source is no longer configured


def recorded(
    row: ReplayRow,
    organisations: Mapping[str, Organisation],
    justification_length: Callable[[int], int | None],
) -> RecordedDecision | None:
    """A row as the replay's inputs, or None if its organisations are not configured now."""
    source = organisations.get(row.source or "")
    if source is None or row.purpose is None or row.category is None:
        return None
    if row.decision not in ("permit", "deny"):
        return None
    portal = row.event_type == "household.read"
    if portal:
        requester_type, role, region = "household", None, ""
    else:
        org = organisations.get(row.requester_org or "")
        if org is None:
            return None
        requester_type, role, region = org.type, row.role, org.region
    consent: bool | None = None
    if row.reason == "consent_required":
        consent = False
    elif row.decision == "permit" and row.consent_ids:
        consent = True
    return RecordedDecision(
        seq=row.seq,
        at=row.time,
        requester_type=requester_type,
        purpose=row.purpose,
        source_type=source.type,
        category=row.category,
        decision=row.decision,  # type: ignore[arg-type]  # checked just above
        reason=row.reason or "",
        rule_ids=row.rule_ids,
        requester_role=role,
        requester_region=region,
        has_case_reference=row.case_named,
        channel="household_portal" if portal else "organisation",
        about_self=portal and row.professional is not None and row.professional == row.subject,
        justification_length=justification_length(row.seq) if row.break_glass else None,
        consent_present=consent,
    )


async def simulate(
    *,
    engine: AsyncEngine,
    scope: Scope,
    texts: Mapping[str, str],
    since: datetime,
    until: datetime,
    in_force: PolicySet,
    organisations: Mapping[str, Organisation],
    limits: SimulationLimits,
    justification_lengths: Callable[[Mapping[int, Any]], Awaitable[Mapping[int, int]]]
    | None = None,
) -> Simulation:
    if len(texts) > limits.max_files:
        raise TooManyRules(f"At most {limits.max_files} policy files may be simulated")
    if since >= until:
        raise InvalidFilter("`from` must be before `to`")
    if until - since > timedelta(days=limits.max_period_days):
        raise SimulationPeriodTooLong(f"At most {limits.max_period_days} days may be simulated")
    try:
        candidate = load_candidate(texts, in_force.vocabulary, max_rules=limits.max_rules)
    except PolicyLoadError as exc:
        if any("rules; at most" in p for p in exc.problems):
            raise TooManyRules(
                f"At most {limits.max_rules} rules may be simulated", errors=exc.problems
            ) from None
        raise PolicyInvalid(
            f"The candidate rule set has {len(exc.problems)} problem(s)", errors=exc.problems
        ) from None
    count = await count_decisions(engine, scope, since, until)
    if count > limits.max_decisions:
        raise TooManyDecisions(
            f"The period holds {count} decisions; at most {limits.max_decisions} may be "
            "replayed: choose a shorter period"
        )
    rows = await recorded_decisions(engine, scope, since, until, limit=limits.max_decisions)
    lengths: Mapping[int, int] = {}
    if justification_lengths is not None:
        lengths = await justification_lengths({r.seq: r for r in rows if r.break_glass})
    inputs = []
    for row in rows:
        item = recorded(row, organisations, lengths.get)
        if item is not None:
            inputs.append(item)
    result = replay(candidate, inputs)
    return Simulation(
        candidate_version=candidate.version,
        in_force_version=in_force.version,
        since=since,
        until=until,
        result=result,
        diff=diff_rules(in_force.rules, candidate.rules),
        unreplayable=len(rows) - len(inputs),
    )
