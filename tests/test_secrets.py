"""Secrets never appear in any output: every command runs with known secrets, every line searched.

The SMTP password sits in the environment and is refused by a real SMTP server; a private
key sits in a credentials file, and is pasted by mistake into the config and into the
sheet. Whatever the command (run, dry run, check, status, init), the format (human, JSON)
or the verbosity, no line of stdout or stderr may hold either.
"""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path

import openpyxl
import pytest
from conftest import SmtpServerFactory
from hostile_smtp import hostile_smtp
from workbooks import AS_OF, starter_workbook, write_config

from sync import cli
from sync.logs import MASK, Redactor

PASSWORD = "Tr0ub4dor&3-" + secrets.token_hex(8)
KEY_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" + base64.b64encode(secrets.token_bytes(900)).decode()
PRIVATE_KEY = (
    "-----BEGIN PRIVATE KEY-----\n"
    + "\n".join(KEY_BODY[i : i + 64] for i in range(0, len(KEY_BODY), 64))
    + "\n-----END PRIVATE KEY-----\n"
)


def leaks(text: str) -> list[str]:
    """Lines holding the password or any 24-character piece of the key."""
    pieces = [KEY_BODY[i : i + 24] for i in range(0, len(KEY_BODY) - 24, 24)]
    return [
        line
        for line in text.splitlines()
        if PASSWORD in line or "PRIVATE KEY" in line or any(p in line for p in pieces)
    ]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("METRICS_SYNC_LOCK_DIR", str(tmp_path / "locks"))
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    workbook = starter_workbook(tmp_path / "team-metrics.xlsx")
    book = openpyxl.load_workbook(workbook)
    book["KPIs"]["E2"] = PASSWORD  # pasted into a threshold: an ERROR note quotes the cell
    book["KPIs"]["A3"] = PRIVATE_KEY.replace("\n", " ")  # pasted as a KPI name
    book.save(workbook)
    key_file = tmp_path / "sa.json"
    key_file.write_text(
        json.dumps(
            {
                "type": "service_account",
                "private_key": PRIVATE_KEY,
                "client_email": "sync@project.iam.gserviceaccount.com",
            }
        )
    )
    key_file.chmod(0o600)
    return tmp_path


def smtp_config(folder: Path, smtp_server_factory: SmtpServerFactory) -> Path:
    server = smtp_server_factory(starttls=False)
    return write_config(
        folder,
        extra=f'host = "{server.host}"\nport = {server.port}\n'
        'starttls = false\nusername = "metrics"\n'
        'password_env = "SMTP_PASSWORD"\n',
    )


def test_no_command_prints_the_smtp_password_or_a_private_key(
    folder: Path, smtp_server_factory: SmtpServerFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    config = smtp_config(folder, smtp_server_factory)
    google = folder / "google.toml"
    google.write_text(
        '[workbook]\nbackend = "google"\nspreadsheet = "1AbC"\n'
        'credentials = "sa.json"\nendpoint = "https://sheets.invalid"\n'
    )
    pasted = folder / "pasted.toml"
    pasted.write_text(
        config.read_text().replace(
            'from = "metrics-sync@example.com"', f"from = {json.dumps(PRIVATE_KEY)}"
        )
    )
    runs = [
        ["run", "--dry-run", "--verbose", "--config", str(config)],
        ["run", "--once", "--verbose", "--config", str(config)],
        ["run", "--once", "--log-format", "json", "--config", str(config)],
        ["check", "--config", str(config)],
        ["status", "--config", str(config)],
        ["init", "--config", str(config)],
        ["check", "--config", str(google)],
        ["run", "--once", "--config", str(google)],
        ["run", "--once", "--log-format", "json", "--config", str(pasted)],
        ["check", "--config", str(pasted)],
    ]
    output = []
    for argv in runs:
        code = cli.main(argv)
        captured = capsys.readouterr()
        output.append(f"$ {argv} -> {code}\n{captured.out}{captured.err}")
    text = "\n".join(output)
    assert leaks(text) == []
    assert text.count(MASK) >= 5  # the pasted secrets were there, and were masked
    assert "login" in text.lower() or "auth" in text.lower()  # the refused login was reported


def test_the_redactor_masks_a_key_however_it_is_spelled() -> None:
    redact = Redactor([PASSWORD]).redact
    as_json = json.dumps({"private_key": PRIVATE_KEY})  # "\n" as two characters
    assert leaks(redact(as_json)) == []
    assert leaks(redact(PRIVATE_KEY[:300])) == []  # cut off before its END line
    assert leaks(redact(KEY_BODY)) == []  # the bare base64 body
    assert leaks(redact(repr(f"pw={PASSWORD}"))) == []
    assert redact("nothing secret here") == "nothing secret here"


# -- what a hostile server or a slip of the keyboard would put in the log ----------------------


@pytest.mark.parametrize("mode", ["echo_plain", "echo_login"])
@pytest.mark.parametrize("log_format", ["human", "json"])
def test_a_refusal_that_echoes_the_credentials_is_logged_without_them(
    mode: str, log_format: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with hostile_smtp(mode) as server:  # type: ignore[arg-type]
        config = write_config(
            folder,
            extra=f'host = "127.0.0.1"\nport = {server.port}\nstarttls = false\n'
            'username = "metrics"\npassword_env = "SMTP_PASSWORD"\n',
        )
        code = cli.main(
            ["run", "--once", "--log-format", log_format, "--config", str(config), "--as-of", AS_OF]
        )
    said = capsys.readouterr()
    text = said.out + said.err
    assert code == 1  # the row in ERROR is mailed, and the server refuses the login
    assert "refused the login of 'metrics': 535 5.7.8" in text
    assert leaks(text) == []
    sent_plain = base64.b64encode(f"\0metrics\0{PASSWORD}".encode()).decode()
    sent_login = base64.b64encode(PASSWORD.encode()).decode()
    assert sent_plain not in text
    assert sent_login not in text


@pytest.mark.parametrize("typed", ["Tr0ub4dorAnd3xyz", "correct horse battery", "hunter2"])
def test_a_password_typed_into_password_env_is_refused_and_never_echoed(
    typed: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(
        folder, extra=f'host = "smtp.example.com"\nusername = "metrics"\npassword_env = "{typed}"\n'
    )
    codes = [
        cli.main(["run", "--once", "--config", str(config)]),
        cli.main(["run", "--once", "--log-format", "json", "--config", str(config)]),
        cli.main(["check", "--config", str(config)]),
    ]
    said = capsys.readouterr()
    assert codes == [2, 2, 2]
    assert typed not in said.out + said.err
    assert "expected the NAME of an environment variable" in said.out + said.err
