"""The HTTP server around the app: protocol errors as problem+json, slow clients closed.

aiohttp answers a request it cannot parse (a bad request line, an oversized or
malformed header, too many headers, a bad Content-Length) itself, before any
middleware runs: with a text body that quotes the offending bytes and a log line
with a traceback that quotes them too. `GatewayRequestHandler.handle_error`
answers instead with RFC 9457 problem+json that names only the status, logs only
the error's class, and sends the same `Server` header as every other answer.

A request head (request line and headers) must arrive whole within
`header_timeout_seconds` of its first byte, or the connection is closed
(slowloris: a client that sends half a request line, or drips headers, holds a
connection for ever otherwise). Idle keep-alive connections are closed by
aiohttp's own keep-alive timer, later; a body being read is not timed here.

`GatewayRunner` is `web.AppRunner` with this handler; `gateway serve` and the demo
use it. (aiohttp has no public hook for the handler class: `_make_server` is
overridden, and the tests over a raw socket keep that honest on upgrades.)

`serve` also runs what a serving process has besides its port: `/metrics` on its own
listener (`GATEWAY_METRICS_PORT` + the worker's index), its entry in the run folder
(`gateway/processes.py`) and SIGHUP, which reloads the configuration
(`gateway/config_reload.py`) and writes the outcome to that entry for `gateway reload`.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import signal
import ssl
from typing import Any

import structlog
from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest
from aiohttp.web_server import Server

from gateway import processes
from gateway.appkeys import LIVE_CONFIG, METRICS
from gateway.errors import (
    BadRequest,
    GatewayError,
    InternalError,
    PayloadTooLarge,
    ServiceUnavailable,
    SettingsError,
)
from gateway.http.eventloop import run as run_on_loop
from gateway.http.metrics import metrics_app
from gateway.http.middlewares import SERVER_NAME, problem_response
from gateway.settings import Settings

__all__ = ["GatewayRequestHandler", "GatewayRunner", "handler_args", "serve"]

log = structlog.get_logger("gateway.http")


KEEPALIVE_SECONDS = 75.0  # longer than a load balancer's usual idle timeout (60 s)


def handler_args(settings: Settings) -> dict[str, Any]:
    """The protocol limits every gateway server runs with (aiohttp's defaults, named)."""
    return {
        "keepalive_timeout": KEEPALIVE_SECONDS,
        "max_line_size": 8190,
        "max_field_size": 8190,
        "max_headers": 100,
        "access_log": None,
    }


def _protocol_error(status: int) -> GatewayError:
    if status == 413:
        return PayloadTooLarge("Request is too large")
    if status < 500:
        return BadRequest("The HTTP request is malformed")
    if status == 500:
        return InternalError("An unexpected error occurred; no data released")
    return ServiceUnavailable("The request could not be answered in time; no data released")


class GatewayRequestHandler(RequestHandler):
    """aiohttp's connection handler, with errors that never echo request bytes and a
    deadline for each request head."""

    def __init__(
        self, manager: Server, *, header_timeout: float, base_url: str = "", **kwargs: Any
    ) -> None:
        super().__init__(manager, **kwargs)
        self._header_timeout = header_timeout
        self._base_url = base_url
        self._head_timer: asyncio.TimerHandle | None = None
        self._heads_at_start = 0

    def data_received(self, data: bytes) -> None:
        waiting = not self._request_in_progress
        if data and waiting and self._head_timer is None and not self._force_close:
            self._heads_at_start = self._request_count
            self._head_timer = self._loop.call_later(self._header_timeout, self._head_too_slow)
        super().data_received(data)
        if self._head_timer is not None and self._request_count != self._heads_at_start:
            self._head_timer.cancel()  # a whole head arrived (or a parse error, answered)
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        waiting = self._waiter is not None and not self._waiter.done()
        if (
            waiting
            and not self._request_in_progress
            and self._request_count == self._heads_at_start
        ):
            log.info("header_timeout", error_type="HeaderTimeout")
            self.force_close()

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().connection_lost(exc)

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        # `message` and `exc` quote the request (headers, tokens): only the class is logged.
        log.warning(
            "protocol_error",
            status=status,
            error_type=type(exc).__name__ if exc is not None else None,
        )
        if request.writer.output_size > 0:  # an answer is under way: only closing is left
            raise ConnectionError("Response already started; the connection is closed")
        request_id = "req_" + secrets.token_hex(12)
        response = problem_response(_protocol_error(status), request_id, self._base_url)
        response.headers["Server"] = SERVER_NAME
        response.headers["X-Request-Id"] = request_id
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
        response.force_close()
        return response


class _GatewayServer(Server):
    def __init__(self, plain: Server, header_timeout: float, base_url: str = "") -> None:
        super().__init__(
            plain.request_handler,
            request_factory=plain.request_factory,
            handler_cancellation=plain.handler_cancellation,
            loop=asyncio.get_running_loop(),
            **plain._kwargs,
        )
        self.header_timeout = header_timeout
        self.base_url = base_url

    def __call__(self) -> RequestHandler:
        return GatewayRequestHandler(
            self,
            loop=self._loop,
            header_timeout=self.header_timeout,
            base_url=self.base_url,
            **self._kwargs,
        )


class GatewayRunner(web.AppRunner):
    """`web.AppRunner` whose connections are handled by `GatewayRequestHandler`."""

    def __init__(self, app: web.Application, settings: Settings, **kwargs: Any) -> None:
        super().__init__(app, **{**handler_args(settings), **kwargs})
        self._header_timeout = settings.header_timeout_seconds
        self._base_url = settings.base_url

    async def _make_server(self) -> Server:
        return _GatewayServer(await super()._make_server(), self._header_timeout, self._base_url)


async def _serve(
    app: web.Application,
    settings: Settings,
    host: str,
    port: int,
    tls: ssl.SSLContext | None,
    *,
    worker: int = 0,
    reuse_port: bool = False,
) -> None:
    runner = GatewayRunner(app, settings, handle_signals=False, shutdown_timeout=10.0)
    await runner.setup()
    metrics_runner: web.AppRunner | None = None
    registration: processes.Registration | None = None
    reloading: set[asyncio.Task[None]] = set()
    try:
        await web.TCPSite(
            runner, host, port, ssl_context=tls, reuse_port=reuse_port or None
        ).start()
        metrics_port = settings.metrics_port + worker if settings.metrics_port else None
        if metrics_port is not None:
            metrics_runner = await _start_metrics(app, settings, metrics_port)
        live = app.get(LIVE_CONFIG)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        if live is not None:
            config = live

            async def reload() -> None:
                outcome = await config.reload()
                if registration is not None:
                    registration.write(
                        {
                            "generation": config.latest.number,
                            "reloads": config.reloads_ok + config.reloads_failed,
                            "last_reload": outcome.as_status(),
                        }
                    )

            def on_hangup() -> None:
                task = asyncio.create_task(reload(), name="config-reload")
                reloading.add(task)
                task.add_done_callback(reloading.discard)

            # Before the pid file exists: `gateway reload` must never find a process whose
            # SIGHUP would still have its default action (ending the process).
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signal.SIGHUP, on_hangup)
            registration = processes.register(
                settings.data_dir,
                {
                    "port": port,
                    "worker": worker,
                    "metrics_port": metrics_port,
                    "generation": live.latest.number,
                },
            )
        log.info("serving", host=host, port=port)
        await stop.wait()
        log.info("stopping")
    finally:
        for task in list(reloading):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if registration is not None:
            registration.close()
        if metrics_runner is not None:
            await metrics_runner.cleanup()
        await runner.cleanup()


async def _start_metrics(app: web.Application, settings: Settings, port: int) -> web.AppRunner:
    token: str | None = None
    if settings.metrics_token_file is not None:
        try:
            token = settings.metrics_token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingsError("GATEWAY_METRICS_TOKEN_FILE", "cannot be read") from exc
        if len(token) < 16:
            raise SettingsError("GATEWAY_METRICS_TOKEN_FILE", "needs a token of 16+ characters")
    runner = web.AppRunner(metrics_app(app[METRICS], token=token), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.metrics_host, port).start()
    except BaseException:
        await runner.cleanup()
        raise
    log.info("metrics_serving", host=settings.metrics_host, port=port)
    return runner


def serve(
    app: web.Application,
    settings: Settings,
    *,
    host: str,
    port: int,
    ssl_context: ssl.SSLContext | None,
    worker: int = 0,
    reuse_port: bool = False,
) -> None:
    """Serve `app` until SIGINT or SIGTERM, on the configured event loop."""
    run_on_loop(
        _serve(app, settings, host, port, ssl_context, worker=worker, reuse_port=reuse_port),
        settings.event_loop,
    )
