"""Body text, title and authors of other maintained extractors beside the pipeline's, on one corpus.

The pipeline's ``clean()`` (trafilatura, two steps, plus the metadata and
body rules of ``flows.extract``) and, when importable, goose3 and newspaper4k
are run on every page of a fundus-style corpus; each is scored as
:mod:`bench.metadata_quality` scores the pipeline: bag-of-words precision and
recall of the body against the reference (:func:`bench.extraction_options.body_scores`),
title exact after :func:`bench.metadata_quality.normalise`, and author lists,
with the tuned / held-out split of :func:`bench.metadata_quality.held_out`
(authors by :func:`bench.metadata_quality.authors_right`; the others name no organisations).

Neither extractor is a dependency of the project: install them anywhere
(``pip install --target DIR goose3 newspaper4k``) and pass ``--extra-path DIR``;
it is appended to ``sys.path``, so the project's own pinned packages still win.

Usage::

    .venv/bin/python -m bench.other_extractors --corpus /work/shared/corpus/fundus \\
        [--extra-path DIR]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from statistics import fmean
from typing import Any

from bench.extraction_options import body_scores, raw_document, reference_body, tokens
from bench.metadata_quality import authors_right, held_out, normalise
from bench.textscrape_quality import load_pages, read_page
from flows.extract import clean as pipeline
from flows.extract.records import Article

__all__ = ["main"]

Extracted = tuple[str, str | None, tuple[str, ...], tuple[str, ...]]  # text, title, people, orgs


def _pipeline(html: str, url: str | None) -> Extracted:
    article = pipeline.clean(raw_document("page", html, url))
    if not isinstance(article, Article):
        return "", None, (), ()
    return article.text, article.title, article.authors, article.organisations


def _goose() -> Callable[[str, str | None], Extracted] | None:
    try:
        from goose3 import Goose  # type: ignore[import-not-found]
    except ImportError:
        return None
    goose = Goose({"enable_image_fetching": False})

    def extract(html: str, url: str | None) -> Extracted:
        found = goose.extract(raw_html=html)
        return found.cleaned_text or "", found.title, _names(found.authors), ()

    return extract


def _newspaper() -> Callable[[str, str | None], Extracted] | None:
    try:
        from newspaper import Article as Paper  # type: ignore[import-not-found]
    except ImportError:
        return None

    def extract(html: str, url: str | None) -> Extracted:
        paper = Paper(url or "https://example.invalid/")
        paper.download(input_html=html)
        paper.parse()
        return paper.text or "", paper.title, _names(paper.authors), ()

    return extract


def _names(found: Any) -> tuple[str, ...]:
    """Author names as strings, however an extractor nests them."""
    if isinstance(found, str):
        return (found,)
    if isinstance(found, list | tuple | set):
        return tuple(name for item in found for name in _names(item))
    return ()


def _scored(extract: Callable[[str, str | None], Extracted]) -> dict[str, list[Any]]:
    rows: dict[str, list[Any]] = {"tuned": [], "held_out": []}
    for cc, path, url, ref in load_pages(ARGS.corpus):
        try:
            text, title, people, organisations = extract(read_page(path), url or None)
        except Exception:  # another extractor's crash is its score, not ours
            text, title, people, organisations = "", None, (), ()
        precision, recall, _ = body_scores(tokens(reference_body(ref)), tokens(text))
        exact = bool(ref.title and title and normalise(title) == normalise(ref.title))
        right = authors_right(ref.authors, people, organisations)
        rows["held_out" if held_out(cc) else "tuned"].append((precision, recall, exact, right))
    return rows


def _line(name: str, rows: dict[str, list[Any]]) -> str:
    cells = []
    for split in ("tuned", "held_out"):
        got = rows[split]
        cells.append(
            f"P {fmean(r[0] for r in got):.3f} R {fmean(r[1] for r in got):.3f}"
            f" title {fmean(r[2] for r in got):.3f} authors {fmean(r[3] for r in got):.3f}"
        )
    return f"{name:<12} " + "   |   ".join(cells)


class _Args:
    corpus: Path


ARGS = _Args()


def main(argv: list[str] | None = None) -> int:
    """Score each extractor that can be imported; print one line each (tuned | held-out)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--extra-path", type=Path, help="where goose3 / newspaper4k are installed")
    args = parser.parse_args(argv)
    ARGS.corpus = args.corpus
    if args.extra_path:
        sys.path.append(str(args.extra_path))
    extractors = {"pipeline": _pipeline, "goose3": _goose(), "newspaper4k": _newspaper()}
    print(f"{'extractor':<12} tuned   |   held-out")
    for name, extract in extractors.items():
        print(_line(name, _scored(extract)) if extract else f"{name:<12} not installed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
