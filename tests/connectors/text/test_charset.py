"""Decoding page bytes: BOM, valid UTF-8, header, <meta>, detection."""

from __future__ import annotations

import codecs

import pytest

from connectors.text.charset import decode_html, looks_binary


@pytest.mark.parametrize(
    ("body", "content_type", "text", "encoding"),
    [
        (codecs.BOM_UTF8 + "café".encode(), "text/html; charset=iso-8859-1", "café", "utf-8"),
        ("<p>café".encode(), None, "<p>café", "utf-8"),
        # A page re-saved as UTF-8 that still declares its old charset.
        (
            '<meta charset="gb2312"><p>中文新闻'.encode(),
            None,
            '<meta charset="gb2312"><p>中文新闻',
            "utf-8",
        ),
        (
            '<meta charset="gb2312"><p>中文新闻'.encode("gb2312"),
            None,
            '<meta charset="gb2312"><p>中文新闻',
            "gb2312",
        ),
        (b"<p>caf\xe9", "text/html; charset=ISO-8859-1", "<p>café", "cp1252"),
        (
            b'<meta charset="windows-1251"><p>\xcf\xf0\xe8\xe2\xe5\xf2',
            None,
            '<meta charset="windows-1251"><p>Привет',
            "cp1251",
        ),
    ],
)
def test_declared_and_detected_encodings(
    body: bytes, content_type: str | None, text: str, encoding: str
) -> None:
    assert decode_html(body, content_type) == (text, encoding)


def test_undeclared_legacy_text_is_detected() -> None:
    western = ("Le café est très bon, à côté de la gare. " * 5).encode("cp1252")
    cyrillic = ("Привет мир, новости дня. " * 5).encode("cp1251")
    japanese = ("日本語のテキストです。ニュース記事。" * 5).encode("shift_jis")
    assert decode_html(western)[1] == "cp1252"
    assert decode_html(cyrillic)[1] == "cp1251"
    assert decode_html(japanese)[1] == "cp932"
    assert decode_html(japanese)[0].startswith("日本語")


def test_invalid_bytes_become_replacement_characters() -> None:
    text, _ = decode_html(b"<p>ok \xff\xfe end", "text/html; charset=utf-8")
    assert text.startswith("<p>ok ") and text.endswith(" end")


def test_nul_bytes_mark_binary() -> None:
    assert looks_binary(b"\x89PNG\r\n\x1a\n\x00\x00")
    assert not looks_binary(b"<html>plain</html>")
