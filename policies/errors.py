"""Errors raised by the policy package (a leaf module: imports nothing from the project).

PolicyError
└── PolicyLoadError     a vocabulary or policy file is malformed or invalid;
                        `.problems` lists every problem, each naming file and rule id
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["PolicyError", "PolicyLoadError"]


class PolicyError(Exception):
    """Base class of every error this package raises."""


class PolicyLoadError(PolicyError):
    """Loading failed; nothing was loaded. `problems` names every problem found."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: list[str] = list(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"policy configuration has {count} {noun}:\n{lines}")
