"""Small IEEE-style floats: the FP4/FP8 decoder, and the binary32 rounder and adder of the
SIMD accumulators.

:class:`FloatDecoder`
    OCP FP4 E2M1, FP8 E4M3 ("fn": no Inf, NaN = S.1111.111) and E5M2 (IEEE Inf/NaN);
    subnormals for all.
:class:`Fp32Round`
    ``(-1)**sign * mag * 2**exp_lsb`` (``mag`` unsigned, any width) -> the nearest binary32
    (RNE; subnormals; overflow to Inf). The one rounding of the exact accumulator's readout.
:class:`Fp32Add`
    binary32 ``acc`` + an exact product ``(-1)**s * sig * 2**exp`` -> RNE binary32: the
    accumulate step of the ``fp32`` mode (a fused multiply-add: the product is not rounded).
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import bits_for

from .formats import DecoderBase
from .posit import leading_zeros

__all__ = ["FP32_NAN", "FloatDecoder", "FloatRound", "Fp32Add", "Fp32Round"]

#: Canonical quiet NaN every NaN result takes.
FP32_NAN = 0x7FC00000


class FloatDecoder(DecoderBase):
    """Combinational decoder of a small float (see the module docstring)."""

    def elaborate(self, platform):
        m = Module()
        f = self.fmt
        n, eb, mb = f.bits, f.ebits, f.mbits
        code = self.code
        e = code[mb : mb + eb]
        man = code[:mb]
        top = e == (1 << eb) - 1
        if f.nan == "ieee":
            nan = top & (man != 0)
            inf = top & (man == 0) if f.inf else Const(0)
        elif f.nan == "fn":
            nan = top & (man == (1 << mb) - 1)
            inf = Const(0)
        else:
            nan = inf = Const(0)
        sub = e == 0
        special = nan | inf
        m.d.comb += [
            self.sign.eq(code[n - 1]),
            self.sig.eq(Mux(special, 0, Cat(man, ~sub))),
            self.exp.eq(Mux(special | sub, 1, e) - (f.bias + mb)),
            self.zero.eq(sub & (man == 0)),
            self.nan.eq(nan),
            self.inf.eq(inf),
        ]
        return m


class FloatRound(wiring.Component):
    """Round ``(-1)**sign * mag * 2**exp_lsb`` to an IEEE-style float, RNE.

    Parameters
    ----------
    width : int
        Width of ``mag``.
    exp_bits : int
        Width of the signed ``exp_lsb``.
    ebits, mbits : int
        Exponent and mantissa field widths of the result (binary32: 8, 23; binary16: 5, 10;
        bfloat16: 8, 7).

    Members
    -------
    sign : In(1)
    mag : In(width)
        Unsigned magnitude; 0 gives a zero of sign ``sign``.
    exp_lsb : In(signed(exp_bits))
        Exponent of ``mag``'s LSB.
    result : Out(1 + ebits + mbits)
        The float's bits: subnormal results are rounded at the smallest subnormal; a value
        below half of it rounds to a signed zero; overflow gives Inf.
    """

    def __init__(self, width: int, exp_bits: int, ebits: int = 8, mbits: int = 23) -> None:
        self.width = width
        self.exp_bits = exp_bits
        self.ebits, self.mbits = ebits, mbits
        super().__init__(
            {
                "sign": In(1),
                "mag": In(width),
                "exp_lsb": In(signed(exp_bits)),
                "result": Out(1 + ebits + mbits),
            }
        )

    def elaborate(self, platform):
        m = Module()
        n, eb, mb = self.width, self.ebits, self.mbits
        bias = (1 << (eb - 1)) - 1
        emax = (1 << eb) - 1
        p = mb + 1  # significand bits kept
        ew = max(self.exp_bits, bits_for(n) + 1) + 3
        lz = leading_zeros(m, self.mag, n, "lz")
        top = Signal(signed(ew))  # exponent of the leading 1
        m.d.comb += top.eq(self.exp_lsb + (n - 1) - lz)
        e_unb = Signal(signed(ew))
        m.d.comb += e_unb.eq(Mux(top < 1 - bias, 1 - bias, top))
        # keep p bits from the leading position e_unb down: right shift of (mag << p) by r
        cap = n + p + 1
        r_full = Signal(signed(ew + 1))
        m.d.comb += r_full.eq(e_unb - self.exp_lsb + 1)
        r = Signal(range(cap + 1))
        m.d.comb += r.eq(Mux(r_full > cap, cap, r_full))
        ext = Signal(n + p)
        m.d.comb += ext.eq(self.mag << p)
        q = Signal(p + 1)
        m.d.comb += q.eq(ext >> r)
        rm1 = Signal(range(cap + 1))  # r >= 1 whenever mag != 0
        m.d.comb += rm1.eq(r - 1)
        guard = Signal()
        m.d.comb += guard.eq((ext >> rm1)[0])
        below = Signal(n + p)
        m.d.comb += below.eq(ext & ((Const(1, n + p + 1) << rm1) - 1))
        up = guard & ((below != 0) | q[0])
        q2 = Signal(p + 2)
        m.d.comb += q2.eq(q + up)
        q3 = Signal(p)
        e2 = Signal(signed(ew))
        with m.If(q2[p]):
            m.d.comb += [q3.eq(q2[1 : p + 1]), e2.eq(e_unb + 1)]
        with m.Else():
            m.d.comb += [q3.eq(q2[:p]), e2.eq(e_unb)]
        biased = Signal(signed(ew))
        m.d.comb += biased.eq(Mux(q3[mb], e2 + bias, 0))
        with m.If(self.mag == 0):
            m.d.comb += self.result.eq(Cat(Const(0, eb + mb), self.sign))
        with m.Elif(biased >= emax):
            m.d.comb += self.result.eq(Cat(Const(0, mb), Const(emax, eb), self.sign))
        with m.Else():
            m.d.comb += self.result.eq(Cat(q3[:mb], biased[:eb], self.sign))
        return m


class Fp32Round(FloatRound):
    """:class:`FloatRound` to binary32."""

    def __init__(self, width: int, exp_bits: int) -> None:
        super().__init__(width, exp_bits, 8, 23)


class Fp32Add(wiring.Component):
    """binary32 ``acc`` plus an exact product, rounded once (RNE).

    Parameters
    ----------
    sig_bits : int
        Width of the product significand.
    exp_bits : int
        Width of the signed product exponent.

    Members
    -------
    acc : In(32)
        binary32 addend.
    sign, sig, exp, zero, nan, inf : In
        The product ``(-1)**sign * sig * 2**exp`` and its flags (``nan`` includes
        ``Inf * 0`` and NaR).
    result : Out(32)
        RNE binary32 sum. NaN in, or Inf - Inf, gives :data:`FP32_NAN`; two zeros give -0 only
        if both are -0; an exact zero sum of non-zeros gives +0.
    """

    G = 3  # guard bits below the larger operand (plus a jammed sticky bit)

    def __init__(self, sig_bits: int, exp_bits: int) -> None:
        self.sig_bits = sig_bits
        self.exp_bits = exp_bits
        super().__init__(
            {
                "acc": In(32),
                "sign": In(1),
                "sig": In(sig_bits),
                "exp": In(signed(exp_bits)),
                "zero": In(1),
                "nan": In(1),
                "inf": In(1),
                "result": Out(32),
            }
        )

    def elaborate(self, platform):
        m = Module()
        p, g = self.sig_bits, self.G
        q = max(24, p)  # normalized significand width
        ew = max(self.exp_bits, 10) + 3
        acc = self.acc
        sa, ea, ma = acc[31], acc[23:31], acc[:23]
        a_top = ea == 0xFF
        a_nan, a_inf = a_top & (ma != 0), a_top & (ma == 0)
        a_zero = (ea == 0) & (ma == 0)
        a_sig = Cat(ma, ea != 0)
        a_exp = Signal(signed(ew))
        m.d.comb += a_exp.eq(Mux(ea == 0, 1, ea) - 150)

        # normalize both to q bits with the leading one on top; t = its exponent
        lz_a = leading_zeros(m, a_sig, 24, "lz_a")
        lz_b = leading_zeros(m, self.sig, p, "lz_b")
        na, nb = Signal(q), Signal(q)
        ta, tb = Signal(signed(ew)), Signal(signed(ew))
        m.d.comb += [
            na.eq(a_sig << (lz_a + (q - 24))),
            nb.eq(self.sig << (lz_b + (q - p))),
            ta.eq(a_exp + 23 - lz_a),
            tb.eq(self.exp + (p - 1) - lz_b),
        ]
        b_zero = self.zero
        a_big = Signal()
        m.d.comb += a_big.eq(~a_zero & (b_zero | (ta > tb) | ((ta == tb) & (na >= nb))))
        n_big, n_small = Signal(q), Signal(q)
        t_big, s_big, d = Signal(signed(ew)), Signal(), Signal(signed(ew))
        small_zero = Signal()
        with m.If(a_big):
            m.d.comb += [n_big.eq(na), n_small.eq(nb), t_big.eq(ta), s_big.eq(sa)]
            m.d.comb += [d.eq(ta - tb), small_zero.eq(b_zero)]
        with m.Else():
            m.d.comb += [n_big.eq(nb), n_small.eq(na), t_big.eq(tb), s_big.eq(self.sign)]
            m.d.comb += [d.eq(tb - ta), small_zero.eq(a_zero)]
        w = q + g
        cap = w + 1
        dc = Signal(range(cap + 1))
        m.d.comb += dc.eq(Mux(d > cap, cap, d))
        small_full = Signal(w)
        m.d.comb += small_full.eq(Mux(small_zero, 0, n_small << g))
        shifted = Signal(w)
        m.d.comb += shifted.eq(small_full >> dc)
        sticky = (small_full & ((Const(1, cap + 1) << dc) - 1)) != 0
        small_j = Signal(w)
        m.d.comb += small_j.eq(shifted | sticky)
        big_ext = Signal(w)
        m.d.comb += big_ext.eq(n_big << g)
        total = Signal(w + 1)
        with m.If(sa ^ self.sign):
            m.d.comb += total.eq(big_ext - small_j)
        with m.Else():
            m.d.comb += total.eq(big_ext + small_j)

        rnd = Fp32Round(w + 1, ew + 1)
        m.submodules.round = rnd
        m.d.comb += [
            rnd.sign.eq(s_big & (total != 0)),  # an exact zero sum of non-zeros is +0
            rnd.mag.eq(total),
            rnd.exp_lsb.eq(t_big - (q - 1) - g),
        ]
        with m.If(a_nan | self.nan | (a_inf & self.inf & (sa ^ self.sign))):
            m.d.comb += self.result.eq(FP32_NAN)
        with m.Elif(a_inf):
            m.d.comb += self.result.eq(acc)
        with m.Elif(self.inf):
            m.d.comb += self.result.eq(Cat(Const(0, 23), Const(0xFF, 8), self.sign))
        with m.Elif(a_zero & b_zero):
            m.d.comb += self.result.eq(Cat(Const(0, 31), sa & self.sign))
        with m.Else():
            m.d.comb += self.result.eq(rnd.result)
        return m
