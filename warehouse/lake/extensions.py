"""The ducklake and postgres extensions, loaded from their wheels: nothing downloads at run time.

The wheels ``duckdb-extension-ducklake`` and ``duckdb-extension-postgres-scanner``
ship signed binaries for exactly the pinned DuckDB (1.5.5). The package
``duckdb-extension-postgres`` would not do: its file name makes LOAD look for
the wrong entry point.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import duckdb

__all__ = ["extension_path", "load_lake_extensions"]

_VERSION = "v1.5.5"
_EXTENSIONS = {
    "postgres_scanner": "duckdb_extension_postgres_scanner",
    "ducklake": "duckdb_extension_ducklake",
}


def extension_path(name: str) -> Path:
    """Path of the ``name`` extension binary shipped by its wheel."""
    root = resources.files(_EXTENSIONS[name])
    return Path(str(root / "extensions" / _VERSION / f"{name}.duckdb_extension"))


def load_lake_extensions(conn: duckdb.DuckDBPyConnection) -> None:
    """LOAD postgres_scanner and ducklake into ``conn`` from the installed wheels."""
    for name in _EXTENSIONS:
        # LOAD takes no bound parameter; the path comes from our own installed wheel.
        path = extension_path(name).as_posix().replace("'", "''")
        conn.execute(f"LOAD '{path}'")
