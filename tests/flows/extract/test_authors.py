"""Authors: one person per entry, roles and credentials gone, organisations kept apart."""

from __future__ import annotations

import pytest

from flows.extract.authors import AuthorCandidates, Byline, choose_authors, split_names


def byline(*meta: str, **kwargs: object) -> Byline:
    return choose_authors(AuthorCandidates(meta=meta, **kwargs))  # type: ignore[arg-type]


def test_a_credential_list_stays_with_its_person() -> None:
    assert byline("Lauren Manaker MS, RDN, LD") == Byline(("Lauren Manaker",), (), "meta")


def test_an_institution_is_kept_whole_and_apart() -> None:
    result = byline("Jane Doe, University of Tokyo")
    assert (result.people, result.organisations) == (("Jane Doe",), ("University of Tokyo",))


def test_the_publisher_beside_the_people_is_an_organisation() -> None:
    found = AuthorCandidates(
        jsonld=(("Kim Lee", False), ("USA TODAY", True)), site_names=("USA Today",)
    )
    assert choose_authors(found) == Byline(("Kim Lee",), ("USA TODAY",), "jsonld")
    named = byline("Financial Times, Anna Gross", site_names=("FT",), host="www.ft.com")
    assert named.people == ()  # what follows the organisation in its entry is not a person
    assert byline("Anna Gross", "Financial Times", host="www.ft.com").people == ("Anna Gross",)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Miguel A Herguedas", "Miguel A. Herguedas"),
        ("STEVE PEOPLES", "Steve Peoples"),
        ("viktor hedlund", "Viktor Hedlund"),
        ("amelia thomson-deveaux", "Amelia Thomson-Deveaux"),
        ("Jan van der Berg", "Jan van der Berg"),
        ("大渡 美咲", "大渡 美咲"),
    ],
)
def test_names_are_normalised(raw: str, expected: str) -> None:
    assert byline(raw).people == (expected,)


@pytest.mark.parametrize(
    ("raw", "people"),
    [
        ("By Jane Doe, Staff Writer", ("Jane Doe",)),
        ("Autor Monika Bolliger", ("Monika Bolliger",)),
        ("Mathias Hagen / Journalist", ("Mathias Hagen",)),
        ("신현주 기자", ("신현주",)),
        ("Elena Oberholzer (obe)", ("Elena Oberholzer",)),
        ("Dan Smith and Ann Lee", ("Dan Smith", "Ann Lee")),
        ("Felix Schröder und Jörg Soldwisch, dpa", ("Felix Schröder", "Jörg Soldwisch")),
    ],
)
def test_roles_handles_and_conjunctions(raw: str, people: tuple[str, ...]) -> None:
    assert byline(raw).people == people


def test_desks_agencies_and_the_site_are_organisations() -> None:
    for raw in ("dpa", "AFP", "BR24 Redaktion", "MND Staff", "The Associated Press"):
        assert byline(raw) == Byline((), (raw,), "meta"), raw
    assert byline("hessenschau.de, Frankfurt, Germany", host="www.hessenschau.de") == Byline(
        (), ("hessenschau.de",), "meta"
    )


def test_addresses_slugs_and_staff_codes_are_not_names() -> None:
    assert byline("d.kuckelkorn@example.de", "https://www.facebook.com/faz") == Byline()
    assert choose_authors(AuthorCandidates(jsonld=(("chuck-ross", False),))) == Byline()
    assert byline("Amw") == Byline()
    described = "Povilas A., professor at the faculty of the university of law"
    assert split_names(described) == ["Povilas A"]
    assert byline(described).people == ("Povilas A.",)


def test_the_first_source_naming_a_person_wins() -> None:
    found = AuthorCandidates(
        jsonld=(("STERN.de", True),), meta=("Stern",), guess=("Jemima Kelly",), host="stern.de"
    )
    assert choose_authors(found) == Byline(("Jemima Kelly",), ("STERN.de",), "page")


def test_a_guess_repeating_the_meta_tags_adds_no_one() -> None:
    found = AuthorCandidates(
        meta=("hessenschau.de, Frankfurt, Germany",),
        guess=("Hessenschau De", "Frankfurt", "Germany"),
        host="www.hessenschau.de",
    )
    assert choose_authors(found).people == ()


def test_the_feed_is_the_last_source_and_a_page_naming_nobody_has_no_author() -> None:
    listed = AuthorCandidates(listed=("Ann Lee",), listed_source="feed")
    assert choose_authors(listed) == Byline(("Ann Lee",), (), "feed")
    assert choose_authors(AuthorCandidates()) == Byline()


def test_duplicates_by_letters_go() -> None:
    assert byline("Sauli giliard", "Sauli Giliard").people == ("Sauli Giliard",)
