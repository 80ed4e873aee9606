"""Which trafilatura options the pipeline should use: body quality, metadata and CPU per option set.

Every page of a fundus-style corpus (read with :mod:`bench.textscrape_quality`:
``<cc>/<Publisher>_<date>.html.gz``, its URL from ``meta.info``, its reference
from ``<cc>/<Publisher>.json``) is extracted with each option set of
:data:`OPTION_SETS`:

* ``current``: trafilatura's full call with the pipeline's options
  (``flows.extract.body.full_extraction``: ``trafilatura.load_html``, then
  ``bare_extraction``; the pipeline's call until 2026-12, the baseline every
  set is compared with). Sets 2-5 are that same call with keyword arguments added
  (``fast``, ``favor_precision``, ``favor_recall``): the added arguments are
  injected into the pipeline's call, so the baseline can never drift from
  what the pipeline does.
* ``defaults``: trafilatura with its default options,
  ``bare_extraction(html_string, with_metadata=True)``.
* ``pipeline``, ``fast+check1.0``, ``fast+escal``: two steps
  (:func:`flows.extract.body.two_step`; ``pipeline`` is the call the pipeline makes),
  with the second-pass rules of :class:`SecondPass` (block share 0.7, block
  share 1.0, trafilatura's own recall-escalation gate). The pipeline's call with
  ``fast=True`` first; if that result looks suspicious (:class:`SecondPass`)
  the full call runs again on the same parsed tree (``bare_extraction``
  copies the tree it is given and leaves it untouched, so no second parse),
  without metadata (the first call's metadata is kept: it does not depend on
  ``fast`` under the pipeline's date options), and its body replaces the fast
  one. The result is then the current call's, byte for byte, on the pages
  that took the second pass, and the fast one elsewhere.
  ``pipeline`` (block share 0.7) is ``flows.extract.body.extract_body``.

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
  string; for a two-step set ``load_html``, both calls and the check between
  them); all sets run in one process, page by page, their order rotated
  from page to page so drift and warm caches hit every set alike. With
  ``--repeat N`` each extraction is timed N times (interleaved) and the
  minimum kept. Reported: median ms per page and total, as a ratio to current.
* **Paired bootstrap** of the mean per-page F1 difference of each set minus
  current: 1000 resamples of the pages (fixed seed), 95 % percentile interval.
  ``<-.1``: pages whose F1 is more than 0.1 below the current call's.
* **Second pass**: the share of pages on which a two-step set ran the full
  call; ``txt!=``: pages whose body text differs from the current call's
  (needs no reference). A **sweep** over the block share of the main two-step
  rule follows the table: which pages each threshold sends to the second pass
  and the F1 that gives (exact, from the fast and current rows).

``--site DIR`` reads the article pages of a folder written by
``python -m bench.site generate`` instead (synthetic pages, no references:
only CPU, second-pass share and ``txt!=`` are reported).

One table is printed; ``--out`` (default under the system temp directory)
receives every figure plus one row per page and option set as JSON.

Usage::

    .venv/bin/python -m bench.extraction_options --corpus /work/shared/corpus/fundus \\
        [--out FILE.json] [--repeat N] [--limit N] [--sets current,fast,...]
    .venv/bin/python -m bench.site generate /tmp/site --pages 300
    .venv/bin/python -m bench.extraction_options --site /tmp/site --sets current,fast,pipeline
"""

from __future__ import annotations

import argparse
import hashlib
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
from lxml.html import HtmlElement
from trafilatura.settings import Document

from bench.site import page_files
from bench.textscrape_quality import Reference, load_pages, norm, read_page
from connectors.records import Media, RawDocument, Rejected
from flows.extract import clean as pipeline
from flows.extract.body import (
    BLOCK_SHARE,
    OPTIONS,
    Check,
    SecondPass,
    extract_body,
    extract_checked,
    full_extraction,
    two_step,
)

__all__ = [
    "OPTION_SETS",
    "OptionSet",
    "PageRow",
    "body_scores",
    "main",
    "paired_bootstrap",
]

_BARE = trafilatura.bare_extraction  # the real function, whatever is patched later
SEED = 20261125
RESAMPLES = 1000
SHINGLE = 4


# --------------------------------------------------------------------------- fast first

PIPELINE_KWARGS = OPTIONS  # the pipeline's bare_extraction options (flows.extract.body)
ESCALATION_PAGE_SHARE = 0.2  # trafilatura's recall-escalation gate (core.py)
ESCALATION_MAX_CHARS = 3000


# --------------------------------------------------------------------------- option sets


@dataclass(frozen=True, slots=True)
class OptionSet:
    """An extraction configuration: the pipeline's call plus ``extra``, trafilatura's defaults,
    or the two-step extraction with a second-pass rule."""

    name: str
    label: str
    extra: dict[str, Any] = field(default_factory=dict)
    defaults: bool = False
    second_pass: SecondPass | None = None
    pipeline: bool = False  # the pipeline's own call: flows.extract.body.extract_body


OPTION_SETS = (
    OptionSet("current", "full call (the pipeline's until 2026-12)"),
    OptionSet("fast", "current + fast", {"fast": True}),
    OptionSet("precision", "current + favor_precision", {"favor_precision": True}),
    OptionSet("recall", "current + favor_recall", {"favor_recall": True}),
    OptionSet(
        "fast+precision",
        "current + fast + favor_precision",
        {"fast": True, "favor_precision": True},
    ),
    OptionSet("defaults", "bare_extraction(html, with_metadata=True)", defaults=True),
    OptionSet(
        "pipeline",
        f"the pipeline's: fast, full call if text < {BLOCK_SHARE} x largest <p> block",
        second_pass=SecondPass(),
        pipeline=True,
    ),
    OptionSet(
        "fast+check1.0",
        "fast, full call if text < largest <p> block",
        second_pass=SecondPass(block_share=1.0),
    ),
    OptionSet(
        "fast+escal",
        f"fast, full call under trafilatura's escalation gate (< {ESCALATION_MAX_CHARS} chars"
        f" and < {ESCALATION_PAGE_SHARE} x html2txt)",
        second_pass=SecondPass(block_share=None, page_share=ESCALATION_PAGE_SHARE),
    ),
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
    if option_set.pipeline:
        CALLED.setdefault(option_set.name, {**PIPELINE_KWARGS, "fast": True})
        with mock.patch.object(pipeline, "_extract", extract_body):
            yield
        return
    if option_set.second_pass is not None:
        rule = option_set.second_pass
        CALLED.setdefault(option_set.name, {**PIPELINE_KWARGS, "fast": True})

        def extract(tree: HtmlElement, url: str | None) -> Document | None:
            return two_step(tree, url, rule)[0]

        with mock.patch.object(pipeline, "_extract", extract):
            yield
        return

    def bare_extraction(*args: Any, **kwargs: Any) -> Any:
        kwargs.update(option_set.extra)
        if option_set.name not in CALLED:
            CALLED[option_set.name] = {k: v for k, v in kwargs.items() if k != "url"}
        return _BARE(*args, **kwargs)

    with (
        mock.patch.object(trafilatura, "bare_extraction", bare_extraction),
        mock.patch.object(pipeline, "_extract", full_extraction),
    ):
        yield


def timed_extract(
    option_set: OptionSet, html: str, url: str | None
) -> tuple[float, Document | None, Check | None]:
    """CPU milliseconds of one extraction (parsing included), its result and second-pass check."""
    check = None
    start = time.process_time()
    if option_set.defaults:
        result = _BARE(html, with_metadata=True)
    else:
        tree = trafilatura.load_html(html)
        if tree is None:
            result = None
        elif option_set.pipeline:
            result, check = extract_checked(tree, url)
        elif option_set.second_pass is not None:
            result, check = two_step(tree, url, option_set.second_pass)
        else:
            result = full_extraction(tree, url)  # with the set's extra options patched in
    cpu_ms = (time.process_time() - start) * 1000
    return cpu_ms, result if isinstance(result, Document) else None, check


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
    text_hash: str  # of the extracted body text, to compare sets without a reference
    second_pass: bool | None = None  # two-step sets: did the full call run
    fast_chars: int | None = None  # two-step sets: what the rule saw
    block_chars: int | None = None
    page_chars: int | None = None


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
    page: Page,
    option_set: OptionSet,
    cpu_ms: float,
    result: Document | None,
    stored: Any,
    check: Check | None = None,
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
        text_hash=hashlib.sha1(text.encode()).hexdigest(),
        second_pass=check.second_pass if check else None,
        fast_chars=check.chars if check else None,
        block_chars=check.block_chars if check else None,
        page_chars=check.page_chars if check else None,
    )


def measure_page(
    page: Page, html: str, order: Sequence[OptionSet], repeat: int
) -> dict[str, PageRow]:
    """All option sets on one page: timed extractions interleaved, then ``clean()`` per set."""
    cpu: dict[str, float] = {}
    results: dict[str, Document | None] = {}
    checks: dict[str, Check | None] = {}
    for _ in range(repeat):
        for option_set in order:
            with options_in_force(option_set):
                ms, results[option_set.name], checks[option_set.name] = timed_extract(
                    option_set, html, page.url
                )
            cpu[option_set.name] = min(ms, cpu.get(option_set.name, ms))
    rows = {}
    for option_set in order:
        with options_in_force(option_set):
            stored = pipeline.clean(raw_document(page.name, html, page.url))
        name = option_set.name
        rows[name] = _row(page, option_set, cpu[name], results[name], stored, checks[name])
    return rows


_NO_REFERENCE = Reference(None, (), (), (), None, ())


def corpus_pages(corpus: Path) -> list[tuple[Page, Path]]:
    """The fundus-style corpus: every page with its reference."""
    return [(_page(*item), item[1]) for item in load_pages(corpus)]


def site_pages(root: Path) -> list[tuple[Page, Path]]:
    """The article pages of a folder written by ``python -m bench.site generate``: no references."""
    return [
        (Page(f"site/{path.name}", url, _NO_REFERENCE, (), ()), path)
        for url, path in page_files(root)
    ]


def run(
    listed: Sequence[tuple[Page, Path]],
    *,
    repeat: int,
    sets: Sequence[OptionSet] = OPTION_SETS,
) -> dict[str, list[PageRow]]:
    """Every page under every option set; rows in page order per set."""
    sets = tuple(sets)
    first, first_path = listed[0]
    measure_page(first, read_page(first_path), sets, 1)  # warm-up, discarded
    rows: dict[str, list[PageRow]] = {s.name: [] for s in sets}
    for i, (page, path) in enumerate(listed):
        shift = i % len(sets)
        order = sets[shift:] + sets[:shift]
        for name, row in measure_page(page, read_page(path), order, repeat).items():
            rows[name].append(row)
        if (i + 1) % 25 == 0:
            print(f"{i + 1}/{len(listed)} pages", file=sys.stderr, flush=True)
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


LOSS = 0.1  # a page "loses" when its F1 is this much below the current call's


def _costs(rows: Sequence[PageRow], current: Sequence[PageRow]) -> dict[str, Any]:
    """CPU, second-pass share and text changes: the figures that need no reference."""
    cpu_total = sum(r.cpu_ms for r in rows) / 1000
    cpu_total_current = sum(r.cpu_ms for r in current) / 1000
    two_step = [r.second_pass for r in rows if r.second_pass is not None]
    return {
        "pages": len(rows),
        "cpu_ms_median": statistics.median(r.cpu_ms for r in rows),
        "cpu_ms_mean": statistics.fmean(r.cpu_ms for r in rows),
        "cpu_seconds_total": cpu_total,
        "cpu_total_ratio": cpu_total / cpu_total_current if cpu_total_current else None,
        "second_pass_pages": sum(two_step) if two_step else None,
        "second_pass_share": sum(two_step) / len(two_step) if two_step else None,
        "second_pass_list": [r.page for r in rows if r.second_pass],
        "text_differs_pages": sum(
            r.text_hash != c.text_hash for r, c in zip(rows, current, strict=True)
        ),
        "text_differs_list": [
            r.page for r, c in zip(rows, current, strict=True) if r.text_hash != c.text_hash
        ],
    }


def summarise(
    rows: Sequence[PageRow], current: Sequence[PageRow], *, scored: bool = True
) -> dict[str, Any]:
    """Aggregate figures of one option set, with its paired comparison to current.

    Without references (``scored=False``) only the CPU and second-pass figures."""
    costs = _costs(rows, current)
    if not scored:
        return costs
    delta, low, high = paired_bootstrap([r.f1 for r in current], [r.f1 for r in rows])
    losses = [
        {"page": r.page, "f1_current": c.f1, "f1": r.f1}
        for r, c in zip(rows, current, strict=True)
        if r.f1 < c.f1 - LOSS
    ]
    return {
        **costs,
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
        "loss_pages": len(losses),
        "losses": losses,
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


SWEEP = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2)


def sweep(
    rows: dict[str, list[PageRow]], *, name: str = "pipeline", scored: bool = True
) -> dict[str, Any] | None:
    """Other block shares for the two-step rule of ``name``, from its recorded checks.

    A page takes the second pass at share ``t`` when the fast call found less than
    the minimum or ``fast_chars < t * block_chars``; its result is then the current
    call's, otherwise the fast one's (``consistent`` counts the pages where the
    two-step set's own text is exactly that), so the F1 at each share is exact.
    """
    if not {name, "current", "fast"} <= rows.keys():
        return None
    current, fast, checked = rows["current"], rows["fast"], rows[name]
    consistent = sum(
        r.text_hash == (c.text_hash if r.second_pass else f.text_hash)
        for r, c, f in zip(checked, current, fast, strict=True)
    )
    points = []
    for share in SWEEP:
        second = [
            r.block_chars is None or r.fast_chars is None or r.fast_chars < share * r.block_chars
            for r in checked
        ]
        point: dict[str, Any] = {
            "block_share": share,
            "second_pass_pages": sum(second),
            "second_pass_share": sum(second) / len(second),
        }
        if scored:
            f1 = [c.f1 if s else f.f1 for s, c, f in zip(second, current, fast, strict=True)]
            delta, low, high = paired_bootstrap([c.f1 for c in current], f1)
            point |= {
                "f1": statistics.fmean(f1),
                "f1_delta": delta,
                "f1_delta_ci95": [low, high],
                "loss_pages": sum(x < c.f1 - LOSS for x, c in zip(f1, current, strict=True)),
            }
        points.append(point)
    ratios = sorted(
        (r.fast_chars / r.block_chars, r.page)
        for r in checked
        if r.block_chars and r.fast_chars is not None
    )
    return {
        "set": name,
        "consistent_pages": consistent,
        "pages": len(checked),
        "points": points,
        "lowest_ratios": [{"page": page, "ratio": ratio} for ratio, page in ratios[:12]],
    }


def figures(rows: dict[str, list[PageRow]], *, scored: bool = True) -> dict[str, Any]:
    """Summary and stored-field changes of every option set against current, and the sweep."""
    current = rows["current"]
    return {
        "summary": {name: summarise(r, current, scored=scored) for name, r in rows.items()},
        "stored_changes": {
            name: stored_changes(r, current) for name, r in rows.items() if name != "current"
        },
        "sweep": sweep(rows, scored=scored),
    }


# --------------------------------------------------------------------------- output

_HEAD = (
    f"{'set':<16} {'P':>6} {'R':>6} {'F1':>6} {'F1(4g)':>6}  {'dF1 vs current [95% CI]':<28}"
    f" {'+/-':>7} {'title tr/st':>11} {'date tr/st':>11} {'CPU ms med':>10} {'CPU tot':>7} {'rej':>3}"
    f" {'<-.1':>4} {'2nd pass':>8} {'txt!=':>5}"
)


def _line(name: str, s: dict[str, Any]) -> str:
    share = s["second_pass_share"]
    tail = (
        f" {s['cpu_ms_median']:10.1f} {s['cpu_total_ratio']:6.3f}x {s.get('rejected_pages', '-'):>3}"
        f" {s.get('loss_pages', '-'):>4} {'-' if share is None else f'{share:.3f}':>8}"
        f" {s['text_differs_pages']:>5}"
    )
    if "f1" not in s:  # no references
        return f"{name:<16} {'-':>6} {'-':>6} {'-':>6} {'-':>6}  {'-':<28} {'-':>7} {'-':>11} {'-':>11}{tail}"
    low, high = s["f1_delta_ci95"]
    delta = f"{s['f1_delta']:+.4f} [{low:+.4f}, {high:+.4f}]"
    return (
        f"{name:<16} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f} {s['f1_4gram']:6.3f}"
        f"  {delta:<28} {s['f1_better_pages']:>3}/{s['f1_worse_pages']:<3}"
        f" {s['title_exact']:5.3f}/{s['stored_title_exact']:5.3f}"
        f" {s['date_same_day']:5.3f}/{s['stored_date_same_day']:5.3f}{tail}"
    )


def _print_sweep(result: dict[str, Any]) -> None:
    swept = result.get("sweep")
    if not swept:
        return
    print(
        f"\nblock-share sweep of {swept['set']} (exact from the fast and current rows;"
        f" {swept['consistent_pages']}/{swept['pages']} pages consistent):"
    )
    print(f"{'share':>5} {'2nd pass':>12} {'F1':>6}  {'dF1 vs current [95% CI]':<28} {'<-.1':>4}")
    for point in swept["points"]:
        second = f"{point['second_pass_pages']} ({point['second_pass_share']:.3f})"
        if "f1" in point:
            low, high = point["f1_delta_ci95"]
            delta = f"{point['f1_delta']:+.4f} [{low:+.4f}, {high:+.4f}]"
            print(
                f"{point['block_share']:5.2f} {second:>12} {point['f1']:6.3f}  {delta:<28}"
                f" {point['loss_pages']:>4}"
            )
        else:
            print(f"{point['block_share']:5.2f} {second:>12}")
    lowest = ", ".join(f"{x['page']} {x['ratio']:.2f}" for x in swept["lowest_ratios"])
    print(f"lowest fast/block ratios: {lowest}")


def print_table(result: dict[str, Any]) -> None:
    """The comparison table, the stored-field changes per set and the sweep."""
    print(_HEAD)
    for name, s in result["summary"].items():
        print(_line(name, s))
    for name, changes in result["stored_changes"].items():
        print(
            f"stored title/date/authors/outcome changed vs current, {name}: {changes['pages']} pages {changes['per_field']}"
        )
    for name, s in result["summary"].items():
        for loss in s.get("losses", ()):
            print(
                f"loses > {LOSS} F1, {name}: {loss['page']} {loss['f1_current']:.3f} -> {loss['f1']:.3f}"
            )
        listed = s["second_pass_list"]
        if listed:
            more = f" and {len(listed) - 12} more" if len(listed) > 12 else ""
            print(f"second pass, {name}: {', '.join(listed[:12])}{more}")
    _print_sweep(result)


def _report(
    corpus: Path,
    rows: dict[str, list[PageRow]],
    repeat: int,
    sets: Sequence[OptionSet],
    *,
    scored: bool,
) -> dict[str, Any]:
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "corpus": str(corpus),
        "references": scored,
        "trafilatura": trafilatura.__version__,
        "python": platform.python_version(),
        "repeat": repeat,
        "bootstrap": {"resamples": RESAMPLES, "seed": SEED, "interval": "percentile 2.5-97.5"},
        "option_sets": [
            {
                "name": s.name,
                "label": s.label,
                "called_with": CALLED.get(s.name),
                "second_pass": asdict(s.second_pass) if s.second_pass else None,
            }
            for s in sets
        ],
        **figures(rows, scored=scored),
        "rows": [asdict(row) for name in rows for row in rows[name]],
    }


def _selected(names: str | None) -> tuple[OptionSet, ...]:
    if not names:
        return OPTION_SETS
    wanted = {"current", *names.split(",")}  # current is the baseline of every figure
    unknown = wanted - {s.name for s in OPTION_SETS}
    if unknown:
        raise SystemExit(f"unknown option sets: {sorted(unknown)}")
    return tuple(s for s in OPTION_SETS if s.name in wanted)


def _check_pipeline_kwargs() -> None:
    """The current set must call bare_extraction with the pipeline's options (PIPELINE_KWARGS)."""
    called = {k: v for k, v in CALLED.get("current", {}).items() if k != "url"}
    if called and called != PIPELINE_KWARGS:
        raise SystemExit(
            f"PIPELINE_KWARGS {PIPELINE_KWARGS} differ from the pipeline's call {called}:"
            " update them before comparing"
        )


def main(argv: list[str] | None = None) -> int:
    """Run every option set over the corpus, print the table, write the JSON."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--corpus", type=Path, help="fundus-style corpus with references")
    source.add_argument("--site", type=Path, help="folder from `python -m bench.site generate`")
    parser.add_argument(
        "--out", type=Path, default=Path(tempfile.gettempdir()) / "extraction_options.json"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="time each extraction N times, keep the minimum"
    )
    parser.add_argument("--limit", type=int, help="only the first N pages (a quick check)")
    parser.add_argument("--sets", help="comma-separated option sets (current is always run)")
    args = parser.parse_args(argv)
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    logging.getLogger("htmldate").setLevel(logging.ERROR)
    sets = _selected(args.sets)
    scored = args.corpus is not None
    listed = corpus_pages(args.corpus) if scored else site_pages(args.site)
    rows = run(listed[: args.limit], repeat=max(args.repeat, 1), sets=sets)
    _check_pipeline_kwargs()
    result = _report(args.corpus or args.site, rows, args.repeat, sets, scored=scored)
    print_table(result)
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str))
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
