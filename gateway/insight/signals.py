"""Misuse signals: patterns in the log a privacy officer should look at, in plain words.

Five kinds, over the last `window_days` only (so the answer stays fast at any size of
the log), within the officer's scope:

- `volume_spike`: a professional's decisions in the last `recent_days` are at least
  `volume_factor` times their own usual daily level (and at least `volume_minimum`);
- `outside_working_hours`: decisions outside the configured working hours of each
  local day (`config/insight.toml [working_hours]`, daylight saving time included);
- `probing`: at least `probing_denials` denied decisions by one professional within
  one clock hour;
- `break_glass_without_basis`: a break-the-glass use older than the grace period with
  no later regular permit for the same person by the same organisation;
- `no_registered_case`: permits for purposes that expect a case where the request
  named no registered case.

A signal is not a verdict: each says what was seen, and links to its entries (`seqs`,
and `filters` for the log search) so the officer can judge. The filters name the
professional (`requester`, `professional`, `event_type`) and the signal's own time window,
to the microsecond. For `volume_spike` and `probing` they select exactly the signal's
entries (`filters_exact`); for the other kinds the pattern itself (outside working hours,
no later regular basis, no case) is not a filter, so they select the professional's
entries of the window it was seen in, and `seqs` are the signal's own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.audit.query import Scope
from gateway.audit.signals import HourCount, PersonCount, SignalQueries, SubjectUse
from gateway.insight.config import SignalSettings, WorkingHours

__all__ = ["SIGNAL_KINDS", "Signal", "find_signals", "working_intervals"]

_DECISION = "exchange.decision"
SIGNAL_KINDS = (
    "volume_spike",
    "outside_working_hours",
    "probing",
    "break_glass_without_basis",
    "no_registered_case",
)


@dataclass(frozen=True)
class Signal:
    kind: str
    organisation: str
    professional: str
    count: int
    explanation_nl: str
    explanation_en: str
    seqs: tuple[int, ...]
    filters: dict[str, str]
    figures: dict[str, Any] = field(default_factory=dict)
    filters_exact: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "organisation": self.organisation,
            "professional": self.professional,
            "count": self.count,
            "explanation": {"nl": self.explanation_nl, "en": self.explanation_en},
            "seqs": list(self.seqs),
            "filters": self.filters,
            "filters_exact": self.filters_exact,
            "figures": self.figures,
        }


def _iso(at: datetime) -> str:
    """A log-search bound: to the microsecond when it has them, so the search's window is
    the signal's own (a bound cut to the second would take in, or leave out, entries)."""
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if at.microsecond else "%Y-%m-%dT%H:%M:%SZ")


def _filters(
    organisation: str, professional: str, since: datetime, until: datetime, **more: str
) -> dict[str, str]:
    """The log search of one professional's decisions in `[since, until)`: requested by
    their organisation (`requester`; `organisation` alone would also take in what another
    organisation's professional of the same id asked of it)."""
    return {
        "organisation": organisation,
        "requester": organisation,
        "professional": professional,
        "event_type": _DECISION,
        **more,
        "from": _iso(since),
        "to": _iso(until),
    }


async def find_signals(
    queries: SignalQueries,
    scope: Scope,
    now: datetime,
    settings: SignalSettings,
    hours: WorkingHours,
) -> list[Signal]:
    since = now - timedelta(days=settings.window_days)
    recent = now - timedelta(days=settings.recent_days)
    grace = now - timedelta(days=settings.break_glass_grace_days)
    working = working_intervals(hours, since, now)

    def reads() -> tuple[
        Awaitable[list[PersonCount]],
        Awaitable[list[HourCount]],
        Awaitable[list[SubjectUse]],
        Awaitable[list[SubjectUse]],
    ]:
        return (
            queries.people(scope, since, recent, now, working),
            queries.denial_bursts(scope, since, now, at_least=settings.probing_denials),
            queries.break_glass_without_basis(scope, since, grace, limit=settings.max_links),
            queries.without_case(scope, since, now, purposes=settings.case_expected_purposes),
        )

    if queries.concurrent:
        # Four independent reads of the window, each on its own connection, at once:
        # the answer takes the longest of them rather than their sum.
        people, bursts, glass, cases = await asyncio.gather(*reads())
    else:
        people_read, bursts_read, glass_read, cases_read = reads()
        people, bursts = await people_read, await bursts_read
        glass, cases = await glass_read, await cases_read
    signals: list[Signal] = []
    signals += _volume(people, recent, now, settings)
    signals += _off_hours(people, since, now, hours)
    signals += _probing(bursts)
    for use in glass:
        signals.append(
            Signal(
                "break_glass_without_basis",
                use.organisation,
                use.professional,
                use.count,
                f"{use.count} keer noodtoegang (break-the-glass) zonder dat er daarna binnen "
                "de organisatie een gewone grondslag voor dezelfde persoon volgde. Is de "
                "noodsituatie afgesloten, of is er nog steeds alleen noodtoegang?",
                f"{use.count} break-the-glass use(s) with no later regular basis for the same "
                "person within the organisation. Did the emergency end, or is there still "
                "only emergency access?",
                use.seqs,
                _filters(
                    use.organisation,
                    use.professional,
                    since,
                    grace,
                    decision="permit",
                    break_glass="true",
                ),
                filters_exact=False,  # a later regular basis is not a filter: see `seqs`
            )
        )
    for use in cases:
        signals.append(
            Signal(
                "no_registered_case",
                use.organisation,
                use.professional,
                use.count,
                f"{use.count} verstrekking(en) voor een doel waarbij een zaak hoort "
                f"({', '.join(settings.case_expected_purposes)}), zonder geregistreerde zaak.",
                f"{use.count} exchange(s) for a purpose that expects a case "
                f"({', '.join(settings.case_expected_purposes)}) without a registered case.",
                use.seqs,
                _filters(use.organisation, use.professional, since, now, decision="permit"),
                filters_exact=False,  # neither "no case" nor two purposes is one filter
            )
        )
    return _strongest(signals, settings.max_signals)


def _strongest(signals: list[Signal], per_kind: int) -> list[Signal]:
    """At most `per_kind` signals of each kind, the largest counts first."""
    kept: list[Signal] = []
    for kind in SIGNAL_KINDS:
        of_kind = sorted(
            (s for s in signals if s.kind == kind),
            key=lambda s: (-s.count, s.organisation, s.professional),
        )
        kept += of_kind[:per_kind]
    return kept


def working_intervals(
    hours: WorkingHours, since: datetime, until: datetime
) -> list[tuple[datetime, datetime]]:
    """The working hours of every local day touching [since, until), as UTC intervals
    (daylight saving time included: each day is converted on its own)."""
    zone = hours.zone
    day = since.astimezone(zone).date() - timedelta(days=1)
    last = until.astimezone(zone).date()
    intervals = []
    while day <= last:
        if day.isoweekday() in hours.days:
            start = datetime.combine(day, hours.start, zone).astimezone(UTC)
            end = datetime.combine(day, hours.end, zone).astimezone(UTC)
            if end > since and start < until:
                intervals.append((start, end))
        day += timedelta(days=1)
    return intervals


def _volume(
    people: list[PersonCount], recent: datetime, now: datetime, settings: SignalSettings
) -> list[Signal]:
    found = []
    baseline_days = settings.window_days - settings.recent_days
    for person in sorted(people, key=lambda p: (p.organisation, p.professional)):
        latest, per_day = person.recent, person.recent / settings.recent_days
        usual = person.earlier / baseline_days
        if latest < settings.volume_minimum or per_day < settings.volume_factor * max(usual, 1.0):
            continue
        org, prof = person.organisation, person.professional
        found.append(
            Signal(
                "volume_spike",
                org,
                prof,
                latest,
                f"{latest} beslissingen in de laatste {settings.recent_days} dag(en): "
                f"{per_day:.0f} per dag, tegen gewoonlijk {usual:.1f} per dag voor deze "
                "professional. Dat is veel meer dan normaal.",
                f"{latest} decisions in the last {settings.recent_days} day(s): {per_day:.0f} "
                f"a day, against a usual {usual:.1f} a day for this professional. That is far "
                "above their own level.",
                _link(person.last_recent_seq),
                _filters(org, prof, recent, now),
                {"per_day": round(per_day, 1), "usual_per_day": round(usual, 1)},
            )
        )
    return found


def _link(seq: int | None) -> tuple[int, ...]:
    return () if seq is None else (seq,)


def _off_hours(
    people: list[PersonCount], since: datetime, now: datetime, working: WorkingHours
) -> list[Signal]:
    found = []
    start, end = working.start.strftime("%H:%M"), working.end.strftime("%H:%M")
    for person in sorted(people, key=lambda p: (p.organisation, p.professional)):
        if not person.off_hours:
            continue
        total = person.off_hours
        found.append(
            Signal(
                "outside_working_hours",
                person.organisation,
                person.professional,
                total,
                f"{total} beslissingen buiten werktijd (werktijd: {start}-{end}, "
                f"{working.time_zone}) in de laatste weken.",
                f"{total} decisions outside working hours (working hours: {start}-{end}, "
                f"{working.time_zone}) in the last weeks.",
                _link(person.last_off_hours_seq),
                _filters(person.organisation, person.professional, since, now),
                filters_exact=False,  # working hours are not a filter: the whole window
            )
        )
    return found


def _probing(bursts: list[HourCount]) -> list[Signal]:
    found = []
    for h in sorted(bursts, key=lambda c: (c.organisation, c.professional, c.hour)):
        end = h.hour + timedelta(hours=1)
        found.append(
            Signal(
                "probing",
                h.organisation,
                h.professional,
                h.denials,
                f"{h.denials} geweigerde verzoeken binnen één uur (vanaf {_iso(h.hour)}). "
                "Zo veel weigeringen kort na elkaar kunnen betekenen dat iemand uitprobeert "
                "wat wel mag.",
                f"{h.denials} refused requests within one hour (from {_iso(h.hour)}). So many "
                "refusals in a row can mean someone is trying out what is allowed.",
                (h.last_denial_seq,),
                _filters(h.organisation, h.professional, h.hour, end, decision="deny"),
            )
        )
    return found
