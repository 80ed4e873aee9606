"""A language guess for a whole scrape: its script first (CJK, Cyrillic, ...), then stopwords.

The guess (ISO 639-1, or None when unsure) decides whether stopwords count in
the prose test and how a numeric date such as ``03/04/2024`` is read.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from flows.extract.textscrape.lexicon import STOPWORDS
from flows.extract.textscrape.lines import WORD, Line

__all__ = ["detect_language"]


def detect_language(lines: Iterable[Line]) -> str | None:
    """Script first (CJK, Cyrillic, ...), then the stopword list with most hits."""
    sample = " ".join(ln.text for ln in lines)[:20000]
    if not sample.strip():
        return None
    script = _script_language(sample)
    if script:
        return script
    tokens = [t.casefold() for t in WORD.findall(sample)]
    if len(tokens) < 20:
        return None
    counts = {lang: sum(1 for t in tokens if t in words) for lang, words in STOPWORDS.items()}
    ranked = sorted(counts.items(), key=lambda kv: kv[1], reverse=True)
    best, hits = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    if hits < 5 or hits / len(tokens) < 0.08 or hits < 1.2 * runner_up:
        return None
    return best


_SCRIPT_LANGUAGES = {
    "han": "zh",
    "kana": "ja",
    "hangul": "ko",
    "greek": "el",
    "hebrew": "he",
    "arabic": "ar",
    "devanagari": "hi",
    "thai": "th",
}


def _script_language(sample: str) -> str | None:
    counts = Counter(_script(ch) for ch in sample if ch.isalpha())
    total = sum(counts.values())
    if not total:
        return None
    script, n = counts.most_common(1)[0]
    if counts["kana"] > 0.05 * total:
        return "ja"  # Japanese mixes kana into Han text; Chinese never does
    if counts["hangul"] > 0.3 * total:
        return "ko"
    if script == "latin" or n / total < 0.3:
        return None
    if script == "cyrillic":
        return "uk" if re.search(r"[іїєґ]", sample) else "ru"
    return _SCRIPT_LANGUAGES.get(script)


def _script(ch: str) -> str:
    code = ord(ch)
    if code < 0x250:
        return "latin"
    ranges = (
        (0x370, 0x400, "greek"),
        (0x400, 0x530, "cyrillic"),
        (0x590, 0x600, "hebrew"),
        (0x600, 0x700, "arabic"),
        (0x900, 0x980, "devanagari"),
        (0xE00, 0xE80, "thai"),
        (0x1E00, 0x1F00, "latin"),
        (0x3040, 0x3100, "kana"),
        (0x3400, 0xA000, "han"),
        (0xAC00, 0xD7B0, "hangul"),
        (0xF900, 0xFB00, "han"),
    )
    for low, high, name in ranges:
        if low <= code < high:
            return name
    return "other"
