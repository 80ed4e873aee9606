"""Which trafilatura options the pipeline should use: body quality, metadata and CPU per option set.

Every page of a fundus-style corpus (read with :mod:`bench.textscrape_quality`:
``<cc>/<Publisher>_<date>.html.gz``, its URL from ``meta.info``, its reference
from ``<cc>/<Publisher>.json``) is extracted with each option set of
:data:`OPTION_SETS`:

* ``current``: the pipeline's own call, ``flows.extract.clean._extract``
  (``trafilatura.load_html``, then ``bare_extraction`` with the pipeline's
  options). Sets 2-5 are that same call with keyword arguments added
  (``fast``, ``favor_precision``, ``favor_recall``): the added arguments are
  injected into the pipeline's call, so the baseline can never drift from
  what the pipeline does.
* ``defaults``: trafilatura with its default options,
  ``bare_extraction(html_string, with_metadata=True)``.

Measured per page and option set:

* **Body**: bag-of-words precision, recall and F1 of the extracted text
  against the reference body (summary, section headlines and paragraphs).
  Both texts are normalised (NFKC, casefolded, soft hyphens dropped, quotes
  unified: :func:`bench.textscrape_quality.norm`) and split into ``\\w+`` word
  tokens, CJK characters one token each (Chinese and Japanese have no spaces).
  The overlap is the multiset intersection; an empty extraction scores 0.
  Scores are macro-averaged over pages. ``F1(4g)`` is the same over 4-token
  shingles, the unit ScrapingHub's article-extraction-benchmark counts.
* **Title**: exact match after whitespace normalisation, for trafilatura's own
  title and for the title the pipeline stores.
* **Date**: same calendar day as the reference (its local day or its UTC day),
  for trafilatura's date and for the date the pipeline stores.
* **Stored fields**: the pipeline's ``clean()`` is run on a ``RawDocument``
  built from the page (no feed hints) with the option set in force, so its own
  title, date (page metadata first) and author logic is measured. Pages
  whose stored title, date, authors or accept/reject outcome differ from the
  current call's are counted and listed.
* **CPU**: ``time.process_time()`` around the extraction only (parsing
  included: ``load_html`` + ``bare_extraction``, or ``bare_extraction`` of the
  string); all sets run in one process, page by page, their order rotated
  from page to page so drift and warm caches hit every set alike. With
  ``--repeat N`` each extraction is timed N times (interleaved) and the
  minimum kept. Reported: median ms per page and total, as a ratio to current.
* **Paired bootstrap** of the mean per-page F1 difference of each set minus
  current: 1000 resamples of the pages (fixed seed), 95 % percentile interval.

One table is printed; ``--out`` (default under the system temp directory)
receives every figure plus one row per page and option set as JSON.

Usage::

    .venv/bin/python -m bench.extraction_options --corpus /work/shared/corpus/fundus \\
        [--out FILE.json] [--repeat N] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import trafilatura
from trafilatura.settings import Document

from bench.textscrape_quality import Reference, load_pages, norm, read_page
from connectors.records import Media, RawDocument, Rejected
from flows.extract import clean as pipeline

__all__ = ["OPTION_SETS", "OptionSet", "PageRow", "body_scores", "main", "paired_bootstrap"]

_BARE = trafilatura.bare_extraction  # the real function, whatever is patched later
SEED = 20261125
RESAMPLES = 1000
SHINGLE = 4


@dataclass(frozen=True, slots=True)
class OptionSet:
    """An extraction configuration: the pipeline's call plus ``extra``, or trafilatura's defaults."""

    name: str
    label: str
    extra: dict[str, Any] = field(default_factory=dict)
    defaults: bool = False


OPTION_SETS = (
    OptionSet("current", "current pipeline call"),
    OptionSet("fast", "current + fast", {"fast": True}),
    OptionSet("precision", "current + favor_precision", {"favor_precision": True}),
    OptionSet("recall", "current + favor_recall", {"favor_recall": True}),
    OptionSet(
        "fast+precision",
        "current + fast + favor_precision",
        {"fast": True, "favor_precision": True},
    ),
    OptionSet("defaults", "bare_extraction(html, with_metadata=True)", defaults=True),
)

# The keyword arguments each set's bare_extraction call actually received (filled while running).
CALLED: dict[str, dict[str, Any]] = {}


# --------------------------------------------------------------------------- extraction


def _defaults_extract(tree: Any, url: str | None) -> Document | None:
    """Stand-in for ``clean._extract`` under the defaults set (the URL is not passed)."""
    result = _BARE(tree, with_metadata=True)
    return result if isinstance(result, Document) else None


@contextmanager
def options_in_force(option_set: OptionSet) -> Iterator[None]:
    """Make the pipeline's ``_extract`` (and so ``clean()``) use ``option_set``."""
    if option_set.defaults:
        CALLED.setdefault(option_set.name, {"with_metadata": True})
        with mock.patch.object(pipeline, "_extract", _defaults_extract):
            yield
        return

    def bare_extraction(*args: Any, **kwargs: Any) -> Any:
        kwargs.update(option_set.extra)
        if option_set.name not in CALLED:
            CALLED[option_set.name] = {k: v for k, v in kwargs.items() if k != "url"}
        return _BARE(*args, **kwargs)

    with mock.patch.object(trafilatura, "bare_extraction", bare_extraction):
        yield


def timed_extract(
    option_set: OptionSet, html: str, url: str | None
) -> tuple[float, Document | None]:
    """CPU milliseconds of one extraction (parsing included) and its result."""
    start = time.process_time()
    if option_set.defaults:
        result = _BARE(html, with_metadata=True)
    else:
        tree = trafilatura.load_html(html)
        result = pipeline._extract(tree, url) if tree is not None else None
    cpu_ms = (time.process_time() - start) * 1000
    return cpu_ms, result if isinstance(result, Document) else None


def raw_document(name: str, html: str, url: str | None) -> RawDocument:
    """The page as the fetcher hands it to ``clean()``, without feed or sitemap hints."""
    return RawDocument(
        source="bench",
        location=url or f"file:///{name}",
        url=url,
        content=html,
        media=Media.HTML,
        raw_hash=name,
        retrieved_at=datetime.now(UTC),
    )


# --------------------------------------------------------------------------- scoring

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens of ``text`` (CJK characters one token each)."""
    return _TOKEN.findall(norm(text))


def shingles(words: Sequence[str], n: int = SHINGLE) -> list[tuple[str, ...]]:
    """Overlapping n-token shingles; a text shorter than n is one shingle."""
    if len(words) <= n:
        return [tuple(words)] if words else []
    return [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]


def body_scores(ref: Sequence[Hashable], got: Sequence[Hashable]) -> tuple[float, float, float]:
    """Bag-of-items precision, recall and F1 of ``got`` against ``ref``."""
    if not ref or not got:
        return 0.0, 0.0, 0.0
    overlap = sum((Counter(ref) & Counter(got)).values())
    precision, recall = overlap / len(got), overlap / len(ref)
    f1 = 2 * precision * recall / (precision + recall) if overlap else 0.0
    return precision, recall, f1


def reference_body(ref: Reference) -> str:
    """Summary, section headlines and paragraphs of the reference, one per line."""
    return "\n".join((*ref.summary, *ref.headlines, *ref.paragraphs))


def same_title(ref: str | None, got: str | None) -> bool | None:
    """Exact match after whitespace normalisation; None without a reference title."""
    if not ref:
        return None
    return got is not None and " ".join(got.split()) == " ".join(ref.split())


def same_day(ref: datetime | None, got: date | None) -> bool | None:
    """The reference's local or UTC day; None without a reference date."""
    if ref is None:
        return None
    days = {ref.date()}
    if ref.tzinfo is not None:
        days.add(ref.astimezone(UTC).date())
    return got is not None and got in days


def _iso_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


# --------------------------------------------------------------------------- one page


@dataclass(slots=True)
class PageRow:
    """One page under one option set."""

    page: str
    option_set: str
    cpu_ms: float
    words: int
    precision: float
    recall: float
    f1: float
    f1_4gram: float
    title: str | None  # trafilatura's
    title_exact: bool | None
    date: str | None  # trafilatura's
    date_same_day: bool | None
    stored_title: str | None  # what clean() stores
    stored_title_exact: bool | None
    stored_date: str | None
    stored_date_source: str | None
    stored_date_same_day: bool | None
    stored_authors: list[str]
    rejected: str | None  # clean()'s reject detail, None if stored


@dataclass(frozen=True, slots=True)
class Page:
    """A corpus page with its reference tokens computed once."""

    name: str
    url: str | None
    ref: Reference
    ref_words: tuple[str, ...]
    ref_shingles: tuple[tuple[str, ...], ...]


def _page(cc: str, path: Path, url: str, ref: Reference) -> Page:
    words = tokens(reference_body(ref))
    return Page(f"{cc}/{path.name}", url or None, ref, tuple(words), tuple(shingles(words)))


def _row(
    page: Page, option_set: OptionSet, cpu_ms: float, result: Document | None, stored: Any
) -> PageRow:
    text = (result.text or "") if result is not None else ""
    words = tokens(text)
    precision, recall, f1 = body_scores(page.ref_words, words)
    title = result.title if result is not None else None
    day = result.date if result is not None else None
    article = None if isinstance(stored, Rejected) else stored
    published = article.published if article else None
    return PageRow(
        page=page.name,
        option_set=option_set.name,
        cpu_ms=cpu_ms,
        words=len(words),
        precision=precision,
        recall=recall,
        f1=f1,
        f1_4gram=body_scores(page.ref_shingles, shingles(words))[2],
        title=title,
        title_exact=same_title(page.ref.title, title),
        date=day,
        date_same_day=same_day(page.ref.published, _iso_day(day)),
        stored_title=article.title if article else None,
        stored_title_exact=same_title(page.ref.title, article.title if article else None),
        stored_date=published.value.isoformat() if published else None,
        stored_date_source=published.source if published else None,
        stored_date_same_day=same_day(
            page.ref.published, published.value.date() if published else None
        ),
        stored_authors=list(article.authors) if article else [],
        rejected=stored.detail if isinstance(stored, Rejected) else None,
    )


def measure_page(
    page: Page, html: str, order: Sequence[OptionSet], repeat: int
) -> dict[str, PageRow]:
    """All option sets on one page: timed extractions interleaved, then ``clean()`` per set."""
    cpu: dict[str, float] = {}
    results: dict[str, Document | None] = {}
    for _ in range(repeat):
        for option_set in order:
            with options_in_force(option_set):
                ms, results[option_set.name] = timed_extract(option_set, html, page.url)
            cpu[option_set.name] = min(ms, cpu.get(option_set.name, ms))
    rows = {}
    for option_set in order:
        with options_in_force(option_set):
            stored = pipeline.clean(raw_document(page.name, html, page.url))
        rows[option_set.name] = _row(
            page, option_set, cpu[option_set.name], results[option_set.name], stored
        )
    return rows


def run(corpus: Path, *, repeat: int, limit: int | None) -> dict[str, list[PageRow]]:
    """Every page under every option set; rows in page order per set."""
    listed = load_pages(corpus)[:limit]
    pages = [_page(*item) for item in listed]
    measure_page(pages[0], read_page(listed[0][1]), OPTION_SETS, 1)  # warm-up, discarded
    rows: dict[str, list[PageRow]] = {s.name: [] for s in OPTION_SETS}
    for i, (page, item) in enumerate(zip(pages, listed, strict=True)):
        shift = i % len(OPTION_SETS)
        order = OPTION_SETS[shift:] + OPTION_SETS[:shift]
        for name, row in measure_page(page, read_page(item[1]), order, repeat).items():
            rows[name].append(row)
        if (i + 1) % 25 == 0:
            print(f"{i + 1}/{len(pages)} pages", file=sys.stderr, flush=True)
    return rows


# --------------------------------------------------------------------------- figures


def paired_bootstrap(
    base: Sequence[float], other: Sequence[float], *, resamples: int = RESAMPLES, seed: int = SEED
) -> tuple[float, float, float]:
    """Mean of ``other - base`` over pages and its 95 % percentile bootstrap interval."""
    diffs = [o - b for b, o in zip(base, other, strict=True)]
    rng = random.Random(seed)
    n = len(diffs)
    means = [statistics.fmean(diffs[rng.randrange(n)] for _ in range(n)) for _ in range(resamples)]
    cuts = statistics.quantiles(means, n=40, method="inclusive")  # 2.5 %, 5 %, ..., 97.5 %
    return statistics.fmean(diffs), cuts[0], cuts[-1]


def _harmonic(precision: float, recall: float) -> float:
    """F1 of macro precision and macro recall: how ScrapingHub's benchmark aggregates."""
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _rate(values: Sequence[bool | None]) -> float:
    known = [v for v in values if v is not None]
    return sum(known) / max(len(known), 1)


def summarise(rows: Sequence[PageRow], current: Sequence[PageRow]) -> dict[str, Any]:
    """Aggregate figures of one option set, with its paired comparison to current."""
    delta, low, high = paired_bootstrap([r.f1 for r in current], [r.f1 for r in rows])
    cpu_total = sum(r.cpu_ms for r in rows) / 1000
    cpu_total_current = sum(r.cpu_ms for r in current) / 1000
    return {
        "pages": len(rows),
        "precision": statistics.fmean(r.precision for r in rows),
        "recall": statistics.fmean(r.recall for r in rows),
        "f1": statistics.fmean(r.f1 for r in rows),
        "f1_4gram": statistics.fmean(r.f1_4gram for r in rows),
        "f1_of_means": _harmonic(
            statistics.fmean(r.precision for r in rows), statistics.fmean(r.recall for r in rows)
        ),
        "f1_delta": delta,
        "f1_delta_ci95": [low, high],
        "f1_better_pages": sum(r.f1 > c.f1 + 1e-9 for r, c in zip(rows, current, strict=True)),
        "f1_worse_pages": sum(r.f1 < c.f1 - 1e-9 for r, c in zip(rows, current, strict=True)),
        "empty_pages": sum(r.words == 0 for r in rows),
        "title_exact": _rate([r.title_exact for r in rows]),
        "stored_title_exact": _rate([r.stored_title_exact for r in rows]),
        "date_same_day": _rate([r.date_same_day for r in rows]),
        "stored_date_same_day": _rate([r.stored_date_same_day for r in rows]),
        "rejected_pages": sum(r.rejected is not None for r in rows),
        "cpu_ms_median": statistics.median(r.cpu_ms for r in rows),
        "cpu_ms_mean": statistics.fmean(r.cpu_ms for r in rows),
        "cpu_seconds_total": cpu_total,
        "cpu_total_ratio": cpu_total / cpu_total_current if cpu_total_current else None,
    }


_STORED = ("rejected", "stored_title", "stored_date", "stored_date_source", "stored_authors")


def stored_changes(rows: Sequence[PageRow], current: Sequence[PageRow]) -> dict[str, Any]:
    """Pages whose stored title, date, authors or reject outcome differ from the current call's."""
    pages = []
    for row, base in zip(rows, current, strict=True):
        fields = [f for f in _STORED if getattr(row, f) != getattr(base, f)]
        if fields:
            pages.append(
                {"page": row.page, **{f: [getattr(base, f), getattr(row, f)] for f in fields}}
            )
    per_field = Counter(f for p in pages for f in p if f != "page")
    return {"pages": len(pages), "per_field": dict(per_field), "examples": pages}


def figures(rows: dict[str, list[PageRow]]) -> dict[str, Any]:
    """Summary and stored-field changes of every option set against current."""
    current = rows["current"]
    return {
        "summary": {name: summarise(r, current) for name, r in rows.items()},
        "stored_changes": {
            name: stored_changes(r, current) for name, r in rows.items() if name != "current"
        },
    }


# --------------------------------------------------------------------------- output

_HEAD = (
    f"{'set':<16} {'P':>6} {'R':>6} {'F1':>6} {'F1(4g)':>6}  {'dF1 vs current [95% CI]':<28}"
    f" {'+/-':>7} {'title tr/st':>11} {'date tr/st':>11} {'CPU ms med':>10} {'CPU tot':>7} {'rej':>3}"
)


def _line(name: str, s: dict[str, Any]) -> str:
    low, high = s["f1_delta_ci95"]
    delta = f"{s['f1_delta']:+.4f} [{low:+.4f}, {high:+.4f}]"
    return (
        f"{name:<16} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f} {s['f1_4gram']:6.3f}"
        f"  {delta:<28} {s['f1_better_pages']:>3}/{s['f1_worse_pages']:<3}"
        f" {s['title_exact']:5.3f}/{s['stored_title_exact']:5.3f}"
        f" {s['date_same_day']:5.3f}/{s['stored_date_same_day']:5.3f}"
        f" {s['cpu_ms_median']:10.1f} {s['cpu_total_ratio']:6.3f}x {s['rejected_pages']:>3}"
    )


def print_table(result: dict[str, Any]) -> None:
    """The comparison table and the stored-field changes per set."""
    print(_HEAD)
    for name, s in result["summary"].items():
        print(_line(name, s))
    for name, changes in result["stored_changes"].items():
        print(
            f"stored title/date/authors/outcome changed vs current, {name}: {changes['pages']} pages {changes['per_field']}"
        )


def _report(corpus: Path, rows: dict[str, list[PageRow]], repeat: int) -> dict[str, Any]:
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "corpus": str(corpus),
        "trafilatura": trafilatura.__version__,
        "python": platform.python_version(),
        "repeat": repeat,
        "bootstrap": {"resamples": RESAMPLES, "seed": SEED, "interval": "percentile 2.5-97.5"},
        "option_sets": [
            {"name": s.name, "label": s.label, "called_with": CALLED.get(s.name)}
            for s in OPTION_SETS
        ],
        **figures(rows),
        "rows": [asdict(row) for name in rows for row in rows[name]],
    }


def main(argv: list[str] | None = None) -> int:
    """Run every option set over the corpus, print the table, write the JSON."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument(
        "--out", type=Path, default=Path(tempfile.gettempdir()) / "extraction_options.json"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="time each extraction N times, keep the minimum"
    )
    parser.add_argument("--limit", type=int, help="only the first N pages (a quick check)")
    args = parser.parse_args(argv)
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    logging.getLogger("htmldate").setLevel(logging.ERROR)
    rows = run(args.corpus, repeat=max(args.repeat, 1), limit=args.limit)
    result = _report(args.corpus, rows, args.repeat)
    print_table(result)
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str))
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
