"""fetch_all: concurrent, per-source timeouts, one overall deadline, never raises."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from structlog.testing import capture_logs

from adapters.base import CategoryRecords, FetchRequest, SourceAdapter
from adapters.errors import SourceUnavailable
from adapters.registry import fetch_all


class InMemoryAdapter:
    """Answers from a dict after `delay` seconds; or raises `error`."""

    def __init__(
        self,
        source_id: str,
        answer: Any = None,
        *,
        delay: float = 0.0,
        error: Exception | None = None,
        timeout: float | None = None,
    ) -> None:
        self.source_id = source_id
        self.answer = answer if answer is not None else {}
        self.delay = delay
        self.error = error
        if timeout is not None:
            self.timeout = timeout
        self.calls = 0

    async def fetch(self, request: FetchRequest) -> CategoryRecords:
        self.calls += 1
        await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error
        answer: CategoryRecords = self.answer
        return answer


def request(*categories: str) -> FetchRequest:
    return FetchRequest(
        bsn="999900006",
        categories=categories,
        purpose="support_planning",
        requester_id="wijkteam",
        request_id="req-7",
    )


def test_in_memory_adapter_satisfies_the_port() -> None:
    assert isinstance(InMemoryAdapter("x"), SourceAdapter)


async def test_slow_source_times_out_alone_and_sources_run_concurrently() -> None:
    adapters = [
        InMemoryAdapter("fast", {"health": [{"note": "n"}]}, delay=0.05),
        InMemoryAdapter("also-fast", {"school": []}, delay=0.05),
        InMemoryAdapter("slow", {"health": []}, delay=10, timeout=0.2),
    ]
    requests = {
        "fast": request("health"),
        "also-fast": request("school"),
        "slow": request("health"),
    }

    started = time.monotonic()
    results = await fetch_all(adapters, requests, deadline=5.0)
    elapsed = time.monotonic() - started

    assert elapsed < 1.0
    assert results["fast"] == {"health": [{"note": "n"}]}
    assert results["also-fast"] == {"school": []}
    slow = results["slow"]
    assert isinstance(slow, SourceUnavailable)
    assert (slow.source_id, slow.reason_code) == ("slow", "timeout")


async def test_default_timeout_applies_to_adapters_without_their_own() -> None:
    adapters = {"slow": InMemoryAdapter("slow", delay=10)}

    started = time.monotonic()
    results = await fetch_all(adapters, {"slow": request("health")}, 5.0, default_timeout=0.1)

    assert time.monotonic() - started < 1.0
    assert isinstance(results["slow"], SourceUnavailable)


async def test_overall_deadline_caps_every_source() -> None:
    adapters = [InMemoryAdapter("a", delay=10, timeout=30), InMemoryAdapter("b", delay=10)]

    started = time.monotonic()
    results = await fetch_all(adapters, {"a": request("x"), "b": request("x")}, deadline=0.2)

    assert time.monotonic() - started < 1.0
    assert all(
        isinstance(r, SourceUnavailable) and r.reason_code == "timeout" for r in results.values()
    )


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (SourceUnavailable("bad", "connection_error"), "connection_error"),
        (SourceUnavailable("someone-else", "http_error"), "http_error"),
        (RuntimeError("a bug in an adapter"), "adapter_error"),
        (KeyError("oops"), "adapter_error"),
    ],
)
async def test_failures_become_source_unavailable_for_that_source(
    error: Exception, reason: str
) -> None:
    adapters = [InMemoryAdapter("bad", error=error), InMemoryAdapter("good", {"health": []})]

    results = await fetch_all(adapters, {"bad": request("health"), "good": request("health")}, 1.0)

    bad = results["bad"]
    assert isinstance(bad, SourceUnavailable)
    assert (bad.source_id, bad.reason_code) == ("bad", reason)
    assert results["good"] == {"health": []}


async def test_categories_not_asked_of_a_source_are_dropped() -> None:
    sloppy = InMemoryAdapter("sloppy", {"health": [{"a": 1}], "criminal_records": [{"b": 2}]})

    results = await fetch_all([sloppy], {"sloppy": request("health", "school")}, 1.0)

    assert results["sloppy"] == {"health": [{"a": 1}], "school": []}


@pytest.mark.parametrize(
    "answer", [["not", "a", "dict"], {"health": "not a list"}, {"health": [1]}]
)
async def test_malformed_answers_are_refused(answer: Any) -> None:
    results = await fetch_all([InMemoryAdapter("odd", answer)], {"odd": request("health")}, 1.0)

    odd = results["odd"]
    assert isinstance(odd, SourceUnavailable)
    assert odd.reason_code == "bad_response"


async def test_source_without_adapter_is_not_configured_and_unrequested_ones_are_not_called() -> (
    None
):
    idle = InMemoryAdapter("idle")

    results = await fetch_all([idle], {"ghost": request("health")}, 1.0)

    ghost = results["ghost"]
    assert isinstance(ghost, SourceUnavailable)
    assert ghost.reason_code == "not_configured"
    assert idle.calls == 0
    assert list(results) == ["ghost"]


async def test_logs_outcomes_without_the_bsn() -> None:
    adapters = [InMemoryAdapter("a", {"health": [{}]}), InMemoryAdapter("b", error=RuntimeError())]

    with capture_logs() as logs:
        await fetch_all(adapters, {"a": request("health"), "b": request("health")}, 1.0)

    events = {entry["source"]: entry for entry in logs if entry["event"] == "source_fetch"}
    assert events["a"]["outcome"] == "ok"
    assert events["a"]["records"] == 1
    assert events["b"]["reason"] == "adapter_error"
    assert all(entry["request_id"] == "req-7" for entry in events.values())
    assert "999900006" not in repr(logs)


async def test_nothing_requested_means_nothing_called() -> None:
    assert await fetch_all([InMemoryAdapter("a")], {}, 1.0) == {}
