"""The HTTP side: routing, validation, fault injection and the request log.

A stdlib ``ThreadingHTTPServer`` on a free loopback port speaks HTTP/1.1 with
keep-alive, as Google's front end does, so connection reuse and resets behave as
they would in production.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import socket
import struct
import sys
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from . import api, model, quota, structure
from .discovery import Discovery, MaskError, apply_mask, parse_mask

_ID = r"(?P<id>[^/:]+)"
ROUTES: list[tuple[re.Pattern[str], dict[str, str]]] = [
    (re.compile(rf"^/v4/spreadsheets/{_ID}$"), {"GET": "get"}),
    (re.compile(rf"^/v4/spreadsheets/{_ID}:batchUpdate$"), {"POST": "batchUpdate"}),
    (re.compile(rf"^/v4/spreadsheets/{_ID}/values:batchGet$"), {"GET": "values.batchGet"}),
    (re.compile(rf"^/v4/spreadsheets/{_ID}/values:batchUpdate$"), {"POST": "values.batchUpdate"}),
    (re.compile(rf"^/v4/spreadsheets/{_ID}/values:batchClear$"), {"POST": "values.batchClear"}),
    (
        re.compile(rf"^/v4/spreadsheets/{_ID}/values/(?P<range>[^/]+?):clear$"),
        {"POST": "values.clear"},
    ),
    (
        re.compile(rf"^/v4/spreadsheets/{_ID}/values/(?P<range>[^/]+?):append$"),
        {"POST": "values.append"},
    ),
    (
        re.compile(rf"^/v4/spreadsheets/{_ID}/values/(?P<range>[^/]+)$"),
        {"GET": "values.get", "PUT": "values.update"},
    ),
]
_STATUS_WORDS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_MESSAGES = {
    429: "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per "
    "minute per user' of service 'sheets.googleapis.com' for consumer "
    "'project_number:000000000000'.",
    500: "Internal error encountered.",
    502: "Bad Gateway",
    503: "The service is currently unavailable.",
    504: "Deadline expired.",
}
_HTML = (
    "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <title>Error {code} "
    "(Server Error)!!1</title>\n  <p><b>{code}.</b> <ins>That’s an error.</ins>\n  <p>The "
    "server encountered a temporary error and could not complete your request.<p>Please try "
    "again in 30 seconds.  <ins>That’s all we know.</ins>\n"
)


@dataclass(frozen=True)
class Fault:
    """What to do to a request instead of (or before) serving it."""

    status: int | None = None
    retry_after: str | None = None
    html: bool = False
    reset: bool = False
    delay: float = 0.0
    lose_response: bool = False  # serve the request, then reset instead of answering

    @classmethod
    def quota(cls, retry_after: str | None = "0") -> Fault:
        return cls(429, retry_after=retry_after)

    @classmethod
    def error(cls, status: int = 500, *, html: bool = False) -> Fault:
        return cls(status, html=html)

    @classmethod
    def connection_reset(cls) -> Fault:
        return cls(reset=True)

    @classmethod
    def lost_response(cls) -> Fault:
        """The request is applied but its answer never arrives: the case retries must survive."""
        return cls(lose_response=True)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Answer normally, but only after ``seconds``: longer than a read timeout, it times out."""
        return cls(delay=seconds)


@dataclass
class _Armed:
    fault: Fault
    remaining: int
    method: str | None
    path: re.Pattern[str] | None

    def matches(self, method: str, path: str) -> bool:
        return (
            self.remaining > 0
            and (self.method is None or self.method == method)
            and (self.path is None or bool(self.path.search(path)))
        )


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str  # decoded
    api: str  # "values.batchGet", "batchUpdate", ... ("?" when no route matched)
    params: Mapping[str, list[str]]
    body_size: int
    response_size: int
    status: int  # 0: the connection was reset before an answer
    body: Any = None
    authorization: str | None = None  # the Authorization header, if one was sent
    at: float = 0.0  # time.monotonic() on arrival


@dataclass
class _Reply:
    status: int
    body: bytes
    content_type: str = "application/json; charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)


def error_reply(
    code: int, message: str, status: str | None = None, details: Sequence[Any] = ()
) -> _Reply:
    error: dict[str, Any] = {
        "code": code,
        "message": message,
        "status": status or _STATUS_WORDS.get(code, "UNKNOWN"),
    }
    if details:
        error["details"] = list(details)
    return _Reply(code, json.dumps({"error": error}).encode())


def error_info(reason: str, **metadata: str) -> dict[str, Any]:
    """The ``ErrorInfo`` detail Google adds to most errors: why, in one word, and context."""
    return {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": metadata,
    }


OFFICE_FILE = "This operation is not supported for this document"
PROJECT = "123456789012"
_QUOTA_INFO = error_info(
    "RATE_LIMIT_EXCEEDED",
    quota_metric="sheets.googleapis.com/read_requests",
    quota_limit="ReadRequestsPerMinutePerUser",
    quota_limit_value="60",
    quota_location="global",
    consumer=f"projects/{PROJECT}",
    service="sheets.googleapis.com",
)
_ACTIVATE = f"https://console.developers.google.com/apis/api/sheets.googleapis.com/overview?project={PROJECT}"
# The 403s a first run meets, as Google words them: (message, status, details).
DENIALS: Mapping[str, tuple[str, str, list[Any]]] = {
    "not shared": ("The caller does not have permission", "PERMISSION_DENIED", []),
    "disabled": (
        f"Google Sheets API has not been used in project {PROJECT} before or it is disabled. "
        f"Enable it by visiting {_ACTIVATE} then retry. If you enabled this API recently, wait "
        "a few minutes for the action to propagate to our systems and retry.",
        "PERMISSION_DENIED",
        [
            error_info(
                "SERVICE_DISABLED",
                consumer=f"projects/{PROJECT}",
                service="sheets.googleapis.com",
                activationUrl=_ACTIVATE,
            )
        ],
    ),
    "scope": (
        "Request had insufficient authentication scopes.",
        "PERMISSION_DENIED",
        [
            error_info(
                "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                service="sheets.googleapis.com",
                method="google.apps.sheets.v4.SpreadsheetsService.GetSpreadsheet",
            )
        ],
    ),
}


class Router:
    """Validates a request, finds its spreadsheet and runs the method: all but the socket."""

    def __init__(self, discovery: Discovery) -> None:
        self.discovery = discovery
        self.books: dict[str, model.Spreadsheet] = {}
        self.violations: list[str] = []
        self.lock = threading.RLock()
        self.protections: dict[str, list[quota.Protection]] = {}  # by spreadsheet key

    def route(self, method: str, raw_path: str) -> tuple[str, str | None, str | None]:
        for pattern, methods in ROUTES:
            m = pattern.match(raw_path)
            if m and method in methods:
                rng = m.groupdict().get("range")
                return methods[method], unquote(m.group("id")), unquote(rng) if rng else None
        return "?", None, None

    def serve(
        self, method: str, raw_path: str, params: Mapping[str, list[str]], raw: bytes
    ) -> tuple[str, _Reply, Any]:
        name, key, rng = self.route(method, raw_path)
        if key is None:
            self._violate(f"{method} {raw_path}: no such Sheets v4 method")
            return name, _Reply(404, b"<html><body>Not Found</body></html>", "text/html"), None
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return name, self._bad(method, raw_path, ["Invalid JSON payload received."]), None
        problems = self._validate(f"sheets.spreadsheets.{name}", params, body)
        if problems:
            return name, self._bad(method, raw_path, problems), body
        return name, self._run(f"sheets.spreadsheets.{name}", key, rng, params, body), body

    def _validate(self, method_id: str, params: Mapping[str, list[str]], body: Any) -> list[str]:
        if method_id not in api.METHODS:
            return [f"unsupported by the emulator: {method_id}"]
        problems = self.discovery.check_query(method_id, params)
        problems += self.discovery.check_body(method_id, body)
        for mask in params.get("fields", []):
            try:
                problems += self.discovery.check_mask(method_id, parse_mask(mask))
            except MaskError:
                problems.append(f"Invalid field selection {mask}")
        return problems

    def _bad(self, method: str, path: str, problems: Sequence[str]) -> _Reply:
        for p in problems:
            self._violate(f"{method} {unquote(path)}: {p}")
        return error_reply(400, problems[0])

    def _violate(self, text: str) -> None:
        with self.lock:
            self.violations.append(text)

    def _run(
        self, method_id: str, key: str, rng: str | None, params: Mapping[str, list[str]], body: Any
    ) -> _Reply:
        with self.lock:
            book = self.books.get(key)
            if book is None:
                return error_reply(404, "Requested entity was not found.")
            refusal = _refusal(book)
            if refusal is not None:
                return refusal
            try:
                result, updated = api.METHODS[method_id](book, params, body, rng)
                shields = self.protections.get(key, [])
                quota.guard(method_id, book, updated, body=body, rng=rng, protections=shields)
            except api.ClientBug as err:
                self._violate(f"{method_id}: {err.message}")
                return error_reply(err.code, err.message, err.status)
            except model.ApiError as err:
                return error_reply(err.code, err.message, err.status)
            except structure.Unsupported as err:
                self._violate(f"unsupported by the emulator: {err}")
                return error_reply(400, f"unsupported by the emulator: {err}")
            if updated is not None:
                self.books[key] = updated
            quota.with_protections(result, shields)
        for mask in params.get("fields", []):
            result = apply_mask(result, parse_mask(mask))
        pretty = params.get("prettyPrint", ["true"])[-1] != "false"
        return _Reply(200, _dumps(result, pretty=pretty))


def _refusal(book: model.Spreadsheet) -> _Reply | None:
    """A spreadsheet that answers every request with an error: not shared with the caller
    (and the like, ``deny``), or an Office file stored in Drive (``as_office_file``)."""
    if book.denied:
        return error_reply(403, *DENIALS[book.denied])
    if book.office:
        return error_reply(400, OFFICE_FILE, "FAILED_PRECONDITION")
    return None


def _dumps(result: Any, *, pretty: bool) -> bytes:
    """As Google answers: indented, a line per value, unless the request says
    ``prettyPrint=false``; then with no space at all."""
    if pretty:
        return json.dumps(result, indent=2, ensure_ascii=False).encode()
    return json.dumps(result, separators=(",", ":"), ensure_ascii=False).encode()


TOKEN_PATH = "/token"
SHEETS_SCOPES = frozenset(
    {"https://www.googleapis.com/auth/spreadsheets", "https://www.googleapis.com/auth/drive"}
)
_UNAUTHENTICATED = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)


def token_reply(token: str) -> _Reply:
    """An OAuth token endpoint, so service-account and user credentials work offline.

    Point a credentials file's ``token_uri`` at ``<emulator>/token``: google-auth then
    refreshes against the emulator and sends a real ``Authorization`` header.
    """
    body = {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}
    return _Reply(200, json.dumps(body).encode())


def asked_scopes(form: bytes) -> frozenset[str]:
    """The scopes a token request asks for: a ``scope`` field (a refresh, a token exchange)
    or the ``scope`` claim of a signed JWT assertion (a service account)."""
    fields = parse_qs(form.decode(errors="replace"))
    text = " ".join(fields.get("scope", []))
    for assertion in fields.get("assertion", []):
        payload = assertion.split(".")[1] if assertion.count(".") == 2 else ""
        try:
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except ValueError:
            continue
        text += " " + str(claims.get("scope", ""))
    return frozenset(text.split())


def auth_error(authorization: str | None, granted: Mapping[str, frozenset[str]]) -> _Reply | None:
    """Google's answer to a request whose token is missing or unknown (401), or lacks a
    Sheets scope (403); None if the token may call the Sheets API."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme != "Bearer" or token not in granted:
        return error_reply(401, _UNAUTHENTICATED)
    if not granted[token] & SHEETS_SCOPES:
        return error_reply(403, *DENIALS["scope"])
    return None


MAX_REQUEST_BYTES = 10_485_760  # Google's limit on a request body (10 MiB)


def too_large(limit: int) -> _Reply:
    """Google's answer to a body over its limit: nothing of the request is applied."""
    return error_reply(400, f"Request payload size exceeds the limit: {limit} bytes.")


def fault_reply(fault: Fault) -> _Reply:
    code = fault.status or 500
    if fault.html:
        reply = _Reply(code, _HTML.format(code=code).encode(), "text/html; charset=UTF-8")
    elif code == 429:  # Google's quota answer: ErrorInfo, and usually no Retry-After
        reply = error_reply(code, _MESSAGES[429], details=[_QUOTA_INFO])
    else:
        reply = error_reply(code, _MESSAGES.get(code, "Error"))
    if fault.retry_after is not None:
        reply.headers["Retry-After"] = fault.retry_after
    return reply


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls
    server: _Server

    def do_GET(self) -> None:
        self._handle()

    do_PUT = do_POST = do_PATCH = do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log is the record; stderr stays quiet

    def _handle(self) -> None:
        emulator = self.server.emulator
        emulator.entered()
        try:
            self._serve(emulator)
        finally:
            emulator.left()

    def _serve(self, emulator: Any) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        split = urlsplit(self.path)
        params = parse_qs(split.query, keep_blank_values=True)
        if split.path == TOKEN_PATH:
            self._send(token_reply(emulator.issue(asked_scopes(raw))))
            return
        path = unquote(split.path)
        api_name = emulator.router.route(self.command, split.path)[0]
        fault = emulator.run_hooks(api_name) or emulator.next_fault(self.command, path)
        unanswered = LoggedRequest(
            self.command,
            path,
            api_name,
            params,
            len(raw),
            0,
            0,
            None,
            self.headers.get("Authorization"),
            time.monotonic(),
        )
        if fault is not None and (fault.reset or fault.delay):
            emulator.log(unanswered)  # logged on arrival: the client may give up before the end
            emulator.stopping.wait(fault.delay)
            if fault.reset:
                self._reset()
                return
        refused = emulator.refused(self.headers.get("Authorization"))
        over = (
            None
            if fault or refused
            else emulator.over_quota(api_name, self.headers.get("Authorization"))
        )
        if fault is not None and fault.status:
            reply, body = fault_reply(fault), None
        elif refused is not None:
            reply, body = refused, None
        elif over is not None:
            reply, body = over, None
        elif len(raw) > emulator.max_request_bytes:
            reply, body = too_large(emulator.max_request_bytes), None
        else:
            _, reply, body = emulator.router.serve(self.command, split.path, params, raw)
        lost = fault is not None and fault.lose_response
        if not (fault is not None and fault.delay):
            emulator.log(
                dataclasses.replace(
                    unanswered,
                    response_size=0 if lost else len(reply.body),
                    status=0 if lost else reply.status,
                    body=body,
                )
            )
        if lost:
            self._reset()
        else:
            self._send(reply)

    def _send(self, reply: _Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    def _reset(self) -> None:
        """Close with RST and no response, as a dropped connection looks to the client."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    emulator: Any

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout, reset) is expected; anything else is an emulator bug."""
        err = sys.exc_info()[1]
        if not isinstance(err, OSError):
            self.emulator.router.violations.append(
                "emulator crashed: " + "".join(traceback.format_exception(err))
            )
