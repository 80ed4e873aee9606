"""The lake's search ranking at N synthetic articles: milliseconds per query (docs/lake.md#search).

    eval "$(scripts/postgres.sh start)"
    .venv/bin/python -m bench.lake_search --articles 1000000 \
        --dsn "dbname=news host=$PGHOST port=$PGPORT user=$PGUSER"

Fills a fresh ``store`` schema (``warehouse/lake/state.sql``; the schema is dropped
first: use a throwaway database) in SQL: N articles of one published version, 40
postings each over a Zipf-like vocabulary of 50,000 terms (term k in about 1/k of the
articles), then times the CLI's ranking query (``warehouse.lake.search``: BM25,
filters, visibility, limit 10) for a rare, a medium and a very common pair of terms.
"""

from __future__ import annotations

import argparse
import time
from importlib import resources

import psycopg

from warehouse.lake import search as lake_search

RUN = "00000000-0000-0000-0000-000000000001"
BATCH = "00000000-0000-0000-0000-000000000002"
QUERIES = {"rare": ["t20000", "t30000"], "medium": ["t500", "t900"], "common": ["t5", "t7"]}

_FILL = f"""
INSERT INTO store.search_dictionary (term) SELECT 't' || g FROM generate_series(1, 50000) g;
INSERT INTO store.search_docs SELECT a, 1, 60, now() FROM generate_series(1, %(n)s) a;
INSERT INTO store.search_postings (term_id, article_id, tf)
SELECT DISTINCT ON (term, a) term, a, 1 + (a %% 3) FROM (
    SELECT a, least(50000, greatest(1, floor(exp(random() * ln(50000)))::int)) AS term
    FROM generate_series(1, %(n)s) a, generate_series(1, 40) k) s;
INSERT INTO store.runs VALUES ('{RUN}', NULL, now(), now(), 'completed', NULL, NULL, NULL);
INSERT INTO store.lake_batches VALUES ('{BATCH}', now(), now());
INSERT INTO store.articles SELECT a, 'https://example.org/' || a, 'example.org', 'wire', a, 1,
    now(), now(), '{RUN}', '{RUN}' FROM generate_series(1, %(n)s) a;
INSERT INTO store.article_versions (article_id, version_no, run_id, source, retrieved_at,
    location, text, word_count, version_hash, content_hash, raw_hash, extractor, batch_id)
SELECT a, 1, '{RUN}', 'wire', now(), 'x', '', 1, 'h', 'h', 'h', 'e', '{BATCH}'
FROM generate_series(1, %(n)s) a
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--dsn", required=True, help="a throwaway database (store is dropped)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with psycopg.connect(args.dsn, autocommit=True) as pg:
        started = time.perf_counter()
        pg.execute("DROP SCHEMA IF EXISTS store CASCADE")
        pg.execute((resources.files("warehouse.lake") / "state.sql").read_text().encode())
        for statement in _FILL.split(";\n"):
            pg.execute(statement.encode(), {"n": args.articles})
        pg.execute("ANALYZE")
        print(f"{args.articles} articles indexed in {time.perf_counter() - started:.0f} s")
        for name, terms in QUERIES.items():
            params = {"terms": terms, "source": None, "since": None, "limit": 10}
            pg.execute(lake_search.RANK, params).fetchall()  # warm
            started = time.perf_counter()
            for _ in range(args.repeat):
                pg.execute(lake_search.RANK, params).fetchall()
            took = (time.perf_counter() - started) / args.repeat * 1000
            matching = pg.execute(
                "SELECT count(*) FROM store.search_articles(%s)", (terms,)
            ).fetchone()
            print(f"{name:<7} {took:9.1f} ms  ({matching[0] if matching else 0} matching)")


if __name__ == "__main__":
    main()
