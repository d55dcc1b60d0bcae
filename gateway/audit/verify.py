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
- oldest entries removed without a signed retention anchor (the first missing seq);
- against the chain head (`finish(head=...)`, the `audit_chain_head` row or an
  export's header): a tail cut after the last checkpoint (`tail_cut`, the first
  missing seq), entries beyond the head (`beyond_head`, the first one), a head
  whose hash is not the last entry's (`head_mismatch`, the head's seq).

A DBA who deletes the tail *and* rewrites the head row to the new last entry, between
two checkpoints, is not caught here: only a copy of a later checkpoint held elsewhere
(a witness) shows it. See docs/audit.md.

The verifier only ever holds one entry and the checkpoints, so it streams
through millions of entries in constant memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.audit.canonical import entry_hash
from gateway.audit.checkpoints import CheckpointError, verify_checkpoint
from gateway.audit.model import GENESIS_HASH, AuditEntry, Checkpoint

__all__ = ["ChainHead", "ChainVerifier", "Problem", "VerifyReport", "verify_chain"]

MAX_PROBLEMS = 100


@dataclass(frozen=True)
class ChainHead:
    """What the writer last committed: the head row's seq and hash (seq 0: nothing yet)."""

    seq: int
    hash: str


@dataclass(frozen=True)
class Problem:
    seq: int
    # hash_mismatch | prev_hash_mismatch | missing | out_of_order | truncated | tail_cut
    # | beyond_head | head_mismatch | head_missing | checkpoint_invalid | checkpoint_mismatch
    kind: str
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
    head: ChainHead | None = None  # the head compared against, if any

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
            "last_checkpoint": None if cp is None else cp.to_json(),
            "head": None if self.head is None else {"seq": self.head.seq, "hash": self.head.hash},
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

    def report(self, seq: int, kind: str, message: str) -> None:
        """A problem found outside the entries (a row the reader could not read)."""
        self._problem(seq, kind, message)

    def feed_unreadable(self, seq: int, stored_hash: str) -> None:
        """A row at `seq` that holds no entry (a value rewritten to what no entry keeps):
        changed, by definition; the chain goes on from the hash the row names."""
        if self._expected is None:
            self._start_at(seq)
        expected = self._expected
        assert expected is not None
        self._count += 1
        if seq > expected:
            self._problem(expected, "missing", f"entry {expected} is missing")
        self._problem(seq, "unreadable", f"entry {seq} holds a value no entry has (rewritten)")
        self._prev = stored_hash
        self._expected = seq + 1 if seq >= expected else expected
        self._last_hash = stored_hash

    def _start(self, entry: AuditEntry) -> None:
        self._start_at(entry.seq)

    def _start_at(self, seq: int) -> None:
        anchor_seq = max((s for s in self._anchors if s < seq), default=0)
        self._expected = anchor_seq + 1
        self._first = seq
        if anchor_seq:
            self._prev = self._checkpoints[anchor_seq].hash

    def finish(self, head: ChainHead | None = None, *, head_required: bool = False) -> VerifyReport:
        """The report; compares the chain's end with `head` when given.

        `head_required`: a missing head is itself a problem (the database always has
        its head row; an export from before heads were exported has none).
        """
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
        if head is not None:
            self._check_head(head, expected)
        elif head_required:
            self._problem(expected, "head_missing", "the chain head is missing")
        last_cp = self._checkpoints[last_signed] if last_signed else None
        return VerifyReport(
            entries=self._count,
            checkpoints=len(self._checkpoints),
            first_seq=self._first,
            last_seq=expected - 1 if self._count else None,
            last_hash=self._last_hash,
            last_checkpoint=last_cp,
            problems=tuple(sorted(self._problems, key=lambda p: p.seq)),
            head=head,
        )

    def _check_head(self, head: ChainHead, expected: int) -> None:
        """The chain must end exactly at the head: same seq, same hash."""
        last = expected - 1  # the last seq seen (or the anchor / 0 when none)
        if head.seq > last:
            self._problem(
                last + 1,
                "tail_cut",
                f"entries from {last + 1} are missing; the chain head names {head.seq}",
            )
        elif head.seq < last:
            self._problem(
                head.seq + 1,
                "beyond_head",
                f"entries from {head.seq + 1} lie beyond the chain head ({head.seq})",
            )
        else:
            end = self._last_hash if self._count else self._start_hash()
            if head.hash != end:
                message = f"the chain head's hash differs from entry {head.seq}"
                self._problem(head.seq, "head_mismatch", message)

    def _start_hash(self) -> str:
        """The hash an empty chain ends on: the newest anchor's, or the genesis hash."""
        return self._checkpoints[self._anchors[-1]].hash if self._anchors else GENESIS_HASH

    def _problem(self, seq: int, kind: str, message: str) -> None:
        if len(self._problems) < MAX_PROBLEMS:
            self._problems.append(Problem(seq, kind, message))


def verify_chain(
    entries: Iterable[AuditEntry],
    checkpoints: Iterable[Checkpoint],
    jwks: Mapping[str, Any],
    head: ChainHead | None = None,
) -> VerifyReport:
    verifier = ChainVerifier(checkpoints, jwks)
    for entry in entries:
        verifier.feed(entry)
    return verifier.finish(head)
