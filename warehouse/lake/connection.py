"""Opening a lake: PostgreSQL reachable, extensions loaded, state and lake attached.

A lake connection is an in-memory DuckDB connection with

- the PostgreSQL schema ``store`` attached as the catalog ``store`` (through
  the postgres extension): every ``store.<table>`` statement of the
  pipeline reads and writes the keyed state there;
- the DuckLake attached as ``news_lake`` (catalog in PostgreSQL schema
  ``ducklake``, Parquet files under the target's data path);

plus its own psycopg session for advisory locks and the protocol's
bookkeeping (:mod:`warehouse.lake.batches`). A writer creates what is missing
and finishes batches a killed process left pending before it returns.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import psycopg

from warehouse.errors import WarehouseError, WarehouseUnavailableError
from warehouse.lake import batches, locks, registry
from warehouse.lake.extensions import load_lake_extensions
from warehouse.lake.registry import LakeHandle
from warehouse.lake.schema import LAKE, ensure_schema
from warehouse.lake.target import LakeTarget

__all__ = [
    "CATALOG_SCHEMA",
    "attach_lines",
    "check_reachable",
    "connect_lake",
    "open_pg",
    "plain_lake_connection",
    "read_lake",
]

logger = logging.getLogger(__name__)

CATALOG_SCHEMA = "ducklake"  # the PostgreSQL schema holding DuckLake's own catalog tables


def open_pg(target: LakeTarget) -> psycopg.Connection[tuple[object, ...]]:
    """A psycopg session on the target's database; one clear error when it is unreachable."""
    try:
        return psycopg.connect(target.dsn, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        reason = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        raise WarehouseUnavailableError(
            f"cannot reach the lake's PostgreSQL at {target.address()}: {reason}"
        ) from exc


def check_reachable(target: LakeTarget) -> None:
    """Raise WarehouseUnavailableError (naming the address) unless PostgreSQL answers."""
    open_pg(target).close()


def attach_lines(target: LakeTarget, *, read_only: bool, create: bool = False) -> list[str]:
    """The ATTACH statements of a lake connection (also what docs/lake.md shows analysts).

    The data path is given only when the lake is created (``create``): DuckLake records it
    in the catalog, and refuses a different one later.
    """
    dsn = target.dsn.replace("'", "''")
    ro = ", READ_ONLY" if read_only else ""
    data = target.data_path.resolve().as_posix().replace("'", "''")
    data_option = f", DATA_PATH '{data}/'" if create else ""
    return [
        f"ATTACH '{dsn}' AS store (TYPE postgres, SCHEMA 'store'{ro})",
        f"ATTACH 'ducklake:postgres:{dsn}' AS {LAKE} "
        f"(METADATA_SCHEMA '{CATALOG_SCHEMA}'{data_option}{ro})",
    ]


@contextmanager
def connect_lake(
    target: LakeTarget, *, read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the lake (creating it and finishing pending batches for a writer); close on exit."""
    pg = open_pg(target)
    conn = duckdb.connect()
    handle = LakeHandle(target, pg)
    try:
        conn.execute("SET TimeZone = 'UTC'")
        load_lake_extensions(conn)
        if read_only:
            _attach(conn, target, read_only=True, create=False)
        else:
            with locks.held(pg, locks.SCHEMA):  # one creator when several start at once
                pg.execute("CREATE SCHEMA IF NOT EXISTS store")
                create = not _lake_exists(pg)
                if create:
                    target.data_path.mkdir(parents=True, exist_ok=True)
                _attach(conn, target, read_only=False, create=create)
        registry.remember(conn, handle)
        if not read_only:
            ensure_schema(conn, handle)
            finished = batches.recover(conn, handle)
            if finished:
                logger.warning("finished %d batch(es) a stopped run left pending", finished)
        yield conn
    finally:
        registry.forget(conn)
        conn.close()
        pg.close()


@contextmanager
def read_lake(target: LakeTarget) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only lake connection whose default catalog is the lake (its views by name)."""
    with connect_lake(target, read_only=True) as conn:
        conn.execute(f"USE {LAKE}")
        yield conn


def plain_lake_connection(target: LakeTarget) -> duckdb.DuckDBPyConnection:
    """A plain read-only DuckDB connection on the lake, its views by name (close it yourself).

    What analysts get with the ATTACH lines (docs/lake.md), with no PostgreSQL session
    of its own: SQL only (search ranks in PostgreSQL: ``read_lake``'s session does it).
    """
    check_reachable(target)  # one clear line naming the server when it does not answer
    conn = duckdb.connect()
    try:
        conn.execute("SET TimeZone = 'UTC'")
        load_lake_extensions(conn)
        _attach(conn, target, read_only=True, create=False)
        conn.execute(f"USE {LAKE}")
    except BaseException:
        conn.close()
        raise
    return conn


def _lake_exists(pg: psycopg.Connection[tuple[object, ...]]) -> bool:
    """Whether DuckLake's catalog tables exist (then the catalog knows the data path)."""
    row = pg.execute(
        "SELECT to_regclass(%s) IS NOT NULL", (f"{CATALOG_SCHEMA}.ducklake_metadata",)
    ).fetchone()
    return bool(row and row[0])


def _attach(
    conn: duckdb.DuckDBPyConnection, target: LakeTarget, *, read_only: bool, create: bool
) -> None:
    for line in attach_lines(target, read_only=read_only, create=create):
        try:
            conn.execute(line)
        except duckdb.Error as exc:
            raise WarehouseError(
                f"cannot attach the lake at {target.address()}: {_redact(str(exc), target)}"
            ) from exc


def _redact(message: str, target: LakeTarget) -> str:
    return message.replace(target.dsn, target.redacted())
