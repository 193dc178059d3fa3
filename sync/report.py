"""What one workbook's run did: its counts, cells, mails and posts, and its exit code."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sync.writeback import Change


@dataclass(frozen=True)
class Mail:
    recipient: str
    subject: str
    items: int
    weekly: bool = False  # the weekly summary rather than an alert digest
    message_id: str = ""  # the same for a retry of the same mail
    body: str = ""  # a chat post's text (a mail's is in the outbox or the mail server)


@dataclass
class RunReport:
    workbook: str
    kpis: Counter[str] = field(default_factory=Counter)
    objectives: Counter[str] = field(default_factory=Counter)
    key_results: Counter[str] = field(default_factory=Counter)
    mails: list[Mail] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # recipient -> why not accepted
    changes: list[Change] = field(default_factory=list)
    errors: int = 0

    @property
    def exit_code(self) -> int:
        return 1 if self.errors or self.failed else 0
