"""Group commit: many concurrent callers, one transaction per batch.

Callers `submit` an item and wait. One flusher task takes what is queued,
hands it to `commit` (one transaction) and gives each caller its own result.
While one batch commits the next one gathers, so the number of transactions
(and, on SQLite, of write-lock hand-overs) stays small however many requests
wait, instead of one transaction per request. The flusher runs only while
there is work, so a `GroupCommit` needs no start or stop.

If `commit` raises, every caller of that batch gets `failure(exc)`: nothing of
the batch counts as written, and the caller fails closed.

`observer`, where set, hears of every batch (its size, seconds, committed or not): the
metrics (`gateway.metrics.Metrics.group_commit`) without this module knowing them.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

import structlog

__all__ = ["GroupCommit"]

log = structlog.get_logger("gateway.storage.group_commit")

T = TypeVar("T")
R = TypeVar("R")

# Yields to the event loop before closing a batch, so callers that are ready to
# submit (e.g. just woken by the previous commit) still make it into this one.
_GATHER_ROUNDS = 4


class GroupCommit(Generic[T, R]):
    def __init__(
        self,
        commit: Callable[[Sequence[T]], Awaitable[Sequence[R]]],
        *,
        failure: Callable[[Exception], BaseException],
        name: str,
        max_batch: int = 1000,
        weight: Callable[[T], int] = lambda _item: 1,
    ) -> None:
        self._commit = commit
        self._failure = failure
        self._name = name
        self._max_batch = max_batch
        self._weight = weight
        self._queue: deque[tuple[T, int, asyncio.Future[R]]] = deque()
        self._flusher: asyncio.Task[None] | None = None
        #: Told of every batch: (items, seconds, committed); must not raise.
        self.observer: Callable[[int, float, bool], None] | None = None

    @property
    def name(self) -> str:
        return self._name

    async def submit(self, item: T) -> R:
        """Commit `item` with whatever else is waiting; its result once committed."""
        weight = self._weight(item)  # here, so a failing weight fails only this caller
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, weight, future))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush_all(), name=self._name)
        return await future

    async def drain(self) -> None:
        """Wait until everything submitted so far is committed (or has failed)."""
        while self._flusher is not None:
            await asyncio.shield(self._flusher)

    async def _flush_all(self) -> None:
        try:
            while self._queue:
                for _ in range(_GATHER_ROUNDS):
                    waiting = len(self._queue)
                    await asyncio.sleep(0)
                    if len(self._queue) == waiting:
                        break
                item, size, future = self._queue.popleft()
                batch = [(item, future)]
                while self._queue and size + self._queue[0][1] <= self._max_batch:
                    item, weight, future = self._queue.popleft()
                    size += weight
                    batch.append((item, future))
                await self._flush(batch)
        finally:
            self._flusher = None
            # A submit that raced the end of the loop (none can: no await between the
            # last check and here) or a flusher cancelled at shutdown: fail the rest.
            while self._queue:
                _item, _weight, future = self._queue.popleft()
                if not future.done():
                    future.set_exception(self._failure(RuntimeError("group commit stopped")))

    async def _flush(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        started = time.perf_counter()
        try:
            results = await self._commit([item for item, _future in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"commit gave {len(results)} results for {len(batch)} items")
        except BaseException as exc:  # cancelled at shutdown too: no caller waits forever
            if self.observer is not None:
                self.observer(len(batch), time.perf_counter() - started, False)
            reason = exc if isinstance(exc, Exception) else RuntimeError("cancelled")
            log.error(f"{self._name}_failed", error_type=type(exc).__name__, batch=len(batch))
            for _item, future in batch:
                if not future.done():
                    future.set_exception(self._failure(reason))
            if not isinstance(exc, Exception):
                raise
            return
        if self.observer is not None:
            self.observer(len(batch), time.perf_counter() - started, True)
        for (_item, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
