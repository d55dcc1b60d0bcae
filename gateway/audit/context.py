"""The audit log's place in the app: created on start (after the engine), closed on shutdown;
its reader (every query of the log) beside it."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from gateway.appkeys import AUDIT, AUDIT_READER, ENGINE, KEYS, SETTINGS
from gateway.audit.reader import SqlAuditReader
from gateway.audit.writer import AuditLog

__all__ = ["audit_context"]


async def audit_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    audit = AuditLog(
        app[ENGINE],
        app[KEYS],
        issuer=f"{settings.audience}/audit",
        checkpoint_every=settings.audit_checkpoint_every,
        checkpoint_seconds=settings.audit_checkpoint_seconds,
    )
    await audit.start()
    app[AUDIT] = audit
    app[AUDIT_READER] = SqlAuditReader(app[ENGINE], app[KEYS])
    try:
        yield
    finally:
        await audit.close()
