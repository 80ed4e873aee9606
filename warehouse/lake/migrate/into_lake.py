"""Copy a DuckDB warehouse file into an empty lake, as one batch of the commit protocol.

The whole copy is one batch of :mod:`warehouse.lake.batches`: one PostgreSQL
transaction stores every keyed table and stages the history tables (article
versions with their text, fetch log, story merges) with the batch's intent
row; then the batch is published into the lake like any run's. A process
killed before that transaction commits leaves an empty lake; killed after
it, a pending batch that the next writer to open the lake (a rerun of
migrate, or any run) publishes before it does anything else. So the lake is
never left partly copied: readers see no article until the whole copy is in
the lake.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import psycopg

from warehouse import search
from warehouse.connection import migration_names
from warehouse.errors import CopyTargetNotEmptyError, WarehouseCopyError
from warehouse.lake import batches
from warehouse.lake.connection import connect_lake, open_pg
from warehouse.lake.migrate.tables import (
    COPIED,
    CopiedTable,
    Progress,
    check_known,
    columns_of,
    is_history,
    quoted_columns,
)
from warehouse.lake.registry import LakeHandle, handle_of
from warehouse.lake.schema import LAKE
from warehouse.lake.target import LakeTarget
from warehouse.reading import read_only

__all__ = ["COPIES_TABLE", "LakeCopy", "copy_file_into_lake"]

# One row per copy made by migrate, written in the copy's own state transaction: which
# file it came from, and its batch (pending until the copy is in the lake).
COPIES_TABLE = "public.news_ingest_copies"
_ROWS = "__migrate_rows"
_ROWS_PER_BATCH = 10_000


@dataclass(frozen=True, slots=True)
class LakeCopy:
    """What a copy into a lake did.

    ``finished`` names the file of a copy a stopped migrate had left pending, which
    this call completed instead of copying (``tables`` is then empty).
    """

    tables: tuple[CopiedTable, ...]
    finished: str | None = None


def copy_file_into_lake(
    source: Path, target: LakeTarget, *, progress: Progress | None = None
) -> LakeCopy:
    """Copy every stored table of the warehouse ``source`` into the empty lake ``target``."""
    pg = open_pg(target)
    try:
        left_pending = _pending_copy(pg)
    finally:
        pg.close()
    with connect_lake(target) as conn:  # a writer: publishes a pending copy first
        handle = handle_of(conn)
        assert handle is not None  # connect_lake registered it
        if left_pending is not None:
            _check_finished(handle, left_pending)
            copy = LakeCopy(tables=(), finished=left_pending)
        else:
            copy = LakeCopy(tables=_copy_file(conn, handle, source, progress))
        _index_for_search(conn)
    return copy


def _copy_file(
    conn: duckdb.DuckDBPyConnection, handle: LakeHandle, source: Path, progress: Progress | None
) -> tuple[CopiedTable, ...]:
    """The copy itself: the file read as analysts read it, then checked in the lake."""
    with read_only(source) as files:
        _check_up_to_date(files, source)
        try:
            tables = _copy(conn, handle, files, source, progress)
        except (duckdb.Error, psycopg.Error) as exc:
            raise WarehouseCopyError(
                f"copying {source} into the lake failed (nothing was kept): {exc}"
            ) from exc
    _verify(handle, conn, tables)
    return tables


def _index_for_search(conn: duckdb.DuckDBPyConnection) -> None:
    """Index the migrated lake's articles for search (docs/lake.md#search).

    Called after a copy and after finishing a copy a stopped migrate left pending: every
    copied article is stale then, and is indexed from its version in the lake, as the
    file's index would hold it. migrate never copies the file's index tables.
    """
    search.refresh_index(conn)


def _pending_copy(pg: psycopg.Connection[tuple[object, ...]]) -> str | None:
    """The file of a copy whose batch is not in the lake yet, if any."""
    if not _exists(pg, COPIES_TABLE) or not _exists(pg, "store.lake_batches"):
        return None
    row = pg.execute(
        f"SELECT c.source FROM {COPIES_TABLE} AS c JOIN store.lake_batches AS b "
        "USING (batch_id) WHERE b.published_at IS NULL"
    ).fetchone()
    return str(row[0]) if row else None


def _check_finished(handle: LakeHandle, source: str) -> None:
    """The lake's opening published the pending copy, unless its migrate is still alive."""
    if _pending_copy(handle.pg) is not None:
        raise WarehouseCopyError(
            f"another migrate is copying {source} into the lake at "
            f"{handle.target.address()} right now; wait for it to finish"
        )


def _exists(pg: psycopg.Connection[tuple[object, ...]], table: str) -> bool:
    row = pg.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()
    return bool(row and row[0])


def _check_up_to_date(files: duckdb.DuckDBPyConnection, source: Path) -> None:
    rows = files.execute("SELECT name FROM store.schema_migrations").fetchall()
    applied = {str(name) for (name,) in rows}
    missing = [name for name in migration_names() if name not in applied]
    if missing:
        raise WarehouseCopyError(
            f"{source} predates migration(s) {', '.join(missing)}: upgrade it with "
            f"`news-ingest run --db {source}` (or any run) first, then migrate it"
        )
    tables = files.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'store'"
    ).fetchall()
    check_known({str(name) for (name,) in tables})


def _copy(
    conn: duckdb.DuckDBPyConnection,
    handle: LakeHandle,
    files: duckdb.DuckDBPyConnection,
    source: Path,
    progress: Progress | None,
) -> tuple[CopiedTable, ...]:
    """Step 1 (state and staged history, one transaction), then publication (steps 2, 3)."""
    _create_copies_table(handle)
    file_database = _database_name(files)
    copied: list[CopiedTable] = []
    with batches.state_transaction(conn, handle):
        _refuse_unless_empty(conn, handle)
        _record_copy(conn, source)
        for table in COPIED:
            done = _copy_table(conn, files, file_database, table)
            copied.append(done)
            if progress is not None:
                progress(done)
    return tuple(copied)


def _create_copies_table(handle: LakeHandle) -> None:
    handle.pg.execute(
        f"CREATE TABLE IF NOT EXISTS {COPIES_TABLE} ("
        " batch_id UUID PRIMARY KEY, source TEXT NOT NULL, copied_at TIMESTAMPTZ NOT NULL)"
    )


def _refuse_unless_empty(conn: duckdb.DuckDBPyConnection, handle: LakeHandle) -> None:
    """Under the lock WHOLE taken exclusively (a transaction naming no keys): nobody decides."""
    row = conn.execute(
        "SELECT (SELECT count(*) FROM store.articles), (SELECT count(*) FROM store.runs), "
        "(SELECT count(*) FROM store.lake_batches WHERE published_at IS NOT NULL)"
    ).fetchone()
    articles, runs, published = row if row else (0, 0, 0)
    if not (articles or runs or published):
        return
    origin = _earlier_copy(handle)
    raise CopyTargetNotEmptyError(
        f"the lake at {handle.target.address()} already holds {articles} article(s) and "
        f"{runs} run(s){origin}; migrate copies into an empty lake only "
        "(a new PostgreSQL database, or drop the schemas store and ducklake of this one)"
    )


def _earlier_copy(handle: LakeHandle) -> str:
    row = handle.pg.execute(
        f"SELECT source, copied_at FROM {COPIES_TABLE} ORDER BY copied_at DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return ""
    source, copied_at = row
    assert isinstance(copied_at, datetime)
    return f" (migrate copied {source} into it at {copied_at:%Y-%m-%d %H:%M} UTC)"


def _record_copy(conn: duckdb.DuckDBPyConnection, source: Path) -> None:
    """The copy's row, in the batch's own transaction (so it is pending with it)."""
    literal = "'" + str(source.absolute()).replace("'", "''") + "'"
    statement = (
        f"INSERT INTO {COPIES_TABLE} VALUES "
        f"(current_setting('news_ingest.batch')::UUID, {literal}, now())"
    )
    conn.execute("CALL postgres_execute('store', ?)", [statement])


def _database_name(files: duckdb.DuckDBPyConnection) -> str:
    row = files.execute("SELECT current_database()").fetchone()
    assert row is not None
    return str(row[0])


def _copy_table(
    conn: duckdb.DuckDBPyConnection, files: duckdb.DuckDBPyConnection, database: str, table: str
) -> CopiedTable:
    columns = columns_of(files, database, table)
    missing = set(columns) - set(columns_of(conn, "store", table))
    if missing:
        raise WarehouseCopyError(
            f"the lake's store.{table} has no column(s) {', '.join(sorted(missing))}: "
            "this news-ingest cannot copy the file (a newer one may)"
        )
    names = quoted_columns(columns)
    reader = files.execute(f"SELECT {names} FROM store.{table}").to_arrow_reader(_ROWS_PER_BATCH)
    conn.register(_ROWS, reader)
    try:
        row = conn.execute(
            f"INSERT INTO store.{table} ({names}) SELECT {names} FROM {_ROWS}"
        ).fetchone()
    finally:
        conn.unregister(_ROWS)
    return CopiedTable(
        table, int(row[0]) if row else 0, "lake" if is_history(table) else "PostgreSQL"
    )


def _verify(
    handle: LakeHandle, conn: duckdb.DuckDBPyConnection, tables: tuple[CopiedTable, ...]
) -> None:
    """The copy's history is in the lake, all of it (later writers may have added more)."""
    row = handle.pg.execute(
        f"SELECT batch_id FROM {COPIES_TABLE} ORDER BY copied_at DESC LIMIT 1"
    ).fetchone()
    assert row is not None  # recorded in the copy's own transaction
    for table in tables:
        if table.into != "lake":
            continue
        found = conn.execute(
            f"SELECT count(*) FROM {LAKE}.history.{table.name} WHERE batch_id = ?", [row[0]]
        ).fetchone()
        if not found or found[0] != table.rows:
            raise WarehouseCopyError(
                f"the lake holds {found[0] if found else 0} row(s) of {table.name} "
                f"after copying {table.rows}"
            )
