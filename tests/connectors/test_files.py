"""The files connector: every document type, every bad input, checkpoints."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from connectors.errors import SourceConfigError
from connectors.files import MAX_FILE_BYTES, FilesSource
from connectors.records import Checkpoint, Media, RawDocument, Rejected, RejectReason

ARTICLE = (
    "<html><body><article><h1>Title</h1><p>"
    + "Words of the article. " * 40
    + "</p></article></body></html>"
)


def read_all(folder: Path, resume: dict[str, Checkpoint] | None = None) -> list[object]:
    return list(FilesSource(name="local", path=folder).documents(resume or {}))


def docs(items: list[object]) -> list[RawDocument]:
    return [i for i in items if isinstance(i, RawDocument)]


def rejects(items: list[object]) -> dict[str, RejectReason]:
    return {
        Path(r.location.split("#")[0].removeprefix("file://")).name: r.reason
        for r in items
        if isinstance(r, Rejected)
    }


def test_reads_html_text_and_jsonl_in_sorted_order(tmp_path: Path) -> None:
    (tmp_path / "b.html").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "a.txt").write_text("Headline\n\nBody text.", encoding="utf-8")
    sub = tmp_path / "sub"
    sub.mkdir()
    records = [
        {"url": "https://example.com/1", "html": ARTICLE, "title": "One"},
        {"url": "https://example.com/2", "text": "Plain body"},
    ]
    (sub / "c.jsonl").write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    (tmp_path / "notes.md").write_text("ignored", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("ignored", encoding="utf-8")

    found = docs(read_all(tmp_path))

    assert [d.media for d in found] == [Media.TEXT, Media.HTML, Media.HTML, Media.TEXT]
    assert found[0].location == (tmp_path / "a.txt").resolve().as_uri()
    assert found[0].url is None
    assert found[2].url == "https://example.com/1"
    assert found[2].location.endswith("c.jsonl#line=1")
    assert found[2].hints is not None and found[2].hints.title == "One"
    assert found[3].content == "Plain body"


def test_every_bad_file_is_a_reject_with_its_reason(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.html").write_bytes(b"  \n\t ")
    (tmp_path / "binary.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR" * 10)
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 au lait".encode("latin-1"))
    (tmp_path / "huge.txt").write_bytes(b"a" * (MAX_FILE_BYTES + 1))
    (tmp_path / "bomb.html.gz").write_bytes(gzip.compress(b"<p>" + b"a" * (MAX_FILE_BYTES + 10)))
    (tmp_path / "good.txt").write_text("Headline\n\nA body.", encoding="utf-8")

    items = read_all(tmp_path)

    assert rejects(items) == {
        "empty.txt": RejectReason.EMPTY,
        "blank.html": RejectReason.EMPTY,
        "binary.html": RejectReason.BINARY,
        "latin1.txt": RejectReason.UNDECODABLE,
        "huge.txt": RejectReason.TOO_LARGE,
        "bomb.html.gz": RejectReason.TOO_LARGE,
    }
    assert [Path(d.location).name for d in docs(items)] == ["good.txt"]
    # Every file, good or bad, is checkpointed once it has been handled.
    assert sum(isinstance(i, Checkpoint) and i.done for i in items) == 7


def test_undecodable_reject_names_the_byte(tmp_path: Path) -> None:
    (tmp_path / "bad.txt").write_bytes(b"fine start \xff\xfe then junk")
    (reject,) = [i for i in read_all(tmp_path) if isinstance(i, Rejected)]
    assert "byte 11" in reject.detail


def test_malformed_jsonl_lines_are_rejected_and_the_rest_is_read(tmp_path: Path) -> None:
    lines = [
        json.dumps({"url": "https://example.com/ok", "html": ARTICLE}),
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({"html": ARTICLE}),
        json.dumps({"url": "https://example.com/empty", "html": "  "}),
        "",
        json.dumps({"url": "https://example.com/ok2", "text": "Body"}),
    ]
    (tmp_path / "data.jsonl").write_text("\n".join(lines), encoding="utf-8")

    items = read_all(tmp_path)
    reasons = {r.location.rsplit("=", 1)[1]: r.reason for r in items if isinstance(r, Rejected)}

    assert reasons == {
        "2": RejectReason.MALFORMED_RECORD,
        "3": RejectReason.MALFORMED_RECORD,
        "4": RejectReason.MALFORMED_RECORD,
        "5": RejectReason.EMPTY,
        "6": RejectReason.EMPTY,
    }
    assert [d.url for d in docs(items)] == ["https://example.com/ok", "https://example.com/ok2"]


def test_json_file_with_a_list_of_records(tmp_path: Path) -> None:
    data = [
        {"url": "https://example.com/a", "text": "A"},
        {"url": "https://example.com/b", "text": "B"},
    ]
    (tmp_path / "items.json").write_text(json.dumps(data), encoding="utf-8")
    assert [d.url for d in docs(read_all(tmp_path))] == [
        "https://example.com/a",
        "https://example.com/b",
    ]


def test_missing_folder_is_a_config_error_and_a_reject_if_it_vanishes(tmp_path: Path) -> None:
    source = FilesSource(name="gone", path=tmp_path / "nope")
    with pytest.raises(SourceConfigError, match=r"gone.*does not exist"):
        source.check()
    (reject,) = list(source.documents({}))
    assert isinstance(reject, Rejected) and reject.reason is RejectReason.MISSING_PATH


def test_unchanged_files_are_not_read_again(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Headline\n\nBody.", encoding="utf-8")
    first = read_all(tmp_path)
    resume = {c.key: c for c in first if isinstance(c, Checkpoint)}

    second = read_all(tmp_path, resume)
    assert docs(second) == []
    assert second == list(resume.values())  # handed back, so the flow can count it

    path.write_text("Headline\n\nBody, edited.", encoding="utf-8")
    os.utime(path, ns=(1, 1))
    assert len(docs(read_all(tmp_path, resume))) == 1


def test_interrupted_jsonl_resumes_after_the_last_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    path.write_text(
        "\n".join(json.dumps({"url": f"https://e.com/{i}", "text": "x"}) for i in range(1200)),
        encoding="utf-8",
    )
    items = read_all(tmp_path)
    partial = [c for c in items if isinstance(c, Checkpoint) and not c.done]
    assert [c.position for c in partial] == [500, 1000]

    resumed = docs(read_all(tmp_path, {str(path): partial[0]}))
    assert resumed[0].url == "https://e.com/500"
    assert len(resumed) == 700


def test_raw_hash_is_stable_and_content_sensitive(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Same", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Same", encoding="utf-8")
    (tmp_path / "c.txt").write_text("Other", encoding="utf-8")
    a, b, c = docs(read_all(tmp_path))
    assert a.raw_hash == b.raw_hash != c.raw_hash
