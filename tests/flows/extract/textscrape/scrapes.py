"""Sample text scrapes and helpers shared by the text-scrape tests.

Fixtures are written inline (plus the bundled seed document); they mimic what
a browser's copy-all gives for real pages: one block per line or paragraph,
site chrome around the article.
"""

from __future__ import annotations

from pathlib import Path

from flows.extract.textscrape import TextScrape

SEED = Path(__file__).resolve().parents[4] / "seeds" / "000_a816b2ae7982ef0e.txt"


def paragraphs_of(result: TextScrape) -> list[str]:
    return [p for p in result.text.split("\n\n") if p]


def reasons_of(result: TextScrape) -> dict[str, str]:
    return dict(result.dropped)


def accounted_for(source: str, result: TextScrape) -> None:
    """Every non-empty input line ends up either in the text or in ``dropped``."""
    kept = set(paragraphs_of(result))
    dropped = {line for line, _ in result.dropped}
    for line in (ln.strip() for ln in source.splitlines()):
        if line:
            assert line in kept or line in dropped, line


ENGLISH_BYLINE = """\
Skip to main content
Menu
Search
Sign in
World
Europe
Storm batters coastal towns as thousands lose power
By Jane Smith and Omar Farouk
Published 3 May 2021 10:04 BST
Share
Save
Residents of three coastal towns spent the night without electricity after a storm brought \
down power lines across the region on Sunday evening.

Engineers worked through the night to restore supplies, the network operator said, adding \
that most homes should be reconnected by Monday afternoon.

"We have never seen winds like this in May," said one resident, who has lived in the area \
for more than forty years.

Advertisement

The weather service has issued a further warning for heavy rain on Tuesday, with flooding \
possible in low-lying areas near the river mouth.
"""


NO_HEADLINE = """\
The committee met on Monday to review the proposals submitted by residents during the \
consultation, which closed at the end of last month.

Members agreed that the most popular suggestions, including longer opening hours for the \
swimming pool, would be costed before the next meeting.

A final decision is expected in the autumn, once the council has set its budget for the \
coming year.
"""
