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
