"""Posit(n, es) decoder (2017/2018 rules, reference §2.3).

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

from amaranth.hdl import Cat, Module, Mux, Signal, signed
from amaranth.utils import bits_for

from .formats import DecoderBase

__all__ = ["PositDecoder", "leading_zeros"]


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
