"""The line model: splitting, unwrapping, line features and the prose test."""

from __future__ import annotations

from flows.extract.textscrape import clean_text_scrape
from tests.flows.extract.textscrape.scrapes import (
    paragraphs_of,
)


def test_hard_wrapped_paragraphs_are_rejoined() -> None:
    paragraph = (
        "The regional airport will close its second runway for six weeks this summer while "
        "engineers replace the lighting system and resurface the most worn sections of the "
        "tarmac, the operator said on Thursday."
    )
    wrapped = "\n".join(_wrap(paragraph, 60))
    source = "\n\n".join([wrapped, wrapped.replace("regional", "municipal"), wrapped]) + "\n"
    result = clean_text_scrape(source)

    assert paragraphs_of(result)[0] == paragraph
    assert len(paragraphs_of(result)) == 3


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return [*lines, current]
