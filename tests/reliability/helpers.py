"""Shared by the reliability tests: a tiny campaign, the CLI in-process and as a process."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from ..dse.dse_helpers import tiny_spec_dict

#: a space of 256 x 256 designs: large enough that a run lasts until it is stopped
BIG_SPACE = {"rows": {"low": 1, "high": 256}, "cols": {"low": 1, "high": 256}}


def write(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def spec_file(folder: Path, name: str = "tiny", **changes: Any) -> Path:
    """A tiny campaign spec at ``folder/<name>.yaml`` with its storage in ``folder``."""
    data = tiny_spec_dict(name, **changes)
    data.setdefault("storage", f"sqlite:///{folder / (name + '.db')}")
    return write(folder / f"{name}.yaml", data)


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300):
    """``accelsmith ARGS`` as a process (for signals and sub-processes)."""
    return subprocess.run(
        [sys.executable, "-m", "accelsmith.cli.main", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def start_cli(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "accelsmith.cli.main", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def count_trials(db: Path, states: tuple[str, ...] = ("COMPLETE", "FAIL")) -> int:
    """Trials in the SQLite storage ``db`` (0 while it does not exist yet)."""
    if not db.is_file():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        try:
            marks = ",".join("?" * len(states))
            q = f"SELECT COUNT(*) FROM trials WHERE state IN ({marks})"
            return int(con.execute(q, states).fetchone()[0])
        finally:
            con.close()
    except sqlite3.OperationalError:  # tables not created yet
        return 0


def wait_for_trials(db: Path, n: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while count_trials(db) < n:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no trials recorded in time"
        time.sleep(0.2)


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text.rpartition(")")[2].split()[1]) == pid:
            out.append(int(stat.parent.name))
    return out


@contextlib.contextmanager
def running_workers(
    spec: Path, cwd: Path, trials: int, workers: int = 2
) -> Iterator[tuple[subprocess.Popen[str], list[int]]]:
    """``dse run SPEC --quiet`` as a process (storage ``cwd/tiny.db``, see :func:`spec_file`),
    yielded with its worker pids once ``trials`` are stored; killed on exit if still running."""
    proc = start_cli("dse", "run", str(spec), "--quiet", cwd=cwd)
    try:
        wait_for_trials(cwd / "tiny.db", trials, proc)
        kids = children(proc.pid)
        assert len(kids) == workers
        yield proc, kids
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_gone(pids: list[int], timeout: float = 20) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = [p for p in pids if alive(p)]
        if not left:
            return []
        time.sleep(0.2)
    return [p for p in pids if alive(p)]
