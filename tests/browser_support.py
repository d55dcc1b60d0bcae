"""The gateway served for real for the browser tests: its own thread and event loop, a
real socket on a free port, a migrated SQLite database, and the reference custody
register on another socket."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Coroutine
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import ClientSession, web
from custody_support import standard_register
from support import GatewayFixture, free_port, migrate

from adapters.reference.custody_register import create_custody_register_app
from adapters.reference.jwks import StaticJwks
from gateway.app import create_app
from gateway.appkeys import HOUSEHOLD_SESSIONS, PSEUDONYMISER
from gateway.auth.keys import KeyStore
from gateway.auth.sessions import COOKIE_NAME

T = TypeVar("T")
WIJKTEAM = "wijkteam-utrecht"
BLOCKING = ("serious", "critical")


def _axe_script() -> Path:
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("axe-playwright-python (which ships axe-core) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "axe.min.js"


def check_axe(page: Any) -> None:
    """Inject axe-core into the page and fail on any serious or critical violation."""
    page.add_script_tag(path=str(_axe_script()))
    result = page.evaluate("async () => await axe.run(document)")
    blocking = [v for v in result["violations"] if v["impact"] in BLOCKING]
    report = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in blocking
    ]
    assert not blocking, f"{page.url}:\n" + "\n".join(report)


@dataclass
class LivePortal:
    """The gateway on a real socket, in a thread of its own."""

    url: str
    fixture: GatewayFixture
    household: dict[str, Any]
    loop: asyncio.AbstractEventLoop
    app: web.Application

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    def session_for(self, bsn: str) -> str:
        """A household session for `bsn`, created in the store (as the OIDC login would)."""
        person = self.app[PSEUDONYMISER].pseudonym(bsn)
        return self.run(self.app[HOUSEHOLD_SESSIONS].create(person, self.household["id"]))

    def cookie(self, token: str) -> dict[str, Any]:
        """The session cookie as the gateway sets it: `__Host-` (Secure, Path=/, host-only;
        Chromium keeps Secure cookies for 127.0.0.1), HttpOnly, SameSite=Lax."""
        return {
            "name": COOKIE_NAME,
            "value": token,
            "domain": "127.0.0.1",
            "path": "/",
            "secure": True,
            "httpOnly": True,
            "sameSite": "Lax",
        }

    def lang_cookie(self, lang: str) -> dict[str, Any]:
        return {"name": "lang", "value": lang, "domain": "127.0.0.1", "path": "/"}

    def api(self, method: str, path: str, org: str = WIJKTEAM, **kwargs: Any) -> tuple[int, Any]:
        """(status, JSON body) of one organisation call over HTTP."""

        async def call() -> tuple[int, Any]:
            async with (
                ClientSession() as http,
                http.request(
                    method, self.url + path, headers=self.fixture.auth(org), **kwargs
                ) as response,
            ):
                return response.status, await response.json()

        return self.run(call())


async def start_portal(fixture: GatewayFixture) -> tuple[list[web.AppRunner], web.Application, str]:
    await migrate(fixture.settings.database_url)
    jwks = KeyStore.load(fixture.settings.keys_dir).jwks()
    register = create_custody_register_app(
        standard_register(fixture.settings.data_dir), StaticJwks(jwks), fixture.settings.audience
    )
    register_runner = web.AppRunner(register)
    await register_runner.setup()
    register_port = free_port()
    await web.TCPSite(register_runner, "127.0.0.1", register_port).start()
    fixture.settings = replace(
        fixture.settings, custody_register_url=f"http://127.0.0.1:{register_port}"
    )
    app = create_app(fixture.settings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return [runner, register_runner], app, f"http://127.0.0.1:{port}"
