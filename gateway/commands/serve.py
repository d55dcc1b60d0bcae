"""`gateway serve`: run the gateway (refuses to start on an out-of-date schema).

With `--workers N` (N > 1) this process starts N worker processes (`python -m gateway
serve --worker-index i`), each a whole gateway with its own event loop, database pool
and metrics port (`GATEWAY_METRICS_PORT` + i), all listening on the same port with
SO_REUSEPORT, so the kernel spreads connections over them. The supervising process
serves nothing itself: it passes SIGTERM/SIGINT and SIGHUP on to the workers, and if a
worker ends, it stops the others and exits 1 (let systemd or the orchestrator restart
the whole). `gateway reload` signals the workers directly (`gateway/processes.py`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from types import FrameType

import structlog

from gateway.app import create_app
from gateway.auth.tls import server_context
from gateway.commands._common import add_settings_options, load_settings
from gateway.errors import SettingsError
from gateway.http.server import serve

__all__ = ["register"]

log = structlog.get_logger("gateway.serve")

MAX_WORKERS = 64
_STOP_GRACE_SECONDS = 15.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("serve", help="run the gateway", description=__doc__)
    add_settings_options(parser)
    parser.add_argument("--host", help="address to listen on (GATEWAY_HOST)")
    parser.add_argument("--port", type=int, help="port to listen on (GATEWAY_PORT)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes sharing the port with SO_REUSEPORT (default 1)",
    )
    parser.add_argument("--worker-index", type=int, default=None, help=argparse.SUPPRESS)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    if settings is None:
        return 2
    if not 1 <= args.workers <= MAX_WORKERS:
        print(f"gateway: --workers must be 1 to {MAX_WORKERS}", file=sys.stderr)
        return 2
    if args.workers > 1 and args.worker_index is None:
        return _supervise(args)
    worker = args.worker_index or 0
    try:
        ssl_context = server_context(settings)
        app = create_app(settings)
        serve(
            app,
            settings,
            host=args.host or settings.host,
            port=args.port or settings.port,
            ssl_context=ssl_context,
            worker=worker,
            reuse_port=args.worker_index is not None,
        )
    except SettingsError as exc:
        # The log line names the setting only: a reason may quote a configured value or a
        # file's error, which belongs on the operator's terminal, not in the log pipeline.
        log.error("startup_failed", setting=exc.name)
        print(f"gateway: invalid setting {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # e.g. the port is taken
        log.error("serve_failed", error_type=type(exc).__name__, error=exc.strerror)
        return 1
    except Exception as exc:  # a bug: one log line in the chosen format, no traceback
        log.error("serve_failed", error_type=type(exc).__name__)
        return 1
    return 0


def _worker_command(args: argparse.Namespace, index: int) -> list[str]:
    command = [sys.executable, "-m", "gateway", "serve", "--worker-index", str(index)]
    for option, value in (
        ("--config-dir", args.config_dir),
        ("--data-dir", args.data_dir),
        ("--host", args.host),
        ("--port", args.port),
    ):
        if value is not None:
            command += [option, str(value)]
    return command


def _supervise(args: argparse.Namespace) -> int:
    """Start the workers, pass signals on, stop all when one ends."""
    workers = [
        subprocess.Popen(_worker_command(args, index), env=dict(os.environ))  # noqa: S603
        for index in range(args.workers)
    ]
    stopping = False

    def forward(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        if signum != signal.SIGHUP:
            stopping = True
        for worker in workers:
            if worker.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    worker.send_signal(signal.SIGTERM if signum == signal.SIGINT else signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    log.info("workers_started", count=len(workers))
    code = 0
    while not stopping:
        ended = [w for w in workers if w.poll() is not None]
        if ended:
            log.error("worker_ended", count=len(ended))
            code = 1
            break
        time.sleep(0.2)
    for worker in workers:
        if worker.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                worker.terminate()
    deadline = time.monotonic() + _STOP_GRACE_SECONDS
    for worker in workers:
        try:
            worker.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    return code
