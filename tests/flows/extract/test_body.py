"""Tests of flows.extract.body: the pipeline's trafilatura call, its metadata and second pass."""

from __future__ import annotations

import json

import pytest
import trafilatura
from trafilatura.json_metadata import normalize_json
from trafilatura.metadata import extract_metadata

from flows.extract.body import (
    CRUDE_JSON_LIMIT,
    OPTIONS,
    SecondPass,
    extract_body,
    full_extraction,
    largest_paragraph_block,
    normalize_json_text,
    page_metadata,
    two_step,
)
from tests.textgen import paragraphs

FIELDS = ("title", "author", "url", "hostname", "description", "sitename", "date")


def page(head: str = "", body_extra: str = "", seed: str = "body") -> str:
    text = "".join(f"<p>{p}</p>" for p in paragraphs(seed, count=6))
    return (
        f"<html><head>{head}</head><body><nav><a href='/'>Home</a> | <a href='/x'>World</a>"
        f"</nav><article><h1>Council approves harbour plan</h1>{text}</article>{body_extra}"
        "<footer>Contact | Privacy</footer></body></html>"
    )


JSON_LD = json.dumps(
    {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": "Council approves harbour plan",
        "author": [{"@type": "Person", "name": "Ada Lovelace"}],
        "datePublished": "2024-03-05T09:30:00+01:00",
        "publisher": {"@type": "Organization", "name": "The Daily Meridian"},
    }
)
HEADS = {
    "nothing": "",
    "title only": "<title>Harbour plan | The Daily Meridian</title>",
    "meta tags": (
        '<title>Harbour plan</title><meta name="author" content="Grace Hopper">'
        '<meta property="og:site_name" content="meridian">'
        '<meta name="description" content="The council said yes.">'
        '<meta property="article:published_time" content="2024-03-05">'
        '<link rel="canonical" href="https://news.example/harbour">'
    ),
    "json-ld": f'<script type="application/ld+json">{JSON_LD}</script>',
    "broken json-ld": '<script type="application/ld+json">{"author": "Ada Lovelace",</script>',
    "broken json-ld, person": (
        '<script type="application/ld+json">{"@type": "NewsArticle", '
        '"author": {"@type": "Person", "name": "Ada Lovelace"},</script>'
    ),
    "twitter site": '<meta name="twitter:site" content="@meridian">',
}


@pytest.mark.parametrize("head", HEADS.values(), ids=HEADS.keys())
def test_page_metadata_equals_trafilatura_s_for_every_field_the_pipeline_reads(head: str) -> None:
    html = page(head)
    url = "https://news.example/2024/03/harbour"
    ours = page_metadata(trafilatura.load_html(html), url)
    theirs = extract_metadata(
        trafilatura.load_html(html), url, OPTIONS["date_extraction_params"], False, set()
    )
    assert [getattr(ours, f) for f in FIELDS] == [getattr(theirs, f) for f in FIELDS]


def test_a_huge_json_ld_block_that_does_not_parse_is_not_scanned_for_names() -> None:
    """trafilatura's regular-expression scan of such a block costs seconds (a live blog's
    800 KB block: 1.3 s); below the limit the same broken block still gives its author."""
    broken = '{"@type": "NewsArticle", "author": {"@type": "Person", "name": "Ada Lovelace"},'
    filler = '"liveBlogUpdate": "' + "x" * CRUDE_JSON_LIMIT + '"'
    small = page(f'<script type="application/ld+json">{broken}</script>')
    huge = page(f'<script type="application/ld+json">{broken}{filler}</script>')
    url = "https://news.example/2024/03/harbour"
    assert page_metadata(trafilatura.load_html(small), url).author == "Ada Lovelace"
    assert page_metadata(trafilatura.load_html(huge), url).author is None


def test_extract_body_is_the_full_call_with_metadata_on_an_ordinary_page() -> None:
    html = page(HEADS["json-ld"])
    url = "https://news.example/2024/03/harbour"
    ours = extract_body(trafilatura.load_html(html), url)
    full = full_extraction(trafilatura.load_html(html), url)
    assert ours is not None and full is not None
    assert ours.text == full.text
    assert [getattr(ours, f) for f in FIELDS] == [getattr(full, f) for f in FIELDS]
    assert ours.author == "Ada Lovelace"


def test_a_short_fast_result_beside_a_large_paragraph_block_takes_the_second_pass() -> None:
    tree = trafilatura.load_html(page())
    result, check = two_step(tree, None, SecondPass(block_share=1e9))  # every text is short
    assert check.second_pass is True and result is not None
    assert check.block_chars == largest_paragraph_block(tree) > 0
    _, ordinary = two_step(tree, None)
    assert ordinary.second_pass is False


@pytest.mark.parametrize(
    "text",
    [
        '{"headline": "Plain"}',
        '{"headline": "Caf\\u00e9 \\n <b>bold</b> &amp; more"}',
        '{"headline": "lone \\ud83d surrogate \\udc00 and a pair \\ud83d\\ude00"}',
        '{"a": "tab\\tand\\rreturn", "b": "\\\\u0041"}',
        "no backslash at all <i>tag</i>   spaced",
    ],
)
def test_normalize_json_text_equals_trafilatura_s(text: str) -> None:
    assert normalize_json_text(text) == normalize_json(text)
