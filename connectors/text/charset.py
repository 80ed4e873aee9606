"""Turn the bytes of a page into text: BOM, then HTTP header, then <meta>, then detection.

The order follows the HTML standard's encoding sniffing, with one deliberate
exception: a byte order mark wins; then a body whose non-ASCII bytes are valid
UTF-8 is UTF-8 (pages re-saved as UTF-8 keep stale declarations, and legacy
text is almost never valid UTF-8 by chance); then the transport's declared
charset, a ``<meta charset>`` in the first 1024 bytes, statistical detection
(charset-normalizer), and UTF-8 as the last resort. Undecodable bytes become
U+FFFD, as in a browser.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

__all__ = ["charset_from_content_type", "decode_html", "looks_binary"]

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_MULTIBYTE_CODECS = frozenset(
    {
        "cp932",
        "shift_jis",
        "euc_jp",
        "iso2022_jp",
        "gb2312",
        "gbk",
        "gb18030",
        "big5",
        "big5hkscs",
        "cp949",
        "euc_kr",
        "iso2022_kr",
        "cp950",
        "utf-16",
        "utf-32",
    }
)
_MAX_ACCENTED_SHARE = 0.3
_SNIFF_BYTES = 1024
_DETECT_BYTES = 64 * 1024


def charset_from_content_type(content_type: str | None) -> str | None:
    """Return the charset named in a Content-Type header, if it names a known codec."""
    if not content_type:
        return None
    match = _HEADER_CHARSET.search(content_type)
    return _known_codec(match.group(1)) if match else None


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode an HTML (or text) body; return the text and the encoding used."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace"), encoding
    text = _utf8_text(body)
    if text is not None:
        return text, "utf-8"
    encoding = (
        charset_from_content_type(content_type) or _meta_charset(body) or _detected_charset(body)
    )
    return body.decode(encoding, errors="replace"), encoding


def _utf8_text(body: bytes) -> str | None:
    """Non-ASCII bytes that decode as UTF-8 are UTF-8, whatever a header or <meta> claims.

    Legacy-encoded text is almost never valid UTF-8 by accident, while pages
    re-saved as UTF-8 often keep their old charset declaration. Returns the
    text (decoded once), or None when the body is pure ASCII or not UTF-8.
    """
    if body.isascii():
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def looks_binary(body: bytes) -> bool:
    """True when the first bytes hold NUL bytes, which no text document of ours contains."""
    return b"\x00" in body[: _SNIFF_BYTES * 8]


def _meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:_SNIFF_BYTES])
    return _known_codec(match.group(1).decode("ascii", "ignore")) if match else None


def _detected_charset(body: bytes) -> str:
    sample = body[:_DETECT_BYTES]
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the sample's end is still UTF-8.
        if exc.start >= len(sample) - 4:
            return "utf-8"
    else:
        return "utf-8"
    best = from_bytes(sample).best()
    detected = _known_codec(best.encoding) if best is not None else None
    if detected in _MULTIBYTE_CODECS:
        return detected
    # Among single-byte guesses detection is unreliable on Western pages, so
    # windows-1252 (the HTML standard's default) wins unless most letters
    # would come out accented, as Cyrillic or Greek read as 1252 do.
    try:
        as_western = sample.decode("cp1252")
    except UnicodeDecodeError:
        return detected or "utf-8"
    letters = [c for c in as_western if c.isalpha()]
    accented = sum(1 for c in letters if ord(c) > 0x7F)
    if detected and letters and accented / len(letters) > _MAX_ACCENTED_SHARE:
        return detected
    return "cp1252"


def _known_codec(name: str) -> str | None:
    try:
        codec = codecs.lookup(name.strip().lower())
    except LookupError:
        return None
    # Pages that say latin-1 are, per the HTML standard, windows-1252.
    return "cp1252" if codec.name in {"latin-1", "iso8859-1", "ascii"} else codec.name
