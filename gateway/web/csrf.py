"""CSRF protection of the portal's forms: a token bound to the household session.

The token is an HMAC-SHA256 of the session token under a key derived from the
gateway's own secret (`keys/pseudonym.key`, with its own label, so the two uses never
share a key). It is put in a hidden field of every form and checked on every POST
under the pages, before anything else happens: a POST without it, with another
session's, or with more than one, is 403 `csrf_token_invalid` and changes nothing. A
new session (at login) means a new token; nothing is stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from aiohttp import web
from multidict import MultiDict, MultiDictProxy

from gateway.auth.keys import KeyStore
from gateway.errors import CsrfTokenInvalid
from gateway.http.bodies import read_form, read_upload_form

__all__ = [
    "CSRF_FIELD",
    "CSRF_KEY",
    "csrf_key",
    "csrf_token",
    "require_csrf",
    "require_csrf_upload",
]

CSRF_FIELD = "csrf_token"
CSRF_KEY = web.AppKey("web_csrf_key", bytes)
_LABEL = b"jeugd-gateway/web/csrf/v1"


def csrf_key(keys: KeyStore) -> bytes:
    """The CSRF key, derived from the gateway's secret (a PRF with its own label)."""
    return hmac.new(keys.pseudonym_secret, _LABEL, hashlib.sha256).digest()


def csrf_token(key: bytes, session_token: str) -> str:
    digest = hmac.new(key, b"csrf\x00" + session_token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def require_csrf(request: web.Request, session_token: str) -> MultiDictProxy[str]:
    """The posted form, once its CSRF token is this session's; else 403."""
    form = MultiDictProxy(MultiDict(await read_form(request)))
    _check(request, form, session_token)
    return form


def _check(request: web.Request, form: MultiDictProxy[str], session_token: str) -> None:
    sent = form.getall(CSRF_FIELD, [])
    expected = csrf_token(request.app[CSRF_KEY], session_token)
    # exactly one token: a second one (right or wrong, first or last) is refused too
    if len(sent) != 1 or not hmac.compare_digest(sent[0].encode(), expected.encode()):
        raise CsrfTokenInvalid("The form has expired or did not come from this site")


async def require_csrf_upload(
    request: web.Request, session_token: str, *, limit: int
) -> tuple[MultiDictProxy[str], list[tuple[str, str, str]]]:
    """A posted form with file inputs (`multipart/form-data`, at most `limit` bytes): its
    fields and its files (field name, file name, text), once its CSRF token is this
    session's; else 403."""
    fields, files = await read_upload_form(request, limit=limit)
    form = MultiDictProxy(MultiDict(fields))
    _check(request, form, session_token)
    return form, files
