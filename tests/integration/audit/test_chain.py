"""The chain in a real database: appends, group commit, checkpoints, and tampering detected."""

from __future__ import annotations

import asyncio

import pytest
from audit_support import decision, drop_guards, fail_inserts
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.audit.model import GENESIS_HASH
from gateway.audit.storage import verify_stored
from gateway.audit.tables import audit_checkpoints, audit_entries
from gateway.audit.writer import AuditLog
from gateway.auth.keys import KeyStore
from gateway.errors import AuditUnavailable


async def fill(log: AuditLog, count: int = 30, per_call: int = 5) -> None:
    for start in range(0, count, per_call):
        await log.append([decision(n) for n in range(start, start + per_call)])


async def test_appends_number_entries_in_order_and_link_them(
    audit_log: AuditLog, engine: AsyncEngine, keys: KeyStore
) -> None:
    assert await audit_log.append([decision(1), decision(2)]) == [1, 2]
    assert await audit_log.append([decision(3)]) == [3]
    async with engine.connect() as conn:
        rows = (await conn.execute(select(audit_entries).order_by(audit_entries.c.seq))).all()
    assert rows[0].prev_hash == GENESIS_HASH
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash
    report = await verify_stored(engine, keys.jwks())
    assert report.ok and report.entries == 3


async def test_concurrent_appends_are_batched_into_one_linear_chain(
    audit_log: AuditLog, engine: AsyncEngine, keys: KeyStore
) -> None:
    async def writer(w: int) -> list[int]:
        seqs: list[int] = []
        for i in range(10):
            seqs += await audit_log.append([decision(w * 100 + i)])
        return seqs

    results = await asyncio.gather(*(writer(w) for w in range(32)))
    every = sorted(s for seqs in results for s in seqs)
    assert every == list(range(1, 321))
    assert all(seqs == sorted(seqs) for seqs in results)
    report = await verify_stored(engine, keys.jwks())
    assert report.ok and report.entries == 320 and report.checkpoints >= 1


async def test_checkpoints_are_signed_every_n_entries(
    audit_log: AuditLog, engine: AsyncEngine, keys: KeyStore
) -> None:
    await fill(audit_log, 30)
    async with engine.connect() as conn:
        seqs = (await conn.execute(select(audit_checkpoints.c.seq))).scalars().all()
    assert set(seqs) == {5, 15, 25}  # the first batch, then every 10 entries
    checkpoint = await audit_log.checkpoint()  # forced (what the T-seconds timer does)
    assert checkpoint is not None and checkpoint.seq == 30
    assert (await audit_log.checkpoint()) is None  # the head already has one
    await audit_log.append([decision(99)])
    checkpoint = await audit_log.checkpoint()
    assert checkpoint is not None and checkpoint.seq == 31


async def test_justification_is_encrypted_at_rest_and_opens_for_officers(
    audit_log: AuditLog, engine: AsyncEngine
) -> None:
    secret = "Acuut gevaar, moeder belde om 03:00"
    await audit_log.append(
        [decision(1, break_glass=True, justification=secret, purpose="acute_safety")]
    )
    async with engine.connect() as conn:
        raw = " ".join(str(v) for v in (await conn.execute(select(audit_entries))).one())
    assert secret not in raw and "gevaar" not in raw
    from gateway.audit.storage import stream_entries

    async with engine.connect() as conn:
        entries = [e async for e in stream_entries(conn)]
    entry = entries[0]
    assert entry.justification_kid is not None
    assert audit_log.open_justification(entry) == secret


async def test_text_that_json_escapes_is_stored_exactly_and_still_verifies(
    audit_log: AuditLog, engine: AsyncEngine, keys: KeyStore
) -> None:
    # PostgreSQL takes a batch as one JSON text: quotes, backslashes, line breaks,
    # characters beyond the BMP and JSON's own escapes must come back as given.
    tricky = {
        "quote": "a\"b'c",
        "backslash": "C:\\pad\\naar\\u0041",
        "breaks": "regel 1\nregel 2\r\tend \u2028 \u2029",
        "letters": "Çüé ĳ €  \U0001f600 \u00a0",
        "markup": '</script><!-- {"seq": 1} -->',
    }
    events = [decision(1, details=tricky), decision(2, details={"empty": ""})]
    assert await audit_log.append(events) == [1, 2]
    from gateway.audit.storage import stream_entries

    async with engine.connect() as conn:
        entries = [e async for e in stream_entries(conn)]
    assert [dict(e.details) for e in entries] == [tricky, {"empty": ""}]
    assert [e.request_id for e in entries] == ["req_test_000001", "req_test_000002"]
    report = await verify_stored(engine, keys.jwks())
    assert report.ok and report.entries == 2


async def test_guards_refuse_update_and_delete(audit_log: AuditLog, engine: AsyncEngine) -> None:
    await fill(audit_log, 5)
    for statement in (
        "UPDATE audit_entries SET decision = 'deny' WHERE seq = 2",
        "DELETE FROM audit_entries WHERE seq = 3",
    ):
        with pytest.raises(DBAPIError):
            async with engine.begin() as conn:
                await conn.execute(text(statement))


TAMPERING = {
    "changed": (["UPDATE audit_entries SET decision = 'deny' WHERE seq = 7"], 7),
    "deleted": (["DELETE FROM audit_entries WHERE seq = 12"], 12),
    "inserted": (
        [
            "UPDATE audit_entries SET seq = seq + 1000 WHERE seq >= 15",
            "UPDATE audit_entries SET seq = seq - 999 WHERE seq >= 1015",
            "INSERT INTO audit_entries SELECT 15, time, event_type, request_id, trace_id, "
            "requester_org, professional, role, subject, household, purpose, source, category, "
            "'deny', reason, rule_ids, legal_basis, consent_ids, policy_version, break_glass, "
            "justification_ct, justification_kid, outcome, confidentiality, target_seq, details, "
            "prev_hash, hash FROM audit_entries WHERE seq = 14",
        ],
        15,
    ),
    "reordered": (
        [
            "UPDATE audit_entries SET seq = 100000 WHERE seq = 8",
            "UPDATE audit_entries SET seq = 8 WHERE seq = 9",
            "UPDATE audit_entries SET seq = 9 WHERE seq = 100000",
        ],
        8,
    ),
    "tail_cut": (["DELETE FROM audit_entries WHERE seq > 24"], 25),
    "head_cut": (["DELETE FROM audit_entries WHERE seq <= 3"], 1),
}


@pytest.mark.parametrize("case", sorted(TAMPERING))
async def test_tampering_is_reported_at_the_first_bad_seq(
    case: str, audit_log: AuditLog, engine: AsyncEngine, keys: KeyStore
) -> None:
    await fill(audit_log, 30)  # signed checkpoints at 5, 15 and 25
    assert (await verify_stored(engine, keys.jwks())).ok
    statements, first_bad = TAMPERING[case]
    async with engine.begin() as conn:
        await drop_guards(conn)
        for statement in statements:
            await conn.execute(text(statement))
    report = await verify_stored(engine, keys.jwks())
    assert not report.ok
    assert report.first_bad_seq == first_bad


async def test_rewriting_a_row_and_every_later_hash_is_caught_by_a_checkpoint(
    audit_log: AuditLog, engine: AsyncEngine, keys: KeyStore
) -> None:
    from gateway.audit.canonical import entry_hash
    from gateway.audit.storage import stream_entries

    await fill(audit_log, 30)
    async with engine.connect() as conn:
        entries = [e async for e in stream_entries(conn)]
    async with engine.begin() as conn:
        await drop_guards(conn)
        prev = entries[10].prev_hash
        for index, entry in enumerate(entries[10:], start=10):
            forged = entry.__class__(**{**entry.__dict__, "prev_hash": prev})
            if index == 10:
                forged = forged.__class__(**{**forged.__dict__, "decision": "deny"})
            new_hash = entry_hash(forged)
            await conn.execute(
                audit_entries.update()
                .where(audit_entries.c.seq == entry.seq)
                .values(decision=forged.decision, prev_hash=prev, hash=new_hash)
            )
            prev = new_hash
    report = await verify_stored(engine, keys.jwks())
    assert not report.ok
    assert report.first_bad_seq == 15  # the first signed checkpoint after the rewrite


async def test_failed_append_raises_audit_unavailable_and_commits_nothing(
    audit_log: AuditLog, engine: AsyncEngine, keys: KeyStore
) -> None:
    await audit_log.append([decision(1)])
    async with engine.begin() as conn:
        await fail_inserts(conn)
    with pytest.raises(AuditUnavailable) as caught:
        await audit_log.append([decision(2), decision(3)])
    assert caught.value.code == "audit_unavailable" and caught.value.status == 503
    async with engine.connect() as conn:
        count = (await conn.execute(text("SELECT count(*) FROM audit_entries"))).scalar()
        await conn.execute(
            text(
                "DROP TRIGGER test_fail"
                + (" ON audit_entries" if conn.dialect.name == "postgresql" else "")
            )
        )
        await conn.commit()
    assert count == 1
    assert await audit_log.append([decision(4)]) == [2]  # the writer survived the failure
    assert (await verify_stored(engine, keys.jwks())).ok


async def test_a_value_too_wide_for_its_column_is_never_cut_short(
    audit_log: AuditLog, engine: AsyncEngine, keys: KeyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `justification_kid` is a 64-character column. PostgreSQL must refuse a longer value
    # (a cut one would no longer match the entry's hash); SQLite keeps it whole.
    wide_kid = "k" * 65
    monkeypatch.setattr(audit_log._box, "seal", lambda _text, _request_id: ("ct", wide_kid))
    event = decision(1, break_glass=True, justification="acuut", purpose="acute_safety")
    if engine.dialect.name == "postgresql":
        with pytest.raises(AuditUnavailable):
            await audit_log.append([event])
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM audit_entries"))).scalar() == 0
        return
    assert await audit_log.append([event]) == [1]
    async with engine.connect() as conn:
        stored = (await conn.execute(select(audit_entries.c.justification_kid))).scalar()
    assert stored == wide_kid
    assert (await verify_stored(engine, keys.jwks())).ok


async def test_append_after_close_is_refused(engine: AsyncEngine, keys: KeyStore) -> None:
    log = AuditLog(engine, keys, issuer="test/audit")
    with pytest.raises(AuditUnavailable):
        await log.append([decision(1)])
    await log.start()
    await log.close()
    with pytest.raises(AuditUnavailable):
        await log.append([decision(1)])
