"""A hostile SMTP server on 127.0.0.1, misbehaving as a broken or malicious relay does.

- ``trickle``: the greeting comes one byte at a time, never ending its line, so every read
  returns within any socket timeout and a client that only has timeouts waits forever;
- ``hang_after_data``: a plain SMTP dialogue until the end of the message, then no reply;
- ``echo_plain`` / ``echo_login``: AUTH PLAIN (or LOGIN) alone offered, and the client's
  credentials, base64 as sent, echoed back in the 535 refusal.
Raw sockets and threads: aiosmtpd cannot be made to misbehave this way. The pace of the
trickle is the fault itself, not a wait the test relies on.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Literal

Mode = Literal["trickle", "hang_after_data", "echo_plain", "echo_login"]
TRICKLE_EVERY = 0.05  # seconds between two bytes of the endless greeting


@dataclass
class HostileSmtp:
    mode: Mode
    port: int = 0
    connections: int = 0
    messages: int = 0  # messages received in full (hang_after_data)
    stop: threading.Event = field(default_factory=threading.Event)

    def serve(self, client: socket.socket) -> None:
        self.connections += 1
        with client:
            try:
                if self.mode == "trickle":
                    self._trickle(client)
                elif self.mode == "hang_after_data":
                    self._hang_after_data(client)
                else:
                    self._echo_auth(client)
            except OSError:
                return  # the client gave up: what the test wants

    def _trickle(self, client: socket.socket) -> None:
        client.sendall(b"220")
        while not self.stop.wait(TRICKLE_EVERY):
            client.sendall(b"-")

    def _hang_after_data(self, client: socket.socket) -> None:
        reader = client.makefile("rb")
        client.sendall(b"220 tarpit ESMTP\r\n")
        while line := reader.readline():
            verb = line[:4].upper()
            if verb == b"DATA":
                client.sendall(b"354 go ahead\r\n")
                while (body := reader.readline()) not in (b".\r\n", b""):
                    del body
                self.messages += 1
                self.stop.wait()  # the message is in; the reply never comes
                return
            client.sendall(b"221 bye\r\n" if verb == b"QUIT" else b"250 OK\r\n")

    def _echo_auth(self, client: socket.socket) -> None:
        reader = client.makefile("rb")
        offered = b"PLAIN" if self.mode == "echo_plain" else b"LOGIN"
        client.sendall(b"220 hostile ESMTP\r\n")
        while line := reader.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                client.sendall(b"250-hostile\r\n250 AUTH " + offered + b"\r\n")
            elif verb == b"AUTH" and self.mode == "echo_login":
                client.sendall(b"334 UGFzc3dvcmQ6\r\n")  # "Password:"
                answer = reader.readline().strip()
                client.sendall(b"535 5.7.8 bad credentials: " + answer + b"\r\n")
            elif verb == b"AUTH":
                client.sendall(b"535 5.7.8 rejected: " + line.strip() + b"\r\n")
            else:
                client.sendall(b"221 bye\r\n" if verb == b"QUIT" else b"250 OK\r\n")


@contextmanager
def hostile_smtp(mode: Mode) -> Iterator[HostileSmtp]:
    """A running hostile server; every connection is closed when the block ends."""
    pit = HostileSmtp(mode)
    listener = socket.create_server(("127.0.0.1", 0))
    pit.port = listener.getsockname()[1]
    threads: list[threading.Thread] = []

    def accept() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed
            thread = threading.Thread(target=pit.serve, args=(client,), daemon=True)
            thread.start()
            threads.append(thread)

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield pit
    finally:
        pit.stop.set()
        with suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() on Linux
        listener.close()
        for thread in threads:
            thread.join(timeout=5)
