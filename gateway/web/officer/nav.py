"""The console's menu, in one place: every page of the console that belongs in the menu
is one line here, (route name, catalogue key of its label), in the order shown."""

from __future__ import annotations

__all__ = ["NAV"]

NAV: tuple[tuple[str, str], ...] = (
    ("web.officer.log", "fg.nav.log"),
    ("web.officer.integrity", "fg.nav.integrity"),
    ("web.officer.break_glass", "fg.nav.break_glass"),
    ("web.officer.confidential", "fg.nav.confidential"),
    ("web.officer.signals", "fg.nav.signals"),
    ("web.officer.policies", "fg.nav.policies"),
    ("web.officer.simulation", "fg.nav.simulation"),
    ("web.officer.statistics", "fg.nav.statistics"),
)
