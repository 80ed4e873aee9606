"""Where the warehouse lives: a DuckDB file (the default) or a DuckLake on PostgreSQL.

A lake target is written ``ducklake:postgres:<libpq connection string>``, e.g.
``ducklake:postgres:dbname=news host=127.0.0.1 port=5432``. Credentials come
from libpq's environment (``PGPASSWORD``, ``PGPASSFILE``, ...); a target that
holds a password is refused, so no message or log can show one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from warehouse.errors import WarehouseConfigError

__all__ = ["LAKE_PREFIX", "LakeTarget", "parse_target"]

LAKE_PREFIX = "ducklake:postgres:"
_SECRET = re.compile(r"\b(password)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", re.I)
_PART = re.compile(r"\b(host|hostaddr|port|dbname)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", re.I)


@dataclass(frozen=True, slots=True)
class LakeTarget:
    """A DuckLake catalog in PostgreSQL (``dsn``) and the folder its Parquet files go to."""

    dsn: str
    data_path: Path

    def address(self) -> str:
        """Host, port and database of the PostgreSQL server, never the password."""
        parts = {k.lower(): v.strip("'") for k, v in _PART.findall(self.dsn)}
        host = parts.get("host") or parts.get("hostaddr") or "(libpq default host)"
        port = parts.get("port", "(default port)")
        dbname = parts.get("dbname", "(default database)")
        return f"{host}:{port}/{dbname}"

    def redacted(self) -> str:
        """The connection string with any password replaced by ``***``."""
        return _SECRET.sub(r"\1=***", self.dsn)


def parse_target(text: str, *, data_path: Path | None) -> LakeTarget:
    """The lake target ``text`` names (``ducklake:postgres:...``); raise on anything else."""
    if not text.startswith(LAKE_PREFIX):
        shown = _SECRET.sub(r"\1=***", text)
        raise WarehouseConfigError(
            f"unsupported warehouse {shown!r}: expected '{LAKE_PREFIX}dbname=... host=... port=...'"
        )
    dsn = text.removeprefix(LAKE_PREFIX).strip()
    if _SECRET.search(dsn):
        # Kept out of the string, it can never reach a message or a log (DuckDB's postgres
        # extension repeats the connection string in its errors).
        raise WarehouseConfigError(
            "the warehouse target holds a password: give it in PGPASSWORD or ~/.pgpass instead"
        )
    if not dsn:
        raise WarehouseConfigError(f"warehouse {LAKE_PREFIX!r} names no PostgreSQL database")
    return LakeTarget(dsn=dsn, data_path=data_path or Path("data") / "lake")
