"""The files connector and symbolic links: it stays inside its folder unless told otherwise.

Every case is built from real files and real links in a temporary folder: a
link out of the folder (to a file or a folder, direct, through a chain of
links, or by ``..``) is a reject row naming the link, and nothing it leads to
is read; links inside the folder, and every link when ``follow_links`` is on,
are read as before.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from connectors.files import FilesSource
from connectors.records import Checkpoint, RawDocument, Rejected, RejectReason

SECRET = "<html><body><p>the pipeline user's private notes</p></body></html>"
PAGE = "<html><body><p>a saved page</p></body></html>"


def folder_with(parent: Path, name: str, file: str, text: str) -> Path:
    """A new folder ``name`` in ``parent`` holding one file."""
    folder = parent / name
    folder.mkdir()
    (folder / file).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the source's folder, holding a file nobody listed."""
    return folder_with(tmp_path, "outside", "secret.html", SECRET)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """The source's folder, with one ordinary page."""
    return folder_with(tmp_path, "root", "page.html", PAGE)


def read_all(folder: Path, **options: bool) -> list[object]:
    return list(FilesSource(name="local", path=folder, **options).documents({}))


def contents(items: Sequence[object]) -> list[str]:
    return [str(i.content) for i in items if isinstance(i, RawDocument)]


def refused(items: Sequence[object]) -> dict[str, str]:
    """Link name -> detail of each outside_folder reject."""
    return {
        r.location.rsplit("/", 1)[1]: r.detail
        for r in items
        if isinstance(r, Rejected) and r.reason is RejectReason.OUTSIDE_FOLDER
    }


def test_a_link_to_a_file_outside_is_a_reject_naming_the_link(root: Path, outside: Path) -> None:
    (root / "leak.html").symlink_to(outside / "secret.html")

    items = read_all(root)

    assert contents(items) == [PAGE]
    (reject,) = [i for i in items if isinstance(i, Rejected)]
    assert reject.reason is RejectReason.OUTSIDE_FOLDER
    assert reject.location == (root.resolve() / "leak.html").as_uri()  # the link, not its target
    assert str((outside / "secret.html").resolve()) in reject.detail
    assert "follow_links" in reject.detail
    # No checkpoint: with follow_links turned on, the next run reads it.
    assert [c.key for c in items if isinstance(c, Checkpoint)] == [str(root / "page.html")]


def test_a_link_to_a_folder_outside_is_one_reject_and_is_not_entered(
    root: Path, outside: Path
) -> None:
    (root / "shared").symlink_to(outside, target_is_directory=True)

    items = read_all(root)

    assert contents(items) == [PAGE]
    assert list(refused(items)) == ["shared"]


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("up.html", "../../outside/secret.html"),  # relative, with ..
        ("detour.html", "../sub/../../outside/secret.html"),  # .. inside .. tricks
        ("absolute.html", "{outside}/secret.html"),
        ("via-folder.html", "../door/secret.html"),  # through a folder link
        ("chain.html", "hop.html"),  # a link to a link (inside) to a file outside
        ("gone.html", "{outside}/nothing-here.html"),  # dangling, but pointing out
    ],
)
def test_every_way_out_is_refused(root: Path, outside: Path, name: str, target: str) -> None:
    sub = root / "sub"
    sub.mkdir()
    (root / "door").symlink_to("../outside", target_is_directory=True)
    (sub / "hop.html").symlink_to("../../outside/secret.html")
    (sub / name).symlink_to(target.format(outside=outside))

    items = read_all(root)

    assert SECRET not in contents(items)
    assert contents(items) == [PAGE]
    assert name in refused(items)


def test_links_inside_the_folder_are_read(root: Path) -> None:
    (root / "2024").mkdir()
    (root / "2024" / "story.html").write_text("<p>story</p>", encoding="utf-8")
    (root / "latest.html").symlink_to("2024/story.html")
    (root / "mirror").symlink_to("2024", target_is_directory=True)  # walked under its real name

    items = read_all(root)

    assert sorted(contents(items)) == sorted(["<p>story</p>", "<p>story</p>", PAGE])
    assert [i for i in items if isinstance(i, Rejected)] == []


def test_a_configured_path_that_is_itself_a_link_is_the_folder(tmp_path: Path, root: Path) -> None:
    alias = tmp_path / "alias"
    alias.symlink_to(root, target_is_directory=True)
    (root / "inside.html").symlink_to("page.html")

    items = read_all(alias)

    assert contents(items) == [PAGE, PAGE]
    assert refused(items) == {}


def test_follow_links_reads_what_links_lead_to(root: Path, outside: Path) -> None:
    (root / "leak.html").symlink_to(outside / "secret.html")
    (root / "shared").symlink_to(outside, target_is_directory=True)
    (root / "loop").symlink_to(".", target_is_directory=True)  # must not go round forever

    items = read_all(root, follow_links=True)

    assert sorted(contents(items)) == sorted([SECRET, PAGE, SECRET])
    assert [i for i in items if isinstance(i, Rejected)] == []


def test_hidden_links_are_skipped_as_hidden_files_are(root: Path, outside: Path) -> None:
    (root / ".leak.html").symlink_to(outside / "secret.html")
    (root / ".shared").symlink_to(outside, target_is_directory=True)

    assert [type(i) for i in read_all(root)] == [RawDocument, Checkpoint]


def test_links_to_files_that_are_never_read_are_not_reported(root: Path) -> None:
    (root / "passwd").symlink_to("/etc/passwd")  # no document suffix: never opened

    assert refused(read_all(root)) == {}


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see an open file")
def test_a_file_swapped_for_a_link_after_listing_is_refused_when_opened(
    root: Path, outside: Path
) -> None:
    (root / "b.html").write_text(PAGE, encoding="utf-8")
    documents = FilesSource(name="local", path=root).documents({})
    (root / "z.jsonl").write_text('{"url": "https://e.example/", "text": "fine"}\n')
    first = next(documents)  # the folder is listed; b.html is read
    assert isinstance(first, RawDocument)

    for name in ("page.html", "z.jsonl"):  # still to be read: swapped for links out
        os.replace(_link_beside(root, outside / "secret.html"), root / name)
    rest = list(documents)

    assert SECRET not in contents(rest)
    assert set(refused(rest)) == {"page.html", "z.jsonl"}


def _link_beside(folder: Path, target: Path) -> Path:
    """A new link to ``target`` in ``folder``, under a temporary name."""
    link = folder / f".swap-{target.name}-{len(list(folder.iterdir()))}"
    link.symlink_to(target)
    return link
