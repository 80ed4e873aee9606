"""The body run and its trailing cut (related links, comments, copyright)."""

from __future__ import annotations

from datetime import UTC, datetime

from flows.extract.textscrape import clean_text_scrape
from flows.extract.textscrape.document import Doc
from flows.extract.textscrape.lines import line_features, mark_prose
from flows.extract.textscrape.segment import best_segment
from tests.flows.extract.textscrape.scrapes import (
    accounted_for,
    paragraphs_of,
    reasons_of,
)

TRAILING = """\
Home
News
Council approves budget after marathon session
Published: 2023-06-01T18:45:00Z
The city council approved next year's budget late on Wednesday after a session that lasted \
more than eleven hours and ended with a narrow vote.
The budget includes new money for road repairs and libraries, but cuts funding for two \
community centres that will now have to find other sponsors.
The mayor said the compromise was the best the city could afford in a difficult year.
Related
Mayor announces re-election bid
Library opening hours extended
More from News
Comments
© 2023 Example Media. All rights reserved.
Privacy Policy
Terms of Use
"""


def test_trailing_related_links_and_copyright_are_cut() -> None:
    result = clean_text_scrape(TRAILING)

    assert result.title == "Council approves budget after marathon session"
    assert result.published_at == datetime(2023, 6, 1, 18, 45, tzinfo=UTC)
    paragraphs = paragraphs_of(result)
    assert (
        paragraphs[-1]
        == "The mayor said the compromise was the best the city could afford in a difficult year."
    )
    assert len(paragraphs) == 3
    reasons = reasons_of(result)
    assert reasons["Mayor announces re-election bid"] == "trailing"
    assert "© 2023 Example Media. All rights reserved." in reasons
    accounted_for(TRAILING, result)


def test_the_body_is_the_densest_prose_run() -> None:
    prose = (
        "The council said on Tuesday that it would review the plans after residents raised "
        "concerns about the traffic and the noise in the area."
    )
    lines = line_features(
        [
            "Home",
            "Teaser: the mayor said on Monday that the budget would be tight this year.",
            "2 hours ago",
            "Council reviews plans",
            prose,
            prose.replace("council", "mayor"),
            prose.replace("council", "board"),
            "Related",
            "Mayor announces re-election bid",
        ]
    )
    mark_prose(lines, use_stopwords=True)
    doc = Doc.of(lines, "en")
    assert best_segment(doc) == (4, 6)
    assert best_segment(Doc.of(line_features(["Home", "News"]), "en")) is None
