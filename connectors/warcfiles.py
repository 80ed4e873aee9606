"""WARC.gz files on disk as the writer leaves them and the reader finds them.

:mod:`connectors.capture` writes a file under a temporary ``.open`` name and
keeps it a run of whole gzip members; :mod:`connectors.warc` reads capture
files, falling back to the ``.open`` name, and checks that a file's last gzip
member is whole. What both sides must agree on lives here, so the writer does
not import the reader (nor the reader the writer).
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import BinaryIO

__all__ = ["OPEN_SUFFIX", "complete_gzip_length", "open_name"]

OPEN_SUFFIX = ".open"  # a capture file still being written
_SCAN_CHUNK = 64 * 2**10


def open_name(path: Path | str) -> Path:
    """The name a WARC file has while it is still being written."""
    return Path(f"{path}{OPEN_SUFFIX}")


def complete_gzip_length(stream: BinaryIO, start: int = 0, *, members: int | None = None) -> int:
    """Return the offset where the last complete gzip member from ``start`` ends.

    Equal to the file size when every member is whole; smaller when the data
    is cut inside a member or corrupt (it is where the good data ends). With
    ``members``, stops after that many (the end of one record's member). Reads
    in bounded steps and throws the inflated bytes away (this only finds where
    members end; :mod:`connectors.compression` is for keeping what they hold),
    so memory does not depend on the file.
    """
    stream.seek(start)
    end = start  # end of the last complete member
    fed = start  # bytes handed to the decompressor so far
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    pending = b""
    whole = 0
    try:
        while True:
            if not pending:
                pending = stream.read(_SCAN_CHUNK)
                if not pending:
                    return end
                fed += len(pending)
            inflater.decompress(pending, _SCAN_CHUNK)
            pending = inflater.unconsumed_tail
            if inflater.eof:
                pending = inflater.unused_data
                end = fed - len(pending)
                whole += 1
                if whole == members:
                    return end
                inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    except zlib.error:
        return end
