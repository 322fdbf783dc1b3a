"""The MAC dot-product unit on Amaranth's simulator: bit-exact against its golden model."""

from __future__ import annotations

import random

import numpy as np
import pytest
from amaranth.sim import Simulator

from accelsmith.core.dpunit import DpUnitParams
from accelsmith.core.errors import ConfigError
from accelsmith.hdl.dpunit import build
from accelsmith.sim.golden.dpunit import golden, random_beats


def run(p: DpUnitParams, a, w, first, last, *, gap=0.0, stall=0.0, seed=0):
    """Drive the beats (random input gaps, random output stalls); results and their cycles,
    and the cycle of every input beat's transfer."""
    rng = random.Random(seed)
    dut = build(p)
    got, out_cyc, in_cyc = [], [], []
    sim = Simulator(dut)
    sim.add_clock(1e-6)

    async def bench(ctx):
        i = 0
        for cyc in range(20 * len(a) + 50):
            valid = i < len(a) and rng.random() >= gap
            if valid:
                for k in range(p.length):
                    ctx.set(dut.inp.payload.a[k], int(a[i][k]))
                    ctx.set(dut.inp.payload.w[k], int(w[i][k]))
                ctx.set(dut.inp.payload.first, bool(first[i]))
                ctx.set(dut.inp.payload.last, bool(last[i]))
            ctx.set(dut.inp.valid, valid)
            ready = rng.random() >= stall
            ctx.set(dut.out.ready, ready)
            await ctx.delay(1e-7)  # settle before sampling the handshakes
            if valid and ctx.get(dut.inp.ready):
                in_cyc.append(cyc)
                i += 1
            if ctx.get(dut.out.valid) and ready:
                got.append(ctx.get(dut.out.payload))
                out_cyc.append(cyc)
            await ctx.tick()
            if len(got) == int(np.sum(last)) and i == len(a):
                break

    sim.add_testbench(bench)
    sim.run()
    return np.array(got, dtype=np.int64), out_cyc, in_cyc


@pytest.mark.parametrize(
    ("length", "wb", "ab", "acc"),
    [(4, 4, 8, None), (4, 1, 8, None), (3, 8, 4, None), (4, 2, 8, 10), (8, 8, 8, None)],
)
def test_bit_exact_with_stalls(length: int, wb: int, ab: int, acc: int | None) -> None:
    p = DpUnitParams(length=length, weight_bits=wb, act_bits=ab, acc_bits=acc, max_k=64)
    a, w, first, last = random_beats(p, 12, np.random.default_rng(length * 100 + wb))
    # extreme operands too: every element at the most negative value (largest product)
    a[0, :] = -(1 << (ab - 1))
    w[0, :] = -(1 << (wb - 1))
    want = golden(p, a, w, first, last)
    got, _, _ = run(p, a, w, first, last, gap=0.3, stall=0.4, seed=length)
    assert got.tolist() == want.tolist()


def test_wraps_to_acc_bits() -> None:
    """A narrow accumulator wraps modulo 2**acc_bits, as the golden model says."""
    p = DpUnitParams(length=2, weight_bits=8, act_bits=8, acc_bits=8)
    a = np.array([[100, 100]] * 3)
    w = np.array([[100, 100]] * 3)
    first, last = np.array([1, 0, 0], bool), np.array([0, 0, 1], bool)
    want = golden(p, a, w, first, last)
    assert want.tolist() == [(60000 + 128) % 256 - 128]
    got, _, _ = run(p, a, w, first, last)
    assert got.tolist() == want.tolist()


def test_latency_and_rate() -> None:
    """Without stalls one beat per cycle goes in and a result leaves 2 cycles after its
    last beat."""
    p = DpUnitParams(length=4, weight_bits=4, act_bits=8)
    a, w, first, last = random_beats(p, 10, np.random.default_rng(7))
    got, out_cyc, in_cyc = run(p, a, w, first, last)
    assert in_cyc == list(range(len(a)))
    assert out_cyc == [in_cyc[i] + 2 for i in np.flatnonzero(last)]
    assert got.tolist() == golden(p, a, w, first, last).tolist()


def test_golden_is_not_vacuous() -> None:
    """The golden model's segmentation: sums restart at `first`, end at `last`."""
    p = DpUnitParams(length=1, weight_bits=4, act_bits=4)
    a = np.array([[1], [2], [3], [4]])
    w = np.array([[1], [1], [2], [-1]])
    assert golden(p, a, w, [1, 0, 1, 0], [0, 1, 0, 1]).tolist() == [3, 2]
    # without a new `first` the next sum continues from the previous one: 1 + (2 + 6 - 4)
    assert golden(p, a, w, [1, 0, 0, 0], [1, 0, 0, 1]).tolist() == [1, 5]
    got, _, _ = run(p, a, w, [1, 0, 0, 0], [1, 0, 0, 1])
    assert got.tolist() == [1, 5]


@pytest.mark.parametrize(
    ("kw", "msg"),
    [
        ({"length": 0}, "length must be"),
        ({"weight_bits": 17}, "weight_bits must be"),
        ({"act_bits": 1}, "act_bits must be"),
        ({"acc_bits": 99}, "acc_bits must be"),
    ],
)
def test_params_refused(kw: dict, msg: str) -> None:
    with pytest.raises(ConfigError, match=msg):
        DpUnitParams(**kw)


def test_exact_width_matches_lut_core() -> None:
    """Same operands, same max_k: the same exact result width as the LUT core."""
    from accelsmith.core.families.lut_core import LutCoreParams

    for wb, ab in ((1, 8), (2, 4), (4, 8)):
        d = DpUnitParams(weight_bits=wb, act_bits=ab, max_k=4096)
        lc = LutCoreParams(weight_bits=wb, act_bits=ab, max_k=4096)
        assert d.acc_bits == lc.acc_bits
