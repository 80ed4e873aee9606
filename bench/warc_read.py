"""Throughput of reading a WARC.gz with :class:`connectors.warc.WarcSource`.

Writes a WARC.gz of ``--records`` page responses with
:class:`connectors.capture.WarcCapture` (pages from ``--corpus``, e.g. the
fundus corpus of gzipped real news pages, cycled; synthetic pages without
it), then reads it back three ways and prints records/s and MB/s:

- ``framing``: FastWARC alone, every block read into Python (the floor);
- ``source``: ``WarcSource.documents`` (HTTP split, decoding, charset
  sniffing: what the ingest flow pays per record before cleaning);
- ``read_capture``: one seek + record per CaptureRef (what re-extraction pays).

Usage::

    .venv/bin/python -m bench.warc_read [--records 2000] [--corpus /work/shared/corpus/fundus]
        [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import itertools
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastwarc import ArchiveIterator

from connectors.capture import WarcCapture
from connectors.records import CaptureRef, RawDocument
from connectors.warc import WarcSource, read_capture


def corpus_pages(corpus: Path | None) -> tuple[list[bytes], str]:
    """Raw page bytes and what they are: the corpus's gzipped pages, or synthetic ones."""
    if corpus is not None:
        pages = [gzip.decompress(p.read_bytes()) for p in sorted(corpus.rglob("*.html.gz"))]
        if pages:
            return pages, "corpus"
        print(f"no *.html.gz under {corpus}; using synthetic pages", file=sys.stderr)
    return [synthetic_page(n) for n in range(50)], "synthetic"


def synthetic_page(n: int) -> bytes:
    """An article-shaped page with distinct text (about 25 KB); bench.warc_ingest uses it too."""
    words = [hashlib.sha1(f"{n}:{i}".encode()).hexdigest()[:7] for i in range(3000)]
    paragraphs = "".join(f"<p>{' '.join(words[i : i + 60])}.</p>" for i in range(0, len(words), 60))
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Story {n}</title>"
        f"</head><body><nav>Home | News | Sport</nav><article><h1>Story {n}</h1>{paragraphs}"
        "</article><footer>Contact</footer></body></html>"
    ).encode()


def write_archive(folder: Path, pages: list[bytes], records: int) -> list[CaptureRef]:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with WarcCapture(directory=folder, max_file_bytes=2**40) as capture:
        return [
            capture(
                url=f"https://bench.example/story/{n}",
                status=200,
                headers=[("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
                body=body,
                fetched_at=start + timedelta(seconds=n),
            )
            for n, body in zip(range(records), itertools.cycle(pages), strict=False)
        ]


def framing(path: Path) -> Iterator[int]:
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream, parse_http=False):
            yield len(record.reader.read())


def source(path: Path) -> Iterator[int]:
    warc = WarcSource(name="bench", paths=[str(path)])
    for item in warc.documents({}):
        if isinstance(item, RawDocument):
            yield len(item.content)


def captures(refs: list[CaptureRef]) -> Callable[[Path], Iterator[int]]:
    def run(_path: Path) -> Iterator[int]:
        for ref in refs:
            item = read_capture(ref, source="bench")
            if isinstance(item, RawDocument):
                yield len(item.content)

    return run


def measure(run: Callable[[Path], Iterator[int]], path: Path, repeat: int) -> tuple[float, int]:
    """Best wall time of ``repeat`` runs, and the number of items one run yields."""
    best = float("inf")
    count = 0
    for _ in range(repeat):
        began = time.perf_counter()
        count = sum(1 for _ in run(path))
        best = min(best, time.perf_counter() - began)
    return best, count


def main(argv: list[str] | None = None) -> int:
    """Write a WARC.gz, read it back, print the throughput figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--corpus", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    pages, kind = corpus_pages(args.corpus)
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        refs = write_archive(Path(folder), pages, args.records)
        write_seconds = time.perf_counter() - began
        (path,) = Path(folder).glob("*.warc.gz")
        compressed = path.stat().st_size
        html_bytes = sum(len(body) for body, _ in zip(itertools.cycle(pages), range(args.records)))
        results: dict[str, object] = {
            "records": args.records,
            "pages": kind,
            "warc_gz_bytes": compressed,
            "html_bytes": html_bytes,
            "write_records_per_s": round(args.records / write_seconds),
        }
        for name, run in (
            ("framing", framing),
            ("source", source),
            ("read_capture", captures(refs)),
        ):
            seconds, count = measure(run, path, args.repeat)
            if count != args.records + (1 if name == "framing" else 0):
                print(f"{name}: expected {args.records} records, got {count}", file=sys.stderr)
                return 1
            results[f"{name}_records_per_s"] = round(args.records / seconds)
            results[f"{name}_html_mb_per_s"] = round(html_bytes / seconds / 2**20, 1)

    if args.json:
        print(json.dumps(results))
    else:
        width = max(map(len, results))
        for key, value in results.items():
            print(f"{key:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
