"""SqlSourceAdapter against a real RvdK database: SQLite always, PostgreSQL when configured."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from adapters.base import FetchRequest
from adapters.errors import SourceUnavailable
from adapters.mapping import load_mapping
from adapters.reference.sqlsource import build_reference_database
from adapters.reference.synthetic import Population
from adapters.sql import SqlSourceAdapter

RVDK_MAPPING = Path(__file__).resolve().parents[3] / "config" / "sources" / "rvdk.toml"


def request_for(bsn: str, *categories: str) -> FetchRequest:
    return FetchRequest(
        bsn=bsn,
        categories=categories,
        purpose="child_protection_investigation",
        requester_id="gi",
        request_id="req-sql",
    )


@pytest.fixture
async def rvdk(
    rvdk_database: tuple[str, str | None], population: Population
) -> AsyncIterator[SqlSourceAdapter]:
    url, schema = rvdk_database
    rows = await build_reference_database(url, population, "rvdk", schema=schema)
    assert rows > 0
    engine = create_async_engine(url)
    try:
        yield SqlSourceAdapter("rvdk", engine, load_mapping(RVDK_MAPPING), 2.0, schema=schema)
    finally:
        await engine.dispose()


async def test_reads_investigations_and_decisions_of_the_subject(
    rvdk: SqlSourceAdapter, population: Population
) -> None:
    bsn = population.scenarios["rvdk_investigation"]

    records = await rvdk.fetch(request_for(bsn, "investigation_reports", "court_decisions"))

    (report,) = records["investigation_reports"]
    assert report["kind"] == "beschermingsonderzoek"
    assert report["start_date"] < report["completed_on"]  # ISO dates compare as text
    assert set(report) == {
        "investigation_id",
        "kind",
        "start_date",
        "completed_on",
        "advice",
        "investigator",
    }
    assert records["court_decisions"][0]["ruling"].startswith("Ondertoezichtstelling")
    assert "INTERN" not in json.dumps(records)  # interne_opmerking is never selected


async def test_only_requested_categories_come_back(
    rvdk: SqlSourceAdapter, population: Population
) -> None:
    bsn = population.scenarios["criminal_record"]

    only_decisions = await rvdk.fetch(request_for(bsn, "court_decisions"))
    criminal = await rvdk.fetch(request_for(bsn, "criminal_records", "health"))

    assert only_decisions == {"court_decisions": []}
    assert criminal["health"] == []
    assert criminal["criminal_records"][0]["disposal"] == "taakstraf 60 uur"


async def test_unknown_subject_is_empty_not_an_error(rvdk: SqlSourceAdapter) -> None:
    records = await rvdk.fetch(request_for("999900006", "investigation_reports"))

    assert records == {"investigation_reports": []}


async def test_bsn_is_a_bound_parameter_not_sql(rvdk: SqlSourceAdapter) -> None:
    hostile = "1' OR '1'='1"

    records = await rvdk.fetch(request_for(hostile, "investigation_reports", "court_decisions"))

    assert records == {"investigation_reports": [], "court_decisions": []}


async def test_missing_table_makes_the_source_unavailable(
    rvdk_database: tuple[str, str | None], population: Population
) -> None:
    url, schema = rvdk_database
    await build_reference_database(url, population, "rvdk", schema=schema)
    engine = create_async_engine(url)
    try:
        qualified = f'"{schema}".onderzoeken' if schema else "onderzoeken"
        async with engine.begin() as connection:
            await connection.execute(text(f"DROP TABLE {qualified}"))
        adapter = SqlSourceAdapter("rvdk", engine, load_mapping(RVDK_MAPPING), schema=schema)
        bsn = population.scenarios["rvdk_investigation"]

        with pytest.raises(SourceUnavailable) as caught:
            await adapter.fetch(request_for(bsn, "investigation_reports"))
    finally:
        await engine.dispose()

    assert caught.value.reason_code == "database_error"


async def test_unreachable_database_makes_the_source_unavailable(
    unused_tcp_port: int, population: Population
) -> None:
    # Nothing listens on that port: the connection is refused.
    engine = create_async_engine(f"postgresql+asyncpg://127.0.0.1:{unused_tcp_port}/rvdk")
    adapter = SqlSourceAdapter("rvdk", engine, load_mapping(RVDK_MAPPING))
    bsn = population.scenarios["criminal_record"]
    try:
        # A category this source does not map needs no query, so it cannot fail.
        assert await adapter.fetch(request_for(bsn, "health")) == {"health": []}
        with pytest.raises(SourceUnavailable) as caught:
            await adapter.fetch(request_for(bsn, "criminal_records"))
    finally:
        await engine.dispose()

    assert caught.value.reason_code == "database_error"


async def test_adapter_owning_its_engine_disposes_it(
    tmp_path: Path, population: Population
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'rvdk.db'}"
    await build_reference_database(url, population, "rvdk")
    engine: AsyncEngine = create_async_engine(url)
    adapter = SqlSourceAdapter("rvdk", engine, load_mapping(RVDK_MAPPING), owns_engine=True)
    bsn = population.scenarios["criminal_record"]

    records = await adapter.fetch(request_for(bsn, "criminal_records"))
    await adapter.aclose()

    assert len(records["criminal_records"]) == 1
    assert engine.sync_engine.pool.checkedout() == 0
