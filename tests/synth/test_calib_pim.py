"""The PIM channel at 130 nm (accelsmith.models.pim_asic): flip-flop inventory against
synthesized netlists, components, the node-130 cost columns, and a held-out synthesis guard."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from accelsmith.cli.main import main
from accelsmith.core.families.pim import PimParams
from accelsmith.models import calib, evaluate, pim_asic
from accelsmith.models.workloads import GEMM, Workload

from .conftest import require

DATA = Path(__file__).parent / "data" / "pim_flops.json"
WL = Workload(name="t", layers=(GEMM(name="g", M=1, N=64, K=64),))


def _model(**cfg) -> pd.Series:
    base = {"channels": 1, "rows": 5, "row_bytes": 4, "banks": 2, "lanes": 2}
    return evaluate("pim", [{**base, **cfg}], WL, node_nm=130).iloc[0]


def test_inventory_counts_the_synthesized_flip_flops() -> None:
    """Every channel recorded from a synthesized netlist (tests/synth/data/pim_flops.json)
    has exactly the flip-flops the inventory counts."""
    rows = json.loads(DATA.read_text())
    assert len(rows) >= 15
    for name, row in rows.items():
        p = PimParams(**row["params"])
        inv = pim_asic.pim_inventory(
            p.precision, p.lanes, p.banks, p.rows, p.row_bytes, p.timings()
        )
        assert int(inv["flops"]) == row["flops"], name


def test_inventory_parts_and_vectorized() -> None:
    T = PimParams(precision="int8", lanes=2, rows=5, row_bytes=6, banks=3).timings()
    inv = pim_asic.pim_inventory(
        np.array(["int8", "fp16", "bf16"]), np.array([3, 1, 2]), 3, 5, 6, T
    )
    parts = inv["ctl_flops"] + inv["gb_flops"] + inv["rdd_flops"]
    parts = parts + 3 * (inv["bank_ctl_flops"] + inv["rowbuf_flops"] + inv["acc_flops"])
    assert np.array_equal(inv["flops"], parts)
    assert list(inv["acc_flops"]) == [96, 16, 32]  # int8/fp16 per lane, bf16 one FP32
    # a 1-cycle timing counter is a constant synthesis removes
    one = pim_asic.pim_inventory("int8", 1, 1, 4, 1, {**T, "t_ccd": 1})
    two = pim_asic.pim_inventory("int8", 1, 1, 4, 1, {**T, "t_ccd": 2})
    assert int(two["flops"] - one["flops"]) == 1


def test_sram_figures_match_the_flow() -> None:
    from accelsmith.synth.sram import SRAM_SKY130

    t = SRAM_SKY130
    pairs = (
        (pim_asic.SRAM_UM2_PER_BIT, t["area_um2_per_bit"]),
        (pim_asic.SRAM_LEAK_W_PER_BIT, t["leakage_nw_per_bit"] * 1e-9),
        (pim_asic.SRAM_ACCESS_J_PER_BIT, t["access_pj_per_bit"] * 1e-12),
    )
    for model, flow in pairs:
        assert model == pytest.approx(flow)


def test_components_hold_the_inventory() -> None:
    """The MAC samples' own flip-flops (all minus the harness) are the inventory's
    accumulators, the counters' their bits; the control's harness (all minus the channel's
    own) is at most the wrapper (synthesis merges the bank stand-ins' shared input
    registers) and its logic positive."""
    samples = calib.load()["samples"]
    for prec in ("int8", "fp16", "bf16"):
        for row in samples[f"pimmac_{prec}"]:
            acc = pim_asic.ACC_BITS[prec] * (1 if prec == "bf16" else row["width"])
            assert row["flops"] - row["wrapper_flops"] == acc, (prec, row["width"])
    for row in samples["pimcnt"]:  # a t-cycle timing counter keeps bits_for(t - 1) flops
        assert row["flops"] - row["wrapper_flops"] == int(pim_asic._cnt(row["width"]))
    for row in samples["pimctl"]:
        harness = pim_asic._harness_flops("pimctl", row)
        assert 0 < harness <= row["wrapper_flops"], row["width"]
        assert pim_asic._logic_of("pimctl", row) > 0


def test_components_elaborate() -> None:
    from accelsmith.hdl.emit import verilog_text
    from accelsmith.synth.components import component

    for kind, width in (("pimmac_bf16", 2), ("pimctl", 2)):
        comp, top = component(kind, width)
        text = verilog_text(comp, top)
        assert f"module {top}" in text and comp.wrapper_flops > 0


def test_node_130_columns() -> None:
    r = _model(precision="int8")
    parts = ("area_lanes_um2", "area_rowbuf_um2", "area_bank_ctl_um2", "area_channel_um2")
    assert sum(r[k] for k in parts) == pytest.approx(r["area_logic_um2"])
    assert r["area_um2"] == pytest.approx(r["area_logic_um2"] + r["area_memory_um2"])
    # two banks of max(rows, 2) x row_bytes * 8 bits at the OpenRAM figure
    assert r["area_memory_um2"] == pytest.approx(2 * 5 * 32 * pim_asic.SRAM_UM2_PER_BIT)
    # clock: the model's Fmax unless pinned
    assert r["freq_mhz"] == pytest.approx(r["fmax_mhz"]) and 20 < r["fmax_mhz"] < 400
    pinned = _model(precision="int8", freq_mhz=50.0)
    assert pinned["freq_mhz"] == 50.0 and pinned["fmax_mhz"] == pytest.approx(r["fmax_mhz"])
    assert pinned["latency_s"] == pytest.approx(r["latency_s"] * r["fmax_mhz"] / 50.0)
    # power as synthesized: flip-flops + logic at the clock, plus the macros
    inv = pim_asic.pim_inventory("int8", 2, 2, 5, 4, PimParams(precision="int8").timings())
    ch = pim_asic.pim_logic(inv, "int8", 2, 2, PimParams(precision="int8").timings())
    flow = calib.flow_power_w(ch["flops"], ch["comb_um2"], 50.0, 0.1)
    macro = pim_asic.macro_power_w(ch["macro_port_bits"], ch["macro_bits"], 50.0)
    assert pinned["power_flow_w"] == pytest.approx(float(flow + macro))
    assert r["energy_clock_j"] > 0 and "OpenRAM" in r["cost_basis"]
    # the 45 nm model is the DRAM-PIM model, unchanged: no Fmax, no clock energy
    r45 = evaluate("pim", [{"channels": 1}], WL, node_nm=45).iloc[0]
    assert "fmax_mhz" not in r45 and "energy_clock_j" not in r45 and "area_gb_um2" in r45


def test_node_130_trends() -> None:
    fp = [_model(precision="fp16", lanes=n, row_bytes=2 * n) for n in (1, 2, 3)]
    assert fp[0]["area_logic_um2"] < fp[1]["area_logic_um2"] < fp[2]["area_logic_um2"]
    bf = [_model(precision="bf16", lanes=n, row_bytes=2 * n)["fmax_mhz"] for n in (1, 2, 4)]
    assert bf[0] > bf[1] > bf[2]  # one more FP32 adder level each
    i8 = _model(precision="int8")["fmax_mhz"]
    assert i8 > 2 * bf[0]  # an integer MAC against an FP32 multiply-add chain


def test_cost_cli_node_130(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["cost", "pim", "--precision", "bf16", "--lanes", "2", "--banks", "2"]
    code = main([*args, "--rows", "4", "--row-bytes", "8", "--node", "130", "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    tot = json.loads(out)["totals"]
    assert tot["fmax_mhz"] > 0 and tot["freq_mhz"] == pytest.approx(tot["fmax_mhz"])
    assert tot["power_flow_w"] > 0 and tot["area_memory_um2"] > 0


@pytest.mark.slow
def test_pim_model_tracks_synthesis() -> None:
    """Held-out guard: a small channel (not a calibration component), synthesized (cached:
    the bench synthesizes it too), against the node-130 model: flip-flops exact, logic area
    within 10 %, Fmax within 15 %, power within 15 %."""
    require("yosys", "sta")
    from accelsmith.synth import synthesize

    p = PimParams(precision="int8", lanes=1, banks=1, rows=5, row_bytes=2, t_cl=2)
    rep = synthesize(p, clock_ns=10.0, name="pim_int8_b1_l1_r5_p2_hb_cl2")
    m = evaluate("pim", [{**p.to_dict(), "channels": 1, "freq_mhz": 100.0}], WL, node_nm=130)
    m = m.iloc[0]
    inv = pim_asic.pim_inventory(p.precision, p.lanes, p.banks, p.rows, p.row_bytes, p.timings())
    assert int(inv["flops"]) == rep.cells["sequential"]
    logic = rep.area["total"] - rep.area["memory"]
    assert m["area_logic_um2"] == pytest.approx(logic, rel=0.10)
    assert m["area_memory_um2"] == pytest.approx(rep.area["memory"], rel=1e-6)
    assert m["fmax_mhz"] == pytest.approx(rep.fmax_mhz, rel=0.15)
    assert m["power_flow_w"] == pytest.approx(rep.power["total_w"], rel=0.15)
