"""Fast tier: the floating-point blocks of the PIM lanes against numpy, bit for bit."""

import numpy as np
import pytest
from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

from accelsmith.hdl.blocks.pim_fp import BF16, FP16, FP32, fp_add, fp_convert, fp_mul
from accelsmith.sim.golden.pim import bf16_bits, bf16_to_f32, bits_to_f32, f32_bits, fp16_bits


class _Unit(wiring.Component):
    def __init__(self, op, fa, fb, fo):
        self.op, self.fa, self.fb, self.fo = op, fa, fb, fo
        super().__init__({"a": In(fa.width), "b": In(fb.width), "y": Out(fo.width)})

    def elaborate(self, platform):
        m = Module()
        if self.op == "mul":
            y = fp_mul(m, self.a, self.fa, self.b, self.fb, self.fo)
        elif self.op == "add":
            y = fp_add(m, self.a, self.b, self.fa)
        else:
            y = fp_convert(m, self.a, self.fa, self.fo)
        m.d.comb += self.y.eq(y)
        # keep a sync domain so the simulator has a clock to tick
        dummy = Signal()
        m.d.sync += dummy.eq(~dummy)
        return m


def _eval(unit, pairs):
    out = []
    sim = Simulator(unit)

    async def bench(ctx):
        for a, b in pairs:
            ctx.set(unit.a, int(a))
            ctx.set(unit.b, int(b))
            out.append(ctx.get(unit.y))

    sim.add_testbench(bench)
    sim.run()
    return np.array(out, dtype=np.uint64)


def _specials16(fp16: bool):
    if fp16:
        vals = [0x0000, 0x8000, 0x0001, 0x8001, 0x03FF, 0x0400, 0x3C00, 0xBC00, 0x7BFF, 0xFBFF]
        vals += [0x7C00, 0xFC00, 0x7E00, 0x3C01, 0x3BFF, 0x0200, 0x5BFF, 0x2400]
    else:
        vals = [0x0000, 0x8000, 0x0001, 0x007F, 0x0080, 0x3F80, 0xBF80, 0x7F7F, 0xFF7F]
        vals += [0x7F80, 0xFF80, 0x7FC0, 0x3F81, 0x0040, 0x1F80, 0x5F80]
    return vals


def _pairs16(fp16: bool, n: int, seed: int):
    rng = np.random.default_rng(seed)
    sp = _specials16(fp16)
    pairs = [(a, b) for a in sp for b in sp]
    rand = rng.integers(0, 1 << 16, (n, 2))
    near = rng.integers(0x3800, 0x4400, (n, 2)) if fp16 else rng.integers(0x3E00, 0x4100, (n, 2))
    return pairs + [tuple(r) for r in rand] + [tuple(r) for r in near]


def _fp16_ref(op, a, b):
    av = np.array(a, dtype=np.uint16).view(np.float16)
    bv = np.array(b, dtype=np.uint16).view(np.float16)
    with np.errstate(all="ignore"):
        r = (av * bv) if op == "mul" else (av + bv)
    return fp16_bits(r.astype(np.float16)).astype(np.uint64)


@pytest.mark.parametrize("op", ["mul", "add"])
def test_fp16_exact(op):
    pairs = _pairs16(True, 300, 1 if op == "mul" else 2)
    a, b = np.array(pairs).T
    got = _eval(_Unit(op, FP16, FP16, FP16), pairs)
    want = _fp16_ref(op, a, b)
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, [(hex(a[i]), hex(b[i]), hex(got[i]), hex(want[i])) for i in bad[:5]]


def test_bf16_product_into_fp32_exact():
    pairs = _pairs16(False, 300, 3)
    a, b = np.array(pairs).T
    got = _eval(_Unit("mul", BF16, BF16, FP32), pairs)
    with np.errstate(all="ignore"):
        ref = (bf16_to_f32(a).astype(np.float64) * bf16_to_f32(b).astype(np.float64)).astype(
            np.float32
        )
    want = f32_bits(ref).astype(np.uint64)
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, [(hex(a[i]), hex(b[i]), hex(got[i]), hex(want[i])) for i in bad[:5]]


def test_fp32_add_exact():
    rng = np.random.default_rng(4)
    sp = [0, 0x80000000, 1, 0x007FFFFF, 0x00800000, 0x3F800000, 0xBF800000, 0x7F7FFFFF]
    sp += [0x7F800000, 0xFF800000, 0x7FC00000, 0x3F800001, 0xBF7FFFFF, 0x33800000]
    pairs = [(a, b) for a in sp for b in sp]
    pairs += [tuple(r) for r in rng.integers(0, 1 << 32, (250, 2), dtype=np.uint64)]
    close = rng.integers(0x3F000000, 0x40800000, (250, 2), dtype=np.uint64)
    close[:, 1] |= np.uint64(0x80000000)  # opposite signs: cancellation
    pairs += [tuple(r) for r in close]
    a, b = np.array(pairs, dtype=np.uint64).T
    got = _eval(_Unit("add", FP32, FP32, FP32), pairs)
    with np.errstate(all="ignore"):
        ref = bits_to_f32(a.astype(np.uint32)) + bits_to_f32(b.astype(np.uint32))
    want = f32_bits(ref).astype(np.uint64)
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, [(hex(a[i]), hex(b[i]), hex(got[i]), hex(want[i])) for i in bad[:5]]


def test_fp32_to_bf16_rne():
    rng = np.random.default_rng(5)
    vals = [0x3F808000, 0x3F818000, 0x3F807FFF, 0x7F7FFFFF, 0x7F7F8000, 0x80000001, 0x00008000]
    vals += [0x7FC00000, 0xFF800000, 0x3F800000, *rng.integers(0, 1 << 32, 300)]
    pairs = [(v, 0) for v in vals]
    got = _eval(_Unit("cvt", FP32, FP32, BF16), pairs)
    want = bf16_bits(bits_to_f32(np.array(vals, dtype=np.uint32))).astype(np.uint64)
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, [(hex(vals[i]), hex(got[i]), hex(want[i])) for i in bad[:5]]
