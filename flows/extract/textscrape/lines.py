"""The line model: a scrape cut into lines, each with the features the classifier reads.

Hard-wrapped paragraphs are joined back first. Every line then gets its
length (CJK-aware), sentence-final punctuation, stopword share (the JusText
idea; a text scrape has no link density) and lexicon hits, which mark site
chrome, photo credits, captions and notices addressed to the reader. Prose is
marked last, once the document's language is known, because the stopword
test depends on it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from flows.extract.textscrape.lexicon import (
    ALL_STOPWORDS,
    BREADCRUMB,
    CAPTION_CREDIT,
    CAPTION_START,
    CHROME_KEYS,
    CHROME_PREFIX,
    CHROME_TOKENS,
    CJK_CHROME,
    CREDIT_HINT,
    CREDIT_TOKENS,
    CREDIT_WORDS,
    LEGAL,
    LEGAL_HINT,
    SHARE_BAR,
    UI_TERMS,
    lexicon_key,
)

__all__ = [
    "CJK",
    "PROSE_MIN_WORDS",
    "TERMINAL",
    "WORD",
    "Line",
    "abbreviation",
    "caption_like",
    "line_features",
    "mark_prose",
    "mark_repeated_chrome",
    "sentences",
    "split_lines",
]


WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
TERMINAL = re.compile(r"[.!?…。！？।]['\"”’»)\]」』]*\s*$|[.!?…。！？]\s*\(?[^()]{0,3}\)?$")
_DIGIT = re.compile(r"\d")

_URLISH = re.compile(r"https?://|www\.|\.(?:com|org|net|de|fr|co\.uk)\b")


@dataclass(slots=True)
class Line:
    """One line of the scrape and the features the classifier reads."""

    text: str
    low: str  # casefolded text: the lexicon regexes run on it without IGNORECASE (4x faster)
    words: float
    terminal: bool
    key: str
    stop_ratio: float
    chrome: bool = False
    credit: bool = False
    caption: bool = False
    ui: bool = False
    prose: bool = False
    capitalised: float = 0.0  # share of words starting with a capital (menus are Title Case)
    digits: bool = False


def _effective_words(text: str, words: list[str]) -> tuple[float, list[str]]:
    """Word count that also works for CJK (about two characters per word)."""
    cjk = 0 if text.isascii() else len(CJK.findall(text))
    if cjk:
        latin = [w for w in words if not CJK.search(w)]
        return len(latin) + cjk / 2.0, latin
    return float(len(words)), words


def _is_chrome(line: Line) -> bool:
    """Short UI strings: lexicon hit, a share bar, or a bare URL or counter."""
    if line.words > 12:
        return False
    text = line.text.strip()
    low = line.low.strip()
    tokens = line.key.split()
    return bool(
        line.key in CHROME_KEYS
        or not line.key  # no letters at all: counters, arrows, bullets
        or SHARE_BAR.match(low)
        or SHARE_BAR.match(line.key)
        or (CHROME_PREFIX.match(low) and line.words <= 8)
        or BREADCRUMB.match(low)
        or (len(text) <= 24 and CJK_CHROME.search(text))
        or (LEGAL_HINT.search(low) and LEGAL.search(low))
        or (2 <= len(tokens) <= 8 and sum(t in CHROME_TOKENS for t in tokens) >= 0.6 * len(tokens))
        or _glued_chrome(text)
        or (_URLISH.search(low) and line.words <= 4)
    )


def _glued_chrome(text: str) -> bool:
    """Several chrome strings glued together by inline markup ("Share Save", "Sign InRegister")."""
    parts = [p for p in re.split(r"(?<=[a-zäöüé])(?=[A-ZÄÖÜ])", text) if p.strip()]
    return len(parts) > 1 and all(lexicon_key(p) in CHROME_KEYS for p in parts)


def _is_share_text(line: Line) -> bool:
    """Long lines that are still only chrome: legal notices, runs of share buttons."""
    if line.words > 60:
        return False
    if LEGAL_HINT.search(line.low) and LEGAL.search(line.low):
        return True
    tokens = WORD.findall(line.low)
    return sum(t in CHROME_TOKENS for t in tokens) >= 0.5 * len(tokens)


def _is_credit(line: Line) -> bool:
    """A photo credit on its own line ("Getty Images", "Foto: dpa", "© Reuters")."""
    if line.words > 9 or (line.terminal and line.words > 4):
        return False
    # Python's regex engine tries every alternative at every position: a set lookup of
    # the words first keeps this cheap on the thousands of short lines of a page.
    if CREDIT_TOKENS.intersection(WORD.findall(line.low)):
        return True
    return (
        bool(CREDIT_HINT.search(line.low))
        and bool(CREDIT_WORDS.search(line.low))
        and not _sentence_after_label(line.text)
    )


def _sentence_after_label(text: str) -> bool:
    """A colon followed by a sentence, not names: "Erstes Bild: So könnte die Seilbahn
    aussehen" is a headline; a credit names people or agencies ("Foto: Anna Berg og Ola
    Dahl", "Bild: picture alliance / dpa"). A sentence has three lower-case words or more
    after the last colon, one of them a function word ("die")."""
    if ":" not in text:
        return False
    lower = [w.casefold() for w in text.rsplit(":", maxsplit=1)[1].split() if w[:1].islower()]
    return len(lower) > 2 and any(w in ALL_STOPWORDS for w in lower)


def _is_caption(line: Line) -> bool:
    """A photo caption recognised by its marker or embedded credit."""
    text = line.text.strip()
    if CAPTION_START.match(line.low.strip()):
        return True
    if CJK.search(text) and re.search(r"＝[^＝。]{1,25}$", text):
        return True  # Japanese captions end in "＝place, date" or "＝agency"
    if line.words > 70:
        return False
    credit = CAPTION_CREDIT.search(line.low.rstrip()[-160:])
    if credit is None:
        return False
    return not (":" in credit.group(0) and _sentence_after_label(text))


def _features(text: str) -> Line:
    low = text.casefold()
    originals = WORD.findall(text)
    words, tokens = _effective_words(text, [w.casefold() for w in originals])
    capitalised = (
        sum(1 for w in originals if w[:1].isupper()) / len(originals) if originals else 0.0
    )
    stop = 0.0
    if tokens:
        stop = sum(1 for t in tokens if t in ALL_STOPWORDS) / len(tokens)
    line = Line(
        text=text,
        low=low,
        words=words,
        terminal=bool(TERMINAL.search(text[-12:])),
        key=lexicon_key(text) if words <= 14 else "",
        stop_ratio=stop,
        digits=bool(_DIGIT.search(text)),
        capitalised=capitalised,
    )
    line.credit = line.key not in CHROME_KEYS and _is_credit(line)
    line.chrome = not line.credit and (_is_chrome(line) if words <= 12 else _is_share_text(line))
    line.caption = not line.chrome and not line.credit and _is_caption(line)
    line.ui = not line.chrome and 5 <= line.words <= 60 and _is_ui_text(line)
    return line


def line_features(texts: list[str]) -> list[Line]:
    """Features of every line; repeated lines (menus, share bars) share one record.

    Sharing is safe because every feature, including the ones set later, is a
    function of the text alone.
    """
    memo: dict[str, Line] = {}
    return [memo[t] if t in memo else memo.setdefault(t, _features(t)) for t in texts]


def _is_ui_text(line: Line) -> bool:
    """Sentences addressed to the reader about the site: log in, subscribe, cookies, ads."""
    hits = len(UI_TERMS.findall(line.low))
    return hits >= 2 or (hits == 1 and line.words <= 25)


# Runs of Latin spacing collapse to one space; the ideographic space (U+3000) stays, as it
# separates phrases in CJK headlines.
_INLINE_SPACE = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f]+")
_BLANK_SPLIT = re.compile(r"\n[ \t\u00a0]*\n")
# Control characters and invisible format characters (soft hyphens, zero-width marks).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u00ad\u200b\u200e\u200f\u2060\ufeff]")


def split_lines(text: str) -> list[str]:
    """Non-empty lines; hard-wrapped paragraphs are joined back into one line."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    groups = [g.split("\n") for g in _BLANK_SPLIT.split(text)]
    wrapped = _looks_hard_wrapped(groups)
    lines: list[str] = []
    for group in groups:
        stripped = [_INLINE_SPACE.sub(" ", ln).strip() for ln in group]
        stripped = [ln for ln in stripped if ln]
        for ln in _unwrap(stripped) if wrapped and len(stripped) > 1 else stripped:
            if lines and ln[:1] in ":：" and not TERMINAL.search(lines[-1]):
                lines[-1] = f"{lines[-1]}{ln}"  # "Kicker" + ": headline" split by inline markup
            else:
                lines.append(ln)
    return lines


def _looks_hard_wrapped(groups: Sequence[Sequence[str]]) -> bool:
    """True when paragraphs were wrapped at a fixed width (mail, terminal copies)."""
    inner = [len(ln) for g in groups if len(g) > 2 for ln in g[:-1] if ln.strip()]
    if len(inner) < 6:
        return False
    longest = max(len(ln) for g in groups for ln in g)
    width = max(inner)
    if longest > 200 or width < 40:
        return False
    near_width = sum(1 for n in inner if n >= 0.75 * width)
    return near_width / len(inner) >= 0.6


def _unwrap(lines: list[str]) -> list[str]:
    """Join wrapped lines of one paragraph; keep list items on their own lines."""
    out: list[str] = []
    width = max(len(ln) for ln in lines)
    for ln in lines:
        if out and len(out[-1]) >= 0.6 * width and not re.match(r"^[-*•–\d]+[.)]?\s", ln):
            out[-1] = f"{out[-1]} {ln}"
        else:
            out.append(ln)
    return out


PROSE_MIN_WORDS = 7.0
_MIN_STOP_RATIO = 0.12


def _title_question(ln: Line) -> bool:
    """A short single question or exclamation: shaped like a headline, not a paragraph."""
    text = ln.text.rstrip(" \"'”’»)")
    return text.endswith(("?", "!")) and ln.words <= 16 and sentences(text) <= 1


def _stopword_floor(lines: Sequence[Line]) -> float:
    """Stopword share a prose line needs, scaled down for languages that use few of them.

    Agglutinative languages (Turkish, Finnish, Hungarian) glue function words
    onto nouns, so their sentences carry far fewer separate stopwords; the
    floor follows the document's own long sentences.
    """
    ratios = sorted(ln.stop_ratio for ln in lines if ln.words >= 12 and ln.terminal)
    if len(ratios) < 3:
        return _MIN_STOP_RATIO
    return min(_MIN_STOP_RATIO, 0.4 * ratios[len(ratios) // 2])


def mark_prose(lines: list[Line], *, use_stopwords: bool) -> None:
    """Prose: long enough, sentence-final punctuation, function words, not chrome."""
    min_ratio = _stopword_floor(lines)
    for ln in lines:
        if ln.chrome or ln.credit or ln.caption or ln.ui:
            continue
        long_enough = ln.words >= PROSE_MIN_WORDS
        sentence = (ln.terminal and not _title_question(ln)) or ln.words >= 30
        wordy = not use_stopwords or ln.stop_ratio >= min_ratio or CJK.search(ln.text)
        # Title Case runs ("Travel Adventures Azerbaijan Diary ...") are menus, not sentences;
        # German capitalises nouns, yet its prose stays well below this share.
        titlecase = ln.words >= 8 and ln.capitalised > 0.7
        ln.prose = long_enough and sentence and bool(wordy) and not titlecase


def mark_repeated_chrome(lines: list[Line]) -> None:
    """Short lines repeated three times or more are page furniture ("Article content")."""
    counts = Counter(ln.key for ln in lines if ln.key and ln.words <= 6)
    for ln in lines:
        if ln.key and ln.words <= 6 and counts[ln.key] >= 3:
            ln.chrome = True


_SENTENCE_END = re.compile(r"(\S*)[.!?。！？](?:\s|$)")


def sentences(text: str) -> int:
    """Sentence ends, not counting abbreviations ("Rep.", "Mont.", "U.S.", "Charles III.")."""
    count = sum(not abbreviation(m.group(1)) for m in _SENTENCE_END.finditer(text))
    return max(count, 1 if text.strip() else 0)


def abbreviation(word: str) -> bool:
    """A word whose full stop does not end a sentence: "Rep", "Mont", "U.S", "III"."""
    word = word.rstrip(".")
    short = word[:1].isupper() and len(word) <= 4 and word.isalpha()
    return short or bool(re.fullmatch(r"(?:[A-Z]\.)*[A-Z]|[IVX]+", word))


def caption_like(ln: Line) -> bool:
    """Short, one- or two-sentence description of a picture."""
    return ln.words <= 40 and sentences(ln.text) <= 2
