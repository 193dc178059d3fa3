"""What ``check`` reports: one finding per line, ok, a warning or a failure, each with its fix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sync.errors import ConfigError

Level = Literal["ok", "warn", "FAIL"]


@dataclass(frozen=True)
class Finding:
    level: Level
    what: str
    fix: str = ""

    def lines(self) -> list[str]:
        head = f"{self.level:<4} {self.what}"
        return [head, f"     fix: {self.fix}"] if self.fix else [head]


def config_problems(err: ConfigError) -> list[Finding]:
    """A refused config: one finding per problem (each says what is expected)."""
    return [
        Finding(
            "FAIL",
            f"config {err.source}: {p}",
            "edit the config; config.example.toml documents every key",
        )
        for p in err.problems
    ]


def worst(findings: Sequence[Finding]) -> int:
    """``check`` exits 2 on any failure; warnings (unreadable cells) leave it at 0."""
    return 2 if any(f.level == "FAIL" for f in findings) else 0
