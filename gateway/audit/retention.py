"""Retention: remove entries older than a date, leaving a signed anchor so the rest verifies.

In one transaction, with the chain head locked: find P, the last entry before
the date; set `pruned_through` to P (which lets the database triggers allow the
delete); replace the checkpoints up to P by one signed *anchor* checkpoint at P
(its hash is entry P's hash); delete entries up to P. The first remaining entry's
`prev_hash` equals the anchor's signed hash, so verification starts there. The
prune itself is then logged (`audit.pruned`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.audit.checkpoints import sign_checkpoint
from gateway.audit.tables import audit_chain_head, audit_checkpoints, audit_entries
from gateway.audit.writer import lock_chain_head
from gateway.auth.keys import KeyStore

__all__ = ["PruneResult", "prune_before"]


@dataclass(frozen=True)
class PruneResult:
    removed: int
    anchor_seq: int | None  # None when nothing was old enough


async def prune_before(
    engine: AsyncEngine, keys: KeyStore, *, before: datetime, issuer: str
) -> PruneResult:
    e = audit_entries.c
    async with engine.begin() as conn:
        await conn.run_sync(lock_chain_head)
        last = (await conn.execute(select(func.max(e.seq)).where(e.time < before))).scalar()
        if last is None:
            return PruneResult(0, None)
        anchor_seq = int(last)
        anchor_hash = (await conn.execute(select(e.hash).where(e.seq == anchor_seq))).scalar_one()
        await conn.execute(
            update(audit_chain_head)
            .where(audit_chain_head.c.id == 1)
            .values(pruned_through=anchor_seq)
        )
        await conn.execute(delete(audit_checkpoints).where(audit_checkpoints.c.seq <= anchor_seq))
        now = datetime.now(UTC)
        anchor = sign_checkpoint(
            keys, seq=anchor_seq, hash=anchor_hash, time=now, kind="anchor", issuer=issuer
        )
        await conn.execute(
            insert(audit_checkpoints).values(
                seq=anchor.seq,
                hash=anchor.hash,
                time=now,
                kind=anchor.kind,
                kid=anchor.kid,
                jws=anchor.jws,
            )
        )
        result = await conn.execute(delete(audit_entries).where(e.seq <= anchor_seq))
    return PruneResult(int(result.rowcount or 0), anchor_seq)
