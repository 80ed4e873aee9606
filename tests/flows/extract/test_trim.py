"""Cutting what is clearly not the article from an extracted body, and nothing else."""

from __future__ import annotations

import trafilatura
from lxml.html import HtmlElement

from flows.extract.trim import trim_body

URL = "https://news.example/2024/harbour-plan"
STORY = [
    "The council approved the harbour plan on Tuesday after a long debate.",
    "Residents who subscribe to the ferry newsletter were asked for their views.",
    "Work is expected to begin next spring, the council said.",
]


def tree(links: str = "") -> HtmlElement:
    html = (
        "<html><body><article>"
        + "".join(f"<p>{p}</p>" for p in STORY)
        + f"</article>{links}<a href='#vote'>How the council voted</a>"
        f"<a href='{URL}'>Harbour plan approved</a></body></html>"
    )
    parsed = trafilatura.load_html(html)
    assert parsed is not None
    return parsed


RELATED = (
    "<ul><li><a href='/2024/bridge'>Bridge repairs delayed again</a></li>"
    "<li><a href='https://other.example/x'>Ferry fares cut for pensioners</a></li></ul>"
)


def test_related_story_links_are_cut() -> None:
    text = "\n".join([*STORY, "- Bridge repairs delayed again", "Ferry fares cut for pensioners"])
    assert trim_body(text, tree(RELATED), URL) == "\n".join(STORY)


def test_the_pages_own_anchors_and_headline_link_stay() -> None:
    text = "\n".join(["Harbour plan approved", *STORY, "How the council voted"])
    assert trim_body(text, tree(), URL) == text


def test_a_notice_at_the_end_goes_but_the_same_words_in_the_story_stay() -> None:
    notice = "Sign up for our newsletter and subscribe to get unlimited access."
    text = "\n".join([*STORY, "Share", "© 2024 News Example. All rights reserved.", notice])
    assert trim_body(text, tree(), URL) == "\n".join(STORY)  # STORY[1]: 'subscribe', 'newsletter'
    assert trim_body("\n".join([notice, *STORY]), tree(), URL).startswith(notice)


def test_a_body_of_article_paragraphs_is_left_as_it_is() -> None:
    text = "\n".join(STORY)
    assert trim_body(text, tree(RELATED), URL) == text


def test_a_byline_and_dateline_atop_the_body_are_cut_and_not_below() -> None:
    # At the top a byline and a dateline are header furniture; a sentence opening with "By"
    # is not a byline, and an author box far down the story is not the header's.
    head = ["Von Nina Magoley", "Stand: 22.04.2024, 06:00 Uhr"]
    story = [STORY[0], "By the end of the year the quay will be rebuilt.", *STORY[1:]]
    box = ["More on the harbour from our reporter.", "By Jane Smith"]
    text = "\n".join([*head, *story, *box])
    assert trim_body(text, tree(), URL) == "\n".join([*story, *box])
