"""Title selection: every candidate reconciled, the site's affixes gone, the source recorded."""

from __future__ import annotations

import pytest

from flows.extract.titles import (
    SiteTitles,
    TitleCandidates,
    choose_title,
    learn_site_titles,
    tidy,
)

HEADLINE = "Like British cheddar? Canadian farmers hope you'll try theirs"


def test_the_declared_site_name_is_cut_from_the_end() -> None:
    found = TitleCandidates(og=f"{HEADLINE} | CBC News", site_names=("CBC News",))
    assert choose_title(found) == (HEADLINE, "meta")


def test_a_site_name_declared_shorter_still_matches_its_segment() -> None:
    found = TitleCandidates(og=f"{HEADLINE} | CBC News", site_names=("CBC",))
    assert choose_title(found)[0] == HEADLINE


def test_the_host_names_the_site_when_nothing_is_declared() -> None:
    found = TitleCandidates(html_title="Webb spots a new moon - NASA", host="www.nasa.gov")
    assert choose_title(found) == ("Webb spots a new moon", "title")


def test_a_prefix_naming_the_site_goes_too() -> None:
    found = TitleCandidates(
        og="Tageblatt.lu | Skisprung-Zoff ums Material", host="www.tageblatt.lu"
    )
    assert choose_title(found)[0] == "Skisprung-Zoff ums Material"


def test_a_dash_inside_the_headline_stays() -> None:
    title = "Bericht: Aktivistin getötet - Irans Justiz dementiert"
    found = TitleCandidates(og=title, site_names=("Mitteldeutsche Zeitung",), host="www.mz.de")
    assert choose_title(found)[0] == title


def test_the_json_ld_headline_wins_and_its_entities_are_decoded() -> None:
    found = TitleCandidates(
        jsonld=("Mexico to fight &#8216;illogical&#8217; steel tariffs",),
        og="'Bad idea': Mexico pushes back on tariffs",
        h1=("Mexico to fight ‘illogical’ steel tariffs",),
    )
    assert choose_title(found) == ("Mexico to fight ‘illogical’ steel tariffs", "jsonld")


def test_a_candidate_is_cut_back_to_another_it_contains() -> None:
    found = TitleCandidates(
        og="Sweden tells households how to survive | World News | Metro News",
        h1=("Sweden tells households how to survive",),
    )
    assert choose_title(found) == ("Sweden tells households how to survive", "meta")


def test_a_date_segment_goes() -> None:
    found = TitleCandidates(og="Ukrainische Gegenoffensive: Ziele | DW | 28.04.2023", host="dw.com")
    assert choose_title(found)[0] == "Ukrainische Gegenoffensive: Ziele"


@pytest.mark.parametrize(
    ("raw", "site", "expected"),
    [
        (
            "宮崎県で震度5弱、津波注意報：朝日新聞デジタル",
            "朝日新聞デジタル",
            "宮崎県で震度5弱、津波注意報",
        ),
        ("민주당 선호투표제 도입 불발ㅣ한국일보", "한국일보", "민주당 선호투표제 도입 불발"),
        ("India's richest families - Forbes India", "Forbes India", "India's richest families"),
    ],
)
def test_site_names_in_any_script(raw: str, site: str, expected: str) -> None:
    assert choose_title(TitleCandidates(og=raw, site_names=(site,)))[0] == expected


def test_one_segment_always_stays() -> None:
    assert choose_title(TitleCandidates(og="CBC News", site_names=("CBC News",)))[0] == "CBC News"


def test_a_lone_h1_is_taken_but_not_one_another_candidate_contradicts() -> None:
    assert choose_title(TitleCandidates(h1=("Harbour plan approved",))) == (
        "Harbour plan approved",
        "h1",
    )
    found = TitleCandidates(h1=("Top stories", "Harbour plan approved"), html_title="Harbour plan")
    assert choose_title(found) == ("Harbour plan", "title")


def test_the_feed_title_is_the_last_resort_with_its_origin() -> None:
    assert choose_title(TitleCandidates(), hint=("Listed title", "feed")) == (
        "Listed title",
        "feed",
    )
    assert choose_title(TitleCandidates()) == (None, None)


def test_affixes_learned_from_the_host_are_cut_from_later_pages() -> None:
    earlier = [
        "Opinion | The case for night trains",
        "Opinion | Cities need more trees",
        "Markets rally on rate hopes",
    ]
    site = learn_site_titles(earlier)
    assert site.prefixes == frozenset({"opinion"})
    found = TitleCandidates(og="Opinion | Why libraries matter")
    assert choose_title(found)[0] == "Opinion | Why libraries matter"  # the first page
    assert choose_title(found, site)[0] == "Why libraries matter"  # after the host's others


def test_one_title_seen_twice_teaches_nothing() -> None:
    assert learn_site_titles(["Storm hits coast | Daily Bugle"] * 3) == SiteTitles()


def test_a_segment_on_a_tenth_of_the_titles_is_learned_and_rarer_ones_are_not() -> None:
    titles = [f"Story {i} | Politics | The Bugle" for i in range(3)]
    titles += [f"Story {i} | Sport | The Bugle" for i in range(3, 30)]
    site = learn_site_titles(titles)
    assert {"thebugle", "sport", "politics"} <= site.suffixes
    rare = learn_site_titles([*titles, "Story x | Weather | The Bugle"])
    assert "weather" not in rare.suffixes


def test_tidy_decodes_and_drops_invisible_characters() -> None:
    assert tidy("Helikopter\u00adlandeplatz &amp; mehr\u200b ") == "Helikopterlandeplatz & mehr"
    assert tidy(None) is None
    assert tidy("  ") is None
