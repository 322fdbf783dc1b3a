"""Number-format decoders: a code -> ``(sign, sig, exp, zero, nan, inf)`` with
``value = (-1)**sign * sig * 2**exp`` exactly (``sig`` unsigned, hidden bit included).

:func:`make_decoder` picks the decoder of a :class:`~accelsmith.core.numformats.Format`;
integer decoding is here, floats in :mod:`.minifloat`, posits in :mod:`.posit`. The golden
reference is :mod:`accelsmith.sim.golden.formats` (checked on every code in the tests).
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ...core.numformats import Format

__all__ = ["EXP_BITS", "DecoderBase", "IntDecoder", "decoded_signature", "make_decoder"]

#: Width of the signed ``exp`` output of every decoder (covers -128..127; the formats here
#: need -40..16).
EXP_BITS = 8


def decoded_signature(fmt: Format) -> dict:
    """Ports of a decoder of ``fmt`` (see :class:`DecoderBase`)."""
    return {
        "code": In(fmt.bits),
        "sign": Out(1),
        "sig": Out(fmt.sig_bits),
        "exp": Out(signed(EXP_BITS)),
        "zero": Out(1),
        "nan": Out(1),
        "inf": Out(1),
    }


class DecoderBase(wiring.Component):
    """Combinational decoder of one format.

    Members
    -------
    code : In(bits)
        The code.
    sign : Out(1)
        Sign bit (also of zeros and Infs).
    sig : Out(fmt.sig_bits)
        Unsigned significand, hidden bit included (0 for zero, NaN, Inf).
    exp : Out(signed(8))
        Exponent of ``sig``'s LSB.
    zero, nan, inf : Out(1)
        Zero; NaN or posit NaR; Inf.
    """

    def __init__(self, fmt: Format) -> None:
        self.fmt = fmt
        super().__init__(decoded_signature(fmt))


class IntDecoder(DecoderBase):
    """Two's-complement integer: sign-magnitude split, ``exp = 0``."""

    def elaborate(self, platform):
        m = Module()
        n = self.fmt.bits
        neg = self.code[n - 1]
        m.d.comb += [
            self.sign.eq(neg),
            self.sig.eq(Mux(neg, -self.code.as_signed(), self.code)),
            self.exp.eq(0),
            self.zero.eq(self.code == 0),
        ]
        return m


def make_decoder(fmt: Format) -> DecoderBase:
    """A decoder component for ``fmt``."""
    from .minifloat import FloatDecoder
    from .posit import PositDecoder

    if fmt.kind == "int":
        return IntDecoder(fmt)
    if fmt.kind == "fp":
        return FloatDecoder(fmt)
    return PositDecoder(fmt)
