"""Audit entries written by the routes: one event appended now (`audit`), or the step
a store runs inside its own write transaction (`audit_step`, `consent_audit_step`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from consent import AuditStep
from gateway.appkeys import AUDIT, POLICIES, REQUEST_ID, TRACE_ID
from gateway.audit.model import AuditEvent
from gateway.auth.principal import Principal
from gateway.errors import AuditUnavailable

__all__ = ["audit", "audit_step", "consent_audit_step"]


async def audit(
    request: web.Request, principal: Principal | None, event_type: str, **fields: Any
) -> None:
    """Append one event to the audit log (raises `AuditUnavailable`, a 503, on failure)."""
    await request.app[AUDIT].append([_event(request, principal, event_type, **fields)])


def _event(
    request: web.Request, principal: Principal | None, event_type: str, **fields: Any
) -> AuditEvent:
    who: dict[str, Any] = {}
    if principal is not None:
        who = {
            "requester_org": principal.organisation.id,
            "professional": principal.subject,
            "role": principal.role,
        }
    return AuditEvent(
        event_type=event_type,
        request_id=request[REQUEST_ID],
        trace_id=request.get(TRACE_ID),
        policy_version=request.app[POLICIES].version,
        **who,
        **fields,
    )


def audit_step(
    request: web.Request,
    principal: Principal | None,
    event_type: str,
    fields: Callable[[str], Mapping[str, Any]],
) -> AuditStep:
    """The audit entry of a write, appended inside the write's own transaction.

    `fields(written_id)` gives the event's fields once the store knows the id of what
    it wrote. If the entry cannot be built or appended the step raises
    `AuditUnavailable` (503) and the store's transaction rolls back: nothing is kept.
    """

    def events(written_id: str) -> list[AuditEvent]:
        try:
            return [_event(request, principal, event_type, **fields(written_id))]
        except ValueError:  # an identifier the audit log would refuse
            raise AuditUnavailable(
                "Audit entry could not be written; nothing was changed"
            ) from None

    return request.app[AUDIT].step(events)


def consent_audit_step(
    request: web.Request,
    principal: Principal | None,
    *,
    subject: str,
    decision: str,
    recorded_via: str,
    event: str,
    details: Mapping[str, str] | None = None,
) -> AuditStep:
    """The audit step for a consent recorded or withdrawn (codes and pseudonyms only)."""
    if event == "withdrawn":
        event_type = "consent.withdrawn"
    elif recorded_via == "paper":
        event_type = "consent.recorded_on_paper"
    else:
        event_type = "consent.granted"
    return audit_step(
        request,
        principal,
        event_type,
        lambda consent_id: {
            "subject": subject,
            "decision": "permit" if decision == "grant" else "deny",
            "consent_ids": (consent_id,),
            "details": {"event": event, "recorded_via": recorded_via, **(details or {})},
        },
    )
