"""Helpers the test suites share: a migrated database, keys, organisations that sign tokens."""

from __future__ import annotations

import random
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from gateway.auth.keys import init_keys
from gateway.auth.organisations import OrganisationRegistry
from gateway.demo.keys import DemoOrganisationKey, ensure_demo_key
from gateway.settings import Settings
from gateway.storage.db import create_engine
from gateway.storage.schema import upgrade
from policies import load_vocabulary

__all__ = [
    "REPO",
    "GatewayFixture",
    "clear_of_the_hour",
    "free_port",
    "make_gateway_fixture",
    "migrate",
]

REPO = Path(__file__).resolve().parent.parent
CONFIG_DIR = REPO / "config"


@dataclass
class GatewayFixture:
    """A ready gateway configuration: settings, keys on disk, one signing key per organisation."""

    settings: Settings
    org_keys: dict[str, DemoOrganisationKey]
    # The first configured role of each organisation's type: the default a token asserts.
    default_roles: dict[str, str]

    def token(self, org_id: str, role: str | None = None, **kwargs: object) -> str:
        chosen = role or self.default_roles[org_id]
        return self.org_keys[org_id].token(self.settings.audience, role=chosen, **kwargs)  # type: ignore[arg-type]

    def auth(self, org_id: str, role: str | None = None, **kwargs: object) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(org_id, role, **kwargs)}"}


def make_gateway_fixture(data_dir: Path, database_url: str, **env: str) -> GatewayFixture:
    environ = {
        "GATEWAY_DATA_DIR": str(data_dir),
        "GATEWAY_CONFIG_DIR": str(CONFIG_DIR),
        "GATEWAY_DATABASE_URL": database_url,
        "GATEWAY_LOG_FORMAT": "json",
        **env,
    }
    settings = Settings.load(environ)
    init_keys(settings.keys_dir)
    registry = OrganisationRegistry.load(
        CONFIG_DIR / "organisations.toml", data_dir=data_dir, require_keys=False
    )
    keys = {
        org.id: ensure_demo_key(org.id, data_dir, org.jwks_file)
        for org in registry
        if org.jwks_file
    }
    types = load_vocabulary(CONFIG_DIR).organisation_types
    roles = {org.id: types[org.type].roles[0] for org in registry}
    return GatewayFixture(settings, keys, roles)


_GIVEN_PORTS: set[int] = set()
_PORT_CHOICE = random.SystemRandom()  # not the global generator hypothesis seeds


def _ephemeral_low() -> int:
    """The first of the ports the kernel hands to outgoing connections and to `bind(0)`."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def free_port(span: int = 1) -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (with `span`, the
    `span` ports from it on), for a process that binds it a moment later; never one
    given before in this test run.

    Taken from below the kernel's ephemeral range: a port from `bind(0)` is one that an
    outgoing connection (the database pool of a gateway started just before) may take
    before the process it was meant for binds it ("address already in use", seen in CI).
    """
    low = _ephemeral_low()
    if low - span <= 21000:  # no room below the range here: let the kernel choose
        if span != 1:
            raise RuntimeError("free_port(span) needs room below the ephemeral port range")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])
    for _ in range(500):
        first = _PORT_CHOICE.randrange(20000, low - span)
        ports = range(first, first + span)
        if any(p in _GIVEN_PORTS for p in ports) or not all(_bindable(p) for p in ports):
            continue
        _GIVEN_PORTS.update(ports)
        return first
    raise RuntimeError("no free TCP port on 127.0.0.1")


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


async def migrate(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def clear_of_the_hour(margin_s: float = 60.0) -> None:
    """Wait out the turn of the clock hour when it is less than `margin_s` away.

    The probing signal counts refusals per clock hour; a test that makes a burst of them
    at hh:59:50 would see it split over two hours. Waits at most `margin_s` once per run.
    """
    left = 3600.0 - time.time() % 3600.0
    if left < margin_s:
        time.sleep(left + 0.5)
