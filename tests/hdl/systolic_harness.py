"""Cycle-level driver/monitor for the systolic array on Amaranth's simulator (fast tier)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
from amaranth.sim import Simulator

from accelsmith.core.families.systolic import SystolicParams
from accelsmith.hdl.systolic import build
from accelsmith.sim.benches.systolic_io import pack, tile_beats, unpack


@dataclass
class Trace:
    results: list[np.ndarray] = field(default_factory=list)
    start_cycle: list[int] = field(default_factory=list)
    done_cycle: list[int] = field(default_factory=list)
    row_cycle: list[list[int]] = field(default_factory=list)
    row_adv: list[list[int]] = field(default_factory=list)
    a_adv: list[list[int]] = field(default_factory=list)
    done_pulses: int = 0
    busy_when_idle: bool = False


def run_tiles(
    params: SystolicParams,
    tiles,
    *,
    gap: float = 0.0,
    stall: float = 0.0,
    seed: int = 0,
    max_cycles: int = 200_000,
) -> Trace:
    """Stream ``tiles`` (list of (A, B)) through the array; record results and timings."""
    rng = random.Random(seed)
    dut = build(params)
    beats = [tile_beats(params, a, b) for a, b in tiles]
    rows, cols, acc = params.rows, params.cols, params.acc_bits
    tr = Trace()
    sim = Simulator(dut)
    sim.add_clock(1e-6)

    async def bench(ctx):
        si = 0  # next tile index for start; beat cursors are (tile, beat)
        a_t = a_k = b_t = b_k = 0
        cur_rows: list[list[int]] = []
        cur_cyc: list[int] = []
        cur_adv: list[int] = []
        tau = 0
        for cyc in range(max_cycles):
            s_valid = si < len(beats) and rng.random() >= gap
            if s_valid:
                ctx.set(dut.start.payload.as_value(), beats[si].k_minus_1)
            ctx.set(dut.start.valid, s_valid)
            a_valid = a_t < len(beats) and rng.random() >= gap
            if a_valid:
                ctx.set(dut.a.payload.as_value(), pack(beats[a_t].a[a_k], params.in_bits))
            ctx.set(dut.a.valid, a_valid)
            b_valid = b_t < len(beats) and rng.random() >= gap
            if b_valid:
                ctx.set(dut.b.payload.as_value(), pack(beats[b_t].b[b_k], params.in_bits))
            ctx.set(dut.b.valid, b_valid)
            c_ready = rng.random() >= stall
            ctx.set(dut.c.ready, c_ready)
            # sample settled handshakes
            if s_valid and ctx.get(dut.start.ready):
                tr.start_cycle.append(cyc)
                si += 1
            if a_valid and ctx.get(dut.a.ready):
                if a_k == 0:
                    tr.a_adv.append([])
                tr.a_adv[a_t].append(tau)
                a_k += 1
                if a_k == len(beats[a_t].a):
                    a_t, a_k = a_t + 1, 0
            if b_valid and ctx.get(dut.b.ready):
                b_k += 1
                if b_k == len(beats[b_t].b):
                    b_t, b_k = b_t + 1, 0
            c_valid = ctx.get(dut.c.valid)
            if ctx.get(dut.done):
                tr.done_pulses += 1
            if c_valid and c_ready:
                word = ctx.get(dut.c.payload.as_value())
                cur_rows.append(unpack(word, acc, cols, params.signed))
                cur_cyc.append(cyc)
                cur_adv.append(tau)
                last = (word >> (acc * cols)) & 1
                if len(cur_rows) == rows:
                    assert last, "last flag missing on the final row"
                    tr.results.append(np.array(cur_rows, dtype=object))
                    tr.done_cycle.append(cyc)
                    tr.row_cycle.append(cur_cyc)
                    tr.row_adv.append(cur_adv)
                    cur_rows, cur_cyc, cur_adv = [], [], []
                else:
                    assert not last, "last flag before the final row"
            if not (c_valid and not c_ready):
                tau += 1
            if len(tr.results) == len(beats):
                await ctx.tick()
                tr.busy_when_idle = bool(ctx.get(dut.busy))
                return
            await ctx.tick()
        raise AssertionError(f"timeout: {len(tr.results)} of {len(beats)} tiles after {max_cycles}")

    sim.add_testbench(bench)
    sim.run()
    return tr
