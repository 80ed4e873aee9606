"""Cost of keeping full-text search in step: incremental index vs the fts extension's rebuild.

Fills a freshly migrated warehouse with ``--articles`` synthetic articles
(``--words`` words each, Zipf-distributed over a 50,000-word vocabulary of
letter-only words, as the tokenizers keep), then measures:

- ``fts_rebuild``: ``PRAGMA create_fts_index`` over title and text (what a
  rebuild at the end of every run would cost);
- ``initial_index``: :func:`warehouse.search.refresh_index` over every article;
- ``refresh_new``: the refresh after a run that added ``--changed`` articles;
- ``refresh_edited``: the refresh after ``--changed`` articles got a new version;
- ``query``: median latency of ``search()`` for two-word queries.

Usage::

    .venv/bin/python -m bench.search_index [--articles 10000] [--words 400] [--changed 100]
"""

from __future__ import annotations

import argparse
import json
import statistics
import string
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from warehouse import search
from warehouse.connection import connect

VOCABULARY = 50_000


def word(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i, 26)
        out += string.ascii_lowercase[r]
    return out + "q"


def texts(count: int, words: int, seed: int) -> tuple[list[str], list[str]]:
    vocab = [word(i) for i in range(VOCABULARY)]
    rng = np.random.default_rng(seed)
    p = 1 / np.arange(1, VOCABULARY + 1)
    idx = rng.choice(VOCABULARY, size=(count, words), p=p / p.sum())
    bodies = [" ".join(vocab[j] for j in row) for row in idx]
    titles = [" ".join(vocab[j] for j in row[:8]) for row in idx]
    return titles, bodies


def insert(conn, first_id: int, titles: list[str], bodies: list[str], version: int = 1) -> None:
    n = len(titles)
    ids = list(range(first_id, first_id + n))
    table = pa.table({"article_id": ids, "title": titles, "text": bodies})
    conn.register("__bench", table)
    conn.execute(
        "INSERT INTO store.article_versions (article_id, version_no, run_id, source, retrieved_at, "
        "location, title, text, word_count, version_hash, content_hash, raw_hash, extractor) "
        "SELECT article_id, ?, uuid(), 'bench', now(), 'bench:' || article_id, title, text, 0, "
        "'v', 'c', 'r', 'bench' FROM __bench",
        [version],
    )
    if version == 1:
        conn.execute(
            "INSERT INTO store.articles SELECT article_id, 'https://bench/' || article_id, "
            "'bench', 'bench', article_id, 1, now(), now(), uuid(), uuid() FROM __bench"
        )
    else:
        conn.execute(
            "UPDATE store.articles SET version_count = ? "
            "WHERE article_id IN (SELECT article_id FROM __bench)",
            [version],
        )
    conn.unregister("__bench")


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--words", type=int, default=400)
    parser.add_argument("--changed", type=int, default=100)
    parser.add_argument("--no-fts", action="store_true", help="skip the fts extension rebuild")
    args = parser.parse_args()
    results: dict[str, float | int] = {"articles": args.articles, "words": args.words}
    with tempfile.TemporaryDirectory() as tmp, connect(Path(tmp) / "bench.duckdb") as conn:
        titles, bodies = texts(args.articles, args.words, seed=1)
        insert(conn, 1, titles, bodies)
        if not args.no_fts:
            conn.execute(
                "CREATE TABLE bench_docs AS SELECT v.article_id, v.title, v.text "
                "FROM store.article_versions v"
            )
            results["fts_rebuild_s"] = timed(
                lambda: conn.execute(
                    "PRAGMA create_fts_index('bench_docs', 'article_id', 'title', 'text', "
                    "overwrite = 1)"
                )
            )
        results["initial_index_s"] = timed(lambda: search.refresh_index(conn))
        more_titles, more_bodies = texts(args.changed, args.words, seed=2)
        insert(conn, args.articles + 1, more_titles, more_bodies)
        results["refresh_new_s"] = timed(lambda: search.refresh_index(conn))
        insert(conn, 1, more_titles, more_bodies, version=2)
        results["refresh_edited_s"] = timed(lambda: search.refresh_index(conn))
        rng = np.random.default_rng(3)
        latencies = []
        for _ in range(20):
            a, b = rng.integers(50, 5000, size=2)
            query = f"{word(int(a))} {word(int(b))}"
            latencies.append(timed(lambda q=query: search.search(conn, q)))
        results["query_median_s"] = statistics.median(latencies)
        postings = conn.execute("SELECT count(*) FROM store.search_postings").fetchone()
        results["postings"] = int(postings[0]) if postings else 0
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in results.items()}))


if __name__ == "__main__":
    main()
