"""Running `gateway demo` as a real process: a free block of ports, readiness, its guide."""

from __future__ import annotations

import contextlib
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from support import REPO

__all__ = ["DERIVED", "RunningDemo", "demo_port", "port_is_free", "running_demo"]

#: The demo's ports beside the gateway's: `--port` + these (sources, register, provider).
DERIVED = tuple(range(21, 28))


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def demo_port() -> int:
    """A `--port` whose every derived port is free now (below the ephemeral range)."""
    for _ in range(200):
        base = random.randrange(20_000, 30_000)  # a port, not a secret
        if all(port_is_free(base + offset) for offset in (0, *DERIVED)):
            return base
    raise RuntimeError("no free block of demo ports")


@dataclass
class RunningDemo:
    base: str
    port: int
    env: dict[str, str]
    data_dir: Path
    log: Path
    guide: str


def demo_env(tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "GATEWAY_DATA_DIR": str(tmp_path / "var"),
        "GATEWAY_CONFIG_DIR": str(REPO / "config"),
        "GATEWAY_LOG_FORMAT": "json",
    }
    for name in ("GATEWAY_DATABASE_URL", "GATEWAY_CUSTODY_REGISTER_URL", "GATEWAY_OIDC_ISSUER"):
        env.pop(name, None)
    return env


@contextlib.contextmanager
def running_demo(tmp_path: Path, port: int | None = None) -> Iterator[RunningDemo]:
    """`gateway demo --port N` until the block ends; yields once ready and its guide printed."""
    port = port or demo_port()
    env = demo_env(tmp_path)
    log = tmp_path / "demo.log"
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway", "demo", "--port", str(port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=log_file,
            text=True,
            cwd=REPO,
        )
        try:
            assert process.stdout is not None
            lines: list[str] = []
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                line = process.stdout.readline()
                if not line:
                    raise AssertionError(f"demo exited early: {log.read_text()[-2000:]}")
                lines.append(line)
                if line.startswith("Stop with Ctrl+C."):
                    break
            base = f"http://127.0.0.1:{port}"
            with urllib.request.urlopen(f"{base}/readyz", timeout=10) as response:  # noqa: S310
                assert response.status == 200
            yield RunningDemo(base, port, env, tmp_path / "var", log, "".join(lines))
        finally:
            process.terminate()
            process.wait(timeout=20)
            if process.stdout:
                process.stdout.close()
