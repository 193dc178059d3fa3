"""A protected range over what the sync writes: `check` names it and the account to add,
and runs that cannot write never mail the same alert every run."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import reliability_book as rb
from conftest import SmtpServer, SmtpServerFactory
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sheets_emulator import SheetsEmulator

from sync.cli import main
from sync.config import WorkbookConfig
from sync.sent_log import sent_log_path

ACCOUNT = "metrics-sync@team-project.iam.gserviceaccount.com"


def service_account(folder: Path, emulator: SheetsEmulator) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    path = folder / "service-account.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "team-project",
                "private_key_id": "1",
                "private_key": pem,
                "client_email": ACCOUNT,
                "client_id": "1",
                "token_uri": emulator.token_uri,
            }
        )
    )
    path.chmod(0o600)
    return path


@pytest.fixture
def protected(
    sheets_emulator: SheetsEmulator, tmp_path: Path, smtp_server_factory: SmtpServerFactory
) -> tuple[str, Path, SmtpServer]:
    """The reliability workbook, its owned KPI columns (H onwards) protected by its owner;
    mail through a real SMTP server."""
    smtp = smtp_server_factory(starttls=False)
    key = sheets_emulator.create({"KPIs": rb.KPIS, "OKRs": rb.OKRS}, title="Team")
    sheets_emulator.protect(key, "KPIs", (None, 7, None, None), description="do not touch")
    creds = service_account(tmp_path, sheets_emulator)
    text = rb.config_text(sheets_emulator, key, smtp.port).replace(
        'name = "team"\n', f'name = "team"\ncredentials = "{creds}"\n'
    )
    config = tmp_path / "metrics-sync.toml"
    config.write_text(text, encoding="utf-8")
    return key, config, smtp


def test_check_names_a_protected_range_over_the_owned_columns_and_the_account_to_add(
    protected: tuple[str, Path, SmtpServer], capsys: pytest.CaptureFixture[str]
) -> None:
    _, config, _ = protected
    assert main(["check", "--config", str(config), "--as-of", rb.NOW.isoformat()]) == 2
    out = capsys.readouterr().out
    assert (
        "FAIL team: protected range 'KPIs' from H1 ('do not touch') covers 'KPIs' column H "
        "('Status'), 'KPIs' column I ('Note')"
    ) in out
    assert f"fix: add {ACCOUNT} as an editor of that range" in out


def test_runs_that_cannot_write_mail_each_recipient_once_per_repeat_after(
    protected: tuple[str, Path, SmtpServer], sheets_emulator: SheetsEmulator
) -> None:
    key, config, smtp = protected
    first = main(["run", "--once", "--config", str(config), "--as-of", rb.NOW.isoformat()])
    second = main(["run", "--once", "--config", str(config), "--as-of", rb.LATER.isoformat()])
    assert (first, second) == (2, 2)  # nothing could be written, either time
    assert "Status" not in sheets_emulator.grid(key, "KPIs")[0]
    mailed = sorted(r for e in smtp.handler.received for r in e.rcpt_tos)
    assert mailed == sorted(rb.RECIPIENTS)
    record = sent_log_path(
        WorkbookConfig(backend="google", spreadsheet=key, endpoint=sheets_emulator.url, name="team")
    )
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
