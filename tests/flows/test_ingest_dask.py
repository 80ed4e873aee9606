"""The ingest flow with the Dask engine, on a real LocalCluster and a real Prefect test server.

The same pages give the same stored rows as the local pool; a worker SIGKILLed
mid-batch loses and doubles nothing; a page over its time limit on a worker is
a reject row and the run goes on; reextract runs on the cluster too; an
unreachable scheduler is one line and a non-zero exit with nothing stored;
``news-ingest worker`` starts a worker the engine can use.
"""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from distributed import Client, LocalCluster

from flows.app.cli import main
from flows.pipeline.progress import LogProgress, installed
from tests.daskcluster import kill_worker, local_cluster, worker_pids
from tests.flows.test_warc_ingest import article_html, warc_sources
from tests.helpers import WORDS, files_sources, query, run
from tests.prefectserver import free_port, stop_process
from tests.warcgen import http_block, warc_record, write_warc

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]

# What a run stores of an article, without the run's ids and clock times.
VERSIONS = "SELECT * EXCLUDE (run_id) FROM store.article_versions ORDER BY article_id, version_no"
ARTICLES = (
    "SELECT * EXCLUDE (first_seen_at, last_seen_at, first_run_id, last_run_id) "
    "FROM store.articles ORDER BY article_id"
)


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with local_cluster(2) as running:
        yield running


def stored(report: Any) -> int:
    """Articles a run stored (new ones and exact or near duplicates of another)."""
    counts = report.sources[0].counts
    return int(counts.new + counts.duplicates)


def dask_options(cluster: LocalCluster) -> dict[str, Any]:
    return {"engine": "dask", "scheduler": cluster.scheduler_address}


class Tally(LogProgress):
    """Progress that also adds up what each stage was told."""

    def __init__(self) -> None:
        super().__init__()
        self.totals: dict[tuple[str, str], int] = {}

    def advance(self, source: str, stage: str, amount: int = 1) -> None:
        super().advance(source, stage, amount)
        self.totals[source, stage] = self.totals.get((source, stage), 0) + amount


def test_the_same_pages_store_the_same_rows_and_report_the_same_as_with_the_local_pool(
    tmp_path: Path, cluster: LocalCluster
) -> None:
    sources = files_sources(tmp_path, 60, pipeline="batch_size = 25\nworkers = 2\n")
    local, dask = tmp_path / "local.duckdb", tmp_path / "dask.duckdb"

    dask_progress, local_progress = Tally(), Tally()
    with installed(dask_progress):
        on_dask = run(sources, dask, **dask_options(cluster))
    with installed(local_progress):
        on_local = run(sources, local)

    assert on_dask.status == "completed"
    assert stored(on_dask) == 60
    assert on_dask.sources == on_local.sources  # the run summary
    assert dask_progress.totals == local_progress.totals  # the progress bars
    assert query(dask, VERSIONS) == query(local, VERSIONS)
    assert query(dask, ARTICLES) == query(local, ARTICLES)
    assert query(dask, "SELECT count(*) FROM store.rejects") == [(0,)]


def long_article(index: int) -> str:
    """A page that takes a worker a few tenths of a second: long enough to be killed mid-way."""
    rng = random.Random(index)
    paragraphs = "".join(
        f"<p>{' '.join(rng.choice(WORDS) for _ in range(30))} Part {index}.{n}.</p>"
        for n in range(600)
    )
    return f"<html><head><title>Long {index}</title></head><body><article>{paragraphs}</article></body></html>"


class KillDuringSecondBatch(LogProgress):
    """Once the first batch is stored, SIGKILL a worker as soon as it runs a chunk."""

    def __init__(self, address: str) -> None:
        super().__init__()
        self.address = address
        self.killed: list[int] = []
        self._watcher: threading.Thread | None = None

    def advance(self, source: str, stage: str, amount: int = 1) -> None:
        super().advance(source, stage, amount)
        if stage == "stored" and self._watcher is None:
            self._watcher = threading.Thread(target=self._kill_when_busy, daemon=True)
            self._watcher.start()

    def _kill_when_busy(self) -> None:
        pids = worker_pids(self.address)
        with Client(self.address, timeout=30) as client:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                busy = [w for w, keys in client.processing().items() if keys]
                if busy:
                    kill_worker(pids[busy[0]])
                    self.killed.append(pids[busy[0]])
                    return
                time.sleep(0.01)


def test_a_worker_killed_mid_batch_loses_and_doubles_nothing(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for index in range(30):
        (docs / f"{index:03d}.html").write_text(long_article(index), encoding="utf-8")
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[pipeline]\nbatch_size = 10\n[[sources]]\nname = "folder"\nkind = "files"\npath = "docs"\n',
        encoding="utf-8",
    )
    db = tmp_path / "news.duckdb"

    with local_cluster(2) as cluster:
        killer = KillDuringSecondBatch(cluster.scheduler_address)
        with installed(killer):
            report = run(sources, db, **dask_options(cluster))

    assert killer.killed, "no worker was killed"
    assert report.status == "completed"
    assert stored(report) == 30
    assert query(db, "SELECT count(*), count(DISTINCT location) FROM store.article_versions") == [
        (30, 30)
    ]
    assert query(db, "SELECT count(*) FROM store.rejects") == [(0,)]


def slow_page() -> str:
    """A page whose extraction takes several seconds: over a one-second limit."""
    blocks = "".join(
        f"<div><p>Paragraph {i} of the harbour council budget story.</p>"
        f"<table><tr><td>cell {i}</td></tr></table></div>"
        for i in range(40_000)
    )
    return f"<html><head><title>Slow</title></head><body><article>{blocks}</article></body></html>"


def test_a_page_over_its_time_limit_on_a_worker_is_a_timeout_reject(
    tmp_path: Path, cluster: LocalCluster
) -> None:
    sources = files_sources(tmp_path, 6, pipeline="extraction_timeout = 1.0\n")
    (tmp_path / "docs" / "slow.html").write_text(slow_page(), encoding="utf-8")
    db = tmp_path / "news.duckdb"

    started = time.monotonic()
    report = run(sources, db, **dask_options(cluster))
    elapsed = time.monotonic() - started

    assert report.status == "completed"
    assert stored(report) == 6
    rejects = query(db, "SELECT location, reason, detail FROM store.rejects")
    assert len(rejects) == 1
    location, reason, detail = rejects[0]
    assert location.endswith("slow.html")
    assert (reason, detail) == ("extraction_timeout", "extraction took longer than 1 s")
    assert elapsed < 30


def test_reextract_runs_on_the_cluster(tmp_path: Path, cluster: LocalCluster) -> None:
    """Captured pages cleaned again on the workers: the same output, so no new version."""
    archive = tmp_path / "pages.warc.gz"
    write_warc(
        archive,
        [
            warc_record(f"https://news.example/{topic}", http_block(article_html(topic)))
            for topic in ("harbour", "railway", "library", "stadium")
        ],
    )
    db = tmp_path / "news.duckdb"
    assert run(warc_sources(tmp_path, [archive]), db).status == "completed"

    code = main(
        ["reextract", "--db", str(db), "--engine", "dask", "--scheduler", cluster.scheduler_address]
    )

    assert code == 0
    assert query(
        db,
        "SELECT found, new, updated, unchanged, rejected FROM store.run_sources WHERE kind = 'reextract'",
    ) == [(4, 0, 0, 4, 0)]


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flows.app.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_an_unreachable_scheduler_is_one_line_and_stores_nothing(tmp_path: Path) -> None:
    sources = files_sources(tmp_path, 3)
    db = tmp_path / "news.duckdb"
    address = f"tcp://127.0.0.1:{free_port()}"

    done = cli(
        "run",
        "--sources",
        str(sources),
        "--db",
        str(db),
        "--engine",
        "dask",
        "--scheduler",
        address,
    )

    assert done.returncode == 1
    assert done.stderr.startswith(f"news-ingest: cannot reach the Dask scheduler at {address}: ")
    assert done.stderr.count("\n") == 1
    assert not db.exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--scheduler", "tcp://127.0.0.1:8786"],
            "--scheduler is the Dask scheduler's address: it needs --engine dask",
        ),
        (["--engine", "dask"], 'engine "dask" needs the scheduler\'s address'),
    ],
)
def test_engine_options_that_do_not_fit_are_usage_errors(
    tmp_path: Path, options: list[str], message: str
) -> None:
    sources = files_sources(tmp_path, 1)

    done = cli("run", "--sources", str(sources), "--db", str(tmp_path / "n.duckdb"), *options)

    assert done.returncode == 2
    assert message in done.stderr


def test_the_worker_command_starts_a_worker_the_engine_can_use(tmp_path: Path) -> None:
    sources = files_sources(tmp_path, 8)
    db = tmp_path / "news.duckdb"
    with local_cluster(0) as scheduler:
        address = scheduler.scheduler_address
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flows.app.cli",
                "worker",
                "--scheduler",
                address,
                "--nthreads",
                "1",
            ],
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            report = run(sources, db, engine="dask", scheduler=address)
        finally:
            stop_process(worker)
        assert worker.stderr is not None
        said = worker.stderr.read().decode()

    assert report.status == "completed"
    assert stored(report) == 8
    assert said.startswith(f"news-ingest worker: 1 extraction process(es) for {address}, build ")


def test_the_worker_command_says_so_when_the_scheduler_does_not_answer() -> None:
    address = f"tcp://127.0.0.1:{free_port()}"

    done = cli("worker", "--scheduler", address)

    assert done.returncode == 1
    assert (
        done.stderr
        == f"news-ingest: cannot reach the Dask scheduler at {address}: "
        + done.stderr.split(": ", 2)[2]
    )
    assert done.stderr.count("\n") == 1
