"""Renders the same alert as a chat channel and a mailbox show it, to docs/chat-and-mail.png.

The post is what `sync.notify.chat.chat_post` makes for the bundled example's first run
for one recipient's rows, drawn as a Slack message attachment draws it (bold, links, a colour
bar); the mail is the HTML part `sync.notify.compose` makes of the very same digest.
Needs Debian's chromium for the screenshot. Run:
    .venv/bin/python docs/tools/render_chat_and_mail.py docs/chat-and-mail.png
"""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from sync import alert_plan
from sync.backends.xlsx import XlsxWorkbook
from sync.config import load
from sync.evaluate import evaluate
from sync.notices import Digest
from sync.notify.chat import chat_post
from sync.notify.compose import compose

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)
COLOURS = {"failure": "#A30200", "warning": "#DAA038", "success": "#2EB886", "info": "#3AA3E3"}


def digest(folder: Path) -> Digest:
    """The example's first run: the digest of the recipient with the most rows."""
    shutil.copy(ROOT / "examples" / "team-metrics.xlsx", folder / "team-metrics.xlsx")
    config = folder / "demo.toml"
    config.write_text((ROOT / "examples" / "demo.toml").read_text(encoding="utf-8"))
    job = load(config).jobs[0]
    ev = evaluate(XlsxWorkbook(folder / "team-metrics.xlsx").read(job.tabs.to_read()), AS_OF, job)
    kpis, krs = (
        alert_plan.decide_kpis(ev, AS_OF, job),
        alert_plan.decide_key_results(ev, AS_OF, job),
    )
    items = [*alert_plan.kpi_items(ev, kpis, job, AS_OF), *alert_plan.kr_items(ev, krs, job)]
    url = "https://docs.google.com/spreadsheets/d/example"
    return max(alert_plan.digests(items, "Team metrics", url, AS_OF), key=lambda d: len(d.items))


def post_html(body: str, title: str, tone: str) -> str:
    """Slack's attachment: a colour bar, a bold title, mrkdwn lines."""
    lines = []
    for line in body.splitlines():
        text = html.escape(line)
        text = re.sub(r"\\(.)", r"\1", text)
        text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
        text = re.sub(r"\[(.+?)\]\((https?://[^)]+)\)", r'<a href="\2">\1</a>', text)
        lines.append(f"<div>{text}</div>")
    return f"""<div class="slack"><div class="who"><b>metrics-sync</b> <span>APP 08:00</span></div>
<div class="att" style="border-color:{COLOURS[tone]}"><div class="title">{html.escape(title)}</div>
{"".join(lines)}<div class="foot">metrics-sync</div></div></div>"""


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        d = digest(folder)
        mail = compose(d, "metrics-sync@example.com", charts=False)
        mail_html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
        post = chat_post(d)
        page = folder / "page.html"
        page.write_text(
            PAGE.format(
                post=post_html(post.body, post.title, post.tone),
                mail=mail_html,
                to=html.escape(d.recipient),
                subject=html.escape(str(mail["Subject"])),
            ),
            encoding="utf-8",
        )
        subprocess.run(
            [
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--screenshot={out}",
                "--window-size=1500,540",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
        )


PAGE = """<!doctype html><meta charset="utf-8"><style>
body {{ font-family: 'Noto Sans', Lato, Arial, sans-serif; margin: 0; background: #f4f4f4;
       display: grid; grid-template-columns: 640px 820px; gap: 20px; padding: 20px; }}
h2 {{ font-size: 14px; color: #555; margin: 0 0 8px; font-weight: normal; }}
.pane {{ background: white; border: 1px solid #ddd; border-radius: 6px; padding: 14px; }}
.slack {{ font-size: 15px; color: #1d1c1d; }}
.who span {{ color: #616061; font-size: 12px; margin-left: 6px; }}
.att {{ border-left: 4px solid; padding: 4px 0 4px 12px; margin-top: 6px; line-height: 1.55; }}
.att .title {{ font-weight: bold; margin-bottom: 4px; }}
.att a {{ color: #1264a3; }} .foot {{ color: #616061; font-size: 12px; margin-top: 6px; }}
.mailhead {{ font-size: 13px; color: #444; border-bottom: 1px solid #eee; margin-bottom: 8px; }}
</style>
<div><h2>Slack, #ops</h2><div class="pane">{post}</div></div>
<div><h2>Mail to {to}</h2><div class="pane">
<div class="mailhead"><b>{subject}</b></div>{mail}</div></div>
"""

if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "chat-and-mail.png")
