"""`PolicyStore.reload()`: a failed reload keeps the last good set and says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies import PolicyLoadError, PolicyStore


def test_failed_reload_keeps_the_last_good_policy_set(config_copy: Path) -> None:
    store = PolicyStore(config_copy)
    engine, version = store.engine, store.version
    broken = config_copy / "policies" / "wijkteam.toml"
    broken.write_text(
        broken.read_text(encoding="utf-8").replace('"finances"', '"finanses"'), encoding="utf-8"
    )
    (config_copy / "policies" / "zz.toml").write_text("not = [valid", encoding="utf-8")

    result = store.reload()

    assert not result.ok
    assert not result.changed
    assert result.version == version
    assert store.engine is engine
    assert len(result.problems) == 2
    assert any("unknown category 'finanses'" in p for p in result.problems)
    assert any(p.startswith("policies/zz.toml: invalid TOML") for p in result.problems)
    assert store.last_problems == result.problems
    assert "keeping the last good policy set" in result.message
    assert version in result.message


def test_successful_reload_swaps_the_engine_and_reports_both_versions(config_copy: Path) -> None:
    store = PolicyStore(config_copy)
    old = store.version
    unchanged = store.reload()
    assert unchanged.ok
    assert not unchanged.changed
    assert "unchanged" in unchanged.message

    path = config_copy / "policies" / "monitoring.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('"reports", ', ""), encoding="utf-8")
    result = store.reload()

    assert result.ok
    assert result.changed
    assert (result.previous_version, result.version) == (old, store.version)
    assert result.version != old
    assert store.last_problems == ()
    assert f"{old} -> {result.version}" in result.message


def test_store_without_a_valid_initial_set_refuses_to_start(config_copy: Path) -> None:
    (config_copy / "policies" / "gi.toml").write_text("[[rules]]\nid = 1\n", encoding="utf-8")
    with pytest.raises(PolicyLoadError) as caught:
        PolicyStore(config_copy)
    assert any("policies/gi.toml" in p for p in caught.value.problems)
