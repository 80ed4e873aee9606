"""Near-duplicate index lookup cost per article at 10k vs 1M stored articles (figure e).

A DuckDB file is filled quickly through Arrow with the LSH band rows of N
synthetic articles (``bands`` rows each: band number, signed 64-bit band key,
article id; keys are uniform like xxh3 band keys, and 5 % of the articles are
near-copies that share a quarter of their bands with an earlier one, so
lookups find candidates). Then batches of ``batch`` query articles are looked
up and the time per article is reported (median over batches, after one
untimed warm-up batch; the first, cold lookup after opening is reported
separately, since DuckDB loads indexes on first touch).

Strategies:

- ``pipeline``: the warehouse's own index and lookup: ``store.story_bands``
  (created by the migrations, ART index on the key) filled through Arrow, and
  ``warehouse.stories.find_band_matches`` with every band key of a batch;
- ``join``: reference, a plain table and an Arrow hash join (scans the table);
- ``in-list``: reference, an ART index on the key and a constant IN list
  (``--art``; building the index at 1M takes about a minute and 3 GB).

    python -m bench.lsh_index [--sizes 10000,1000000] [--strategies join,pipeline] [--art]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

__all__ = [
    "LookupResult",
    "build_pipeline",
    "build_reference",
    "measure",
    "query_batches",
]

BANDS = 40  # flows.dedupe.config.DEFAULT_CONFIG.bands
CHUNK_ARTICLES = 250_000
NEAR_COPY_SHARE = 0.05


@dataclass(frozen=True, slots=True)
class LookupResult:
    """Lookup cost of one strategy at one index size."""

    strategy: str
    articles: int
    band_rows: int
    build_seconds: float
    file_mib: float
    open_seconds: float
    cold_batch_ms: float  # first lookup after opening the file
    per_article_ms: float  # median over warm batches
    per_article_ms_min: float
    per_article_ms_max: float
    batch: int
    candidates_per_article: float


def _band_chunks(articles: int, bands: int, seed: int) -> Iterator[pa.Table]:
    """(band, key, article_id) rows for ``articles`` articles, in Arrow chunks."""
    rng = np.random.default_rng(seed)
    for first in range(0, articles, CHUNK_ARTICLES):
        count = min(CHUNK_ARTICLES, articles - first)
        keys = rng.integers(-(2**63), 2**63 - 1, size=(count, bands), dtype=np.int64)
        copies = np.flatnonzero(rng.random(count) < NEAR_COPY_SHARE)
        copies = copies[copies > 0]
        if copies.size:
            # A near-copy shares a quarter of its bands with an earlier article of the chunk.
            sources = rng.integers(0, copies, dtype=np.int64)
            shared = rng.random((copies.size, bands)) < 0.25
            keys[copies] = np.where(shared, keys[sources], keys[copies])
        yield pa.table(
            {
                "band": np.tile(np.arange(bands, dtype=np.int16), count),
                "key": keys.reshape(-1),
                "article_id": np.repeat(np.arange(first, first + count, dtype=np.int64), bands),
            }
        )


def query_batches(
    conn: duckdb.DuckDBPyConnection, table: str, *, batch: int, count: int, seed: int
) -> list[np.ndarray]:
    """``count`` batches of (batch x BANDS) query keys; a fifth of the articles hit stored ones."""
    rng = np.random.default_rng(seed)
    stored = conn.execute(f"SELECT key FROM {table} USING SAMPLE 5000 ROWS").fetchnumpy()["key"]
    batches = []
    for _ in range(count):
        keys = rng.integers(-(2**63), 2**63 - 1, size=(batch, BANDS), dtype=np.int64)
        hits = rng.random(batch) < 0.2
        keys[hits, : BANDS // 4] = rng.choice(stored, size=(int(hits.sum()), BANDS // 4))
        batches.append(keys)
    return batches


def build_reference(path: Path, articles: int, *, art: bool, seed: int = 1) -> float:
    """Fill ``bench_bands`` with ``articles`` articles' band rows; return the seconds it took."""
    started = time.perf_counter()
    with duckdb.connect(str(path)) as conn:
        conn.execute("SET enable_progress_bar = false")
        conn.execute("CREATE TABLE bench_bands (band SMALLINT, key BIGINT, article_id BIGINT)")
        for chunk in _band_chunks(articles, BANDS, seed):
            conn.register("__chunk", chunk)
            conn.execute("INSERT INTO bench_bands SELECT * FROM __chunk")
            conn.unregister("__chunk")
        if art:
            conn.execute("CREATE INDEX bench_bands_key ON bench_bands (key)")
        conn.execute("CHECKPOINT")
    return time.perf_counter() - started


def _join(conn: duckdb.DuckDBPyConnection, keys: np.ndarray) -> int:
    count = keys.shape[0]
    query = pa.table(
        {
            "qid": np.repeat(np.arange(count, dtype=np.int64), BANDS),
            "band": np.tile(np.arange(BANDS, dtype=np.int16), count),
            "key": keys.reshape(-1),
        }
    )
    conn.register("__query", query)
    try:
        rows = conn.execute(
            "SELECT DISTINCT q.qid, b.article_id FROM __query q "
            "JOIN bench_bands b ON b.key = q.key AND b.band = q.band"
        ).fetchall()
    finally:
        conn.unregister("__query")
    return len(rows)


def _in_list(conn: duckdb.DuckDBPyConnection, keys: np.ndarray) -> int:
    # Integers from numpy only: the list is built from int() values, never from input text.
    values = ",".join(str(int(k)) for k in keys.reshape(-1))
    rows = conn.execute(
        f"SELECT band, key, article_id FROM bench_bands WHERE key IN ({values})"
    ).fetchall()
    return len(rows)


Lookup = Callable[[duckdb.DuckDBPyConnection, np.ndarray], int]


def build_pipeline(path: Path, articles: int, *, seed: int = 1) -> float:
    """Fill the warehouse's own index (``store.story_bands``) with ``articles`` articles' keys.

    The warehouse is created by its migrations; the ART index is dropped for
    the bulk load and created again with the migration's own statement.
    """
    from warehouse.connection import connect

    started = time.perf_counter()
    with connect(path) as conn:
        conn.execute("SET enable_progress_bar = false")
        conn.execute("DROP INDEX IF EXISTS store.story_bands_key")
        for chunk in _band_chunks(articles, BANDS, seed):
            conn.register("__chunk", chunk)
            conn.execute("INSERT INTO store.story_bands SELECT key, article_id FROM __chunk")
            conn.unregister("__chunk")
        conn.execute("CREATE INDEX story_bands_key ON store.story_bands (key)")
        conn.execute("CHECKPOINT")
    return time.perf_counter() - started


def _pipeline(conn: duckdb.DuckDBPyConnection, keys: np.ndarray) -> int:
    from warehouse.stories import find_band_matches

    return len(find_band_matches(conn, keys.reshape(-1).tolist()))


def measure(
    strategy: str,
    articles: int,
    *,
    folder: Path,
    batch: int = 200,
    batches: int = 12,
    art: bool = False,
) -> LookupResult:
    """Build an index of ``articles`` articles and time lookups of ``batch``-article batches."""
    path = folder / f"lsh-{strategy}-{articles}.duckdb"
    path.unlink(missing_ok=True)
    lookup: Lookup
    if strategy == "pipeline":
        build, lookup, table = build_pipeline(path, articles), _pipeline, "store.story_bands"
    else:
        lookup = _in_list if strategy == "in-list" else _join
        build = build_reference(path, articles, art=art or strategy == "in-list")
        table = "bench_bands"
    started = time.perf_counter()
    with _open(path, pipeline=strategy == "pipeline") as conn:
        conn.execute("SET enable_progress_bar = false")
        opened = time.perf_counter() - started
        queries = query_batches(conn, table, batch=batch, count=batches + 1, seed=99)
        start = time.perf_counter()
        lookup(conn, queries[0])
        cold = time.perf_counter() - start
        times, found = [], 0
        for keys in queries[1:]:
            start = time.perf_counter()
            found += lookup(conn, keys)
            times.append((time.perf_counter() - start) * 1000 / batch)
    size = path.stat().st_size / 2**20
    path.unlink(missing_ok=True)
    return LookupResult(
        strategy=strategy,
        articles=articles,
        band_rows=articles * BANDS,
        build_seconds=round(build, 2),
        file_mib=round(size, 1),
        open_seconds=round(opened, 3),
        cold_batch_ms=round(cold * 1000, 1),
        per_article_ms=round(statistics.median(times), 4),
        per_article_ms_min=round(min(times), 4),
        per_article_ms_max=round(max(times), 4),
        batch=batch,
        candidates_per_article=round(found / (batch * len(times)), 2),
    )


@contextmanager
def _open(path: Path, *, pipeline: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse's own connect() for its index, a plain connection otherwise."""
    if pipeline:
        from warehouse.connection import connect

        with connect(path) as conn:
            yield conn
        return
    with duckdb.connect(str(path)) as conn:
        yield conn


def run(
    sizes: list[int], strategies: list[str], *, folder: Path, art: bool = False
) -> dict[str, Any]:
    """Every strategy at every size, with the ratio of the largest to the smallest size."""
    results: dict[str, Any] = {"strategies": {}, "notes": []}
    for strategy in strategies:
        rows = [asdict(measure(strategy, n, folder=folder, art=art)) for n in sizes]
        small, large = rows[0], rows[-1]
        ratio = None
        if small["per_article_ms"]:
            ratio = round(large["per_article_ms"] / small["per_article_ms"], 2)
        else:
            # A zero time (below the rounding) gives no ratio: never count that as a pass.
            results["notes"].append(f"{strategy}: lookup at {small['articles']} articles timed 0")
        results["strategies"][strategy] = {"sizes": rows, "ratio": ratio}
    return results


def _main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--strategies", default="pipeline,join")
    parser.add_argument("--art", action="store_true", help="add an ART index (in-list strategy)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="lsh-bench-") as folder:
        results = run(sizes, args.strategies.split(","), folder=Path(folder), art=args.art)
    for note in results["notes"]:
        print("note:", note)
    for name, data in results["strategies"].items():
        for row in data["sizes"]:
            print(
                f"{name:>9} {row['articles']:>9} articles: {row['per_article_ms']:.3f} ms/article "
                f"(cold batch {row['cold_batch_ms']:.0f} ms, build {row['build_seconds']:.1f} s, "
                f"{row['file_mib']:.0f} MiB)"
            )
        ratio = "not measured" if data["ratio"] is None else f"{data['ratio']:.1f}"
        print(f"{name:>9} ratio largest/smallest: {ratio}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
