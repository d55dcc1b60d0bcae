"""Mijn gegevens downloaden (AVG art. 15 and 20): what the right of access and the
right to data portability mean, in plain words, and a button that downloads the same
signed export as `GET /api/v1/me/export` (`gateway.access.export.my_export`).

The download is a POST with the form's CSRF token: it fetches the dossier live and
writes audit entries, so no other site may make a browser do it. The page says how
anyone can check the signature: the JWS's `kid` names a key in the gateway's JWKS.
"""

from __future__ import annotations

import json

from aiohttp import web

from gateway.access.access_log import session_binding
from gateway.access.export import EXPORT_TYP, my_export
from gateway.api.me.dossier import identities, request_meta
from gateway.api.me.export import EXPORT_FILENAME, export_ports
from gateway.web.csrf import require_csrf
from gateway.web.household.session import page_session
from gateway.web.rendering import render

__all__ = ["JWKS_PATH", "export_download", "export_page"]

JWKS_PATH = "/.well-known/jwks.json"


async def export_page(request: web.Request) -> web.Response:
    page = await page_session(request)
    jwks_url = str(request.url.with_path(JWKS_PATH).with_query(None))
    return render(
        request,
        "export.html",
        {"jwks_url": jwks_url, "jwks_path": JWKS_PATH, "typ": EXPORT_TYP},
        session_token=page.token,
    )


async def export_download(request: web.Request) -> web.Response:
    page = await page_session(request)
    await require_csrf(request, page.token)
    body = await my_export(
        export_ports(request.app),
        page.person,
        page.household_id,
        identities(request, page.session),
        request_meta(request),
        bound_to=session_binding(page.token),
    )
    return web.Response(
        body=json.dumps(body, indent=2, ensure_ascii=False).encode(),
        content_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{EXPORT_FILENAME}"',
            "Cache-Control": "no-store",
        },
    )
