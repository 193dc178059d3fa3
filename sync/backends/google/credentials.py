"""Who the sync acts as on Google: a credentials file, an OAuth client, or the defaults.

google-auth's own loaders take every kind of file it knows (service account, authorized user,
external account from Workload Identity Federation, impersonated service account, ...); an
OAuth client file goes through gspread's browser flow once, never without a terminal. The
routes step by step: docs/deployment.md.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import google.auth
import gspread
from google.auth.credentials import Credentials, with_scopes_if_required
from google.auth.exceptions import DefaultCredentialsError, GoogleAuthError
from google.auth.transport.requests import Request

from sync.errors import WorkbookError

log = logging.getLogger("metrics_sync")

SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
BY_HAND = "run `metrics-sync check` once by hand, in a terminal, to sign in"


@dataclass(frozen=True)
class Kind:
    """What a credentials file holds, told without a secret: its kind and its account."""

    kind: str  # google-auth's "type", or "oauth_client"
    account: str | None = None


def credentials_path(path: Path | None, environ: Mapping[str, str] | None = None) -> Path | None:
    """``[workbook] credentials``, else the file ``$GOOGLE_APPLICATION_CREDENTIALS`` names."""
    env = (os.environ if environ is None else environ).get("GOOGLE_APPLICATION_CREDENTIALS")
    return path or (Path(env) if env else None)


def credentials_kind(path: Path, info: Mapping[str, Any]) -> Kind:
    """The kind of credentials file ``info`` (read from ``path``), loaded the way a run loads
    it but without a request; ``WorkbookError`` says what is wrong with it."""
    if _oauth_client(info):
        return Kind("oauth_client")
    creds = _from_file(path)
    return Kind(str(info.get("type")), account_of(creds, refresh=False))


def load_credentials(path: Path | None) -> Credentials:
    """The file named (see :func:`credentials_path`), else application-default credentials:
    the attached service account on Compute Engine, Cloud Run or GKE (Workload Identity), or
    gcloud's ADC file; always with the Sheets scope."""
    path = credentials_path(path)
    if path is not None:
        return _oauth(path) if _oauth_client(_json(path)) else _from_file(path)
    try:
        creds, _ = google.auth.default(scopes=SCOPES)
    except DefaultCredentialsError as err:
        raise WorkbookError(
            "no Google credentials: set [workbook] credentials to a service-account key file "
            f"or GOOGLE_APPLICATION_CREDENTIALS, or see docs/deployment.md ({err})"
        ) from err
    return creds


def account_of(creds: Credentials | None, *, refresh: bool = True) -> str | None:
    """The account's e-mail, as a 403 names it. On Compute Engine it reads ``default`` until
    the credentials are refreshed: then they are (a token is needed for the request anyway)."""
    email = getattr(creds, "service_account_email", None) or getattr(creds, "account", None)
    if email == "default" and refresh and creds is not None:
        try:
            creds.refresh(Request())  # type: ignore[no-untyped-call]
        except GoogleAuthError:
            return None
        email = getattr(creds, "service_account_email", None)
    return email if isinstance(email, str) and email and email != "default" else None


def _json(path: Path) -> Any:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        if path.stat().st_mode & 0o004:  # as `metrics-sync check` warns: every run says it
            log.warning(
                "credentials file %s is readable by every user of this machine: chmod 600 %s",
                path,
                path,
            )
    except (OSError, ValueError) as err:
        raise WorkbookError(f"credentials file {path} cannot be read as JSON: {err}") from err
    return info


def _oauth_client(info: Any) -> bool:
    return isinstance(info, Mapping) and ("installed" in info or "web" in info)


def _from_file(path: Path) -> Credentials:
    try:
        with warnings.catch_warnings():
            # The generic loader warns against files from an untrusted source; this one is
            # the operator's own, as GOOGLE_APPLICATION_CREDENTIALS is, which google.auth.default
            # loads with the same loader and the same warning silenced.
            warnings.simplefilter("ignore", DeprecationWarning)
            loaded, _ = google.auth.load_credentials_from_file(str(path))  # type: ignore[no-untyped-call]
        # Scoped afterwards: given scopes, the loader asks Cloud Resource Manager for an
        # external account's project, a request (and a token exchange) at every start.
        creds = with_scopes_if_required(loaded, SCOPES)  # type: ignore[no-untyped-call]
    except (GoogleAuthError, ValueError, KeyError) as err:
        raise WorkbookError(
            f"credentials file {path} cannot be used: {err} (expected a service-account key "
            "or another file google-auth takes, or an OAuth client file; see "
            "docs/deployment.md)"
        ) from err
    return creds  # type: ignore[no-any-return]


def _oauth(path: Path) -> Credentials:
    """A person's token from an OAuth client file: ``<name>.token.json`` beside it, made by
    gspread's browser flow the first time, which needs a terminal: without one (cron, systemd)
    the run stops at once rather than wait for a browser forever holding the lock."""
    token = path.with_name(path.stem + ".token.json")
    if token.exists():
        return _from_file(token)
    if not sys.stdin.isatty():
        raise WorkbookError(
            f"credentials file {path} is an OAuth client and no one has signed in yet "
            f"({token} does not exist): {BY_HAND}"
        )
    old = os.umask(0o077)  # the token file is a secret: 0600 from the start
    try:
        client = gspread.oauth(
            scopes=list(SCOPES),
            credentials_filename=str(path),
            authorized_user_filename=str(token),
        )
    except (ValueError, KeyError, GoogleAuthError) as err:
        raise WorkbookError(f"credentials file {path} is incomplete: {err}") from err
    finally:
        os.umask(old)
    token.chmod(0o600)
    auth: Credentials = client.http_client.auth
    return auth
