"""The bodies of the privacy officer's routes, declared once (the entry's fields are
those of `gateway.audit.fields.VIEW_FIELDS`; a test converts real answers into these)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from gateway.exchange.schema import Decision
from gateway.http.vocabulary import Time, component

__all__ = [
    "AuditEntry",
    "AuditPage",
    "BreakGlassReview",
    "BreakGlassReviewed",
    "ChainHead",
    "Checkpoint",
    "CheckpointList",
    "ConfidentialityLift",
    "ConfidentialityLifted",
    "VerifyProblem",
    "VerifyReport",
]

MAX_NOTE = 2000
Hash = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]
Note = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_NOTE)]
Verdict = Annotated[Literal["justified", "unjustified"], component("Verdict")]
Outcome = Annotated[Literal["returned", "denied", "source_error"], component("Outcome")]
Confidentiality = Annotated[
    Literal["normal", "confidential", "lifted"], component("Confidentiality")
]
Details = Annotated[dict[str, str], component("AuditDetails", "Codes and counts, never text")]


class AuditEntry(msgspec.Struct, omit_defaults=True):
    """An audit entry (docs/audit.md); `hash` covers every stored field."""

    seq: Annotated[int, msgspec.Meta(ge=1)]
    time: Time
    event_type: str
    request_id: str
    prev_hash: Hash
    hash: Hash
    trace_id: str | None = None
    requester_org: str | None = None
    professional: str | None = None
    role: str | None = None
    subject: Annotated[str | None, msgspec.Meta(description="Subject pseudonym (never a BSN)")] = (
        None
    )
    household: str | None = None
    purpose: str | None = None
    source: str | None = None
    category: str | None = None
    decision: Decision | None = None
    reason: str | None = None
    rule_ids: list[str] = []
    legal_basis: str | None = None
    consent_ids: list[str] = []
    policy_version: str | None = None
    break_glass: bool = False
    justification: Annotated[
        str | None,
        msgspec.Meta(description="Decrypted break-the-glass justification or officer's note"),
    ] = None
    justification_kid: str | None = None
    outcome: Outcome | None = None
    confidentiality: Confidentiality = "normal"
    target_seq: int | None = None
    details: Details = {}


class AuditPage(msgspec.Struct, omit_defaults=True):
    entries: list[AuditEntry]
    next_cursor: Annotated[
        str | None, msgspec.Meta(description="Pass as `cursor` for the next page")
    ]


class Checkpoint(msgspec.Struct, omit_defaults=True):
    seq: int
    hash: str
    time: Time
    kind: Literal["checkpoint", "anchor"]
    kid: str
    jws: Annotated[
        str, msgspec.Meta(description="Compact EdDSA JWS over {iss, seq, hash, time, kind}")
    ]


class CheckpointList(msgspec.Struct, omit_defaults=True):
    checkpoints: list[Checkpoint]
    jwks_uri: str


class ChainHead(msgspec.Struct, omit_defaults=True):
    """The chain head row the entries were compared with."""

    seq: Annotated[int, msgspec.Meta(ge=0)]
    hash: Hash


class VerifyProblem(msgspec.Struct, omit_defaults=True):
    seq: int
    kind: Annotated[
        str,
        msgspec.Meta(
            description="hash_mismatch, prev_hash_mismatch, missing, out_of_order, truncated, "
            "tail_cut, beyond_head, head_mismatch, head_missing, checkpoint_invalid, "
            "checkpoint_mismatch or unreadable"
        ),
    ]
    message: str


class VerifyReport(msgspec.Struct, omit_defaults=True):
    ok: bool
    entries: int
    checkpoints: int
    first_seq: int | None
    last_seq: int | None
    last_hash: str | None
    last_checkpoint: Checkpoint | None
    head: ChainHead | None
    first_bad_seq: int | None
    problems: list[VerifyProblem]


class BreakGlassReview(msgspec.Struct, omit_defaults=True):
    """Judge one break-the-glass use."""

    verdict: Verdict
    note: Note


class ConfidentialityLift(msgspec.Struct, omit_defaults=True):
    note: Note


class BreakGlassReviewed(msgspec.Struct, omit_defaults=True):
    seq: Annotated[int, msgspec.Meta(description="The new audit entry recording this action")]
    target_seq: int
    verdict: Verdict


class ConfidentialityLifted(msgspec.Struct, omit_defaults=True):
    seq: Annotated[int, msgspec.Meta(description="The new audit entry recording this action")]
    target_seq: int
    confidentiality: Literal["lifted"]


_HASH = "3f" * 32
EXAMPLE_ENTRY = AuditEntry(
    seq=42,
    time="2026-01-05T09:00:00.000000Z",
    event_type="exchange.decision",
    request_id="req_0a1b2c3d",
    prev_hash="0" * 64,
    hash=_HASH,
    requester_org="wijkteam-utrecht",
    professional="prof-0042",
    role="professional",
    subject="ps_3b1f0c0d9a4e2b7c6d5e4f3a2b1c0d9e8f7a6b5c",
    purpose="support_planning",
    source="wijkteam-utrecht",
    category="contact_details",
    decision="permit",
    reason="permitted",
    outcome="returned",
)
EXAMPLE_PAGE = AuditPage(entries=[EXAMPLE_ENTRY], next_cursor=None)
EXAMPLE_CHECKPOINT = Checkpoint(
    seq=42,
    hash=_HASH,
    time="2026-01-05T09:05:00.000000Z",
    kind="checkpoint",
    kid="gw-2026-01",
    jws="eyJhbGciOiJFZERTQSJ9.e30.c2lnbmF0dXJl",
)
EXAMPLE_REPORT = VerifyReport(
    ok=True,
    entries=42,
    checkpoints=1,
    first_seq=1,
    last_seq=42,
    last_hash=_HASH,
    last_checkpoint=EXAMPLE_CHECKPOINT,
    head=ChainHead(seq=42, hash=_HASH),
    first_bad_seq=None,
    problems=[],
)
EXAMPLE_REVIEW = BreakGlassReview(verdict="justified", note="Acuut gevaar bevestigd door politie.")
EXAMPLE_LIFT = ConfidentialityLift(note="Geen gevaar meer voor de melder.")
