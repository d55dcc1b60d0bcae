"""Audit-log fixtures: a running `AuditLog` on a fresh, migrated database (both engines)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from support import GatewayFixture

from gateway.audit.writer import AuditLog
from gateway.auth.keys import KeyStore
from gateway.storage.db import create_engine


@pytest.fixture
async def engine(gateway: GatewayFixture) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(gateway.settings.database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def keys(gateway: GatewayFixture) -> KeyStore:
    return KeyStore.load(gateway.settings.keys_dir)


@pytest.fixture
async def audit_log(engine: AsyncEngine, keys: KeyStore) -> AsyncIterator[AuditLog]:
    log = AuditLog(engine, keys, issuer="test/audit", checkpoint_every=10, checkpoint_seconds=3600)
    await log.start()
    yield log
    await log.close()
