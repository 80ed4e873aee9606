"""Decoding end to end: wrong charset labels, undecodable, binary and empty pages.

Real pages from a local HTTP server (and real files) go through a real run; what
is stored is read back from the DuckDB file. A page whose declared charset does
not fit its bytes is decoded with the encoding that does, and the version
records which one and why; a page no encoding fits is a reject with a reason.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.flows.test_ingest import page
from tests.helpers import query, run
from tests.localserver import LocalServer, Response

RUSSIAN = (
    "Городской совет принял бюджет на следующий год после долгих споров о расходах "
    "на школы, больницы и ремонт дорог. "
)
FRENCH = (
    "Le conseil municipal a adopté le budget de l'année prochaine après de longs "
    "débats sur les écoles, les hôpitaux et la rénovation des théâtres. "
)
GERMAN = (
    "Der Stadtrat hat den Haushalt für das nächste Jahr beschlossen, nach langen "
    "Debatten über Schulen, Krankenhäuser und größere Ausgaben für Straßen. "
)
ENGLISH = (
    "The council’s budget was adopted after a long debate about schools, hospitals "
    "and the repair of the city’s roads and bridges. "
)


def undecodable() -> bytes:
    """A page whose body is high bytes that read as text in no encoding (and hold no NUL)."""
    junk = bytes(b for b in random.Random(7).randbytes(4000) if b >= 0x80)
    return page("Report", "JUNK").encode().replace(b"JUNK", junk)


UTF8 = "text/html; charset=utf-8"
PAGES = {
    "/cp1251": (page("Бюджет принят", RUSSIAN).encode("cp1251"), UTF8),
    "/cp1252": (page("Budget adopté", FRENCH).encode("cp1252"), UTF8),
    "/latin1-meta": (
        page("Haushalt beschlossen", GERMAN, '<meta charset="utf-8">').encode("latin-1"),
        "text/html",
    ),
    # UTF-8 with one windows-1252 apostrophe pasted in (a CMS's mix): read both ways.
    "/mixed": (page("Budget adopted", ENGLISH).encode().replace("’".encode(), b"\x92", 1), UTF8),
    "/undecodable": (undecodable(), UTF8),
    "/nul": (page("Budget adopted", ENGLISH.replace("debate", "de\x00bate")).encode(), UTF8),
    "/empty": (b"", UTF8),
    "/blank": (b" \r\n\t ", UTF8),
}


def sources_file(tmp_path: Path, server: LocalServer, docs: Path | None = None) -> Path:
    urls = tmp_path / "urls.txt"
    urls.write_text("".join(f"{server.url(p)}\n" for p in PAGES), encoding="utf-8")
    text = (
        "[fetch]\nallow_private_addresses = true\nhost_delay = 0\nretries = 0\n"
        f'[[sources]]\nname = "web"\nkind = "urls"\npath = "{urls}"\n'
    )
    if docs is not None:
        text += f'[[sources]]\nname = "files"\nkind = "files"\npath = "{docs}"\n'
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def site(local_server: LocalServer) -> LocalServer:
    for path, (body, content_type) in PAGES.items():
        local_server.route(path, Response(body=body, content_type=content_type))
    local_server.route("/robots.txt", Response(status=404, body=b"", content_type="text/plain"))
    return local_server


def stored(db: Path, path: str) -> tuple[str, str, str, str, str | None]:
    rows = query(
        db,
        "SELECT title, text, charset, charset_source, charset_declared FROM article_versions "
        "WHERE location LIKE ?",
        [f"%{path}"],
    )
    assert len(rows) == 1, rows
    return rows[0]


@pytest.mark.usefixtures("prefect_harness")
def test_wrong_labels_are_decoded_right_and_the_choice_is_recorded(
    tmp_path: Path, site: LocalServer, db_path: Path
) -> None:
    report = run(sources_file(tmp_path, site), db_path)

    assert report.status == "completed"
    texts = query(db_path, "SELECT title || ' ' || text FROM article_versions")
    assert not [t for (t,) in texts if "\ufffd" in t]
    assert stored(db_path, "/cp1251")[0] == "Бюджет принят"
    assert RUSSIAN.strip() in stored(db_path, "/cp1251")[1]
    assert stored(db_path, "/cp1251")[2:] == ("cp1251", "detected", "utf-8")
    assert stored(db_path, "/cp1252")[0] == "Budget adopté"
    assert FRENCH.strip() in stored(db_path, "/cp1252")[1]
    assert stored(db_path, "/cp1252")[2:] == ("cp1252", "detected", "utf-8")
    assert stored(db_path, "/latin1-meta")[0] == "Haushalt beschlossen"
    assert GERMAN.strip() in stored(db_path, "/latin1-meta")[1]
    assert stored(db_path, "/latin1-meta")[2:] == ("cp1252", "detected", "utf-8")
    assert ENGLISH.strip() in stored(db_path, "/mixed")[1]
    assert stored(db_path, "/mixed")[2:] == ("utf-8", "utf8-mixed", "utf-8")


@pytest.mark.usefixtures("prefect_harness")
def test_pages_that_are_no_text_are_rejected_with_their_reason(
    tmp_path: Path, site: LocalServer, db_path: Path
) -> None:
    run(sources_file(tmp_path, site), db_path)

    rejects = dict(query(db_path, "SELECT location, reason FROM rejects WHERE source = 'web'"))
    assert {path: rejects.get(site.url(path)) for path in PAGES} == {
        "/cp1251": None,
        "/cp1252": None,
        "/latin1-meta": None,
        "/mixed": None,
        "/undecodable": "undecodable",
        "/nul": "binary",  # as a local file or a WARC record with NUL bytes is
        "/empty": "empty",
        "/blank": "empty",
    }
    (detail,) = query(db_path, "SELECT detail FROM rejects WHERE reason = 'undecodable'")[0]
    assert "utf-8" in detail


@pytest.mark.usefixtures("prefect_harness")
def test_local_files_record_how_they_were_decoded(
    tmp_path: Path, site: LocalServer, db_path: Path
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "cp1251.html").write_bytes(
        page("Бюджет принят", RUSSIAN, '<meta charset="utf-8">').encode("cp1251")
    )
    (docs / "utf8.html").write_bytes(page("Budget adopted", ENGLISH).encode())

    run(sources_file(tmp_path, site, docs), db_path)

    assert stored(db_path, "cp1251.html")[0] == "Бюджет принят"
    assert stored(db_path, "cp1251.html")[2:] == ("cp1251", "detected", "utf-8")
    assert stored(db_path, "utf8.html")[2:] == ("utf-8", "utf8-valid", None)
