"""The bodies of the officer's insight routes: policies, simulation, signals, statistics.

Apart from `schema.py` (the audit routes' bodies) so the two officer route modules
can change without touching each other. Nested values are plain objects: their fields
are described in docs/statistics.md and the route docstrings.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from gateway.http.vocabulary import Time

__all__ = [
    "EXAMPLE_SIMULATION",
    "PolicyListing",
    "SignalList",
    "SimulationAnswer",
    "SimulationRequest",
    "Statistics",
]

PolicyText = Annotated[str, msgspec.Meta(max_length=256 * 1024)]
FileName = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_.-]{0,80}\.toml$")]


class SimulationRequest(msgspec.Struct, forbid_unknown_fields=True):
    """A candidate rule set (file name -> the TOML the loader reads) and the period."""

    policies: dict[FileName, PolicyText]
    since: Time = msgspec.field(name="from")
    until: Time = msgspec.field(name="to")


class SimulationAnswer(msgspec.Struct):
    candidate_version: str
    in_force_version: str
    period: dict[str, str]
    replayed: int
    unreplayable: int
    changes_total: int
    summary: list[dict[str, Any]]
    changes: list[dict[str, Any]]
    undetermined: list[dict[str, Any]]
    rule_changes: dict[str, Any]
    missing_inputs: dict[str, str]


class PolicyListing(msgspec.Struct):
    version: str
    files: list[str]
    rules: list[dict[str, Any]]
    register: dict[str, Any]


class SignalList(msgspec.Struct):
    window: dict[str, str]
    signals: list[dict[str, Any]]


class Statistics(msgspec.Struct):
    method: str
    threshold: int
    rounding_base: int
    quarters: list[str]
    cells: list[dict[str, Any]]
    totals: list[dict[str, Any]]


EXAMPLE_SIMULATION = SimulationRequest(
    policies={"wijkteam.toml": '[[rules]]\nid = "wijkteam-support-planning"\neffect = "permit"\n'},
    since="2026-01-01T00:00:00Z",
    until="2026-04-01T00:00:00Z",
)
