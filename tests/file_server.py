"""An HTTP server on 127.0.0.1 that sends fixed responses by path, for tests that fetch files
(logos, redirects), and records every requested path."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass(frozen=True)
class Response:
    """A response to a GET of one path."""

    status: int
    content_type: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


NOT_FOUND = Response(404, "text/plain", b"missing")


def ok(content_type: str, body: bytes) -> Response:
    return Response(200, content_type, body)


def redirect(location: str) -> Response:
    return Response(302, "text/plain", b"", {"Location": location})


class FileServer:
    """An HTTP server of `routes` on a free port of 127.0.0.1, in a thread. Other paths get a
    404."""

    def __init__(self, routes: Mapping[str, Response]) -> None:
        self.requests: list[str] = []
        """Paths of the GET requests received, in order."""
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                response = routes.get(self.path, NOT_FOUND)
                self.send_response(response.status)
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(response.body)))
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(response.body)

            def log_message(self, *args: object) -> None:
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The base URL, without a trailing slash."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> FileServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
