"""Verifying the chain: the same code for the database and for an exported file.

Feed entries in chain order to a `ChainVerifier` (built with the checkpoints
and the gateway's JWKS) and call `finish()`. It reports every problem with the
sequence number where the chain first goes wrong:

- a changed row: its hash no longer matches its canonical form (that seq);
- a deleted row: the seq that should come next is missing (the missing seq);
- an inserted or reordered row: a seq out of place, or a `prev_hash` that does
  not match (the position where it happens);
- a row rewritten together with every hash after it: the next signed
  checkpoint disagrees (that checkpoint's seq);
- a cut-off tail: a signed checkpoint names a seq that is no longer there
  (the first missing seq);
- oldest entries removed without a signed retention anchor (the first missing seq).

The verifier only ever holds one entry and the checkpoints, so it streams
through millions of entries in constant memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.audit.canonical import entry_hash
from gateway.audit.checkpoints import CheckpointError, verify_checkpoint
from gateway.audit.model import GENESIS_HASH, AuditEntry, Checkpoint, format_time

__all__ = ["ChainVerifier", "Problem", "VerifyReport", "verify_chain"]

MAX_PROBLEMS = 100


@dataclass(frozen=True)
class Problem:
    seq: int
    kind: str  # hash_mismatch | prev_hash_mismatch | missing | out_of_order | checkpoint_*
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "kind": self.kind, "message": self.message}


@dataclass(frozen=True)
class VerifyReport:
    entries: int
    checkpoints: int
    first_seq: int | None
    last_seq: int | None
    last_hash: str | None
    last_checkpoint: Checkpoint | None
    problems: tuple[Problem, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_seq(self) -> int | None:
        return min((p.seq for p in self.problems), default=None)

    def to_json(self) -> dict[str, Any]:
        cp = self.last_checkpoint
        return {
            "ok": self.ok,
            "entries": self.entries,
            "checkpoints": self.checkpoints,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "last_hash": self.last_hash,
            "last_checkpoint": None
            if cp is None
            else {"seq": cp.seq, "hash": cp.hash, "time": format_time(cp.time), "kind": cp.kind},
            "first_bad_seq": self.first_bad_seq,
            "problems": [p.to_json() for p in self.problems],
        }

    def summary(self) -> str:
        if self.ok:
            return (
                f"ok: {self.entries} entries (seq {self.first_seq}..{self.last_seq}), "
                f"{self.checkpoints} signed checkpoints"
            )
        first = min(self.problems, key=lambda p: p.seq)
        return f"TAMPERED: first bad seq {first.seq}: {first.message}"


class ChainVerifier:
    """Checks one chain, entry by entry, against signed checkpoints."""

    def __init__(self, checkpoints: Iterable[Checkpoint], jwks: Mapping[str, Any]) -> None:
        self._problems: list[Problem] = []
        self._checkpoints: dict[int, Checkpoint] = {}
        for checkpoint in checkpoints:
            try:
                signed = verify_checkpoint(checkpoint, jwks)
            except CheckpointError as exc:
                self._problem(checkpoint.seq, "checkpoint_invalid", f"checkpoint {exc}")
                continue
            self._checkpoints[signed.seq] = signed
        self._anchors = sorted(s for s, c in self._checkpoints.items() if c.kind == "anchor")
        self._expected: int | None = None
        self._prev = GENESIS_HASH
        self._count = 0
        self._first: int | None = None
        self._last_hash: str | None = None

    def feed(self, entry: AuditEntry) -> None:
        if self._expected is None:
            self._start(entry)
        expected = self._expected
        assert expected is not None
        self._count += 1
        if entry.seq != expected:
            if entry.seq > expected:
                self._problem(expected, "missing", f"entry {expected} is missing")
            else:
                self._problem(
                    expected, "out_of_order", f"entry {entry.seq} found where {expected} belongs"
                )
        elif entry.prev_hash != self._prev:
            self._problem(
                entry.seq,
                "prev_hash_mismatch",
                f"entry {entry.seq} does not link to its predecessor",
            )
        if entry_hash(entry) != entry.hash:
            self._problem(entry.seq, "hash_mismatch", f"entry {entry.seq} was changed")
        checkpoint = self._checkpoints.get(entry.seq)
        if checkpoint is not None and checkpoint.hash != entry.hash and entry.seq == expected:
            self._problem(
                entry.seq,
                "checkpoint_mismatch",
                f"entry {entry.seq} differs from its signed checkpoint",
            )
        self._prev = entry.hash
        self._expected = entry.seq + 1 if entry.seq >= expected else expected
        self._last_hash = entry.hash

    def _start(self, entry: AuditEntry) -> None:
        anchor_seq = max((s for s in self._anchors if s < entry.seq), default=0)
        self._expected = anchor_seq + 1
        self._first = entry.seq
        if anchor_seq:
            self._prev = self._checkpoints[anchor_seq].hash

    def finish(self) -> VerifyReport:
        expected = self._expected
        if expected is None:  # no entries at all
            expected = (self._anchors[-1] + 1) if self._anchors else 1
        last_signed = max(self._checkpoints, default=0)
        if last_signed >= expected:
            self._problem(
                expected,
                "truncated",
                f"entries from {expected} are missing; a signed checkpoint covers {last_signed}",
            )
        last_cp = self._checkpoints[last_signed] if last_signed else None
        return VerifyReport(
            entries=self._count,
            checkpoints=len(self._checkpoints),
            first_seq=self._first,
            last_seq=expected - 1 if self._count else None,
            last_hash=self._last_hash,
            last_checkpoint=last_cp,
            problems=tuple(sorted(self._problems, key=lambda p: p.seq)),
        )

    def _problem(self, seq: int, kind: str, message: str) -> None:
        if len(self._problems) < MAX_PROBLEMS:
            self._problems.append(Problem(seq, kind, message))


def verify_chain(
    entries: Iterable[AuditEntry], checkpoints: Iterable[Checkpoint], jwks: Mapping[str, Any]
) -> VerifyReport:
    verifier = ChainVerifier(checkpoints, jwks)
    for entry in entries:
        verifier.feed(entry)
    return verifier.finish()
