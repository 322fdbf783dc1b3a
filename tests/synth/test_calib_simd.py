"""The SIMD engine at 130 nm: RTL inventory, component model, Fmax cap and flow power."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from accelsmith.cli.main import main
from accelsmith.models import simd_asic
from accelsmith.models.simd_asic import lane_structure, signed_bits, simd_engine_flops

from .conftest import require

_FLOPS = json.loads((Path(__file__).parent / "data" / "simd_flops.json").read_text())


def _inventory(p: dict) -> int:
    st = lane_structure(
        ",".join(p["formats"]), p["lane_bits"], p["acc"], p["pipeline"], p["max_k"],
        p["out_format"],
    )  # fmt: skip
    return int(simd_engine_flops(st["flops"], p["lanes"], p["pipeline"], st["mode_bits"],
                                 p["power_gating"], st["mode2"], st["term_is_valid"],
                                 st["terms"]))  # fmt: skip


def test_inventory_counts_the_synthesized_flip_flops() -> None:
    """The lane inventory mirrors the RTL: its flip-flop count equals the synthesized
    netlist's for every recorded configuration (the bench's: 1..3 lanes, 8 and 16-bit words,
    1..4 formats, pipeline 1 and 2; and pipeline 3 and 4, the fp32 accumulator, posit and
    mixed modes, power gating, 4-bit words, bf16 / posit8 results)."""
    rows = _FLOPS["designs"]
    assert len(rows) >= 28
    diffs = [(d["name"], _inventory(d["params"]), d["flops"]) for d in rows]
    assert all(model == meas for _, model, meas in diffs), diffs


def test_multiplier_keeps_the_live_partial_products() -> None:
    """Operand bits no mode drives are constant 0 and synthesis removes their partial
    products: an FP8 E4M3-only 8-bit lane drives 4 of 8 bits on each side (a 4 x 4 array);
    FP4 beside it adds bits 4 and 5 (6 x 6 within the 8-bit block); int8 drives all."""

    def live(formats: str, lane_bits: int = 8) -> float:
        return lane_structure(formats, lane_bits, "exact", 2, 16, "fp32")["mul_live"]

    assert live("fp8_e4m3") == 16 / 64
    assert live("fp8_e4m3,fp4_e2m1") == 36 / 64
    assert live("int8") == live("int4,int8") == live("int4,fp8_e4m3") == 1.0
    assert live("fp4_e2m1", 16) == 16 / 64  # four 4-bit blocks, 2 x 2 bits each
    assert live("posit16_1", 16) == 13 * 13 / 256  # 13-bit significands
    assert live("posit16_1,int8", 16) == 1.0  # int8's two sub-lanes drive bits 13..15
    # the multiplier's area follows: the FP8-only lane's is a quarter of the int8 lane's
    fp8 = simd_asic.lane_cost("fp8_e4m3", 8, "exact", 2, 16, "fp32")["area_multiplier"]
    int8 = simd_asic.lane_cost("int8", 8, "exact", 2, 16, "fp32")["area_multiplier"]
    assert fp8 == pytest.approx(int8 / 4)


def test_merged_chain_is_shorter_than_its_blocks_in_series() -> None:
    """Without a register between multiplier and quire, multiply, align and quire add merge
    (``schain<k>``): the chain's increment over its multiplier is shorter than the shifter
    stages and the quire add in series (the readout context uses these samples)."""
    from accelsmith.models import calib

    fmts, pipe = "int4,int8,fp4_e2m1", calib.pipe_period_ns()
    st = lane_structure(fmts, 16, "exact", 1, 24, "fp32")
    inc = max(simd_asic._chain_increment_ns(sl["stages"], sl["q"]) for sl in st["slots"])
    assert st["slots"][0]["stages"] == 3 and simd_asic._chain_class(3) == 3
    chain = calib.load()["simd_samples"]["schain3"]
    smul = next(r for r in calib.load()["simd_samples"]["smul_8_4"] if r["width"] == 8)
    q = st["slots"][0]["q"]
    assert len(chain) >= 3
    assert inc == pytest.approx(float(simd_asic._s("schain3", "period_ns", q)) - smul["period_ns"])
    in_series = 3 * (float(calib.op_period_ns("mux", 8)) - pipe)
    in_series += float(calib.op_period_ns("add", q)) - pipe
    assert inc < in_series  # the merged chain is shorter than shifter + add in series


def test_pipeline_2_exact_path_is_the_lane_in_context() -> None:
    """At pipeline 2 (the decode registered) an exact slot's multiply-align-accumulate
    stage is the ``schainl<k>_p2`` lane at its quire width, moved like pipeline 1's; the
    leave-one-out over those lanes chose that form over the multiplier plus the ``schain``
    increment, which understates them."""
    from accelsmith.models import calib
    from accelsmith.models.calib_cv import SIMD_P2_FORMS, best_form, simd_lane_ctx_cv

    cv = simd_lane_ctx_cv(pipeline=2)
    assert best_form(cv, SIMD_P2_FORMS) == "ctx_live"
    assert cv["ctx_live"]["mean_pct"] < cv["series"]["mean_pct"] - 2.0
    fmts = "int4,int8,fp4_e2m1"
    own = simd_asic.lane_cost(fmts, 8, "exact", 2, 17, "fp32")["t_path"]
    sample = next(r for r in calib.load()["simd_samples"]["schainl3_p2"] if r["width"] == 24)
    assert own == pytest.approx(sample["period_ns"])
    # the decode stage alone is no longer than the rest
    st = lane_structure(fmts, 8, "exact", 2, 17, "fp32")
    d0 = simd_asic._slot_delays(st["slots"][0], 3, 8)[0]
    assert calib.pipe_period_ns() + d0 < own


def test_pipeline_1_exact_path_is_the_lane_in_context() -> None:
    """At pipeline 1 an exact slot's path is the ``schainl<k>`` lane of its stage class
    (decode, multiply, align and quire add synthesized whole) at its quire width, moved by
    the slot's multiplier difference; leave-one-out over those calibration lanes chose that
    form over the blocks in series, which overstate the mixed int/FP4 lane by ~2 ns."""
    from accelsmith.models import calib
    from accelsmith.models.calib_cv import SIMD_P1_FORMS, best_form, simd_lane_ctx_cv

    cv = simd_lane_ctx_cv()
    assert best_form(cv, SIMD_P1_FORMS) == "ctx_live"
    assert cv["ctx_live"]["mean_pct"] < cv["series"]["mean_pct"] - 2.0
    pipe = calib.pipe_period_ns()
    fmts = "int4,int8,fp4_e2m1"
    # the component's own lane (8-bit word, max_k 17: slot 0's quire is 24 bits)
    own = simd_asic.lane_cost(fmts, 8, "exact", 1, 17, "fp32")["t_path"]
    sample = next(r for r in calib.load()["simd_samples"]["schainl3"] if r["width"] == 24)
    assert own == pytest.approx(sample["period_ns"])
    series = pipe + sum(simd_asic._slot_delays(lane_structure(fmts, 8, "exact", 1, 17, "fp32")[
        "slots"][0], 3, 8)) + simd_asic._chain_increment_ns(3, 24)  # fmt: skip
    assert series > own + 1.5
    # a 16-bit word: its sub-word multiplier's extra delay on top
    st = lane_structure(fmts, 16, "exact", 1, 17, "fp32")
    wide = simd_asic.lane_cost(fmts, 16, "exact", 1, 17, "fp32")["t_path"]
    d1 = simd_asic._slot_delays(st["slots"][0], 3, 16)[1]
    assert wide == pytest.approx(own + d1 - simd_asic._lane_ctx_delays("schainl3")[1])
    # an FP8-only slot multiplies 4 x 4 of its 8 bits: faster than the int8 + FP8 lane
    fp8 = lane_structure("fp8_e4m3", 8, "exact", 1, 17, "fp32")["slots"][0]
    assert simd_asic._live_mul_ns(fp8) < -1.0
    both = lane_structure("int8,fp8_e4m3", 8, "exact", 1, 17, "fp32")["slots"][0]
    assert simd_asic._live_mul_ns(both) == 0.0


def test_mode_multiplexer_levels_follow_the_rtl() -> None:
    """The significands' mode multiplexer has one input per mode plus the ``Default`` (0)
    when mode codes are unused: one mode and two modes are one level, three and four two."""
    sl = lane_structure("int8", 8, "exact", 2, 16, "fp32")["slots"][0]
    d = {n: simd_asic._slot_delays(sl, n, 8)[0] for n in (1, 2, 3, 4, 5)}
    assert d[1] == d[2] < d[3] == d[4] < d[5]


def test_readout_and_area_in_context() -> None:
    """A slot's readout sits beside its chain: synthesized as one block (``schainr<k>``)
    both are slower than apart, and smaller; the model takes the block's path into the
    result registers as the readout's period and scales a pipeline-1/-2 slot's area by the
    block's fraction of its parts."""
    q, stages = 42, 5  # an FP8 E4M3 slot
    own = float(simd_asic._s("sslot_fp32", "period_ns", q))
    ctx = simd_asic._readout_in_context_ns(stages, q, own)
    readout = float(simd_asic._s("schainr5", "readout_ns", q))  # its path into the results
    assert own < ctx == pytest.approx(readout)
    frac = simd_asic._merged_fraction(stages, q)
    assert 0.8 < frac < 1.0
    # the block's area at the chains' widths only (24/48 here; its 38/42 readout samples are
    # left out of the area): the fraction is the same with those samples removed
    from accelsmith.models import calib

    data = calib.load()
    rows = [r for r in data["simd_samples"]["schainr5"] if r["width"] in (24, 48, 72)]
    assert len(rows) < len(data["simd_samples"]["schainr5"])
    only = {**data, "simd_samples": {**data["simd_samples"], "schainr5": rows}}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(calib, "load", lambda path=None: only)
        assert simd_asic._merged_fraction(stages, q) == pytest.approx(frac, rel=1e-12)
    cost = {p: simd_asic.lane_cost("fp8_e4m3", 8, "exact", p, 24, "fp32") for p in (2, 3)}
    assert cost[2]["area_accumulators"] == pytest.approx(frac * cost[3]["area_accumulators"])
    assert cost[2]["t_slot"] == cost[3]["t_slot"] == pytest.approx(ctx, rel=0.02)


def test_readout_in_context_follows_the_result_format() -> None:
    """The readout in context depends on its rounder: a slot's readout period is the path
    into the result registers of the chain-and-readout block with its own result format
    (``readout_ns`` of ``schainr<k>_<out>``; binary32: ``schainr<k>``), the form
    leave-one-out over those blocks chose over the binary32 block's extra for every format
    (the model before) and over the own block's period in excess of its parts."""
    from accelsmith.models.calib_cv import SIMD_READOUT_FORMS, best_form, simd_readout_ctx_cv

    cv = simd_readout_ctx_cv()
    assert best_form(cv, SIMD_READOUT_FORMS) == "own_readout"
    assert cv["own_readout"]["mean_pct"] < cv["fp32_extra"]["mean_pct"] - 0.5
    assert cv["own_readout"]["worst_pct"] < cv["fp32_extra"]["worst_pct"] - 5.0
    q = 24  # the mixed int/FP4 slot (class 3)
    for out in ("fp32", "bf16", "fp16", "posit16_1", "posit8_0"):
        own = float(simd_asic._s(f"sslot_{out}", "period_ns", q))
        kind = "schainr3" if out == "fp32" else f"schainr3_{out}"
        ro = next(r["readout_ns"] for r in calib_samples()[kind] if r["width"] == q)
        assert simd_asic._readout_in_context_ns(3, q, own, out) == pytest.approx(max(own, ro))
    # an engine's readout period is its own format's: bf16 at pipeline 1, int4+int8+FP4
    # (max_k 17: slot 0's quire is 24 bits)
    fmts = "int4,int8,fp4_e2m1"
    own = float(simd_asic._s("sslot_bf16", "period_ns", q))
    t_slot = simd_asic.lane_cost(fmts, 8, "exact", 1, 17, "bf16")["t_slot"]
    assert t_slot == pytest.approx(simd_asic._readout_in_context_ns(3, q, own, "bf16"))
    assert t_slot > own + 1.0  # the bf16 readout is slower in context than alone
    assert t_slot != pytest.approx(simd_asic._readout_in_context_ns(3, q, own, "fp32"))


def calib_samples() -> dict:
    from accelsmith.models import calib

    return calib.load()["simd_samples"]


def test_fp32_slot_sees_the_exponent_range_at_pipeline_1_and_2() -> None:
    """An fp32 slot's product exponent reaches the binary32 adder from the decoders at
    pipeline 1/2 (synthesis sizes the compare and alignment to its range: the sampled
    ``sslotf<e>_fp32``), from a register at pipeline 3/4 (the 9-bit ``sslotf`` slot)."""
    sig = 16
    full = float(simd_asic._s("sslotf_fp32", "logic_um2", sig))
    six = float(simd_asic._s("sslotf6_fp32", "logic_um2", sig))
    assert simd_asic._narrow_exponent(9, sig, "logic_um2") == 1.0
    assert simd_asic._narrow_exponent(6, sig, "logic_um2") == pytest.approx(six / full)
    assert six < full
    fmts = "int8,fp8_e4m3"  # one slot, product exponent bits: 6
    st = lane_structure(fmts, 8, "fp32", 2, 24, "fp32")
    assert [sl["exp_bits"] for sl in st["slots"]] == [6]
    cost = {p: simd_asic.lane_cost(fmts, 8, "fp32", p, 24, "fp32") for p in (2, 3)}
    assert cost[2]["area_accumulators"] == pytest.approx(six)
    assert cost[3]["area_accumulators"] == pytest.approx(full)
    assert cost[3]["t_slot"] == pytest.approx(float(simd_asic._s("sslotf_fp32", "period_ns", sig)))
    assert cost[2]["t_slot"] < cost[3]["t_slot"]


def test_readout_samples_span_the_rounding_step() -> None:
    """Up to q = 25 the quire's magnitude fits binary32's 24-bit significand (no rounding
    logic); above it the readout rounds. The samples straddle the step, so a slot just
    above it is not interpolated from the rounding-free side."""
    step = simd_asic._s("sslot_fp32", "period_ns", np.array([24, 26]))
    assert step[1] - step[0] > 1.5
    at_30 = float(simd_asic._s("sslot_fp32", "period_ns", 30))
    assert at_30 > step[1]


def test_signed_bits() -> None:
    assert signed_bits(0, 0) == 0
    assert signed_bits(-1, 1) == 2
    assert signed_bits(-9, 5) == 5
    assert signed_bits(-16, 15) == 5 and signed_bits(-17, 0) == 6


def _evaluate(cfgs: list[dict], node: int = 130, per_layer: bool = False):
    from accelsmith.models import evaluate
    from accelsmith.models.workloads import GEMM, Workload

    wl = Workload(name="w", layers=(GEMM(name="g", M=16, N=16, K=32),))
    return evaluate("simd", cfgs, wl, node_nm=node, per_layer=per_layer)


_CFG = {"lane_bits": 8, "lanes": 3, "formats": "int4,fp8_e4m3", "pipeline": 2, "max_k": 40}


def test_area_is_the_sum_of_its_parts() -> None:
    df = _evaluate([_CFG, {**_CFG, "lanes": 5, "pipeline": 1, "power_gating": 5}])
    parts = [c for c in df.columns if c.startswith("area_") and c.endswith("_um2")]
    parts.remove("area_um2")
    assert {"area_decoders_um2", "area_glue_um2", "area_sram_um2"} <= set(parts)
    np.testing.assert_allclose(df[parts].sum(axis=1), df["area_um2"], rtol=1e-12)
    # more lanes: more area, more flip-flops (the control is shared)
    assert df["area_um2"][1] > df["area_um2"][0] and df["flops"][1] > df["flops"][0]


def test_fmax_caps_the_clock_and_sets_latency() -> None:
    df = _evaluate([{**_CFG, "freq_mhz": 10.0}, {**_CFG, "freq_mhz": 5000.0}])
    fmax = float(df["fmax_mhz"][0])
    assert 20.0 < fmax < 1000.0 and df["fmax_mhz"][1] == pytest.approx(fmax)
    assert df["freq_mhz"][0] == pytest.approx(10.0)
    assert df["freq_mhz"][1] == pytest.approx(fmax)  # capped
    assert df["latency_s"][1] == pytest.approx(df["cycles"][1] / (fmax * 1e6))
    # a deeper pipeline never lengthens the lane's datapath (it adds flip-flops: the advance
    # net's fan-out grows, which may still limit the clock)
    paths = [simd_asic.lane_cost("int4,fp8_e4m3", 8, "exact", p, 40, "fp32")["t_path"]
             for p in (1, 2, 3, 4)]  # fmt: skip
    assert np.all(np.diff(paths) <= 1e-9) and paths[3] < paths[0]


def test_flow_power_is_at_the_requested_clock() -> None:
    df = _evaluate([{**_CFG, "freq_mhz": 20.0}, {**_CFG, "freq_mhz": 40.0}])
    assert df["power_flow_w"][1] == pytest.approx(2 * df["power_flow_w"][0])
    assert 0 < df["energy_clock_j"][0] < df["energy_j"][0]


def test_simd_samples_are_part_of_the_calibration_identity(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A node-130 campaign's identity hashes the SIMD components too: re-calibrating them
    changes it."""
    from accelsmith.models import calib

    data = calib.load()
    before = calib.samples_sha256()
    rows = [{**r, "op_area_um2": r["op_area_um2"] * 2} for r in data["simd_samples"]["sdec_int8"]]
    changed = {**data, "simd_samples": {**data["simd_samples"], "sdec_int8": rows}}
    monkeypatch.setattr(calib, "load", lambda path=None: changed)
    assert calib.samples_sha256() != before


def test_other_nodes_unchanged() -> None:
    df = _evaluate([_CFG], node=45)
    assert "fmax_mhz" not in df.columns and "energy_clock_j" not in df.columns


def test_cli_cost_at_130_shows_fmax(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["cost", "simd", "--lane-bits", "8", "--lanes", "3", "--formats", "int4,fp8_e4m3"]
    assert main([*argv, "--node", "130", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)["totals"]
    assert row["fmax_mhz"] > 0 and row["freq_mhz"] <= row["fmax_mhz"] + 1e-9


def test_components_build() -> None:
    """Every SIMD component kind elaborates to Verilog at its smallest sampled width."""
    from accelsmith.hdl.emit import verilog_text
    from accelsmith.synth.components import component
    from accelsmith.synth.components_simd import SIMD_WIDTHS

    kinds = ("sdec_posit8_0", "smul_16_8_4", "sslot_posit16_1", "sslotf_bf16", "sslotfi_fp16")
    for kind in (
        *kinds,
        "schain0",
        "schain7",
        "schainr5",
        "sslotf3_fp32",
        "schainl3",
        "schainl7s_p2",
        "schainr3_bf16",
        "schainr7_posit8_0",
    ):
        comp, top = component(kind, SIMD_WIDTHS[kind][0])
        assert f"module {top}" in verilog_text(comp, top)


def test_chain_readout_components_take_the_format_and_the_class_lsb() -> None:
    """``schainr<k>_<out>`` is ``schainr<k>`` with ``out``'s rounder (its result port is that
    format's width) and the quire LSB a slot of class ``k`` has in the generator."""
    from accelsmith.core.families.simd import SimdParams
    from accelsmith.synth.components import component
    from accelsmith.synth.components_simd import (
        CHAINR_OUTS,
        CHAINR_WIDTHS,
        FP32_STEP_WIDTHS,
        SIMD_WIDTHS,
        class_lsb,
    )

    assert set(CHAINR_OUTS) == {"bf16", "fp16", "posit16_1", "posit8_0"}
    assert [class_lsb(k) for k in (0, 3, 5, 6, 7)] == [0, -2, -18, -32, -56]
    fp4 = SimdParams(lane_bits=8, lanes=1, formats=("int8", "fp4_e2m1"), max_k=5)
    assert fp4.quire_range(0)[0] == class_lsb(3)
    for kind, bits, lsb in (("schainr3_bf16", 16, -2), ("schainr6_posit8_0", 8, -32)):
        comp, _ = component(kind, SIMD_WIDTHS[kind][0])
        assert len(comp.res) == bits and comp.quire_lsb == lsb and comp.readout
        assert SIMD_WIDTHS[kind] == CHAINR_WIDTHS[int(kind[7])]
    # the binary32 blocks at the same widths, and on both sides of its rounding step where
    # a class's slots straddle it (classes 0 and 3: q = 25 never rounds, 26 does), and the
    # integer class at its narrow int4 quires
    for k, widths in CHAINR_WIDTHS.items():
        step = set(FP32_STEP_WIDTHS) if k in (0, 3) else set()
        low = {12, 15} if k == 0 else set()
        assert set(SIMD_WIDTHS[f"schainr{k}"]) == set(widths) | step | low
    fp32, _ = component("schainr3", 16)
    assert len(fp32.res) == 32 and fp32.quire_lsb == 0  # the binary32 blocks as sampled


def test_readout_in_context_takes_the_slot_lsb() -> None:
    """The rounder's logic follows where the quire's bits sit in the result format's
    exponent range: a slot whose quire LSB is not its class lane's takes the
    chain-and-readout block sampled at the LSB nearest its own (``schainr<k>m<-lsb>_<out>``),
    every result format. The LSBs sampled are those the generator gives: posit4 -8 and
    posit8 -12 in class 5, FP8 E4M3 + posit8 -18 in class 6."""
    from accelsmith.core.families.simd import SimdParams
    from accelsmith.models.calib_cv import SIMD_READOUT_LSB_FORMS, best_form, simd_readout_lsb_cv
    from accelsmith.synth.components import component
    from accelsmith.synth.components_simd import SIMD_WIDTHS

    # leave-one-out over the other-LSB blocks: their own widths predict them better than
    # the class lane's blocks do
    cv = simd_readout_lsb_cv()
    assert best_form(cv, SIMD_READOUT_LSB_FORMS) == "own_lsb"
    assert cv["own_lsb"]["worst_pct"] < cv["class_lsb"]["worst_pct"]

    def slot0(formats: tuple[str, ...], word: int = 8) -> dict:
        st = lane_structure(",".join(formats), word, "exact", 2, 33, "fp32")
        return st["slots"][0]

    for fmts, k, lsb in (
        (("posit4_1",), 5, -8),
        (("int8", "posit4_1"), 5, -8),
        (("posit8_0",), 5, -12),
        (("int8", "fp8_e4m3", "posit8_0"), 6, -18),
    ):
        sl = slot0(fmts)
        assert (simd_asic._chain_class(sl["stages"]), sl["lsb"]) == (k, lsb)
        assert lsb in simd_asic.CHAINR_LSB[k]
        qs = SIMD_WIDTHS[f"schainr{k}m{-lsb}_fp32"]
        assert qs[0] <= sl["q"] <= qs[-1]  # the slot's width lies inside the samples
    assert SimdParams(lane_bits=8, lanes=1, formats=("posit4_1",)).quire_range(0)[0] == -8
    comp, _ = component("schainr5m8_posit16_1", 25)
    assert comp.quire_lsb == -8 and len(comp.res) == 16 and comp.readout
    # the block chosen: nearest LSB (the class lane's own on a tie)
    rb = simd_asic._readout_block
    assert rb(5, "posit16_1", -8) == "schainr5m8_posit16_1"
    assert rb(5, "posit16_1", -7) == "schainr5m8_posit16_1"  # posit8 x FP4
    assert rb(5, "posit16_1", -12) == "schainr5m12_posit16_1"
    assert rb(5, "posit16_1", -18) == rb(5, "posit16_1") == "schainr5_posit16_1"
    assert rb(5, "fp32", -18) == "schainr5" and rb(5, "fp32", -8) == "schainr5m8_fp32"
    assert rb(6, "bf16", -32) == "schainr6_bf16" and rb(6, "bf16", -18) == "schainr6m18_bf16"
    assert rb(3, "bf16", -2) == "schainr3_bf16" and rb(7, "fp16", -56) == "schainr7_fp16"
    # an 8-bit posit4 lane at pipeline 2 with posit16 results (max_k 40: two slots at
    # q = 25, LSB -8): its readout period is the LSB -8 block's, not the FP8 E4M3 lane's
    q = 25
    own = float(simd_asic._s("sslot_posit16_1", "period_ns", q))
    ro = float(simd_asic._s("schainr5m8_posit16_1", "readout_ns", q))
    t_slot = simd_asic.lane_cost("posit4_1", 8, "exact", 2, 40, "posit16_1")["t_slot"]
    assert t_slot == pytest.approx(max(own, ro))
    old = max(own, float(simd_asic._s("schainr5_posit16_1", "readout_ns", q)))
    assert abs(t_slot - old) > 0.3


def test_posit_slots_take_a_posit_lane_in_context() -> None:
    """A class-5 slot with a posit8 operand takes its pipeline-1/-2 path from the int8 +
    posit8 lane in context (``schainl5p8``: the posit decoder's regime count and shift
    before the multiplier), which is far slower than the FP8 E4M3 lane of its class; a
    posit4 slot from the posit4 lane of its multiplier's width; FP8 E4M3 slots keep the
    class lane (the choice of the development engines of
    ``bench/bench_simd_readout_dev.py --posit``)."""

    def slot0(formats: str, pipeline: int = 1, max_k: int = 17) -> dict:
        return lane_structure(formats, 8, "exact", pipeline, max_k, "fp32")["slots"][0]

    kind = simd_asic._lane_ctx_kind
    assert kind(slot0("int8,posit8_0")) == kind(slot0("posit8_0")) == "schainl5p8"
    # posit8 x FP4 alone: its own lane (one posit decoder, an 8-bit product), by width
    assert kind(slot0("posit8_0xfp4_e2m1")) == kind(slot0("int4,posit8_0xfp4_e2m1")) == "schainl5px"
    assert kind(slot0("int4,fp4_e2m1,posit8_0xfp4_e2m1")) == "schainl5px"
    assert kind(slot0("int8,posit8_0xfp4_e2m1")) == "schainl5pxi8"
    assert kind(slot0("posit8_0,posit8_0xfp4_e2m1")) == "schainl5p8"  # a posit8 x posit8 mode
    assert kind(slot0("int8,fp8_e4m3")) == kind(slot0("int8,fp8_e4m3,posit4_1")) == "schainl5"
    # posit4: the lane of the slot's multiplier width (an 8-bit mode beside it or not)
    assert kind(slot0("int4,posit4_1")) == kind(slot0("posit4_1")) == "schainl5p4"
    assert kind(slot0("int8,posit4_1")) == "schainl5p4i8"
    assert kind(slot0("int8,fp8_e5m2,posit8_0")) == "schainl6"  # class 6: its own lane
    # the lane itself (max_k 17: q = 34, a sampled width): the path is the sample's
    for pipeline, sample in ((1, "schainl5p8"), (2, "schainl5p8_p2")):
        t = simd_asic.lane_cost("int8,posit8_0", 8, "exact", pipeline, 17, "fp32")["t_path"]
        s = float(simd_asic._s(sample, "period_ns", 34))
        assert t == pytest.approx(s) if pipeline == 1 else t >= s - 1e-9
    # the posit8 lane is slower than the E4M3 lane at the same quire width (38-39 bits)
    p8 = float(simd_asic._s("schainl5p8", "period_ns", 39))
    assert p8 > 1.3 * float(simd_asic._s("schainl5", "period_ns", 38))


def test_e4m3_slots_take_the_lane_of_the_modes_beside_them() -> None:
    """A class-5 slot with FP8 E4M3 and no 8-bit integer or posit mode takes the E4M3 lane
    in context of the narrow modes beside it (E4M3 alone, + FP4, + int4, + both): the
    sub-word multiplier's upper nibbles, which FP4's and int4's second sub-lanes drive, keep
    part of the int8 + E4M3 class lane's 8 x 8 path, which the slot's own 4 x 4 product
    bits do not say (the 3142 draw's simd16x3_exact_2f, FP4 + E4M3 at pipeline 2: its
    chain was priced 11.3 ns from the class lane minus the live bits, the FP4 + E4M3 lane
    in context measured 11.2-11.9 at 38-47, and the engine's readout 15.3 near it)."""

    def slot0(formats: str, word: int = 8) -> dict:
        return lane_structure(formats, word, "exact", 2, 16, "fp32")["slots"][0]

    kind = simd_asic._lane_ctx_kind
    assert kind(slot0("fp8_e4m3")) == "schainl5s"
    assert kind(slot0("fp4_e2m1,fp8_e4m3")) == kind(slot0("fp8_e4m3,fp4_e2m1", 16)) == "schainl5f4"
    assert kind(slot0("int4,fp8_e4m3")) == kind(slot0("int4,fp8_e4m3", 32)) == "schainl5i4"
    assert kind(slot0("int4,fp8_e4m3,fp4_e2m1")) == "schainl5i4f4"
    # an 8-bit integer or a posit mode beside E4M3: the class lane, as before
    assert kind(slot0("int8,fp8_e4m3")) == kind(slot0("int4,int8,fp8_e4m3")) == "schainl5"
    assert kind(slot0("int4,fp8_e4m3,posit4_1")) == "schainl5"
    # every E4M3 lane sampled at pipeline 1 and 2 over the E4M3 slots' quire widths
    # (max_k 2 .. 513: 38 .. 47)
    samples = calib_samples()
    for lane in ("schainl5s", *simd_asic.LANE_CTX_E4M3):
        for name in (lane, f"{lane}_p2"):
            assert {38, 42, 47} <= {r["width"] for r in samples[name]}, name
    # an 8-bit lane of those modes at a sampled width: its path is the lane's own sample
    for pipeline, sample in ((1, "schainl5f4"), (2, "schainl5f4_p2")):
        t = simd_asic.lane_cost("fp4_e2m1,fp8_e4m3", 8, "exact", pipeline, 17, "fp32")["t_path"]
        assert t == pytest.approx(float(simd_asic._s(sample, "period_ns", 42)))

    def mean(name: str) -> float:
        return float(np.mean([r["period_ns"] for r in samples[name]]))

    # FP4 or int4 beside E4M3 keeps part of the class lane's path: each such lane is slower
    # than E4M3 alone over its widths (pipeline 2, where the decode is registered)
    for lane in simd_asic.LANE_CTX_E4M3:
        assert mean(f"{lane}_p2") > mean("schainl5s_p2") + 0.5, lane


def test_fp32_readout_is_not_interpolated_across_the_rounding_step() -> None:
    """Up to q = 25 an exact quire's magnitude fits binary32's significand and its readout
    never rounds; from 26 on it does (the blocks sampled on both sides: ``schainr3``'s
    readout at 25 and 26 is 7.7 and 9.8 ns). A binary32 readout between samples that
    straddle the step (the posit4 slot's class-5 block at LSB -8 is sampled at 25 and 30)
    takes the rounding side's samples only, never an interpolation across the step; other
    result formats round at every width and keep every sample."""
    from accelsmith.models.calib_cv import _loglog_rows
    from accelsmith.synth.components_simd import SIMD_WIDTHS

    assert simd_asic.FP32_EXACT_Q == 25
    for kind in ("schainr0", "schainr3", "sslot_fp32"):
        assert {24, 25, 26} <= set(SIMD_WIDTHS[kind])
    samples = calib_samples()
    ro = {r["width"]: r["readout_ns"] for r in samples["schainr3"]}
    assert ro[26] - ro[25] > 1.5  # the step, measured
    q, lsb = 27, -8  # a posit4 slot of class 5 (int8 beside it) with a binary32 result
    block = simd_asic._readout_block(5, "fp32", lsb)
    assert block == "schainr5m8_fp32"
    rows = [(float(r["width"]), float(r["readout_ns"])) for r in samples[block]]
    rounding = _loglog_rows([r for r in rows if r[0] >= 26], q)
    across = _loglog_rows(rows, q)
    got = simd_asic._readout_in_context_ns(5, q, 0.0, "fp32", lsb)
    assert got == pytest.approx(rounding)
    assert got > across + 0.8
    # below the step, the rounding-free samples: q = 25 is the block's own sample
    assert simd_asic._readout_in_context_ns(3, 25, 0.0, "fp32") == pytest.approx(ro[25])
    # an int4 slot's narrow quire (q = 15, max_k 33..48) is sampled, not extrapolated from
    # the int8 quires (18 and up: 6.3 ns there, 5.5 sampled)
    ro0 = {r["width"]: r["readout_ns"] for r in samples["schainr0"]}
    assert {12, 15} <= set(ro0) and ro0[15] < 6.0
    assert simd_asic._readout_in_context_ns(0, 15, 0.0, "fp32") == pytest.approx(ro0[15])
    # a posit16 result rounds at every width: the block's samples interpolated as they are
    block16 = simd_asic._readout_block(5, "posit16_1", lsb)
    rows16 = [(float(r["width"]), float(r["readout_ns"])) for r in samples[block16]]
    got16 = simd_asic._readout_in_context_ns(5, q, 0.0, "posit16_1", lsb)
    assert got16 == pytest.approx(_loglog_rows(rows16, q))


def test_near_critical_slot_slows_with_the_lanes() -> None:
    """An exact slot at pipeline 1 or 2 whose lane chain and readout are both near its
    period (within ``NEAR_CRITICAL``) is slower in an engine of more lanes: ABC's gate
    sizing has both path sets of every lane to speed up (the FP8 E4M3 + int8 slot: chain
    13.4, readout 14.6 ns); a slot whose chain is far below its readout (FP8 E4M3 alone in
    a 16-bit word: chain 11.8 ns) is not."""

    def period(formats: str, word: int, lanes: int) -> float:
        t = {
            k: np.array([simd_asic.lane_cost(formats, word, "exact", p, 48, "fp32")[k]
                         for p in (1, 2, 3, 4)])
            for k in simd_asic.lane_cost(formats, word, "exact", 2, 48, "fp32")
        }  # fmt: skip
        eng = simd_asic.engine_cost(t, np.array([lanes]), np.array([2]), np.array([0]))
        return 1000.0 / float(eng["fmax_mhz"][0])

    near = simd_asic.lane_cost("int8,fp8_e4m3", 8, "exact", 2, 48, "fp32")
    assert near["t_near"] == pytest.approx(max(near["t_path"], near["t_slot"]))
    grow = period("int8,fp8_e4m3", 8, 3) / period("int8,fp8_e4m3", 8, 1)
    assert grow == pytest.approx(1.0 + 2 * simd_asic.LANE_SIZING)
    assert simd_asic.LANE_SIZING > 0.0
    far = simd_asic.lane_cost("fp8_e4m3", 16, "exact", 2, 48, "fp32")
    assert far["t_path"] < simd_asic.NEAR_CRITICAL * far["t_slot"]
    assert far["t_near"] == 0.0
    assert period("fp8_e4m3", 16, 3) == pytest.approx(period("fp8_e4m3", 16, 1), rel=1e-3)
    # pipeline 3: the chain is cut, nothing is near
    assert simd_asic.lane_cost("int8,fp8_e4m3", 8, "exact", 3, 48, "fp32")["t_near"] == 0.0


@pytest.mark.slow
def test_simd_model_tracks_synthesis() -> None:
    """Held out (never a calibration component): a 3-lane engine of odd quire width
    synthesized on sky130hd; exact flip-flops, area within 10 %, Fmax within 10 %, power
    within 15 % (the model's ``power_flow_w`` at the synthesis clock and activity)."""
    require("yosys", "sta")
    from accelsmith.core.families.simd import SimdParams
    from accelsmith.synth import synthesize

    p = SimdParams.from_dict({**_CFG, "formats": ["int4", "fp8_e4m3"]}, source="test")
    rep = synthesize(p, clock_ns=10.0)
    df = _evaluate([{**_CFG, "freq_mhz": 100.0, "buffer_kb": 0.0}])
    assert int(df["flops"][0]) == rep.cells["sequential"]
    assert df["area_um2"][0] == pytest.approx(rep.area["total"], rel=0.10)
    assert df["fmax_mhz"][0] == pytest.approx(rep.fmax_mhz, rel=0.10)
    assert df["power_flow_w"][0] == pytest.approx(rep.power["total_w"], rel=0.15)
    assert simd_asic.has_samples()


@pytest.mark.slow
def test_calibrate_reproduces_the_simd_samples(tmp_path: Path) -> None:
    """``accelsmith calibrate`` re-synthesizes a chain (alone, with its binary32 or bf16
    readout and in its lane), a narrow-exponent and an integer fp32 slot component to the
    packaged samples, the readout path in the block too (the synthesis cache may answer:
    same flow, same Verilog)."""
    require("yosys", "sta")
    from accelsmith.models import calib
    from accelsmith.synth.calibrate import calibrate

    widths = {"schain3": (16,), "schainr3": (16,), "sslotf6_fp32": (8,), "sslotfi_fp16": (8,)}
    widths |= {"schainr3_bf16": (24,)}  # a chain and readout of another result format
    widths |= {"schainl3": (24,), "schainl3_p2": (24,)}  # the lanes in context
    data = calibrate(tmp_path / "c.json", widths=widths, ecp5_widths={"mul": ()})
    packaged = calib.load()["simd_samples"]
    for kind, (width,) in widths.items():
        new = data["simd_samples"][kind][0]
        old = next(r for r in packaged[kind] if r["width"] == width)
        assert new["op_area_um2"] == pytest.approx(old["op_area_um2"], rel=1e-9)
        assert new["period_ns"] == pytest.approx(old["period_ns"], rel=1e-6)
        if kind.startswith("schainr"):  # the readout path measured in the block's netlist
            assert new["readout_ns"] == pytest.approx(old["readout_ns"], rel=1e-6)
            assert new["readout_ns"] <= new["period_ns"] + 1e-9


def test_calibrate_new_widths_keeps_the_sampled_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``update(kinds, new_widths=True)`` synthesizes only the widths of ``WIDTHS`` the data
    file has no sample of (an added width on a machine whose cache lacks the others), merges
    them in width order beside the kept samples, and records the widths in the provenance;
    a kind with every width sampled runs nothing."""
    from accelsmith.models import calib
    from accelsmith.synth import calibrate as cal

    data = json.loads(calib.DATA_FILE.read_text())
    kind = "sslotf_bf16"
    data["simd_samples"][kind] = [r for r in data["simd_samples"][kind] if r["width"] != 2]
    out = tmp_path / "c.json"
    out.write_text(json.dumps(data))
    asked: list[dict] = []

    def fake(out_path: Path | None, widths: dict, ecp5_widths: dict, with_ecp5: bool) -> dict:
        asked.append(widths)
        rows = {k: [{"width": w, "period_ns": 1.0} for w in ws] for k, ws in widths.items()}
        return {"provenance": {"tools": data["provenance"]["tools"], "date": "d"},
                "simd_samples": rows}  # fmt: skip

    monkeypatch.setattr(cal, "calibrate", fake)
    kept = data["simd_samples"][kind]
    missing = tuple(w for w in cal.WIDTHS[kind] if w not in {r["width"] for r in kept})
    assert 2 in missing and len(missing) < len(cal.WIDTHS[kind])
    new = cal.update([kind, "sdec_int8"], out, new_widths=True)
    assert asked == [{kind: missing}]
    rows = new["simd_samples"][kind]
    assert [r["width"] for r in rows] == sorted(cal.WIDTHS[kind])
    assert [r for r in rows if r["width"] not in missing] == kept
    assert new["provenance"]["partial_runs"][-1]["widths"] == {kind: list(missing)}
    assert json.loads(out.read_text()) == new
    asked.clear()
    assert cal.update(["sdec_int8"], out, new_widths=True) == new and asked == []


def test_calibrate_new_widths_flag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """``accelsmith calibrate --kinds K --new-widths`` is ``update(K, new_widths=True)``; the
    flag without --kinds, or with --target ecp5, is one line and exit 2."""
    from accelsmith.cli.main import main
    from accelsmith.models import calib
    from accelsmith.synth import calibrate as cal

    out = tmp_path / "c.json"
    out.write_text(calib.DATA_FILE.read_text())
    seen: list[tuple] = []

    def fake_update(kinds: list[str], target: Path, new_widths: bool = False) -> dict:
        seen.append((kinds, target, new_widths))
        return json.loads(target.read_text())

    monkeypatch.setattr(cal, "update", fake_update)
    args = ["calibrate", "--kinds", "sdec_int8", "--out", str(out), "--json"]
    assert main([*args, "--new-widths"]) == 0
    assert main(args) == 0
    assert seen == [(["sdec_int8"], out, True), (["sdec_int8"], out, False)]
    capsys.readouterr()
    assert main(["calibrate", "--kinds", "sdec_int8", "--out", str(out), "--new-widths"]) == 0
    assert capsys.readouterr().out.strip() == (  # the file unchanged: said, no table
        f"nothing to synthesize: {out} has every width of sdec_int8"
    )
    seen.clear()
    for argv in (
        ["calibrate", "--new-widths", "--out", str(out)],
        ["calibrate", "--kinds", "add4", "--target", "ecp5", "--new-widths", "--out", str(out)],
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert err == ["error: --new-widths needs --kinds and --target sky130hd"], err
    assert seen == []


def test_fp32_slots_are_sampled_down_to_the_narrowest_product() -> None:
    """Every ``fp32`` slot component is sampled at the product significands of posit4 (2
    bits) and FP4 (4): a posit4-only slot's accumulator loop is the sample, not a power law
    from 8 and 26 bits (which carried the significand logic's slope into a loop the
    binary32 adder sets: 20.9 ns for bf16 at 2 bits against 24.1 synthesized; the held-out
    seed-3141 engine simd8x3_fp32_1f_bf16_p4_k33_p4 measured 24.3)."""
    from accelsmith.synth.components_simd import SIMD_WIDTHS, SLOTF_KINDS, SLOTFE_KINDS

    samples = calib_samples()
    for kind in (*SLOTF_KINDS, *SLOTFE_KINDS):
        assert {2, 4} <= set(SIMD_WIDTHS[kind]), kind
        assert {2, 4} <= {r["width"] for r in samples[kind]}, kind
    st = lane_structure("posit4_1", 8, "fp32", 4, 33, "bf16")
    assert st["slots"][0]["sig"] == 2
    t = simd_asic.lane_cost("posit4_1", 8, "fp32", 4, 33, "bf16")
    loop = next(r["period_ns"] for r in samples["sslotf_bf16"] if r["width"] == 2)
    assert t["t_slot"] == pytest.approx(loop)
