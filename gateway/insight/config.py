"""`config/insight.toml`: working hours, signal thresholds, statistics and simulation bounds.

Every key has a safe default; a value of the wrong kind or out of range stops
start-up with `SettingsError` naming the key (never silently replaced).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from datetime import time
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gateway.errors import SettingsError

__all__ = [
    "INSIGHT_FILE",
    "InsightConfig",
    "SignalSettings",
    "SimulationLimits",
    "StatisticsSettings",
    "WorkingHours",
    "load_insight_config",
]

INSIGHT_FILE: Final = "insight.toml"


@dataclass(frozen=True)
class WorkingHours:
    time_zone: str = "Europe/Amsterdam"
    start: time = time(7, 0)
    end: time = time(19, 0)
    days: frozenset[int] = frozenset({1, 2, 3, 4, 5})

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def within(self, weekday: int, at: time) -> bool:
        """Whether a local ISO weekday (1 = Monday) and time are within working hours."""
        return weekday in self.days and self.start <= at < self.end


@dataclass(frozen=True)
class SignalSettings:
    window_days: int = 28
    recent_days: int = 1
    volume_factor: float = 3.0
    volume_minimum: int = 20
    probing_denials: int = 10
    break_glass_grace_days: int = 3
    case_expected_purposes: tuple[str, ...] = (
        "child_protection_investigation",
        "protection_measure_execution",
    )
    max_links: int = 20
    max_signals: int = 50


@dataclass(frozen=True)
class StatisticsSettings:
    threshold: int = 10
    rounding_base: int = 5
    max_quarters: int = 12


@dataclass(frozen=True)
class SimulationLimits:
    max_rules: int = 500
    max_files: int = 50
    max_body_bytes: int = 256 * 1024
    max_period_days: int = 366
    max_decisions: int = 200_000
    max_listed: int = 1000  # changes listed one by one; the summary counts all


@dataclass(frozen=True)
class InsightConfig:
    working_hours: WorkingHours = field(default_factory=WorkingHours)
    signals: SignalSettings = field(default_factory=SignalSettings)
    statistics: StatisticsSettings = field(default_factory=StatisticsSettings)
    simulation: SimulationLimits = field(default_factory=SimulationLimits)


_RANGES: Final[dict[str, tuple[float, float]]] = {
    "window_days": (2, 366),
    "recent_days": (1, 30),
    "volume_factor": (1.0, 1000.0),
    "volume_minimum": (1, 1_000_000),
    "probing_denials": (2, 1_000_000),
    "break_glass_grace_days": (1, 365),
    "max_links": (1, 500),
    "max_signals": (1, 1000),
    "threshold": (3, 1000),
    "rounding_base": (2, 1000),
    "max_quarters": (1, 40),
    "max_rules": (1, 10_000),
    "max_files": (1, 1000),
    "max_body_bytes": (1024, 16 * 1024 * 1024),
    "max_period_days": (1, 3660),
    "max_decisions": (1, 10_000_000),
    "max_listed": (1, 100_000),
}


def _name(section: str, key: str) -> str:
    return f"{INSIGHT_FILE} [{section}] {key}"


def _number(section: str, key: str, value: Any, default: Any) -> Any:
    low, high = _RANGES[key]
    kind = float if isinstance(default, float) else int
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        ok = ok and isinstance(value, int)
    if not ok or not low <= value <= high:
        raise SettingsError(_name(section, key), f"must be a number from {low} to {high}")
    return kind(value)


def _section(section: str, table: Any, kind: type[Any]) -> Any:
    if not isinstance(table, dict):
        raise SettingsError(f"{INSIGHT_FILE} [{section}]", "must be a table")
    defaults = kind()
    names = {f.name for f in fields(kind)}
    unknown = sorted(set(table) - names)
    if unknown:
        raise SettingsError(_name(section, unknown[0]), "is not a known key")
    values: dict[str, Any] = {}
    for key, value in table.items():
        default = getattr(defaults, key)
        if key == "case_expected_purposes":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise SettingsError(_name(section, key), "must be a list of purpose ids")
            values[key] = tuple(value)
        else:
            values[key] = _number(section, key, value, default)
    return kind(**values)


def _clock(section: str, key: str, value: Any) -> time:
    try:
        hours, minutes = str(value).split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise SettingsError(_name(section, key), "must be a time HH:MM") from None


def _hours(table: Any) -> WorkingHours:
    if not isinstance(table, dict):
        raise SettingsError(f"{INSIGHT_FILE} [working_hours]", "must be a table")
    unknown = sorted(set(table) - {"time_zone", "start", "end", "days"})
    if unknown:
        raise SettingsError(_name("working_hours", unknown[0]), "is not a known key")
    default = WorkingHours()
    zone = table.get("time_zone", default.time_zone)
    try:
        ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            _name("working_hours", "time_zone"), "is not a known time zone"
        ) from None
    start = _clock("working_hours", "start", table["start"]) if "start" in table else default.start
    end = _clock("working_hours", "end", table["end"]) if "end" in table else default.end
    if not start < end:
        raise SettingsError(_name("working_hours", "end"), "must be after start")
    days = table.get("days", sorted(default.days))
    if (
        not isinstance(days, list)
        or not days
        or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7 for d in days)
    ):
        raise SettingsError(_name("working_hours", "days"), "must be a list of 1 (Monday) to 7")
    return WorkingHours(str(zone), start, end, frozenset(days))


def load_insight_config(config_dir: Path, purposes: frozenset[str]) -> InsightConfig:
    """The file's settings over the defaults (no file: the defaults)."""
    path = config_dir / INSIGHT_FILE
    if not path.exists():
        return InsightConfig()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(INSIGHT_FILE, f"cannot be read: {type(exc).__name__}") from None
    unknown = sorted(set(document) - {"working_hours", "signals", "statistics", "simulation"})
    if unknown:
        raise SettingsError(f"{INSIGHT_FILE} [{unknown[0]}]", "is not a known section")
    config = InsightConfig(
        working_hours=_hours(document.get("working_hours", {})),
        signals=_section("signals", document.get("signals", {}), SignalSettings),
        statistics=_section("statistics", document.get("statistics", {}), StatisticsSettings),
        simulation=_section("simulation", document.get("simulation", {}), SimulationLimits),
    )
    bad = sorted(set(config.signals.case_expected_purposes) - purposes)
    if bad:
        raise SettingsError(_name("signals", "case_expected_purposes"), f"unknown purpose {bad[0]}")
    if config.statistics.rounding_base > config.statistics.threshold:
        raise SettingsError(_name("statistics", "rounding_base"), "must not exceed threshold")
    if config.signals.recent_days >= config.signals.window_days:
        raise SettingsError(_name("signals", "recent_days"), "must be less than window_days")
    return config
