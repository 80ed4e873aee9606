"""A throwaway PostgreSQL for the lake tests, started by scripts/postgres.sh.

Missing PostgreSQL (the script cannot install it) skips the lake tests, except under CI
(``CI`` set), where it fails them: CI must run them.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import psycopg
import pytest

__all__ = ["PostgresServer", "postgres_server"]

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "postgres.sh"
_NUMBERS = count(1)


@dataclass(frozen=True, slots=True)
class PostgresServer:
    """A running server: where it listens and who may connect (trust auth on 127.0.0.1)."""

    host: str
    port: int
    user: str
    folder: Path

    def dsn(self, dbname: str) -> str:
        return f"dbname={dbname} host={self.host} port={self.port} user={self.user}"

    def new_database(self) -> str:
        """A new empty database's name (one per test: tests never share state)."""
        name = f"lake_test_{os.getpid()}_{next(_NUMBERS)}"
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def restart(self) -> None:
        """Restart the server (fast shutdown: every session is cut), keeping its data."""
        bindir = (self.folder / "bindir").read_text(encoding="utf-8").strip()
        subprocess.run(
            [
                f"{bindir}/pg_ctl",
                "-D",
                str(self.folder / "data"),
                "-l",
                str(self.folder / "server.log"),
                "-m",
                "fast",
                "-w",
                "restart",
            ],
            check=True,
            # Not captured: the new server would hold the pipes open (and us waiting).
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            user="postgres" if os.geteuid() == 0 else None,
        )


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Start a server with scripts/postgres.sh (installing PostgreSQL if needed); stop it after."""
    folder = Path(tempfile.mkdtemp(prefix="news-ingest-pg."))
    started = subprocess.run(
        ["bash", str(SCRIPT), "start", str(folder)], capture_output=True, text=True, check=False
    )
    if started.returncode != 0:
        subprocess.run(["bash", str(SCRIPT), "stop", str(folder)], check=False)
        message = f"no PostgreSQL for the lake tests: {started.stderr.strip()[-2000:]}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    values = dict(line.split("=", 1) for line in started.stdout.splitlines() if "=" in line)
    try:
        yield PostgresServer(
            host=values["PGHOST"], port=int(values["PGPORT"]), user=values["PGUSER"], folder=folder
        )
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", str(folder)], check=False)
