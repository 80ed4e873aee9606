"""Story quality through the real pipeline: `news-ingest run` into DuckDB, then pairwise P/R.

Builds the same evaluation corpus as :mod:`bench.dedupe_quality` (every real
page of a fundus-style corpus, a syndicated copy on another site with other
chrome and edits, refetches under URL variants), writes it as JSONL records
(``url`` + ``html``), ingests it with the real CLI (clean in the process pool,
fingerprint, LSH index lookups in DuckDB, verification, clustering), and
reads each document's story back through ``url_aliases``. It runs twice, with
the records in opposite orders, to check that the partition does not depend
on the order. Figures: pairwise precision and recall over documents, and the
run's wall time per document.

Usage::

    .venv/bin/python -m bench.dedupe_pipeline --corpus /work/shared/corpus/fundus [--heavy] [--out F]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

from bench.corpus_sites import Doc, build_corpus, load_pages
from bench.dedupe_quality import extract, pair_metrics


def ingest(docs: list[Doc], folder: Path) -> tuple[dict[str, int], float]:
    """Run `news-ingest run` over the docs; return doc id -> story id, and the seconds taken."""
    folder.mkdir(parents=True)
    records = folder / "docs"
    records.mkdir()
    with (records / "corpus.jsonl").open("w", encoding="utf-8") as handle:
        for doc in docs:
            handle.write(json.dumps({"url": doc.url, "html": doc.html}) + "\n")
    sources = folder / "sources.toml"
    sources.write_text('[[sources]]\nname = "corpus"\nkind = "files"\npath = "docs"\n', "utf-8")
    db = folder / "news.duckdb"
    started = time.perf_counter()
    subprocess.run(
        [str(Path(sys.executable).with_name("news-ingest")), "run", "--sources", str(sources),
         "--db", str(db)],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    with duckdb.connect(str(db), read_only=True) as conn:
        story_of_url = dict(
            conn.execute(
                "SELECT u.url, a.story_id FROM store.url_aliases u "
                "JOIN store.articles a USING (article_id)"
            ).fetchall()
        )
    return {doc.doc_id: story_of_url[doc.url] for doc in docs if doc.url in story_of_url}, seconds


def partition(story_of: dict[str, int]) -> frozenset[frozenset[str]]:
    """Documents grouped by story."""
    groups: dict[int, set[str]] = {}
    for doc_id, story in story_of.items():
        groups.setdefault(story, set()).add(doc_id)
    return frozenset(frozenset(g) for g in groups.values())


def main(argv: list[str] | None = None) -> int:
    """Build the corpus, ingest it in two orders, print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--heavy", action="store_true", help="heavily edited copies")
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)

    pages = load_pages(args.corpus, extract)
    docs = build_corpus(pages, heavy=args.heavy, seed=args.seed)
    truth = {doc.doc_id: doc.group for doc in docs}
    with tempfile.TemporaryDirectory(prefix="dedupe-pipeline-") as tmp:
        forward, seconds = ingest(docs, Path(tmp) / "forward")
        backward, _ = ingest(docs[::-1], Path(tmp) / "backward")
    metrics = pair_metrics(partition(forward), {d: truth[d] for d in forward})
    report: dict[str, Any] = {
        "corpus": str(args.corpus),
        "variant": "heavy" if args.heavy else "light",
        "documents": len(docs),
        "documents_stored": len(forward),
        "precision": metrics["precision"],
        "recall": metrics["recall"],
        "true_pairs": metrics["true_pairs"],
        "predicted_pairs": metrics["predicted_pairs"],
        "false_pairs": metrics["false_pairs"],
        "missed_pairs": metrics["missed_pairs"],
        "order_independent": partition(forward) == partition(backward),
        "run_seconds": round(seconds, 1),
        "ms_per_document": round(1000 * seconds / len(docs), 1),
    }
    print(
        f"{report['variant']}: {len(docs)} documents, {len(forward)} stored; "
        f"precision {report['precision']:.4f}, recall {report['recall']:.4f} "
        f"({metrics['true_positive']}/{metrics['true_pairs']} true pairs, "
        f"{metrics['predicted_pairs']} predicted); order independent: "
        f"{report['order_independent']}; {report['run_seconds']} s "
        f"({report['ms_per_document']} ms/document incl. Prefect start-up)"
    )
    if args.out:
        args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
