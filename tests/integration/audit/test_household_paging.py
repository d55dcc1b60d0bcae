"""The household's view of the log, paged (`entries_for_subject` with `Withheld`), as a
property over any mix of entries: what the viewer may not see is left out by the query,
so every page but the last is full, the pages together are exactly what may be seen,
newest first, and the last cursor leads to nothing (no page tells of hidden entries)."""

from __future__ import annotations

import itertools

from audit_support import decision
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.audit.query import Withheld
from gateway.audit.reader import SqlAuditReader
from gateway.audit.writer import AuditLog
from gateway.auth.keys import KeyStore

_runs = itertools.count()
RESTRICTED = frozenset({"reporter_identity", "shelter_address"})
# Each entry: (about the viewer or the child, its category, confidential?)
entries = st.lists(
    st.tuples(
        st.sampled_from(["self", "child"]),
        st.sampled_from(["reports", "reporter_identity", "shelter_address", None]),
        st.booleans(),
    ),
    max_size=30,
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(mix=entries, limit=st.integers(1, 7))
async def test_pages_are_full_and_together_exactly_what_the_viewer_may_see(
    audit_log: AuditLog, keys: KeyStore, mix: list[tuple[str, str | None, bool]], limit: int
) -> None:
    run = next(_runs)  # fresh people per example: the examples share the database
    me, child = f"ps_me{run:037d}", f"ps_kid{run:036d}"
    events = [
        decision(
            i,
            subject=me if who == "self" else child,
            category=category,
            confidentiality="confidential" if secret else "normal",
        )
        for i, (who, category, secret) in enumerate(mix)
    ]
    seqs = await audit_log.append(events) if events else []
    expected = [
        seq
        for seq, (who, category, secret) in zip(seqs, mix, strict=True)
        if not secret and (who == "self" or category not in RESTRICTED)
    ][::-1]
    reader = SqlAuditReader(audit_log.engine, keys)
    withheld = Withheld(frozenset({child}), RESTRICTED, f"session-{run}", 900)
    pages: list[list[int]] = []
    cursor: str | None = None
    while True:
        page = await reader.entries_for_subject(
            [me, child], limit=limit, cursor=cursor, withheld=withheld
        )
        pages.append([e.seq for e in page.entries])
        cursor = page.next_cursor
        if cursor is None:
            break
        assert len(pages) <= len(expected) + 1
    assert [seq for p in pages for seq in p] == expected
    assert all(len(p) == limit for p in pages[:-1])
    assert pages[-1] or not expected  # an empty last page only when there is nothing
