"""Every bad config of tests/data/configs is refused with its problem, before any I/O.

Each config sits beside a valid workbook ``team.xlsx``; its first lines say what the refusal
must contain (``# expect: ...``) and what it must never show (``# absent: ...``). ``run``
exits 2 with that text and no traceback, having written nothing: the workbook is the same
file, byte for byte and untouched, and nothing else appeared beside it (no outbox, no temp
file). ``check`` refuses it too.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from sync.cli import main

DATA = Path(__file__).parent / "data"
CONFIGS = sorted((DATA / "configs").glob("*.toml"))
AS_OF = "2026-11-20T09:00:00+00:00"


def directives(config: Path) -> dict[str, list[str]]:
    """The ``# key: value`` lines the file starts with (the rest may be any bytes)."""
    found: dict[str, list[str]] = {"expect": [], "absent": []}
    for line in config.read_bytes().splitlines():
        text = line.decode("utf-8", "replace")
        if not text.startswith("# "):
            break
        key, _, value = text[2:].partition(": ")
        found[key].append(value)
    return found


@pytest.fixture(scope="session")
def team_xlsx(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A valid workbook's bytes (the corpus's healthy one)."""
    spec = importlib.util.spec_from_file_location("make_corpus", DATA / "make_corpus.py")
    assert spec is not None
    assert spec.loader is not None
    corpus = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_corpus", corpus)
    spec.loader.exec_module(corpus)
    path = tmp_path_factory.mktemp("healthy") / "team.xlsx"
    corpus.save(path)
    return path.read_bytes()


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, team_xlsx: bytes) -> Path:
    monkeypatch.setenv("METRICS_SYNC_LOCK_DIR", str(tmp_path / "locks"))
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    (tmp_path / "team.xlsx").write_bytes(team_xlsx)
    return tmp_path


@pytest.mark.parametrize("config", CONFIGS, ids=[c.stem for c in CONFIGS])
def test_a_bad_config_is_refused_with_its_problem_and_nothing_is_touched(
    config: Path, folder: Path, team_xlsx: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = folder / "metrics-sync.toml"
    copy.write_bytes(config.read_bytes())
    workbook = folder / "team.xlsx"
    touched = workbook.stat().st_mtime_ns
    wanted = directives(config)
    assert wanted["expect"], f"{config.name}: no '# expect:' line"
    code = main(["run", "--once", "--config", str(copy), "--as-of", AS_OF])
    said = capsys.readouterr()
    text = said.out + said.err
    assert code == 2, text
    assert "Traceback" not in text
    assert [e for e in wanted["expect"] if e not in text] == [], text
    assert [a for a in wanted["absent"] if a in text] == [], text
    assert workbook.read_bytes() == team_xlsx
    assert workbook.stat().st_mtime_ns == touched
    assert {p.name for p in folder.iterdir()} <= {"team.xlsx", "metrics-sync.toml", "locks"}
    assert main(["check", "--config", str(copy)]) == 2
    said = capsys.readouterr()
    assert wanted["expect"][0] in said.out + said.err


def test_there_are_thirty_bad_configs_each_saying_what_the_refusal_shows() -> None:
    assert len(CONFIGS) >= 30
    assert all(directives(c)["expect"] for c in CONFIGS)


def test_a_config_saved_with_a_byte_order_mark_is_read_like_any_other(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = folder / "metrics-sync.toml"
    config.write_text(
        '\ufeff[workbook]\npath = "team.xlsx"\n\n[okr]\nstart = 2026-10-01\nend = 2026-12-31\n',
        encoding="utf-8",
    )  # as Windows Notepad saves it
    assert main(["run", "--once", "--config", str(config), "--as-of", AS_OF]) == 0
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("as_of", ["9999-12-31T23:59", "0001-01-01T00:00", "9001-01-01"])
def test_an_as_of_time_out_of_range_is_refused_with_exit_2_and_no_traceback(
    as_of: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = folder / "metrics-sync.toml"
    config.write_text('[workbook]\npath = "team.xlsx"\n', encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        main(["run", "--once", "--config", str(config), "--as-of", as_of])
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert f"{as_of!r}: expected an ISO 8601 time" in err
    assert "in the years 1900 to 9000" in err
    assert "Traceback" not in err
