"""Hostile XML for the feed and sitemap parser tests: entity bombs and external entities."""

from __future__ import annotations

from pathlib import Path

__all__ = ["EXTERNAL_ENTITIES", "billion_laughs", "external_entity"]

# DOCTYPE declarations that would read a local file or the network if entities were resolved.
EXTERNAL_ENTITIES = [
    b'<!ENTITY xxe SYSTEM "file://{path}">',
    b'<!ENTITY % pe SYSTEM "file://{path}"> %pe;',
    b'<!ENTITY xxe SYSTEM "http://127.0.0.1:9/{path}">',
]


def billion_laughs(root: bytes, inner: bytes) -> bytes:
    """``inner`` after a DOCTYPE for ``root`` whose entity ``&lol9;`` expands to 10**9 "lol"s."""
    levels = [b'<!ENTITY lol0 "lol">']
    for i in range(1, 10):
        levels.append(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10))
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE '
        + root
        + b" [\n"
        + b"\n".join(levels)
        + b"\n]>\n"
        + inner
    )


def external_entity(tmp_path: Path, declaration: bytes, root: bytes, inner: bytes) -> bytes:
    """``inner`` after a DOCTYPE for ``root`` declaring ``declaration`` over a file of secrets."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    decl = declaration.replace(b"{path}", str(secret).encode())
    return b'<?xml version="1.0"?>\n<!DOCTYPE ' + root + b" [" + decl + b"]>\n" + inner
