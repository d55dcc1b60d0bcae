"""The event loop the gateway's processes run on: uvloop where installed, else asyncio's.

uvloop runs the same asyncio code on libuv, with faster scheduling and sockets.
The exchange benchmark meets its target on either loop (BENCHMARKS.md has both);
`GATEWAY_EVENT_LOOP=asyncio` opts out; `uvloop` insists
(start-up fails if it is missing, e.g. on Windows, where it does not exist).
Nothing else depends on the choice: tests run on asyncio's loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from gateway.errors import SettingsError

__all__ = ["loop_factory", "loop_name", "run"]

T = TypeVar("T")


def loop_factory(choice: str) -> Callable[[], asyncio.AbstractEventLoop]:
    """A factory for the loop `choice` (auto | uvloop | asyncio) names."""
    if choice not in ("auto", "uvloop", "asyncio"):
        raise SettingsError("GATEWAY_EVENT_LOOP", "must be one of auto, uvloop, asyncio")
    if choice == "asyncio":
        return asyncio.new_event_loop
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise SettingsError("GATEWAY_EVENT_LOOP", "uvloop is not installed") from None
        return asyncio.new_event_loop
    return uvloop.new_event_loop


def loop_name(loop: asyncio.AbstractEventLoop) -> str:
    return "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"


def run(main: Coroutine[Any, Any, T], choice: str) -> T:
    """`asyncio.run` on the chosen loop."""
    with asyncio.Runner(loop_factory=loop_factory(choice)) as runner:
        return runner.run(main)
