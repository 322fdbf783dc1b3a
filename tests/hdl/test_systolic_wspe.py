"""The weight-stationary PE alone: its multiplier reads the current-weight register ``wcur``,
which must equal ``w[sel]`` in every cycle (stalls and same-cycle weight writes included)."""

import numpy as np
import pytest
from amaranth.hdl import signed, unsigned
from amaranth.sim import Simulator

from accelsmith.hdl.systolic_pe import WsPE


def _run(elem, acc, cycles: int, seed: int) -> int:
    """Drive one PE with random advances, weight writes, flags and operands; check every
    registered output against a reference of the PE's specification; return the number of
    advancing cycles checked."""
    dut = WsPE(elem, acc)
    rng = np.random.default_rng(seed)
    lo, hi = (
        (-(1 << (elem.width - 1)), (1 << (elem.width - 1)) - 1)
        if elem.signed
        else (
            0,
            (1 << elem.width) - 1,
        )
    )
    # the flag of each successive activation: sel is flags[k], its next value flags[k + 1]
    flags = rng.integers(0, 2, cycles + 2)
    checked = 0

    async def bench(ctx):
        nonlocal checked
        w = [0, 0]
        ps_out = 0
        k = 0
        for _ in range(cycles):
            en = int(rng.random() < 0.7)
            load, slot = int(rng.random() < 0.4), int(rng.integers(0, 2))
            w_in, a_in = int(rng.integers(lo, hi + 1)), int(rng.integers(lo, hi + 1))
            ps_in = int(rng.integers(-50, 50)) if acc.signed else int(rng.integers(0, 100))
            for port, v in (
                (dut.en, en),
                (dut.w_load, load),
                (dut.w_slot, slot),
                (dut.w_in, w_in),
                (dut.a_in, a_in),
                (dut.ps_in, ps_in),
                (dut.sel, int(flags[k])),
                (dut.sel_nx, int(flags[k + 1])),
            ):
                ctx.set(port, v)
            await ctx.tick()
            if en:
                # the product uses the weights before this edge, selected by this cycle's flag
                ps_out = ps_in + a_in * w[int(flags[k])]
                if load:
                    w[slot] = w_in
                k += 1
                checked += 1
            assert ctx.get(dut.ps_out) == ps_out, (k, en, load)

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return checked


@pytest.mark.parametrize("elem", [signed(4), unsigned(3)], ids=["s4", "u3"])
def test_current_weight_register_follows_the_flag_through_stalls_and_writes(elem):
    acc = signed(16) if elem.signed else unsigned(16)
    assert _run(elem, acc, cycles=400, seed=7) > 200


def test_sel_nx_out_is_the_next_flag_held_on_a_zero_activation():
    """``sel_nx_out`` is what ``sel_out`` holds after the next advance (the right neighbour's
    ``sel_nx``): ``sel`` for a non-zero activation, the held flag for a zero one."""
    dut = WsPE(unsigned(3), unsigned(8))

    async def bench(ctx):
        ctx.set(dut.en, 1)
        for a_in, sel in ((5, 1), (0, 0), (0, 0), (2, 0), (0, 1), (7, 1)):
            ctx.set(dut.a_in, a_in)
            ctx.set(dut.sel, sel)
            nxt = ctx.get(dut.sel_nx_out)
            assert nxt == (sel if a_in else ctx.get(dut.sel_out)), (a_in, sel)
            await ctx.tick()
            assert ctx.get(dut.sel_out) == nxt

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
