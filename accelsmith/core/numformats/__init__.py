"""Number-format specifications of the SIMD family (pure Python: no numpy, no Amaranth).

The bit-exact numpy codec (decode, encode with RNE, exact values) is
:mod:`accelsmith.core.numformats.codec` (imported on demand: it needs numpy); the gateware
decoders are in :mod:`accelsmith.hdl.blocks.formats`. Both take their field layouts from here,
and both the models (SQNR) and the golden models and benches use the codec.

A *mode* is what the engine's run-time ``mode`` input selects: one format for both operands,
or the mixed mode ``posit8_0xfp4_e2m1`` (``a`` in posit(8,0), ``b`` in FP4 E2M1 held in the
low nibble of each 8-bit ``b`` field; reference §2.5: exact product, one rounding).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FORMATS", "MODES", "Format", "Mode"]


@dataclass(frozen=True)
class Format:
    """One number format (see :mod:`accelsmith.core.numformats.codec` for the exact rules).

    Attributes
    ----------
    name : str
        Registry name (``int8``, ``fp8_e4m3``, ``posit16_1`` ...).
    kind : {"int", "fp", "posit"}
    bits : int
        Code width.
    ebits, mbits, bias : int
        Floats: exponent and mantissa field widths and exponent bias.
    es : int
        Posits: exponent field width.
    inf : bool
        Floats: the all-ones exponent with a zero mantissa is +-Inf (E5M2).
    nan : str
        Floats: ``"ieee"`` (all-ones exponent, non-zero mantissa), ``"fn"`` (only
        ``S.1..1.1..1``) or ``"none"``.
    """

    name: str
    kind: str
    bits: int
    ebits: int = 0
    mbits: int = 0
    bias: int = 0
    es: int = 0
    inf: bool = False
    nan: str = "none"

    @property
    def sig_bits(self) -> int:
        """Width of the unsigned significand (hidden bit included) the hardware decoder gives.

        Posits: ``bits - 2 - es`` (hidden bit plus the most fraction bits any code has; codes
        with fewer fraction bits are padded with zeros below).
        """
        if self.kind == "int":
            return self.bits  # |-2**(n-1)| needs n bits
        if self.kind == "fp":
            return self.mbits + 1
        return self.bits - 2 - self.es

    @property
    def lsb_min(self) -> int:
        """Smallest exponent of a significant bit of any finite code (value LSB)."""
        if self.kind == "int":
            return 0
        if self.kind == "fp":
            return 1 - self.bias - self.mbits
        return -(self.bits - 2) * (1 << self.es)  # minpos: regime only

    @property
    def top_max(self) -> int:
        """Exponent of the leading bit of the largest finite magnitude."""
        if self.kind == "int":
            return self.bits - 1
        if self.kind == "fp":
            emax = (1 << self.ebits) - 1 - (1 if self.nan in ("ieee",) else 0)
            return emax - self.bias
        return (self.bits - 2) * (1 << self.es)  # maxpos

    @property
    def hw_exp_min(self) -> int:
        """Smallest ``exp`` of the hardware decoder (``value = sig * 2**exp``)."""
        if self.kind == "posit":
            return self.lsb_min - (self.sig_bits - 1)
        return self.lsb_min

    @property
    def hw_exp_max(self) -> int:
        """Largest ``exp`` of the hardware decoder."""
        if self.kind == "int":
            return 0
        return self.top_max - (self.sig_bits - 1)


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format(name="int4", kind="int", bits=4),
        Format(name="int8", kind="int", bits=8),
        Format(name="fp4_e2m1", kind="fp", bits=4, ebits=2, mbits=1, bias=1, nan="none"),
        Format(name="fp8_e4m3", kind="fp", bits=8, ebits=4, mbits=3, bias=7, nan="fn"),
        Format(name="fp8_e5m2", kind="fp", bits=8, ebits=5, mbits=2, bias=15, inf=True, nan="ieee"),
        Format(name="posit4_1", kind="posit", bits=4, es=1),
        Format(name="posit8_0", kind="posit", bits=8, es=0),
        Format(name="posit16_1", kind="posit", bits=16, es=1),
    )
}


@dataclass(frozen=True)
class Mode:
    """A run-time mode: the formats of ``a`` and ``b`` and the sub-lane width.

    ``width`` is the bits each operand pair occupies in a word; an operand narrower than
    ``width`` sits in the low bits of its field (the mixed mode's FP4 ``b``).
    """

    name: str
    a: Format
    b: Format

    @property
    def width(self) -> int:
        return max(self.a.bits, self.b.bits)

    @property
    def prod_lsb_min(self) -> int:
        """Smallest significant-bit exponent of an exact product."""
        return self.a.lsb_min + self.b.lsb_min

    @property
    def prod_top_max(self) -> int:
        """Largest leading-bit exponent of an exact product."""
        return self.a.top_max + self.b.top_max + 1


MODES: dict[str, Mode] = {name: Mode(name, f, f) for name, f in FORMATS.items()}
MODES["posit8_0xfp4_e2m1"] = Mode("posit8_0xfp4_e2m1", FORMATS["posit8_0"], FORMATS["fp4_e2m1"])
