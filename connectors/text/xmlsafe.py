"""Make fetched XML safe to hand to a parser: UTF-8 bytes with no internal DTD subset.

Entity attacks (billion laughs, external entities pointing at ``file://`` or
``http://``) need entity *declarations*, and those can only live in a DOCTYPE's
internal subset. No feed or sitemap needs one, so :func:`defuse_xml` removes
any DOCTYPE that has an internal subset before a parser sees the bytes; the
parsers' own settings (expat without external entities, lxml with
``resolve_entities=False, no_network=True``) are the second line of defence.
A gzipped feed or sitemap is inflated before it comes here, under a size cap
(:func:`connectors.compression.gunzip_bounded`).

Nothing here raises for bad input: problems come back as fields of the
returned records, because a broken document is data, not an error.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

__all__ = ["Defused", "defuse_xml"]

_UTF16_32 = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x00<\x00?", "utf-16-be"),
)
_ENCODING_DECL = re.compile(rb"""(<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""")
_SPACE = b" \t\r\n"


@dataclass(frozen=True, slots=True)
class Defused:
    """XML bytes (UTF-8 or an ASCII-compatible encoding) with no internal DTD subset."""

    data: bytes
    removed_doctype: bool  # a DOCTYPE with an internal subset was taken out


def defuse_xml(data: bytes) -> Defused:
    """Transcode UTF-16/32 XML to UTF-8 and remove any DOCTYPE with an internal subset."""
    data = _to_utf8(data)
    removed = False
    while True:
        span = _doctype_with_subset(data)
        if span is None:
            return Defused(data, removed)
        start, end = span
        data = data[:start] + data[end:]
        removed = True


def _to_utf8(data: bytes) -> bytes:
    # The DOCTYPE scan works on ASCII-compatible bytes, so wide encodings are
    # converted first (and the declaration rewritten to match).
    for prefix, encoding in _UTF16_32:
        if data.startswith(prefix):
            text = data.decode(encoding, errors="replace").lstrip("\ufeff")
            converted = text.encode("utf-8")
            return _ENCODING_DECL.sub(rb"\1\2utf-8\2", converted, count=1)
    return data


def _doctype_with_subset(data: bytes) -> tuple[int, int] | None:
    """Return the span of the first DOCTYPE with an internal subset in the prolog."""
    pos = 3 if data.startswith(codecs.BOM_UTF8) else 0
    while True:
        pos = _skip_space(data, pos)
        if data.startswith(b"<?", pos):
            pos = _after(data, b"?>", pos + 2)
        elif data.startswith(b"<!--", pos):
            pos = _after(data, b"-->", pos + 4)
        elif data[pos : pos + 9].upper() == b"<!DOCTYPE":
            end, has_subset = _doctype_end(data, pos + 9)
            if has_subset:
                return pos, end
            pos = end
        else:
            return None  # the root element (or junk) starts here: the prolog is over
        if pos >= len(data):
            return None


def _doctype_end(data: bytes, pos: int) -> tuple[int, bool]:
    """Scan a DOCTYPE declaration from after its keyword; return its end and if it had [...]."""
    has_subset = False
    in_subset = False
    quote: int | None = None
    while pos < len(data):
        byte = data[pos]
        if quote is not None:
            if byte == quote:
                quote = None
        elif byte in b"\"'":
            quote = byte
        elif in_subset and data.startswith(b"<!--", pos):
            pos = _after(data, b"-->", pos + 4) - 1
        elif byte == ord("["):
            has_subset = in_subset = True
        elif byte == ord("]"):
            in_subset = False
        elif byte == ord(">") and not in_subset:
            return pos + 1, has_subset
        pos += 1
    # Unterminated: everything after the keyword belongs to the declaration.
    return len(data), has_subset


def _skip_space(data: bytes, pos: int) -> int:
    while pos < len(data) and data[pos] in _SPACE:
        pos += 1
    return pos


def _after(data: bytes, marker: bytes, pos: int) -> int:
    found = data.find(marker, pos)
    return len(data) if found < 0 else found + len(marker)
