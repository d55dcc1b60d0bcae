"""`config/insight.toml` and `config/processing_register.toml`: defaults, and every bad
value refused with the key named (never silently replaced)."""

from __future__ import annotations

import shutil
from datetime import time
from pathlib import Path

import pytest
from support import REPO

from gateway.errors import SettingsError
from gateway.insight.config import InsightConfig, load_insight_config
from policies import PolicyLoadError, load_vocabulary
from policies.processing_register import load_processing_register

CONFIG = REPO / "config"
PURPOSES = frozenset(load_vocabulary(CONFIG).purposes)


def test_the_shipped_file_states_the_defaults() -> None:
    assert load_insight_config(CONFIG, PURPOSES) == InsightConfig()


def test_no_file_means_the_safe_defaults(tmp_path: Path) -> None:
    config = load_insight_config(tmp_path, PURPOSES)
    assert config.statistics.threshold == 10 and config.working_hours.start == time(7, 0)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[statistics]\nthreshold = 2\n", "threshold"),
        ("[statistics]\nthreshold = 10\nrounding_base = 11\n", "rounding_base"),
        ("[statistics]\nthreshold = true\n", "threshold"),
        ("[signals]\nvolume_factor = 0.5\n", "volume_factor"),
        ("[signals]\nrecent_days = 28\n", "recent_days"),
        ("[signals]\ncase_expected_purposes = ['gossip']\n", "case_expected_purposes"),
        ("[signals]\nsurprise = 1\n", "surprise"),
        ("[working_hours]\nstart = '19:00'\nend = '07:00'\n", "end"),
        ("[working_hours]\nstart = 'seven'\n", "start"),
        ("[working_hours]\ndays = [0, 8]\n", "days"),
        ("[working_hours]\ntime_zone = 'Mars/Olympus'\n", "time_zone"),
        ("[simulation]\nmax_rules = 0\n", "max_rules"),
        ("[elsewhere]\n", "elsewhere"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_key(tmp_path: Path, text: str, key: str) -> None:
    (tmp_path / "insight.toml").write_text(text)
    with pytest.raises(SettingsError) as caught:
        load_insight_config(tmp_path, PURPOSES)
    assert key in caught.value.name


def test_the_shipped_register_covers_art_30_a_to_g() -> None:
    register = load_processing_register(CONFIG, load_vocabulary(CONFIG))
    assert register.controller["privacy_officer"]  # (a)
    assert "acute_safety" in register.purposes  # (b)
    assert register.data_subjects and "health" in register.categories  # (c)
    assert "gi" in register.recipients  # (d)
    assert register.third_country_transfers.nl  # (e)
    assert {r.what for r in register.retention} >= {"audit_log", "dossier_contents"}  # (f)
    assert register.security_measures  # (g)


def test_a_broken_register_lists_every_problem(tmp_path: Path) -> None:
    shutil.copy(CONFIG / "processing_register.toml", tmp_path / "processing_register.toml")
    path = tmp_path / "processing_register.toml"
    text = path.read_text()
    text = text.replace('"support_planning", ', '"gossip", ', 1)
    text = text.replace('period = "P20Y"', 'period = "twenty years"', 1)
    text = text.replace('recipients = ["wijkteam",', 'recipients = ["astrologer",', 1)
    path.write_text(text)
    with pytest.raises(PolicyLoadError) as caught:
        load_processing_register(tmp_path, load_vocabulary(CONFIG))
    problems = " | ".join(caught.value.problems)
    assert "'gossip'" in problems and "'astrologer'" in problems and "ISO 8601" in problems
