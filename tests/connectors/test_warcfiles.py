"""connectors.warcfiles: what the WARC writer and reader agree on about files on disk."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

from connectors.warcfiles import OPEN_SUFFIX, complete_gzip_length, open_name


def test_complete_gzip_length_finds_where_good_members_end(tmp_path: Path) -> None:
    members = [gzip.compress(b"x" * 5000), gzip.compress(b"y" * 100), gzip.compress(b"z" * 70000)]
    data = b"".join(members)
    whole = len(data)
    first_two = len(members[0]) + len(members[1])
    for cut, expected in [(whole, whole), (whole - 3, first_two), (first_two + 10, first_two)]:
        assert complete_gzip_length(io.BytesIO(data[:cut])) == expected
    assert complete_gzip_length(io.BytesIO(data), len(members[0])) == whole
    assert complete_gzip_length(io.BytesIO(b"garbage")) == 0


def test_a_file_being_written_carries_the_open_suffix(tmp_path: Path) -> None:
    final = tmp_path / "news-ingest-20250101000000-00000.warc.gz"
    assert open_name(final) == tmp_path / f"{final.name}{OPEN_SUFFIX}"
    assert open_name(str(final)) == open_name(final)
    assert not open_name(final).name.endswith(".warc.gz")  # a *.warc.gz glob never picks it up
