"""The operator's side: a gateway on its own copy of the configuration (tests change it)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import CONFIG_DIR, GatewayFixture, make_gateway_fixture, migrate


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A copy of the shipped configuration that this test may change."""
    target = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, target)
    return target


@pytest.fixture
async def ops_gateway(database_url: str, tmp_path: Path, config_dir: Path) -> GatewayFixture:
    fixture = make_gateway_fixture(
        tmp_path / "data",
        database_url,
        GATEWAY_CONFIG_DIR=str(config_dir),
        GATEWAY_METRICS_PORT="0",
    )
    await migrate(database_url)
    return fixture
