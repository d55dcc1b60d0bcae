"""`gateway reload`: every running gateway process reloads organisations, keys and policies.

Finds the processes of this data dir through the run folder (`gateway/processes.py`: a
locked pid file per process, stale ones skipped and removed), sends each SIGHUP, waits
for each to report its reload, and prints what every process did. A process whose new
configuration is invalid keeps the last good one and says why; the exit code is then 1.
Exit codes: 0 all reloaded, 1 some process refused or did not answer, or none runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from gateway import processes
from gateway.commands._common import add_settings_options, load_settings

__all__ = ["register", "reload_all"]

WAIT_SECONDS = 15.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "reload",
        help="reload organisations, keys and policies in every running gateway process",
        description=__doc__,
    )
    add_settings_options(parser)
    parser.add_argument(
        "--timeout", type=float, default=WAIT_SECONDS, help="seconds to wait for each process"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    if settings is None:
        return 2
    return reload_all(settings.data_dir, timeout=args.timeout)


def reload_all(data_dir: Path, *, timeout: float = WAIT_SECONDS) -> int:
    """Signal every process of `data_dir` and report; the exit code."""
    found = processes.running(data_dir)
    if not found:
        print(f"gateway: no running gateway process found in {processes.run_dir(data_dir)}")
        return 1
    before = {p.pid: p.reloads for p in found}
    sent = processes.signal_reload(found)
    results = processes.wait_for_reloads(data_dir, {pid: before[pid] for pid in sent}, timeout)
    code = 0
    for pid in sorted(before):
        status = results.get(pid)
        if pid not in sent:
            print(f"process {pid}: gone before the signal")
            continue
        if status is None:
            print(f"process {pid}: no answer within {timeout:g} s")
            code = 1
            continue
        code = max(code, _report(pid, status))
    return code


def _report(pid: int, status: dict[str, Any]) -> int:
    last = status.get("last_reload") or {}
    port = status.get("port")
    if last.get("ok"):
        what = "reloaded" if last.get("changed") else "unchanged"
        print(f"process {pid} (port {port}): {what}, generation {last.get('generation')}")
        return 0
    print(
        f"process {pid} (port {port}): REFUSED ({last.get('code')} in {last.get('file')}); "
        f"generation {last.get('generation')} stays in force",
        file=sys.stdout,
    )
    for problem in last.get("problems") or []:
        print(f"  - {problem}")
    return 1
