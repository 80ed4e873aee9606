"""Shared fixtures: a real HTTP server on 127.0.0.1 and a fresh DuckDB file per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.localserver import LocalServer
from tests.pgserver import PostgresServer, postgres_server
from warehouse.lake.target import LakeTarget

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    """A started HTTP server on 127.0.0.1, stopped after the test."""
    with LocalServer() as server:
        yield server


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Path of a DuckDB file that does not exist yet, in the test's own folder."""
    return tmp_path / "news.duckdb"


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect API for the whole session (starting one takes seconds)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL for the session (scripts/postgres.sh); each test its database."""
    with postgres_server() as server:
        yield server


@pytest.fixture
def lake(postgres: PostgresServer, tmp_path: Path) -> LakeTarget:
    """A lake target on a new, empty PostgreSQL database, Parquet files in the test's folder."""
    return LakeTarget(dsn=postgres.dsn(postgres.new_database()), data_path=tmp_path / "lake")
