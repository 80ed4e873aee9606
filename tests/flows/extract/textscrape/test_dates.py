"""Datelines: which dates are read, in which order, with which zone."""

from __future__ import annotations

from datetime import datetime

import pytest

from flows.extract.textscrape import clean_text_scrape
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
