"""Bare extraction throughput: the pipeline's trafilatura call alone, in W worker processes.

The floor the pipeline is measured against (figure a). Each worker reads a
page (gzipped, as the site serves it), decodes it as the fetcher does
(:func:`connectors.text.charset.decode_html`) and extracts it with the same call
and options as :mod:`flows.extract.clean` (``mode="trafilatura"``), with
trafilatura's own defaults as its CLI uses them (``mode="default"``:
``bare_extraction(html, with_metadata=True)``, comments and the extensive date
search included), or runs the whole worker step (``mode="process"``:
``flows.pipeline.per_document.process_document``, i.e. ``clean`` with page metadata
plus the dedupe fingerprint). Workers are
started and warmed up before the clock starts; pages are handed out in small
chunks so no worker idles while another still has a queue.

    python -m bench.bare SITE_DIR [--workers 2] [--mode trafilatura|default|process] [--limit N]
"""

from __future__ import annotations

import argparse
import gzip
import multiprocessing
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["BareResult", "measure"]

CHUNK = 8


@dataclass(frozen=True, slots=True)
class BareResult:
    """Throughput of W processes extracting the same pages."""

    mode: str
    workers: int
    pages: int
    wall_seconds: float
    pages_per_second: float
    cpu_ms_median: float  # per page, extraction only (decode excluded)
    cpu_ms_mean: float
    decode_ms_mean: float  # per page: read, gunzip, charset decoding
    texts: int  # pages that gave an article text


def _warm() -> None:
    """Import and exercise the extraction code once, outside the timed part."""
    html = "<html><body><article>" + "<p>Warm up text for the extractor.</p>" * 20
    # The whole worker step: it runs the trafilatura call too, so either mode starts warm.
    _extract_one(html + "</article></body></html>", "http://127.0.0.1/warm", "process")


def _extract_one(html: str, url: str, mode: str) -> bool:
    import trafilatura

    from flows.extract import clean

    if mode == "process":
        from connectors.records import Media, RawDocument
        from flows.pipeline.per_document import process_document

        doc = RawDocument(
            source="bench", location=url, url=url, content=html, media=Media.HTML,
            raw_hash="0", retrieved_at=datetime.now(UTC),
        )  # fmt: skip
        return not hasattr(process_document(doc), "reason")
    if mode == "default":
        document = trafilatura.bare_extraction(html, with_metadata=True)
        return bool(getattr(document, "text", None))
    tree = trafilatura.load_html(html)
    if tree is None:
        return False
    # The very call flows.extract.clean makes (its private helper, so options never drift).
    result = clean._extract(tree, url)
    return result is not None and bool(result.text)


def _chunk(items: list[tuple[str, str]], mode: str) -> list[tuple[float, float, bool]]:
    from connectors.text.charset import decode_html

    out = []
    for url, path in items:
        start = time.process_time()
        html = decode_html(gzip.decompress(Path(path).read_bytes()))[0]
        decoded = time.process_time()
        ok = _extract_one(html, url, mode)
        out.append((decoded - start, time.process_time() - decoded, ok))
    return out


def _ready(delay: float) -> int:
    time.sleep(delay)  # every worker takes one, so all have started and warmed up
    return multiprocessing.current_process().pid or 0


def measure(
    pages: list[tuple[str, Path]], *, workers: int, mode: str = "trafilatura"
) -> BareResult:
    """Extract ``pages`` (URL, gzipped file) with ``workers`` processes; return the figures."""
    items = [(url, str(path)) for url, path in pages]
    chunks = [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_warm) as pool:
        list(pool.map(_ready, [0.5] * workers))
        start = time.perf_counter()
        results = [row for part in pool.map(_chunk, chunks, [mode] * len(chunks)) for row in part]
        wall = time.perf_counter() - start
    cpu = [r[1] * 1000 for r in results]
    return BareResult(
        mode=mode,
        workers=workers,
        pages=len(results),
        wall_seconds=round(wall, 3),
        pages_per_second=round(len(results) / wall, 2),
        cpu_ms_median=round(statistics.median(cpu), 2),
        cpu_ms_mean=round(statistics.fmean(cpu), 2),
        decode_ms_mean=round(statistics.fmean(r[0] * 1000 for r in results), 3),
        texts=sum(1 for r in results if r[2]),
    )


def _main() -> int:
    from bench.site import page_files

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("site", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--mode", choices=("trafilatura", "default", "process"), default="trafilatura"
    )
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()
    pages = list(page_files(args.site))[: args.limit]
    result: dict[str, Any] = asdict(measure(pages, workers=args.workers, mode=args.mode))
    for key, value in result.items():
        print(f"{key:>18}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
