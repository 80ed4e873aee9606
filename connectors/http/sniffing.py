"""Content types per purpose: what a request asks for, and whether a response is what it wanted.

Servers label feeds and sitemaps carelessly (text/html, text/plain, no type
at all), so a declared type gives one of three verdicts: accept it, reject it
(an image, a PDF, HTML where a feed was expected), or read the body and sniff
its first kilobyte. Pages are stricter: HTML types are accepted, a missing or
generic type is sniffed, anything else is refused before the body is read.
"""

from __future__ import annotations

from enum import Enum

from connectors.http.settings import Purpose

__all__ = ["Verdict", "accept_header", "sniff_ok", "type_verdict"]

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_GENERIC_TYPES = frozenset(
    {"", "application/octet-stream", "binary/octet-stream", "application/unknown"}
)
_GZIP_TYPES = frozenset(
    {"application/gzip", "application/x-gzip", "application/x-gunzip", "application/gzipped"}
)
_BINARY_PREFIXES = ("image/", "audio/", "video/", "font/", "application/pdf", "application/zip")
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<title", b"<meta")
_FEED_MARKERS = (b"<rss", b"<feed", b"<rdf:rdf", b"<channel")
_SITEMAP_MARKERS = (b"<urlset", b"<sitemapindex")
_SNIFF_BYTES = 1024
_ACCEPT = {
    Purpose.PAGE: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
    Purpose.FEED: (
        "application/rss+xml,application/atom+xml,application/feed+json,"
        "application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.5"
    ),
    Purpose.SITEMAP: "application/xml,text/xml;q=0.9,text/plain;q=0.8,*/*;q=0.5",
    Purpose.ROBOTS: "text/plain,*/*;q=0.5",
}


class Verdict(Enum):
    """What a declared content type means for a purpose."""

    ACCEPT = "accept"
    REJECT = "reject"
    SNIFF = "sniff"  # read the body, then decide with sniff_ok


def accept_header(purpose: Purpose) -> str:
    """The Accept header a request for this purpose sends."""
    return _ACCEPT[purpose]


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def type_verdict(purpose: Purpose, content_type: str | None) -> Verdict:  # noqa: PLR0911
    """Accept, reject or sniff a response of this declared type for this purpose."""
    media = _media_type(content_type)
    if purpose is Purpose.ROBOTS:
        return Verdict.ACCEPT
    if purpose is Purpose.PAGE:
        if media in _HTML_TYPES:
            return Verdict.ACCEPT
        return Verdict.SNIFF if media in _GENERIC_TYPES else Verdict.REJECT
    if media.startswith(_BINARY_PREFIXES):
        return Verdict.REJECT
    if "xml" in media or (purpose is Purpose.FEED and "json" in media):
        return Verdict.ACCEPT
    if purpose is Purpose.SITEMAP and (media in _GZIP_TYPES or media == "text/plain"):
        return Verdict.ACCEPT
    # Feeds and sitemaps are often served as text/html or text/plain: look at them.
    return Verdict.SNIFF


def sniff_ok(purpose: Purpose, body: bytes) -> bool:
    """True when the start of a (decoded) body looks like what the purpose expects."""
    head = body[:_SNIFF_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if purpose is Purpose.PAGE:
        return any(marker in head for marker in _HTML_MARKERS)
    if purpose is Purpose.FEED:
        if head.startswith(b"{"):
            return True
        return head.startswith(b"<?xml") or any(m in head for m in _FEED_MARKERS)
    if head.startswith(b"<?xml") or any(m in head for m in _SITEMAP_MARKERS):
        return True
    # A text sitemap: one absolute URL a line.
    return head.startswith((b"http://", b"https://"))
