"""A stopped ``accelsmith synth`` leaves no tool process running and no half-written result.

The tools run in their own process group (``accelsmith.synth.tools.run_tool``); SIGTERM or
SIGINT to the CLI while a tool runs kills that group, the tool's own children included, and
the synthesis cache drops the unfinished folder. Stand-in tools (shell scripts on ``PATH``
that answer the version query and otherwise start two children and wait) make the tool
slow and give it children without depending on Yosys.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SLOW = 'case "$1" in -V|-version) echo "{banner}"; exit 0;; esac\nsleep 300 & sleep 300 & wait'


def _stand_in(folder: Path, name: str, banner: str) -> None:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + SLOW.format(banner=banner) + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def _procs() -> dict[int, tuple[int, int, str]]:
    """pid -> (parent pid, process group, state) of every process."""
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rpartition(")")[2].split()
            except OSError:
                continue
            out[int(entry)] = (int(fields[1]), int(fields[2]), fields[0])
    return out


def _tool_group(parent: int, timeout: float = 120.0) -> int:
    """Process group of the tool ``parent`` started, once the tool's two children run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        procs = _procs()
        for pid, (ppid, pgid, _) in procs.items():
            if ppid == parent and pgid == pid:
                children = [p for p, (pp, _, _) in procs.items() if pp == pid]
                if len(children) >= 2:
                    return pgid
        time.sleep(0.1)
    raise AssertionError("the stand-in tool did not start")


def _default_sigint() -> None:
    """In the child before exec: SIGINT back to its default disposition."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _alive(pgid: int) -> list[int]:
    return [pid for pid, (_, g, state) in _procs().items() if g == pgid and state != "Z"]


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_stopped_synth_kills_its_tools_and_caches_nothing(tmp_path, sig, code) -> None:
    fake = tmp_path / "bin"
    _stand_in(fake, "yosys", "Yosys 0.0 (stand-in)")
    _stand_in(fake, "sta", "0.0")
    cache = tmp_path / "cache"
    env = {
        **os.environ,
        "PATH": f"{fake}{os.pathsep}{os.environ['PATH']}",
        "ACCELSMITH_SYNTH_CACHE": str(cache),
        "PYTHONPATH": str(ROOT),
    }
    cmd = [sys.executable, "-m", "accelsmith.cli.main", "synth", "systolic", "--rows", "1"]
    cmd += ["--cols", "1", "--in-bits", "2", "--max-k", "4", "--out", str(tmp_path / "out")]
    # A job started in the background without job control (nohup, `cmd &` in a script, some CI
    # runners) inherits SIGINT ignored, and Python then never raises KeyboardInterrupt; Ctrl-C
    # at a terminal finds SIGINT at its default. Give the child what a terminal gives it.
    proc = subprocess.Popen(
        cmd, env=env, stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint
    )
    try:
        group = _tool_group(proc.pid)
        assert len(_alive(group)) == 3  # the tool and its two children
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, err
    if sig == signal.SIGTERM:
        line = err.strip()
        assert "\n" not in line and line.startswith("error: Yosys"), err
        assert line.endswith(": stopped by SIGTERM; yosys was killed"), err
    deadline = time.monotonic() + 10
    while _alive(group) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _alive(group) == []
    # no result, finished or not, and no unfinished work folder: the run's lock file and the
    # liberty the flow unpacks (pdk/) only
    left = [p.name for p in cache.iterdir() if not p.name.endswith(".lock")]
    assert left in ([], ["pdk"]), left
    assert not (tmp_path / "out" / "report.json").exists()
