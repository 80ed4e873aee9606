"""What is clearly not the article, cut from an extracted body: link lists, notices, chrome.

trafilatura keeps some blocks around an article that a reader skips: lists of
links to other stories, "sign in / subscribe / get the newsletter" boxes, share
strings, copyright lines. Each rule below removes a whole line of its text only
when the line is recognisably one of these, whatever its language:

1. a link to another page: a list item ("- ...") whose whole text is the text of
   one ``<a>`` of the page pointing elsewhere (not a ``#`` anchor, not the page
   itself), or such a line of three words or more with no sentence end (a
   teaser); the page's own table of contents and its headline link stay;
2. a notice to the reader (two words of the text-scrape cleaner's vocabulary of
   sign-in, subscription, newsletter, cookie, app and paywall notices,
   :data:`~flows.extract.textscrape.lexicon.UI_TERMS`; one, such as "this
   article", is ordinary prose) of at most 40 words in the last quarter of the
   text, where such boxes sit: the same words earlier in the story are left
   alone (cutting them in the first lines too gained nothing on the fundus
   pages and risks a lead paragraph);
3. a chrome string of the text-scrape lexicon ("Share", "Advertisement", "Read
   more") and a copyright line of at most 30 words;
4. in the first six lines only, where the article's header left them, an
   explicit byline ("Von Nina Magoley") or a dateline ("Stand: 22.04.2024,
   06:00 Uhr") as the text-scrape cleaner reads them (at most 16 words); an
   author box further down stays.

Measured on the fundus pages (``bench/metadata_quality.py``, docs/metadata.md):
precision up, mean recall unchanged (the few reference words lost on some pages
were in the lines cut: related links and notices sharing words with the story).
The headline repeated at the top of the body is not cut: the reference keeps it
on some sites, and recall would drop.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from lxml.html import HtmlElement

from flows.extract.textscrape.document import Doc
from flows.extract.textscrape.lexicon import LEGAL, LEGAL_HINT, UI_TERMS
from flows.extract.textscrape.lines import TERMINAL, Line, line_features

__all__ = ["trim_body"]

_TEASER_MIN_WORDS = 3
_NOTICE_MAX_WORDS = 40
_NOTICE_TAIL_SHARE = 0.75  # notices are cut after this share of the text's words
_NOTICE_TERMS = 2  # words of the notice vocabulary a line needs ("cet article" alone is not one)
_LEGAL_MAX_WORDS = 30
_SHORT_LINE = 60  # words: longer lines are never one of the short strings cut here
_ITEM = "- "
_HEAD_LINES = 6  # lines at the top of the body where a byline or dateline can be left
_FURNITURE_MAX_WORDS = 16


def trim_body(text: str, tree: HtmlElement, url: str | None) -> str:
    """``text`` without its lines that are links elsewhere, notices, chrome or legal lines."""
    lines = text.split("\n")
    links = _outbound_link_texts(tree, url, {_link_key(line) for line in lines} - {""})
    total = sum(len(line.split()) for line in lines) or 1
    kept: list[str] = []
    seen = 0
    for index, line in enumerate(lines):
        share = seen / total
        seen += len(line.split())
        if index < _HEAD_LINES and _byline_or_dateline(line):
            continue
        if not _clearly_not_article(line, links, share=share):
            kept.append(line)
    return "\n".join(kept)


def _byline_or_dateline(line: str) -> bool:
    """An explicit byline ("Von Nina Magoley") or a dateline ("Stand: 22.04.2024, 06:00
    Uhr"), as the text-scrape cleaner reads them, left at the top of the body."""
    stripped = line.strip()
    if not stripped or len(stripped.split()) > _FURNITURE_MAX_WORDS:
        return False
    doc = Doc.of(line_features([stripped]), None)
    return bool(doc.authors(0)) or doc.dateline(0)[0]


def _clearly_not_article(line: str, links: set[str], *, share: float) -> bool:
    stripped = line.strip()
    if not stripped:
        return False
    if _link_key(stripped) in links:
        return True
    if len(stripped.split()) > _SHORT_LINE:
        return False  # long lines are never chrome, notices or legal lines: skip their features
    (feature,) = line_features([stripped])
    return _notice(feature, share=share) or feature.chrome or _legal(feature)


def _link_key(line: str) -> str:
    """The text a line would have as a link to another page ('' when it could not be one).

    A list item ("- ...") of any length, or a line of three words or more with no
    sentence end (a teaser).
    """
    stripped = line.strip()
    if stripped.startswith(_ITEM):
        return " ".join(stripped[len(_ITEM) :].split())
    words = stripped.split()
    if len(words) >= _TEASER_MIN_WORDS and not TERMINAL.search(stripped):
        return " ".join(words)
    return ""


def _notice(feature: Line, *, share: float) -> bool:
    """A short notice to the reader in the last quarter of the text, where such boxes sit."""
    return (
        feature.words <= _NOTICE_MAX_WORDS
        and share >= _NOTICE_TAIL_SHARE
        and len(UI_TERMS.findall(feature.low)) >= _NOTICE_TERMS
    )


def _legal(feature: Line) -> bool:
    return (
        feature.words <= _LEGAL_MAX_WORDS
        and bool(LEGAL_HINT.search(feature.low))
        and bool(LEGAL.search(feature.low))
    )


def _outbound_link_texts(tree: HtmlElement, url: str | None, wanted: set[str]) -> set[str]:
    """Which of the ``wanted`` texts are the text of a link of the page to another page."""
    if not wanted:
        return set()
    own = _path(url)
    texts: set[str] = set()
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        text = " ".join(anchor.text_content().split())
        if text in wanted and (own is None or _path(href) != own):
            texts.add(text)
    return texts


def _path(url: str | None) -> str | None:
    try:
        return urlsplit(url).path if url else None
    except ValueError:
        return None
