"""Mijn gegevens downloaden (AVG art. 15 and 20): the member's dossier, access log and
consents as one JSON document, signed by the gateway as a compact JWS (EdDSA, `typ`
`household-export+jwt`, `kid` of a key in `/.well-known/jwks.json`), so anyone can
check it was not altered. It is built from the same use-cases as the portal's pages
(`my_dossier`, and the access log's `access_log_page`/`render_page`), so it holds
nothing restricted about anyone else. The access log part is bounded (`MAX_PAGES`
pages of 100); `access_log_complete` says whether it all fitted. A download is not a
visit (the "new" marker stays); it is itself an audit entry (`household.export`),
written before the answer, after the dossier's own `household.read` entries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from gateway.access.access_log import (
    WITHHELD_NOTICE,
    AccessLogPorts,
    access_log_page,
    portal_event,
    render_page,
)
from gateway.access.dossier import DossierPorts, Identities, my_dossier
from gateway.access.visible import visible_subjects
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
    *,
    bound_to: str,
) -> dict[str, Any]:
    """`{"export": document, "jws": compact JWS whose payload's `export` is document}`.
    `bound_to`: the session's digest (`session_binding`), for the access log's pages."""
    dossier = await my_dossier(ports.dossier, person, household_id, identities, meta)
    log_ports = ports.access_log
    now = ports.clock()
    visible = await visible_subjects(
        log_ports.custody, log_ports.ages, log_ports.portal, person, now
    )
    entries: list[dict[str, Any]] = []
    cursor: str | None = None
    previous = await log_ports.visits.previous(person)  # a download is not a visit
    for _ in range(MAX_PAGES):
        page = await access_log_page(
            log_ports, person, visible, limit=_PAGE, cursor=cursor, bound_to=bound_to
        )
        entries.extend(render_page(log_ports, person, visible, page, previous)["entries"])
        cursor = page.next_cursor
        if cursor is None:
            break
    document = {
        "format": "gateway-household-export/1",
        "person": person,
        "generated_at": now.isoformat(),
        "dossier": dossier["people"],
        "access_log": entries,
        "access_log_complete": cursor is None,
        "withheld_notice": WITHHELD_NOTICE,
        "consents": await ports.consents([v.person for v in visible]),
    }
    event = portal_event("household.export", person, household_id, meta.request_id, meta.trace_id)
    await log_ports.audit.append([event])
    claims = {"iss": ports.issuer, "sub": person, "iat": int(now.timestamp()), "export": document}
    return {"export": document, "jws": ports.sign(claims, EXPORT_TYP)}
