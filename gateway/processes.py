"""How `gateway reload` finds every gateway process on this machine: a run folder.

Each serving process (`gateway serve`, or each of its `--workers`) keeps two files in
`<data dir>/run/` (mode 0700) while it runs: `gateway-<pid>.lock`, which it holds an
exclusive `flock` on for its whole life, and `gateway-<pid>.json`, its status (port,
metrics port, configuration generation, the last reload's outcome, and a count of
reloads), rewritten atomically after each reload. The lock is what makes a pid file
trustworthy: a process that died (even by SIGKILL) releases it, so `running()` finds
stale files by taking the lock, removes them, and never signals a pid that now belongs
to some other program. Processes of several gateways that share the data dir (the same
deployment) are all found; another deployment has its own data dir.

The status file holds the last failed reload's problem texts (they may quote a configured
value), for the operator's terminal; it is private to the gateway's user (0600).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.storage.files import private_dir, write_private_atomic

__all__ = ["Registration", "RunningProcess", "register", "run_dir", "running", "signal_reload"]


def run_dir(data_dir: Path) -> Path:
    return data_dir / "run"


@dataclass(frozen=True)
class RunningProcess:
    pid: int
    status: dict[str, Any]

    @property
    def reloads(self) -> int:
        return int(self.status.get("reloads", 0))


class Registration:
    """This process's entry in the run folder; `close()` removes it."""

    def __init__(self, folder: Path, pid: int, lock_fd: int, status: dict[str, Any]) -> None:
        self._folder = folder
        self._pid = pid
        self._lock_fd = lock_fd
        self._status = status
        self.write(status)

    @property
    def status_path(self) -> Path:
        return self._folder / f"gateway-{self._pid}.json"

    def write(self, changes: dict[str, Any]) -> None:
        self._status = {**self._status, **changes, "pid": self._pid}
        write_private_atomic(self.status_path, json.dumps(self._status, indent=2).encode())

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.status_path.unlink()
        with contextlib.suppress(OSError):
            (self._folder / f"gateway-{self._pid}.lock").unlink()
        with contextlib.suppress(OSError):
            os.close(self._lock_fd)


def register(data_dir: Path, status: dict[str, Any]) -> Registration:
    """Enter this process in the run folder, holding its lock until `close()`."""
    folder = private_dir(run_dir(data_dir))
    pid = os.getpid()
    fd = os.open(folder / f"gateway-{pid}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise
    return Registration(folder, pid, fd, {**status, "started_at": time.time(), "reloads": 0})


def running(data_dir: Path) -> list[RunningProcess]:
    """Every gateway process of this data dir that is alive now (stale entries removed)."""
    folder = run_dir(data_dir)
    found: list[RunningProcess] = []
    for lock in sorted(folder.glob("gateway-*.lock")) if folder.is_dir() else []:
        pid = _pid_of(lock)
        if pid is None:
            continue
        if not _held(lock):
            for stale in (lock, folder / f"gateway-{pid}.json"):
                with contextlib.suppress(OSError):
                    stale.unlink()
            continue
        found.append(RunningProcess(pid, _read_status(folder / f"gateway-{pid}.json")))
    return found


def signal_reload(processes: list[RunningProcess]) -> list[int]:
    """SIGHUP to each process; the pids that received it."""
    sent: list[int] = []
    for process in processes:
        try:
            os.kill(process.pid, signal.SIGHUP)
        except ProcessLookupError:
            continue
        sent.append(process.pid)
    return sent


def wait_for_reloads(
    data_dir: Path, before: dict[int, int], timeout: float = 15.0
) -> dict[int, dict[str, Any] | None]:
    """Each pid's status once its reload count passed `before`, or None on timeout."""
    deadline = time.monotonic() + timeout
    results: dict[int, dict[str, Any] | None] = dict.fromkeys(before)
    while time.monotonic() < deadline:
        for pid, count in before.items():
            if results[pid] is None:
                status = _read_status(run_dir(data_dir) / f"gateway-{pid}.json")
                if int(status.get("reloads", 0)) > count:
                    results[pid] = status
        if all(value is not None for value in results.values()):
            break
        time.sleep(0.05)
    return results


def _pid_of(lock: Path) -> int | None:
    digits = lock.name.removeprefix("gateway-").removesuffix(".lock")
    return int(digits) if digits.isdigit() else None


def _held(lock: Path) -> bool:
    """True if some process holds the lock (we cannot take it)."""
    try:
        fd = os.open(lock, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _read_status(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}
