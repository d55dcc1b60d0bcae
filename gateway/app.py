"""The composition root: builds the aiohttp application and wires every part.

Nothing is created at import time. Files (keys, organisations, policies) are
read here, synchronously, so a bad one stops start-up with a clear message;
the database engine and the HTTP client live in cleanup contexts, created on
start and disposed on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiohttp
import structlog
from aiohttp import web

from gateway import api as routes
from gateway.appkeys import (
    AUDIT,
    AUTHENTICATOR,
    ENGINE,
    HTTP_SESSION,
    KEYS,
    LIVE_CONFIG,
    METRICS,
    OFFICERS,
    ORGANISATIONS,
    POLICIES,
    PSEUDONYMISER,
    REMOTE_JWKS,
    SETTINGS,
    VOCABULARY,
)
from gateway.audit.context import audit_context
from gateway.auth.jwks_remote import JwksPolicy, RemoteJwks
from gateway.auth.keys import KeyStore
from gateway.auth.officers import LiveOfficerRegistry
from gateway.auth.organisation_tokens import OrganisationAuthenticator
from gateway.auth.organisations import LiveOrganisationRegistry
from gateway.config_reload import (
    Generation,
    LiveConfiguration,
    LivePolicies,
    load_officers,
    load_organisations,
    pin_generation,
)
from gateway.errors import SettingsError
from gateway.exchange.wiring import exchange_context
from gateway.http.metrics import count_requests
from gateway.http.middlewares import middlewares
from gateway.http.subjects import Pseudonymiser
from gateway.metrics import Metrics, pool_status
from gateway.settings import Settings
from gateway.storage.db import create_engine, dispose
from gateway.storage.schema import schema_state
from gateway.web import setup as setup_pages
from gateway.wiring import consent_context, custody_context, login_context, officer_context
from policies import PolicyLoadError

__all__ = ["create_app"]

log = structlog.get_logger("gateway.app")

REPLAY_PRUNE_SECONDS = 300.0


def create_app(settings: Settings) -> web.Application:
    # Outermost first: the metrics see the final status; then the request is pinned to
    # the configuration generation in force (gateway/config_reload.py).
    app = web.Application(
        middlewares=[count_requests, _pin_generation, *middlewares],
        client_max_size=settings.body_limit,
    )
    app[SETTINGS] = settings
    metrics = Metrics()
    app[METRICS] = metrics
    keys = KeyStore.load(settings.keys_dir)
    app[KEYS] = keys
    app[PSEUDONYMISER] = Pseudonymiser(keys.pseudonym_secret)
    policies = _load_policies(settings)
    vocabulary = policies.policy_set.vocabulary
    app[VOCABULARY] = vocabulary
    organisations = load_organisations(settings.config_dir, settings.data_dir, vocabulary)
    live = LiveConfiguration(
        config_dir=settings.config_dir,
        data_dir=settings.data_dir,
        vocabulary=vocabulary,
        first=Generation(
            1,
            organisations,
            policies.engine,
            # the privacy officers who may log in to /fg (reloaded with the rest)
            officers=load_officers(settings.config_dir, organisations),
        ),
        metrics=metrics,
    )
    policies.follow(live)
    app[LIVE_CONFIG] = live
    app[POLICIES] = policies
    app[ORGANISATIONS] = LiveOrganisationRegistry(lambda: live.current.organisations)
    remote = RemoteJwks(_jwks_policy(settings), metrics)
    app[REMOTE_JWKS] = remote
    live.on_change(lambda generation: remote.sync(generation.organisations))
    app[OFFICERS] = LiveOfficerRegistry(lambda: live.current.officers)
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(audit_context)  # the audit log's writer task on the engine
    app.cleanup_ctx.append(_observed_commits)  # audit and replay batches in the metrics
    app.cleanup_ctx.append(consent_context)  # households, consents, sessions on the engine
    app.cleanup_ctx.append(_http_client)
    app.cleanup_ctx.append(_remote_keys)  # organisations' jwks_uri, on the HTTP client
    app.cleanup_ctx.append(custody_context)  # the custody register, on the HTTP client
    app.cleanup_ctx.append(login_context)  # the portal's OIDC relying party, on the client
    app.cleanup_ctx.append(officer_context)  # the officer console's sessions and login
    app.cleanup_ctx.append(exchange_context)  # adapters + the exchange pipeline's ports
    app.cleanup_ctx.append(_replay_cache_pruning)
    routes.setup(app)
    setup_pages(app)  # the household portal's pages (gateway/web)
    return app


def _jwks_policy(settings: Settings) -> JwksPolicy:
    return JwksPolicy(
        refresh_min_seconds=settings.jwks_refresh_min_seconds,
        refresh_max_seconds=settings.jwks_refresh_max_seconds,
        max_staleness_seconds=settings.jwks_max_staleness_seconds,
        timeout_seconds=settings.jwks_timeout_seconds,
        unknown_kid_interval_seconds=settings.jwks_unknown_kid_interval_seconds,
    )


_pin_generation = pin_generation(lambda app: app.get(LIVE_CONFIG))


def _load_policies(settings: Settings) -> LivePolicies:
    try:
        return LivePolicies(settings.config_dir)
    except PolicyLoadError as exc:
        problems = "; ".join(exc.problems)
        raise SettingsError("GATEWAY_CONFIG_DIR", f"policy set does not load: {problems}") from exc


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
    try:
        state = await schema_state(engine)
    except Exception as exc:  # unreachable database: start, but /readyz says 503
        log.warning("database_unreachable", error_type=type(exc).__name__)
    else:
        if not state.up_to_date:
            await dispose(engine)
            raise SettingsError(
                "GATEWAY_DATABASE_URL", f"{state.describe()}; run `gateway migrate`"
            )
    app[ENGINE] = engine
    app[AUTHENTICATOR] = OrganisationAuthenticator(
        app[ORGANISATIONS],
        engine,
        audience=settings.audience,
        leeway_seconds=settings.token_leeway_seconds,
        max_lifetime_seconds=settings.token_max_lifetime_seconds,
        require_client_certificate=settings.mutual_tls,
        remote_keys=app[REMOTE_JWKS],
    )
    app[METRICS].watch_pool(lambda: pool_status(engine.sync_engine.pool))
    yield
    await dispose(engine)


async def _observed_commits(app: web.Application) -> AsyncIterator[None]:
    metrics = app[METRICS]
    app[AUDIT].observe_batches(metrics.group_commit("audit_append"))
    app[AUTHENTICATOR].replay_commit.observer = metrics.group_commit("replay_check")
    yield


async def _remote_keys(app: web.Application) -> AsyncIterator[None]:
    remote = app[REMOTE_JWKS]
    await remote.start(app[HTTP_SESSION], app[LIVE_CONFIG].latest.organisations)
    yield
    await remote.close()


async def _http_client(app: web.Application) -> AsyncIterator[None]:
    connector = aiohttp.TCPConnector(limit=200, limit_per_host=50)
    async with aiohttp.ClientSession(connector=connector) as session:
        app[HTTP_SESSION] = session
        yield


async def _replay_cache_pruning(app: web.Application) -> AsyncIterator[None]:
    async def prune_forever() -> None:
        while True:
            await asyncio.sleep(REPLAY_PRUNE_SECONDS)
            try:
                await app[AUTHENTICATOR].prune()
            except Exception as exc:  # a passing database outage must not end the loop
                log.warning("replay_prune_failed", error_type=type(exc).__name__)

    task = asyncio.create_task(prune_forever())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
