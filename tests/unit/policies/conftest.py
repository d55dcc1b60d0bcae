"""Fixtures for the policy unit tests: the default configuration and scratch copies."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from policies import PolicyEngine, PolicySet, load_policy_set

CONFIG = Path(__file__).resolve().parents[3] / "config"
VOCABULARY_FILES = (
    "organisation_types.toml",
    "categories.toml",
    "purposes.toml",
    "legal_bases.toml",
)


@pytest.fixture(scope="session")
def default_set() -> PolicySet:
    return load_policy_set(CONFIG)


@pytest.fixture(scope="session")
def engine(default_set: PolicySet) -> PolicyEngine:
    return PolicyEngine(default_set)


@pytest.fixture
def config_copy(tmp_path: Path) -> Path:
    """A writable copy of the default configuration (vocabulary and policies)."""
    target = tmp_path / "config"
    target.mkdir()
    for name in VOCABULARY_FILES:
        shutil.copy(CONFIG / name, target / name)
    shutil.copytree(CONFIG / "policies", target / "policies")
    return target


@pytest.fixture
def rules_only(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """A configuration with the default vocabulary and exactly the given policy files."""

    def make(files: dict[str, str]) -> Path:
        target = tmp_path / f"only-{len(list(tmp_path.iterdir()))}"
        (target / "policies").mkdir(parents=True)
        for name in VOCABULARY_FILES:
            shutil.copy(CONFIG / name, target / name)
        for name, text in files.items():
            (target / "policies" / name).write_text(text, encoding="utf-8")
        return target

    return make
