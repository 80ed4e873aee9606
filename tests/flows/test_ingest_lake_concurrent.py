"""Two `news-ingest run` processes over overlapping sources, started together, into one lake.

Every article is stored once and every story once; a reader polling the
lake meanwhile never sees a count go down or an article without all its
versions (a partial batch).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.flows.lakehelpers import assert_consistent, finish, sources_over, start_lake_run
from tests.prefectserver import PrefectServer
from warehouse.lake.connection import connect_lake
from warehouse.lake.target import LakeTarget

pytestmark = pytest.mark.slow


def poll(target: LakeTarget, stop: threading.Event, seen: list[tuple[int, int, int]]) -> None:
    """Record (articles, versions, articles whose versions have a gap) until ``stop``."""
    with connect_lake(target, read_only=True) as conn:
        while not stop.is_set():
            row = conn.execute(
                "SELECT (SELECT count(*) FROM news_lake.main.articles), "
                "(SELECT count(*) FROM news_lake.main.article_versions), "
                "(SELECT count(*) FROM news_lake.main.articles a WHERE a.version_count <> "
                " (SELECT count(*) FROM news_lake.main.article_versions v "
                "  WHERE v.article_id = a.article_id))"
            ).fetchone()
            assert row is not None
            seen.append((int(row[0]), int(row[1]), int(row[2])))
            time.sleep(0.05)


def test_two_runs_over_overlapping_sources_store_every_article_and_story_once(
    tmp_path: Path, lake: LakeTarget, prefect_server: PrefectServer
) -> None:
    first = sources_over(tmp_path, "first", range(40))
    second = sources_over(tmp_path, "second", range(20, 60))
    with connect_lake(lake):
        pass  # created up front, so the reader can attach it from the first moment
    stop = threading.Event()
    seen: list[tuple[int, int, int]] = []
    reader = threading.Thread(target=poll, args=(lake, stop, seen))
    reader.start()
    try:
        runs = [start_lake_run(s, lake, prefect_server.env) for s in (first, second)]
        outputs = [finish(r) for r in runs]
    finally:
        stop.set()
        reader.join(timeout=60)

    assert all("completed" in o for o in outputs)
    assert_consistent(lake, 60)
    counts = [(a, v) for a, v, _ in seen]
    assert counts == sorted(counts), "a count went down"
    assert all(gaps == 0 for _, _, gaps in seen), "a partial batch was visible"
    assert len(set(counts)) > 2, "the reader saw no batch land while the runs wrote"
