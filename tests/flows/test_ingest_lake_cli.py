"""`news-ingest run --warehouse ...` from the command line: PostgreSQL down, bad target."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

from tests.helpers import files_sources, run_command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args),
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env=env or dict(os.environ),
    )


def test_postgres_down_at_start_is_one_line_naming_the_address(tmp_path: Path) -> None:
    sources = files_sources(tmp_path, 2)
    port = free_port()  # nothing listens there
    env = dict(os.environ) | {"PGPASSWORD": "hunter2"}
    done = cli(
        *run_command(sources, tmp_path / "news.duckdb"),
        "--warehouse",
        f"ducklake:postgres:dbname=news host=127.0.0.1 port={port}",
        env=env,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"127.0.0.1:{port}/news" in lines[0]
    assert "hunter2" not in done.stderr + done.stdout
    assert not (tmp_path / "news.duckdb").exists()


def test_an_unknown_warehouse_from_the_environment_is_a_usage_error(tmp_path: Path) -> None:
    sources = files_sources(tmp_path, 2)
    env = dict(os.environ) | {"NEWS_INGEST_WAREHOUSE": "postgres://somewhere"}
    done = cli(*run_command(sources, tmp_path / "news.duckdb"), env=env)
    assert done.returncode == 2
    assert "unsupported warehouse" in done.stderr
