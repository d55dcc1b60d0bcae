"""examples/connect_client.py against `gateway demo`, so the example cannot rot: it signs a
token per call, reads the vocabulary, meets consent_required, records the consent and
gets records, printing each item's explanation."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from demo_support import running_demo
from support import REPO


def test_the_example_client_runs_an_exchange_against_the_demo(tmp_path: Path) -> None:
    with running_demo(tmp_path) as demo:
        block = demo.guide.split("### child_consented_at_11", 1)[1].split("###", 1)[0]
        match = re.search(r'"bsn": "(9999\d{5})"', block)
        assert match is not None, block
        child = match.group(1)
        result = subprocess.run(  # the example, as an integrator runs it
            [
                sys.executable,
                str(REPO / "examples" / "connect_client.py"),
                "--gateway",
                demo.base,
                "--org",
                "wijkteam-utrecht",
                "--key",
                str(demo.data_dir / "demo" / "wijkteam-utrecht.pem"),
                "--bsn",
                child,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    first, again = out.split("exchange again", 1)
    assert "consent still needed from: the child themselves (12\u201315)" in first
    assert "consent_required" in first and "consent recorded: " in first
    assert "permit" in again and "consent_required" not in again
    assert re.search(r"permit\s+permitted\s+[1-9]\d* record\(s\)", again), again
    assert "\n    nl: " in out and "\n    en: " in out
    assert child not in out  # the answers never echo the BSN
