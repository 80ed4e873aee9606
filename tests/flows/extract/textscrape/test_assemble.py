"""The result: every line not in the text is listed in ``dropped`` with its reason."""

from __future__ import annotations

from flows.extract.textscrape import clean_text_scrape
from tests.flows.extract.textscrape.scrapes import (
    SEED,
    accounted_for,
    paragraphs_of,
    reasons_of,
)


def test_seed_drops_are_explained() -> None:
    source = SEED.read_text(encoding="utf-8")
    result = clean_text_scrape(source)

    reasons = reasons_of(result)
    assert reasons["Accessibility links"] == "chrome"
    assert reasons["Breaking News"] == "chrome"
    caption = next(line for line in reasons if line.startswith("FILE - A Pakistani F-16"))
    assert reasons[caption] == "caption"
    assert paragraphs_of(result)[-1].startswith("The blast killed nearly 200 people")
    accounted_for(source, result)


def test_without_prose_the_text_keeps_what_is_not_chrome() -> None:
    source = "Home\nShare\nOpening hours\nMonday to Friday\nGetty Images\n"
    result = clean_text_scrape(source)

    assert (result.title, result.published_at, result.authors) == (None, None, ())
    assert paragraphs_of(result) == ["Opening hours", "Monday to Friday"]
    assert reasons_of(result) == {"Home": "chrome", "Share": "chrome", "Getty Images": "credit"}
