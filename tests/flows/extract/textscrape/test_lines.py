"""The line model: splitting, unwrapping, line features and the prose test."""

from __future__ import annotations

from flows.extract.textscrape import clean_text_scrape
from flows.extract.textscrape.lines import (
    line_features,
    mark_prose,
    mark_repeated_chrome,
    sentences,
    split_lines,
)
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


def test_lines_are_cleaned_of_control_characters_and_spacing() -> None:
    source = "Kicker\r\n: the headline\r\n\r\nsoft\u00adhyphen\u200b word\n  a \u00a0  b  \n\n\n"
    assert split_lines(source) == ["Kicker: the headline", "softhyphen word", "a b"]


def test_line_features_mark_chrome_credits_captions_and_notices() -> None:
    share, credit, caption, notice, again = line_features(
        [
            "Share",
            "Getty Images",
            "A man walks past stacked containers at the port on Tuesday. (AP Photo/Pedro Alves)",
            "Subscribe now to read the latest news in your city and across the country.",
            "Share",
        ]
    )
    assert (share.chrome, credit.credit, caption.caption, notice.ui) == (True, True, True, True)
    assert not (credit.chrome or caption.credit or notice.chrome)
    assert again is share  # repeated lines share one record


def test_prose_needs_length_punctuation_and_function_words() -> None:
    sentence = (
        "The council said on Tuesday that it would review the plans after residents raised "
        "concerns about the traffic."
    )
    lines = line_features(
        [
            sentence,
            "Storm batters coastal towns as thousands lose power",  # no full stop: a title
            "Travel Adventures Azerbaijan Diary Holidays Family Guides Cruises Deals.",  # a menu
            "Article content",
            "Article content",
            "Article content",
        ]
    )
    mark_repeated_chrome(lines)
    mark_prose(lines, use_stopwords=True)
    assert [ln.prose for ln in lines[:3]] == [True, False, False]
    assert lines[3].chrome


def test_sentences_do_not_end_at_abbreviations() -> None:
    assert sentences("Rep. Smith met the U.S. team. Then he left!") == 2
    assert sentences("King Charles III. visited the town") == 1
    assert sentences("") == 0


def test_a_headline_with_a_picture_word_and_a_colon_is_no_credit_or_caption() -> None:
    headline, credit, named, agency = line_features(
        [
            "Erstes Bild: So könnte die Duisburger Seilbahn aussehen",
            "Foto: dpa",
            "Die Pläne für die Seilbahn. Foto: Anna Berg og Ola Dahl",
            "Die Pläne für die Seilbahn. Foto: picture alliance / Jens Kalaene",
        ]
    )
    assert not (headline.credit or headline.caption)
    assert credit.credit
    assert named.caption and agency.caption
