"""Datelines: which dates are read, in which order, with which zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from connectors.text.dates import zone_offset
from flows.extract.textscrape import TextScrape, clean_text_scrape
from flows.extract.textscrape.dates import (
    DATELINE_ZONES,
    dates_in,
    is_dateline,
    month_numbers,
)
from flows.extract.textscrape.lines import line_features
from tests.flows.extract.textscrape.scrapes import (
    ENGLISH_BYLINE,
)


@pytest.mark.parametrize(
    ("dateline", "expected"),
    [
        ("Published 03/04/2024", None),  # day and month cannot be told apart in English
        ("Published 30/04/2024", datetime(2024, 4, 30)),
        ("Updated: 2024-04-30 08:15", datetime(2024, 4, 30, 8, 15)),
        ("Published 2 hours ago", None),
    ],
)
def test_labelled_date_formats(dateline: str, expected: datetime | None) -> None:
    source = ENGLISH_BYLINE.replace("Published 3 May 2021 10:04 BST", dateline)
    assert clean_text_scrape(source).published_at == expected


def _values(text: str, language: str | None = "en") -> list[datetime]:
    return [value for _, _, value in dates_in(text, language=language)]


BST = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Published 5 March 2024 10:04 BST", "en", datetime(2024, 3, 5, 10, 4, tzinfo=BST)),
        ("March 5, 2024 at 10:04 p.m.", "en", datetime(2024, 3, 5, 22, 4)),
        ("Veröffentlicht am 12. März 2024, 14:30 Uhr", "de", datetime(2024, 3, 12, 14, 30)),
        ("2024-04-27T10:00:00+02:00", None, datetime(2024, 4, 27, 8, tzinfo=UTC)),
        ("2025年1月13日 21時37分", "ja", datetime(2025, 1, 13, 21, 37)),
        ("15:56 BST, 27 April 2024", "en", datetime(2024, 4, 27, 15, 56, tzinfo=BST)),
        ("05.03.2024", "en", datetime(2024, 3, 5)),  # dotted dates are day-first everywhere
        ("03/04/2024", "fr", datetime(2024, 4, 3)),
        ("Mon 10:00 IST, 27 April 2024", "en", datetime(2024, 4, 27, 10, 0)),  # zone unknown
    ],
)
def test_dates_in_a_line(text: str, language: str | None, expected: datetime) -> None:
    assert _values(text, language) == [expected]


def test_dates_that_cannot_be_known_are_not_read() -> None:
    assert _values("03/04/2024") == []  # US or British order
    assert _values("2 hours ago") == []
    assert _values("in 1850 the town was founded") == []


def test_a_dateline_is_mostly_a_date() -> None:
    labelled, plain, sentence = line_features(
        [
            "Updated: 5 March 2024 10:04",
            "Tuesday 5 March 2024",
            "The court ruled on 12 March 2023 that the fees were lawful",
        ]
    )
    is_line, hits = is_dateline(labelled, language="en")
    assert is_line and hits[0].labelled and hits[0].updated
    assert is_dateline(plain, language="en")[0]
    assert not is_dateline(sentence, language="en")[0]


def test_month_names_in_many_languages() -> None:
    months = month_numbers()
    assert (months["märz"], months["marz"], months["sept"], months["grudnia"]) == (3, 3, 9, 12)


def test_dateline_zones_come_from_the_one_zone_table() -> None:
    for name in DATELINE_ZONES:
        # IST is recognised so it is not read as a word, but it is ambiguous: no offset.
        assert (zone_offset(name) is None) == (name == "IST"), name


def test_akt_is_the_german_updated_label() -> None:
    (updated,) = line_features(["Akt.: 29. Juni 2025 - 21.18 Uhr"])
    is_line, hits = is_dateline(updated, language="de")
    assert is_line and hits[0].labelled and hits[0].updated


BODY_EN = """\
The city council approved the harbour redevelopment plan on Tuesday after a debate that \
lasted well into the evening and drew a crowd of residents.

Supporters said the plan would bring new jobs to the waterfront, while opponents warned \
that the cost of the project had not been properly examined.
"""


def test_a_date_printed_over_the_headline_dates_it_when_nothing_below_does() -> None:
    headline = "Council approves harbour plan after long debate"
    standfirst = (
        "OPPOSITION: Critics said the cost of the waterfront scheme had never been examined"
        " properly by anyone"
    )

    def cleaned(*above: str, below: str = "AFP, MANILA") -> TextScrape:
        return clean_text_scrape("\n".join(["News", *above, headline, standfirst, below, BODY_EN]))

    dated = cleaned("Wed, Oct 16, 2024")
    assert (dated.title, dated.published_at) == (headline, datetime(2024, 10, 16))
    # A masthead's date of today over the headline gives way to the byline's date.
    masthead = cleaned("Wednesday, 03 December 2025", below="By Ann Lee | 5 November 2024")
    assert masthead.published_at == datetime(2024, 11, 5)
    # An "updated" date over the headline is no publication date.
    updated = cleaned("Akt.: 29. Juni 2025 - 21.18 Uhr")
    assert (updated.title, updated.published_at) == (headline, None)
