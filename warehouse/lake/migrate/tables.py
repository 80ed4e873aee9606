"""Which stored tables ``news-ingest migrate`` copies, in which order, and which it leaves out.

Every table of a DuckDB warehouse's schema ``store`` is either copied or
deliberately left out (with the reason); a table this module does not know
stops the copy, so a new migration cannot be silently left behind
(``tests/warehouse/test_migrate_tables.py`` checks both lists against a fresh file).
A lake's own bookkeeping (``store.lake_batches``, ``history.batches``,
``public.news_ingest_copies``, ``public.news_ingest_schema``) is never copied into a
file: a copy into a lake makes its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from warehouse.errors import WarehouseCopyError
from warehouse.lake.schema import HISTORY_TABLES

__all__ = [
    "COPIED",
    "LEFT_OUT",
    "CopiedTable",
    "Progress",
    "check_known",
    "columns_of",
    "is_history",
    "quoted_columns",
]

# In an order that satisfies the lake's foreign keys (runs and articles before what
# refers to them).
COPIED = (
    "runs",
    "run_sources",
    "articles",
    "article_versions",
    "url_aliases",
    "url_state",
    "source_state",
    "checkpoints",
    "story_features",
    "story_bands",
    "story_merges",
    "rejects",
    "fetch_log",
)

LEFT_OUT = {
    "schema_migrations": "each warehouse records its own schema version",
    "search_docs": "the search index is rebuilt from the copied articles",
    "search_dictionary": "the search index is rebuilt from the copied articles",
    "search_postings": "the search index is rebuilt from the copied articles",
    "search_stopwords": "a fixed list every DuckDB warehouse creates itself",
}


@dataclass(frozen=True, slots=True)
class CopiedTable:
    """One table copied: its name, the rows copied, and where they went."""

    name: str
    rows: int
    into: str  # "PostgreSQL", "lake", "file"


Progress = Callable[[CopiedTable], None]


def is_history(table: str) -> bool:
    """Whether the lake keeps ``table``'s rows in DuckLake (``history.*``)."""
    return table in HISTORY_TABLES


def check_known(tables: set[str]) -> None:
    """Raise WarehouseCopyError for a stored table neither copied nor deliberately left out."""
    unknown = sorted(tables - set(COPIED) - set(LEFT_OUT))
    if unknown:
        names = ", ".join(f"store.{name}" for name in unknown)
        raise WarehouseCopyError(
            f"the warehouse holds table(s) {names} that migrate does not know how to copy; "
            "a newer news-ingest may"
        )


def columns_of(conn: duckdb.DuckDBPyConnection, database: str, table: str) -> tuple[str, ...]:
    """The columns of ``database``.store.``table``, in their order."""
    rows = conn.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = ? "
        "AND schema_name = 'store' AND table_name = ? ORDER BY column_index",
        [database, table],
    ).fetchall()
    return tuple(str(name) for (name,) in rows)


def quoted_columns(columns: tuple[str, ...]) -> str:
    """``"a", "b"`` for a SELECT or an INSERT column list."""
    return ", ".join('"' + name.replace('"', '""') + '"' for name in columns)
