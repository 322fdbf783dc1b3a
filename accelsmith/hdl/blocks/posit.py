"""Posit(n, es) decoder and encoder (2017/2018 rules, reference §2.3).

1. ``0`` is zero, ``100..0`` is NaR.
2. A negative code is replaced by its two's complement before decoding.
3. The regime is the run of identical bits after the sign (length ``m``, ``k = m - 1`` for
   ones, ``-m`` for zeros), ended by the opposite bit (skipped) or the end of the word.
4. The next ``es`` bits are the exponent; bits beyond the word are 0 (truncated exponent).
5. The rest is the fraction, with a hidden 1.

The significand comes out with a fixed ``n - 3 - es`` fraction bits (the most any code has):
the fraction field is left-aligned, so codes with fewer fraction bits get zeros below.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import bits_for

from .formats import DecoderBase

__all__ = ["PositDecoder", "PositEncoder", "leading_zeros"]


def leading_zeros(m: Module, value, width: int, name: str) -> Signal:
    """Number of leading zeros of the low ``width`` bits of ``value`` (``width`` if zero).

    Binary search: ``ceil(log2(width))`` stages, each testing whether the top half of the
    remaining window is zero and shifting it out if so (compact and shallow).
    """
    out = Signal(range(width + 1), name=name)
    stages = max(1, (width - 1).bit_length())
    size = 1 << stages
    cur = Signal(size, name=f"{name}_in")
    m.d.comb += cur.eq(value[:width] << (size - width))  # left-align in a power of two
    count = []
    for level in range(stages - 1, -1, -1):
        half = 1 << level
        z = Signal(name=f"{name}_z{level}")
        nxt = Signal(size, name=f"{name}_s{level}")
        m.d.comb += z.eq(cur[size - half :] == 0)
        m.d.comb += nxt.eq(Mux(z, cur << half, cur))
        count.append((z, half))
        cur = nxt
    total = sum(z * half for z, half in count)
    # all zero: the search ends with the top bit still zero
    m.d.comb += out.eq(Mux(cur[size - 1], total, width))
    return out


class PositDecoder(DecoderBase):
    """Combinational posit(n, es) decoder (see the module docstring)."""

    def elaborate(self, platform):
        m = Module()
        n, es = self.fmt.bits, self.fmt.es
        nf = n - 3 - es  # fraction bits of the significand output
        code = self.code
        neg = code[n - 1]
        mag = Signal(n)
        m.d.comb += mag.eq(Mux(neg, -code, code))
        body = mag[: n - 1]  # bits after the sign
        r = body[n - 2]
        runs = Signal(n - 1)
        m.d.comb += runs.eq(Mux(r, ~body, body))
        run = leading_zeros(m, runs, n - 1, "run")  # regime length m (1..n-1)
        k = Signal(signed(bits_for(n) + 1))
        m.d.comb += k.eq(Mux(r, run - 1, -run))
        rest = Signal(n - 1)  # exponent and fraction, left-aligned
        m.d.comb += rest.eq((body << (run + 1))[: n - 1])
        e = rest[n - 1 - es : n - 1] if es else 0
        frac = rest[n - 1 - es - nf : n - 1 - es] if nf else None
        scale = Signal(signed(8))
        m.d.comb += scale.eq((k << es) + e)
        sig = Cat(frac, 1) if frac is not None else 1
        zero = code == 0
        nar = code == (1 << (n - 1))
        special = zero | nar
        m.d.comb += [
            self.sign.eq(neg),
            self.sig.eq(Mux(special, 0, sig)),
            self.exp.eq(Mux(special, 0, scale - nf)),
            self.zero.eq(zero),
            self.nan.eq(nar),
            self.inf.eq(0),
        ]
        return m


class PositEncoder(wiring.Component):
    """Round ``(-1)**sign * mag * 2**exp_lsb`` to posit(n, es): RNE on the bit string.

    The regime, exponent and fraction of the exact value are laid out as one long bit string
    (regime run and terminator, ``es`` exponent bits, every fraction bit); its top ``n - 1``
    bits are the code's body and the rest decide the rounding (guard bit, sticky bits, ties
    to the even code). Values beyond maxpos give maxpos, values below minpos give minpos
    (never 0, never NaR); ``mag == 0`` gives 0. A negative value is the two's complement.

    Parameters
    ----------
    width : int
        Width of ``mag``.
    exp_bits : int
        Width of the signed ``exp_lsb``.
    n, es : int
        The posit format.

    Members
    -------
    sign : In(1)
    mag : In(width)
    exp_lsb : In(signed(exp_bits))
    result : Out(n)
    """

    def __init__(self, width: int, exp_bits: int, n: int, es: int) -> None:
        self.width, self.exp_bits, self.n, self.es = width, exp_bits, n, es
        super().__init__(
            {"sign": In(1), "mag": In(width), "exp_lsb": In(signed(exp_bits)), "result": Out(n)}
        )

    def elaborate(self, platform):
        m = Module()
        w, n, es = self.width, self.n, self.es
        body_bits = n - 1
        tail_bits = es + w - 1  # exponent field, then every bit below the leading one
        ew = max(self.exp_bits, bits_for(w) + 1) + 3
        lz = leading_zeros(m, self.mag, w, "lz")
        top = Signal(signed(ew))  # exponent of the leading 1
        m.d.comb += top.eq(self.exp_lsb + (w - 1) - lz)
        k = Signal(signed(ew))
        m.d.comb += k.eq(top >> es)  # floor(top / 2**es)
        e = top[:es] if es else None
        frac = Signal(max(w - 1, 1))
        if w > 1:
            m.d.comb += frac.eq((self.mag << lz)[: w - 1])  # below the leading one
        kmax, kmin = n - 2, -(n - 2)
        kc = Signal(signed(bits_for(n) + 2))  # k clamped to the non-saturated range
        m.d.comb += kc.eq(Mux(k > kmax - 1, kmax - 1, Mux(k < kmin, kmin, k)))
        ones = Signal(range(body_bits + 1))  # regime ones (k >= 0)
        pos1 = Signal(range(body_bits + 1))  # position of the regime's 1 (k < 0)
        run = Signal(range(body_bits + 2))  # regime length with its terminator
        m.d.comb += [
            ones.eq(Mux(kc >= 0, kc + 1, 0)),
            pos1.eq(Mux(kc < 0, body_bits - 1 + kc, 0)),
            run.eq(Mux(kc >= 0, kc + 2, 1 - kc)),
        ]
        full = (1 << body_bits) - 1
        zeros = Signal(range(body_bits + 1))  # body bits below the run of ones
        m.d.comb += zeros.eq(body_bits - ones)
        regime = Signal(body_bits)
        m.d.comb += regime.eq(
            Mux(kc >= 0, full & ~((Const(1, body_bits + 1) << zeros) - 1),
                Const(1, body_bits) << pos1)
        )  # fmt: skip
        tail = Signal(tail_bits)
        m.d.comb += tail.eq(Cat(frac[: w - 1], e) if es else frac[: w - 1])
        long = Signal(body_bits + tail_bits)
        gap = Signal(range(body_bits + 1))  # bits left for the tail inside the body
        m.d.comb += gap.eq(body_bits - run)
        m.d.comb += long.eq((regime << tail_bits) | (tail << gap))
        q = long[tail_bits:]
        guard = long[tail_bits - 1] if tail_bits else 0
        sticky = (long[: tail_bits - 1] != 0) if tail_bits > 1 else 0
        up = guard & (sticky | q[0])
        body = Signal(body_bits)
        with m.If(k >= kmax):
            m.d.comb += body.eq(full)  # maxpos
        with m.Elif(k < kmin):
            m.d.comb += body.eq(1)  # minpos
        with m.Else():
            m.d.comb += body.eq(q + up)
        word = Signal(n)
        m.d.comb += word.eq(Mux(self.sign, -Cat(body, Const(0, 1)), Cat(body, Const(0, 1))))
        m.d.comb += self.result.eq(Mux(self.mag == 0, 0, word))
        return m
