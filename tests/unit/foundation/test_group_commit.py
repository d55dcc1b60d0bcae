"""`GroupCommit`: many concurrent callers, one commit per batch, each caller its own answer.

A fake `commit` (plain asyncio, no database) records every batch it was handed, so
the tests can see how callers were grouped, and can be held open with an event to
let the next batch gather behind it.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Sequence
from typing import TypeVar

import pytest

from gateway.storage.group_commit import GroupCommit

NAME = "test_group_commit"
T = TypeVar("T")


class Mapped(Exception):
    """What callers see when their batch failed; carries the commit's exception."""

    def __init__(self, reason: Exception) -> None:
        super().__init__(str(reason))
        self.reason = reason


class Boom(Exception):
    """The commit's own failure."""


class Recorder:
    """A commit that answers `r<item>` per item and remembers each batch it got."""

    def __init__(self) -> None:
        self.batches: list[list[object]] = []
        self.gate: asyncio.Event | None = None  # while set to an unset event, commits wait
        self.fail_calls: set[int] = set()  # 0-based commit calls that raise
        self.boom: Boom | None = None
        self.drop_last = False

    async def commit(self, items: Sequence[object]) -> list[str]:
        call = len(self.batches)
        self.batches.append(list(items))
        if self.gate is not None:
            await self.gate.wait()
        if call in self.fail_calls:
            self.boom = Boom(f"commit {call} failed")
            raise self.boom
        results = [f"r{item}" for item in items]
        return results[:-1] if self.drop_last else results


def group(recorder: Recorder, **kwargs: object) -> GroupCommit[object, str]:
    return GroupCommit(recorder.commit, failure=Mapped, name=NAME, **kwargs)  # type: ignore[arg-type]


def flushers() -> list[asyncio.Task[object]]:
    return [t for t in asyncio.all_tasks() if t.get_name() == NAME and not t.done()]


async def within(awaitable: Awaitable[T]) -> T:
    """A bug that leaves a caller waiting fails the test instead of hanging it."""
    return await asyncio.wait_for(awaitable, timeout=5)


async def settle() -> None:
    """Let every ready task run until it waits (more rounds than the flusher gathers)."""
    for _ in range(20):
        await asyncio.sleep(0)


async def test_concurrent_submits_share_few_commits_and_each_gets_its_own_result() -> None:
    """50 callers at once: a handful of commits at most, not 50, and no answer swapped."""
    recorder = Recorder()
    commits = group(recorder)
    items = list(range(50))
    random.Random(7).shuffle(items)
    results = await within(asyncio.gather(*(commits.submit(i) for i in items)))
    assert results == [f"r{i}" for i in items]
    assert len(recorder.batches) <= 3
    # Every item committed exactly once, in submission order.
    assert [i for batch in recorder.batches for i in batch] == items


async def test_callers_a_few_loop_steps_behind_still_join_the_batch() -> None:
    """Callers that reach `submit` after one or two more awaits (as a request does
    after verifying its token) are gathered into the same batch, not one batch each."""
    recorder = Recorder()
    commits = group(recorder)

    async def caller(n: int) -> str:
        for _ in range(n % 3):
            await asyncio.sleep(0)
        return await commits.submit(n)

    results = await within(asyncio.gather(*(caller(n) for n in range(30))))
    assert results == [f"r{n}" for n in range(30)]
    assert len(recorder.batches) == 1, [len(b) for b in recorder.batches]


async def test_callers_arriving_during_a_commit_form_the_next_batch() -> None:
    """While one batch commits the next gathers: 1 + 20 callers take two commits."""
    recorder = Recorder()
    recorder.gate = asyncio.Event()
    commits = group(recorder)
    first = asyncio.create_task(commits.submit("a"))
    await settle()
    assert recorder.batches == [["a"]]
    later = [asyncio.create_task(commits.submit(n)) for n in range(20)]
    await settle()
    assert len(recorder.batches) == 1  # they wait behind the open commit
    recorder.gate.set()
    assert await within(first) == "ra"
    assert await within(asyncio.gather(*later)) == [f"r{n}" for n in range(20)]
    assert recorder.batches == [["a"], list(range(20))]


async def test_a_failed_commit_fails_every_caller_of_its_batch_and_only_that_batch() -> None:
    """Fail closed: no caller of the failed batch gets a result; the batch that
    gathered meanwhile, and later ones, still commit."""
    recorder = Recorder()
    recorder.gate = asyncio.Event()
    recorder.fail_calls = {0}
    commits = group(recorder)
    doomed = [asyncio.create_task(commits.submit(f"d{n}")) for n in range(10)]
    await settle()
    assert len(recorder.batches) == 1
    survivors = [asyncio.create_task(commits.submit(f"s{n}")) for n in range(5)]
    await settle()
    recorder.gate.set()
    outcomes = await within(asyncio.gather(*doomed, return_exceptions=True))
    assert all(isinstance(o, Mapped) for o in outcomes), outcomes
    # The mapping got the commit's own exception.
    assert {id(o.reason) for o in outcomes if isinstance(o, Mapped)} == {id(recorder.boom)}
    assert await within(asyncio.gather(*survivors)) == [f"rs{n}" for n in range(5)]
    assert await within(commits.submit("after")) == "rafter"
    assert len(recorder.batches) == 3


@pytest.mark.parametrize("drop_last", [True, False])
async def test_a_commit_with_the_wrong_number_of_results_fails_closed(drop_last: bool) -> None:
    """Results that cannot be matched one to one are not handed out at all."""
    recorder = Recorder()

    async def too_many(items: Sequence[object]) -> list[str]:
        return [*await recorder.commit(items), "extra"]

    recorder.drop_last = drop_last
    commits: GroupCommit[object, str] = GroupCommit(
        recorder.commit if drop_last else too_many, failure=Mapped, name=NAME
    )
    outcomes = await within(
        asyncio.gather(*(commits.submit(n) for n in range(5)), return_exceptions=True)
    )
    assert all(isinstance(o, Mapped) for o in outcomes), outcomes
    assert all(isinstance(o.reason, RuntimeError) for o in outcomes if isinstance(o, Mapped))
    recorder.drop_last = False
    if drop_last:
        assert await within(commits.submit("next")) == "rnext"  # the next batch is judged afresh


async def test_drain_waits_until_everything_submitted_is_committed() -> None:
    recorder = Recorder()

    async def slow(items: Sequence[object]) -> list[str]:
        await asyncio.sleep(0.01)
        return await recorder.commit(items)

    commits: GroupCommit[object, str] = GroupCommit(slow, failure=Mapped, name=NAME, max_batch=3)
    await commits.drain()  # nothing queued: returns at once
    tasks = [asyncio.create_task(commits.submit(n)) for n in range(10)]
    await asyncio.sleep(0)
    assert not recorder.batches
    await within(commits.drain())
    assert [i for batch in recorder.batches for i in batch] == list(range(10))
    assert all(task.done() for task in tasks)
    assert [task.result() for task in tasks] == [f"r{n}" for n in range(10)]
    assert not flushers()


async def test_drain_does_not_raise_when_a_batch_failed() -> None:
    """The failure belongs to the callers; whoever drains (shutdown) just waits."""
    recorder = Recorder()
    recorder.fail_calls = {0}
    commits = group(recorder)
    task = asyncio.create_task(commits.submit("x"))
    await asyncio.sleep(0)
    await within(commits.drain())
    assert isinstance(task.exception(), Mapped)


async def test_no_batch_exceeds_max_batch() -> None:
    recorder = Recorder()
    commits = group(recorder, max_batch=7)
    results = await within(asyncio.gather(*(commits.submit(n) for n in range(30))))
    assert results == [f"r{n}" for n in range(30)]
    assert [len(batch) for batch in recorder.batches] == [7, 7, 7, 7, 2]


async def test_weight_limits_a_batch_and_an_oversized_item_goes_alone() -> None:
    """Weights are summed against max_batch; one item heavier than the limit is
    still committed, in a batch of its own."""
    recorder = Recorder()
    commits: GroupCommit[object, str] = GroupCommit(
        recorder.commit,
        failure=Mapped,
        name=NAME,
        max_batch=10,
        weight=lambda item: int(str(item)),
    )
    weights = [3, 4, 5, 15, 2, 2, 9, 1, 10, 1]
    results = await within(asyncio.gather(*(commits.submit(w) for w in weights)))
    assert results == [f"r{w}" for w in weights]
    assert recorder.batches == [[3, 4], [5], [15], [2, 2], [9, 1], [10], [1]]
    for batch in recorder.batches:
        assert len(batch) == 1 or sum(int(str(w)) for w in batch) <= 10


async def test_a_cancelled_caller_does_not_break_the_others() -> None:
    """The first caller (who started the flusher) and one in the middle give up while
    the commit runs; the rest still get their own results and the group keeps working."""
    recorder = Recorder()
    recorder.gate = asyncio.Event()
    commits = group(recorder)
    tasks = [asyncio.create_task(commits.submit(n)) for n in range(5)]
    await settle()
    tasks[0].cancel()
    tasks[2].cancel()
    await settle()
    recorder.gate.set()
    outcomes = await within(asyncio.gather(*tasks, return_exceptions=True))
    assert isinstance(outcomes[0], asyncio.CancelledError)
    assert isinstance(outcomes[2], asyncio.CancelledError)
    assert [outcomes[1], outcomes[3], outcomes[4]] == ["r1", "r3", "r4"]
    assert await within(commits.submit("next")) == "rnext"


async def test_a_caller_cancelled_while_queued_does_not_break_the_others() -> None:
    """Cancelled before its batch was even taken: the batch still commits for the rest."""
    recorder = Recorder()
    recorder.gate = asyncio.Event()
    commits = group(recorder)
    head = asyncio.create_task(commits.submit("head"))
    await settle()
    queued = [asyncio.create_task(commits.submit(n)) for n in range(4)]
    await settle()
    queued[1].cancel()
    await settle()
    recorder.gate.set()
    assert await within(head) == "rhead"
    outcomes = await within(asyncio.gather(*queued, return_exceptions=True))
    assert isinstance(outcomes[1], asyncio.CancelledError)
    assert [outcomes[0], outcomes[2], outcomes[3]] == ["r0", "r2", "r3"]


async def test_the_flusher_runs_only_while_there_is_work() -> None:
    recorder = Recorder()
    recorder.gate = asyncio.Event()
    commits = group(recorder)
    assert not flushers()
    task = asyncio.create_task(commits.submit("x"))
    await settle()
    assert len(flushers()) == 1
    recorder.gate.set()
    assert await within(task) == "rx"
    await settle()
    assert not flushers()


async def test_a_flusher_cancelled_at_shutdown_leaves_no_caller_waiting() -> None:
    """Cancelled mid-commit: the batch's callers and those queued behind it all fail
    with the mapped error, and a later submit starts afresh."""
    recorder = Recorder()
    recorder.gate = asyncio.Event()
    commits = group(recorder)
    in_batch = asyncio.create_task(commits.submit("a"))
    await settle()
    queued = asyncio.create_task(commits.submit("b"))
    await settle()
    (flusher,) = flushers()
    flusher.cancel()
    outcomes = await within(asyncio.gather(in_batch, queued, return_exceptions=True))
    assert all(isinstance(o, Mapped) for o in outcomes), outcomes
    recorder.gate.set()
    assert await within(commits.submit("c")) == "rc"


async def test_a_weight_that_raises_fails_only_its_own_caller() -> None:
    """The weight is taken at submit: a bad item is refused there, and the callers
    around it are committed as usual instead of waiting for ever."""
    recorder = Recorder()

    def weight(item: object) -> int:
        if item == "bad":
            raise ValueError("no weight")
        return 1

    commits = group(recorder, weight=weight)
    ok = asyncio.ensure_future(commits.submit("ok"))
    with pytest.raises(ValueError, match="no weight"):
        await commits.submit("bad")
    after = asyncio.ensure_future(commits.submit("ok2"))
    assert await asyncio.wait_for(asyncio.gather(ok, after), 5) == ["rok", "rok2"]
    assert [item for batch in recorder.batches for item in batch] == ["ok", "ok2"]
