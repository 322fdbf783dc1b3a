"""The flow's noise floor: semantically null rewrites of a design's Verilog
(accelsmith.synth.perturb) are equivalent designs (Yosys proves it; a faulted rewrite is
refused), and bench_silicon's --noise summary."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from accelsmith.synth.perturb import perturb

from .conftest import load_bench, require


def _design() -> str:
    from accelsmith.core.families.systolic import SystolicParams
    from accelsmith.hdl.emit import verilog_text
    from accelsmith.hdl.systolic import build

    return verilog_text(build(SystolicParams(rows=1, cols=2, in_bits=3, max_k=8)), "g")


def _equivalent(tmp: Path, gold: str, gate: str, top: str) -> subprocess.CompletedProcess:
    (tmp / "gold.v").write_text(gold)
    (tmp / "gate.v").write_text(gate)
    script = (
        f"read_verilog gate.v; hierarchy -top {top}; proc; flatten; rename {top} gate_top; "
        # an unused port is no function: an internal wire for the comparison
        "delete -port gate_top/accelsmith_unused_pad; design -save gate; design -reset; "
        "read_verilog gold.v; hierarchy -top g; proc; flatten; rename g gold_top; "
        "design -copy-from gate gate_top; equiv_make gold_top gate_top eq; hierarchy -top eq; "
        "equiv_simple -seq 2; equiv_induct; equiv_status -assert"
    )
    return subprocess.run(["yosys", "-q", "-p", script], cwd=tmp, capture_output=True, text=True)


def test_rewrites_change_the_text_only_by_order_and_names() -> None:
    v = _design()

    def kept(text: str) -> list[str]:  # the lines that carry the design
        return sorted(x for x in text.splitlines() if x.strip() and not x.startswith("/*"))

    lines = kept(v)
    for kind in ("assigns", "shuffle1", "shuffle2", "modules"):
        text, top = perturb(v, "g", kind)
        assert top == "g" and text != v and kept(text) == lines, kind
    assert perturb(v, "g", "shuffle1") == perturb(v, "g", "shuffle1")  # seeded
    assert perturb(v, "g", "shuffle1")[0] != perturb(v, "g", "shuffle2")[0]
    text, top = perturb(v, "g", "renamed")
    assert top == "rn_g" and "module rn_g(" in text and "module g(" not in text
    assert "accelsmith_unused_pad" in perturb(v, "g", "unused")[0]
    with pytest.raises(ValueError, match="kind must be one of assigns"):
        perturb(v, "g", "reorder")
    with pytest.raises(ValueError, match="top module 'x' not found"):
        perturb(v, "x", "ports")


@pytest.mark.slow
def test_rewrites_are_equivalent_designs(tmp_path: Path) -> None:
    require("yosys")
    v = _design()
    for kind in ("assigns", "shuffle1", "ports", "unused", "renamed"):
        text, top = perturb(v, "g", kind)
        r = _equivalent(tmp_path, v, text, top)
        assert r.returncode == 0, (kind, r.stderr[-300:])
    # the checker can fail: one operator changed
    faulted = v.replace("assign adv = \\$1  | c__ready;", "assign adv = \\$1  & c__ready;")
    assert faulted != v
    r = _equivalent(tmp_path, v, perturb(faulted, "g", "unused")[0], "g")
    assert r.returncode != 0 and "unproven" in r.stderr


def test_noise_summary() -> None:
    bench = load_bench("bench_silicon")
    assert bench._variants(4) == ["assigns", "shuffle1", "shuffle2", "shuffle3"]
    assert bench._variants(1) == ["assigns"]
    # --noise-kinds: the first K of the kinds given, checked against accelsmith.synth.perturb
    assert bench._variants(2, ["unused", "ports", "assigns"]) == ["unused", "ports"]
    assert bench._noise_kinds("unused, ports,shuffle7", 3) == (
        ["unused", "ports", "shuffle7"],
        None,
    )
    assert bench._noise_kinds(None, 4) == (None, None)
    assert "not 'spaces'" in bench._noise_kinds("unused,spaces", 2)[1]
    assert "not a repeated kind" in bench._noise_kinds("unused,unused", 2)[1]
    assert bench._noise_kinds("unused,ports", 3)[1] == (
        "--noise must be at most the 2 --noise-kinds given, not 3"
    )
    # 188.5 .. 212.3 MHz (sa_os_3x2_s5, 2026-12-07): no single number is within 5.9 % of all
    st = bench._noise_stats({"base": 193.7, "assigns": 212.3, "shuffle1": 188.5, "s2": 203.9})
    assert st["half_spread_pct"] == pytest.approx(100 * 23.8 / 400.8)
    assert st["median_mhz"] == pytest.approx((193.7 + 203.9) / 2)
    assert bench._noise_stats({"base": 150.0, "assigns": 150.0})["half_spread_pct"] == 0.0
    code = subprocess.run(
        [sys.executable, "bench/bench_silicon.py", "--noise", "-1"],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
    )
    assert code.returncode == 2 and "--noise must be 0 (off) or a count" in code.stderr
