"""Lake upkeep on a real lake: fewer snapshots, the same rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from warehouse.lake.connection import connect_lake
from warehouse.lake.maintenance import maintain
from warehouse.lake.target import LakeTarget


def test_maintenance_expires_snapshots_and_keeps_every_row(lake: LakeTarget) -> None:
    with connect_lake(lake) as conn:
        for _ in range(6):  # six commits, six snapshots, six small files or inlined rows
            conn.execute("INSERT INTO news_lake.history.batches VALUES (?, now())", [uuid4()])
    upkeep = maintain(lake, expire_before=datetime.now(UTC) + timedelta(seconds=1))
    assert upkeep.snapshots_after < upkeep.snapshots_before
    with connect_lake(lake, read_only=True) as conn:
        rows = conn.execute("SELECT count(*) FROM news_lake.history.batches").fetchall()
    assert rows == [(6,)]


def test_the_lake_maintain_command(lake: LakeTarget) -> None:
    import subprocess
    import sys

    with connect_lake(lake):
        pass
    done = subprocess.run(
        [sys.executable, "-m", "flows.app.cli", "lake-maintain", "--keep-days", "0",
         "--warehouse", f"ducklake:postgres:{lake.dsn}"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("snapshots ")
    missing = subprocess.run(
        [sys.executable, "-m", "flows.app.cli", "lake-maintain"],
        capture_output=True, text=True, timeout=120, check=False,
        env={k: v for k, v in __import__("os").environ.items() if k != "NEWS_INGEST_WAREHOUSE"},
    )  # fmt: skip
    assert missing.returncode == 2
