"""Cleaning: metadata with provenance, honest dates, rejects with reasons."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from connectors.records import EntryHints, Media, RawDocument, Rejected, RejectReason
from flows.extract.clean import clean
from flows.extract.records import Article
from flows.extract.titles import learn_site_titles
from tests.textgen import paragraphs

BODY = "".join(f"<p>{p}</p>" for p in paragraphs("clean-tests"))


def doc(
    html: str,
    *,
    media: Media = Media.HTML,
    hints: EntryHints | None = None,
    url: str | None = "https://news.example/a",
) -> RawDocument:
    return RawDocument(
        source="test",
        location="https://news.example/a",
        url=url,
        content=html,
        media=media,
        raw_hash="x",
        retrieved_at=datetime(2024, 5, 1, tzinfo=UTC),
        hints=hints,
    )


def article(html: str, **kwargs: object) -> Article:
    result = clean(doc(html, **kwargs))  # type: ignore[arg-type]
    assert isinstance(result, Article), result
    return result


def page(head: str = "", title: str = "Harbour plans approved") -> str:
    return f"<html><head><title>{title}</title>{head}</head><body><article><h1>{title}</h1>{BODY}</article></body></html>"


def test_json_ld_date_is_exact_and_says_where_it_came_from() -> None:
    ld = '<script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"NewsArticle","datePublished":"2024-03-05T09:30:00+01:00","dateModified":"2024-03-06T10:00:00Z","inLanguage":"de-DE"}]}</script>'
    result = article(page(ld))
    assert result.published is not None
    assert result.published.value == datetime(2024, 3, 5, 8, 30, tzinfo=UTC)
    assert (result.published.precision, result.published.source) == ("second", "jsonld")
    assert result.modified_at == datetime(2024, 3, 6, 10, 0, tzinfo=UTC)
    assert result.language == "de"
    assert result.title == "Harbour plans approved"
    assert result.title_source == "h1"  # the visible headline, and <title> says the same


def test_meta_date_without_zone_keeps_only_the_day() -> None:
    result = article(page('<meta property="article:published_time" content="2024-03-05T23:30:00">'))
    assert result.published is not None
    assert result.published.value == datetime(2024, 3, 5, tzinfo=UTC)
    assert (result.published.precision, result.published.source) == ("day", "meta")


def test_feed_hints_fill_what_the_page_does_not_say() -> None:
    hints = EntryHints(
        origin="feed",
        title="Feed title",
        published_at=datetime(2024, 2, 1, 12, tzinfo=UTC),
        authors=("Ann Lee",),
    )
    result = article("<html><body><article>" + BODY + "</article></body></html>", hints=hints)
    assert result.published is not None
    assert (result.published.value, result.published.source) == (
        datetime(2024, 2, 1, 12, tzinfo=UTC),
        "feed",
    )
    assert (result.authors, result.authors_source) == (("Ann Lee",), "feed")


def test_no_date_is_invented() -> None:
    result = article(page())
    assert result.published is None


def test_pages_without_an_article_are_rejected_with_a_reason() -> None:
    result = clean(
        doc("<html><body><nav><a href='/'>Home</a> | <a href='/x'>World</a></nav></body></html>")
    )
    assert isinstance(result, Rejected)
    assert result.reason is RejectReason.NO_ARTICLE


def test_text_scrape_dateline_without_zone_keeps_the_day() -> None:
    text = (
        "Skip to content\n\nCity council approves new harbour plans\n\nPublished 5 March 2024 10:04\n\n"
        + "\n\n".join(paragraphs("scrape"))
    )
    result = article(text, media=Media.TEXT, url=None)
    assert result.title == "City council approves new harbour plans"
    assert result.published is not None
    assert (result.published.value, result.published.precision, result.published.source) == (
        datetime(2024, 3, 5, tzinfo=UTC),
        "day",
        "text",
    )
    assert "Skip to content" not in result.text


def test_seed_scrape_has_no_date() -> None:
    from pathlib import Path

    seed = (Path(__file__).parents[3] / "seeds" / "000_a816b2ae7982ef0e.txt").read_text(
        encoding="utf-8"
    )
    result = article(seed, media=Media.TEXT, url=None)
    assert result.title == "Pakistan, US Discussing Counterterror Use of Airspace"
    assert result.text.startswith("Pakistan stopped short Saturday")
    assert result.published is None


def test_a_page_dated_in_the_far_future_has_no_date() -> None:
    result = article(page('<meta property="article:published_time" content="2999-12-31">'))
    assert result.published is None


def test_title_loses_the_site_name_the_page_declares() -> None:
    head = (
        "<title>Harbour plans approved | Daily Bugle</title>"
        '<meta property="og:title" content="Harbour plans approved | Daily Bugle">'
        '<meta property="og:site_name" content="Daily Bugle">'
    )
    html = f"<html><head>{head}</head><body><article>{BODY}</article></body></html>"
    result = article(html)
    assert (result.title, result.title_source) == ("Harbour plans approved", "meta")
    assert result.page_title == "Harbour plans approved | Daily Bugle"  # kept for learning


def test_title_loses_an_affix_learned_from_the_same_host() -> None:
    html = f"<html><head><title>Opinion | Ferries</title></head><body>{BODY}</body></html>"
    site = learn_site_titles(["Opinion | Trams", "Opinion | Bridges"])
    assert article(html).title == "Opinion | Ferries"
    result = clean(doc(html), site)
    assert isinstance(result, Article)
    assert (result.title, result.title_source) == ("Ferries", "title")


def test_people_and_organisations_are_stored_apart() -> None:
    ld = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "author": ['
        '{"@type": "Person", "name": "Lauren Manaker MS, RDN, LD"},'
        '{"@type": "Organization", "name": "USA TODAY"}]}</script>'
        '<meta name="author" content="USA TODAY">'
    )
    result = article(page(ld))
    assert (result.authors, result.organisations) == (("Lauren Manaker",), ("USA TODAY",))
    assert result.authors_source == "jsonld"


def test_the_seed_scrape_keeps_its_title_and_lead() -> None:
    seed = next((Path(__file__).resolve().parents[3] / "seeds").glob("000_*.txt"))
    result = article(seed.read_text(encoding="utf-8"), media=Media.TEXT, url=None)
    assert (result.title, result.title_source) == (
        "Pakistan, US Discussing Counterterror Use of Airspace",
        "text",
    )
    assert result.text.startswith("Pakistan stopped short Saturday of refuting media claims")
