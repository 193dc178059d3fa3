"""Whether a host name stays on this machine: what may be spoken to in clear text.

A password or a secret URL sent without TLS to a loopback address (a local relay, a test
server) stays on the machine; to any other host it crosses a network.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback(host: str) -> bool:
    """``localhost``, ``127.0.0.0/8`` and ``::1`` (also in brackets, as URLs write it)."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def url_is_loopback(url: str) -> bool:
    """Whether a URL's host is on this machine (``is_loopback`` of its host name)."""
    return is_loopback(urlsplit(url).hostname or "")
