"""The demo as a newcomer meets it: every scenario block it prints, pasted into a shell,
returns records; two demos run side by side; a taken port is named, not a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from demo_support import RunningDemo, demo_env, demo_port, running_demo
from support import REPO

from gateway.demo.tour import TOUR


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    with running_demo(tmp_path_factory.mktemp("demo")) as running:
        yield running


def _blocks(guide: str) -> dict[str, list[str]]:
    """Scenario → its printed lines, from the guide's `### scenario: ...` blocks."""
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in guide.splitlines():
        if line.startswith("### "):
            current = blocks.setdefault(line[4:].split(":", 1)[0], [])
        elif current is not None and (line.startswith("    ") or line.startswith("  then")):
            current.append(line)
        elif current is not None and line.strip():
            current = None
    return blocks


def test_the_guide_has_a_block_for_every_scenario(demo: RunningDemo) -> None:
    blocks = _blocks(demo.guide)
    assert set(blocks) == {step.scenario for step in TOUR}
    for step in TOUR:
        header = blocks[step.scenario][0]
        assert f"role {step.role}" in header and f"purpose {step.purpose}" in header
        assert all(category in header for category in step.categories)
    people = json.loads((demo.data_dir / "demo" / "people.json").read_text())
    assert all(p["bsn"].startswith("9999") for p in people)


@pytest.mark.parametrize("scenario", [step.scenario for step in TOUR])
def test_each_printed_command_returns_records(demo: RunningDemo, scenario: str) -> None:
    script = "\n".join(
        line
        for line in _blocks(demo.guide)[scenario]
        if not line.lstrip().startswith(("#", "then"))
    )
    result = subprocess.run(  # the guide's own commands, as a newcomer runs them
        ["/bin/bash", "-euo", "pipefail", "-c", script],
        cwd=REPO,
        env={**demo.env, "PATH": f"{Path(sys.executable).parent}:{demo.env.get('PATH', '')}"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout.strip().splitlines()
    answer = json.loads(output[-1])
    assert any(item.get("records") for item in answer["results"]), answer
    if len(output) > 1:  # a consent was recorded first
        assert output[0] == "consent recorded: 201"


def test_two_demos_run_side_by_side(demo: RunningDemo, tmp_path: Path) -> None:
    with running_demo(tmp_path) as second:
        assert second.port != demo.port
        for running in (demo, second):
            with urllib.request.urlopen(f"{running.base}/readyz", timeout=10) as response:  # noqa: S310
                assert response.status == 200


def test_a_taken_port_is_named_and_nothing_starts(demo: RunningDemo, tmp_path: Path) -> None:
    """`--port` one above a running demo: its sources' ports collide; exit 2, one line."""
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "demo", "--port", str(demo.port + 1)],
        env=demo_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        cwd=REPO,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "is in use" in result.stderr and "--port" in result.stderr
    assert "Traceback" not in result.stderr
    assert demo_port() != demo.port  # the helper never hands out a block in use
