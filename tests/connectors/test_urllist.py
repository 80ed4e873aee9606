"""The URL list source and the shared URL check."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from connectors.errors import SourceConfigError
from connectors.feeds import FeedSource
from connectors.protocols import WebSource
from connectors.records import Candidate, Rejected, RejectReason
from connectors.sitemaps import SitemapSource
from connectors.urllist import UrlListSource


def discover(source: UrlListSource) -> list[Candidate | Rejected]:
    async def run() -> list[Candidate | Rejected]:
        # A URL list needs no network: the fetcher argument is never used.
        return [item async for item in source.discover(None, {})]  # type: ignore[arg-type]

    return asyncio.run(run())


def test_url_list_file(tmp_path: Path):
    path = tmp_path / "urls.txt"
    path.write_bytes(
        b"\xef\xbb\xbf# morning picks\n"
        b"https://a.example/one\n"
        b"\n"
        b"   https://a.example/two   # trailing comment\r\n"
        b"ftp://a.example/file\n"
        b"not a url\n"
        b"https://a.example/one\n"
        b"https://a.example/three#section\n"
        b"HTTP://B.example/Four\n"
        b"https://a.example/\xff\xfe\n"
        b"https://a.example/three\n"
    )
    items = discover(UrlListSource(name="picks", path=path))
    candidates = [i for i in items if isinstance(i, Candidate)]
    rejects = [i for i in items if isinstance(i, Rejected)]
    assert [c.url for c in candidates] == [
        "https://a.example/one",
        "https://a.example/two",
        "https://a.example/three",
        "HTTP://B.example/Four",
    ]
    assert all(c.source == "picks" for c in candidates)
    assert all(c.hints is not None and c.hints.origin == "urls" for c in candidates)
    assert [r.reason for r in rejects] == [RejectReason.INVALID_URL] * 3
    assert [r.location.rsplit("#", 1)[1] for r in rejects] == ["line=5", "line=6", "line=10"]
    assert rejects[0].location.startswith(path.resolve().as_uri())
    assert rejects[0].detail.startswith("line 5:")
    assert "not UTF-8" in rejects[2].detail


def test_overlong_line_is_rejected_and_reading_goes_on(tmp_path: Path):
    path = tmp_path / "urls.txt"
    path.write_bytes(b"https://a.example/" + b"x" * 200_000 + b"\nhttps://a.example/after\n")
    items = discover(UrlListSource(name="long", path=path))
    assert isinstance(items[0], Rejected)
    assert items[0].reason is RejectReason.INVALID_URL
    assert "longer than" in items[0].detail
    assert [i.url for i in items[1:] if isinstance(i, Candidate)] == ["https://a.example/after"]


def test_url_longer_than_2083_characters_is_invalid(tmp_path: Path):
    path = tmp_path / "urls.txt"
    path.write_text("https://a.example/" + "y" * 2100 + "\n")
    (reject,) = discover(UrlListSource(name="len", path=path))
    assert isinstance(reject, Rejected)
    assert reject.reason is RejectReason.INVALID_URL


def test_missing_file_is_a_configuration_error(tmp_path: Path):
    with pytest.raises(SourceConfigError, match=r"'later'.*nope\.txt"):
        UrlListSource(name="later", path=tmp_path / "nope.txt")
    with pytest.raises(SourceConfigError, match="is not a file"):
        UrlListSource(name="dir", path=tmp_path)


def test_file_that_vanishes_after_configuration_yields_missing_path(tmp_path: Path):
    path = tmp_path / "urls.txt"
    path.write_text("https://a.example/\n")
    source = UrlListSource(name="gone", path=path)
    path.unlink()
    (reject,) = discover(source)
    assert isinstance(reject, Rejected)
    assert reject.reason is RejectReason.MISSING_PATH
    assert reject.source == "gone"


def test_unreadable_file_yields_unreadable(tmp_path: Path):
    path = tmp_path / "urls.txt"
    path.write_text("https://a.example/\n")
    source = UrlListSource(name="locked", path=path)
    # A directory in its place cannot be opened, even by root (chmod would not stop root).
    path.unlink()
    path.mkdir()
    (reject,) = discover(source)
    assert isinstance(reject, Rejected)
    assert reject.reason is RejectReason.UNREADABLE


def test_web_sources_satisfy_the_protocol(tmp_path: Path):
    path = tmp_path / "urls.txt"
    path.write_text("")
    # Typed so that mypy checks the structural match; isinstance checks it at run time.
    sources: list[WebSource] = [
        UrlListSource(name="u", path=path),
        FeedSource(name="f", urls=["https://a.example/feed"]),
        SitemapSource(name="s", url="https://a.example/"),
    ]
    assert all(isinstance(source, WebSource) for source in sources)
    assert [source.name for source in sources] == ["u", "f", "s"]
