"""Per-batch key lookups of storing a batch, at 10k vs 1M stored articles.

Storing a batch looks up, besides the LSH bands (:mod:`bench.lsh_index`), the
stored state of each fetched location, the articles owning each URL variant
(by identity key and by raw URL), the latest version of matched articles,
their stories, their stored story features and exact-text matches. This
benchmark fills a warehouse made by the migrations with N synthetic articles
(two URL variants, one url_state row, one version and one story-feature row
each, bulk-inserted in SQL with every index in place), then times those
lookups, done with the warehouse's own functions, for batches of ``batch``
articles (half stored, half new). Per article = median batch time / batch,
after one warm-up batch. The reference strategy runs the same lookups as
joins with a registered Arrow table, as the pipeline did before
:mod:`warehouse.keyed`.

    python -m bench.key_lookup [--sizes 10000,1000000] [--strategies pipeline,join]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

__all__ = ["KeyLookupResult", "measure", "run"]

_EPOCH = "TIMESTAMPTZ '2026-01-01 00:00:00+00'"
_RUN = "'00000000-0000-0000-0000-000000000001'::UUID"
_FILL = (
    f"INSERT INTO store.articles SELECT i, 'https://h' || (i % 50) || '.example/a/' || i, "
    f"'h' || (i % 50) || '.example', 'bench', i, 1, {_EPOCH}, {_EPOCH}, {_RUN}, {_RUN} "
    "FROM range(1, $n + 1) t(i)",
    f"INSERT INTO store.article_versions (article_id, version_no, run_id, source, retrieved_at, "
    "location, text, word_count, version_hash, content_hash, raw_hash, extractor) "
    f"SELECT i, 1, {_RUN}, 'bench', {_EPOCH}, 'https://h' || (i % 50) || '.example/a/' || i, "
    "'text', 1, md5('v' || i), md5('c' || i), md5('r' || i), 'bench' FROM range(1, $n + 1) t(i)",
    "INSERT INTO store.url_aliases SELECT 'https://h' || (i % 50) || '.example/a/' || i || v, "
    "'h' || (i % 50) || '.example/a/' || i || v, i, 'fetched', "
    f"{_EPOCH}, {_RUN} FROM range(1, $n + 1) t(i), (VALUES (''), ('?amp')) s(v)",
    "INSERT INTO store.url_state (location, source, raw_hash, article_id, last_seen_at, "
    "last_changed_at, kind) SELECT 'https://h' || (i % 50) || '.example/a/' || i, 'bench', "
    f"md5('r' || i), i, {_EPOCH}, {_EPOCH}, 'page' FROM range(1, $n + 1) t(i)",
    "INSERT INTO store.story_features SELECT i, 1, 'bench', ''::BLOB, '', '', 100, 100, "
    "md5('c' || i), true FROM range(1, $n + 1) t(i)",
)


@dataclass(frozen=True, slots=True)
class KeyLookupResult:
    """Lookup cost of one strategy at one warehouse size."""

    strategy: str
    articles: int
    build_seconds: float
    per_article_ms: float
    per_article_ms_min: float
    per_article_ms_max: float
    batch: int


Lookups = Callable[[duckdb.DuckDBPyConnection, list[int]], int]


def _pipeline(conn: duckdb.DuckDBPyConnection, ids: list[int]) -> int:
    from warehouse import lookups, stories

    locations = [_location(i) for i in ids]
    found = len(lookups.load_url_state(conn, locations))
    found += len(lookups.find_aliases(conn, [_key(i) + v for i in ids for v in ("", "?amp")]))
    found += len(lookups.known_alias_urls(conn, [_location(i) + "?amp" for i in ids]))
    found += len(lookups.latest_versions(conn, ids))
    found += len(stories.story_ids(conn, ids))
    found += len(stories.load_features(conn, ids, scheme="bench"))
    found += len(stories.find_content_matches(conn, [_content_hash(i) for i in ids]))
    return found


def _join(conn: duckdb.DuckDBPyConnection, ids: list[int]) -> int:
    def joined(sql: str, keys: list[Any], kind: pa.DataType) -> int:
        conn.register("__keys", pa.table({"key": pa.array(sorted(set(keys)), kind)}))
        try:
            return len(conn.execute(sql).fetchall())
        finally:
            conn.unregister("__keys")

    found = joined(
        "SELECT s.* FROM store.url_state s JOIN __keys k ON s.location = k.key",
        [_location(i) for i in ids],
        pa.string(),
    )
    found += joined(
        "SELECT a.identity_key, min(a.article_id) FROM store.url_aliases a "
        "JOIN __keys k ON a.identity_key = k.key GROUP BY 1",
        [_key(i) + v for i in ids for v in ("", "?amp")],
        pa.string(),
    )
    found += joined(
        "SELECT a.url FROM store.url_aliases a JOIN __keys k ON a.url = k.key",
        [_location(i) + "?amp" for i in ids],
        pa.string(),
    )
    found += joined(
        "SELECT a.article_id, v.version_hash FROM store.articles a JOIN store.article_versions v "
        "ON v.article_id = a.article_id AND v.version_no = a.version_count "
        "JOIN __keys k ON a.article_id = k.key",
        ids,
        pa.int64(),
    )
    found += joined(
        "SELECT a.article_id, a.story_id FROM store.articles a JOIN __keys k "
        "ON a.article_id = k.key",
        ids,
        pa.int64(),
    )
    found += joined(
        "SELECT s.* FROM store.story_features s JOIN __keys k ON s.article_id = k.key "
        "WHERE s.scheme = 'bench'",
        ids,
        pa.int64(),
    )
    found += joined(
        "SELECT DISTINCT s.content_hash, s.article_id FROM store.story_features s "
        "JOIN __keys k ON s.content_hash = k.key WHERE s.dedupable",
        [_content_hash(i) for i in ids],
        pa.string(),
    )
    return found


def _location(article_id: int) -> str:
    return f"https://h{article_id % 50}.example/a/{article_id}"


def _key(article_id: int) -> str:
    return f"h{article_id % 50}.example/a/{article_id}"


def _content_hash(article_id: int) -> str:
    return hashlib.md5(f"c{article_id}".encode()).hexdigest()  # as md5('c' || i) in _FILL


def build(path: Path, articles: int) -> float:
    """A warehouse made by the migrations, filled with ``articles`` synthetic articles."""
    from warehouse.connection import connect

    started = time.perf_counter()
    with connect(path) as conn:
        conn.execute("SET enable_progress_bar = false")
        for statement in _FILL:
            conn.execute(statement.replace("$n", str(int(articles))))
        conn.execute("CHECKPOINT")
    return time.perf_counter() - started


def measure(
    strategy: str, articles: int, *, folder: Path, batch: int = 200, batches: int = 12
) -> KeyLookupResult:
    """Build a warehouse of ``articles`` articles and time the lookups of one batch."""
    from warehouse.connection import connect

    path = folder / f"keys-{strategy}-{articles}.duckdb"
    path.unlink(missing_ok=True)
    built = build(path, articles)
    lookups: Lookups = _pipeline if strategy == "pipeline" else _join
    rng = random.Random(7)
    times = []
    with connect(path) as conn:
        for number in range(batches + 1):
            ids = [rng.randrange(1, 2 * articles) for _ in range(batch)]  # half are not stored
            started = time.perf_counter()
            lookups(conn, ids)
            if number:  # the first batch warms the indexes up
                times.append((time.perf_counter() - started) * 1000 / batch)
    path.unlink(missing_ok=True)
    return KeyLookupResult(
        strategy=strategy,
        articles=articles,
        build_seconds=round(built, 1),
        per_article_ms=round(statistics.median(times), 4),
        per_article_ms_min=round(min(times), 4),
        per_article_ms_max=round(max(times), 4),
        batch=batch,
    )


def run(sizes: list[int], strategies: list[str], *, folder: Path) -> dict[str, Any]:
    """Every strategy at every size, with the ratio of the largest to the smallest size."""
    results: dict[str, Any] = {}
    for strategy in strategies:
        rows = [asdict(measure(strategy, n, folder=folder)) for n in sizes]
        ratio = rows[-1]["per_article_ms"] / rows[0]["per_article_ms"]
        results[strategy] = {"sizes": rows, "ratio": round(ratio, 2)}
    return results


def _main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--strategies", default="pipeline,join")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="key-bench-") as folder:
        results = run(sizes, args.strategies.split(","), folder=Path(folder))
    for name, data in results.items():
        for row in data["sizes"]:
            print(
                f"{name:>9} {row['articles']:>9} articles: {row['per_article_ms']:.3f} ms/article "
                f"[{row['per_article_ms_min']:.3f}-{row['per_article_ms_max']:.3f}] "
                f"(build {row['build_seconds']:.0f} s)"
            )
        print(f"{name:>9} ratio largest/smallest: {data['ratio']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
