"""Parameters of the systolic-array family."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from ..params import ParamsBase, default_space, model_param, param
from ..registry import Family

DATAFLOWS = ("os", "ws")
MAX_DIM = 256
MAX_K = 1 << 20
MAX_ACC_BITS = 128
#: DSE range of each buffer (KiB)
_BUFFERS = {"choices": [16, 32, 64, 128, 256]}


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

    rows: int = param(
        8,
        lo=1,
        hi=MAX_DIM,
        unit="PEs",
        help="PE rows (1..256).",
        column={"default": None},
        space={"low": 4, "high": 128, "step": 4},
    )
    cols: int = param(
        8,
        lo=1,
        hi=MAX_DIM,
        unit="PEs",
        help="PE columns (1..256).",
        column={"default": None},
        space={"low": 4, "high": 128, "step": 4},
    )
    dataflow: str = param(
        "os",
        choices=DATAFLOWS,
        help="os or ws.",
        cli_help={"cost": "os, ws (or is with --convention scalesim)."},
        # the SCALE-Sim convention of the cost model also knows input-stationary
        column={"choices": (*DATAFLOWS, "is")},
        space={"choices": ["os", "ws"]},
    )
    # fixed in the default space: the cost model has no accuracy term that would stop a
    # search from always picking the narrowest operands
    in_bits: int = param(8, lo=2, hi=16, unit="bits", help="Input element width (2..16).", space=8)
    signed: bool = param(
        True, flag="--signed/--unsigned", help="Two's complement or unsigned inputs.", space=True
    )
    max_k: int = param(
        256,
        lo=1,
        hi=MAX_K,
        help="Deepest exact reduction (1..2^20).",
        # model default: the workload's deepest reduction, so the accumulator is exact on
        # every layer
        column={"default": None},
    )
    acc_bits: int | None = param(
        None,
        kind=int,
        lo=2,
        hi=MAX_ACC_BITS,
        unit="bits",
        derived=True,
        help="Accumulator width (2..128); default exact for --max-k.",
        cli_before="max_k",
    )

    model_params = (
        model_param(
            "ifmap_kb",
            64.0,
            lo=0.0,
            hi=1 << 20,
            unit="KiB",
            help="Activation buffer (KiB).",
            space=_BUFFERS,
        ),
        model_param(
            "filter_kb",
            64.0,
            lo=0.0,
            hi=1 << 20,
            unit="KiB",
            help="Weight buffer (KiB).",
            space=_BUFFERS,
        ),
        model_param(
            "ofmap_kb",
            64.0,
            lo=0.0,
            hi=1 << 20,
            unit="KiB",
            help="Output buffer (KiB).",
            space=_BUFFERS,
        ),
        model_param(
            "freq_mhz",
            1000.0,
            lo=1.0,
            hi=10_000.0,
            unit="MHz",
            help="Clock (MHz).",
            cli_default=1000.0,
        ),
        model_param(
            "dram_gbps",
            25.6,
            lo=0.01,
            hi=100_000.0,
            unit="GB/s",
            help="DRAM bandwidth (GB/s).",
            cli_default=25.6,
        ),
    )

    def check(self) -> None:
        if self.acc_bits is None:
            self._set("acc_bits", exact_acc_bits(self.in_bits, self.signed, self.max_k))

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


#: Default DSE space (campaign-spec syntax, see :mod:`accelsmith.dse.space`), from the
#: declarations: 32 x 32 x 2 x 5^3 = 256,000 points.
DEFAULT_SPACE = default_space(SystolicParams)

FAMILY = Family(
    name="systolic",
    params="accelsmith.core.families.systolic:SystolicParams",
    generator="accelsmith.hdl.systolic:build",
    golden="accelsmith.sim.golden.systolic:golden",
    bench="accelsmith.sim.benches.systolic_tb",
    cost="accelsmith.models.systolic_cost:evaluate_systolic",
    manifest="accelsmith.hdl.systolic:manifest_extras",
    space=DEFAULT_SPACE,
    agent_groups={
        "array": ("rows", "cols"),
        "precision": ("in_bits", "signed", "acc_bits", "max_k"),
        "dataflow_buffers": ("dataflow", "ifmap_kb", "filter_kb", "ofmap_kb"),
    },
    test_order=("corner_cases", "back_to_back", "random_stalls"),
)
