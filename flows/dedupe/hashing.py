"""Text for comparison: normalisation, tokens, exact hashes and boilerplate checks.

The same normalised text under different URLs is an exact duplicate
(:func:`content_hash`); a title or text changed beyond white space is a new
version (:func:`version_hash`). Consent walls, paywall stubs, bot checks and
script notices are left out of the tokens that near-duplicate detection
compares (:func:`content_tokens`), and a text with too few other tokens is
never merged into a story (:func:`is_dedupable`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

import xxhash

from flows.dedupe.config import DEFAULT_CONFIG, DedupeConfig

__all__ = [
    "content_hash",
    "content_tokens",
    "is_boilerplate",
    "is_dedupable",
    "normalize_text",
    "normalized_hash",
    "split_tokens",
    "tokens",
    "version_hash",
]

# Scripts written without spaces between words: each character is one token,
# so a 5-token shingle spans about two or three words, like elsewhere.
_UNSPACED = (
    "\u0e00-\u0eff"  # Thai, Lao
    "\u1000-\u109f"  # Myanmar
    "\u1780-\u17ff"  # Khmer
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u31f0-\u31ff"
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uf900-\ufaff"
    "\U00020000-\U0003134f"
)
_TOKEN: Final = re.compile(f"[{_UNSPACED}]|[^\\s{_UNSPACED}]+")
_HAS_UNSPACED: Final = re.compile(f"[{_UNSPACED}]")


def split_tokens(normalized: str) -> list[str]:
    """Split normalised text into comparison tokens (a plain split for most scripts)."""
    if _HAS_UNSPACED.search(normalized):
        return _TOKEN.findall(normalized)
    return normalized.split()


class _Folding(dict[int, str]):
    """``str.translate`` table, filled on first sight of each character.

    Punctuation, symbols, separators and control characters become a space so
    that typographic variants (curly quotes, dashes, ellipses, non-breaking
    spaces) do not change a text's tokens; format characters (soft hyphen,
    zero-width joiners) vanish.
    """

    def __missing__(self, codepoint: int) -> str:
        char = chr(codepoint)
        category = unicodedata.category(char)
        if category == "Cf":
            value = ""
        elif category[0] in "PSZ" or category == "Cc":
            value = " "
        else:
            value = char
        self[codepoint] = value
        return value


_FOLDING: Final = _Folding()


def normalize_text(text: str) -> str:
    """Normalise text for comparison: NFKC, case-fold, punctuation and symbols to spaces."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_FOLDING)
    return " ".join(folded.split())


def tokens(text: str) -> list[str]:
    """Split text into comparison tokens: words, or single characters in CJK and Thai scripts."""
    return split_tokens(normalize_text(text))


def content_hash(text: str) -> str:
    """Return the 128-bit xxh3 hex digest of the normalised text (exact-duplicate key)."""
    return normalized_hash(normalize_text(text))


def normalized_hash(normalized: str) -> str:
    """Return :func:`content_hash` of a text that :func:`normalize_text` already normalised."""
    return xxhash.xxh3_128_hexdigest(normalized.encode("utf-8"))


def version_hash(title: str | None, text: str) -> str:
    """Return a digest of title and text that changes when either changes beyond whitespace."""
    squashed_title = " ".join(unicodedata.normalize("NFC", title or "").split())
    squashed_text = " ".join(unicodedata.normalize("NFC", text).split())
    return xxhash.xxh3_128_hexdigest(f"{squashed_title}\x1f{squashed_text}".encode())


# Phrases of consent walls, paywall stubs, bot checks and script-required pages,
# matched on a normalised paragraph (lower case, punctuation removed). Each has
# an anchor word that is searched first: most articles contain none, and a
# substring search is far cheaper than the expressions.
_BOILERPLATE: Final = tuple(
    (anchor, re.compile(pattern))
    for anchor, pattern in (
        ("javascript", r"\b(?:enable|activate|turn on) javascript\b"),
        ("javascript", r"\bjavascript (?:is )?(?:disabled|required|must be enabled)\b"),
        ("javascript", r"\bjavascript (?:aktivieren|einschalten)\b"),
        ("javascript", r"\b(?:activez|activer) (?:le )?javascript\b"),
        ("javascript", r"\b(?:habilite|activa|habilitar) (?:el )?javascript\b"),
        ("partners", r"\bwe and our (?:\d+ )?partners\b"),
        ("unsere ", r"\bwir und unsere (?:\d+ )?partner\b"),
        ("nous et nos", r"\bnous et nos (?:\d+ )?partenaires\b"),
        ("nosotros y", r"\bnosotros y nuestros (?:\d+ )?socios\b"),
        ("noi e ", r"\bnoi e (?:i nostri )?(?:\d+ )?partner\b"),
        ("cookies", r"\b(?:accept|reject|manage) (?:all )?cookies\b"),
        ("cookie ", r"\bcookie (?:settings|preferences|policy|consent)\b"),
        ("cookies ", r"\bcookies (?:akzeptieren|zulassen|ablehnen)\b"),
        ("cookies", r"\b(?:accepter|refuser) (?:les |tous les )?cookies\b"),
        ("on a device", r"\bstore and or access information on a device\b"),
        ("subscribe ", r"\bsubscribe (?:now )?to (?:continue|read|keep reading)\b"),
        ("subscriber", r"\b(?:already a subscriber|subscribers only|(?:only|exclusively) for "
                       r"subscribers|for subscribers only)\b"),
        ("subscriber", r"\bthis (?:article|content) is (?:only )?(?:available|reserved) "
                       r"(?:to|for) subscribers\b"),
        (" in to ", r"\b(?:sign|log) in to (?:continue|read)\b"),
        ("jetzt weiterlesen", r"\bjetzt weiterlesen\b"),
        ("jetzt abo", r"\bjetzt (?:abonnieren|abo abschließen)\b"),
        ("abonnent", r"\b(?:bereits abonnent|nur für abonnenten|exklusiv für abonnenten)\b"),
        ("abonné", r"\b(?:réservé aux abonnés|déjà abonné)\b"),
        ("suscriptor", r"\b(?:exclusivo para suscriptores|ya eres suscriptor)\b"),
        ("you are ", r"\b(?:verify|confirm) (?:that )?you are (?:a )?human\b"),
        ("a robot", r"\bare you a robot\b"),
        ("denied", r"\baccess (?:to this page has been )?denied\b"),
        ("security check", r"\bplease complete the security check\b"),
    )
)  # fmt: skip
_ANCHORS: Final = frozenset(anchor for anchor, _ in _BOILERPLATE)
# A paragraph with a phrase is boilerplate when short; a long one only with several phrases
# (an article about cookie law may name one; a consent wall names many).
_BOILERPLATE_PARAGRAPH_TOKENS: Final = 120
_BOILERPLATE_STRONG: Final = 3


def _boilerplate_hits(normalized_paragraph: str) -> int:
    if not any(anchor in normalized_paragraph for anchor in _ANCHORS):
        return 0
    return sum(
        1
        for anchor, pattern in _BOILERPLATE
        if anchor in normalized_paragraph and pattern.search(normalized_paragraph)
    )


def _substance(text: str, normalized: str | None = None) -> tuple[list[str], bool]:
    """Tokens of the paragraphs that are not boilerplate, and whether any paragraph was."""
    if normalized is None:
        normalized = normalize_text(text)
    if not any(anchor in normalized for anchor in _ANCHORS):
        return split_tokens(normalized), False
    words: list[str] = []
    found = False
    for paragraph in text.splitlines():
        normalized = normalize_text(paragraph)
        paragraph_words = split_tokens(normalized)
        hits = _boilerplate_hits(normalized)
        if hits >= _BOILERPLATE_STRONG or (
            hits and len(paragraph_words) < _BOILERPLATE_PARAGRAPH_TOKENS
        ):
            found = True
        else:
            words.extend(paragraph_words)
    return words, found


def content_tokens(text: str, normalized: str | None = None) -> list[str]:
    """Return a text's comparison tokens, its boilerplate paragraphs left out.

    ``normalized`` is ``normalize_text(text)`` when the caller has it already.
    """
    words, _ = _substance(text, normalized)
    return words


def is_boilerplate(text: str, *, config: DedupeConfig = DEFAULT_CONFIG) -> bool:
    """Say whether a text is a consent wall, paywall stub, bot check or script notice.

    True when it has such paragraphs and what remains without them is shorter
    than ``config.min_tokens``.
    """
    words, found = _substance(text)
    return found and len(words) < config.min_tokens


def is_dedupable(text: str, *, config: DedupeConfig = DEFAULT_CONFIG) -> bool:
    """Say whether a text has enough non-boilerplate tokens to be merged into a story."""
    return len(content_tokens(text)) >= config.min_tokens
