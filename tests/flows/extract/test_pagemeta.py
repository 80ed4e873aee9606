"""What a page states about itself: JSON-LD before <meta>, canonical link, og:url, language."""

from __future__ import annotations

from datetime import UTC, datetime

import trafilatura

from flows.extract.pagemeta import PageMeta, clean_str, language_code, page_meta
from flows.extract.records import DatedValue


def meta_of(head: str, *, lang: str = "") -> PageMeta:
    html = f"<html{lang}><head>{head}</head><body><p>Body text.</p></body></html>"
    tree = trafilatura.load_html(html)
    assert tree is not None
    return page_meta(tree)


def ld(body: str) -> str:
    return f'<script type="application/ld+json">{body}</script>'


def test_json_ld_is_read_before_meta_tags() -> None:
    result = meta_of(
        '<meta property="article:published_time" content="2024-01-01T00:00:00Z">'
        + ld('[{"@type": ["Thing", "NewsArticle"], "datePublished": "2024-03-05T09:30:00+01:00"}]')
    )
    assert result.published == DatedValue(
        datetime(2024, 3, 5, 8, 30, tzinfo=UTC), "second", "jsonld"
    )


def test_meta_tags_fill_in_when_json_ld_has_no_usable_date() -> None:
    result = meta_of(
        ld('{"@type": "NewsArticle", "datePublished": "soon"}')
        + '<meta name="pubdate" content="2024-03-05">'
        + '<meta property="og:updated_time" content="2024-03-06T10:00:00Z">'
    )
    assert result.published == DatedValue(datetime(2024, 3, 5, tzinfo=UTC), "day", "meta")
    assert result.modified == DatedValue(datetime(2024, 3, 6, 10, tzinfo=UTC), "second", "meta")


def test_json_ld_that_is_broken_or_not_an_article_is_ignored() -> None:
    result = meta_of(
        ld("{not json")
        + ld('{"@type": "Organization", "datePublished": "2024-03-05"}')
        + ld('{"@graph": [{"@type": "WebSite"}]}')
    )
    assert result == PageMeta()


def test_links_and_language() -> None:
    result = meta_of(
        '<link rel="alternate canonical" href=" https://news.example/a ">'
        '<meta property="og:url" content="https://news.example/a?utm=x">',
        lang=' lang="pt-BR"',
    )
    assert result.canonical == "https://news.example/a"
    assert result.og_url == "https://news.example/a?utm=x"
    assert result.language == "pt"


def test_language_codes_and_strings_are_normalised() -> None:
    assert language_code("de-DE") == "de"
    assert language_code(" EN ") == "en"
    # og:locale's underscore form is not read today (no boundary after "en"): kept as it was.
    assert language_code("en_US") is None
    assert language_code(None) is None
    assert clean_str("  Harbour \n plans ") == "Harbour plans"
    assert clean_str("   ") is None
    assert clean_str(3) is None


def test_every_title_candidate_and_site_name_is_collected() -> None:
    head = (
        "<title>Storm hits coast | The Bugle</title>"
        '<meta property="og:title" content="Storm hits the coast">'
        '<meta name="twitter:title" content="Storm!">'
        '<meta property="og:site_name" content="Bugle">'
        '<meta name="twitter:site" content="@TheBugle">'
        + ld(
            '{"@graph": [{"@type": "WebPage", "headline": "Storm hits coast | The Bugle"},'
            ' {"@type": "NewsArticle", "headline": "Storm hits the coast &amp; town",'
            ' "publisher": {"@type": "Organization", "name": "Bugle Media"}},'
            ' {"@type": "WebSite", "name": "The Bugle"}]}'
        )
    )
    html = f"<html><head>{head}</head><body><h1>Storm hits the coast</h1><p>Text.</p></body></html>"
    tree = trafilatura.load_html(html)
    assert tree is not None
    meta = page_meta(tree, "https://www.bugle.example/a")
    titles = meta.titles
    assert titles.jsonld == ("Storm hits the coast & town", "Storm hits coast | The Bugle")
    assert (titles.og, titles.twitter) == ("Storm hits the coast", "Storm!")
    assert titles.html_title == "Storm hits coast | The Bugle"
    assert titles.h1 == ("Storm hits the coast",)
    assert titles.site_names == ("Bugle", "TheBugle", "Bugle Media", "The Bugle")
    assert titles.host == "www.bugle.example"
    assert meta.page_title == "Storm hits coast | The Bugle"
