"""The analysts' own SQL: run one read-only query, refuse anything that writes.

``news-ingest sql`` hands the query text here; DuckDB's errors come back as
:class:`~warehouse.errors.QueryError` (or :class:`~warehouse.errors.QueryRefusedError`
for a statement the command does not run), with a hint where DuckDB's message
alone would leave an analyst guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from warehouse.connection import Connection
from warehouse.errors import QueryError, QueryRefusedError

__all__ = ["QUERY_TYPES", "QueryResult", "check_query", "run_query", "write_query_parquet"]

# Statement types the sql command runs; anything else (INSERT, COPY, ATTACH, SET...) is refused.
QUERY_TYPES = frozenset(
    {
        duckdb.StatementType.SELECT,
        duckdb.StatementType.EXPLAIN,
        duckdb.StatementType.PRAGMA,
        duckdb.StatementType.CALL,
    }
)


@dataclass(frozen=True, slots=True)
class QueryResult:
    """A query's column names and rows."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def run_query(conn: Connection, query: str) -> QueryResult | None:
    """Run one read-only query; None when the statement returns no rows (a PRAGMA, say)."""
    check_query(conn, query)
    try:
        # None for a statement without a result (DuckDB's stubs do not say so).
        relation: duckdb.DuckDBPyRelation | None = conn.sql(query)
        if relation is None:
            return None
        return QueryResult(tuple(relation.columns), relation.fetchall())
    except duckdb.Error as exc:
        raise _translated(exc) from exc


def write_query_parquet(conn: Connection, query: str, out: Path) -> bool:
    """Write a read-only query's result to a Parquet file; False when it returns no rows."""
    check_query(conn, query)
    try:
        # None for a statement without a result (DuckDB's stubs do not say so).
        relation: duckdb.DuckDBPyRelation | None = conn.sql(query)
        if relation is None:
            return False
        relation.write_parquet(str(out))
    except duckdb.Error as exc:
        raise _translated(exc) from exc
    return True


def check_query(conn: Connection, query: str) -> None:
    """Raise QueryRefusedError when the sql command would not run ``query``."""
    try:
        parsed = conn.extract_statements(query)
    except duckdb.Error as exc:
        raise QueryRefusedError(_explain(exc)) from exc
    # A dynamic PIVOT expands into generated statements (a CREATE TYPE, then the SELECT) that
    # carry no text of their own: the user wrote one statement, judged by its last part.
    statements = [s for s in parsed if s.query.strip()] or parsed[-1:]
    if not statements:
        raise QueryRefusedError("no SQL statement given")
    if len(statements) > 1:
        raise QueryRefusedError(f"one statement at a time, please (got {len(statements)})")
    kind = statements[0].type
    if kind not in QUERY_TYPES:
        raise QueryRefusedError(
            f"the sql command is read-only: a {kind.name} statement is refused. It answers "
            "queries (SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN); to save a result, use "
            "--format csv|json|parquet --out FILE"
        )


def _translated(exc: duckdb.Error) -> QueryError:
    return QueryError(_explain(exc))


def _explain(exc: duckdb.Error) -> str:
    message = str(exc).strip()
    lowered = message.lower()
    if "read-only" in lowered or "read only" in lowered:
        return f"the sql command is read-only; writes are refused ({message.splitlines()[0]})"
    if isinstance(exc, duckdb.CatalogException):
        return (
            f"{message}\nThe tables and views are listed in docs/schema.md, "
            'or run: news-ingest sql "SHOW ALL TABLES"'
        )
    return f"query failed: {message}"
