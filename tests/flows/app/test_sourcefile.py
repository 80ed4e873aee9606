"""`init` writes a commented, valid sources file; `check` validates it and lists a run's work."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from flows.app.cli import main
from flows.app.sourcefile import render_template
from tests.localserver import LocalServer, Response

FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>One</title><link>{base}/news/one</link></item>
<item><title>Two</title><link>{base}/news/two</link></item>
</channel></rss>"""


@pytest.fixture(autouse=True)
def own_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("NEWS_INGEST_SOURCES", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_template_is_valid_toml_with_every_kind_as_an_example() -> None:
    text = render_template([])
    assert tomllib.loads(text) == tomllib.loads(text)  # parses
    data = tomllib.loads(text)
    assert "sources" not in data and set(data) == {"fetch", "pipeline", "capture"}
    for kind in ("feed", "sitemap", "site", "files", "urls", "warc"):
        assert f'# kind = "{kind}"' in text


def test_init_writes_the_default_file_with_the_sources_asked_for(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "pages").mkdir()
    code, out, _ = cli(
        capsys,
        "init",
        "--feed", "https://www.example.com/rss.xml",
        "--feed", "https://example.com/other.xml",
        "--files", "pages",
    )  # fmt: skip
    target = tmp_path / "config" / "news-ingest" / "sources.toml"
    assert code == 0 and out.startswith(f"wrote {target} with 3 source(s)")
    sources = tomllib.loads(target.read_text(encoding="utf-8"))["sources"]
    assert [(s["name"], s["kind"]) for s in sources] == [
        ("example.com", "feed"),
        ("example.com-2", "feed"),
        ("pages", "files"),
    ]
    assert sources[2]["path"] == str(tmp_path / "pages")

    code, _, err = cli(capsys, "init")
    assert code == 2 and "exists; give --force" in err
    code, out, _ = cli(capsys, "check", "--format", "json")
    assert code == 0 and [s["name"] for s in json.loads(out)["sources"]] == [
        "example.com",
        "example.com-2",
        "pages",
    ]


def test_init_refuses_a_source_a_run_would_refuse(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = cli(capsys, "init", "s.toml", "--files", "missing-folder")
    assert code == 2 and "does not exist" in err
    assert not (tmp_path / "s.toml").exists() and not list(tmp_path.glob(".s.toml*"))
    code, _, err = cli(capsys, "init", "s.toml", "--feed", "ftp://example.com/x")
    assert code == 2 and "http(s) URL" in err


def test_check_lists_files_and_feed_entries_without_fetching_a_page(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, local_server: LocalServer
) -> None:
    local_server.route(
        "/rss.xml",
        Response(body=FEED.format(base=local_server.base_url).encode(), content_type="text/xml"),
    )
    (tmp_path / "docs").mkdir()
    for name in ("b.html", "a.txt", ".hidden.html", "notes.pdf"):
        (tmp_path / "docs" / name).write_text("x", encoding="utf-8")
    (tmp_path / "urls.txt").write_text("https://example.org/x\nnot a url\n", encoding="utf-8")
    sources = tmp_path / "s.toml"
    sources.write_text(
        "[fetch]\nallow_private_addresses = true\nhost_delay = 0\n"
        '[[sources]]\nname = "docs"\nkind = "files"\npath = "docs"\n'
        '[[sources]]\nname = "list"\nkind = "urls"\npath = "urls.txt"\n'
        f'[[sources]]\nname = "wire"\nkind = "feed"\nurl = "{local_server.url("/rss.xml")}"\n',
        encoding="utf-8",
    )

    code, out, err = cli(capsys, "check", "--sources", str(sources), "--list")

    assert code == 0
    assert out.splitlines() == [
        f"docs\tfile\t{tmp_path / 'docs' / 'a.txt'}",
        f"docs\tfile\t{tmp_path / 'docs' / 'b.html'}",
        "list\tpage\thttps://example.org/x",
        f"wire\tpage\t{local_server.url('/news/one')}",
        f"wire\tpage\t{local_server.url('/news/two')}",
    ]
    assert "valid; 3 source(s), 3 enabled" in err
    assert "list: " in err and "line 2" in err  # the bad line is reported, not listed
    assert local_server.hits("/news/one") == 0 and local_server.hits("/rss.xml") == 1

    code, out, _ = cli(capsys, "check", "--sources", str(sources), "--list", "--source", "wire",
                       "--format", "json")  # fmt: skip
    listed = json.loads(out)["listed"]
    assert code == 0 and [i["location"] for i in listed] == [
        local_server.url("/news/one"),
        local_server.url("/news/two"),
    ]
    assert all(i["source"] == "wire" and i["what"] == "page" for i in listed)


def test_check_names_the_field_that_is_wrong(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    sources = tmp_path / "s.toml"
    sources.write_text('[[sources]]\nname = "a"\nkind = "feed"\nurl = "nope"\n', encoding="utf-8")
    code, out, err = cli(capsys, "check", "--sources", str(sources))
    assert code == 2 and out == ""
    assert "source 'a': field `url`" in err
