"""The LUT-core RTL on Amaranth's simulator (fast tier): results vs golden, cycles vs model."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
import pytest
from amaranth.sim import Simulator

from accelsmith.core.families.lut_core import LutCoreParams
from accelsmith.hdl.lut_core import build
from accelsmith.models.lut_core import (
    full_rate_schedule,
    layer_cycles,
    output_times,
    tile_cycles,
)
from accelsmith.sim.benches.lut_core_io import pack, pack_a, tile_beats, unpack
from accelsmith.sim.golden.lut_core import golden


@dataclass
class Trace:
    results: list[np.ndarray] = field(default_factory=list)
    start_cycle: list[int] = field(default_factory=list)
    a_cycle: list[list[int]] = field(default_factory=list)
    w_last_adv: list[int] = field(default_factory=list)
    w_last_cycle: list[int] = field(default_factory=list)
    row_cycle: list[list[int]] = field(default_factory=list)
    row_adv: list[list[int]] = field(default_factory=list)
    done_pulses: int = 0
    busy_after: bool = True


def run_tiles(
    p: LutCoreParams, tiles, *, gap=0.0, stall=0.0, seed=0, isolated=False, max_cycles=100_000
) -> Trace:
    rng = random.Random(seed)
    dut = build(p)
    beats = [tile_beats(p, a, q, junk=np.random.default_rng(seed)) for a, q in tiles]
    tr = Trace()
    sim = Simulator(dut)
    sim.add_clock(1e-6)

    async def bench(ctx):
        si = a_t = a_k = w_t = w_k = 0
        cur, cur_cyc, cur_adv = [], [], []
        tau = 0
        for cyc in range(max_cycles):
            allowed = len(tr.results) + 1 if isolated else len(beats)
            sv = si < min(allowed, len(beats)) and rng.random() >= gap
            if sv:
                ctx.set(dut.start.payload.as_value(), beats[si].k_minus_1)
            ctx.set(dut.start.valid, sv)
            av = a_t < si and rng.random() >= gap
            if av:
                ctx.set(dut.a.payload.as_value(), pack_a(beats[a_t].a[a_k], p.act_bits))
            ctx.set(dut.a.valid, av)
            wv = w_t < si and rng.random() >= gap
            if wv:
                ctx.set(dut.w.payload.as_value(), pack(beats[w_t].w[w_k], p.group_size))
            ctx.set(dut.w.valid, wv)
            cr = rng.random() >= stall
            ctx.set(dut.c.ready, cr)
            if sv and ctx.get(dut.start.ready):
                tr.start_cycle.append(cyc)
                tr.a_cycle.append([])
                si += 1
            if av and ctx.get(dut.a.ready):
                tr.a_cycle[a_t].append(cyc)
                a_k += 1
                if a_k == len(beats[a_t].a):
                    a_t, a_k = a_t + 1, 0
            if wv and ctx.get(dut.w.ready):
                w_k += 1
                if w_k == len(beats[w_t].w):
                    tr.w_last_adv.append(tau)
                    tr.w_last_cycle.append(cyc)
                    w_t, w_k = w_t + 1, 0
            cv = ctx.get(dut.c.valid)
            tr.done_pulses += ctx.get(dut.done)
            if cv and cr:
                word = ctx.get(dut.c.payload.as_value())
                cur.append(unpack(word, p.acc_bits, p.tile_n, True))
                cur_cyc.append(cyc)
                cur_adv.append(tau)
                last = (word >> (p.acc_bits * p.tile_n)) & 1
                assert last == (len(cur) == p.tile_m)
                if last:
                    tr.results.append(np.array(cur, dtype=np.int64))
                    tr.row_cycle.append(cur_cyc)
                    tr.row_adv.append(cur_adv)
                    cur, cur_cyc, cur_adv = [], [], []
            if not (cv and not cr):
                tau += 1
            await ctx.tick()
            if len(tr.results) == len(beats):
                tr.busy_after = bool(ctx.get(dut.busy))
                return
        raise AssertionError(f"timeout: {len(tr.results)} of {len(beats)} tiles")

    sim.add_testbench(bench)
    sim.run()
    return tr


def random_tiles(p: LutCoreParams, n: int, seed: int, kmax: int = 20):
    rng = np.random.default_rng(seed)
    lo, hi = -(1 << (p.act_bits - 1)), 1 << (p.act_bits - 1)
    out = []
    for _ in range(n):
        kd = int(rng.integers(1, min(kmax, p.max_k) + 1))
        out.append(
            (
                rng.integers(lo, hi, (p.tile_m, kd)),
                rng.integers(0, 1 << p.weight_bits, (kd, p.tile_n)),
            )
        )
    return out


CONFIGS = {
    "k4-w2-sym": LutCoreParams(
        group_size=4, weight_bits=2, act_bits=8, tile_m=2, tile_n=3, max_k=64
    ),
    "k3-w3-full-bip": LutCoreParams(
        group_size=3,
        weight_bits=3,
        act_bits=6,
        tile_m=3,
        tile_n=2,
        symmetric=False,
        bias_correction=False,
        max_k=40,
    ),
    "k2-w1-hw-m1": LutCoreParams(
        group_size=2, weight_bits=1, act_bits=4, tile_m=1, tile_n=4, negation="hardware", max_k=16
    ),
    "k4-w1-m5-bip": LutCoreParams(
        group_size=4,
        weight_bits=1,
        act_bits=8,
        tile_m=5,
        tile_n=2,
        bias_correction=False,
        max_k=24,
    ),
    "k5-w4-m4-wrap": LutCoreParams(
        group_size=5, weight_bits=4, act_bits=16, tile_m=4, tile_n=2, max_k=30, acc_bits=12
    ),
    # one column, two or more rows: the split drain (its borrow crosses the halves; wraps)
    "k2-w2-m3x1-wrap": LutCoreParams(
        group_size=2, weight_bits=2, act_bits=7, tile_m=3, tile_n=1, max_k=20, acc_bits=7
    ),
    "k3-w3-m2x1-bip": LutCoreParams(
        group_size=3,
        weight_bits=3,
        act_bits=5,
        tile_m=2,
        tile_n=1,
        symmetric=False,
        bias_correction=False,
        max_k=16,
    ),
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_back_to_back_exact(name):
    p = CONFIGS[name]
    tiles = random_tiles(p, 10, seed=1)
    tr = run_tiles(p, tiles)
    for (a, q), got in zip(tiles, tr.results, strict=True):
        assert (got == golden(p, a, q)).all()
    sched = full_rate_schedule(
        p.group_size, p.weight_bits, p.tile_m, p.tile_n, [a.shape[1] for a, _ in tiles]
    )
    t0 = tr.start_cycle[0]
    assert [c - t0 for c in tr.start_cycle] == [s["start"] for s in sched]
    assert [[c - t0 for c in cs] for cs in tr.a_cycle] == [s["a_at"] for s in sched]
    assert [c - t0 for c in tr.w_last_cycle] == [s["w_last"] for s in sched]
    assert [[c - t0 for c in cs] for cs in tr.row_cycle] == [s["rows_at"] for s in sched]
    assert tr.done_pulses == len(tiles) and not tr.busy_after


@pytest.mark.parametrize("name", ["k4-w2-sym", "k2-w1-hw-m1", "k2-w2-m3x1-wrap"])
def test_isolated_tile_cycles(name):
    p = CONFIGS[name]
    tiles = random_tiles(p, 5, seed=2)
    tr = run_tiles(p, tiles, isolated=True)
    for (a, q), got, s, rows in zip(tiles, tr.results, tr.start_cycle, tr.row_cycle, strict=True):
        assert (got == golden(p, a, q)).all()
        kd = a.shape[1]
        assert rows[-1] - s + 1 == tile_cycles(p.group_size, p.weight_bits, p.tile_m, p.tile_n, kd)
        # the stated constant: one column and two or more rows drain through two stages
        groups = -(-kd // p.group_size)
        split = 1 if p.tile_n == 1 and p.tile_m >= 2 else 0
        assert rows[-1] - s + 1 == groups * p.weight_bits + p.tile_m + 4 + split


@pytest.mark.parametrize("name", list(CONFIGS))
def test_random_stalls(name):
    p = CONFIGS[name]
    tiles = random_tiles(p, 8, seed=3)
    tr = run_tiles(p, tiles, gap=0.3, stall=0.4, seed=5)
    for (a, q), got in zip(tiles, tr.results, strict=True):
        assert (got == golden(p, a, q)).all()
    assert tr.row_adv == output_times(p.tile_m, p.tile_n, tr.w_last_adv)
    assert all(
        b - a >= p.tile_m for a, b in zip(tr.w_last_adv[:-1], tr.w_last_adv[1:], strict=True)
    )


def test_layer_cycles_on_rtl():
    """A whole small GEMM streamed tile by tile takes exactly layer_cycles."""
    p = CONFIGS["k4-w2-sym"]
    rng = np.random.default_rng(9)
    mm, nn, kd = 5, 7, 13
    a = rng.integers(-128, 128, (mm, kd))
    q = rng.integers(0, 4, (kd, nn))
    ap = np.zeros((-(-mm // p.tile_m) * p.tile_m, kd), dtype=np.int64)
    ap[:mm] = a
    qp = np.zeros((kd, -(-nn // p.tile_n) * p.tile_n), dtype=np.int64)
    qp[:, :nn] = q
    tiles = [
        (ap[i : i + p.tile_m], qp[:, j : j + p.tile_n])
        for i in range(0, ap.shape[0], p.tile_m)
        for j in range(0, qp.shape[1], p.tile_n)
    ]
    tr = run_tiles(p, tiles)
    c = np.zeros((ap.shape[0], qp.shape[1]), dtype=np.int64)
    for (i, j), got in zip(
        [(i, j) for i in range(0, ap.shape[0], p.tile_m) for j in range(0, qp.shape[1], p.tile_n)],
        tr.results,
        strict=True,
    ):
        c[i : i + p.tile_m, j : j + p.tile_n] = got
    assert (c[:mm, :nn] == a @ (q - 2)).all()
    cycles = tr.row_cycle[-1][-1] - tr.start_cycle[0] + 1
    assert cycles == layer_cycles(p.group_size, p.weight_bits, p.tile_m, p.tile_n, mm, nn, kd)


def test_symmetric_full_and_negation_variants_agree():
    """§1.4: symmetric on/off (and both negation variants) give identical results on the RTL."""
    base = dict(group_size=3, weight_bits=2, act_bits=8, tile_m=2, tile_n=3, max_k=30)
    variants = [
        LutCoreParams(**base),
        LutCoreParams(**base, negation="hardware"),
        LutCoreParams(**base, symmetric=False),
    ]
    tiles = random_tiles(variants[0], 6, seed=4)
    outs = [run_tiles(p, tiles).results for p in variants]
    for got in outs[1:]:
        assert all((x == y).all() for x, y in zip(outs[0], got, strict=True))
    assert all((x == a @ (q - 2)).all() for x, (a, q) in zip(outs[0], tiles, strict=True))


def test_precompute_adder_count_matches_the_netlist():
    """The cost model's adder count equals the $add/$sub/$neg cells Amaranth emits."""
    import re

    from amaranth.back import rtlil
    from amaranth.hdl import Module, Signal, signed

    from accelsmith.hdl.blocks.lut_table import precompute, precompute_adders

    for k in (2, 3, 4, 6):
        for sym in (True, False):
            m = Module()
            acts = [Signal(signed(8), name=f"a{i}") for i in range(k)]
            entries = precompute(m, acts, sym, 12, "t")
            outs = [Signal(signed(12), name=f"o{i}") for i in range(len(entries))]
            m.d.comb += [o.eq(e) for o, e in zip(outs, entries, strict=True)]
            text = rtlil.convert(m, ports=[*acts, *outs])
            cells = re.findall(r"cell \$(?:add|sub|neg) ", text)
            assert len(entries) == 1 << (k - sym)
            assert len(cells) == precompute_adders(k, sym), (k, sym)
