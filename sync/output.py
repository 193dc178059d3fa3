"""stdout for the results a person reads, with secrets masked.

Apart from the terminal's tables (sync/terminal.py, rich) so that the command can print
before pandas and rich are imported: see the read-ahead in sync/cli.py.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

from sync.logs import Redactor


class Output:
    """stdout for results (dry run, check, status), with secrets masked."""

    def __init__(self, redactor: Redactor, stream: TextIO | None = None) -> None:
        self.redactor = redactor
        self.stream = stream or sys.stdout
        self.closed = False

    def say(self, text: str = "") -> None:
        """One line; if the reader went away (``| head``), the rest is dropped quietly."""
        if self.closed:
            return
        try:
            self.stream.write(self.redactor.redact(text) + "\n")
            self.stream.flush()
        except BrokenPipeError:
            self.closed = True
            devnull = os.open(os.devnull, os.O_WRONLY)  # so the exit-time flush cannot fail
            os.dup2(devnull, self.stream.fileno())
