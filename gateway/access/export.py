"""Mijn gegevens downloaden (AVG art. 15 and 20): the member's dossier, access log and
consents as one JSON document, signed by the gateway as a compact JWS (EdDSA, `typ`
`household-export+jwt`, `kid` of a key in `/.well-known/jwks.json`), so anyone can
check it was not altered. It is built from the same use-cases as the portal's pages
(`my_dossier`, `my_access_log`), so it holds nothing restricted about anyone else. The
access log part is bounded (`MAX_PAGES` pages); `access_log_complete` says whether it
all fitted. The download is itself an audit entry (`household.export`), written before
the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from gateway.access.access_log import AccessLogPorts, my_access_log
from gateway.access.dossier import DossierPorts, Identities, my_dossier
from gateway.audit.model import AuditEvent
from gateway.exchange.pipeline import RequestMeta

__all__ = ["EXPORT_TYP", "MAX_PAGES", "ConsentsOf", "ExportPorts", "my_export"]

EXPORT_TYP = "household-export+jwt"
MAX_PAGES = 20
_PAGE = 100


class ConsentsOf(Protocol):
    async def __call__(self, people: Sequence[str]) -> list[dict[str, Any]]:
        """The consents about, or given by, `people`, as their JSON view."""
        ...


@dataclass(frozen=True, slots=True)
class ExportPorts:
    dossier: DossierPorts
    access_log: AccessLogPorts
    consents: ConsentsOf
    sign: Callable[[Mapping[str, Any], str], str]  # claims, typ -> compact JWS
    issuer: str
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)


async def my_export(
    ports: ExportPorts,
    person: str,
    household_id: str | None,
    identities: Identities,
    meta: RequestMeta,
) -> dict[str, Any]:
    """`{"export": document, "jws": compact JWS whose payload's `export` is document}`."""
    dossier = await my_dossier(ports.dossier, person, household_id, identities, meta)
    entries: list[dict[str, Any]] = []
    cursor: str | None = None
    log: dict[str, Any] = {}
    for _ in range(MAX_PAGES):
        log = await my_access_log(
            ports.access_log,
            person,
            household_id,
            request_id=meta.request_id,
            trace_id=meta.trace_id,
            limit=_PAGE,
            cursor=cursor,
        )
        entries.extend(log["entries"])
        cursor = log["next_cursor"]
        if cursor is None:
            break
    people = [p["person"] for p in dossier["people"]]
    now = ports.clock()
    document = {
        "format": "gateway-household-export/1",
        "person": person,
        "generated_at": now.isoformat(),
        "dossier": dossier["people"],
        "access_log": entries,
        "access_log_complete": cursor is None,
        "withheld_notice": log.get("withheld_notice"),
        "consents": await ports.consents(people),
    }
    await ports.access_log.audit.append(
        [
            AuditEvent(
                event_type="household.export",
                request_id=meta.request_id,
                trace_id=meta.trace_id,
                professional=person,
                role="household",
                subject=person,
                household=household_id,
                decision="permit",
                outcome="returned",
            )
        ]
    )
    claims = {"iss": ports.issuer, "sub": person, "iat": int(now.timestamp()), "export": document}
    return {"export": document, "jws": ports.sign(claims, EXPORT_TYP)}
