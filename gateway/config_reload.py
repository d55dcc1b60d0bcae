"""Live configuration: organisations, their keys, the policy set and the privacy officers,
swapped without a restart.

What a request needs from configuration is one immutable `Generation`: the organisation
registry (with every organisation's configured keys), the compiled policy engine, the
source adapters, and the privacy officers who may log in to the console
(`privacy_officers.toml`, checked against those organisations).
`LiveConfiguration.reload()` (on SIGHUP, `gateway reload`) builds a complete new
generation off to the side, from the files as they are now, and only if every part of it
loads does one assignment put it in force. Anything wrong (a broken organisations file, a
bad key, an invalid policy set, a changed vocabulary, an adapter that does not build, an
officer the organisations do not allow) keeps the last good generation in force: the
failure is logged by code and file only, counted in the metrics, shown in `/readyz`, and
its full text kept for `gateway reload` to print on the operator's terminal.

A request is pinned to the generation in force when it arrived (`pin_generation`, a
middleware): every read of `app[ORGANISATIONS]`, `app[POLICIES]`, `app[OFFICERS]` and the
exchange's organisations and adapters during that request sees that one generation, so a
request sees the old configuration or the new one, never a mix. Adapters a reload
replaced are closed only after the requests that may still use them are done
(`_RETIRE_SECONDS`).

The vocabulary (purposes, categories, organisation types and their roles) is fixed for a
process's life: it shapes the OpenAPI document, the source mappings and stored rows. A
reload whose policy set brings a different vocabulary is refused (`vocabulary_changed`);
change it with a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from aiohttp import web
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from adapters.base import SourceAdapter
from adapters.errors import AdapterConfigError
from adapters.registry import close_adapters
from gateway.auth.officers import OfficerRegistry
from gateway.auth.organisations import Organisation, OrganisationRegistry
from gateway.errors import SettingsError
from gateway.metrics import Metrics
from policies import (
    PolicyEngine,
    PolicyLoadError,
    PolicyStore,
    ReloadResult,
    Vocabulary,
    load_policy_set,
)

__all__ = [
    "Generation",
    "LiveConfiguration",
    "LivePolicies",
    "ReloadOutcome",
    "load_officers",
    "load_organisations",
    "pin_generation",
]

log = structlog.get_logger("gateway.config")

ORGANISATIONS_FILE = "organisations.toml"
OFFICERS_FILE = "privacy_officers.toml"
#: How long a replaced adapter stays open for requests that started before the swap.
_RETIRE_SECONDS = 30.0

AdapterBuilder = Callable[[OrganisationRegistry], dict[str, SourceAdapter]]


@dataclass(frozen=True)
class Generation:
    """One complete configuration; never changed once in force."""

    number: int
    organisations: OrganisationRegistry
    engine: PolicyEngine
    adapters: Mapping[str, SourceAdapter] = field(default_factory=dict)
    officers: OfficerRegistry = field(default_factory=lambda: OfficerRegistry(()))
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class ReloadOutcome:
    """What one reload did: `ok`, the generation in force after it, and if it failed a
    stable `code`, the `file` at fault and the operator-facing `problems`."""

    ok: bool
    generation: int
    changed: bool = False
    code: str | None = None
    file: str | None = None
    problems: tuple[str, ...] = ()
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def as_status(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "generation": self.generation,
            "changed": self.changed,
            "code": self.code,
            "file": self.file,
            "problems": list(self.problems),
            "at": self.at.isoformat(),
        }


class _Refused(Exception):
    def __init__(self, code: str, file: str, problems: tuple[str, ...]) -> None:
        super().__init__(code)
        self.code, self.file, self.problems = code, file, problems


def load_organisations(
    config_dir: Path, data_dir: Path, vocabulary: Vocabulary, *, require_keys: bool = False
) -> OrganisationRegistry:
    """The organisations file, validated against the vocabulary (`SettingsError` if not)."""
    return OrganisationRegistry.load(
        config_dir / ORGANISATIONS_FILE,
        data_dir=data_dir,
        type_roles={k: v.roles for k, v in vocabulary.organisation_types.items()},
        require_keys=require_keys,
    )


def load_officers(config_dir: Path, organisations: OrganisationRegistry) -> OfficerRegistry:
    """The privacy officers file, checked against `organisations` (`SettingsError` if not;
    none without the file)."""
    return OfficerRegistry.load(config_dir / OFFICERS_FILE, organisations)


class LiveConfiguration:
    """The generation in force for one app, and the reload that replaces it."""

    def __init__(
        self,
        *,
        config_dir: Path,
        data_dir: Path,
        vocabulary: Vocabulary,
        first: Generation,
        metrics: Metrics | None = None,
    ) -> None:
        self._config_dir = config_dir
        self._data_dir = data_dir
        self._vocabulary = vocabulary
        self._current = first
        self._metrics = metrics
        self._pinned: contextvars.ContextVar[Generation | None] = contextvars.ContextVar(
            f"generation-{id(self)}", default=None
        )
        self._lock = asyncio.Lock()
        self._build_adapters: AdapterBuilder | None = None
        self._listeners: list[Callable[[Generation], None]] = []
        self._retiring: set[asyncio.Task[None]] = set()
        self.last: ReloadOutcome = ReloadOutcome(True, first.number)
        self.reloads_ok = 0
        self.reloads_failed = 0
        if metrics is not None:
            metrics.generation.set(first.number)
            metrics.last_reload_success.set(first.loaded_at.timestamp())
            metrics.reload_failing.set(0)

    @property
    def current(self) -> Generation:
        """The generation this request is pinned to, else the one in force."""
        pinned = self._pinned.get()
        return pinned if pinned is not None else self._current

    @property
    def latest(self) -> Generation:
        return self._current

    def pin(self) -> contextvars.Token[Generation | None]:
        """Pin the current context to the generation in force (undo with `unpin`)."""
        return self._pinned.set(self._current)

    def unpin(self, token: contextvars.Token[Generation | None]) -> None:
        self._pinned.reset(token)

    @contextlib.contextmanager
    def pinned(self) -> Iterator[Generation]:
        """Everything inside sees one generation (the one in force on entry)."""
        generation = self._current
        token = self._pinned.set(generation)
        try:
            yield generation
        finally:
            self._pinned.reset(token)

    def use_adapters(self, adapters: dict[str, SourceAdapter], build: AdapterBuilder) -> None:
        """The first generation's adapters, and how a reload builds new ones."""
        self._current = _replace(self._current, adapters=adapters)
        self._build_adapters = build

    def on_change(self, listener: Callable[[Generation], None]) -> None:
        """Call `listener` with every new generation once it is in force."""
        self._listeners.append(listener)

    def organisations_view(self) -> Mapping[str, Organisation]:
        return _View(lambda: self.current.organisations.as_mapping())

    def adapters_view(self) -> Mapping[str, SourceAdapter]:
        return _View(lambda: self.current.adapters)

    async def reload(self) -> ReloadOutcome:
        """Load everything again; put it in force only if all of it is good."""
        async with self._lock:
            previous = self._current
            try:
                try:
                    generation, retired = await self._build(previous)
                except _Refused:
                    raise
                except Exception as exc:  # a bug or an unforeseen file: refuse, keep serving
                    raise _Refused("reload_error", "configuration", (type(exc).__name__,)) from exc
            except _Refused as refused:
                outcome = ReloadOutcome(
                    False, previous.number, False, refused.code, refused.file, refused.problems
                )
                self._record(outcome)
                return outcome
            changed = generation is not previous
            if changed:
                self._current = generation  # the swap: one assignment
                for listener in self._listeners:
                    listener(generation)
                self._retire(retired)
            outcome = ReloadOutcome(True, self._current.number, changed)
            self._record(outcome)
            return outcome

    async def close(self) -> None:
        for task in list(self._retiring):
            task.cancel()
        for task in list(self._retiring):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await close_adapters(self._current.adapters.values())

    async def _build(self, previous: Generation) -> tuple[Generation, list[SourceAdapter]]:
        try:
            policy_set = await asyncio.to_thread(load_policy_set, self._config_dir)
        except PolicyLoadError as exc:
            raise _Refused("policies_invalid", "policies", tuple(exc.problems)) from exc
        if policy_set.vocabulary != self._vocabulary:
            raise _Refused(
                "vocabulary_changed",
                "vocabulary",
                (
                    "the vocabulary (purposes, categories, organisation types) changed; "
                    "restart the gateway to change it",
                ),
            )
        try:
            organisations = await asyncio.to_thread(
                load_organisations, self._config_dir, self._data_dir, self._vocabulary
            )
        except SettingsError as exc:
            raise _Refused("organisations_invalid", ORGANISATIONS_FILE, (str(exc),)) from exc
        try:
            officers = await asyncio.to_thread(load_officers, self._config_dir, organisations)
        except SettingsError as exc:
            raise _Refused("officers_invalid", OFFICERS_FILE, (str(exc),)) from exc
        adapters, retired = self._adapters_for(previous, organisations)
        same_orgs = _same_organisations(previous.organisations, organisations)
        same_officers = set(previous.officers) == set(officers)
        if same_orgs and same_officers and policy_set.version == previous.engine.version:
            # Nothing changed: close only what was built just now, never an adapter in use.
            in_use = {id(a) for a in previous.adapters.values()}
            await close_adapters(a for a in adapters.values() if id(a) not in in_use)
            return previous, []
        engine = (
            previous.engine
            if policy_set.version == previous.engine.version
            else PolicyEngine(policy_set)
        )
        generation = Generation(previous.number + 1, organisations, engine, adapters, officers)
        return generation, retired

    def _adapters_for(
        self, previous: Generation, organisations: OrganisationRegistry
    ) -> tuple[dict[str, SourceAdapter], list[SourceAdapter]]:
        """Keep adapters whose settings did not change; build the rest; retire the old."""
        kept: dict[str, SourceAdapter] = {}
        to_build: list[Organisation] = []
        for org in organisations:
            old = previous.organisations.get(org.id)
            if old is not None and old.adapter == org.adapter and org.id in previous.adapters:
                kept[org.id] = previous.adapters[org.id]
            elif org.adapter is not None:
                to_build.append(org)
        built: dict[str, SourceAdapter] = {}
        if to_build and self._build_adapters is not None:
            try:
                built = self._build_adapters(OrganisationRegistry(to_build))
            except (SettingsError, AdapterConfigError) as exc:
                raise _Refused("adapters_invalid", ORGANISATIONS_FILE, (str(exc),)) from exc
        retired = [a for org_id, a in previous.adapters.items() if kept.get(org_id) is not a]
        return {**kept, **built}, retired

    def _retire(self, adapters: list[SourceAdapter]) -> None:
        if not adapters:
            return

        async def later() -> None:
            await asyncio.sleep(_RETIRE_SECONDS)
            await close_adapters(adapters)

        task = asyncio.create_task(later(), name="retire-adapters")
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    def _record(self, outcome: ReloadOutcome) -> None:
        self.last = outcome
        if outcome.ok:
            self.reloads_ok += 1
            log.info(
                "config_reloaded",
                version=self._current.engine.version,
                revision=outcome.generation,
                outcome="changed" if outcome.changed else "same",
            )
        else:
            self.reloads_failed += 1
            # Code and file only: a problem's text may quote a configured value.
            log.error(
                "config_reload_failed",
                code=outcome.code,
                setting=outcome.file,
                revision=outcome.generation,
            )
        metrics = self._metrics
        if metrics is not None:
            metrics.reloads.labels("success" if outcome.ok else "failure").inc()
            metrics.reload_failing.set(0 if outcome.ok else 1)
            metrics.generation.set(self._current.number)
            metrics.last_reload_success.set(self._current.loaded_at.timestamp())

    def readiness(self) -> dict[str, Any]:
        """What `/readyz` shows: the generation, and the last reload's code if it failed."""
        detail: dict[str, Any] = {
            "generation": self._current.number,
            "policy_version": self._current.engine.version,
            "last_reload": "ok" if self.last.ok else "failed",
        }
        if not self.last.ok:
            detail["error"] = self.last.code
            detail["file"] = self.last.file
            detail["failed_at"] = self.last.at.isoformat()
        return detail


class LivePolicies(PolicyStore):
    """`PolicyStore` whose engine is the one of the request's generation."""

    def __init__(self, config_dir: Path) -> None:
        super().__init__(config_dir)
        self._live: LiveConfiguration | None = None

    def follow(self, live: LiveConfiguration) -> None:
        self._live = live

    @property
    def engine(self) -> PolicyEngine:
        if self._live is None:
            return super().engine
        return self._live.current.engine

    @property
    def policy_set(self) -> Any:
        return self.engine.policy_set

    @property
    def version(self) -> str:
        return self.engine.version

    def reload(self) -> ReloadResult:
        """Not here: the policy set reloads with the rest (`LiveConfiguration.reload`)."""
        raise RuntimeError("reload through LiveConfiguration.reload(), with the organisations")


class _View(Mapping[str, Any]):
    """A read-only mapping that is whatever `current()` gives, at every access."""

    def __init__(self, current: Callable[[], Mapping[str, Any]]) -> None:
        self._current = current

    def __getitem__(self, key: str) -> Any:
        return self._current()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._current())


def _replace(generation: Generation, **changes: Any) -> Generation:
    return replace(generation, **changes)


def _same_organisations(a: OrganisationRegistry, b: OrganisationRegistry) -> bool:
    left, right = a.as_mapping(), b.as_mapping()
    if left.keys() != right.keys():
        return False
    for org_id, org in left.items():
        other = right[org_id]
        if _fingerprint(org) != _fingerprint(other):
            return False
    return True


def _fingerprint(org: Organisation) -> tuple[Any, ...]:
    keys = tuple(
        sorted(
            (kid, key.key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo))
            for kid, key in org.keys.items()
        )
    )
    return (
        org.type,
        org.name,
        org.region,
        repr(org.adapter),
        org.pilots,
        org.jwks_file,
        org.jwks_uri,
        org.client_cert_sha256,
        org.privacy_office_for,
        org.roles,
        keys,
    )


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def pin_generation(live: Callable[[web.Application], LiveConfiguration | None]) -> Any:
    """A middleware that pins each request to the generation in force when it arrived."""

    @web.middleware
    async def pin(request: web.Request, handler: Handler) -> web.StreamResponse:
        config = live(request.app)
        if config is None:
            return await handler(request)
        token = config.pin()
        try:
            return await handler(request)
        finally:
            config.unpin(token)

    return pin
