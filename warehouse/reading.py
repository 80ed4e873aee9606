"""Read-only access for the analyst commands (sql, search, export, report, stats).

One place opens the warehouse for reading, so every analyst command fails the
same clear way on a missing file, a file that is not a DuckDB database, or a
DuckDB file that news-ingest never migrated. Like ``news-ingest sql``, they
read the snapshot published after each run when there is one
(:func:`warehouse.snapshots.reading_path`): a run holds the live file for its
whole duration, and a reader of the live file would make the next run wait.

:class:`Warehouse` is the same read-only access as an object that stays open (a
notebook's, or a script's; ``news_ingest.open_warehouse`` returns one): SQL with
the fts extension loaded (``search_articles(...)`` works offline), search, the
articles as records or Arrow, the stats.

Error tree::

    WarehouseError (warehouse.connection)
    └── NotAWarehouseError   the file is a DuckDB database without the news-ingest tables
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import pyarrow as pa

from warehouse import search
from warehouse.articles import (
    ArticleRecord,
    Moment,
    article_batches,
    articles_arrow,
    as_moment,
    iter_articles,
)
from warehouse.connection import LockWait, open_connection
from warehouse.errors import NotAWarehouseError, WarehouseError
from warehouse.lake.connection import read_lake
from warehouse.lake.target import LakeTarget
from warehouse.snapshots import reading_path, snapshot_is_behind
from warehouse.summaries import Stats, collect_stats

__all__ = ["READ_WAIT", "Warehouse", "open_read_only", "read_only"]

READ_WAIT = 120.0  # reading the live file (no snapshot yet): wait this long for a run


@contextmanager
def read_only(
    path: Path, *, live: bool = False, timeout: float = READ_WAIT
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse's snapshot (or, without one or with ``live``, the file) read-only."""
    conn = open_read_only(path, live=live, timeout=timeout)
    try:
        yield conn
    finally:
        conn.close()


def open_read_only(
    path: Path, *, live: bool = False, timeout: float = READ_WAIT
) -> duckdb.DuckDBPyConnection:
    """:func:`read_only` for a caller that closes the connection itself."""
    if path.exists() and path.is_dir():
        raise WarehouseError(f"{path} is a folder, not a DuckDB file")
    target = reading_path(path, live=live)
    if target != path and snapshot_is_behind(path):
        _tell(f"reading the snapshot {target} of the last finished run; a run is writing {path}")
    conn = open_connection(target, read_only=True, wait=LockWait(timeout=timeout, notify=_tell))
    try:
        _check_migrated(conn, target)
    except BaseException:
        conn.close()
        raise
    return conn


def _check_migrated(conn: duckdb.DuckDBPyConnection, path: Path) -> None:
    row = conn.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'store' AND table_name = 'schema_migrations'"
    ).fetchone()
    if not row or not row[0]:
        raise NotAWarehouseError(
            f"{path} is a DuckDB file without the news-ingest tables; "
            f"create or upgrade it with `news-ingest run --db {path}`"
        )


def _tell(message: str) -> None:
    print(f"news-ingest: {message}", file=sys.stderr)


class Warehouse:
    """A warehouse opened read-only (its snapshot, or with ``live`` the live file), search ready.

    With ``lake=``, a lake instead (docs/lake.md): the same methods, the same
    columns, search ranked in PostgreSQL.

    Close it (or use ``with``) when done: while it is open on the live file, a
    run waits for it; the snapshot never makes a run wait.
    """

    def __init__(
        self,
        path: Path | None = None,
        *,
        live: bool = False,
        timeout: float = READ_WAIT,
        lake: LakeTarget | None = None,
    ) -> None:
        """The file at ``path`` (its snapshot unless ``live``), or the lake ``lake``."""
        self.path, self.lake = path, lake
        self._closing = ExitStack()
        if lake is not None and path is None:
            self.connection = self._closing.enter_context(read_lake(lake))
        elif path is not None and lake is None:
            self.connection = open_read_only(path, live=live, timeout=timeout)
            self._closing.callback(self.connection.close)
        else:
            raise ValueError("a Warehouse opens either a file (path) or a lake (lake=)")

    def sql(self, query: str, params: Any = None) -> duckdb.DuckDBPyRelation:
        """A DuckDB relation (``.fetchall()``, ``.arrow()``; ``.df()`` needs pandas)."""
        return self.connection.sql(query, params=params)

    def search(
        self,
        terms: str,
        *,
        since: Moment | None = None,
        source: str | None = None,
        limit: int = 10,
    ) -> tuple[search.SearchHit, ...]:
        """Full-text search (BM25), best first: what ``news-ingest search`` prints."""
        moment = as_moment(since)
        return search.search(self.connection, terms, since=moment, source=source, limit=limit).hits

    def articles(
        self,
        *,
        source: str | None = None,
        since: Moment | None = None,
        until: Moment | None = None,
    ) -> Iterator[ArticleRecord]:
        """Each article's latest version as a record, by article id (streamed)."""
        return iter_articles(self.connection, source=source, since=since, until=until)

    def arrow(
        self,
        *,
        source: str | None = None,
        since: Moment | None = None,
        until: Moment | None = None,
    ) -> pa.Table:
        """The same articles as one Arrow table."""
        return articles_arrow(self.connection, source=source, since=since, until=until)

    def batches(
        self,
        *,
        source: str | None = None,
        since: Moment | None = None,
        until: Moment | None = None,
        batch_size: int = 10_000,
    ) -> pa.RecordBatchReader:
        """The same articles as a stream of Arrow record batches (bounded memory)."""
        return article_batches(
            self.connection, source=source, since=since, until=until, batch_size=batch_size
        )

    def stats(self) -> Stats:
        """Counts, the last run and each source's freshness: what ``news-ingest stats`` shows."""
        return collect_stats(self.connection)

    def close(self) -> None:
        """Close the connection, and a lake's PostgreSQL session (idempotent)."""
        self._closing.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        where = self.lake.address() if self.lake is not None else str(self.path)
        return f"Warehouse({where!r})"
