"""SIMD gateware blocks in Amaranth's simulator against the numpy golden formats.

Decoders: every code of every <= 8-bit format, and 6,000 codes of posit(16,1) including all
specials (the cocotb tier covers all 65,536 posit16 codes through the engine). Rounder and
adder: random and edge operands against exact integer arithmetic.
"""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator

from accelsmith.core.numformats import FORMATS
from accelsmith.core.numformats import codec as F
from accelsmith.hdl.blocks.formats import make_decoder
from accelsmith.hdl.blocks.minifloat import FP32_NAN, Fp32Add, Fp32Round
from accelsmith.hdl.blocks.submul import SubwordMultiplier


def _run(dut, bench) -> None:
    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_decoder_matches_golden(name: str) -> None:
    fmt = FORMATS[name]
    codes = np.arange(1 << fmt.bits)
    if fmt.bits > 8:
        rng = np.random.default_rng(0)
        edge = [0, 1, 2, 3, 0x7FFE, 0x7FFF, 0x8000, 0x8001, 0xFFFF, 0x4000, 0xC000]
        codes = np.unique(np.concatenate([edge, rng.integers(0, 1 << fmt.bits, 6000)]))
    ref = F.decode(name, codes)
    dut = make_decoder(fmt)
    bad = []

    async def bench(ctx):
        for i, c in enumerate(codes.tolist()):
            ctx.set(dut.code, c)
            nan, inf, zero = ctx.get(dut.nan), ctx.get(dut.inf), ctx.get(dut.zero)
            sign = ctx.get(dut.sign)
            ok = (nan, inf, zero) == (ref["nan"][i], ref["inf"][i], ref["zero"][i])
            if ok and not (nan or inf or zero):
                v = ctx.get(dut.sig) * 2.0 ** ctx.get(dut.exp) * (-1) ** sign
                ok = v == ref["value"][i]
            elif ok and (zero or inf):
                ok = sign == ref["sign"][i]
            if not ok:
                bad.append(c)

    _run(dut, bench)
    assert not bad, [hex(b) for b in bad[:8]]


def _rand_cases(rng, n):
    out = []
    for _ in range(n):
        width = 40
        mag = int(rng.integers(0, 1 << int(rng.integers(1, width))))
        exp = int(rng.integers(-200, 100))
        out.append((int(rng.integers(0, 2)), mag, exp))
    out += [
        (0, 1, -149),
        (0, 1, -150),
        (0, 3, -150),
        (1, (1 << 24) - 1, 104),
        (0, 1, 127),
        (0, (1 << 24) - 1, 104 - 1),
        (0, 0xFFFFFF8, 100),
        (0, 0, 3),
        (1, 0, 3),
    ]
    return out


def test_fp32_round_matches_exact_rounding() -> None:
    dut = Fp32Round(40, 10)
    cases = _rand_cases(np.random.default_rng(1), 1500)
    bad = []

    async def bench(ctx):
        for s, mag, exp in cases:
            exp = max(min(exp, 511), -512)
            ctx.set(dut.sign, s)
            ctx.set(dut.mag, mag)
            ctx.set(dut.exp_lsb, exp)
            want = F.round_to_float_bits(s, mag, exp)
            if ctx.get(dut.result) != want:
                bad.append((s, mag, exp, hex(ctx.get(dut.result)), hex(want)))

    _run(dut, bench)
    assert not bad, bad[:5]


def _fp32_add_ref(acc: int, s: int, sig: int, exp: int) -> int:
    """Exact reference: decode acc, add exactly with Python integers, round once."""
    sa, ea, ma = acc >> 31, (acc >> 23) & 0xFF, acc & 0x7FFFFF
    a_sig = ma | (1 << 23) if ea else ma
    a_exp = (ea if ea else 1) - 150
    lo = min(a_exp, exp)
    total = (-1) ** sa * (a_sig << (a_exp - lo)) + (-1) ** s * (sig << (exp - lo))
    if total == 0:
        return (sa & s) << 31 if a_sig == 0 and sig == 0 else 0
    return F.round_to_float_bits(int(total < 0), abs(total), lo)


def test_fp32_add_matches_exact_sum() -> None:
    dut = Fp32Add(26, 9)
    rng = np.random.default_rng(2)
    cases = []
    for _ in range(1500):
        acc = int(rng.integers(0, 1 << 32)) & 0xFFFFFFFF
        if (acc >> 23) & 0xFF == 0xFF:
            acc &= 0x807FFFFF  # finite accumulators here; specials below
        if rng.random() < 0.3:  # accumulators near the product's scale: cancellation
            acc = int(
                np.array([rng.normal() * 2.0 ** rng.integers(-20, 20)], np.float32).view(np.uint32)[
                    0
                ]
            )
        sig = int(rng.integers(0, 1 << int(rng.integers(1, 27))))
        exp = int(rng.integers(-100, 60))
        cases.append((acc, int(rng.integers(0, 2)), sig, exp))
    # exact cancellation, zeros of both signs, subnormal accumulators
    cases += [
        (0x3F800000, 1, 1, 0),
        (0x80000000, 1, 0, 0),
        (0x80000000, 0, 0, 0),
        (0x00000001, 1, 1, -149),
        (0x00000003, 0, 1, -150),
        (0x7F7FFFFF, 0, 1, 104),
    ]
    bad = []

    async def bench(ctx):
        for acc, s, sig, exp in cases:
            for port, v in (
                (dut.acc, acc),
                (dut.sign, s),
                (dut.sig, sig),
                (dut.exp, exp),
                (dut.zero, int(sig == 0)),
                (dut.nan, 0),
                (dut.inf, 0),
            ):
                ctx.set(port, v)
            want = _fp32_add_ref(acc, s, sig, exp)
            if ctx.get(dut.result) != want:
                bad.append((hex(acc), s, sig, exp, hex(ctx.get(dut.result)), hex(want)))
        # specials: NaN, Inf - Inf, Inf + finite
        for acc, s, inf, nan, want in [
            (0x7F800000, 1, 1, 0, FP32_NAN),
            (0x7FC00001, 0, 0, 0, FP32_NAN),
            (0x3F800000, 1, 1, 0, 0xFF800000),
            (0xFF800000, 1, 0, 0, 0xFF800000),
            (0x3F800000, 0, 0, 1, FP32_NAN),
        ]:
            for port, v in (
                (dut.acc, acc),
                (dut.sign, s),
                (dut.sig, 0),
                (dut.exp, 0),
                (dut.zero, 0),
                (dut.nan, nan),
                (dut.inf, inf),
            ):
                ctx.set(port, v)
            if ctx.get(dut.result) != want:
                bad.append(("special", hex(acc), hex(ctx.get(dut.result)), hex(want)))

    _run(dut, bench)
    assert not bad, bad[:5]


def test_subword_multiplier_has_no_cross_lane_carries() -> None:
    dut = SubwordMultiplier(16, (16, 8, 4))
    assert dut.sub_multipliers == 16
    rng = np.random.default_rng(3)
    words = [(0xFFFF, 0xFFFF), (0, 0), (0x0F0F, 0xF0F0)] + [
        tuple(int(x) for x in rng.integers(0, 1 << 16, 2)) for _ in range(300)
    ]
    bad = []

    async def bench(ctx):
        for a, b in words:
            ctx.set(dut.a, a)
            ctx.set(dut.b, b)
            for w in (16, 8, 4):
                got = ctx.get(getattr(dut, f"p{w}"))
                for s in range(16 // w):
                    mask = (1 << w) - 1
                    want = ((a >> (s * w)) & mask) * ((b >> (s * w)) & mask)
                    if got[s] != want:
                        bad.append((hex(a), hex(b), w, s))

    _run(dut, bench)
    assert not bad, bad[:5]


def test_operand_isolation_keeps_products_and_silences_idle_sub_multipliers() -> None:
    dut = SubwordMultiplier(16, (16, 8, 4), isolate=True)
    assert dut.isolated_sub_multipliers == 12  # only the 4 diagonal ones serve every width
    rng = np.random.default_rng(4)
    words = [tuple(int(x) for x in rng.integers(0, 1 << 16, 2)) for _ in range(200)]
    bad = []

    async def bench(ctx):
        for a, b in words:
            ctx.set(dut.a, a)
            ctx.set(dut.b, b)
            for k, w in enumerate((16, 8, 4)):
                ctx.set(dut.sel, 1 << k)
                got = ctx.get(getattr(dut, f"p{w}"))
                mask = (1 << w) - 1
                for s in range(16 // w):
                    if got[s] != ((a >> (s * w)) & mask) * ((b >> (s * w)) & mask):
                        bad.append((hex(a), hex(b), w, s))
            ctx.set(dut.sel, 0b100)  # 4-bit mode: the cross-nibble sub-multipliers see zeros
            for (i, j), pp in dut.partial_products.items():
                if i != j and ctx.get(pp):
                    bad.append(("pp", i, j))

    _run(dut, bench)
    assert not bad, bad[:5]


def test_subword_multiplier_rejects_bad_widths() -> None:
    with pytest.raises(ValueError, match="widths must be multiples of 4"):
        SubwordMultiplier(16, (6,))


@pytest.mark.parametrize(("n", "es"), [(16, 1), (8, 0), (4, 1)])
def test_posit_encoder_matches_exact_rne(n: int, es: int) -> None:
    from accelsmith.hdl.blocks.posit import PositEncoder

    name = {16: "posit16_1", 8: "posit8_0", 4: "posit4_1"}[n]
    dut = PositEncoder(40, 10, n, es)
    rng = np.random.default_rng(12)
    cases = [(0, 0, 0), (1, 0, 0), (0, 1, 0), (1, 3, -1), (0, 1, -200), (1, 1, 200)]
    # every code's value and every tie point, and their neighbours
    codes, _, ties, _ = F._lattice(name)
    points = np.concatenate([F.values(name, codes), ties])
    if len(points) > 4000:  # posit16: every regime boundary and a random 4000 others
        points = np.concatenate([points[:64], points[-64:], rng.choice(points, 4000)])
    for v in points.tolist():
        mant, ex = np.frexp(v)
        sig, exp = int(np.ldexp(mant, 53)), int(ex) - 53
        for d in (-1, 0, 1):
            cases.append((int(rng.integers(0, 2)), sig + d, exp))
    for _ in range(1500):
        bits = int(rng.integers(1, 40))
        cases.append((int(rng.integers(0, 2)), int(rng.integers(1, 1 << bits)),
                      int(rng.integers(-60, 40))))  # fmt: skip
    bad = []

    async def bench(ctx):
        for s, sig, exp in cases:
            while sig >= 1 << 40:  # keep within the 40-bit port (exactly: drop zero bits only)
                if sig & 1:
                    break
                sig, exp = sig >> 1, exp + 1
            if sig >= 1 << 40:
                continue
            ctx.set(dut.sign, s)
            ctx.set(dut.mag, sig)
            ctx.set(dut.exp_lsb, exp)
            want = F.encode_exact(name, s, sig, exp)
            if ctx.get(dut.result) != want:
                bad.append((s, sig, exp, hex(ctx.get(dut.result)), hex(want)))

    _run(dut, bench)
    assert not bad, bad[:5]
