"""A real HTTP/1.1 server on 127.0.0.1 for network tests, with scriptable responses.

Every network test talks to one of these over a real socket: no mocked
transports. Routes map a path to a :class:`Response` or to a function of the
:class:`Request` returning one; a response can lie about its length, drip its
body slowly, or cut the connection, so the fetcher's defences can be tested.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

__all__ = ["LocalServer", "Request", "Response", "conditional"]


@dataclass(frozen=True)
class Request:
    """What the server received."""

    method: str
    path: str  # path with query string
    headers: dict[str, str]

    def header(self, name: str) -> str | None:
        """Return a request header, case-insensitively."""
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class Response:
    """A scripted response.

    ``body`` is bytes, or an iterable of chunks sent one by one with
    ``chunk_delay`` seconds between them. ``content_length`` overrides the
    header (to lie); None sends the true length for bytes and closes the
    connection after an iterable. ``truncate_at`` stops sending after that many
    body bytes and closes the socket.
    """

    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = "text/html; charset=utf-8"
    chunk_delay: float = 0.0
    content_length: int | None = None
    truncate_at: int | None = None


Route = Response | Callable[[Request], Response]


def conditional(
    body: bytes, etag: str, content_type: str = "text/html; charset=utf-8"
) -> Callable[[Request], Response]:
    """Serve ``body`` with ``etag``; a bare 304 when the If-None-Match header matches it."""

    def respond(request: Request) -> Response:
        if request.header("If-None-Match") == etag:
            return Response(status=304, body=b"", headers={"ETag": etag}, content_type=None)
        return Response(body=body, headers={"ETag": etag}, content_type=content_type)

    return respond


class LocalServer:
    """A threaded HTTP server on 127.0.0.1 with a route table and a request log."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """Absolute URL of a path on this server."""
        return self.base_url + path

    def route(self, path: str, response: Route) -> None:
        """Serve ``response`` at ``path`` (exact match on path and query)."""
        self.routes[path] = response

    def hits(self, path: str) -> int:
        """How many requests were made for ``path``."""
        with self._lock:
            return sum(1 for r in self.requests if r.path == path)

    def start(self) -> LocalServer:
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _resolve(self, request: Request) -> Response:
        with self._lock:
            self.requests.append(request)
        route = self.routes.get(request.path) or self.routes.get(urlsplit(request.path).path)
        if route is None:
            return Response(status=404, body=b"not found", content_type="text/plain")
        return route(request) if callable(route) else route


def _make_handler(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            """Keep test output quiet."""

        def do_GET(self) -> None:
            self._serve(send_body=True)

        def do_HEAD(self) -> None:
            self._serve(send_body=False)

        def _serve(self, *, send_body: bool) -> None:
            request = Request("GET" if send_body else "HEAD", self.path, dict(self.headers))
            response = server._resolve(request)
            try:
                _write(self, response, send_body=send_body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

    return Handler


def _write(handler: BaseHTTPRequestHandler, response: Response, *, send_body: bool) -> None:
    handler.send_response(response.status)
    if response.content_type is not None:
        handler.send_header("Content-Type", response.content_type)
    for name, value in response.headers.items():
        handler.send_header(name, value)
    streamed = not isinstance(response.body, bytes | bytearray)
    if response.content_length is not None:
        handler.send_header("Content-Length", str(response.content_length))
    elif not streamed:
        handler.send_header("Content-Length", str(len(response.body)))  # type: ignore[arg-type]
    if streamed or response.truncate_at is not None or response.content_length is not None:
        handler.send_header("Connection", "close")
        handler.close_connection = True
    handler.end_headers()
    if not send_body:
        return
    chunks: Iterable[bytes] = (
        [bytes(response.body)] if isinstance(response.body, bytes | bytearray) else response.body
    )
    sent = 0
    for chunk in chunks:
        if response.truncate_at is not None and sent + len(chunk) > response.truncate_at:
            handler.wfile.write(chunk[: response.truncate_at - sent])
            handler.wfile.flush()
            return
        handler.wfile.write(chunk)
        handler.wfile.flush()
        sent += len(chunk)
        if response.chunk_delay:
            time.sleep(response.chunk_delay)
