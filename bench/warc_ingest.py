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
  (``flows.extract.clean._extract``) in ``--workers`` spawned processes: ``cold``
  includes starting the processes (as the run's body does), ``warm`` is a
  pass through processes started and warmed up beforehand. A third pass times
  the pipeline's whole worker step (``flows.pipeline.per_document.process_document``:
  cleaning with page metadata plus dedupe features), to tell worker work from
  orchestration. Every pass has fresh processes, so none reuses another's caches.

Other processes on the machine skew wall times: ``--repeat`` keeps the best
of several runs of each part, the bare passes also report worker CPU time per
page, and the load average before each part is recorded. Prints the figures
and the ratio (pipeline body pages/s over bare pages/s) and writes them as
JSON (default ``bench/results/warc_ingest.json``).

    .venv/bin/python -m bench.warc_ingest [--corpus /work/shared/corpus/fundus]
        [--records N] [--workers 2] [--repeat 1] [--json PATH]
"""

from __future__ import annotations

import argparse
import gzip
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

from bench import bare
from bench.pipeline import bench_env
from bench.warc_read import synthetic_page
from connectors.capture import WarcCapture
from connectors.records import RawDocument
from connectors.warc import WarcSource
from flows.extract.clean import text_of

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_JSON = ROOT / "bench" / "results" / "warc_ingest.json"


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
    return [
        Page(f"https://bench.example/story/{n}", start + timedelta(seconds=n), synthetic_page(n))
        for n in range(count)
    ]


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
    return [(d.location, text_of(d)) for d in source.documents({}) if isinstance(d, RawDocument)]


# --------------------------------------------------------------------------- the pipeline


def run_pipeline(folder: Path, warc: Path, *, workers: int) -> dict[str, Any]:
    """``news-ingest run`` over a warc source into a fresh database; its figures."""
    folder.mkdir(parents=True)
    sources = folder / "sources.toml"
    sources.write_text(
        f"[pipeline]\nworkers = {workers}\n"
        f'[[sources]]\nname = "warc"\nkind = "warc"\npaths = ["{warc}"]\n',
        encoding="utf-8",
    )
    database = folder / "db" / "news.duckdb"
    env = bench_env(folder / "prefect")  # its own server database, not the user's
    command = [sys.executable, "-m", "flows.app.cli", "-v", "run", "--sources", str(sources)]
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


def _extract_chunk(chunk: list[tuple[str, str]], mode: str) -> tuple[int, float]:
    """Extract each page as :mod:`bench.bare` does in ``mode``; (texts found, CPU seconds).

    ``trafilatura`` is the pipeline's own call and options (``flows.extract.clean._extract``),
    ``process`` its whole worker step (cleaning, page metadata, dedupe features).
    """
    began = time.process_time()
    texts = sum(bare._extract_one(html, url, mode) for url, html in chunk)
    return texts, time.process_time() - began


@dataclass(frozen=True, slots=True)
class _Pass:
    """One pass of fresh worker processes through the pages."""

    seconds: float  # wall time; process start included for a cold pass
    cpu_seconds: float  # summed over the workers, extraction only
    texts: int


def _one_pass(mode: str, chunks: list[list[tuple[str, str]]], workers: int, *, warm: bool) -> _Pass:
    """Time fresh worker processes going once through the chunks.

    Each pass has its own processes, so no pass profits from caches filled by
    another pass over the same pages (trafilatura and htmldate memoise).
    """
    context = multiprocessing.get_context("spawn")
    began = time.perf_counter()
    initializer = bare._warm if warm else None
    with ProcessPoolExecutor(workers, mp_context=context, initializer=initializer) as pool:
        if warm:
            list(pool.map(bare._ready, [0.5] * workers))
            began = time.perf_counter()
        results = list(pool.map(_extract_chunk, chunks, [mode] * len(chunks)))
        seconds = time.perf_counter() - began
    return _Pass(seconds, sum(cpu for _, cpu in results), sum(texts for texts, _ in results))


def run_bare(documents: list[tuple[str, str]], *, workers: int, repeat: int) -> dict[str, Any]:
    """Bare extraction of the documents in ``workers`` spawned processes: best of ``repeat``.

    ``cold`` starts its processes inside the clock (as the run's body does),
    ``warm`` has them started and warmed up first; ``worker_step`` times the
    pipeline's whole worker step, which tells the extra work in the workers
    apart from the orchestration around them.
    """
    chunks = [documents[i : i + bare.CHUNK] for i in range(0, len(documents), bare.CHUNK)]
    passes: dict[str, list[_Pass]] = {"cold": [], "warm": [], "worker_step": []}
    for _ in range(repeat):
        passes["cold"].append(_one_pass("trafilatura", chunks, workers, warm=False))
        passes["warm"].append(_one_pass("trafilatura", chunks, workers, warm=True))
        passes["worker_step"].append(_one_pass("process", chunks, workers, warm=True))
    figures: dict[str, Any] = {"texts": passes["cold"][0].texts}
    for name, runs in passes.items():
        best = min(runs, key=lambda p: p.seconds)
        figures[f"{name}_seconds"] = round(best.seconds, 2)
        figures[f"pages_per_second_{name}"] = round(len(documents) / best.seconds, 2)
        cpu = min(p.cpu_seconds for p in runs)
        figures[f"cpu_ms_per_page_{name}"] = round(cpu * 1000 / len(documents), 1)
    return figures


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    """Build the archive, run the pipeline and bare extraction, print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, help="fundus-layout folder of real pages")
    parser.add_argument("--records", type=int, help="records in the WARC (default: every page)")
    parser.add_argument("--workers", type=int, default=2, help="extraction processes (both)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each part; best kept")
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
        runs = [
            run_pipeline(folder / f"run-{n}", warc, workers=args.workers)
            for n in range(max(1, args.repeat))
        ]
        pipeline = min(runs, key=lambda run: float(run["body_seconds"]))
        load["before_bare"] = os.getloadavg()[0]
        bare = run_bare(documents, workers=args.workers, repeat=max(1, args.repeat))
        load["after_bare"] = os.getloadavg()[0]
    results = {
        "corpus": str(args.corpus) if args.corpus else "synthetic",
        "workers": args.workers,
        "repeat": args.repeat,
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
    print(f"{'':24}{'seconds':>10}{'pages/s':>10}{'CPU ms/page':>13}")
    print(
        f"{'pipeline (run body)':24}{pipeline['body_seconds']:>10}{pipeline['pages_per_second']:>10}"
    )
    print(
        f"{'pipeline (wall)':24}{pipeline['wall_seconds']:>10}{pipeline['pages_per_second_wall']:>10}"
    )
    for name, label in (
        ("cold", "bare trafilatura, cold"),
        ("warm", "bare trafilatura, warm"),
        ("worker_step", "worker step alone, warm"),
    ):
        print(
            f"{label:24}{bare[f'{name}_seconds']:>10}{bare[f'pages_per_second_{name}']:>10}"
            f"{bare[f'cpu_ms_per_page_{name}']:>13}"
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
