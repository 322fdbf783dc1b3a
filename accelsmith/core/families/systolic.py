"""Parameters of the systolic-array family."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from ..params import ParamsBase, check_bool, check_choice, check_int
from ..registry import Family

DATAFLOWS = ("os", "ws")
MAX_DIM = 256
MAX_K = 1 << 20
MAX_ACC_BITS = 128


def exact_acc_bits(in_bits: int, signed: bool, max_k: int) -> int:
    """Smallest accumulator width that holds any ``max_k``-deep dot product exactly.

    Signed: the largest sum is ``max_k * (-2**(w-1))**2`` and the smallest is
    ``max_k * (-2**(w-1)) * (2**(w-1) - 1)``; the result is the two's-complement width covering
    both. Unsigned: the bit length of ``max_k * (2**w - 1)**2``.
    """
    if signed:
        hi = max_k * (1 << (2 * in_bits - 2))
        lo = -max_k * ((1 << (2 * in_bits - 2)) - (1 << (in_bits - 1)))
        n = 1
        while not (-(1 << (n - 1)) <= lo and hi <= (1 << (n - 1)) - 1):
            n += 1
        return n
    return (max_k * ((1 << in_bits) - 1) ** 2).bit_length()


@dataclasses.dataclass(frozen=True, kw_only=True)
class SystolicParams(ParamsBase):
    """A systolic array computing one ``rows x cols`` tile of ``C = A @ B`` over any ``K >= 1``.

    Parameters
    ----------
    rows, cols : int
        Processing elements per column and per row of the array (1..256 each).
    dataflow : {"os", "ws"}
        ``os``: output-stationary (each PE accumulates one output). ``ws``: weight-stationary
        (each PE holds one weight of a ``rows``-deep fold of ``B``; partial sums flow down).
    in_bits : int
        Width of the A and B elements, 2..16 bits.
    signed : bool
        Two's-complement (True) or unsigned (False) inputs and results.
    max_k : int
        The deepest reduction the default accumulator holds without overflow (1..2**20).
    acc_bits : int or None
        Accumulator and result width (2..128). ``None`` picks :func:`exact_acc_bits`; a smaller
        value makes sums wrap around modulo ``2**acc_bits``.
    """

    family: ClassVar[str] = "systolic"

    rows: int = 8
    cols: int = 8
    dataflow: str = "os"
    in_bits: int = 8
    signed: bool = True
    max_k: int = 256
    acc_bits: int | None = None

    def __post_init__(self) -> None:
        check_int("rows", self.rows, 1, MAX_DIM)
        check_int("cols", self.cols, 1, MAX_DIM)
        check_choice("dataflow", self.dataflow, DATAFLOWS)
        check_int("in_bits", self.in_bits, 2, 16)
        check_bool("signed", self.signed)
        check_int("max_k", self.max_k, 1, MAX_K)
        if self.acc_bits is None:
            self._set("acc_bits", exact_acc_bits(self.in_bits, self.signed, self.max_k))
        else:
            check_int("acc_bits", self.acc_bits, 2, MAX_ACC_BITS)

    @property
    def exact_acc_bits(self) -> int:
        """The accumulator width needed for exact results up to ``max_k``."""
        return exact_acc_bits(self.in_bits, self.signed, self.max_k)

    @property
    def wraps(self) -> bool:
        """True when ``acc_bits`` is narrower than exact, so deep sums wrap around."""
        assert self.acc_bits is not None
        return self.acc_bits < self.exact_acc_bits

    def default_name(self) -> str:
        """A readable module name, e.g. ``sa_ws_8x8_s8``."""
        sign = "s" if self.signed else "u"
        return f"sa_{self.dataflow}_{self.rows}x{self.cols}_{sign}{self.in_bits}"


#: Default DSE space (campaign-spec syntax, see :mod:`accelsmith.dse.space`): 32 x 32 x 2 x 5^3
#: = 256,000 points. ``in_bits`` is fixed because the cost model has no accuracy term that
#: would stop a search from always picking the narrowest operands.
DEFAULT_SPACE = {
    "rows": {"low": 4, "high": 128, "step": 4},
    "cols": {"low": 4, "high": 128, "step": 4},
    "dataflow": {"choices": ["os", "ws"]},
    "in_bits": 8,
    "signed": True,
    "ifmap_kb": {"choices": [16, 32, 64, 128, 256]},
    "filter_kb": {"choices": [16, 32, 64, 128, 256]},
    "ofmap_kb": {"choices": [16, 32, 64, 128, 256]},
}

FAMILY = Family(
    name="systolic",
    params="accelsmith.core.families.systolic:SystolicParams",
    generator="accelsmith.hdl.systolic:build",
    golden="accelsmith.sim.golden.systolic:golden",
    bench="accelsmith.sim.benches.systolic_tb",
    cost="accelsmith.models.systolic_cost:evaluate_systolic",
    manifest="accelsmith.generate:systolic_manifest",
    space=DEFAULT_SPACE,
    agent_groups={
        "array": ("rows", "cols"),
        "precision": ("in_bits", "signed", "acc_bits", "max_k"),
        "dataflow_buffers": ("dataflow", "ifmap_kb", "filter_kb", "ofmap_kb"),
    },
    test_order=("corner_cases", "back_to_back", "random_stalls"),
)
