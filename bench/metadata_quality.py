"""The metadata an editor would sign: titles, authors, dates and body text, against references.

Every page of a fundus-style corpus (:func:`bench.textscrape_quality.load_pages`:
``<cc>/<Publisher>_<date>.html.gz`` with its URL and fundus's per-publisher
reference) goes through the pipeline's own ``flows.extract.clean.clean`` twice:

* as a **web page** (the HTML as fetched, no feed hints): stored title, author
  list, publication date and body text are scored;
* as a **text scrape** (the page rendered to the text a reader copies:
  :func:`bench.textscrape_quality.render_text_scrape`): the headline is scored.

Pages of one host are cleaned in the order of their file names (their dates),
and each page is given what the pipeline would have learned from the host's
earlier pages (:class:`flows.extract.titles.SiteTitles`, learned from their
stored ``page_title`` values), as a run over an empty warehouse that met the
pages in that order would.

Figures (the issue's targets; ``n`` is the number of pages in the set):

* ``title exact``: the stored title equals the reference after
  :func:`normalise` (Unicode NFKC, invisible format characters dropped,
  typographic quotes and dashes unified, whitespace collapsed; case is kept);
* text scrapes: ``exact`` (the reference title), ``shown`` (not the reference,
  but the headline the page displays: an ``<h1>`` of the page that its
  ``og:title``, ``twitter:title``, JSON-LD ``headline`` or ``<title>`` also states,
  which on some sites differs from the reference's SEO title: :func:`shown_headline`),
  ``variant`` (sharing at least 60 % of its words with either, bench.textscrape_quality's
  rule: a kicker added or dropped), ``wrong`` (anything else: navigation, a teaser,
  a caption, a sub-heading) and ``none`` (no headline);
* ``authors right``: the stored byline equals the reference's author list as a
  set of names compared case-insensitively after :func:`normalise` and with
  single-letter initials given a full stop; the byline is the stored people, or
  the people with the stored organisations (fundus lists agencies and bylines
  that name only the publisher as authors on some sites, not on others; the
  people alone must still be exactly right). An empty byline is right only when
  the reference is empty. ``(people only)``: the people alone against the
  reference; ``(pages naming authors)``: the main figure over pages whose
  reference names someone;
* ``date wrong``: a stored date whose day is neither the reference's local nor
  its UTC day, over pages with a reference date (``date none``: no date stored);
* ``body P/R``: bag-of-words precision and recall of the stored text against the
  reference body (:func:`bench.extraction_options.body_scores`), macro-averaged,
  a rejected page scoring 0.

The pages are split by country folder (:func:`held_out`: a fixed third of the
countries, chosen by a hash of the folder name) so rules tuned on one part can
be checked on the other; figures are printed for both and for all pages.
``--compare FILE`` prints an earlier ``--out`` beside the new figures.

Usage::

    .venv/bin/python -m bench.metadata_quality --corpus /work/shared/corpus/fundus \\
        [--out FILE.json] [--compare BEFORE.json] [--show tuned|held_out|all]
"""

from __future__ import annotations

import argparse
import html as html_module
import json
import re
import sys
import unicodedata
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import lxml.html

from bench.extraction_options import body_scores, raw_document, reference_body, tokens
from bench.textscrape_quality import Reference, load_pages, read_page, render_text_scrape
from connectors.records import Media, RawDocument
from flows.extract import clean as pipeline
from flows.extract.records import Article

__all__ = [
    "PageScore",
    "authors_right",
    "held_out",
    "main",
    "normalise",
    "score_corpus",
    "shown_headline",
    "summarise",
]

_FORMAT = re.compile(r"[\u00ad\u200b\u2060\ufeff]")
_QUOTES = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "´": "'",
        "`": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "«": '"',
        "»": '"',
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "−": "-",
    }
)


def normalise(text: str) -> str:
    """NFKC, invisible format characters dropped, quotes and dashes unified, spaces collapsed."""
    text = _FORMAT.sub("", unicodedata.normalize("NFKC", text)).translate(_QUOTES)
    return " ".join(text.split())


def held_out(country: str) -> bool:
    """The countries kept out of tuning: a fixed third, by a hash of the folder name."""
    return zlib.crc32(country.encode()) % 3 == 1


@dataclass(slots=True)
class PageScore:
    """One page: what the pipeline stored, as a web page and as a text scrape."""

    page: str
    held_out: bool
    title_ref: str | None
    title: str | None
    title_source: str | None
    title_exact: bool | None
    authors_ref: list[str]
    authors: list[str]
    authors_right: bool
    people_right: bool
    organisations: list[str]
    date_ref: str | None
    date: str | None
    date_score: str  # correct | wrong | none | no_ref
    precision: float
    recall: float
    rejected: bool
    scrape_title: str | None
    scrape_score: str  # exact | variant | wrong | none | no_ref


def _title_exact(ref: str | None, got: str | None) -> bool | None:
    if not ref:
        return None
    return got is not None and normalise(got) == normalise(ref)


def _scrape_score(ref: str | None, got: str | None, shown: str | None = None) -> str:
    if not ref:
        return "no_ref"
    if got is None:
        return "none"
    if normalise(got) == normalise(ref):
        return "exact"
    if shown and normalise(got) == normalise(shown):
        return "shown"
    if any(_similar(got, title) for title in (ref, shown) if title):
        return "variant"
    return "wrong"


def _similar(got: str, title: str) -> bool:
    mine, theirs = _words(got), _words(title)
    return bool(mine and theirs and len(mine & theirs) / min(len(mine), len(theirs)) >= 0.6)


_TITLE_SEPARATOR = re.compile(r"^\s*(?:[|｜:：·•*~»/-]|[–—])")


def shown_headline(html: str) -> str | None:
    """The headline the page displays and also declares: an <h1> equal to its og:title,
    twitter:title or JSON-LD headline, or the start of its <title> before a separator."""
    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return None
    declared = {normalise(t) for t in _declared_titles(root)}
    title = normalise(root.findtext(".//title") or "")
    for h1 in root.iter("h1"):
        text = normalise(h1.text_content())
        if text and (
            text in declared
            or (title.startswith(text) and _TITLE_SEPARATOR.match(title[len(text) :]))
        ):
            return text
    return None


def _declared_titles(root: Any) -> list[str]:
    titles = [
        m.get("content") or ""
        for m in root.iter("meta")
        if (m.get("property") or m.get("name") or "").lower() in {"og:title", "twitter:title"}
    ]
    for script in root.iter("script"):
        if (script.get("type") or "").lower() == "application/ld+json" and script.text:
            found = re.findall(r'"headline"\s*:\s*("(?:[^"\\]|\\.)*")', script.text)
            titles += [_json_string(f) for f in found]
    return [html_module.unescape(t) for t in titles]


def _json_string(literal: str) -> str:
    try:
        value = json.loads(literal)
    except ValueError:
        return ""
    return value if isinstance(value, str) else ""


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", normalise(text).casefold()))


def _names(names: Iterable[str]) -> set[str]:
    return {_INITIAL.sub(r"\1.", normalise(n)).casefold() for n in names}


_INITIAL = re.compile(r"(?<!\S)([^\W\d_])(?=\s|$)")


def authors_right(ref: Sequence[str], people: Sequence[str], organisations: Sequence[str]) -> bool:
    """The reference's authors are the people, or the people with the organisations."""
    want = _names(ref)
    return want in (_names(people), _names([*people, *organisations]))


def _date_score(ref: datetime | None, article: Article | None) -> str:
    if ref is None:
        return "no_ref"
    if article is None or article.published is None:
        return "none"
    days = {ref.date()}
    if ref.tzinfo is not None:
        days.add(ref.astimezone(UTC).date())
    return "correct" if article.published.value.date() in days else "wrong"


def _text_document(name: str, text: str, url: str | None) -> RawDocument:
    """The page's rendered text as a text scrape the pipeline reads."""
    return replace(raw_document(name, text, url), media=Media.TEXT)


def _cleaned(doc: RawDocument, site: Any) -> Article | None:
    result = pipeline.clean(doc, site) if site is not None else pipeline.clean(doc)
    return result if isinstance(result, Article) else None


def score_page(
    name: str, url: str | None, ref: Reference, html: str, site: Any = None
) -> tuple[PageScore, Article | None]:
    """Clean one page as a web page and as a text scrape, and score both."""
    article = _cleaned(raw_document(name, html, url), site)
    scrape = _cleaned(_text_document(name, render_text_scrape(html), url), None)
    shown = shown_headline(html)
    precision, recall, _ = body_scores(
        tokens(reference_body(ref)), tokens(article.text) if article else []
    )
    people = list(article.authors) if article else []
    organisations = list(getattr(article, "organisations", ()) or ()) if article else []
    return PageScore(
        page=name,
        held_out=held_out(name.split("/", maxsplit=1)[0]),
        title_ref=ref.title,
        title=article.title if article else None,
        title_source=article.title_source if article else None,
        title_exact=_title_exact(ref.title, article.title if article else None),
        authors_ref=list(ref.authors),
        authors=people,
        authors_right=authors_right(ref.authors, people, organisations),
        people_right=_names(ref.authors) == _names(people),
        organisations=organisations,
        date_ref=ref.published.isoformat() if ref.published else None,
        date=article.published.value.isoformat() if article and article.published else None,
        date_score=_date_score(ref.published, article),
        precision=precision,
        recall=recall,
        rejected=article is None,
        scrape_title=scrape.title if scrape else None,
        scrape_score=_scrape_score(ref.title, scrape.title if scrape else None, shown),
    ), article


def _host(url: str | None) -> str:
    return (urlsplit(url).hostname or "") if url else ""


def score_corpus(corpus: Path) -> list[PageScore]:
    """Every page, each host's pages in file-name order, each with what its host taught."""
    learner = _site_learner()
    rows = []
    for cc, path, url, ref in sorted(load_pages(corpus), key=lambda p: (_host(p[2]), p[1].name)):
        host = _host(url)
        site = learner.site(host) if learner else None
        row, article = score_page(f"{cc}/{path.name}", url or None, ref, read_page(path), site)
        if learner and article is not None:
            learner.remember(host, getattr(article, "page_title", None))
        rows.append(row)
    return sorted(rows, key=lambda r: r.page)


class _Learner:
    """The pipeline's learning of site titles, fed page by page (no warehouse)."""

    def __init__(self, learn: Any) -> None:
        self._learn = learn
        self._titles: dict[str, list[str]] = defaultdict(list)

    def site(self, host: str) -> Any:
        return self._learn(self._titles[host])

    def remember(self, host: str, title: str | None) -> None:
        if title:
            self._titles[host].append(title)


def _site_learner() -> _Learner | None:
    """The learner when the pipeline has one (figures of older commits are comparable)."""
    try:
        from flows.extract.titles import learn_site_titles
    except ImportError:
        return None
    return _Learner(learn_site_titles)


def learning(corpus: Path) -> dict[str, Any] | None:
    """What a host's earlier titles teach: its later pages' ``<title>`` alone, cleaned with and
    without the affixes learned from the earlier ones (hosts with two pages or more)."""
    try:
        import trafilatura

        from flows.extract.pagemeta import page_meta
        from flows.extract.titles import TitleCandidates, choose_title, learn_site_titles
    except ImportError:
        return None
    by_host: dict[str, list[tuple[str | None, str | None]]] = defaultdict(list)
    for _, path, url, ref in sorted(load_pages(corpus), key=lambda p: (_host(p[2]), p[1].name)):
        tree = trafilatura.load_html(read_page(path))
        by_host[_host(url)].append((page_meta(tree, url).page_title, ref.title))
    taught = untaught = later = 0
    for pages in (p for p in by_host.values() if len(p) > 1):
        for index, (stated, wanted) in enumerate(pages[1:], start=1):
            site = learn_site_titles(t for t, _ in pages[:index] if t)
            found = TitleCandidates(html_title=stated)
            later += 1
            taught += _title_exact(wanted, choose_title(found, site)[0]) is True
            untaught += _title_exact(wanted, choose_title(found)[0]) is True
    return {
        "later_pages": later,
        "exact_untaught": untaught / later,
        "exact_taught": taught / later,
    }


def _share(rows: Iterable[PageScore], hit: Any, among: Any = None) -> tuple[float, int]:
    pool = [r for r in rows if among is None or among(r)]
    return (sum(1 for r in pool if hit(r)) / len(pool) if pool else 0.0), len(pool)


def summarise(rows: Sequence[PageScore]) -> dict[str, Any]:
    """The target figures of a set of pages."""
    with_title = [r for r in rows if r.title_ref]
    with_date = [r for r in rows if r.date_score != "no_ref"]

    def scrape(kind: str) -> float:
        return sum(r.scrape_score == kind for r in with_title) / max(len(with_title), 1)

    return {
        "pages": len(rows),
        "title_exact": sum(bool(r.title_exact) for r in with_title) / max(len(with_title), 1),
        "authors_right": _share(rows, lambda r: r.authors_right)[0],
        "people_right": _share(rows, lambda r: r.people_right)[0],
        "authors_right_ref": _share(rows, lambda r: r.authors_right, lambda r: r.authors_ref)[0],
        "authors_ref_pages": _share(rows, bool, lambda r: r.authors_ref)[1],
        "date_wrong": sum(r.date_score == "wrong" for r in with_date) / max(len(with_date), 1),
        "date_none": sum(r.date_score == "none" for r in with_date) / max(len(with_date), 1),
        "precision": sum(r.precision for r in rows) / max(len(rows), 1),
        "recall": sum(r.recall for r in rows) / max(len(rows), 1),
        "rejected": sum(r.rejected for r in rows),
        "scrape_exact": scrape("exact"),
        "scrape_right": scrape("exact") + scrape("shown"),
        "scrape_none": scrape("none"),
        "scrape_wrong": scrape("wrong"),
        "scrape_variant": scrape("variant"),
    }


_FIGURES = (
    ("title_exact", "web title exact", ">= 0.90"),
    ("authors_right", "web authors right", ">= 0.85"),
    ("people_right", "  (people only)", ""),
    ("authors_right_ref", "  (pages naming authors)", ""),
    ("date_wrong", "web date wrong", "<= 0.02"),
    ("date_none", "web date none", ""),
    ("precision", "web body precision", "+0.03"),
    ("recall", "web body recall", ">= before"),
    ("scrape_exact", "scrape title exact", ">= 0.90"),
    ("scrape_right", "  (or the shown headline)", ""),
    ("scrape_none", "scrape no headline", "<= 0.05"),
    ("scrape_wrong", "scrape wrong headline", "<= 0.02"),
    ("scrape_variant", "scrape variant headline", ""),
)
_SPLITS = ("tuned", "held_out", "all")


def splits(rows: Sequence[PageScore]) -> dict[str, dict[str, Any]]:
    """Figures for the tuning pages, the held-out pages and all pages."""
    return {
        "tuned": summarise([r for r in rows if not r.held_out]),
        "held_out": summarise([r for r in rows if r.held_out]),
        "all": summarise(rows),
    }


def print_table(now: dict[str, dict[str, Any]], before: dict[str, dict[str, Any]] | None) -> None:
    """One line per figure: tuned, held-out and all pages (before -> after with --compare)."""
    sizes = "  ".join(f"{s} n={now[s]['pages']}" for s in _SPLITS)
    print(f"{'figure':<26} {'target':<10} {sizes}")
    for key, label, target in _FIGURES:
        cells = []
        for split in _SPLITS:
            value = now[split][key]
            cells.append(f"{before[split][key]:.3f} -> {value:.3f}" if before else f"{value:.3f}")
        width = 16 if before else 8
        print(f"{label:<26} {target:<10} " + "  ".join(f"{c:>{width}}" for c in cells))


def _show(rows: Sequence[PageScore], which: str) -> None:
    """Print the failures of the pages of ``which``."""
    for r in rows:
        if which != "all" and r.held_out != (which == "held_out"):
            continue
        if r.title_exact is False:
            print(f"TITLE {r.page} [{r.title_source}]: {r.title!r}\n    want {r.title_ref!r}")
        if r.scrape_score in {"wrong", "none"}:
            print(f"SCRAPE {r.scrape_score} {r.page}: {r.scrape_title!r}\n    want {r.title_ref!r}")
        if not r.authors_right:
            print(f"AUTHORS {r.page}: {r.authors} {r.organisations}\n    want {r.authors_ref}")
        if r.date_score == "wrong":
            print(f"DATE {r.page}: {r.date} want {r.date_ref}")


def main(argv: list[str] | None = None) -> int:
    """Score the corpus, print the figures (beside an earlier run's), write the JSON."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--compare", type=Path, help="an earlier --out to print beside")
    parser.add_argument("--show", choices=["tuned", "held_out", "all"], help="list failures")
    args = parser.parse_args(argv)
    rows = score_corpus(args.corpus)
    figures = splits(rows)
    before = json.loads(args.compare.read_text())["figures"] if args.compare else None
    if args.show:
        _show(rows, args.show)
    print_table(figures, before)
    taught = learning(args.corpus)
    if taught:
        print(
            f"<title> alone, later pages of a host ({taught['later_pages']}): exact"
            f" {taught['exact_untaught']:.3f} untaught -> {taught['exact_taught']:.3f} with what"
            " the host's earlier titles taught"
        )
    if args.out:
        args.out.write_text(
            json.dumps(
                {"figures": figures, "pages": [asdict(r) for r in rows]},
                indent=1,
                ensure_ascii=False,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
