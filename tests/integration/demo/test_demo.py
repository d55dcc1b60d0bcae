"""The README's path for a newcomer, as real processes: demo, token, exchange, audit."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from demo_support import running_demo


def _call(url: str, token: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")  # noqa: S310
    request.add_header("Authorization", f"Bearer {token}")
    if data:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def demo(tmp_path: Path) -> Any:
    with running_demo(tmp_path) as running:

        def token(org: str, role: str | None = None) -> str:
            chosen = ["--role", role] if role else []  # default: the type's first role
            result = subprocess.run(
                [sys.executable, "-m", "gateway", "token", "--org", org, *chosen],
                env=running.env,
                capture_output=True,
                text=True,
                check=True,
            )
            return result.stdout.strip()

        yield running.base, token, running.data_dir, running.log


def test_newcomer_follows_the_readme(demo: Any) -> None:
    base, token, data_dir, log_path = demo
    people = json.loads((data_dir / "demo" / "people.json").read_text())
    assert people and all(p["bsn"].startswith("9999") for p in people)
    assert (data_dir / "demo" / "wijkteam-utrecht.pem").stat().st_mode & 0o077 == 0
    child = next(p for p in people if p["role"] == "child")
    status, body = _call(
        f"{base}/api/v1/exchanges",
        token("wijkteam-utrecht"),
        {
            "subject": {"bsn": child["bsn"]},
            "purpose": "support_planning",
            "categories": ["contact_details", "health", "reports"],
        },
    )
    assert status == 200
    assert {r["decision"] for r in body["results"]} <= {"permit", "deny"}
    assert any(r["decision"] == "deny" for r in body["results"])
    assert all(r["reason"] and "explanation" in r for r in body["results"])
    officer = token("wijkteam-utrecht", "privacy_officer")
    status, log = _call(f"{base}/api/v1/audit/entries", officer)
    assert status == 200
    exchange_entries = [
        e for e in log["entries"] if e.get("details", {}).get("exchange_id") == body["exchange_id"]
    ]
    assert len(exchange_entries) == len(body["results"])
    # The service's own log lines (JSON) name the request, never the person.
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    assert any(line.get("route") == "/api/v1/exchanges" for line in lines)
    text = log_path.read_text()
    assert child["bsn"] not in text and child["name"] not in text


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _no_redirect(url: str, **kwargs: Any) -> tuple[int, Any]:
    """(status, headers) of one request, redirects not followed."""
    request = urllib.request.Request(url, **kwargs)  # noqa: S310  # http(s) URLs of the demo
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers


def _cookie(headers: Any, name: str) -> str:
    """`name=value` of the cookie `name` that a response sets."""
    for header in headers.get_all("Set-Cookie") or []:
        pair = header.split(";", 1)[0]
        if pair.startswith(f"{name}="):
            return str(pair)
    raise AssertionError(f"no {name} cookie set")


def test_a_household_member_logs_in_through_the_demo_provider(demo: Any) -> None:
    """`gateway demo` starts the demo OpenID provider and points the portal's login at it."""
    base, _, _, _ = demo
    status, headers = _no_redirect(f"{base}/login/start")
    assert status == 302
    authorize = headers["Location"]
    provider_port = int(base.rsplit(":", 1)[1]) + 27  # the demo's ports follow from --port
    assert authorize.startswith(f"http://127.0.0.1:{provider_port}/authorize?")
    login_cookie = _cookie(headers, "__Host-gw_login")
    with urllib.request.urlopen(authorize, timeout=10) as page:  # noqa: S310
        html = page.read().decode()
    assert "DEMO — dit is niet DigiD" in html and "<script" not in html
    person = html.split('name="person" value="', 1)[1].split('"', 1)[0]  # the first parent
    params = urllib.parse.parse_qsl(urllib.parse.urlsplit(authorize).query)
    form = urllib.parse.urlencode([*params, ("person", person), ("action", "login")]).encode()
    status, headers = _no_redirect(authorize.split("?", 1)[0], data=form, method="POST")
    assert status == 302 and headers["Location"].startswith(f"{base}/oidc/callback?")
    status, headers = _no_redirect(headers["Location"], headers={"Cookie": login_cookie})
    assert status == 302 and headers["Location"] == "/"
    session = _cookie(headers, "__Host-gw_session")
    me = urllib.request.Request(f"{base}/api/v1/me/consents", headers={"Cookie": session})  # noqa: S310
    with urllib.request.urlopen(me, timeout=10) as response:  # noqa: S310
        assert response.status == 200
        assert json.loads(response.read())["person"].startswith("ps_")
