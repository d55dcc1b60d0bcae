"""Protocol-level errors and logs of a real `gateway serve` process, over raw sockets.

What a client can send before any route runs (a bad request line, an oversized or
malformed header, too many headers, a bad Content-Length, half a request) gets a
problem+json answer that echoes nothing, the connection of a slow client is closed,
and the process's JSON log holds only JSON lines without any of the request's bytes.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import REPO, GatewayFixture, free_port, make_gateway_fixture

SYNTHETIC_BSN = "999990019"
SYNTHETIC_NAME = "Jan de Vries"
HEADER_TIMEOUT = 1.5
BODY_TIMEOUT = 1.5


@dataclass
class Served:
    port: int
    process: subprocess.Popen[bytes]
    fixture: GatewayFixture

    def raw(self, data: bytes, *, timeout: float = 5.0) -> bytes:
        """Send `data` on a fresh connection; everything the server answers until it closes."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            sock.sendall(data)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)

    def stop(self) -> str:
        """Stop the process; its stderr."""
        self.process.terminate()
        _, err = self.process.communicate(timeout=20)
        return err.decode("utf-8", "replace")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    fixture = make_gateway_fixture(tmp_path / "data", url)
    port = free_port()
    env = {
        **os.environ,
        "GATEWAY_DATA_DIR": str(tmp_path / "data"),
        "GATEWAY_DATABASE_URL": url,
        "GATEWAY_CONFIG_DIR": str(REPO / "config"),
        "GATEWAY_PORT": str(port),
        "GATEWAY_LOG_FORMAT": "json",
        "GATEWAY_HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT),
        "GATEWAY_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT),
        "GATEWAY_EVENT_LOOP": "asyncio",
    }
    subprocess.run(
        [sys.executable, "-m", "gateway", "migrate"], env=env, check=True, capture_output=True
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise
            time.sleep(0.2)
    served = Served(port, process, fixture)
    yield served
    if process.poll() is None:
        process.kill()
        process.communicate(timeout=10)


def _head_and_body(answer: bytes) -> tuple[str, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return lines[0], headers, body


def _assert_problem(answer: bytes, status: int, secrets: list[str]) -> None:
    status_line, headers, body = _head_and_body(answer)
    assert status_line.split(" ")[1] == str(status), answer[:300]
    assert headers["content-type"].startswith("application/problem+json")
    assert headers["server"] == "jeugd-gateway"
    problem = json.loads(body)
    assert problem["status"] == status and problem["code"]
    text = answer.decode("latin-1")
    for secret in secrets:
        assert secret not in text


def test_protocol_errors_are_problems_and_the_log_holds_only_safe_json(served: Served) -> None:
    token = served.fixture.token("wijkteam-utrecht")
    secrets = [SYNTHETIC_BSN, SYNTHETIC_NAME, token[:40], token[40:80], "X-Note"]
    oversized = (
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
        + f"Authorization: Bearer {token}\r\n".encode()
        + f"X-Note: {SYNTHETIC_BSN} {SYNTHETIC_NAME} ".encode()
        + b"a" * 9000
        + b"\r\n\r\n"
    )
    _assert_problem(served.raw(oversized), 400, secrets)
    long_token = (
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + token.encode() * 40
        + b"\r\n\r\n"
    )
    _assert_problem(served.raw(long_token), 400, secrets)
    bad_line = b"GET /\x01" + SYNTHETIC_BSN.encode() + b" HTTP/9\r\n\r\n"
    _assert_problem(served.raw(bad_line), 400, secrets)
    _assert_problem(served.raw(b"\x16\x03\x01 not http at all\r\n\r\n"), 400, secrets)
    many = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(
        f"X-H{i}: {SYNTHETIC_BSN}\r\n".encode() for i in range(150)
    )
    _assert_problem(served.raw(many + b"\r\n"), 400, secrets)
    bad_length = (
        b"POST /api/v1/exchanges HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 12abc\r\n\r\n{}"
    )
    _assert_problem(served.raw(bad_length), 400, secrets)
    nul_header = b"GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\x00" + (
        token.encode() + b"\r\n\r\n"
    )
    _assert_problem(served.raw(nul_header), 400, secrets)

    # Bytes that are not UTF-8 in a header the gateway reads: refused by the input guard.
    undecodable = (
        b"GET /api/v1/consents?subject=" + SYNTHETIC_BSN.encode() + b" HTTP/1.1\r\nHost: x\r\n"
        b"Authorization: Bearer \xff\xfe" + token.encode() + b"\r\nConnection: close\r\n\r\n"
    )
    _assert_problem(served.raw(undecodable), 400, [token[:40], token[40:80]])

    # An answer from the app itself: the same Server header, and a 405 names what is allowed.
    status_line, headers, _ = _head_and_body(
        served.raw(b"DELETE /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    )
    assert " 405 " in status_line
    assert headers["server"] == "jeugd-gateway"
    assert "GET" in headers["allow"]

    stderr = served.stop()
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines, "the server logged nothing"
    for line in lines:
        event = json.loads(line)  # every line is JSON
        assert isinstance(event, dict) and "event" in event, line
        for secret in secrets:
            assert secret not in line, line
        assert "Traceback" not in line
    assert any(json.loads(line)["event"] == "protocol_error" for line in lines)


def test_a_slow_client_is_closed_after_the_header_timeout(served: Served) -> None:
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        sock.sendall(b"GET /heal")  # half a request line, then nothing
        started = time.monotonic()
        received = sock.recv(1024)  # b"" once the server closes
        waited = time.monotonic() - started
    assert received == b""
    assert waited < HEADER_TIMEOUT + 3.0


def test_a_client_dripping_headers_is_closed_too(served: Served) -> None:
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        started = time.monotonic()
        closed = False
        while time.monotonic() - started < HEADER_TIMEOUT + 4.0:
            try:
                sock.sendall(b"X-Drip: 1\r\n")
            except OSError:
                closed = True
                break
            sock.settimeout(0.3)
            try:
                if sock.recv(1024) == b"":
                    closed = True
                    break
            except TimeoutError:
                pass
            except ConnectionResetError:
                # The server closed with our unread drip in its buffer, so the
                # kernel answers with RST instead of FIN: closed all the same.
                closed = True
                break
        assert closed
        assert time.monotonic() - started < HEADER_TIMEOUT + 4.0


def _read_answer(sock: socket.socket) -> bytes:
    """One whole answer from a kept-alive connection (head, then Content-Length bytes)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "closed before an answer"
        data += chunk
    _, headers, body = _head_and_body(data)
    while len(body) < int(headers["content-length"]):
        body += sock.recv(65536)
    return data


def test_an_idle_kept_alive_connection_outlives_the_header_timeout(served: Served) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        sock.sendall(request)
        assert b" 200 " in _read_answer(sock)
        time.sleep(HEADER_TIMEOUT + 1.0)  # idle, between requests: not a slow head
        sock.sendall(request)
        assert b" 200 " in _read_answer(sock)


def test_a_body_that_does_not_arrive_in_time_is_400(served: Served) -> None:
    head = (
        b"POST /api/v1/exchanges HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {served.fixture.token('wijkteam-utrecht')}\r\n".encode()
        + b"Content-Length: 1000\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        sock.sendall(head + b'{"subject": ')  # then nothing: a slow POST
        started = time.monotonic()
        answer = _read_answer(sock)
        waited = time.monotonic() - started
    status_line, headers, body = _head_and_body(answer)
    assert " 400 " in status_line and headers["content-type"].startswith("application/problem+json")
    assert "did not arrive" in json.loads(body)["detail"]
    assert BODY_TIMEOUT - 0.5 < waited < BODY_TIMEOUT + 3.0
