"""The audit entries of a login (household portal and officer console alike): the event
of the request, and a refusal's entry, which must not turn the refusal into an error when
the audit log is down (the log line still says why)."""

from __future__ import annotations

from typing import Any

import structlog
from aiohttp import web

from gateway.appkeys import AUDIT, POLICIES, REQUEST_ID, TRACE_ID
from gateway.audit.model import AuditEvent
from gateway.errors import AuditUnavailable

__all__ = ["audit_refusal", "login_event"]


def login_event(request: web.Request, event_type: str, **fields: Any) -> AuditEvent:
    """An audit event of this login request (its request and trace id, the policy version)."""
    return AuditEvent(
        event_type=event_type,
        request_id=request[REQUEST_ID],
        trace_id=request.get(TRACE_ID),
        policy_version=request.app[POLICIES].version,
        **fields,
    )


async def audit_refusal(
    request: web.Request, log: structlog.stdlib.BoundLogger, event: str, **fields: Any
) -> None:
    """Append a refused login's entry; if the audit log is down, the refusal stands and
    `log` says `event` instead."""
    try:
        await request.app[AUDIT].append([login_event(request, "auth.login_refused", **fields)])
    except AuditUnavailable:
        log.warning(event)
