"""`PolicyStore`: the policy set in force, reloadable without ever running on half a set.

A reload that fails keeps the last good policy set and engine and reports why in
its `ReloadResult`; the caller (the service) logs it. Readers only ever see a fully
built engine: the swap is one attribute assignment.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from policies.engine import PolicyEngine
from policies.errors import PolicyLoadError
from policies.loader import load_policy_set
from policies.model import PolicySet

__all__ = ["PolicyStore", "ReloadResult"]


@dataclass(frozen=True, slots=True)
class ReloadResult:
    """Outcome of `PolicyStore.reload()`. `version` is the version in force afterwards."""

    ok: bool
    changed: bool
    version: str
    previous_version: str
    problems: tuple[str, ...]

    @property
    def message(self) -> str:
        if not self.ok:
            return (
                f"policy reload failed with {len(self.problems)} problem(s); keeping the last "
                f"good policy set {self.version}"
            )
        if self.changed:
            return f"policy set reloaded: {self.previous_version} -> {self.version}"
        return f"policy set unchanged: {self.version}"


class PolicyStore:
    """Holds the current `PolicyEngine` for a configuration directory.

    The constructor raises `PolicyLoadError` if the initial set is invalid (there is
    no good set to fall back on); `reload()` never raises for invalid configuration.
    """

    def __init__(
        self,
        config_dir: Path,
        *,
        loader: Callable[[Path], PolicySet] = load_policy_set,
    ) -> None:
        self.config_dir = config_dir
        self._loader = loader
        self._lock = threading.Lock()
        self._engine = PolicyEngine(loader(config_dir))
        self._last_problems: tuple[str, ...] = ()

    @property
    def engine(self) -> PolicyEngine:
        return self._engine

    @property
    def policy_set(self) -> PolicySet:
        return self._engine.policy_set

    @property
    def version(self) -> str:
        return self._engine.version

    @property
    def last_problems(self) -> tuple[str, ...]:
        """The problems of the last failed reload; empty after a successful one."""
        return self._last_problems

    def reload(self) -> ReloadResult:
        """Load the configuration again; on any problem keep the current set."""
        with self._lock:
            previous = self._engine.version
            try:
                policy_set = self._loader(self.config_dir)
            except PolicyLoadError as exc:
                self._last_problems = tuple(exc.problems)
                return ReloadResult(False, False, previous, previous, self._last_problems)
            self._last_problems = ()
            if policy_set.version == previous:
                return ReloadResult(True, False, previous, previous, ())
            self._engine = PolicyEngine(policy_set)
            return ReloadResult(True, True, policy_set.version, previous, ())
