"""Bylines: names only after an explicit "By"-word, and the shape of a bare list of names."""

from __future__ import annotations

import pytest

from flows.extract.textscrape.byline import bare_byline_word, byline_authors, looks_like_name_list


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("By Jane Smith and Omar Farouk", ("Jane Smith", "Omar Farouk")),
        ("Von Anna Müller | Politik", ("Anna Müller",)),
        ("Par Claire Dubois et Marc Petit", ("Claire Dubois", "Marc Petit")),
        ("By Jane Smith, Correspondent", ("Jane Smith",)),
        ("By Cristina Laila Apr. 28, 2024", ("Cristina Laila",)),
        ("By Lee Chen Published 5 June 2024", ("Lee Chen",)),
    ],
)
def test_names_after_an_explicit_byline_word(line: str, names: tuple[str, ...]) -> None:
    assert byline_authors(line) == names


@pytest.mark.parametrize(
    "line", ["by the time we arrived it was over", "Jane Smith", "By", "Written by hand"]
)
def test_no_names_without_a_byline_of_names(line: str) -> None:
    assert byline_authors(line) is None


def test_a_bare_list_of_names() -> None:
    assert looks_like_name_list("Julia Vergin | Clare Roth")
    assert looks_like_name_list("Radek Nohl")
    assert not looks_like_name_list("The council met.")
    assert not looks_like_name_list("Storm Hits The Coast")  # "the" is no part of a name


def test_a_by_word_alone_on_its_line() -> None:
    assert bare_byline_word("By") and bare_byline_word("Von:")
    assert not bare_byline_word("By Jane Smith") and not bare_byline_word("Bylines")
