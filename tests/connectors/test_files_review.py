"""The files connector: unreadable files are retried, gzip files are read whole or rejected."""

from __future__ import annotations

import gzip
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from connectors.base import Checkpoint, RawDocument, Rejected, RejectReason
from connectors.files import FilesSource

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
