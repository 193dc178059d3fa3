"""The rules: pure functions of (frames, now, config). No I/O, no clock."""
