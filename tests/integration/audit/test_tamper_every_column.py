"""Changing any column of a stored audit entry is found, in the database and in its export.

The columns come from the table itself (`audit_entries.c`), so a column added later
is tampered with too. One database per engine: each column is changed in turn, the
chain verified (stored and exported), and the original value put back.
"""

from __future__ import annotations

from pathlib import Path

from audit_support import decision, drop_guards
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from tamper_support import tamper

from gateway.audit.export import export_log, verify_export
from gateway.audit.storage import entry_from_row, entry_row, verify_stored
from gateway.audit.tables import audit_entries
from gateway.audit.writer import AuditLog
from gateway.auth.keys import KeyStore

TARGET = 3


async def test_changing_any_column_of_a_stored_entry_is_found_at_its_seq(
    audit_log: AuditLog, engine: AsyncEngine, keys: KeyStore, tmp_path: Path
) -> None:
    await audit_log.append([decision(n) for n in range(1, 4)])
    await audit_log.append(
        [decision(4, break_glass=True, justification="Acuut gevaar, adres nodig.")]
    )
    await audit_log.append([decision(n) for n in range(5, 7)])
    jwks = keys.jwks()
    assert (await verify_stored(engine, jwks)).ok
    async with engine.begin() as conn:
        await drop_guards(conn)
    undetected: list[str] = []
    columns = list(audit_entries.c.keys())
    for seq in (TARGET, 4):  # an ordinary entry and one with an encrypted justification
        for column in columns:
            async with engine.connect() as conn:
                row = (
                    (await conn.execute(select(audit_entries).where(audit_entries.c.seq == seq)))
                    .mappings()
                    .one()
                )
            original = entry_from_row(row)
            changed = entry_row(tamper(original, column))
            async with engine.begin() as conn:
                await conn.execute(
                    audit_entries.update()
                    .where(audit_entries.c.seq == seq)
                    .values({column: changed[column]})
                )
            stored = await verify_stored(engine, jwks)
            export = tmp_path / f"{seq}-{column}.jsonl"
            await export_log(engine, export)
            offline = verify_export(export, jwks)
            if stored.ok or stored.first_bad_seq != seq:
                undetected.append(f"{column}@{seq} (database)")
            if offline.ok or offline.first_bad_seq != seq:
                undetected.append(f"{column}@{seq} (export)")
            where = changed["seq"] if column == "seq" else seq
            async with engine.begin() as conn:
                await conn.execute(
                    audit_entries.update()
                    .where(audit_entries.c.seq == where)
                    .values({column: entry_row(original)[column]})
                )
            assert (await verify_stored(engine, jwks)).ok, f"{column} was not put back"
    assert undetected == []
