"""The serving loop: uvloop when installed (the default), asyncio's on request or as fallback."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from gateway.errors import SettingsError
from gateway.http import eventloop
from gateway.settings import Settings


async def _running_loop_name() -> str:
    return eventloop.loop_name(asyncio.get_running_loop())


def test_auto_runs_on_uvloop_where_it_is_installed() -> None:
    pytest.importorskip("uvloop")
    assert eventloop.run(_running_loop_name(), "auto") == "uvloop"
    assert eventloop.run(_running_loop_name(), "uvloop") == "uvloop"


def test_asyncio_opts_out() -> None:
    assert eventloop.run(_running_loop_name(), "asyncio") == "asyncio"


def test_without_uvloop_auto_falls_back_and_uvloop_refuses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a machine without uvloop (Windows) `auto` still serves; `uvloop` says why it can't."""
    monkeypatch.setitem(sys.modules, "uvloop", None)  # makes `import uvloop` fail
    assert eventloop.run(_running_loop_name(), "auto") == "asyncio"
    with pytest.raises(SettingsError, match="uvloop is not installed"):
        eventloop.loop_factory("uvloop")


def test_the_setting_is_checked(tmp_path: Path) -> None:
    assert Settings.load({}, config_dir=tmp_path).event_loop == "auto"
    settings = Settings.load({"GATEWAY_EVENT_LOOP": "asyncio"}, config_dir=tmp_path)
    assert settings.event_loop == "asyncio"
    with pytest.raises(SettingsError, match="GATEWAY_EVENT_LOOP"):
        Settings.load({"GATEWAY_EVENT_LOOP": "trio"}, config_dir=tmp_path)
