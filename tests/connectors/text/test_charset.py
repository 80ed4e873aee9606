"""Decoding page bytes: BOM, valid UTF-8, header, <meta>, detection; never a silent guess."""

from __future__ import annotations

import codecs
import random

import pytest

from connectors.errors import RejectError
from connectors.records import CharsetSource, RejectReason, raw_hash
from connectors.text.charset import check_text, decode_for_display, decode_html, looks_binary

BOM, HEADER, META = CharsetSource.BOM, CharsetSource.HEADER, CharsetSource.META
UTF8, MIXED, DETECTED = CharsetSource.UTF8, CharsetSource.UTF8_MIXED, CharsetSource.DETECTED
RUSSIAN = "Городской совет принял бюджет на следующий год после долгих споров. " * 3
FRENCH = "Le conseil a adopté le budget après de longs débats sur les écoles. " * 3


@pytest.mark.parametrize(
    ("body", "content_type", "text", "encoding", "source"),
    [
        (
            codecs.BOM_UTF8 + "café".encode(),
            "text/html; charset=iso-8859-1",
            "café",
            "utf-8",
            BOM,
        ),
        ("<p>café".encode(), None, "<p>café", "utf-8", UTF8),
        # A page re-saved as UTF-8 that still declares its old charset.
        (
            '<meta charset="gb2312"><p>中文新闻'.encode(),
            None,
            '<meta charset="gb2312"><p>中文新闻',
            "utf-8",
            UTF8,
        ),
        (
            '<meta charset="gb2312"><p>中文新闻'.encode("gb2312"),
            None,
            '<meta charset="gb2312"><p>中文新闻',
            "gb2312",
            META,
        ),
        (b"<p>caf\xe9", "text/html; charset=ISO-8859-1", "<p>café", "cp1252", HEADER),
        (
            b'<meta charset="windows-1251"><p>\xcf\xf0\xe8\xe2\xe5\xf2',
            None,
            '<meta charset="windows-1251"><p>Привет',
            "cp1251",
            META,
        ),
        (b"<p>ok", "text/html; charset=utf-8", "<p>ok", "utf-8", HEADER),
        (b"<p>plain ascii", None, "<p>plain ascii", "utf-8", UTF8),
        # The HTML standard's windows-1252: the bytes Python leaves undefined are C1 controls.
        (b"<p>\x81 \x93q\x94", "text/html; charset=windows-1252", "<p>\x81 “q”", "cp1252", HEADER),
    ],
)
def test_declared_and_detected_encodings(
    body: bytes, content_type: str | None, text: str, encoding: str, source: CharsetSource
) -> None:
    decoded, decoding = decode_html(body, content_type)
    assert (decoded, decoding.charset, decoding.source) == (text, encoding, source)


def test_undeclared_legacy_text_is_detected() -> None:
    western = ("Le café est très bon, à côté de la gare. " * 5).encode("cp1252")
    cyrillic = ("Привет мир, новости дня. " * 5).encode("cp1251")
    japanese = ("日本語のテキストです。ニュース記事。" * 5).encode("shift_jis")
    assert decode_html(western)[1].charset == "cp1252"
    assert decode_html(cyrillic)[1].charset == "cp1251"
    assert decode_html(japanese)[1].charset == "cp932"
    assert decode_html(japanese)[0].startswith("日本語")


@pytest.mark.parametrize(
    ("text", "encoding", "content_type"),
    [
        (RUSSIAN, "cp1251", "text/html; charset=utf-8"),
        (FRENCH, "cp1252", "text/html; charset=UTF-8"),
        ('<meta charset="utf-8">' + FRENCH, "latin-1", "text/html"),
    ],
)
def test_a_declaration_that_does_not_fit_the_bytes_gives_way_to_detection(
    text: str, encoding: str, content_type: str
) -> None:
    decoded, decoding = decode_html(text.encode(encoding), content_type)
    assert decoded == text
    assert (decoding.source, decoding.declared) == (DETECTED, "utf-8")
    assert decoding.charset == ("cp1252" if encoding == "latin-1" else encoding)


def test_utf8_with_a_few_stray_windows_1252_bytes_reads_both() -> None:
    body = (
        ("It’s the council’s budget: “adopted”. " * 3).encode().replace(b"\xe2\x80\x99", b"\x92", 1)
    )
    decoded, decoding = decode_html(body, "text/html; charset=utf-8")
    assert decoded == "It’s the council’s budget: “adopted”. " * 3
    assert (decoding.charset, decoding.source) == ("utf-8", MIXED)


def test_a_body_that_is_text_in_no_encoding_is_undecodable() -> None:
    junk = bytes(b for b in random.Random(7).randbytes(4000) if b >= 0x80)
    body = b"<html><body><p>" + junk + b"</p></body></html>"
    with pytest.raises(RejectError) as caught:
        decode_html(body, "text/html; charset=utf-8")
    assert caught.value.reason is RejectReason.UNDECODABLE
    assert "declared utf-8 does not fit" in caught.value.detail
    assert caught.value.digest == raw_hash(body)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", RejectReason.EMPTY),
        (b" \r\n\t", RejectReason.EMPTY),
        (codecs.BOM_UTF8 + b"  ", RejectReason.EMPTY),
        (b"<p>text\x00more</p>", RejectReason.BINARY),
        (b"\x89PNG\r\n\x1a\n\x00\x00", RejectReason.BINARY),
        (codecs.BOM_UTF16_LE + "<p>a\x00b".encode("utf-16-le"), RejectReason.BINARY),
    ],
)
def test_bytes_that_are_no_text_are_refused_with_a_reason(
    body: bytes, reason: RejectReason
) -> None:
    with pytest.raises(RejectError) as caught:
        decode_html(body, "text/html")
    assert caught.value.reason is reason


def test_utf16_with_a_bom_is_text_despite_its_nul_bytes() -> None:
    body = codecs.BOM_UTF16_LE + "<p>Grüße".encode("utf-16-le")
    assert not looks_binary(body)
    assert decode_html(body)[0] == "<p>Grüße"
    assert looks_binary(b"<html>" + b" " * 100_000 + b"\x00")  # anywhere, not only the start
    assert not looks_binary(b"<html>plain</html>")


def test_check_text_refuses_blank_and_nul_text() -> None:
    check_text("fine")
    for text, reason in (("  \n", RejectReason.EMPTY), ("a\x00b", RejectReason.BINARY)):
        with pytest.raises(RejectError) as caught:
            check_text(text)
        assert caught.value.reason is reason


def test_display_decoding_replaces_what_fits_nothing() -> None:
    text = decode_for_display(b"<p>ok \xff\xfe end\x00", "text/html; charset=utf-8")
    assert text.startswith("<p>ok ") and "\ufffd" in text
    assert decode_for_display(FRENCH.encode("cp1252"), "text/html; charset=utf-8") == FRENCH
