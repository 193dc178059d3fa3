"""Who the sync acts as on Google: the credentials file or the application defaults.

The routes (service account, a person's OAuth token, ADC) are told step by step in
docs/deployment.md; ``metrics-sync check`` describes a file with :func:`credentials_kind`
without loading it, and so without printing a secret.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gspread
from google.auth.credentials import Credentials
from google.auth.exceptions import DefaultCredentialsError

from sync.errors import WorkbookError

log = logging.getLogger("metrics_sync")

SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
# The members each kind of file needs, by its "type".
_NEEDED: Mapping[str, tuple[str, ...]] = {
    "service_account": ("client_email", "private_key", "token_uri"),
    "authorized_user": ("client_id", "client_secret", "refresh_token"),
}


@dataclass(frozen=True)
class Kind:
    """What a credentials file holds: its kind, the account it names, what it lacks."""

    kind: str  # a "type" google-auth knows, or "oauth_client"
    account: str | None = None
    missing: tuple[str, ...] = ()


def credentials_kind(info: Mapping[str, Any]) -> Kind | None:
    """The kind of a credentials file's JSON, or None for one the sync cannot use."""
    if "installed" in info or "web" in info:
        return Kind("oauth_client")
    kind = str(info.get("type"))
    if kind not in _NEEDED:
        return None
    missing = tuple(k for k in _NEEDED[kind] if not info.get(k))
    return Kind(kind, str(info.get("client_email") or "") or None, missing)


def credentials_path(path: Path | None, environ: Mapping[str, str] | None = None) -> Path | None:
    """``[workbook] credentials``, else the file ``$GOOGLE_APPLICATION_CREDENTIALS`` names."""
    env = (os.environ if environ is None else environ).get("GOOGLE_APPLICATION_CREDENTIALS")
    return path or (Path(env) if env else None)


def load_credentials(path: Path | None) -> tuple[Credentials, str | None]:
    """Who the sync acts as, and that identity's e-mail when known (named in 403 errors).

    In this order:

    1. ``[workbook] credentials``, else the file in ``$GOOGLE_APPLICATION_CREDENTIALS``:
       - a service-account key (``"type": "service_account"``): the usual choice for cron.
         Share the spreadsheet (Editor) with the key's ``client_email``;
       - an authorized-user file (``"type": "authorized_user"``, as written by
         ``gcloud auth application-default login`` or by gspread's OAuth flow): acts as
         that person, refreshing the stored token;
       - an OAuth client (``{"installed": ...}`` from the Cloud console): gspread's OAuth
         flow opens a browser once and stores the token beside the file as
         ``<name>.token.json``; later runs reuse and refresh it. Run ``metrics-sync check``
         once interactively before scheduling.
    2. Application-default credentials (``google.auth.default``): the attached service
       account on Compute Engine, Cloud Run or GKE, or gcloud's ADC file.
    """
    path = credentials_path(path)
    try:
        if path is not None:
            return _from_file(path)
        creds, _ = _adc()
    except DefaultCredentialsError as err:
        raise WorkbookError(
            "no Google credentials: set [workbook] credentials to a service-account key file "
            f"or GOOGLE_APPLICATION_CREDENTIALS ({err})"
        ) from err
    return creds, getattr(creds, "service_account_email", None)


def _adc() -> tuple[Credentials, str | None]:
    import google.auth

    creds, project = google.auth.default(scopes=SCOPES)
    return creds, project


def _from_file(path: Path) -> tuple[Credentials, str | None]:
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
    kind = credentials_kind(info) if isinstance(info, dict) else None
    try:
        if kind is not None and kind.kind == "service_account":
            from google.oauth2 import service_account

            sa = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
                info, scopes=SCOPES
            )
            return sa, kind.account
        if kind is not None and kind.kind == "authorized_user":
            from google.oauth2.credentials import Credentials as UserCredentials

            user = UserCredentials.from_authorized_user_info(  # type: ignore[no-untyped-call]
                info, scopes=SCOPES
            )
            return user, None
        if kind is not None and kind.kind == "oauth_client":
            token = path.with_name(path.stem + ".token.json")
            client = gspread.oauth(
                scopes=list(SCOPES),
                credentials_filename=str(path),
                authorized_user_filename=str(token),
            )
            return client.http_client.auth, None
    except (ValueError, KeyError) as err:
        raise WorkbookError(f"credentials file {path} is incomplete: {err}") from err
    raise WorkbookError(
        f"credentials file {path}: expected a service-account key, an "
        "authorized-user file or an OAuth client file"
    )
