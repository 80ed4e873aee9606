"""DOCTYPE defusing (bounded gunzip is tested in tests/connectors/test_compression.py)."""

from __future__ import annotations

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
