"""SIMD engine: parameters, elaboration, and a small engine in Amaranth's simulator
(every 4-bit product pair, dot products in both accumulation modes) against the golden."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator

from accelsmith.core.errors import ConfigError
from accelsmith.core.families.simd import SimdParams
from accelsmith.core.latency.simd import dot_cycles
from accelsmith.hdl.emit import port_table
from accelsmith.hdl.simd import build, simd_manifest
from accelsmith.sim.benches import simd_io as io
from accelsmith.sim.golden.simd import Beat, golden


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lane_bits": 12}, "lane_bits must be one of 4, 8, 16, 32, not 12"),
        ({"lanes": 0}, "lanes must be an integer in 1..64, not 0"),
        ({"formats": ()}, "formats must be a non-empty list of mode names"),
        ({"formats": ("posit8_2",)}, "formats must be one of 'int4'"),
        ({"formats": ("int8", "int8")}, "formats must not repeat a mode"),
        ({"lane_bits": 8, "formats": ("posit16_1",)}, "formats must fit in lane_bits = 8 bits"),
        ({"acc": "fp16"}, "acc must be one of 'exact', 'fp32', not 'fp16'"),
        ({"pipeline": 5}, "pipeline must be an integer in 1..4, not 5"),
        ({"lanes": 4, "power_gating": 3}, "power_gating must be 0 or divide lanes = 4, not 3"),
        ({"max_k": 0}, "max_k must be an integer in 1..1048576, not 0"),
    ],
)
def test_parameter_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        SimdParams(**kwargs)


def test_params_round_trip_and_derived() -> None:
    p = SimdParams(formats="posit16_1, posit8_0,fp4_e2m1", lanes=2, power_gating=2)
    assert p.formats == ("posit16_1", "posit8_0", "fp4_e2m1")
    assert SimdParams.from_dict(p.to_dict()) == p
    assert p.slots == 4 and p.slot_modes(0) == (0, 1, 2) and p.slot_modes(2) == (2,)
    assert [p.macs_per_cycle(f) for f in p.formats] == [2, 4, 8]
    lsb, width = p.quire_range(0)
    assert lsb == -56  # minpos(16,1)^2 = 2^-56
    # the quire holds max_k maxpos^2 products: 2^57 * 4096 needs 57 + 56 + 1 + 12 + 1 bits
    assert width == 57 + 56 + 1 + 12 + 1


def test_ports_and_manifest() -> None:
    p = SimdParams(lanes=2, power_gating=1)
    ports = {q["name"]: q for q in port_table(build(p))}
    assert ports["x__payload"]["width"] == 2 * 2 * 16 + 2 + 1
    assert ports["c__payload"]["width"] == 32 * 2 * 4
    assert ports["gate"]["width"] == 1
    man = simd_manifest(p)
    assert man["latency"]["dot_cycles"]["16"] == dot_cycles(16, p.pipeline) == 16 + 2 + 2
    assert man["modes"]["fp4_e2m1"]["macs_per_cycle"] == 8


def _simulate(p: SimdParams, beats: list[Beat]) -> tuple[list[np.ndarray], list[int], list[int]]:
    dut = build(p)
    results, cycles, starts = [], [], []

    async def bench(ctx):
        ctx.set(dut.c.ready, 1)
        cycle, i = 0, 0
        while len(results) < sum(b.last for b in beats) and cycle < 10 * len(beats) + 50:
            if i < len(beats):
                bt = beats[i]
                ctx.set(dut.x.valid, 1)
                ctx.set(dut.x.payload.a.as_value(), io.pack_words(bt.a, p.lane_bits))
                ctx.set(dut.x.payload.b.as_value(), io.pack_words(bt.b, p.lane_bits))
                ctx.set(dut.x.payload.mode, bt.mode)
                ctx.set(dut.x.payload.last, int(bt.last))
                if p.power_gating:
                    ctx.set(dut.gate, bt.gate)
            else:
                ctx.set(dut.x.valid, 0)
            took = i < len(beats) and ctx.get(dut.x.ready)
            if ctx.get(dut.c.valid):
                word = ctx.get(dut.c.payload.data.as_value())
                n = p.lanes * p.slots
                ob = p.out_bits
                results.append(np.array([(word >> (ob * k)) & ((1 << ob) - 1) for k in range(n)]))
                cycles.append(cycle)
            if took:
                starts.append(cycle)
                i += 1
            await ctx.tick()
            cycle += 1

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return results, cycles, starts


@pytest.mark.parametrize(("acc", "out"), [("exact", "fp32"), ("fp32", "fp32"), ("exact", "fp16"),
                                          ("fp32", "bf16"), ("exact", "posit8_0"),
                                          ("fp32", "posit16_1")])  # fmt: skip
def test_small_engine_matches_golden(acc: str, out: str) -> None:
    p = SimdParams(
        lane_bits=8, lanes=1, formats=("fp4_e2m1", "posit4_1", "int4"), acc=acc, pipeline=1,
        power_gating=1, out_format=out,
    )  # fmt: skip
    rng = np.random.default_rng(5)
    beats = [b for bl in io.exhaustive_beats(p).values() for b in bl]
    n_single = len(beats)
    beats += io.special_beats(p) + io.dot_product_beats(p, rng, 6, max_k=10)
    beats += io.mode_switch_beats(p, rng, 4) + io.gated_beats(p, rng, 4)
    want = golden(p, beats)
    got, cycles, starts = _simulate(p, beats)
    assert len(got) == len(want)
    bad = [i for i, (g, w) in enumerate(zip(got, want, strict=True)) if not np.array_equal(g, w)]
    assert not bad, [(i, got[i].tolist(), want[i].tolist()) for i in bad[:3]]
    # full rate: a one-beat dot product's result comes dot_cycles(1, pipeline) - 1 cycles later
    lat = [c - s for c, s in zip(cycles[:n_single], starts[:n_single], strict=True)]
    assert set(lat) == {dot_cycles(1, p.pipeline) - 1}


def test_golden_fast_path_equals_exact_path() -> None:
    p = SimdParams(lanes=2, formats=("posit16_1", "posit8_0", "fp8_e5m2", "fp4_e2m1"))
    rng = np.random.default_rng(6)
    beats = io.random_product_beats(p, rng, 300) + io.special_beats(p)
    for acc in ("exact", "fp32"):
        q = SimdParams.from_dict(p.to_dict() | {"acc": acc})
        fast = golden(q, beats)
        slow = golden(q, beats, vectorize=False)
        assert len(fast) == len(slow) > 300
        assert all(np.array_equal(f, s) for f, s in zip(fast, slow, strict=True))
        # double rounding (fp32), overflow/underflow paths, posit saturation
        for out in ("fp16", "bf16", "posit8_0", "posit16_1"):
            r = SimdParams.from_dict(q.to_dict() | {"out_format": out})
            fast = golden(r, beats)
            slow = golden(r, beats, vectorize=False)
            assert all(np.array_equal(f, s) for f, s in zip(fast, slow, strict=True)), out


@pytest.mark.parametrize(
    "kwargs",
    [
        {"lane_bits": 32, "lanes": 1, "formats": ("posit16_1", "int8", "fp4_e2m1")},
        {"lane_bits": 4, "lanes": 2, "formats": ("int4", "posit4_1"), "power_gating": 2},
        {"lane_bits": 4, "lanes": 1, "formats": ("int4",)},  # integer-only: no alignment shift
    ],
)
def test_word_widths_32_and_4(kwargs: dict) -> None:
    p = SimdParams(pipeline=2, acc="exact", **kwargs)
    rng = np.random.default_rng(8)
    beats = io.random_product_beats(p, rng, 40) + io.special_beats(p) + io.isolation_beats(p)
    beats += io.dot_product_beats(p, rng, 4, max_k=6) + io.mode_switch_beats(p, rng, 3)
    want = golden(p, beats)
    got, _, _ = _simulate(p, beats)
    assert len(got) == len(want)
    bad = [i for i, (g, w) in enumerate(zip(got, want, strict=True)) if not np.array_equal(g, w)]
    assert not bad, [(i, got[i].tolist(), want[i].tolist()) for i in bad[:3]]
