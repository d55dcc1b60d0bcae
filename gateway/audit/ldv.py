"""The audit log as Logboek Dataverwerkingen (LDV) records, one per entry.

LDV (Logius, the standard for logging data processing by Dutch government bodies) logs
each action of a processing as an OpenTelemetry-like span: `trace_id` (16 bytes),
`span_id` (8 bytes), `name`, `start_time`/`end_time` (ms), `status_code`, optional
`parent_span_id`, `foreign_operation` and `resource`, and `attributes` in the `dpl.`
namespace: `dpl.core.processing_activity_id` (a URI into the register of processing
activities), `dpl.core.data_subject_id` (the data subject, never in the clear) and
`dpl.core.data_subject_id_type`. The gateway's own codes go in `dpl.jeugd.*`.

How the entry maps:

    trace_id         the request's W3C trace id (as the caller sent it in `traceparent`);
                     an entry without one (a CLI action) gets one derived from its
                     request id, so every record has the 16 bytes LDV requires
    span_id          the first 8 bytes of the entry's chain hash: stable, unique per entry
    name             the event type (`exchange.decision`, `consent.granted`, ...)
    start/end_time   the entry's time (an entry is a moment, not a duration)
    status_code      2 ERROR for a source that failed (`outcome = source_error`), else
                     0 UNSET (a denial is an answer, not a server error: LDV's rule)
    processing       `<register>:<purpose>` for an entry with a purpose, else the
      activity       gateway's own activity for that event family (`consent_administration`,
                     `household_registration`, ...): the register's purposes come from
                     the policies (config/purposes.toml), the rest are listed below
    data subject     the keyed pseudonym (HMAC-SHA256 of the BSN); the type says so
    resource         the gateway (`service.name`), the audit seq and hash (to verify
                     the record against the signed chain)

The justification of a break-the-glass use (encrypted in the log) is never exported.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, Final

from gateway.audit.model import AuditEntry

__all__ = [
    "DEFAULT_REGISTER",
    "OWN_ACTIVITIES",
    "PSEUDONYM_TYPE",
    "ldv_record",
    "processing_activity",
]

#: The register of processing activities the ids point into, unless one is configured.
DEFAULT_REGISTER: Final = "urn:nl:jeugd-gateway:verwerkingsregister"
#: What `dpl.core.data_subject_id` holds: a keyed pseudonym, never the BSN.
PSEUDONYM_TYPE: Final = "urn:nl:jeugd-gateway:pseudoniem:hmac-sha256-bsn"
#: The gateway's own processing, for entries that serve no exchange purpose.
OWN_ACTIVITIES: Final[Mapping[str, str]] = {
    "consent": "consent_administration",
    "household": "household_registration",
    "case": "case_registration",
    "auth": "access_control",
    "audit": "audit_supervision",
    "policy": "policy_supervision",
    "exchange": "exchange",
}
_STATUS_UNSET, _STATUS_ERROR = 0, 2


def processing_activity(entry: AuditEntry, register: str = DEFAULT_REGISTER) -> str:
    """The URI of the processing activity the entry belongs to."""
    if entry.purpose:
        return f"{register}:{entry.purpose}"
    family = entry.event_type.split(".", 1)[0]
    return f"{register}:{OWN_ACTIVITIES.get(family, 'gateway_operation')}"


def _trace_id(entry: AuditEntry) -> str:
    if entry.trace_id and len(entry.trace_id) == 32:
        return entry.trace_id
    return hashlib.sha256(f"request:{entry.request_id}".encode()).hexdigest()[:32]


def _ms(entry: AuditEntry) -> int:
    return int(entry.time.timestamp() * 1000)


def ldv_record(
    entry: AuditEntry, *, register: str = DEFAULT_REGISTER, service: str = "jeugd-gateway"
) -> dict[str, Any]:
    """One LDV record for `entry` (JSON-ready)."""
    attributes: dict[str, Any] = {
        "dpl.core.processing_activity_id": processing_activity(entry, register),
    }
    if entry.subject:
        attributes["dpl.core.data_subject_id"] = entry.subject
        attributes["dpl.core.data_subject_id_type"] = PSEUDONYM_TYPE
    own = {
        "dpl.jeugd.requester_organisation": entry.requester_org,
        "dpl.jeugd.professional": entry.professional,
        "dpl.jeugd.role": entry.role,
        "dpl.jeugd.purpose": entry.purpose,
        "dpl.jeugd.source_organisation": entry.source,
        "dpl.jeugd.category": entry.category,
        "dpl.jeugd.decision": entry.decision,
        "dpl.jeugd.reason": entry.reason,
        "dpl.jeugd.legal_basis": entry.legal_basis,
        "dpl.jeugd.policy_version": entry.policy_version,
        "dpl.jeugd.outcome": entry.outcome,
        "dpl.jeugd.household": entry.household,
    }
    attributes.update({key: value for key, value in own.items() if value is not None})
    if entry.rule_ids:
        attributes["dpl.jeugd.rule_ids"] = list(entry.rule_ids)
    if entry.consent_ids:
        attributes["dpl.jeugd.consent_ids"] = list(entry.consent_ids)
    if entry.break_glass:
        attributes["dpl.jeugd.break_glass"] = True
    if entry.confidentiality != "normal":
        attributes["dpl.jeugd.confidentiality"] = entry.confidentiality
    return {
        "trace_id": _trace_id(entry),
        "span_id": entry.hash[:16],
        "name": entry.event_type,
        "start_time": _ms(entry),
        "end_time": _ms(entry),
        "status_code": _STATUS_ERROR if entry.outcome == "source_error" else _STATUS_UNSET,
        "resource": {
            "attributes": {
                "service.name": service,
                "dpl.jeugd.audit_seq": entry.seq,
                "dpl.jeugd.audit_hash": entry.hash,
                "dpl.jeugd.request_id": entry.request_id,
            }
        },
        "attributes": attributes,
    }
