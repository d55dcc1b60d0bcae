"""The portal login in a real browser (Debian's Chromium through Playwright): the demo
provider's page, its form posting back to the gateway, and the `__Host-` session cookie
(Secure) accepted and sent on http://127.0.0.1, as the demo serves it."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from dataclasses import replace

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from consent_support import MOTHER, household_body
from login_support import CLIENT_ID, PEOPLE
from support import GatewayFixture, free_port

from gateway.app import create_app
from gateway.auth.keys import KeyStore
from gateway.auth.sessions import COOKIE_NAME
from gateway.demo.oidc_provider import client_for, create_provider_app, ensure_provider_files
from gateway.http.subjects import Pseudonymiser

CHROMIUM = shutil.which("chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium found (apt-get install -y chromium)"
)


@pytest.fixture
async def portal(gateway: GatewayFixture, custody_server: TestServer) -> AsyncIterator[str]:
    """The gateway and the demo provider on real ports, one household; the gateway's URL."""
    key, secret_file = ensure_provider_files(gateway.settings.data_dir)
    gateway_port, provider_port = free_port(), free_port()
    base, issuer = f"http://127.0.0.1:{gateway_port}", f"http://127.0.0.1:{provider_port}"
    redirect = f"{base}/oidc/callback"
    client = client_for(CLIENT_ID, secret_file.read_text().strip(), redirect)
    provider = TestServer(
        create_provider_app(issuer, [client], PEOPLE, key), host="127.0.0.1", port=provider_port
    )
    settings = replace(
        gateway.settings,
        port=gateway_port,
        oidc_issuer=issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret_file=secret_file,
        oidc_redirect_url=redirect,
    )
    server = TestServer(create_app(settings), host="127.0.0.1", port=gateway_port)
    await provider.start_server()
    await server.start_server()
    async with aiohttp.ClientSession() as http:
        answer = await http.post(
            f"{base}/api/v1/households",
            json=household_body(),
            headers=gateway.auth("wijkteam-utrecht"),
        )
        assert answer.status == 201, await answer.text()
    yield base
    await server.close()
    await provider.close()


async def test_chromium_logs_in_and_keeps_the_secure_session_cookie_on_loopback_http(
    portal: str, gateway: GatewayFixture
) -> None:
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page()
            await page.goto(f"{portal}/login/start")
            assert "DEMO — dit is niet DigiD" in await page.content()
            await page.get_by_label("Moeder Test").check()
            await page.get_by_role("button", name="Inloggen").click()
            await page.wait_for_url(f"{portal}/")
            cookies = {c["name"]: c for c in await page.context.cookies(portal)}
            session = cookies[COOKIE_NAME]
            assert session["secure"] and session["httpOnly"] and session["sameSite"] == "Lax"
            assert "__Host-gw_login" not in cookies  # used up and cleared
            answer = await page.goto(f"{portal}/api/v1/me/consents")
            assert answer is not None and answer.status == 200
            body = json.loads(await page.inner_text("body"))
            pseudonym = Pseudonymiser(_secret(gateway)).pseudonym(MOTHER)
            assert body["person"] == pseudonym
        finally:
            await browser.close()


def _secret(gateway: GatewayFixture) -> bytes:
    return KeyStore.load(gateway.settings.keys_dir).pseudonym_secret
