"""The browser suite: the gateway served for real over HTTP (see `browser_support`),
driven by Playwright on Debian's Chromium.

No browser is downloaded: Chromium is the system's (`chromium` on the PATH). Without it
(or without Playwright) the suite is skipped with that reason, unless
`GATEWAY_REQUIRE_BROWSER=1` (as `.ci/run` sets), which turns the skip into a failure.
One browser serves the browser module; each test gets a fresh context (cookies). The
browser and the served portal are module-scoped, not session-scoped: Playwright's sync
API keeps an event loop marked running in the main thread while it is open, so it must
be closed before the asyncio tests of other modules run.
axe-core comes pinned in the `axe-playwright-python` wheel (its `axe.min.js`).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import LivePortal, start_portal
from consent_support import household_body
from support import REPO, clear_of_the_hour, make_gateway_fixture

REQUIRE_ENV = "GATEWAY_REQUIRE_BROWSER"
SCREENSHOTS = REPO / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Where the browser is required, a browser test that would be skipped for want of
    Chromium (by this conftest or by a module's own `skipif`) fails instead."""
    if os.environ.get(REQUIRE_ENV) == "1" and _chromium() is None:
        pytest.fail(f"{REQUIRE_ENV}=1 but no Chromium is found on the PATH", pytrace=False)


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{REQUIRE_ENV}=1 but the browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivePortal]:
    data = tmp_path_factory.mktemp("portal")
    fixture = make_gateway_fixture(data / "data", f"sqlite+aiosqlite:///{data / 'gateway.db'}")
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="live-portal", daemon=True)
    thread.start()
    runners, app, url = asyncio.run_coroutine_threadsafe(start_portal(fixture), loop).result(60)
    live = LivePortal(url, fixture, {}, loop, app)
    status, body = live.api("POST", "/api/v1/households", json=household_body())
    assert status == 201, body
    live.household = body
    try:
        yield live
    finally:

        async def stop() -> None:
            for runner in runners:
                await runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = _chromium()
    if executable is None:
        _unavailable("no Chromium found on the PATH (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(autouse=True)
def _clear_of_the_hour() -> None:
    """Bursts of refusals made here are counted per clock hour: never across its turn."""
    clear_of_the_hour()
