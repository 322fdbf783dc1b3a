"""Parameters of the MAC dot-product unit (the baseline of the LUT-vs-MAC comparison).

A DP unit is the building block of a tensor core: ``length`` multipliers of a weight and an
activation format, an adder tree and an accumulator, one ``length``-element slice of a dot
product per cycle (Mo et al., LUT Tensor Core, ISCA 2025, compare it with a LUT unit of the
same length; ``shared/reference/accelerators.md`` §1.3). Not a registered family: it exists
to be generated, verified and synthesized next to the LUT core (``bench/bench_lutmac.py``).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from .families.lut_core import exact_acc_bits
from .params import ParamsBase, param

__all__ = ["DpUnitParams"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class DpUnitParams(ParamsBase):
    """A registered ``length``-wide signed-integer MAC dot-product unit.

    Parameters
    ----------
    length : int
        Multipliers, i.e. elements of the dot product consumed per cycle (1..64).
    weight_bits : int
        Signed integer weight width (1..16; 1 bit is the values {-1, 0}).
    act_bits : int
        Signed integer activation width (2..16).
    max_k : int
        Deepest dot product (elements) the default result width holds exactly (1..2**20).
    acc_bits : int or None
        Accumulator and result width (4..64); ``None`` is exact up to ``max_k`` (the same
        width the LUT core uses for the same operands), a smaller one wraps.
    """

    family: ClassVar[str] = "dpunit"

    length: int = param(4, lo=1, hi=64, help="Multipliers (dot-product elements per cycle).")
    weight_bits: int = param(4, lo=1, hi=16, unit="bits", help="Signed weight width.")
    act_bits: int = param(8, lo=2, hi=16, unit="bits", help="Signed activation width.")
    max_k: int = param(4096, lo=1, hi=1 << 20, help="Deepest exact dot product.")
    acc_bits: int | None = param(
        None, kind=int, lo=4, hi=64, unit="bits", derived=True, help="Result width."
    )

    def check(self) -> None:
        if self.acc_bits is None:
            self._set("acc_bits", self.exact_acc_bits)

    @property
    def exact_acc_bits(self) -> int:
        """Result width that holds any ``max_k``-deep dot product exactly."""
        return exact_acc_bits(self.weight_bits, self.act_bits, self.max_k, True)

    @property
    def product_bits(self) -> int:
        """Width of one exact product."""
        return exact_acc_bits(self.weight_bits, self.act_bits, 1, True)

    def default_name(self) -> str:
        """A readable module name, e.g. ``dp4_w4a8``."""
        return f"dp{self.length}_w{self.weight_bits}a{self.act_bits}_acc{self.acc_bits}"
