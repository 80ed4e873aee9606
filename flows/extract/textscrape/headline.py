"""The headline: the best-scoring title-shaped line above the lead, or None below a bar.

A line scores for its length and punctuation, for being followed by bylines or
datelines, and (when the URL is known) for words shared with the URL slug; it
loses for sitting inside the header block, next to a photo credit, or looking
like a UI string or a list of names.

The slug is also a check and a last resort. When it has three words or more and
the chosen line shares none of them, the line is a teaser, a kicker or a
navigation string, not this story's headline. Then, as when no line clears the
bar, the headline is the headline-shaped line near the lead that holds at least
half of the slug's words (word forms compared by their stem: "Straßenbahnen"
for "strassenbahn"), even when the page repeated it so often that it looked
like chrome (a two-word line only when it is every word of the slug); failing
that, the best line above the bar that shares two of the slug's words; failing
that, None. The slug's ID-like tokens and the host's own labels are not words of it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from urllib.parse import unquote, urlsplit

from flows.extract.textscrape.byline import bare_byline_word
from flows.extract.textscrape.document import Doc, next_to_credit, pictureish, skippable
from flows.extract.textscrape.lexicon import ALL_STOPWORDS, CHROME_KEYS, fold
from flows.extract.textscrape.lines import CJK, WORD, Line, sentences

__all__ = ["pick_headline", "plain_tokens"]


_SLUG_SPLIT = re.compile(r"[^a-z0-9]+")
_TITLE_MIN_WORDS = 3.0
_TITLE_MAX_WORDS = 40.0
_TITLE_MIN_SCORE = 4.0  # measured: below it, wrong headlines outnumber right ones
_MIN_STEM = 5  # letters two words must share to be one word in a slug ("teamster(s)")
_STEM_SHARE = 0.8  # ... and this share of the shorter one ("fleissig-e", "fleissig-sten")
_SLUG_EVIDENCE = 3  # slug words enough that a headline sharing none of them is not one
_SLUG_NAMES = 0.5  # share of the slug's words a line must hold to be taken on the slug alone
_SLUG_WINDOW = 60  # lines above the lead searched for it (menus can be long)
_SLUG_AFTER = 3  # ... and below: a notice or a caption can pass for the lead
_DATED_LIST = 8  # lines above a headline where a second date marks a list of dated teasers
_REPEATED = 3  # a line this often on the page was marked chrome for repeating (lines.py)


def _slug_tokens(url: str | None) -> frozenset[str]:
    """Words of the URL path's longest segment (the slug), accents folded."""
    if not url:
        return frozenset()
    try:
        path = unquote(urlsplit(url).path)
    except ValueError:
        return frozenset()
    segments = [s for s in path.split("/") if s]
    if not segments:
        return frozenset()
    slug = re.sub(r"\.[a-z0-9]{2,5}$", "", max(segments, key=len))
    host = set(_SLUG_SPLIT.split(fold(urlsplit(url).hostname or "")))
    tokens = {
        t
        for t in _SLUG_SPLIT.split(fold(slug))
        if len(t) > 2 and not any(ch.isdigit() for ch in t) and t not in host
    }
    return frozenset(tokens) if len(tokens) >= 2 else frozenset()


_TRANSLITERATION = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "å": "aa", "ø": "oe"})


def plain_tokens(text: str) -> set[str]:
    """Folded words of more than two letters."""
    return {t for t in _SLUG_SPLIT.split(fold(text)) if len(t) > 2}


def _title_tokens(text: str) -> set[str]:
    """Folded words of a line, with German/Nordic transliterations as URL slugs spell them."""
    spelled = fold(text.casefold().translate(_TRANSLITERATION))
    return plain_tokens(text) | {t for t in _SLUG_SPLIT.split(spelled) if len(t) > 2}


_HANGUL = re.compile(r"[\uac00-\ud7af]")


def _spaced_link_list(text: str) -> bool:
    """Chinese or Japanese names set apart by spaces: link labels side by side
    ("人民网智慧党建体验中心 828企业服务平台 人民云"); those scripts write a headline without
    spaces between words (Korean, which spaces its words, is not judged so)."""
    return not _HANGUL.search(text) and text.count(" ") >= 2


def _title_shaped(ln: Line) -> bool:
    """Length and punctuation of a headline; questions and exclamations allowed."""
    text = ln.text.strip()
    if CJK.search(text):
        sized = 5 <= len(text) <= 90 and not _spaced_link_list(text)
    else:
        sized = _TITLE_MIN_WORDS <= ln.words <= _TITLE_MAX_WORDS
    if (
        ln.chrome
        or ln.credit
        or ln.caption
        or ln.ui
        or not sized
        or text.endswith((":", ",", ";", "—", "–", "-"))
        or sum(ch.isdigit() for ch in text) > 0.3 * len(text.replace(" ", ""))
    ):
        return False
    if not ln.prose:
        return True
    # Prose-flagged lines qualify only as short one- or two-sentence titles ending in ?/!
    # ("Business Brief: Nvidia's into nation building. We cool with that?").
    ends = sentences(text)
    return ln.words <= 25 and (ends <= 1 or (ends == 2 and text.endswith(("?", "!"))))


def _headline_score(ln: Line, *, distance: float, slug: frozenset[str], repeats: int) -> float:
    """How much a title-shaped header line looks like the headline."""
    text = ln.text.strip()
    score = 3.0 if ln.words >= 4 or CJK.search(text) else 2.0
    score += 1.5 if 5 <= ln.words <= 22 else 0.0
    score -= 2.5 if text.endswith(".") and not text.endswith("..") else 0.0
    score -= 1.0 if ln.prose and not (text.endswith(("?", "!")) and ln.words <= 16) else 0.0
    score -= 2.0 if text.isupper() and ln.words < 6 else 0.0
    score -= 1.5 if _SITE_SUFFIX.search(text) else 0.0
    score -= 2.0 if _UI_VERB.match(text) or _NOT_HEADLINE.search(text) else 0.0
    score -= 2.0 if len(_GLUED.findall(text)) >= 2 or "°" in text else 0.0
    score -= 1.5 if _only_capitalised_words(text) else 0.0
    score += 1.0 if repeats > 1 else 0.0
    score -= 0.35 * distance
    if slug:
        score += 4.0 * _slug_overlap(text, slug)
    return score


_SITE_SUFFIX = re.compile(r"\s[|]\s*\S+(?:\s\S+){0,3}$|\s[-–—]\s\S+(?:\s\S+)?$")
# Imperatives that open UI strings ("Add as preferred on Google", "Öppna bild i helskärm").
_UI_VERB = re.compile(
    r"^(?:add|open|view|see|read|search|click|tap|copy|print|download|share|save|follow|sign|log"
    r"|subscribe|listen|watch|show|hide|close|explore|discover|get|join|register|find|support"
    r"|enjoy|try|send|next|previous|continue"
    r"|öppna|visa|läs"
    r"|dela|spara|öffnen|teilen|speichern|drucken|anhören|ouvrir|voir|lire|partager|ajouter|pour"
    r"|abrir|ver|leer|compartir|guardar|apri|vedi|leggi|condividi|salva|openen|bekijk|lees|delen"
    r"|opslaan|åpne|vis|les|lagre|åbn|læs|gem|zobacz|otwórz|udostępnij|zobrazit|sdílet)\b",
    re.IGNORECASE,
)

# Media labels and continuation marks that never open a headline.
_NOT_HEADLINE = re.compile(
    r"^(?:[…]|\.\.\.)|^(?:audio|video\w*|live|podcast|galerie|gallery|bilder\w*|fotos?|photos?"
    r"|grafik|infografik)\s*:"
    r"|\(\d+\s*(?:min|sek|sec|s)\.?\)\s*$|(?:を見る|する|について|はこちら|一覧)(?:[(（]\d+枚[)）])?$",
    re.IGNORECASE,
)
_GLUED = re.compile(r"[a-zà-ÿ][A-ZÀ-Þ]")


def _only_capitalised_words(text: str) -> bool:
    """'Birgit Baumann Anna Giulia Fink': names or menu labels rather than a sentence."""
    if not WORD.fullmatch(text.replace(" ", "")) and not re.fullmatch(r"[\w\s'’.-]+", text):
        return False
    tokens = text.split()
    return (
        2 <= len(tokens) <= 8
        and all(t[:1].isupper() for t in tokens)
        and not any(t.casefold() in ALL_STOPWORDS for t in tokens)
        and not text.isupper()
    )


def pick_headline(doc: Doc, first: int, last: int, lead: int, url: str | None) -> int | None:
    """Best title-shaped line in ``[first, last]``; ``None`` below the confidence bar."""
    slug = _slug_tokens(url)
    lines = doc.lines
    counts = Counter(ln.key or ln.text for ln in lines)
    scored: list[tuple[float, int]] = []
    distance = 0.0
    for i in range(last, first - 1, -1):
        ln = lines[i]
        if _title_shaped(ln) and not doc.headerish(i) and not pictureish(doc, i):
            score = _headline_score(
                ln, distance=distance, slug=slug, repeats=counts[ln.key or ln.text]
            )
            score += _position_score(doc, i, lead)
            if i >= lead:
                score -= 1.0  # a first body line must look clearly like a title to be one
            scored.append((score, i))
        if i < lead and not skippable(doc, i):
            distance += 1 if ln.words >= 3 else 0.3  # menu-sized lines barely separate
    bar = _TITLE_MIN_SCORE + (1.0 if slug else 0.0)
    best = max(scored, key=lambda c: c[0], default=None)  # ties: the line nearest the lead
    if best is None or best[0] < bar:
        return _named_by_slug(doc, first, lead, slug)
    chosen = _prefer_line_above(doc, best[1], slug)
    if len(slug) >= _SLUG_EVIDENCE and not _slug_overlap(lines[chosen].text, slug):
        # The URL names the story and this line shares none of its words.
        named = _named_by_slug(doc, first, lead, slug)
        return named if named is not None else _runner_up_by_slug(doc, scored, bar, slug)
    return chosen


def _runner_up_by_slug(
    doc: Doc, scored: list[tuple[float, int]], bar: float, slug: frozenset[str]
) -> int | None:
    """The best line above the bar that shares two words or more with the URL's slug: the
    best-scoring line shared none (a teaser or related link), this one is the story's."""
    sharing = [
        (score, i)
        for score, i in scored
        if score >= bar and _slug_overlap(doc.lines[i].text, slug) * len(slug) >= 2
    ]
    return max(sharing, key=lambda c: c[0])[1] if sharing else None


def _slug_shaped(ln: Line, repeats: int) -> bool:
    """Title-shaped and not a sentence; a headline the page repeats so often that it was
    taken for chrome ("Short lines repeated three times") still counts."""
    if ln.prose:
        return False
    if ln.chrome and repeats >= _REPEATED and ln.key not in CHROME_KEYS:
        return _title_shaped(replace(ln, chrome=False))
    return _title_shaped(ln)


def _short_and_named(ln: Line, slug: frozenset[str]) -> bool:
    """A two-word headline ("„Unermüdlicher Einsatz“") is too short to be title-shaped, but
    a line holding every word of the slug, and nothing else, is the story's name."""
    if ln.chrome or ln.credit or ln.caption or ln.ui or ln.prose or CJK.search(ln.text):
        return False
    return (
        2 <= ln.words < _TITLE_MIN_WORDS
        and len(plain_tokens(ln.text)) == len(slug)
        and _slug_overlap(ln.text, slug) == 1.0
    )


def _named_by_slug(doc: Doc, first: int, lead: int, slug: frozenset[str]) -> int | None:
    """The headline-shaped line near the lead that most of the URL slug's words name, if any.

    Only when the scored choice failed: the slug is evidence enough to take a line that
    position and shape alone did not single out, but not to override them.
    """
    if not slug:
        return None
    counts = Counter(ln.key for ln in doc.lines if ln.chrome)
    best: tuple[float, int] | None = None
    for i in range(max(0, lead - _SLUG_WINDOW), min(len(doc.lines), lead + _SLUG_AFTER)):
        ln = doc.lines[i]
        if doc.headerish(i) or pictureish(doc, i):
            continue
        if not (_slug_shaped(ln, counts[ln.key]) or _short_and_named(ln, slug)):
            continue
        overlap = _slug_overlap(ln.text, slug)
        if (
            overlap * len(slug) >= 2
            and overlap >= _SLUG_NAMES
            and (best is None or overlap > best[0])
        ):
            best = (overlap, i)
    return best[1] if best else None


def _position_score(doc: Doc, i: int, lead: int) -> float:
    """Where headlines sit: above the byline/dateline block, below menus, away from photos.

    The headline is followed (directly or after a standfirst) by bylines and
    datelines; a line with such furniture just above it is inside the header
    block rather than at its top; a line next to a photo credit is a caption.
    """
    lines = doc.lines
    score = 0.0
    after = [j for j in range(i + 1, min(lead, i + 6)) if not lines[j].chrome][:3]
    if any(doc.headerish(j) or bare_byline_word(lines[j].text) for j in after):
        score += 1.5
    if _furniture_above(doc, i):
        score -= 1.5
    if next_to_credit(lines, i):
        score -= 1.5
    return score


def _furniture_above(doc: Doc, i: int) -> bool:
    """A byline or dateline in the three lines above: line ``i`` is inside the header block.

    Except one dateline just above and no other date near: some sites print the date
    over the headline ("Wed, Oct 16, 2024" then the headline); a list of teasers dates
    each item ("2024/12/02" then a teaser, again and again).
    """
    above = range(max(0, i - 3), i)
    if any(doc.authors(j) for j in above):
        return True
    dated = [j for j in range(max(0, i - _DATED_LIST), i) if doc.dateline(j)[0]]
    return any(j in above for j in dated) and dated != [i - 1]


def _prefer_line_above(doc: Doc, best: int, slug: frozenset[str]) -> int:
    """Headline then standfirst: when the line just above is a full title too, it is the one.

    Not a media label, a UI string or a weather strip, nor a line sharing no word
    with the URL's slug when the chosen one does (a kicker or teaser above).
    """
    if best == 0:
        return best
    above, chosen = doc.lines[best - 1], doc.lines[best]
    if slug and not _slug_overlap(above.text, slug) and _slug_overlap(chosen.text, slug):
        return best
    if (
        _title_shaped(above)
        and above.words >= 5
        and above.words <= chosen.words + 4
        and not above.prose
        and not doc.headerish(best - 1)
        and not pictureish(doc, best - 1)
        and not _UI_VERB.match(above.text)
        and not _NOT_HEADLINE.search(above.text)
        and not above.ui
        and "°" not in above.text
        and len(_GLUED.findall(above.text)) < 2
    ):
        return best - 1
    return best


def _slug_overlap(text: str, slug: frozenset[str]) -> float:
    """Share of the URL slug's words a line contains (a shared stem of five letters counts:
    "strassenbahn" in "Straßenbahnen")."""
    words = _title_tokens(text)
    found = sum(1 for token in slug if token in words or any(_same_stem(token, w) for w in words))
    return found / len(slug)


def _same_stem(a: str, b: str) -> bool:
    """Two words sharing a stem: a common start of five letters and most of the shorter word."""
    shared = next(
        (k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )
    return shared >= _MIN_STEM and shared >= _STEM_SHARE * min(len(a), len(b))
