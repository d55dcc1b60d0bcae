"""Helpers for the audit-log tests: sample events and what a database administrator could do."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.audit.model import AuditEvent

__all__ = ["decision", "drop_guards", "fail_inserts", "finance"]


def decision(n: int, **overrides: object) -> AuditEvent:
    fields: dict[str, object] = {
        "event_type": "exchange.decision",
        "request_id": f"req_test_{n:06d}",
        "trace_id": f"{n:032x}",
        "requester_org": "wijkteam-utrecht",
        "professional": "prof-17",
        "role": "hulpverlener",
        "subject": "ps_" + f"{n % 3:040x}",
        "purpose": "support_planning",
        "source": "veilig-thuis-utrecht",
        "category": "reports",
        "decision": "permit",
        "reason": "rule_matched",
        "rule_ids": ("wijkteam-support-1",),
        "legal_basis": "public_task",
        "policy_version": "sha256:abc",
        "outcome": "returned",
    }
    fields.update(overrides)
    return AuditEvent(**fields)  # type: ignore[arg-type]


def finance(n: int, **overrides: Any) -> AuditEvent:
    """A permitted decision on a child's finances (the GI's source), given on consent."""
    fields: dict[str, Any] = {
        "category": "finances",
        "source": "gi-jeugdbescherming-demo",
        "rule_ids": ("wijkteam-support-planning",),
        "reason": "permitted",
        "legal_basis": "consent",
        "consent_ids": ("cs_1",),
    }
    fields.update(overrides)
    return decision(n, **fields)


async def drop_guards(conn: AsyncConnection) -> None:
    """What a database administrator could do: remove the append-only triggers."""
    if conn.dialect.name == "postgresql":
        for table in ("audit_entries", "audit_checkpoints"):
            await conn.execute(text(f"DROP TRIGGER {table}_append_only ON {table}"))
    else:
        for table in ("audit_entries", "audit_checkpoints"):
            await conn.execute(text(f"DROP TRIGGER {table}_no_update"))
            await conn.execute(text(f"DROP TRIGGER {table}_no_delete"))


async def fail_inserts(conn: AsyncConnection) -> None:
    """Make every insert into the audit log fail inside the database (e.g. a full disk)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(
            text(
                "CREATE FUNCTION test_fail() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql"
            )
        )
        await conn.execute(
            text(
                "CREATE TRIGGER test_fail BEFORE INSERT ON audit_entries "
                "FOR EACH ROW EXECUTE FUNCTION test_fail()"
            )
        )
    else:
        await conn.execute(
            text(
                "CREATE TRIGGER test_fail BEFORE INSERT ON audit_entries "
                "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )
        )
