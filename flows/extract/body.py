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

Metadata is read once per page, by :func:`page_metadata`: trafilatura's own
``extract_metadata`` step by step, without the categories, tags and licence it
would also look for and the pipeline never stores (about a tenth of its CPU);
the extraction calls themselves run without metadata. One step is bounded:
trafilatura scans a JSON-LD block that does not parse with regular expressions
whose cost grows faster than the block (a live blog's 800 KB block took 1.3 s
of CPU, a tenth of a whole run's extraction over the fundus pages); blocks
over ``CRUDE_JSON_LIMIT`` characters that do not parse are skipped instead.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from html import unescape
from typing import Any

import trafilatura
from courlan import extract_domain
from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura.json_metadata import JSON_UNICODE_REPLACE, extract_json, extract_json_parse_error
from trafilatura.metadata import (
    JSON_MINIFY,
    META_URL,
    examine_meta,
    extract_author,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import Document
from trafilatura.utils import HTML_STRIP_TAGS, trim

__all__ = [
    "BLOCK_SHARE",
    "CRUDE_JSON_LIMIT",
    "MIN_EXTRACTED_CHARS",
    "OPTIONS",
    "Check",
    "SecondPass",
    "extract_body",
    "extract_checked",
    "full_extraction",
    "largest_paragraph_block",
    "normalize_json_text",
    "page_metadata",
    "two_step",
]

# The options of every bare_extraction call the pipeline makes (its metadata: page_metadata).
OPTIONS: dict[str, Any] = {
    "with_metadata": True,
    "include_comments": False,
    "include_tables": True,
    "date_extraction_params": {"extensive_search": False, "original_date": True},
}
_DATE_PARAMS: dict[str, Any] = OPTIONS["date_extraction_params"]
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
    """The pipeline's extraction of a parsed page: :func:`two_step` with the default rule.

    The body comes from extraction calls without metadata, the metadata from one
    :func:`page_metadata` of the page.
    """
    return extract_checked(tree, url)[0]


def extract_checked(tree: HtmlElement, url: str | None) -> tuple[Document | None, Check]:
    """:func:`extract_body`, with what the second-pass rule saw (for benchmarks)."""
    metadata = page_metadata(tree, url)
    result, check = two_step(tree, url, with_metadata=False)
    if result is not None:
        for name in _METADATA_FIELDS:
            setattr(result, name, getattr(metadata, name))
    return result, check


# A JSON-LD block that does not parse is scanned with trafilatura's regular expressions only
# up to this size (characters); their cost grows faster than the block.
CRUDE_JSON_LIMIT = 100_000
_JSON_LD = './/script[@type="application/ld+json" or @type="application/settings+json"]'
_SURROGATE = re.compile(r"[\ud800-\udfff]")

# What page_metadata fills in (the rest of a Document is the extraction's).
_METADATA_FIELDS = ("title", "author", "url", "hostname", "description", "sitename", "date")


def page_metadata(tree: HtmlElement, url: str | None) -> Document:
    """trafilatura's ``extract_metadata`` with the pipeline's date options, minus what it ignores.

    The same steps in the same order (meta tags, JSON-LD, title, author, URL,
    host, htmldate, site name), without categories, tags and licence; the
    fields of ``_METADATA_FIELDS`` equal trafilatura's (tests/flows/extract/test_body.py).
    """
    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None
    with contextlib.suppress(Exception):  # as trafilatura does: its JSON-LD reader has bugs
        metadata = _json_ld_metadata(tree, metadata)
    metadata.title = metadata.title or extract_title(tree)
    metadata.author = metadata.author or extract_author(tree)
    metadata.url = metadata.url or extract_url(tree, url)
    if metadata.url:
        metadata.hostname = extract_domain(metadata.url, fast=True)
    metadata.date = find_date(tree, **{**_DATE_PARAMS, "url": metadata.url})
    metadata.sitename = _sitename(metadata.sitename or extract_sitename(tree), metadata.url)
    metadata.clean_and_trim()
    return metadata


def _json_ld_metadata(tree: HtmlElement, metadata: Document) -> Document:
    """trafilatura's ``extract_meta_json``, with its crude scan of a block that does not parse
    bounded to blocks of ``CRUDE_JSON_LIMIT`` characters."""
    for element in tree.xpath(_JSON_LD):
        if not element.text:
            continue
        text = normalize_json_text(JSON_MINIFY.sub(r"\1", element.text))
        try:
            schema = json.loads(text, strict=False)
        except json.JSONDecodeError:
            if len(text) <= CRUDE_JSON_LIMIT:
                metadata = extract_json_parse_error(text, metadata)
            continue
        metadata = extract_json(schema, metadata)
    return metadata


def normalize_json_text(text: str) -> str:
    """trafilatura's ``normalize_json``, with lone surrogates dropped by one regular expression
    instead of a generator over every character (0.3 s for an 800 KB block)."""
    if "\\" in text:
        text = text.replace("\\n", "").replace("\\r", "").replace("\\t", "")
        text = JSON_UNICODE_REPLACE.sub(lambda match: chr(int(match[1], 16)), text)
        text = _SURROGATE.sub("", text)
        text = unescape(text)
    return trim(HTML_STRIP_TAGS.sub("", text))


def _sitename(name: str | None, url: str | None) -> str | None:
    """As trafilatura: no Twitter '@', capitalised unless a domain, else from the URL."""
    if name:
        name = name.lstrip("@")
        if name and "." not in name and not name[0].isupper():
            name = name.title()
        return name
    match = META_URL.match(url) if url else None
    return match[1] if match else None


def full_extraction(tree: HtmlElement, url: str | None, **changes: Any) -> Document | None:
    """trafilatura's full call with the pipeline's options (``changes`` override them)."""
    result = trafilatura.bare_extraction(tree, url=url, **{**OPTIONS, **changes})
    return result if isinstance(result, Document) else None


def two_step(
    tree: HtmlElement,
    url: str | None,
    rule: SecondPass = SecondPass(),
    *,
    with_metadata: bool = True,
) -> tuple[Document | None, Check]:
    """The pipeline's call with ``fast=True``, then the full call if ``rule`` finds it suspicious.

    The second call skips metadata (the first call's is kept; with the pipeline's
    date options it does not depend on ``fast``) and its body and text replace the
    fast ones, so on those pages the result is the full call's.
    """
    first = full_extraction(tree, url, fast=True, with_metadata=with_metadata)
    check = _check(first, tree, rule)
    if not check.second_pass:
        return first, check
    if first is None:
        return full_extraction(tree, url, with_metadata=with_metadata), check
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
