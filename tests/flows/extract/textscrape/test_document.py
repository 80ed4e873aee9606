"""Each line's role in context: bylines, datelines, header furniture and pictures."""

from __future__ import annotations

from flows.extract.textscrape.document import Doc, pictureish, skippable
from flows.extract.textscrape.lines import line_features, mark_prose


def doc_of(*texts: str) -> Doc:
    lines = line_features(list(texts))
    mark_prose(lines, use_stopwords=True)
    return Doc.of(lines, "en")


def test_header_furniture() -> None:
    doc = doc_of(
        "By Jane Smith",
        "Published 3 May 2021 10:04 BST",
        "4 min read",
        "2 hours ago",
        "Julia Vergin | Clare Roth",
        "Storm batters coastal towns as thousands lose power",
    )
    assert doc.authors(0) == ("Jane Smith",)
    assert doc.dateline(1)[0]
    assert [doc.headerish(i) for i in range(6)] == [True, True, True, True, True, False]
    assert all(skippable(doc, i) for i in range(5))


def test_pictures_by_credit_words_or_a_full_date() -> None:
    doc = doc_of(
        "The mayor, pictured in 2019, said the plans were final.",
        "Fans celebrate in the main square on 5 March 2024.",
        "Crowds gathered outside the town hall / Europa Press",
        "Residents of three coastal towns spent the night without electricity after the storm.",
    )
    assert [pictureish(doc, i) for i in range(4)] == [True, True, True, False]


def test_answers_are_cached_per_distinct_text() -> None:
    doc = doc_of("By Jane Smith", "By Jane Smith")
    assert doc.authors(0) is doc.authors(1)


def test_an_abbreviation_before_a_name_is_no_credit_tail() -> None:
    doc = doc_of(
        "Why the council voted to silence Trans Rep. Zooey Zephyr",
        "The woman who lost 130lb. Emma Roma Jayne",
    )
    assert [pictureish(doc, i) for i in range(2)] == [False, True]
