"""trafilatura's extraction as the pipeline calls it: fast first, the full call when in doubt.

``fast=True`` skips trafilatura's comparison with its fallback extractors
(readability, jusText), about 18 % of its CPU, and on most pages changes
nothing; on a few it keeps only the lead or the navigation. So the fast
result is checked: when its text is shorter than ``BLOCK_SHARE`` of the
page's largest block of sibling ``<p>`` elements (the block readability would
start from), or than trafilatura's own minimum, the full call runs again on
the same parsed tree (``bare_extraction`` copies its input) without metadata,
and its body replaces the fast one. Measured on 258 real pages
(``bench/extraction_options.py``, docs/performance.md): body F1 0.953 vs
0.951 for the full call, no page more than 0.1 worse, 0.85 of its CPU, with
the second call on about 2 % of pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import trafilatura
from lxml.html import HtmlElement
from trafilatura.settings import Document

__all__ = [
    "BLOCK_SHARE",
    "MIN_EXTRACTED_CHARS",
    "OPTIONS",
    "Check",
    "SecondPass",
    "extract_body",
    "full_extraction",
    "largest_paragraph_block",
    "two_step",
]

# The options of every bare_extraction call the pipeline makes.
OPTIONS: dict[str, Any] = {
    "with_metadata": True,
    "include_comments": False,
    "include_tables": True,
    "date_extraction_params": {"extensive_search": False, "original_date": True},
}
# trafilatura's MIN_EXTRACTED_SIZE (settings.cfg): below it, its own comparison runs jusText.
MIN_EXTRACTED_CHARS = 250
# Redo the extraction when its text is shorter than this share of the page's largest block
# of sibling <p> elements (chosen on the fundus pages: no loss from 0.6 to 1.0).
BLOCK_SHARE = 0.7
# trafilatura's recall-escalation gate (core.py: ESCALATION_MAX_LENGTH), for SecondPass.page_share.
_ESCALATION_MAX_CHARS = 3000


@dataclass(frozen=True, slots=True)
class SecondPass:
    """When a ``fast=True`` extraction is redone with the full call.

    Always when the fast call found nothing or less than ``min_chars`` characters.
    Otherwise, with ``block_share``: when its text is shorter than that share of the
    page's largest block of sibling ``<p>`` elements (:func:`largest_paragraph_block`).
    With ``page_share``: trafilatura's own recall-escalation gate (text under 3000
    characters and under that share of ``html2txt`` of the page).
    """

    block_share: float | None = BLOCK_SHARE
    page_share: float | None = None
    min_chars: int = MIN_EXTRACTED_CHARS


@dataclass(frozen=True, slots=True)
class Check:
    """What the second-pass rule saw on one page, and whether the full call ran."""

    chars: int  # fast text, whitespace collapsed
    block_chars: int | None  # largest block of sibling <p>, whitespace collapsed
    page_chars: int | None  # html2txt of the page (only for page_share, only if needed)
    second_pass: bool


def extract_body(tree: HtmlElement, url: str | None) -> Document | None:
    """The pipeline's extraction of a parsed page: :func:`two_step` with the default rule."""
    return two_step(tree, url)[0]


def full_extraction(tree: HtmlElement, url: str | None, **changes: Any) -> Document | None:
    """trafilatura's full call with the pipeline's options (``changes`` override them)."""
    result = trafilatura.bare_extraction(tree, url=url, **{**OPTIONS, **changes})
    return result if isinstance(result, Document) else None


def two_step(
    tree: HtmlElement, url: str | None, rule: SecondPass = SecondPass()
) -> tuple[Document | None, Check]:
    """The pipeline's call with ``fast=True``, then the full call if ``rule`` finds it suspicious.

    The second call skips metadata (the first call's is kept; with the pipeline's
    date options it does not depend on ``fast``) and its body and text replace the
    fast ones, so on those pages the result is the full call's.
    """
    first = full_extraction(tree, url, fast=True)
    check = _check(first, tree, rule)
    if not check.second_pass:
        return first, check
    if first is None:
        return full_extraction(tree, url), check
    second = full_extraction(tree, url or first.url, with_metadata=False)
    if second is None:
        return None, check
    for name in ("body", "text", "raw_text", "commentsbody", "comments"):
        setattr(first, name, getattr(second, name))
    return first, check


def largest_paragraph_block(tree: HtmlElement) -> int:
    """Characters (whitespace collapsed) of the largest group of ``<p>`` with one parent."""
    blocks: dict[Any, int] = {}
    for paragraph in tree.iter("p"):
        parent = paragraph.getparent()
        if parent is not None:
            blocks[parent] = blocks.get(parent, 0) + _chars(paragraph.text_content())
    return max(blocks.values(), default=0)


def _check(result: Document | None, tree: HtmlElement, rule: SecondPass) -> Check:
    chars = _chars(result.text or "") if result is not None else 0
    if result is None or chars < rule.min_chars:
        return Check(chars, None, None, second_pass=True)
    block = page = None
    suspicious = False
    if rule.block_share is not None:
        block = largest_paragraph_block(tree)
        suspicious = chars < rule.block_share * block
    if not suspicious and rule.page_share is not None and chars < _ESCALATION_MAX_CHARS:
        page = _chars(trafilatura.html2txt(tree))  # html2txt copies an element input
        suspicious = chars < rule.page_share * page
    return Check(chars, block, page, second_pass=suspicious)


def _chars(text: str) -> int:
    """Characters of ``text`` with every whitespace run counted as one space."""
    return len(" ".join(text.split()))
