"""A test that leaves aiosqlite work behind fails itself, instead of a later test.

Why (issue 12): an aiosqlite connection owns a worker thread that hands each result back to
the event loop that asked for it. A connection left open, or an operation still running when
its test's loop closes, makes that thread call into a closed loop later: "Event loop is
closed" is then raised inside whichever test runs at that moment (under load, the long
`test_migrate_then_serve_answers_readyz`), far from the cause. This plugin checks two things
and fails the test that caused them, naming where the connection was opened:

- at teardown, every connection the test opened has been closed;
- when an event loop closes, no aiosqlite operation it started is still running (it waits
  for such an operation first, so the late hand-back lands on a loop that is still open).

It wraps three aiosqlite internals (`Connection.__init__`, the worker loop, and
`BaseEventLoop.close`); the cost is one short stack capture per connection opened.
"""

from __future__ import annotations

import asyncio
import time
import traceback
import weakref
from collections.abc import Callable, Iterator
from queue import SimpleQueue
from typing import Any

import aiosqlite
import aiosqlite.core
import pytest

_Job = tuple["asyncio.Future[Any] | None", Callable[[], Any]]

_opened: weakref.WeakKeyDictionary[aiosqlite.core.Connection, str] = weakref.WeakKeyDictionary()
_running_on: dict[int, list[Any]] = {}  # worker queue id -> [future, where, function done]
_late: list[str] = []  # operations still running when their loop closed, during this test
_originals: dict[str, Any] = {}
_WAIT_AT_CLOSE = 5.0


def _where(self: aiosqlite.core.Connection) -> str:
    return _opened.get(self, "(opened before the guard was installed)")


def _recording_init(self: aiosqlite.core.Connection, *args: Any, **kwargs: Any) -> None:
    _originals["init"](self, *args, **kwargs)
    frames = [
        f for f in traceback.extract_stack(limit=40)[:-1] if "/site-packages/" not in f.filename
    ]
    _opened[self] = "".join(traceback.format_list(frames[-6:])) or "(no project frame)"
    self._tx.where = _opened[self]  # type: ignore[attr-defined]


class _Queue(SimpleQueue[_Job]):
    """aiosqlite's job queue, with the place its connection was opened (for reports)."""

    where = ""


def _tracking_worker(tx: _Queue) -> None:
    """aiosqlite's worker loop (0.22), remembering the job it is running."""
    try:
        while True:
            future, function = tx.get()
            if future is not None:
                _running_on[id(tx)] = [future, tx.where, False]
            try:
                try:
                    result = function()
                finally:
                    if id(tx) in _running_on:
                        _running_on[id(tx)][2] = True  # only the hand-back is left
                if future:
                    future.get_loop().call_soon_threadsafe(
                        aiosqlite.core.set_result, future, result
                    )
                if result is aiosqlite.core._STOP_RUNNING_SENTINEL:
                    break
            except BaseException as e:
                if future:
                    future.get_loop().call_soon_threadsafe(aiosqlite.core.set_exception, future, e)
            finally:
                _running_on.pop(id(tx), None)
    finally:
        _running_on.pop(id(tx), None)


def _waiting_close(self: asyncio.BaseEventLoop) -> None:
    """Before a loop closes: note and wait out any aiosqlite job that will answer to it."""
    mine = {key: job for key, job in list(_running_on.items()) if job[0].get_loop() is self}
    if mine:
        _late.extend(where for future, where, done in mine.values() if not done)
        deadline = time.monotonic() + _WAIT_AT_CLOSE
        while any(key in _running_on for key in mine) and time.monotonic() < deadline:
            time.sleep(0.005)
    _originals["close"](self)


def _matches_installed_aiosqlite() -> bool:
    """The worker loop above is a copy of aiosqlite 0.22's: on any other version the guard
    stays out (and the suite runs as without it) rather than run a worker loop that may
    not fit: update the copy when aiosqlite is upgraded."""
    version = getattr(aiosqlite, "__version__", "")
    return version.startswith("0.22.") and all(
        hasattr(aiosqlite.core, name)
        for name in ("_connection_worker_thread", "_STOP_RUNNING_SENTINEL", "set_result")
    )


def pytest_configure(config: pytest.Config) -> None:
    if not _matches_installed_aiosqlite():
        return
    _originals.update(
        init=aiosqlite.core.Connection.__init__,
        worker=aiosqlite.core._connection_worker_thread,
        close=asyncio.BaseEventLoop.close,
    )
    aiosqlite.core.Connection.__init__ = _recording_init  # type: ignore[method-assign]
    aiosqlite.core._connection_worker_thread = _tracking_worker
    aiosqlite.core.SimpleQueue = _Queue  # type: ignore[misc]
    asyncio.BaseEventLoop.close = _waiting_close  # type: ignore[method-assign]


def pytest_unconfigure(config: pytest.Config) -> None:
    if _originals:
        aiosqlite.core.Connection.__init__ = _originals["init"]  # type: ignore[method-assign]
        aiosqlite.core._connection_worker_thread = _originals["worker"]
        aiosqlite.core.SimpleQueue = SimpleQueue  # type: ignore[misc]
        asyncio.BaseEventLoop.close = _originals["close"]  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _no_aiosqlite_work_left_behind() -> Iterator[None]:
    """Set up first, torn down last: every other fixture of the test has closed by then."""
    if not _originals:  # the guard is off (another aiosqlite version)
        yield
        return
    before = {id(conn) for conn in list(_opened)}
    _late.clear()
    yield
    problems = [
        f"left open, opened at:\n{where}"
        for conn, where in list(_opened.items())
        if id(conn) not in before and conn._running and conn._thread.ident is not None
    ]
    problems += [f"still running when its event loop closed, opened at:\n{w}" for w in _late]
    _late.clear()
    if problems:
        pytest.fail(
            "aiosqlite work left behind by this test:\n" + "\n---\n".join(problems),
            pytrace=False,
        )
