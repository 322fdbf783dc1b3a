"""Combinational IEEE-754 binary floating point for the PIM MAC lanes (any exponent/mantissa).

Round to nearest, ties to even; subnormals kept (no flush to zero); overflow to infinity;
every NaN result is the canonical quiet NaN (sign 0, exponent all ones, mantissa MSB set).
Helpers build logic in the caller's module (they are not components) and return the result.

Functions
---------
:func:`fp_mul` (``a * b`` with any output format: FP16 x FP16 -> FP16 rounds once; BF16 x
BF16 -> FP32 is exact unless it over/underflows), :func:`fp_add` (same format, correctly
rounded with guard, round and sticky bits), :func:`fp_convert` (e.g. FP32 -> BF16).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from amaranth.hdl import Cat, Const, Module, Mux, Signal, Value, signed

__all__ = ["BF16", "FP16", "FP32", "FpFormat", "fp_add", "fp_convert", "fp_mul"]


@dataclass(frozen=True)
class FpFormat:
    """An IEEE-754 binary format: ``e`` exponent bits, ``m`` stored mantissa bits."""

    e: int
    m: int

    @property
    def width(self) -> int:
        return 1 + self.e + self.m

    @property
    def bias(self) -> int:
        return (1 << (self.e - 1)) - 1

    @property
    def nan(self) -> int:
        return (((1 << self.e) - 1) << self.m) | (1 << (self.m - 1))

    @property
    def inf(self) -> int:
        return ((1 << self.e) - 1) << self.m


FP16 = FpFormat(5, 10)
BF16 = FpFormat(8, 7)
FP32 = FpFormat(8, 23)

_EXP = signed(16)  # unbiased exponents of every format here fit easily


@dataclass
class _Unpacked:
    sign: Value
    exp_lsb: Value  # signed exponent of the significand's LSB
    sig: Value  # significand with the hidden bit
    mag: Value  # exponent and mantissa bits (orders magnitudes)
    nan: Value
    inf: Value
    zero: Value


def _unpack(m: Module, v: Value, f: FpFormat, name: str) -> _Unpacked:
    frac = v[: f.m]
    bexp = v[f.m : f.m + f.e]
    sign = v[f.m + f.e]
    ones = (1 << f.e) - 1
    exp_lsb = Signal(_EXP, name=f"{name}_e")
    m.d.comb += exp_lsb.eq(Mux(bexp == 0, 1, bexp) - (f.bias + f.m))
    sig = Signal(f.m + 1, name=f"{name}_sig")
    m.d.comb += sig.eq(Cat(frac, bexp != 0))
    return _Unpacked(
        sign=sign,
        exp_lsb=exp_lsb,
        sig=sig,
        mag=v[: f.m + f.e],
        nan=(bexp == ones) & (frac != 0),
        inf=(bexp == ones) & (frac == 0),
        zero=(bexp == 0) & (frac == 0),
    )


def _round(m: Module, sign: Value, exp_lsb: Value, sig: Value, f: FpFormat, name: str) -> Value:
    """Pack ``(-1)^sign * sig * 2^exp_lsb`` into format ``f`` with RNE (``sig == 0``: ±0)."""
    width = len(sig)
    msb = Signal(range(max(width, 2)), name=f"{name}_msb")
    for i in range(width):  # the last assignment wins: index of the highest set bit
        with m.If(sig[i]):
            m.d.comb += msb.eq(i)
    sh_norm = Signal(_EXP, name=f"{name}_shn")
    sh_sub = Signal(_EXP, name=f"{name}_shs")
    shift = Signal(_EXP, name=f"{name}_sh")
    bexp = Signal(_EXP, name=f"{name}_be")
    m.d.comb += [
        sh_norm.eq(msb - f.m),
        sh_sub.eq((1 - f.bias - f.m) - exp_lsb),
        shift.eq(Mux(sh_norm > sh_sub, sh_norm, sh_sub)),
        bexp.eq(exp_lsb + msb + f.bias),
    ]
    cap = width + 1  # right shifts beyond this leave only a sticky bit
    amt_bits = max(1, cap.bit_length())
    q = Signal(f.m + 2, name=f"{name}_q")
    rnd = Signal(name=f"{name}_r")
    sticky = Signal(name=f"{name}_s")
    with m.If(shift <= 0):
        left = Signal(amt_bits + 4, name=f"{name}_ls")
        m.d.comb += left.eq(-shift)
        m.d.comb += q.eq(sig << left[: max(1, (f.m + 1).bit_length())])
    with m.Elif(shift > cap):
        m.d.comb += sticky.eq(sig != 0)
    with m.Else():
        amt = Signal(amt_bits, name=f"{name}_ra")
        m.d.comb += amt.eq(shift - 1)
        t = Signal(width, name=f"{name}_t")
        m.d.comb += t.eq(sig >> amt)
        back = Signal(width + cap, name=f"{name}_bk")
        m.d.comb += back.eq(t << amt)
        m.d.comb += [rnd.eq(t[0]), q.eq(t[1:]), sticky.eq(back[:width] != sig)]
    qr = Signal(f.m + 2, name=f"{name}_qr")
    m.d.comb += qr.eq(q + (rnd & (sticky | q[0])))
    enc = Signal(signed(f.e + f.m + 4), name=f"{name}_enc")
    m.d.comb += enc.eq((Mux(bexp > 1, bexp - 1, 0) << f.m) + qr)
    out = Signal(f.width, name=f"{name}_out")
    with m.If(sig == 0):
        m.d.comb += out.eq(Cat(Const(0, f.e + f.m), sign))
    with m.Elif(enc >= f.inf):
        m.d.comb += out.eq(Cat(Const(f.inf, f.e + f.m), sign))
    with m.Else():
        m.d.comb += out.eq(Cat(enc[: f.e + f.m], sign))
    return out


# signal-name counters per module: names (hence the Verilog and every cache key built on it)
# depend on the design alone, not on what the process built before
_counts: weakref.WeakKeyDictionary[Module, int] = weakref.WeakKeyDictionary()


def _name(m: Module, prefix: str) -> str:
    _counts[m] = _counts.get(m, 0) + 1
    return f"{prefix}{_counts[m]}"


def fp_mul(m: Module, a: Value, fa: FpFormat, b: Value, fb: FpFormat, fo: FpFormat) -> Value:
    """``a * b`` rounded to ``fo`` (one rounding of the exact product)."""
    n = _name(m, "fm")
    ua, ub = _unpack(m, a, fa, f"{n}a"), _unpack(m, b, fb, f"{n}b")
    sign = ua.sign ^ ub.sign
    prod = Signal(len(ua.sig) + len(ub.sig), name=f"{n}_p")
    m.d.comb += prod.eq(ua.sig * ub.sig)
    e = Signal(_EXP, name=f"{n}_pe")
    m.d.comb += e.eq(ua.exp_lsb + ub.exp_lsb)
    rounded = _round(m, sign, e, prod, fo, n)
    out = Signal(fo.width, name=f"{n}_res")
    with m.If(ua.nan | ub.nan | (ua.inf & ub.zero) | (ua.zero & ub.inf)):
        m.d.comb += out.eq(fo.nan)
    with m.Elif(ua.inf | ub.inf):
        m.d.comb += out.eq(Cat(Const(fo.inf, fo.e + fo.m), sign))
    with m.Else():
        m.d.comb += out.eq(rounded)
    return out


def fp_add(m: Module, a: Value, b: Value, f: FpFormat) -> Value:
    """``a + b`` in format ``f``, correctly rounded (exact cancellation gives +0)."""
    n = _name(m, "fa")
    ua, ub = _unpack(m, a, f, f"{n}a"), _unpack(m, b, f, f"{n}b")
    a_big = ua.mag >= ub.mag
    sig_w = f.m + 1
    big_sig = Signal(sig_w, name=f"{n}_bs")
    small_sig = Signal(sig_w, name=f"{n}_ss")
    big_e = Signal(_EXP, name=f"{n}_be")
    d = Signal(_EXP, name=f"{n}_d")
    big_s, eff_sub = Signal(name=f"{n}_bsg"), Signal(name=f"{n}_sub")
    m.d.comb += [
        big_sig.eq(Mux(a_big, ua.sig, ub.sig)),
        small_sig.eq(Mux(a_big, ub.sig, ua.sig)),
        big_e.eq(Mux(a_big, ua.exp_lsb, ub.exp_lsb)),
        d.eq(Mux(a_big, ua.exp_lsb - ub.exp_lsb, ub.exp_lsb - ua.exp_lsb)),
        big_s.eq(Mux(a_big, ua.sign, ub.sign)),
        eff_sub.eq(ua.sign ^ ub.sign),
    ]
    ext_w = sig_w + 3
    small_ext = Signal(ext_w, name=f"{n}_se")
    limit = ext_w + 1
    with m.If(d > limit):
        m.d.comb += small_ext.eq(small_sig != 0)
    with m.Else():
        amt = Signal(range(limit + 1), name=f"{n}_amt")
        m.d.comb += amt.eq(d)
        full = Signal(ext_w, name=f"{n}_sf")
        m.d.comb += full.eq(small_sig << 3)
        shifted = Signal(ext_w, name=f"{n}_sh")
        m.d.comb += shifted.eq(full >> amt)
        back = Signal(ext_w + limit, name=f"{n}_bk")
        m.d.comb += back.eq(shifted << amt)
        m.d.comb += small_ext.eq(shifted | (back[:ext_w] != full))
    total = Signal(ext_w + 1, name=f"{n}_sum")
    big_ext = Cat(Const(0, 3), big_sig)
    m.d.comb += total.eq(Mux(eff_sub, big_ext - small_ext, big_ext + small_ext))
    e = Signal(_EXP, name=f"{n}_le")
    m.d.comb += e.eq(big_e - 3)
    rounded = _round(m, big_s & (total != 0), e, total, f, n)
    out = Signal(f.width, name=f"{n}_res")
    with m.If(ua.nan | ub.nan | (ua.inf & ub.inf & eff_sub)):
        m.d.comb += out.eq(f.nan)
    with m.Elif(ua.inf):
        m.d.comb += out.eq(a)
    with m.Elif(ub.inf):
        m.d.comb += out.eq(b)
    with m.Elif(ua.zero & ub.zero):
        m.d.comb += out.eq(Cat(Const(0, f.e + f.m), ua.sign & ub.sign))
    with m.Else():
        m.d.comb += out.eq(rounded)
    return out


def fp_convert(m: Module, a: Value, fa: FpFormat, fo: FpFormat) -> Value:
    """``a`` rounded to format ``fo`` (RNE; NaN canonical; overflow to infinity)."""
    n = _name(m, "fc")
    ua = _unpack(m, a, fa, f"{n}a")
    rounded = _round(m, ua.sign, ua.exp_lsb, ua.sig, fo, n)
    out = Signal(fo.width, name=f"{n}_res")
    with m.If(ua.nan):
        m.d.comb += out.eq(fo.nan)
    with m.Elif(ua.inf):
        m.d.comb += out.eq(Cat(Const(fo.inf, fo.e + fo.m), ua.sign))
    with m.Else():
        m.d.comb += out.eq(rounded)
    return out
