"""Helpers shared by the end-to-end tests: run the ingest flow, query a warehouse read-only."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import duckdb

from flows.ingest import RunReport, ingest


def run(sources: Path, db: Path, **options: Any) -> RunReport:
    """Run the ingest flow once in this process (under the session's Prefect harness)."""
    report: RunReport = asyncio.run(ingest(sources_path=str(sources), db_path=str(db), **options))
    return report


def query(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """Rows of a read-only query on a warehouse file."""
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()
