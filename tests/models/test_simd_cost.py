"""SIMD cost model: timing identical to the RTL, per-layer format assignment, area/energy
responses to the format set and accumulation mode, the SQNR proxy and its inputs."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator

from accelsmith.core.errors import ConfigError
from accelsmith.core.families.simd import SimdParams
from accelsmith.core.numformats import FORMATS
from accelsmith.hdl.simd import build
from accelsmith.models.evaluate import evaluate
from accelsmith.models.simd import layer_cycles
from accelsmith.models.simd_sqnr import layer_sqnr_db, tensor_sqnr_db
from accelsmith.models.workloads import load_workload
from accelsmith.sim.benches import simd_io as io
from accelsmith.sim.golden.simd import Beat

WL = [(6, 5, 7), (3, 3, 2), (1, 1, 1)]  # odd shapes: partial last groups


def _layer_beats(p: SimdParams, mode: int, m: int, n: int, k: int) -> list[Beat]:
    """The RTL mapping the model assumes: P = lanes * W / w dot products side by side."""
    md = p.modes[mode]
    par = p.lanes * (p.lane_bits // md.width)
    rng = np.random.default_rng(0)
    a = rng.integers(0, 1 << md.a.bits, (m * n, k))
    b = rng.integers(0, 1 << md.b.bits, (m * n, k))
    beats = []
    for g0 in range(0, m * n, par):
        rows = list(range(g0, min(g0 + par, m * n)))
        for kk in range(k):
            fa = [a[r, kk] for r in rows] + [0] * (par - len(rows))
            fb = [b[r, kk] for r in rows] + [0] * (par - len(rows))
            sub = p.lane_bits // md.width
            aw = [io.pack_words(fa[w * sub : (w + 1) * sub], md.width) for w in range(p.lanes)]
            bw = [io.pack_words(fb[w * sub : (w + 1) * sub], md.width) for w in range(p.lanes)]
            beats.append(Beat(aw, bw, mode, kk == k - 1))
    return beats


def _rtl_cycles(p: SimdParams, beats: list[Beat]) -> int:
    """First beat transfer to last result transfer, both counted, in Amaranth's simulator."""
    dut = build(p)
    seen = {"first": None, "last": None, "results": 0}

    async def bench(ctx):
        ctx.set(dut.c.ready, 1)
        cycle, i = 0, 0
        want = sum(b.last for b in beats)
        while seen["results"] < want and cycle < 10 * len(beats) + 50:
            if i < len(beats):
                bt = beats[i]
                ctx.set(dut.x.valid, 1)
                ctx.set(dut.x.payload.a.as_value(), io.pack_words(bt.a, p.lane_bits))
                ctx.set(dut.x.payload.b.as_value(), io.pack_words(bt.b, p.lane_bits))
                ctx.set(dut.x.payload.mode, bt.mode)
                ctx.set(dut.x.payload.last, int(bt.last))
            else:
                ctx.set(dut.x.valid, 0)
            if ctx.get(dut.c.valid):
                seen["results"] += 1
                seen["last"] = cycle
            if i < len(beats) and ctx.get(dut.x.ready):
                if seen["first"] is None:
                    seen["first"] = cycle
                i += 1
            await ctx.tick()
            cycle += 1

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return seen["last"] - seen["first"] + 1


@pytest.mark.parametrize("mode", ["fp4_e2m1", "posit8_0"])
def test_layer_cycles_equal_rtl(mode: str) -> None:
    p = SimdParams(lane_bits=8, lanes=2, formats=("posit8_0", "fp4_e2m1"), pipeline=3)
    i = p.formats.index(mode)
    par = p.macs_per_cycle(mode)
    for m, n, k in WL:
        measured = _rtl_cycles(p, _layer_beats(p, i, m, n, k))
        assert measured == layer_cycles(m, n, k, par, p.pipeline), (m, n, k)
    df = evaluate("simd", [p.to_dict() | {"formats": ",".join(p.formats), "layer_formats": mode}],
                  WL, per_layer=True)  # fmt: skip
    want = [layer_cycles(m, n, k, par, p.pipeline) for m, n, k in WL]
    assert df["cycles"].tolist() == want


def _cfg(**kw) -> dict:
    return {"lanes": 4, "formats": "posit16_1,posit8_0,fp4_e2m1,posit4_1"} | kw


def test_required_columns_and_batch_equals_rows() -> None:
    cfgs = [_cfg(), _cfg(acc="fp32", lanes=8), _cfg(formats="int8,int4", power_gating=2)]
    df = evaluate("simd", cfgs, "resnet50")
    for col in ("cycles", "latency_s", "energy_j", "area_um2", "area_mm2", "power_w",
                "utilization", "tops", "tops_per_w", "tops_per_mm2", "macs", "sqnr_db",
                "sqnr_mean_db", "energy_compute_j", "area_decoders_um2"):  # fmt: skip
        assert col in df and np.isfinite(df[col]).all(), col
    for i, c in enumerate(cfgs):
        one = evaluate("simd", [c], "resnet50").iloc[0]
        assert one["energy_j"] == pytest.approx(df["energy_j"][i], rel=1e-12)
        assert one["cycles"] == df["cycles"][i]


def test_format_set_and_accumulator_drive_area() -> None:
    df = evaluate("simd", [_cfg(formats="posit8_0"), _cfg(formats="posit8_0,fp4_e2m1,posit4_1"),
                           _cfg(formats="posit8_0", acc="fp32")], "resnet50")  # fmt: skip
    assert df["area_decoders_um2"][1] > df["area_decoders_um2"][0] > 0
    assert df["area_multipliers_um2"][1] >= df["area_multipliers_um2"][0] > 0
    assert df["area_accumulators_um2"][0] != df["area_accumulators_um2"][2]


def test_auto_assignment_meets_the_sqnr_bound_at_least_cost() -> None:
    wl = "bert-base-128"
    base = _cfg(formats="posit16_1,posit8_0,fp4_e2m1")
    rows = [
        base | {"layer_formats": s, "min_sqnr_db": 20.0} for s in ("auto", "widest", "narrowest")
    ]
    per = evaluate("simd", rows, wl, per_layer=True)
    auto, widest, narrow = (per[per.config == i] for i in range(3))
    assert (auto["sqnr_db"] >= 20.0).all()
    assert set(narrow["layer_format"]) == {"fp4_e2m1"}
    assert set(widest["layer_format"]) == {"posit16_1"}
    assert auto["cycles"].sum() <= widest["cycles"].sum()
    assert narrow["cycles"].sum() <= auto["cycles"].sum()
    # a tighter bound never picks a cheaper mode
    tight = evaluate("simd", [base | {"min_sqnr_db": 60.0}], wl, per_layer=True)
    assert set(tight["layer_format"]) == {"posit16_1"}


def test_explicit_per_layer_assignment_and_errors() -> None:
    wl = [(4, 4, 4), (8, 8, 8)]
    df = evaluate("simd", [_cfg(layer_formats="posit8_0,fp4_e2m1")], wl, per_layer=True)
    assert df["layer_format"].tolist() == ["posit8_0", "fp4_e2m1"]
    with pytest.raises(ConfigError, match="layer_formats must list one mode per layer"):
        evaluate("simd", [_cfg(layer_formats="posit8_0,fp4_e2m1,posit4_1")], wl)
    with pytest.raises(ConfigError, match="not 'int8'"):
        evaluate("simd", [_cfg(layer_formats="int8")], wl)
    with pytest.raises(ConfigError, match="formats must be one of"):
        evaluate("simd", [_cfg(formats="posit8_2")], wl)
    with pytest.raises(ConfigError, match=r"configs row 0: lanes must be an integer in 1\.\.64"):
        evaluate("simd", [_cfg(lanes=0)], wl)
    with pytest.raises(ConfigError, match="power_gating must be 0 or divide lanes = 4, not 3"):
        evaluate("simd", [_cfg(power_gating=3)], wl)


def test_sqnr_proxy_ranks_formats_and_reads_npy(tmp_path) -> None:
    sq = {m: layer_sqnr_db(m, "L", 256, "") for m in ("posit16_1", "posit8_0", "fp4_e2m1", "int8")}
    assert sq["posit16_1"] > sq["posit8_0"] > sq["fp4_e2m1"]
    assert 30 < sq["int8"] < 45
    # exactly representable tensors: no noise at all
    assert tensor_sqnr_db(FORMATS["fp4_e2m1"], np.array([0.5, -1.5, 6.0, 0.0])) == float("inf")
    np.save(tmp_path / "L1_weights.npy", np.array([1.0, -2.0, 0.5, 4.0]))
    np.save(tmp_path / "L1_acts.npy", np.array([1.0, 2.0, 0.25, 0.0]))
    assert layer_sqnr_db("fp4_e2m1", "L1", 4, "", str(tmp_path)) == float("inf")
    wl = [(4, 4, 4)]
    name = str(load_workload(wl).to_gemms()["names"][0])
    np.save(tmp_path / f"{name}_weights.npy", np.array([1.0, -2.0, 0.5, 4.0]))
    np.save(tmp_path / f"{name}_acts.npy", np.array([[1.0, 2.0], [0.25, 0.0]]))
    df = evaluate("simd", [_cfg(tensors=str(tmp_path), layer_formats="fp4_e2m1")], wl)
    assert df["sqnr_db"][0] == float("inf")  # the given tensors, not the synthetic ones
    df = evaluate("simd", [_cfg(layer_formats="fp4_e2m1")], wl)
    assert np.isfinite(df["sqnr_db"][0])
    with pytest.raises(ConfigError, match="tensors must be a folder"):
        evaluate("simd", [_cfg(tensors=str(tmp_path / "missing"))], wl)


def test_result_format_changes_registers_not_cycles() -> None:
    rows = [_cfg(out_format=o) for o in ("fp32", "fp16")] + [_cfg(acc="fp32", out_format="bf16")]
    df = evaluate("simd", rows, "resnet50")
    assert df["cycles"].nunique() == 1
    assert df["area_registers_um2"][1] < df["area_registers_um2"][0]
    with pytest.raises(ConfigError, match="out_format must be one of"):
        evaluate("simd", [_cfg(out_format="fp8")], "resnet50")


def test_family_record_space_and_groups_are_consistent() -> None:
    from accelsmith.core.registry import get_family
    from accelsmith.models.simd import SIMD_COLUMNS

    fam = get_family("simd")
    assert fam.params_class() is SimdParams
    assert set(fam.space) <= set(SIMD_COLUMNS)
    grouped = [p for group in fam.agent_groups.values() for p in group]
    assert len(grouped) == len(set(grouped)) and set(grouped) <= set(SIMD_COLUMNS)
    for choice in fam.space["formats"]["choices"]:  # every offered set is buildable
        SimdParams(formats=choice)
