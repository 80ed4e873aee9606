"""DOCTYPE defusing and bounded gunzip."""

from __future__ import annotations

import gzip
import zlib

from connectors.compression import gunzip_bounded, is_gzip
from connectors.text.xmlsafe import defuse_xml


def test_doctype_with_entities_is_removed_even_when_tricky():
    doc = (
        b'<?xml version="1.0"?>\n<!-- a comment with <!DOCTYPE inside -->\n'
        b'<!DOCTYPE rss [<!ENTITY a "]>"> <!-- ]> \' --> <!ENTITY b SYSTEM "file:///x">]>\n'
        b"<rss>&a;&b;</rss>"
    )
    defused = defuse_xml(doc)
    assert defused.removed_doctype
    assert b"ENTITY" not in defused.data
    assert defused.data.endswith(b"<rss>&a;&b;</rss>")


def test_external_dtd_without_subset_is_kept():
    doc = b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "x.dtd"><rss/>'
    assert defuse_xml(doc).data == doc
    assert not defuse_xml(doc).removed_doctype


def test_second_doctype_and_unterminated_doctype():
    assert defuse_xml(b'<!DOCTYPE a [<!ENTITY x "1">]><!DOCTYPE b [<!ENTITY y "2">]><a/>').data == (
        b"<a/>"
    )
    assert defuse_xml(b'<!DOCTYPE a [<!ENTITY x "1">').data == b""


def test_doctype_after_the_root_element_is_not_touched():
    doc = b"<a><![CDATA[<!DOCTYPE x [<!ENTITY y 'z'>]>]]></a>"
    assert defuse_xml(doc).data == doc


def test_utf16_is_transcoded_before_screening():
    text = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]><x>é</x>'
    defused = defuse_xml(text.encode("utf-16"))
    assert defused.removed_doctype
    assert defused.data == '<?xml version="1.0" encoding="utf-8"?><x>é</x>'.encode()


def test_gunzip_round_trip_and_concatenated_members():
    data = gzip.compress(b"abc") + gzip.compress(b"def")
    assert is_gzip(data)
    result = gunzip_bounded(data, max_bytes=100)
    assert (result.data, result.truncated, result.error) == (b"abcdef", False, None)


def test_gunzip_bomb_stops_at_the_cap():
    bomb = gzip.compress(b"\0" * (64 * 2**20))
    result = gunzip_bounded(bomb, max_bytes=2**20)
    assert result.truncated
    assert len(result.data) == 2**20
    exact = gunzip_bounded(gzip.compress(b"x" * 1000), max_bytes=1000)
    assert not exact.truncated
    assert len(exact.data) == 1000


def test_gunzip_reports_damage_but_keeps_what_it_read():
    data = gzip.compress(b"hello world" * 100)
    cut = gunzip_bounded(data[:-8], max_bytes=10_000)
    assert cut.error == "gzip stream is cut off"
    assert cut.data == b"hello world" * 100
    junk = gunzip_bounded(data + b"trailing", max_bytes=10_000)
    assert junk.error == "junk after gzip stream"
    corrupt = gunzip_bounded(b"\x1f\x8b\x08\x00" + zlib.compress(b"x")[2:], max_bytes=100)
    assert corrupt.error is not None
