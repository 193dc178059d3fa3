"""A chat service on loopback: the webhooks that Slack, Teams and plain JSON hooks expose.

Plain ``http://`` posts (apprise's ``json://``) come straight in. Posts to the real services'
``https://`` hosts (``hooks.slack.com``, a Power Automate host for Teams) reach it as an
HTTPS proxy: the client is pointed here by ``HTTPS_PROXY``, as ``requests`` documents, and
the tunnel is answered with a certificate from a throwaway CA (trustme) that the client
trusts through ``REQUESTS_CA_BUNDLE``. So the tests read the very request apprise makes for
each service, and nothing leaves the machine.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import trustme


@dataclass(frozen=True)
class Post:
    host: str
    path: str
    body: Any  # the JSON the service was sent


@dataclass
class ChatServer:
    """Records every post; answers each with the next queued status (200 when none)."""

    port: int
    ca_file: Path
    posts: list[Post] = field(default_factory=list)
    statuses: deque[int] = field(default_factory=deque)

    @property
    def url(self) -> str:
        return f"127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """What a client needs to reach the https hosts through this server."""
        return {
            "HTTPS_PROXY": f"http://{self.url}",
            "NO_PROXY": "127.0.0.1,localhost",
            "REQUESTS_CA_BUNDLE": str(self.ca_file),
        }

    def to(self, host: str) -> list[Post]:
        return [p for p in self.posts if p.host == host]


def start(folder: Path) -> tuple[ChatServer, ThreadingHTTPServer]:
    ca = trustme.CA()
    cert = ca.issue_cert("hooks.slack.com", "prod-00.westus.logic.azure.com", "chat.googleapis.com")
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(tls)
    ca_file = folder / "chat-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    state = ChatServer(port=0, ca_file=ca_file)

    class Handler(BaseHTTPRequestHandler):
        tunnelled_host = ""

        def do_CONNECT(self) -> None:
            self.tunnelled_host = self.path.split(":", 1)[0]
            self.send_response(200, "Connection established")
            self.end_headers()
            self.wfile.flush()
            self.connection = tls.wrap_socket(self.connection, server_side=True)
            self.rfile = self.connection.makefile("rb")
            self.wfile = self.connection.makefile("wb")
            self.close_connection = False

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            host = self.tunnelled_host or (self.headers.get("Host") or "").split(":")[0]
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                body = raw.decode("utf-8", "replace")
            state.posts.append(Post(host, self.path, body))
            status = state.statuses.popleft() if state.statuses else 200
            answer = b"ok" if status < 300 else b"server error"
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
            self.wfile.flush()

        def finish(self) -> None:
            super().finish()
            if self.tunnelled_host:  # the TLS socket took over the connection: close it too
                self.connection.close()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return state, server
