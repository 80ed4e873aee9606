"""The run session's end: completed, failed, or interrupted by Ctrl-C with what it stored."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from flows.errors import RunInterruptedError
from flows.pipeline.config import PipelineSettings
from flows.pipeline.persist import persist_source_start
from flows.pipeline.session import run_session
from news_ingest.errors import ExitCode
from tests.helpers import query


def stopped_run(db: Path, stop: BaseException) -> None:
    """A session whose one source stored 7 new and 2 updated articles, then ``stop`` is raised."""
    settings = PipelineSettings(snapshot=False)
    with run_session(db, pipeline=settings, sources_file="s.toml", selected=lambda _: ["a"]) as run:
        persist_source_start(
            run.conn, run_id=run.run_id, source="a", kind="files", at=datetime.now(UTC)
        )
        run.conn.execute("UPDATE store.run_sources SET new = 7, updated = 2")
        raise stop


@pytest.mark.parametrize("stop", [KeyboardInterrupt(), asyncio.CancelledError()])
def test_ctrl_c_records_the_run_interrupted_and_says_what_it_stored(
    db_path: Path, stop: BaseException
) -> None:
    with pytest.raises(RunInterruptedError) as caught:
        stopped_run(db_path, stop)

    assert caught.value.exit_code == ExitCode.INTERRUPTED
    assert "stored 7 new and 2 updated articles" in str(caught.value)
    assert "run again to continue" in str(caught.value)
    assert query(db_path, "SELECT status, error FROM store.runs") == [
        ("interrupted", "interrupted (SIGINT)")
    ]
    assert query(db_path, "SELECT status FROM store.run_sources") == [("interrupted",)]


def test_a_failed_run_closes_its_running_sources_as_failed(db_path: Path) -> None:
    with pytest.raises(RuntimeError):
        stopped_run(db_path, RuntimeError("disk full"))

    assert query(db_path, "SELECT status, error FROM store.runs") == [
        ("failed", "RuntimeError: disk full")
    ]
    assert query(db_path, "SELECT status FROM store.run_sources") == [("failed",)]
