"""The files connector: unreadable files are retried, gzip files are read whole or rejected."""

from __future__ import annotations

import gzip
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from connectors.files import MAX_FILE_BYTES, FilesSource
from connectors.records import Checkpoint, RawDocument, Rejected, RejectReason

ARTICLE = (
    "<html><body><article><h1>Title</h1><p>"
    + "Words of the article. " * 40
    + "</p></article></body></html>"
)
_NOBODY = 65534


def read_all(folder: Path, resume: dict[str, Checkpoint] | None = None) -> list[object]:
    return list(FilesSource(name="local", path=folder).documents(resume or {}))


def checkpoints(items: list[object]) -> dict[str, Checkpoint]:
    return {c.key: c for c in items if isinstance(c, Checkpoint)}


@contextmanager
def unprivileged() -> Iterator[None]:
    """Run the block with permission checks in force, also when the tests run as root."""
    if os.geteuid() != 0:
        yield
        return
    try:
        os.seteuid(_NOBODY)
    except PermissionError:
        pytest.skip("running as root without the right to drop privileges")
    try:
        yield
    finally:
        os.seteuid(0)


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder an unprivileged user may enter (pytest's tmp_path is private to its owner)."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        folder.chmod(0o755)
        yield folder


@pytest.mark.parametrize("name", ["page.html", "records.jsonl", "page.html.gz"])
def test_a_file_unreadable_today_is_read_once_its_permissions_are_fixed(
    shared_folder: Path, name: str
) -> None:
    path = shared_folder / name
    if name.endswith(".jsonl"):
        path.write_text('{"url": "https://example.com/a", "html": "' + ARTICLE + '"}\n')
    elif name.endswith(".gz"):
        path.write_bytes(gzip.compress(ARTICLE.encode()))
    else:
        path.write_text(ARTICLE, encoding="utf-8")
    path.chmod(0o000)

    with unprivileged():
        first = read_all(shared_folder)

    (reject,) = first
    assert isinstance(reject, Rejected) and reject.reason is RejectReason.UNREADABLE
    # chmod changes neither size nor mtime: a done checkpoint would skip the file for good.
    path.chmod(0o644)
    second = read_all(shared_folder, checkpoints(first))

    assert [type(i) for i in second] == [RawDocument, Checkpoint]
    assert isinstance(second[0], RawDocument) and "Words of the article." in second[0].content


def test_a_gzip_file_of_two_members_is_read_whole(tmp_path: Path) -> None:
    head, tail = ARTICLE[:100], ARTICLE[100:]
    (tmp_path / "page.html.gz").write_bytes(
        gzip.compress(head.encode()) + gzip.compress(tail.encode())
    )

    (document, done) = read_all(tmp_path)

    assert isinstance(document, RawDocument) and document.content == ARTICLE
    assert isinstance(done, Checkpoint) and done.done


def test_a_cut_gzip_file_is_a_reject_not_a_shortened_document(tmp_path: Path) -> None:
    whole = gzip.compress((ARTICLE * 20).encode())
    (tmp_path / "page.html.gz").write_bytes(whole[: len(whole) // 2])

    (reject, done) = read_all(tmp_path)

    assert isinstance(reject, Rejected) and reject.reason is RejectReason.BINARY
    assert "cut off" in reject.detail
    # The bytes will not mend themselves: a rerun skips the file until it changes.
    assert isinstance(done, Checkpoint) and done.done


def test_a_gzip_file_with_junk_after_it_is_a_reject(tmp_path: Path) -> None:
    (tmp_path / "page.html.gz").write_bytes(gzip.compress(ARTICLE.encode()) + b"junk")

    (reject, _) = read_all(tmp_path)

    assert isinstance(reject, Rejected) and reject.reason is RejectReason.BINARY


def test_a_cut_jsonl_gz_keeps_its_lines_and_rejects_the_rest(tmp_path: Path) -> None:
    lines = "".join(
        f'{{"url": "https://example.com/{i}", "text": "Body {i}"}}\n' for i in range(200)
    )
    whole = gzip.compress(lines.encode())
    (tmp_path / "records.jsonl.gz").write_bytes(whole[: len(whole) - 10])

    items = read_all(tmp_path)

    urls = [i.url for i in items if isinstance(i, RawDocument)]
    assert 100 < len(urls) <= 200
    assert urls == [f"https://example.com/{i}" for i in range(len(urls))]
    (reject,) = [i for i in items if isinstance(i, Rejected)]
    assert reject.reason is RejectReason.BINARY
    assert isinstance(items[-1], Checkpoint) and items[-1].done


def test_a_gzip_file_too_big_to_hold_a_document_under_the_cap_is_too_large(
    tmp_path: Path,
) -> None:
    (tmp_path / "page.html.gz").write_bytes(b"\x1f\x8b" + b"\x00" * (2 * MAX_FILE_BYTES))

    (reject, _) = read_all(tmp_path)

    assert isinstance(reject, Rejected) and reject.reason is RejectReason.TOO_LARGE
    assert "compressed" in reject.detail


def test_an_overlong_jsonl_line_is_rejected_and_the_next_line_read(tmp_path: Path) -> None:
    long_line = b'{"url": "https://example.com/big", "text": "' + b"a" * MAX_FILE_BYTES + b'"}\n'
    (tmp_path / "records.jsonl").write_bytes(
        long_line + b'{"url": "https://example.com/ok", "text": "Body"}\n'
    )

    reject, document, _ = read_all(tmp_path)

    assert isinstance(reject, Rejected) and reject.reason is RejectReason.TOO_LARGE
    assert reject.location.endswith("#line=1")
    assert isinstance(document, RawDocument) and document.url == "https://example.com/ok"


def test_a_folder_that_cannot_be_listed_is_a_reject_and_the_rest_is_read(
    shared_folder: Path,
) -> None:
    (shared_folder / "a.html").write_text(ARTICLE, encoding="utf-8")
    locked = shared_folder / "locked"
    locked.mkdir()
    (locked / "b.html").write_text(ARTICLE, encoding="utf-8")
    locked.chmod(0o000)
    try:
        with unprivileged():
            items = read_all(shared_folder)
    finally:
        locked.chmod(0o755)

    assert [type(i) for i in items] == [RawDocument, Checkpoint, Rejected]
    reject = items[2]
    assert isinstance(reject, Rejected) and reject.reason is RejectReason.UNREADABLE
    assert reject.location == locked.resolve().as_uri()
