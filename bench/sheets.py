"""Benchmark: how a full sync's cost grows with the sheet, beside the floor and the naive script.

    python -m bench.sheets [--sizes 100,1000,10000,50000,70000] [--weeks 104] [--output FILE]

For each size it seeds a workbook (KPIs x weekly columns, plus OKRs) in the Sheets API emulator,
which runs in a process of its own, and runs ``metrics-sync run --once`` against it over
loopback HTTP as a real subprocess: a first run (owned columns and the Status tab created,
alerts mailed to an outbox) and steady runs (everything exists; a minute later each). Per run it
takes, from the emulator's log, the HTTP requests and the bytes read (response bodies) and
written (request bodies), and, from the kernel, the child's wall time, CPU time (user +
system) and peak resident memory. Beside the steady run stands the floor (``bench.floor``):
the same requests with the same payloads, replayed bare through the same gspread client.
For the small sizes the naive peer (``bench.naive``: ``get_all_values`` and one
``update_cell`` per status cell) runs on a fresh copy. The run nearest a million cells is
profiled (cProfile, and py-spy when installed). Everything lands in ``--output``.

Not a test: ``make bench`` runs it (``make bench SIZES=100,1000`` for a quick look).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bench.emulator import TESTS, EmulatorProcess, Request

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
AS_OF = dt.datetime(2026, 11, 26, 8, 0)
NAIVE_SIZES = (100, 1_000)
PROFILED = "the size nearest a million cells"
TIME = "/usr/bin/time"  # GNU time: a child's own CPU time and peak RSS
WRITES_PER_MINUTE = 60  # Google's per-user write quota
TARGETS = {"requests": 3, "ratio_wall": 1.5, "ratio_rss": 3.0}


@dataclass(frozen=True)
class Measure:
    """One child process: what the kernel says it cost, and what it sent."""

    wall: float
    cpu: float
    rss_mb: float
    code: int
    requests: int = 0
    read_mb: float = 0.0
    written_mb: float = 0.0
    server: float = 0.0  # the emulator's own time answering this child's requests
    apis: tuple[str, ...] = ()
    each: tuple[float, ...] = ()  # the emulator's time on each request
    largest_mb: float = 0.0  # the largest request body: Google refuses 10 MiB, advises 2 MB

    def with_log(self, log: list[Request], server: list[float]) -> Measure:
        return Measure(
            self.wall,
            self.cpu,
            self.rss_mb,
            self.code,
            len(log),
            sum(r.received for r in log) / 1e6,
            sum(r.sent for r in log) / 1e6,
            sum(server),
            tuple(r.api for r in log),
            tuple(server),
            max((r.sent for r in log), default=0) / 1e6,
        )


@dataclass
class Size:
    kpis: int
    cells: int
    build: float
    first: Measure
    steady: list[Measure]
    floor: list[Measure]
    naive: Measure | None = None
    naive_writes: int = 0
    notes: list[str] = field(default_factory=list)

    @staticmethod
    def median(runs: list[Measure], attr: str) -> float:
        return float(statistics.median(getattr(m, attr) for m in runs))


def child(cmd: list[str], env: dict[str, str], log: Path) -> Measure:
    """Run ``cmd``: wall time from here; its CPU time and peak RSS from GNU time.

    Not ``wait4`` on the child itself: Linux carries the parent's peak RSS over into a child
    that forks and execs (``ru_maxrss`` keeps the high-water mark across ``exec``), so every
    child would look at least as large as this process. GNU time is small and forks the
    command, and its ``%M`` is the command's own peak.
    """
    report = log.with_suffix(".time")
    timed = [TIME, "-o", str(report), "-f", "%U %S %M", *cmd]
    with log.open("ab") as out:
        start = time.perf_counter()
        code = subprocess.run(
            timed, stdout=out, stderr=out, env=env, cwd=ROOT, check=False
        ).returncode
        wall = time.perf_counter() - start
    user, system, peak_kb = report.read_text().split()[-3:]
    return Measure(wall, float(user) + float(system), int(peak_kb) / 1024, code)


class Bench:
    def __init__(self, emu: EmulatorProcess, work: Path, weeks: int, repeats: int) -> None:
        self.emu = emu
        self.work = work
        self.weeks = weeks
        self.repeats = repeats
        self.env = {**os.environ, "METRICS_SYNC_LOCK_DIR": str(work), "PYTHONHASHSEED": "0"}
        self.log = work / "children.log"

    def config(self, key: str) -> Path:
        """The tests' config (tests/workbooks.py) on the emulator, mailing to an outbox.
        Imported here, as bench/emulator.py imports the emulator: the spawned emulator
        process imports this module too, and needs neither openpyxl nor the sync."""
        if str(TESTS) not in sys.path:
            sys.path.insert(0, str(TESTS))
        from workbooks import config_text

        path = self.work / f"{key[:8]}.toml"
        path.write_text(
            config_text(
                f"""[workbook]
backend = "google"
spreadsheet = "{key}"
endpoint = "{self.emu.url}"
name = "bench-{key[:8]}"
""",
                tabs='kpi_log = ""',
                email=f'outbox = "{self.work / "outbox"}"',
            )
        )
        return path

    def sync(self, config: Path, when: dt.datetime, *, prefix: tuple[str, ...] = ()) -> Measure:
        cmd = [*prefix, "run", "--once", "--config", str(config), "--as-of", when.isoformat()]
        if not prefix:
            cmd.insert(0, str(BIN / "metrics-sync"))
        measure = child(cmd, self.env, self.log)
        log, server, violations = self.emu.take_log(bodies=True)
        if violations:
            raise RuntimeError(f"the emulator saw invalid requests: {violations[:3]}")
        self._last = log
        return measure.with_log(log, server)

    def floor(self, key: str, recorded: list[Request]) -> Measure:
        path = self.work / "requests.json"
        path.write_text(
            json.dumps([{"api": r.api, "params": r.params, "body": r.body} for r in recorded])
        )
        cmd = [
            sys.executable,
            "-m",
            "bench.floor",
            "--endpoint",
            self.emu.url,
            "--key",
            key,
            "--requests",
            str(path),
        ]
        measure = child(cmd, self.env, self.log)
        log, server, _ = self.emu.take_log()
        return measure.with_log(log, server)

    def size(self, kpis: int, *, profile: Path | None) -> Size:
        key, cells, build = self.emu.create(kpis, self.weeks)
        print(f"-- {kpis:,} KPIs: {cells:,} cells, seeded in {build:.1f}s", flush=True)
        config = self.config(key)
        first = self.sync(config, AS_OF)
        print(
            f"   first run   {first.wall:6.2f}s  {first.requests} requests, the largest "
            f"{first.largest_mb:.2f} MB",
            flush=True,
        )
        steady, floor = [], []
        for i in range(self.repeats):
            steady.append(self.sync(config, AS_OF + dt.timedelta(minutes=1 + i)))
            recorded = self._last
            floor.append(self.floor(key, recorded))
            print(
                f"   steady run  {steady[-1].wall:6.2f}s  {steady[-1].requests} requests, the "
                f"largest {steady[-1].largest_mb:.2f} MB; "
                f"floor {floor[-1].wall:6.2f}s",
                flush=True,
            )
        result = Size(kpis, cells, build, first, steady, floor)
        if profile is not None:
            self.profile(config, profile, AS_OF + dt.timedelta(minutes=1 + self.repeats))
        self.emu.drop(key)
        if kpis in NAIVE_SIZES:
            result.naive, result.naive_writes = self.naive(kpis)
        return result

    def naive(self, kpis: int) -> tuple[Measure, int]:
        key, _, _ = self.emu.create(kpis, self.weeks, spare_cols=10)
        cmd = [sys.executable, "-m", "bench.naive", "--endpoint", self.emu.url, "--key", key]
        measure = child(cmd, self.env, self.log)
        log, server, _ = self.emu.take_log()
        self.emu.drop(key)
        writes = sum(r.api == "values.update" for r in log)
        print(f"   naive       {measure.wall:6.2f}s  {len(log)} requests", flush=True)
        return measure.with_log(log, server), writes

    def profile(self, config: Path, out: Path, when: dt.datetime) -> None:
        """One more steady run under cProfile, and one under py-spy if it is installed."""
        prof = out.with_suffix(".prof")
        self.sync(
            config, when, prefix=(sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "sync")
        )
        spy = shutil.which("py-spy", path=str(BIN)) or shutil.which("py-spy")
        if spy:
            self.sync(
                config,
                when + dt.timedelta(minutes=1),
                prefix=(
                    spy,
                    "record",
                    "--rate",
                    "250",
                    "--format",
                    "raw",
                    "--output",
                    str(out.with_suffix(".pyspy.txt")),
                    "--",
                    str(BIN / "metrics-sync"),
                ),
            )


# -- the report ------------------------------------------------------------------------------
def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        ram = f"{mem / 1024 / 1024:.0f} GB RAM"
    except (OSError, StopIteration):
        ram = "RAM unknown"
    import gspread
    import pandas as pd

    return (
        f"{model}, {os.cpu_count()} CPUs, {ram}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, pandas {pd.__version__}, numpy "
        f"{np.__version__}, gspread {gspread.__version__}"
    )


def exponent(sizes: list[Size], values: list[float], *, smallest: int = 0) -> float:
    """The fitted exponent of value ~ cells^k (numpy polyfit on the logs)."""
    pairs = [
        (s.cells, v) for s, v in zip(sizes, values, strict=True) if s.kpis >= smallest and v > 0
    ]
    if len(pairs) < 2:
        return float("nan")
    x, y = np.log([p[0] for p in pairs]), np.log([p[1] for p in pairs])
    return float(np.polyfit(x, y, 1)[0])


def table(sizes: list[Size]) -> list[str]:
    m = Size.median
    rows = [
        "| KPIs | cells | run | requests | read MB | written MB | largest request MB | "
        "wall s | CPU s | peak RSS MB | emulator s |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in sizes:
        runs = [("first", [s.first]), ("steady", s.steady), ("floor", s.floor)]
        for name, ms in runs:
            rows.append(
                f"| {s.kpis:,} | {s.cells:,} | {name} | {ms[0].requests} | "
                f"{ms[0].read_mb:.2f} | {ms[0].written_mb:.2f} | {ms[0].largest_mb:.2f} | "
                f"{m(ms, 'wall'):.2f} | "
                f"{m(ms, 'cpu'):.2f} | {m(ms, 'rss_mb'):.0f} | {m(ms, 'server'):.2f} |"
            )
        rows.append(
            f"| {s.kpis:,} | | **sync / floor** (sync − floor: "
            f"{m(s.steady, 'wall') - m(s.floor, 'wall'):.2f} s) | | | | | "
            f"**{m(s.steady, 'wall') / m(s.floor, 'wall'):.2f}** | "
            f"{m(s.steady, 'cpu') / m(s.floor, 'cpu'):.2f} | "
            f"{m(s.steady, 'rss_mb') / m(s.floor, 'rss_mb'):.2f} | |"
        )
    return rows


def naive_table(sizes: list[Size]) -> list[str]:
    rows = [
        "| KPIs | naive requests | naive wall s | naive CPU s | update_cell calls | "
        "at 60 writes/min on Google | sync requests (first / steady) | sync wall s "
        "(first / steady) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in sizes:
        if s.naive is None:
            continue
        minutes = s.naive_writes / WRITES_PER_MINUTE
        rows.append(
            f"| {s.kpis:,} | {s.naive.requests:,} | {s.naive.wall:.2f} | "
            f"{s.naive.cpu:.2f} | {s.naive_writes:,} | ≥ {minutes:.1f} min | "
            f"{s.first.requests} / {s.steady[0].requests} | {s.first.wall:.2f} / "
            f"{Size.median(s.steady, 'wall'):.2f} |"
        )
    return rows


def targets(sizes: list[Size]) -> list[str]:
    m = Size.median
    lines = []
    upto = [s for s in sizes if s.kpis <= 10_000]
    if upto:
        worst = max(max(r.requests for r in s.steady) for s in upto)
        met = "met" if worst <= TARGETS["requests"] else "NOT met"
        each = "; ".join(f"{s.kpis:,}: {' + '.join(_apis(s.steady[0].apis))}" for s in sizes)
        lines.append(
            f"- Requests per steady run up to 10,000 KPIs: at most {worst} (target ≤ "
            f"{TARGETS['requests']}): {met}. {each}"
        )
    near = min(sizes, key=lambda s: abs(np.log(s.cells / 1e6)))
    ratio = m(near.steady, "wall") / m(near.floor, "wall")
    extra = m(near.steady, "wall") - m(near.floor, "wall")
    lines.append(
        f"- sync / floor wall time at {near.cells:,} cells ({near.kpis:,} KPIs): "
        f"{ratio:.2f}, the sync's own {extra:.2f} s over the floor's "
        f"{m(near.floor, 'wall'):.2f} s (target ≤ {TARGETS['ratio_wall']}): "
        f"{'met' if ratio <= TARGETS['ratio_wall'] else 'NOT met'}"
    )
    rss = [(s, m(s.steady, "rss_mb") / m(s.floor, "rss_mb")) for s in sizes]
    worst_rss = max(rss, key=lambda p: p[1])
    lines.append(
        f"- Peak RSS sync / floor: at most {worst_rss[1]:.2f} ({worst_rss[0].kpis:,} "
        f"KPIs; target ≤ {TARGETS['ratio_rss']}): "
        f"{'met' if worst_rss[1] <= TARGETS['ratio_rss'] else 'NOT met'}"
    )
    walls = [m(s.steady, "wall") for s in sizes]
    floors = [m(s.floor, "wall") for s in sizes]
    cpus = [m(s.steady, "cpu") for s in sizes]
    # The fixed start-up (interpreter, imports) bends a plain fit below 1 at small sizes; the
    # cost above the smallest size's is what grows with the sheet.
    grown = [w - walls[0] for w in walls]
    lines.append(
        f"- Growth, steady wall ~ cells^k: k = {exponent(sizes, walls):.2f} over all "
        f"sizes, {exponent(sizes, walls, smallest=1_000):.2f} from 1,000 KPIs "
        f"(CPU: {exponent(sizes, cpus, smallest=1_000):.2f}; floor wall: "
        f"{exponent(sizes, floors, smallest=1_000):.2f}). Without the fixed start-up "
        f"(the wall time above the {sizes[0].kpis:,}-KPI run's, where it dominates "
        f"the difference): k = {exponent(sizes, grown, smallest=10_000):.2f} from "
        "10,000 KPIs. Linear is 1.0"
    )
    return lines


def _apis(apis: tuple[str, ...]) -> list[str]:
    return [f"{n} {api}" if n > 1 else api for api, n in Counter(apis).items()]


def profile_summary(base: Path, top: int = 20) -> list[str]:
    prof = base.with_suffix(".prof")
    if not prof.exists():
        return ["(not profiled: the size nearest a million cells was not run)"]
    import io

    out = io.StringIO()
    stats = pstats.Stats(str(prof), stream=out)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    text = out.getvalue()
    body = text[text.index("ncalls") :] if "ncalls" in text else text
    lines = [
        f"The steady run at {PROFILED}, once more under cProfile: the top {top} functions "
        f"by own time (the whole profile: `python -m pstats {prof.relative_to(ROOT)}`).",
        "",
        "```",
        *[line.rstrip() for line in body.strip().splitlines()],
        "```",
    ]
    spy = base.with_suffix(".pyspy.txt")
    if spy.exists():
        lines += [
            "",
            "And under py-spy (sampling, no tracing overhead; idle time left out), the "
            "share of samples:",
            "",
            *pyspy_summary(spy),
        ]
    return lines


def pyspy_summary(path: Path, top: int = 12) -> list[str]:
    """From py-spy's collapsed stacks: where samples sit (own) and what they run under."""
    own: Counter[str] = Counter()
    under: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        total += n
        frames = [_frame(f) for f in stack.split(";")]
        own[frames[-1]] += n
        for f in set(frames):
            if "sync/" in f or f.startswith("sync."):
                under[f] += n
    if not total:
        return []
    rows = ["| own samples | function |", "|---:|---|"]
    rows += [f"| {n / total:.0%} | `{f}` |" for f, n in own.most_common(top)]
    rows += ["", "| under (inclusive) | function in sync/ |", "|---:|---|"]
    rows += [
        f"| {n / total:.0%} | `{f}` |"
        for f, n in under.most_common(top + 8)
        if "sync/cli.py" not in f and "sync/__main__" not in f
    ][:top]
    return rows


def _frame(text: str) -> str:
    name, _, where = text.partition(" (")
    where = where.rstrip(")")
    path, _, _ = where.partition(":")
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{name} ({path})"


def notes(sizes: list[Size]) -> list[str]:
    m = Size.median
    big = max(sizes, key=lambda s: s.cells)
    rss, floor = m(big.steady, "rss_mb"), m(big.floor, "rss_mb")
    return [
        f"- Near Google's 10-million-cell limit: the largest size here reads {big.cells:,} "
        f"cells ({big.kpis:,} KPIs; with the owned columns and the Status tab the first run "
        f"adds, the spreadsheet holds close to 10 million) in one batchGet of "
        f"{big.steady[0].read_mb:.0f} MB, and peaks at {rss:.0f} MB "
        f"({rss / big.cells * 1e6:.0f} MB per million cells, {rss / floor:.2f} x the floor, "
        "which parses the same answer whole). The answer is decoded a row at a time from "
        "1 MB pieces of the body (`sync/backends/streamed_json.py`), so it is never held "
        "whole as bytes and text beside the cells it becomes, and the rules work through the "
        "history a block of rows at a time (`sync/evaluate.py`), so their working memory is "
        "bounded by the block. What still grows with the sheet is the grid of cell values "
        "itself and the frames that keep one reference per cell.",
        "- Not built: reading the rows in several bounded requests. Google refuses a range "
        "that reaches past a tab's grid, so that needs each tab's size first (a metadata "
        "request every run: a cron run keeps no state) and then one request per chunk: the "
        "request count would grow with the sheet, where the design keeps it constant. The "
        "streamed decode bounds what a single answer costs instead.",
        "- First runs are slow for another reason: every row alerts once, and the 50 digest "
        "mails carry up to 10 matplotlib charts each (about 13 ms a chart, mostly drawing the "
        "axes' tick labels, `sync/notify/chart.py`); steady runs mail nothing.",
        "- The emulator stands in for Google's servers, over loopback, where moving the bytes "
        "costs almost nothing: on the real API the transfer lengthens the floor and the sync "
        "alike, and the ratio is smaller. The sync's own cost is the `sync − floor` figure: "
        "the rules over every cell, the alert decisions, the write plan and the Status tab. "
        "Importing pandas and the rules (about 0.4 s) costs no wall time at these sizes: the "
        "command starts the read first and imports them while the emulator answers "
        "(`sync/backends/readahead.py`).",
    ]


def report(
    sizes: list[Size], args: argparse.Namespace, started: dt.datetime, took: float, profile: Path
) -> str:
    command = " ".join(["python -m bench.sheets", *sys.argv[1:]])
    lines = [
        "# Benchmark: a full sync against the Sheets API emulator",
        "",
        "Regenerated by `make bench` (this file is its output; do not edit by hand).",
        "",
        f"- Machine: {machine()}",
        f"- Command: `make bench` (`{command}`)",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC; took {took / 60:.1f} min; load average at "
        f"the end {os.getloadavg()[0]:.2f} (other work on the machine shows in wall times)",
        f"- Workbook: KPIs x {args.weeks} weekly columns + 11 attribute columns, one key "
        'result per 10 KPIs; no KPI log (`[tabs] kpi_log = ""`). Steady runs: a minute apart '
        "after the first, so `Checked` changes on every row and the Status tab is rewritten.",
        f"- Medians of {args.repeats} steady runs and {args.repeats} floor replays per size "
        "(1 above 10,000 KPIs). Wall, CPU (user + system) and peak RSS are the child "
        "process's own (GNU `time`); the emulator runs in another process, and `emulator s` is "
        "its time answering (part of every wall time, the stand-in for Google's).",
        "",
        "## Targets",
        "",
        *targets(sizes),
        "",
        "## Sync, steady runs and their floor",
        "",
        *table(sizes),
        "",
        "Bytes are HTTP bodies (responses read, requests written). The floor "
        "(`bench/floor.py`) replays the steady run's requests with the same payloads through "
        "the same gspread client and parses each answer, and does nothing else.",
        "",
        "## The naive peer",
        "",
        "`bench/naive.py`: `worksheet.get_all_values()` per tab, then `update_cell` per status "
        "cell (one `values.update`, USER_ENTERED, each). The emulator enforces no quota; "
        "Google allows 60 write requests per minute per user, so the naive script's writes "
        "alone take at least the minutes shown.",
        "",
        *naive_table(sizes),
        "",
        "## Profile",
        "",
        *profile_summary(profile),
        "",
        "## Notes",
        "",
        *notes(sizes),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="100,1000,10000,50000,70000", help="KPI counts, comma separated"
    )
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument(
        "--repeats",
        type=int,
        default=5,
        help="steady runs and floor replays per size up to 10,000 KPIs",
    )
    parser.add_argument(
        "--profile-kpis",
        type=int,
        default=10_000,
        help="the size to profile (skipped if it is not run)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="default: bench/RESULTS.md for the default "
        "sizes, bench/out/RESULTS.md (git ignores it) for others",
    )
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    if args.output is None:
        full = args.sizes == parser.get_default("sizes") and args.weeks == 104
        args.output = ROOT / "bench" / ("RESULTS.md" if full else "out/RESULTS.md")
        args.output.parent.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="metrics-sync-bench-"))
    profile = ROOT / "bench" / "out" / "profile"  # git ignores bench/out/
    profile.parent.mkdir(parents=True, exist_ok=True)
    for stale in (profile.with_suffix(".prof"), profile.with_suffix(".pyspy.txt")):
        stale.unlink(missing_ok=True)
    results = []
    with EmulatorProcess() as emu:
        for kpis in sorted(sizes):
            bench = Bench(emu, work, args.weeks, args.repeats if kpis <= 10_000 else 1)
            results.append(bench.size(kpis, profile=profile if kpis == args.profile_kpis else None))
    text = report(results, args, started, time.perf_counter() - clock, profile)
    args.output.write_text(text)
    print(text)
    print(f"written to {args.output}; children's output in {work / 'children.log'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
