"""A tiny real HTTP server on 127.0.0.1 that records heartbeat pings (healthchecks.io style).

It can answer with an error status, or hold a ping until the test releases it, so a test
can catch a process in the middle of a run without sleeping.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Ping:
    method: str
    path: str
    rid: str
    body: str


@dataclass
class PingServer:
    url: str = ""
    status: int = 200
    pings: list[Ping] = field(default_factory=list)
    hold: set[str] = field(default_factory=set)  # paths held until ``release`` is set
    arrived: threading.Event = field(default_factory=threading.Event)  # a held ping came in
    release: threading.Event = field(default_factory=threading.Event)

    def paths(self) -> list[str]:
        """The pings as the check's suffixes: ``/start``, ``/`` (success), ``/fail``."""
        return [p.path.removeprefix(urlsplit(self.url).path) or "/" for p in self.pings]

    def path(self, suffix: str) -> str:
        """The full request path of a suffix, for ``hold``."""
        return urlsplit(self.url).path + suffix.rstrip("/")


def _handler(server: PingServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the name http.server dispatches to
            parts = urlsplit(self.path)
            size = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(size).decode()
            rid = parse_qs(parts.query).get("rid", [""])[0]
            server.pings.append(Ping("POST", parts.path, rid, body))
            if parts.path in server.hold:
                server.arrived.set()
                server.release.wait(timeout=30)
            self.send_response(server.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"OK")

        def log_message(self, format: str, *args: object) -> None:  # quiet
            del format, args

    return Handler


@contextmanager
def ping_server(check: str = "/ping/0f4c5b6e-1d2a-4b1e-9a51-3c7b7e2d9f00") -> Iterator[PingServer]:
    state = PingServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}{check}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)
