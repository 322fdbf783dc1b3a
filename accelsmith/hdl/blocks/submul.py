"""Reconfigurable unsigned multiplier built from 4 x 4-bit sub-multipliers.

A ``W``-bit word is cut into nibbles ``a_i``, ``b_j``. Each nibble pair that lies inside one
sub-lane of the widest configured width gets a 4 x 4 sub-multiplier ``pp_ij = a_i * b_j``.
For every sub-lane width ``w`` in ``widths`` the products of the ``W / w`` sub-lanes are

    p_w[s] = sum over nibbles i, j of sub-lane s of  pp_ij << 4 * (i + j - 2 * s * w / 4)

so the same sub-multipliers serve 1 x 16-bit, 2 x 8-bit and 4 x 4-bit products, and each
sub-lane's adder tree only sums its own partial products: no carry crosses a sub-lane
boundary (reference §2.2, RMMEC; the 4 x 4 base is the suggested one).

With ``isolate=True`` a one-hot ``sel`` input names the width in use, and every
sub-multiplier that no sub-lane of that width needs has its operands forced to 0 (operand
isolation: in a 4 x 4-bit mode only the diagonal ones switch), so narrow modes do not pay
for the idle part of the array.
"""

from __future__ import annotations

from amaranth.hdl import Module, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["SubwordMultiplier"]


class SubwordMultiplier(wiring.Component):
    """Unsigned ``W x W`` multiplier split into sub-lanes of several widths.

    Parameters
    ----------
    word_bits : int
        ``W``, a multiple of 4.
    widths : sequence of int
        Sub-lane widths (multiples of 4 dividing ``W``), e.g. ``(16, 8, 4)``.

    Members
    -------
    a, b : In(W)
        Operands; sub-lane ``s`` of width ``w`` is bits ``[s*w, (s+1)*w)``.
    sel : In(len(widths))
        Only with ``isolate``: one-hot, bit ``i`` selects ``widths[i]`` (widest first).
    p<w> : Out(ArrayLayout(unsigned(2*w), W // w))
        For each width ``w``: the product of every sub-lane.
    """

    def __init__(self, word_bits: int, widths, *, isolate: bool = False) -> None:
        widths = tuple(sorted(set(widths), reverse=True))
        if word_bits % 4 or any(w % 4 or word_bits % w for w in widths):
            raise ValueError(
                f"widths must be multiples of 4 dividing word_bits = {word_bits}, not {widths}"
            )
        self.word_bits, self.widths, self.isolate = word_bits, widths, isolate
        sig = {"a": In(word_bits), "b": In(word_bits)}
        if isolate:
            sig["sel"] = In(len(widths))
        for w in widths:
            sig[f"p{w}"] = Out(data.ArrayLayout(2 * w, word_bits // w))
        super().__init__(sig)

    @property
    def isolated_sub_multipliers(self) -> int:
        """Sub-multipliers that some width leaves idle (they get operand isolation)."""
        wmax, lo = self.widths[0], self.widths[-1]
        return self.sub_multipliers - (self.word_bits // lo) * (lo // 4) ** 2 if wmax > lo else 0

    @property
    def sub_multipliers(self) -> int:
        """Number of 4 x 4 sub-multipliers generated."""
        wmax = self.widths[0]
        return (self.word_bits // wmax) * (wmax // 4) ** 2

    def elaborate(self, platform):
        m = Module()
        wmax = self.widths[0]
        nib = wmax // 4
        pp = {}
        for lane in range(self.word_bits // wmax):
            for i in range(lane * nib, (lane + 1) * nib):
                for j in range(lane * nib, (lane + 1) * nib):
                    s = Signal(8, name=f"pp_{i}_{j}")
                    a, b = self.a[4 * i : 4 * i + 4], self.b[4 * j : 4 * j + 4]
                    users = [k for k, w in enumerate(self.widths) if i * 4 // w == j * 4 // w]
                    if self.isolate and len(users) < len(self.widths):
                        en = Signal(name=f"en_{i}_{j}")
                        m.d.comb += en.eq(_any(self.sel, users))
                        a = a & en.replicate(4)
                        b = b & en.replicate(4)
                    m.d.comb += s.eq(a * b)
                    pp[i, j] = s
        self.partial_products = pp  # for inspection in simulation
        for w in self.widths:
            n = w // 4
            out = getattr(self, f"p{w}")
            for s in range(self.word_bits // w):
                base = s * n
                terms = [
                    pp[i, j] << (4 * (i + j - 2 * base))
                    for i in range(base, base + n)
                    for j in range(base, base + n)
                ]
                total = terms[0]
                for t in terms[1:]:
                    total = total + t
                m.d.comb += out[s].eq(total)
        return m


def _any(sel, bits: list[int]):
    out = sel[bits[0]]
    for b in bits[1:]:
        out = out | sel[b]
    return out
