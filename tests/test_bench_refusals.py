"""The benches refuse bad arguments in one line with exit 2, before any synthesis, campaign
or browser starts (no traceback)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bench_silicon.py", "--families", "foo"], "--families must be a comma list of"),
        (["bench_silicon.py", "--n", "0"], "--n must be at least 1, not 0"),
        (["bench_silicon.py", "--n-mixed", "0"], "--n-mixed must be at least 1, not 0"),
        (
            ["bench_silicon.py", "--noise", "2", "--noise-kinds", "unused,typo"],
            "--noise-kinds must be a comma list of distinct assigns, shuffle1",
        ),
        (
            ["bench_silicon.py", "--noise", "3", "--noise-kinds", "unused,ports"],
            "--noise must be at most the 2 --noise-kinds given, not 3",
        ),
        (["bench_silicon_ecp5.py", "--families", "simd,x"], "not 'x'"),
        (["bench_silicon_ecp5.py", "--n", "0"], "--n must be at least 1, not 0"),
        (["bench_silicon_ecp5.py", "--noise-seeds", "1"], "--noise-seeds must be at least 2"),
        (
            ["bench_silicon_ecp5.py", "--families", "pim", "--designs", "/nonexistent.json"],
            "--designs must be a readable JSON file",
        ),
        (["bench_coexplore.py", "--seeds", "0"], "--seeds must be at least 1"),
        (["bench_lut_drain1_dev.py", "--max-k", "0"], "--max-k must be positive integers"),
        (["bench_lut_drain1_dev.py", "--tables", "half"], "--tables must be sym and/or full"),
        (["bench_lut_drain_dev.py", "--rows", "3"], "argument --rows: invalid choice: 3"),
        (["bench_lut_drain_dev.py", "--n", "0"], "--n must be at least 1, not 0"),
        (["bench_simd_readout_dev.py", "--n", "0"], "--n must be at least 1, not 0"),
        (["bench_ws_columns_dev.py", "--n", "0"], "--n must be at least 1, not 0"),
        (["bench_dashboard.py", "-5"], "n must be at least 1, not -5"),
        (["bench_dashboard.py", "10", "--interval", "0"], "--interval must be > 0 s"),
    ],
)
def test_bench_refuses_bad_arguments(args: list[str], message: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run(
        [sys.executable, str(ROOT / "bench" / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 2, r.stderr
    assert message in r.stderr
    assert "Traceback" not in r.stderr
