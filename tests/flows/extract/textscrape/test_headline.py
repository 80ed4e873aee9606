"""The headline: title-shaped lines near the body, the URL slug, and None when unsure."""

from __future__ import annotations

from flows.extract.textscrape import clean_text_scrape
from tests.flows.extract.textscrape.scrapes import (
    ENGLISH_BYLINE,
    NO_HEADLINE,
    paragraphs_of,
)


def test_url_slug_supports_the_headline() -> None:
    result = clean_text_scrape(
        ENGLISH_BYLINE, url="https://news.example/world/storm-batters-coastal-towns-power"
    )
    assert result.title == "Storm batters coastal towns as thousands lose power"


def test_no_clear_headline_gives_none_and_keeps_the_prose() -> None:
    result = clean_text_scrape(NO_HEADLINE)

    assert result.title is None
    assert result.published_at is None
    assert len(paragraphs_of(result)) == 3
    assert result.text.startswith("The committee met on Monday")


def test_menu_only_lines_are_not_a_headline() -> None:
    source = "Home\nNews\nSport\nWeather\n\n" + NO_HEADLINE
    result = clean_text_scrape(source)

    assert result.title is None
    assert result.text.startswith("The committee met on Monday")


BODY = """\
The city council approved the harbour redevelopment plan on Tuesday after a debate that \
lasted well into the evening and drew a crowd of residents.

Supporters said the plan would bring new jobs to the waterfront, while opponents warned \
that the cost of the project had not been properly examined.

Work on the first phase is expected to begin next spring, the council said in a statement \
issued after the vote.
"""
URL = "https://news.example/local/council-approves-harbour-plan-after-long-debate"


def scrape(*header: str) -> str:
    return "\n".join(header) + "\n" + BODY


def test_navigation_and_edition_links_are_not_headlines() -> None:
    source = scrape(
        "Skip to site index",
        "eNewspaper(Opens in new window)",
        "Council approves harbour plan after long debate",
        "By Ann Lee",
    )
    assert clean_text_scrape(source, url=URL).title == (
        "Council approves harbour plan after long debate"
    )
    alone = scrape("Skip to site index", "eNewspaper(Opens in new window)")
    assert clean_text_scrape(alone, url=URL).title is None


def test_a_media_label_above_the_headline_is_not_taken_for_it() -> None:
    source = scrape(
        "AUDIO: Harbour plan: what the council decided (2 Min)",
        "Council approves harbour plan after long debate",
        "By Ann Lee",
    )
    result = clean_text_scrape(source, url=URL)
    assert result.title == "Council approves harbour plan after long debate"


def test_a_line_sharing_no_word_with_the_urls_slug_is_not_guessed() -> None:
    source = scrape("Weather in the region this week", "By Ann Lee")
    assert clean_text_scrape(source, url=URL).title is None
    assert clean_text_scrape(source).title == "Weather in the region this week"  # no URL


def test_a_headline_repeated_until_it_looks_like_chrome_is_found_by_the_slug() -> None:
    headline = "Council approves harbour plan"
    source = scrape(headline, "Menu", headline, "Search", headline, "Share this article")
    assert clean_text_scrape(source, url=URL).title == headline


def test_the_slug_names_a_headline_with_other_word_forms() -> None:
    url = "https://news.example/politik/strassenbahn-autobahn-hitzeschaeden"
    source = (
        "Menü\nSo sind Straßenbahnen und Autobahnen auf Hitzewellen vorbereitet\nVon Anna Berg\n"
        + BODY
    )
    result = clean_text_scrape(source, url=url)
    assert result.title == "So sind Straßenbahnen und Autobahnen auf Hitzewellen vorbereitet"


def test_a_teaser_sharing_no_slug_word_gives_way_to_a_headline_sharing_some() -> None:
    # The slug names the story in other words (it was renamed): the related-story link
    # nearest the byline shares none of them, the headline two of five.
    url = "https://news.example/local/harbour-plan-wins-final-vote"
    headline = "Members back the harbour plan after a night of argument"
    teaser = "Analysis — Why the ferry timetable keeps changing, by Jo Park"
    furniture = ("A ferry leaves the harbour at dawn.", "Photo: Jo Park", "By Ann Lee")
    standfirst = "The vote ends two years of delays over the cost of the scheme."
    dated = (*furniture, "Published 3 May 2021 10:04 BST")
    source = scrape(headline, standfirst, teaser, *dated)
    assert clean_text_scrape(source, url=url).title == headline
    assert clean_text_scrape(scrape(teaser, *dated), url=url).title is None


def test_a_two_word_headline_is_taken_only_when_it_is_the_whole_slug() -> None:
    url = "https://news.example/2025/04/01/quiet-heroes-2/"
    source = scrape("Home", "“Quiet Heroes”", "Published 1 April 2025, 15:25")
    assert clean_text_scrape(source, url=url).title == "“Quiet Heroes”"
    other = "https://news.example/2025/04/01/quiet-heroes-honoured-2/"
    assert clean_text_scrape(source, url=other).title is None
    assert clean_text_scrape(source).title is None


BODY_ZH = (
    "新华社北京4月24日电，首届中国和拉美国家航天合作论坛在安徽合肥开幕，来自二十多个国家的代表"
    "参加了会议并进行了深入交流。\n\n"
    "与会代表表示，航天技术的发展为各国经济社会进步提供了重要支撑，双方将在卫星遥感、通信和人才"
    "培养等领域开展更多合作。\n\n"
    "论坛期间，各方还签署了多项合作文件，并就未来几年的联合项目进行了讨论，会议将持续两天时间。\n"
)


def test_chinese_link_labels_set_apart_by_spaces_are_not_a_headline() -> None:
    headline = (
        "促进航天技术更好惠及人民――主席向首届“中国－拉美和加勒比国家航天合作论坛”致贺信"
        "为中拉深化航天合作指明方向"
    )
    header = [
        "首页 新闻 财经",
        "智慧党建体验中心 828企业服务平台 人民云",
        "人民网",
        headline,
        "2024年04月24日23:52 | 来源：新华网",
        "小字号",
    ]
    assert clean_text_scrape("\n".join([*header, BODY_ZH])).title == headline


def test_a_date_printed_over_the_headline_does_not_hide_it() -> None:
    source = scrape(
        "World News",
        "Wed, Oct 16, 2024",
        "Council approves harbour plan after long debate",
        "OPPOSITION: Critics said the cost of the waterfront scheme had never been examined"
        " properly by anyone",
        "AFP, MANILA",
    )
    assert clean_text_scrape(source).title == "Council approves harbour plan after long debate"


def test_a_list_of_dated_teasers_gives_no_headline() -> None:
    source = scrape(
        "More from us",
        "2024/12/02",
        "Orchestra plays the ninth symphony on Christmas Eve",
        "2024/12/02",
        "Travel deals of the week for the whole family",
        "2024/10/11",
        "Sites run by our newspaper group",
    )
    assert clean_text_scrape(source).title is None


def test_an_abbreviated_title_before_a_name_is_no_photo_credit() -> None:
    # "... Trans Rep. Zooey Zephyr" ends like "... lost 130lb. Emma Jayne" (a caption's
    # credit), but "Rep." ends no sentence; the long caption above is not the lead either.
    caption = (
        "Rep. Ann Lee, D-Harbour, walks out of the council chamber after members voted to bar"
        " her from speaking on the waterfront plan, as supporters in the public gallery rose to"
        " applaud her and officers asked the crowd to leave the building before the members"
        " could continue with the rest of the business of the evening."
    )
    headline = "Why the Harbour Council Voted to Silence Rep. Ann Lee"
    standfirst = "Residents said the vote ended months of attacks on her work for the port."
    source = "\n".join(
        [
            "Donate",
            caption,
            headline,
            standfirst,
            "By Omar Farouk",
            "April 28 2023, 3:54 p.m.",
            BODY,
        ]
    )
    result = clean_text_scrape(source, url="https://news.example/2023/04/28/harbour-ann-lee/")
    assert result.title == headline
    assert result.text.startswith("The city council approved")


def test_a_headline_below_a_teaser_list_taken_for_the_lead_is_found() -> None:
    teasers = (
        "#1 Storm batters coastal towns as thousands of homes lose power overnight #2 Mayor says"
        " the new bus lanes will stay in place despite complaints from shop owners #3 Schools to"
        " close early on Friday as the heat wave continues across the region #4 Police appeal for"
        " witnesses after a crash on the ring road"
    )
    headline = "BUDGET | Council gets funds to hire harbour pilots"
    standfirst = "The port will hire more than 100 pilots to cut waiting times for ships"
    header = [teasers, teasers, "Business", headline, standfirst, "21 May 2025 - 14:19"]
    url = "https://news.example/business/2025-05-21-budget-council-gets-funds-to-hire-pilots/"
    result = clean_text_scrape(
        "\n".join(["News", *header, "Ann Lee Political editor", BODY]), url=url
    )
    assert result.title == headline
    assert result.text.startswith("The city council approved")


def test_a_by_word_alone_on_its_line_credits_the_headline_above() -> None:
    # "By" / "Rachel Brazil": the byline split over two lines still ends the header block.
    headline = "Universities in exile: displaced scholars count the costs"
    source = scrape(
        "CAREER FEATURE",
        "06 February 2026",
        headline,
        "War and unrest can force staff and students to uproot their lives, at a heavy toll.",
        "By",
        "Rachel Brazil0",
        "Rachel Brazil",
        "Rachel Brazil is a freelance journalist in London, UK.",
        "View author publications",
        "Search author on: PubMed Google Scholar",
        "Find a new job",
    )
    assert clean_text_scrape(source).title == headline
