"""`gateway demo`: keys, migrations, synthetic households, reference sources and the gateway.

Everything on 127.0.0.1, in one process, on an embedded SQLite database unless
GATEWAY_DATABASE_URL says otherwise. Demo-only material (organisations' private
keys, the list of synthetic people) is written under `<data dir>/demo`.

Every port follows from `--port` (default 8080): the reference sources, the custody
register and the demo OpenID provider keep their configured ports shifted by
`--port - 8080` (so 8101-8107 at the default, 9101-9107 with `--port 9080`). All are
checked before anything binds: a port in use stops the demo with exit code 2 and one
line naming it, so two demos side by side only need two --port values 30 or more apart.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import socket
import sys
from dataclasses import replace
from urllib.parse import urlsplit

from aiohttp import web

from adapters.reference.app import create_source_app
from adapters.reference.custody_register import CustodyRegister, create_custody_register_app
from adapters.reference.jwks import RemoteJwks
from adapters.reference.sqlsource import build_reference_database
from adapters.reference.synthetic import Population
from gateway.app import create_app
from gateway.appkeys import (
    CASES,
    CONSENTS,
    CUSTODY,
    HOUSEHOLDS,
    OFFICERS,
    ORGANISATIONS,
    POLICIES,
    PSEUDONYMISER,
)
from gateway.auth.keys import init_keys
from gateway.auth.officers import OfficerRegistry
from gateway.auth.organisations import OrganisationRegistry
from gateway.commands._common import add_settings_options, load_settings
from gateway.demo.guide import print_guide
from gateway.demo.keys import ensure_demo_key
from gateway.demo.oidc_provider import (
    DEMO_CLIENT_ID,
    demo_officers,
    ensure_provider_files,
    provider_for_population,
)
from gateway.demo.seed import demo_population, scenario_guide, seed_demo, write_people
from gateway.errors import SettingsError
from gateway.http import eventloop
from gateway.http.server import GatewayRunner
from gateway.settings import Settings
from gateway.storage.db import create_engine, dispose
from gateway.storage.files import private_dir
from gateway.storage.schema import upgrade

__all__ = ["DEFAULT_PORT", "demo_ports", "register", "shifted_organisations"]

#: The port the configured demo ports (config/organisations.toml, the custody register's
#: default URL) go with; another `--port` shifts them all by the difference.
DEFAULT_PORT = 8080
_DEFAULT_CUSTODY_URL = Settings.__dataclass_fields__["custody_register_url"].default


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo", help="set up and run the demo on 127.0.0.1", description=__doc__
    )
    add_settings_options(parser)
    parser.add_argument(
        "--port",
        type=int,
        help=f"gateway port (default {DEFAULT_PORT}); the demo's other ports follow from it",
    )
    parser.add_argument(
        "--no-serve", action="store_true", help="set everything up, print the guide, and exit"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    if settings is None:
        return 2
    settings = replace(settings, demo_mode=True, host="127.0.0.1", port=args.port or settings.port)
    if settings.custody_register_url == _DEFAULT_CUSTODY_URL:
        settings = replace(
            settings, custody_register_url=_shift_url(_DEFAULT_CUSTODY_URL, _shift(settings))
        )
    try:
        return eventloop.run(_demo(settings, serve=not args.no_serve), settings.event_loop)
    except SettingsError as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"gateway: cannot start the demo: {exc.strerror or exc}", file=sys.stderr)
        return 1


def _with_demo_login(settings: Settings) -> Settings:
    """Point the portal's login at the demo provider (the port after the custody
    register's), unless an identity provider is configured."""
    if settings.oidc_issuer:
        return settings
    _, secret_file = ensure_provider_files(settings.data_dir)
    return replace(
        settings,
        oidc_issuer=_provider_issuer(settings),
        oidc_client_id=DEMO_CLIENT_ID,
        oidc_client_secret_file=secret_file,
        oidc_redirect_url=f"http://{settings.host}:{settings.port}/oidc/callback",
    )


def _provider_issuer(settings: Settings) -> str:
    return f"http://127.0.0.1:{(urlsplit(settings.custody_register_url).port or 80) + 1}"


async def _demo(settings: Settings, *, serve: bool) -> int:
    private_dir(settings.data_dir)
    settings = _with_demo_login(settings)
    init_keys(settings.keys_dir)
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await dispose(engine)
    app = create_app(settings)
    organisations = app[ORGANISATIONS]
    for org in organisations:
        if org.jwks_file:
            ensure_demo_key(org.id, settings.data_dir, org.jwks_file)
    # Reload so the freshly written public keys are registered.
    app = create_app(settings)
    app[ORGANISATIONS] = shifted_organisations(app[ORGANISATIONS], _shift(settings))
    ports = demo_ports(settings, app[ORGANISATIONS])
    _check_free(ports)
    runner = GatewayRunner(app, settings)
    await runner.setup()
    source_runners: list[web.AppRunner] = []
    try:
        population = demo_population(app[ORGANISATIONS])
        people_file = write_people(population, settings.data_dir)
        base = f"http://{settings.host}:{settings.port}"
        for org in app[ORGANISATIONS]:
            adapter = org.adapter or {}
            if adapter.get("kind") == "sql":
                url = str(adapter["url"]).replace("{data_dir}", str(settings.data_dir))
                private_dir(settings.data_dir / "sources")
                await build_reference_database(url, population, org.id)
            elif adapter.get("kind") == "http":
                source = create_source_app(
                    org.id,
                    org.type,
                    population,
                    RemoteJwks(f"{base}/.well-known/jwks.json"),
                    audience=org.id,
                    gateway_issuer=settings.audience,
                )
                source_runner = web.AppRunner(source, access_log=None)
                await source_runner.setup()
                port = int(str(adapter["base_url"]).rsplit(":", 1)[1].split("/")[0])
                await web.TCPSite(source_runner, "127.0.0.1", port).start()
                source_runners.append(source_runner)
        source_runners.append(await _start_custody_register(settings, population, base))
        if settings.oidc_issuer == _provider_issuer(settings):
            source_runners.append(await _start_provider(settings, population, app))
        await web.TCPSite(runner, settings.host, settings.port).start()
        marker = settings.data_dir / "demo" / "seeded"
        if not marker.exists():
            # Through the reference custody register, like any registration (it fetches the
            # gateway's keys from the JWKS the gateway now serves).
            await seed_demo(
                population,
                app[HOUSEHOLDS],
                app[CONSENTS],
                app[PSEUDONYMISER].pseudonym,
                custody=app[CUSTODY].source,
                policy_version=app[POLICIES].version,
                organisations=app[ORGANISATIONS],
                cases=app[CASES],
            )
            marker.write_text(settings.database_url.split("@")[-1] + "\n")
        print_guide(
            settings,
            people_file,
            scenario_guide(population),
            population,
            app[ORGANISATIONS],
            ports,
        )
        if serve:
            await _wait_for_signal()
        return 0
    finally:
        for source_runner in source_runners:
            await source_runner.cleanup()
        await runner.cleanup()


def _shift(settings: Settings) -> int:
    return settings.port - DEFAULT_PORT


def _shift_url(url: str, shift: int) -> str:
    """`url` with its port moved by `shift` when it is on this machine (127.0.0.1)."""
    parts = urlsplit(url)
    if parts.hostname != "127.0.0.1" or parts.port is None or shift == 0:
        return url
    return parts._replace(netloc=f"127.0.0.1:{parts.port + shift}").geturl()


def shifted_organisations(registry: OrganisationRegistry, shift: int) -> OrganisationRegistry:
    """The organisations with their reference sources' ports moved by `shift`."""
    moved = []
    for org in registry:
        adapter = org.adapter or {}
        if adapter.get("kind") == "http" and isinstance(adapter.get("base_url"), str):
            adapter = {**adapter, "base_url": _shift_url(str(adapter["base_url"]), shift)}
            org = replace(org, adapter=adapter)
        moved.append(org)
    return OrganisationRegistry(moved)


def demo_ports(settings: Settings, organisations: OrganisationRegistry) -> list[tuple[int, str]]:
    """Every port the demo binds on this machine, with what listens there."""
    ports = [(settings.port, "gateway")]
    for org in organisations:
        adapter = org.adapter or {}
        if adapter.get("kind") == "http":
            url = urlsplit(str(adapter["base_url"]))
            if url.hostname == "127.0.0.1" and url.port is not None:
                ports.append((url.port, f"reference source of {org.id}"))
    custody = urlsplit(settings.custody_register_url)
    ports.append((custody.port or 80, "reference custody register"))
    if settings.oidc_issuer == _provider_issuer(settings):
        ports.append((urlsplit(settings.oidc_issuer).port or 80, "demo OpenID provider"))
    return ports


def _check_free(ports: list[tuple[int, str]]) -> None:
    """Refuse to start (SettingsError, exit 2) when a demo port is taken or out of range."""
    seen: dict[int, str] = {}
    for port, what in ports:
        if port in seen:
            raise SettingsError("--port", f"{what} and {seen[port]} would share port {port}")
        seen[port] = what
        if not 1 <= port <= 65535:
            raise SettingsError("--port", f"port {port} for the {what} is out of range")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                raise SettingsError(
                    "--port",
                    f"port {port} (the {what}) is in use; is another demo running? Start "
                    "this one with a --port 30 or more away (e.g. --port 9080)",
                ) from None


async def _start_custody_register(
    settings: Settings, population: Population, gateway_base: str
) -> web.AppRunner:
    """The reference custody register where `custody_register_url` points (127.0.0.1)."""
    url = urlsplit(settings.custody_register_url)
    register = create_custody_register_app(
        CustodyRegister.from_population(population),
        RemoteJwks(f"{gateway_base}/.well-known/jwks.json"),
        settings.audience,
    )
    runner = web.AppRunner(register, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", url.port or 80).start()
    return runner


async def _start_provider(
    settings: Settings, population: Population, app: web.Application
) -> web.AppRunner:
    """The demo OpenID provider (synthetic people and the configured privacy officers)
    at the configured issuer."""
    names = {org.id: org.name for org in app[ORGANISATIONS]}
    registry: OfficerRegistry = app[OFFICERS]
    officers = list(registry)
    provider = provider_for_population(
        settings.oidc_issuer,
        settings.oidc_callback_url,
        population,
        settings.data_dir,
        officers=demo_officers(officers, names),
        officer_redirect_uri=settings.officer_oidc_callback_url,
    )
    runner = web.AppRunner(provider, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", urlsplit(settings.oidc_issuer).port or 80).start()
    return runner


async def _wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
