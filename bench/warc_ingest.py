"""WARC ingest throughput through the real pipeline, against bare extraction of the same records.

Builds a WARC.gz of ``--records`` page responses in a temporary folder (never
in the repository) with :class:`connectors.capture.WarcCapture`: the real
pages of ``--corpus`` (the fundus corpus layout: ``<cc>/*.html.gz`` with the
URL and crawl date in ``<cc>/meta.info``), cycled under distinct URLs when
more records than pages are asked for, or synthetic pages without a corpus.
Then, side by side in one run:

- ``pipeline``: ``news-ingest run`` (a subprocess, its own Prefect home) over
  a ``warc`` source into a fresh DuckDB file, with ``--workers`` extraction
  processes. ``body`` is the run's own duration as the warehouse records it
  (runs.started_at to finished_at: WARC reading, extraction, fingerprints,
  dedupe, storage, search index), ``wall`` adds interpreter and Prefect start;
- ``bare``: the same records, read from the same WARC beforehand, cleaned by
  trafilatura alone with the pipeline's call and options
  (``flows.clean._extract``) in ``--workers`` spawned processes: ``cold``
  includes starting the processes (as the run's body does), ``warm`` is a
  second pass through the started pool. A third pass times the pipeline's
  whole worker step (``flows.workers.process_document``: cleaning with page
  metadata plus dedupe features), to tell worker work from orchestration.

Prints the figures and the ratio (pipeline body pages/s over bare pages/s)
and writes them as JSON (default ``bench/results/warc_ingest.json``).

    .venv/bin/python -m bench.warc_ingest [--corpus /work/shared/corpus/fundus]
        [--records N] [--workers 2] [--json PATH]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import itertools
import json
import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from connectors.base import RawDocument
from connectors.capture import WarcCapture
from connectors.warc import WarcSource

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_JSON = ROOT / "bench" / "results" / "warc_ingest.json"
CHUNK = 8  # pages per task handed to a bare worker


@dataclass(frozen=True, slots=True)
class Page:
    """One page to archive: its URL, crawl time and raw bytes."""

    url: str
    fetched_at: datetime
    body: bytes


# --------------------------------------------------------------------------- the archive


def corpus_pages(corpus: Path) -> list[Page]:
    """The corpus's pages with their real URLs and crawl dates (fundus layout)."""
    pages = []
    for meta_file in sorted(corpus.rglob("meta.info")):
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        for name, info in sorted(meta.items()):
            path = meta_file.parent / name
            if not path.exists():
                continue
            crawled = datetime.fromisoformat(info["crawl_date"]).replace(tzinfo=UTC)
            pages.append(Page(info["url"], crawled, gzip.decompress(path.read_bytes())))
    return pages


def synthetic_pages(count: int) -> list[Page]:
    """Article-shaped pages with distinct text (about 25 KB each)."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    pages = []
    for n in range(count):
        words = [hashlib.sha1(f"{n}:{i}".encode()).hexdigest()[:7] for i in range(3000)]
        paragraphs = "".join(
            f"<p>{' '.join(words[i : i + 60])}.</p>" for i in range(0, len(words), 60)
        )
        body = (
            f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Story {n}</title>"
            f"</head><body><nav>Home | News | Sport</nav><article><h1>Story {n}</h1>{paragraphs}"
            "</article><footer>Contact</footer></body></html>"
        ).encode()
        pages.append(Page(f"https://bench.example/story/{n}", start + timedelta(seconds=n), body))
    return pages


def records(pages: list[Page], count: int) -> list[Page]:
    """``count`` records cycling through the pages; repeats get distinct URLs (new articles)."""
    out = []
    for n, page in zip(range(count), itertools.cycle(pages), strict=False):
        copy = n // len(pages)
        joiner = "&" if "?" in page.url else "?"
        out.append(
            Page(
                f"{page.url}{joiner}bench_copy={copy}",
                page.fetched_at + timedelta(seconds=copy),
                page.body,
            )
            if copy
            else page
        )
    return out


def write_archive(folder: Path, pages: list[Page]) -> Path:
    """One WARC.gz holding every page as a response record, written as the fetcher would."""
    with WarcCapture(directory=folder, prefix="bench", max_file_bytes=2**40) as capture:
        for page in pages:
            capture(
                url=page.url,
                status=200,
                headers=[("Content-Type", "text/html")],
                body=page.body,
                fetched_at=page.fetched_at,
            )
    (path,) = folder.glob("*.warc.gz")
    return path


def read_documents(path: Path) -> list[tuple[str, str]]:
    """(URL, decoded HTML) of every page record, as the pipeline's warc source reads them."""
    source = WarcSource(name="bench", paths=[str(path)])
    return [(d.location, d.content) for d in source.documents({}) if isinstance(d, RawDocument)]


# --------------------------------------------------------------------------- the pipeline


def run_pipeline(folder: Path, warc: Path, *, workers: int) -> dict[str, Any]:
    """``news-ingest run`` over a warc source into a fresh database; its figures."""
    sources = folder / "sources.toml"
    sources.write_text(
        f"[pipeline]\nworkers = {workers}\n"
        f'[[sources]]\nname = "warc"\nkind = "warc"\npaths = ["{warc}"]\n',
        encoding="utf-8",
    )
    database = folder / "db" / "news.duckdb"
    env = dict(os.environ)
    env.update(
        PREFECT_HOME=str(folder / "prefect"),  # its own server database, not the user's
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
        PREFECT_SERVER_LOGGING_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    command = [sys.executable, "-m", "flows.cli", "-v", "run", "--sources", str(sources)]
    command += ["--db", str(database)]
    began = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"news-ingest run failed ({done.returncode}):\n{done.stderr[-3000:]}")
    with duckdb.connect(str(database), read_only=True) as conn:
        body, status = conn.execute(
            "SELECT epoch(finished_at - started_at), status FROM store.runs"
        ).fetchone() or (0.0, "missing")
        counts = conn.execute(
            "SELECT found, new, duplicates, rejected FROM store.run_sources"
        ).fetchone() or (0, 0, 0, 0)
        texts = conn.execute("SELECT count(*) FROM store.article_versions").fetchone() or (0,)
    found, new, duplicates, rejected = counts
    index = re.search(r"search index: \d+ article\(s\) indexed .* in ([\d.]+) s", done.stderr)
    return {
        "status": status,
        "wall_seconds": round(wall, 2),
        "body_seconds": round(body, 2),
        "found": found,
        "new": new,
        "duplicates": duplicates,
        "rejected": rejected,
        "versions": texts[0],
        "search_index_seconds": float(index.group(1)) if index else None,  # part of the body
        "pages_per_second": round(found / body, 2) if body else 0.0,
        "pages_per_second_wall": round(found / wall, 2),
    }


# --------------------------------------------------------------------------- bare extraction


def _extract_chunk(chunk: list[tuple[str, str]]) -> int:
    """Extract each page with the pipeline's trafilatura call; count those with a text."""
    import trafilatura

    from flows import clean

    texts = 0
    for url, html in chunk:
        tree = trafilatura.load_html(html)
        result = clean._extract(tree, url) if tree is not None else None  # the very same call
        texts += bool(result is not None and result.text)
    return texts


def _worker_step_chunk(chunk: list[tuple[str, str]]) -> int:
    """Run the pipeline's whole worker step (cleaning, page metadata, dedupe features)."""
    from connectors.base import Media, Rejected
    from flows.workers import process_document

    texts = 0
    for url, html in chunk:
        doc = RawDocument(
            source="bench", location=url, url=url, content=html, media=Media.HTML,
            raw_hash="-", retrieved_at=datetime.now(UTC),
        )  # fmt: skip
        texts += not isinstance(process_document(doc), Rejected)
    return texts


def run_bare(documents: list[tuple[str, str]], *, workers: int) -> dict[str, Any]:
    """Bare extraction of the documents in ``workers`` spawned processes, cold then warm.

    A third pass times the pipeline's whole worker step (``worker_step``), which
    tells the extra work in the workers apart from the orchestration around them.
    """
    chunks = [documents[i : i + CHUNK] for i in range(0, len(documents), CHUNK)]
    context = multiprocessing.get_context("spawn")
    began = time.perf_counter()
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        texts = sum(pool.map(_extract_chunk, chunks))
        cold = time.perf_counter() - began
        began = time.perf_counter()
        sum(pool.map(_extract_chunk, chunks))
        warm = time.perf_counter() - began
        began = time.perf_counter()
        sum(pool.map(_worker_step_chunk, chunks))
        step = time.perf_counter() - began
    return {
        "cold_seconds": round(cold, 2),
        "warm_seconds": round(warm, 2),
        "worker_step_seconds": round(step, 2),
        "pages_per_second_cold": round(len(documents) / cold, 2),
        "pages_per_second_warm": round(len(documents) / warm, 2),
        "pages_per_second_worker_step": round(len(documents) / step, 2),
        "texts": texts,
    }


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    """Build the archive, run the pipeline and bare extraction, print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, help="fundus-layout folder of real pages")
    parser.add_argument("--records", type=int, help="records in the WARC (default: every page)")
    parser.add_argument("--workers", type=int, default=2, help="extraction processes (both)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write JSON")
    args = parser.parse_args(argv)

    pages = corpus_pages(args.corpus) if args.corpus else synthetic_pages(400)
    if not pages:
        print(f"no pages found under {args.corpus}", file=sys.stderr)
        return 1
    chosen = records(pages, args.records or len(pages))
    with tempfile.TemporaryDirectory(prefix="warc-ingest-bench-") as tmp:
        folder = Path(tmp)
        warc = write_archive(folder / "warcs", chosen)
        documents = read_documents(warc)
        archive = {
            "records": len(chosen),
            "page_documents": len(documents),
            "warc_gz_bytes": warc.stat().st_size,
            "html_bytes": sum(len(p.body) for p in chosen),
        }
        # Other processes share the cores: the load before each part is part of the figures.
        load = {"before_pipeline": os.getloadavg()[0]}
        pipeline = run_pipeline(folder, warc, workers=args.workers)
        load["before_bare"] = os.getloadavg()[0]
        bare = run_bare(documents, workers=args.workers)
        load["after_bare"] = os.getloadavg()[0]
    results = {
        "corpus": str(args.corpus) if args.corpus else "synthetic",
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "load_average_1min": {key: round(value, 2) for key, value in load.items()},
        "archive": archive,
        "pipeline": pipeline,
        "bare": bare,
        "ratio_vs_cold": round(pipeline["pages_per_second"] / bare["pages_per_second_cold"], 3),
        "ratio_vs_warm": round(pipeline["pages_per_second"] / bare["pages_per_second_warm"], 3),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    _print(results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {args.json}")
    return 0 if pipeline["status"] == "completed" else 1


def _print(results: dict[str, Any]) -> None:
    archive, pipeline, bare = results["archive"], results["pipeline"], results["bare"]
    print(
        f"WARC: {archive['records']} records ({archive['page_documents']} page documents), "
        f"{archive['warc_gz_bytes'] / 2**20:.1f} MiB gzipped, "
        f"{archive['html_bytes'] / 2**20:.1f} MiB of HTML; {results['workers']} worker(s)"
    )
    print(f"{'':24}{'seconds':>10}{'pages/s':>10}")
    print(
        f"{'pipeline (run body)':24}{pipeline['body_seconds']:>10}{pipeline['pages_per_second']:>10}"
    )
    print(
        f"{'pipeline (wall)':24}{pipeline['wall_seconds']:>10}{pipeline['pages_per_second_wall']:>10}"
    )
    print(
        f"{'bare trafilatura, cold':24}{bare['cold_seconds']:>10}{bare['pages_per_second_cold']:>10}"
    )
    print(
        f"{'bare trafilatura, warm':24}{bare['warm_seconds']:>10}{bare['pages_per_second_warm']:>10}"
    )
    print(
        f"{'worker step alone, warm':24}{bare['worker_step_seconds']:>10}"
        f"{bare['pages_per_second_worker_step']:>10}"
    )
    print(
        f"ratio pipeline/bare: {results['ratio_vs_cold']} (cold), {results['ratio_vs_warm']} (warm)"
    )
    print(f"search index refresh inside the run body: {pipeline['search_index_seconds']} s")
    print(f"1-minute load average: {results['load_average_1min']} on {results['cpus']} CPUs")
    print(
        f"pipeline stored: new {pipeline['new']}, duplicates {pipeline['duplicates']}, "
        f"rejected {pipeline['rejected']} of {pipeline['found']}; bare texts {bare['texts']}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
