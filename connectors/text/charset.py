"""Turn the bytes of a page into text, never guessing silently: each decoding says why.

The order follows the HTML standard's encoding sniffing, with one deliberate
exception: a byte order mark wins; then a body whose non-ASCII bytes are valid
UTF-8 is UTF-8 (pages re-saved as UTF-8 keep stale declarations, and legacy
text is almost never valid UTF-8 by chance); then UTF-8 with a few stray
windows-1252 bytes (a CMS pasting a legacy snippet into a UTF-8 page); then
the transport's declared charset and a ``<meta charset>`` in the first 1024
bytes, each only when the bytes decode in it; then statistical detection
(charset-normalizer). A declaration is a claim checked against the bytes, not
trusted: a cp1251 page served as ``charset=utf-8`` is read as cp1251.

Nothing is decoded with replacement characters. Bytes that are no text are
refused with the reason a reject row carries (:class:`RejectError`): empty,
binary (a NUL byte anywhere, outside UTF-16 text with a byte order mark), or
undecodable (no encoding fits). :class:`connectors.records.Decoding` records the
codec used, why (:class:`connectors.records.CharsetSource`) and what was
declared, so a stored version says how its text was read.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from connectors.errors import RejectError
from connectors.records import CharsetSource, Decoding, RejectReason, raw_hash

__all__ = [
    "charset_from_content_type",
    "check_text",
    "decode_for_display",
    "decode_html",
    "looks_binary",
]

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
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
    }
)
_MAX_ACCENTED_SHARE = 0.3
_SNIFF_BYTES = 1024
_DETECT_BYTES = 64 * 1024
# windows-1252 as the HTML standard defines it (a decoding table for codecs.charmap_decode):
# the five bytes Python's cp1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) are the
# C1 controls of the same number, so every byte decodes.
_WINDOWS_1252 = "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(256))
# A byte that is not UTF-8, as ``surrogateescape`` leaves it, -> its windows-1252 character.
_STRAYS = {0xDC00 + b: _WINDOWS_1252[b] for b in range(0x80, 0x100)}


def charset_from_content_type(content_type: str | None) -> str | None:
    """Return the charset named in a Content-Type header, if it names a known codec."""
    if not content_type:
        return None
    match = _HEADER_CHARSET.search(content_type)
    return _known_codec(match.group(1)) if match else None


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, Decoding]:
    """Decode an HTML (or text) body; return the text and how it was decoded.

    Raises RejectError (empty, binary or undecodable, with the body's hash)
    when the bytes are no text in any encoding that fits them.
    """
    if not body or body.isspace():
        raise RejectError(RejectReason.EMPTY, "empty body", raw_hash(body))
    if looks_binary(body):
        raise RejectError(RejectReason.BINARY, "body holds NUL bytes", raw_hash(body))
    header = charset_from_content_type(content_type)
    meta = _meta_charset(body)
    declared = header or meta
    decoded = (
        _by_bom(body, declared)
        or _by_utf8(body, header, meta)
        or _by_declaration(body, header, meta)
        or _by_detection(body, declared)
    )
    if decoded is None:
        detail = f"declared {declared} does not fit the bytes" if declared else "not declared"
        raise RejectError(
            RejectReason.UNDECODABLE,
            f"no encoding fits the bytes ({detail}; detection found none)",
            raw_hash(body),
        )
    problem = _text_problem(decoded[0])
    if problem is not None:
        raise RejectError(*problem, raw_hash(body))
    return decoded


def decode_for_display(body: bytes, content_type: str | None = None) -> str:
    """The body as a browser would show it, U+FFFD where no encoding fits: never for storage."""
    try:
        return decode_html(body, content_type)[0]
    except RejectError:
        encoding = charset_from_content_type(content_type) or "utf-8"
        return body.decode(encoding, errors="replace")


def check_text(text: str, digest: str | None = None) -> None:
    """Raise RejectError when decoded text is blank or holds NUL characters (binary).

    ``digest`` (the raw bytes' hash) goes into the error for the reject row.
    """
    problem = _text_problem(text)
    if problem is not None:
        raise RejectError(*problem, digest)


def _text_problem(text: str) -> tuple[RejectReason, str] | None:
    if not text or text.isspace():
        return RejectReason.EMPTY, "no text but whitespace"
    if "\x00" in text:
        return RejectReason.BINARY, "text holds NUL characters"
    return None


def looks_binary(body: bytes) -> bool:
    """True when the bytes hold a NUL byte, which no text document of ours contains.

    UTF-16 text with a byte order mark holds NUL bytes by nature: its decoded
    text is checked instead (:func:`check_text`).
    """
    return b"\x00" in body and not body.startswith(_UTF16_BOMS)


def _by_bom(body: bytes, declared: str | None) -> tuple[str, Decoding] | None:
    """A byte order mark names the encoding, when the rest decodes in it."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return _as(_strict(body[len(bom) :], encoding), encoding, CharsetSource.BOM, declared)
    return None


def _by_utf8(body: bytes, header: str | None, meta: str | None) -> tuple[str, Decoding] | None:
    """Non-ASCII bytes that are UTF-8 (or nearly: :func:`_utf8_with_strays`) are UTF-8.

    Legacy-encoded text is almost never valid UTF-8 by accident, while pages
    re-saved as UTF-8 often keep their old charset declaration. The source is
    the declaration that agrees, if one does.
    """
    if body.isascii():
        return None
    declared = header or meta
    text = _strict(body, "utf-8")
    if text is None:
        return _as(_utf8_with_strays(body), "utf-8", CharsetSource.UTF8_MIXED, declared)
    if header == "utf-8":
        return text, Decoding("utf-8", CharsetSource.HEADER, declared)
    if meta == "utf-8":
        return text, Decoding("utf-8", CharsetSource.META, declared)
    return text, Decoding("utf-8", CharsetSource.UTF8, declared)


def _utf8_with_strays(body: bytes) -> str | None:
    """UTF-8 text with stray bytes that are not UTF-8, those read as windows-1252.

    Only when the valid multi-byte characters are at least as many as the
    stray bytes: text in a legacy encoding has many strays and next to no
    valid sequences, and is left to detection.
    """
    text = body.decode("utf-8", errors="surrogateescape")
    strays = len(text) - len(text.encode("utf-8", errors="ignore").decode("utf-8"))
    multibyte = len(text) - len(text.encode("ascii", errors="ignore")) - strays
    if multibyte < strays:
        return None
    return text.translate(_STRAYS)


def _by_declaration(
    body: bytes, header: str | None, meta: str | None
) -> tuple[str, Decoding] | None:
    """The header's charset, else the <meta> one, when the bytes decode in it; else None."""
    declared = header or meta
    for charset, source in ((header, CharsetSource.HEADER), (meta, CharsetSource.META)):
        if charset is not None and (text := _strict(body, charset)) is not None:
            return text, Decoding(charset, source, declared)
    if body.isascii():  # nothing declared (or fits): ASCII is valid UTF-8
        return body.decode("ascii"), Decoding("utf-8", CharsetSource.UTF8, declared)
    return None


def _by_detection(body: bytes, declared: str | None) -> tuple[str, Decoding] | None:
    """The encoding detection finds, when the whole body decodes in it; else None."""
    charset = _detected_charset(body[:_DETECT_BYTES])
    if charset is None:
        return None
    return _as(_strict(body, charset), charset, CharsetSource.DETECTED, declared)


def _as(
    text: str | None, charset: str, source: CharsetSource, declared: str | None
) -> tuple[str, Decoding] | None:
    """The text with its decoding, or None when there is no text."""
    return None if text is None else (text, Decoding(charset, source, declared))


def _strict(body: bytes, charset: str) -> str | None:
    """The body decoded in ``charset`` with no byte left over, or None."""
    if charset == "cp1252":
        return codecs.charmap_decode(body, "strict", _WINDOWS_1252)[0]
    try:
        return body.decode(charset)
    except (UnicodeDecodeError, LookupError):
        return None


def _meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:_SNIFF_BYTES])
    return _known_codec(match.group(1).decode("ascii", "ignore")) if match else None


def _detected_charset(sample: bytes) -> str | None:
    """The encoding the sample reads best in, or None when it reads as text in none."""
    best = from_bytes(sample).best()
    if best is None:
        return None
    detected = _known_codec(best.encoding)
    if detected in _MULTIBYTE_CODECS:
        return detected
    # Among single-byte guesses detection is unreliable on Western pages, so
    # windows-1252 (the HTML standard's default) wins unless most letters
    # would come out accented, as Cyrillic or Greek read as 1252 do.
    letters = [c for c in codecs.charmap_decode(sample, "strict", _WINDOWS_1252)[0] if c.isalpha()]
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
