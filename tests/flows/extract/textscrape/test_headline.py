"""The headline: title-shaped lines near the body, the URL slug, and None when unsure."""

from __future__ import annotations

from flows.extract.textscrape import clean_text_scrape
from tests.flows.extract.textscrape.scrapes import (
    ENGLISH_BYLINE,
    NO_HEADLINE,
    paragraphs_of,
)


def test_url_slug_supports_the_headline() -> None:
    result = clean_text_scrape(
        ENGLISH_BYLINE, url="https://news.example/world/storm-batters-coastal-towns-power"
    )
    assert result.title == "Storm batters coastal towns as thousands lose power"


def test_no_clear_headline_gives_none_and_keeps_the_prose() -> None:
    result = clean_text_scrape(NO_HEADLINE)

    assert result.title is None
    assert result.published_at is None
    assert len(paragraphs_of(result)) == 3
    assert result.text.startswith("The committee met on Monday")


def test_menu_only_lines_are_not_a_headline() -> None:
    source = "Home\nNews\nSport\nWeather\n\n" + NO_HEADLINE
    result = clean_text_scrape(source)

    assert result.title is None
    assert result.text.startswith("The committee met on Monday")
