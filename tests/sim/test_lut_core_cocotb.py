"""cocotb on Verilator: the LUT-core Verilog against the golden and latency models.

Four configurations cover K = 2 and 4, B = 1, 3 and 4, symmetric tables with offline and
hardware negation, full tables, bias correction on and off, a wrapping accumulator and
``tile_n > 1``. Each builds once (the runner caches builds by content hash) and runs the three
testbench tests; the fault-injection test reuses the first build.
"""

import os
import subprocess

import pytest

from accelsmith.core.families.lut_core import LutCoreParams
from accelsmith.sim.verify import verify

pytestmark = pytest.mark.sim

CONFIGS = {
    "k4-w3-sym-2x4": LutCoreParams(
        group_size=4, weight_bits=3, act_bits=8, tile_m=2, tile_n=4, max_k=64
    ),
    "k4-w1-full-bip-3x2": LutCoreParams(
        group_size=4,
        weight_bits=1,
        act_bits=8,
        tile_m=3,
        tile_n=2,
        symmetric=False,
        bias_correction=False,
        max_k=50,
    ),
    "k2-w4-symx-a16-1x3": LutCoreParams(
        group_size=2,
        weight_bits=4,
        act_bits=16,
        tile_m=1,
        tile_n=3,
        negation="hardware",
        max_k=33,
    ),
    "k2-w1-full-4x5-wrap": LutCoreParams(
        group_size=2,
        weight_bits=1,
        act_bits=4,
        tile_m=4,
        tile_n=5,
        symmetric=False,
        max_k=40,
        acc_bits=5,
    ),
    # one column, three rows: the split drain, whose borrow crosses the halves (wraps)
    "k2-w2-sym-3x1-wrap": LutCoreParams(
        group_size=2, weight_bits=2, act_bits=6, tile_m=3, tile_n=1, max_k=24, acc_bits=8
    ),
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_config_passes(name, tmp_path):
    p = CONFIGS[name]
    report = verify(p, tiles=40, seed=11, workdir=tmp_path)
    by_name = {t.name: t for t in report.tests}
    assert set(by_name) == {"corner_cases", "back_to_back", "random_stalls"}, report
    for t in report.tests:
        assert t.errors == [], (t.name, t.errors[:3])
        assert t.mismatches == 0 and t.timing_mismatches == 0
        assert t.tiles > 0 and t.measured_cycles == t.predicted_cycles > 0
    assert by_name["back_to_back"].tiles + by_name["random_stalls"].tiles == 40
    assert by_name["corner_cases"].tiles >= 10
    assert report.passed


def test_checker_catches_a_wrong_result(tmp_path):
    """With one expected value corrupted, every test reports the mismatch."""
    p = CONFIGS["k4-w3-sym-2x4"]
    report = verify(p, tiles=4, seed=1, workdir=tmp_path / "bad", inject_fault=True)
    assert not report.passed
    assert [t.mismatches for t in report.tests] == [1, 1, 1]


def test_cli_verify_reuses_the_build(tmp_path, capsys):
    """``accelsmith verify lut-core`` with flags equal to a tested configuration: same Verilog,
    so the simulator is reused; exit 0 and a JSON report."""
    import json

    from accelsmith.cli.main import main
    from accelsmith.hdl.emit import verilog_text
    from accelsmith.hdl.lut_core import build
    from accelsmith.sim import runner

    p = CONFIGS["k4-w3-sym-2x4"]  # built here unless another test already did
    waves = os.environ.get("WAVES") == "1"  # as verify() decides
    runner.build(verilog_text(build(p), p.default_name()), p.default_name(), waves=waves)
    report = tmp_path / "r.json"
    args = [
        "verify",
        "lut-core",
        "--group-size",
        "4",
        "--weight-bits",
        "3",
        "--act-bits",
        "8",
        "--tile-m",
        "2",
        "--tile-n",
        "4",
        "--max-k",
        "64",
        "--tiles",
        "10",
        "--seed",
        "5",
        "--report",
        str(report),
    ]
    assert main(args) == 0, capsys.readouterr().err
    data = json.loads(report.read_text())
    assert data["passed"] and data["build_cached"] and data["family"] == "lut-core"
    assert "PASS" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["k4-w3-sym-2x4", "k2-w4-symx-a16-1x3"])
def test_lint_only(name, tmp_path):
    import re

    from accelsmith.generate import generate
    from accelsmith.sim.runner import find_verilator

    e = generate(CONFIGS[name], tmp_path)
    env = dict(os.environ, PATH=f"{find_verilator()}{os.pathsep}{os.environ.get('PATH', '')}")
    proc = subprocess.run(
        ["verilator", "--lint-only", "-Wno-fatal", str(e.verilog)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert set(re.findall(r"%Warning-([A-Z0-9_]+)", proc.stderr)) <= {"WIDTHEXPAND", "WIDTHTRUNC"}
    assert "%Error" not in proc.stderr
