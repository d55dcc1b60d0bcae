"""What the console's templates show of an entry and of the configuration."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from gateway.access.officer_log import entry_view
from gateway.appkeys import ORGANISATIONS
from gateway.audit.model import AuditEntry
from gateway.audit.writer import AuditLog
from gateway.web.officer.nav import NAV
from gateway.web.officer.session import OfficerPage
from gateway.web.rendering import render

__all__ = ["entry_row", "org_choices", "page", "when"]


def page(
    request: web.Request,
    template: str,
    context: Mapping[str, Any],
    session: OfficerPage | None,
    *,
    status: int = 200,
) -> web.Response:
    """A console page: the menu (`NAV`, the current page marked), who is logged in."""
    router = request.app.router
    nav = []
    for name, key in NAV:
        url = str(router[name].url_for())
        nav.append(
            {
                "url": url,
                "key": key,
                "current": request.path == url or request.path.startswith(url + "/"),
            }
        )
    officer = session.officer if session is not None else None
    org = request.app[ORGANISATIONS].get(officer.organisation) if officer else None
    return render(
        request,
        template,
        {
            "nav": nav,
            "officer": officer,
            "officer_org": org.name if org is not None else "",
            **context,
        },
        status=status,
        session_token=session.token if session is not None else None,
    )


def when(value: datetime | str | None) -> str:
    """A moment as the officer reads it: UTC, to the second."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def entry_row(entry: AuditEntry, audit: AuditLog, *, lifted: bool) -> dict[str, Any]:
    data = entry_view(entry, audit, lifted=lifted)
    data["when"] = when(entry.time)
    return data


def org_choices(request: web.Request) -> list[tuple[str, str]]:
    return sorted(((o.id, o.name) for o in request.app[ORGANISATIONS]), key=lambda p: p[1])
