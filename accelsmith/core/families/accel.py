"""Parameters of the ``accel`` family: a systolic array inside a complete accelerator top
(double-buffered scratchpads, accumulator memory with an output stage, an AXI4 DMA, an
AXI4-Lite register file and a command queue; see :mod:`accelsmith.core.accel_isa`)."""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar

from ..errors import ConfigError
from ..params import ParamsBase, check_int, default_space, model_param, param
from ..registry import Family

DATAFLOWS = ("os", "ws")
IN_BITS = (8, 16)
BUS_BITS = (32, 64, 128, 256, 512)
MAX_DIM = 64
MAX_KIB = 4096
MAX_ENTRIES = 1 << 16
_KIB = {"choices": [16, 32, 64, 128, 256, 512]}
_ACC_KIB = {"choices": [64, 128, 256, 512, 1024, 2048]}


def _refuse(name: str, allowed: str, value: object) -> ConfigError:
    return ConfigError(f"{name} must be {allowed}, not {value!r}")


def _entries(kib: int, lanes: int, bits: int) -> int:
    """Entries per bank of a two-bank memory of ``kib`` KiB with ``lanes x bits`` entries."""
    return (kib * 1024 * 8) // (lanes * bits) // 2


@dataclasses.dataclass(frozen=True, kw_only=True)
class AccelParams(ParamsBase):
    """A complete accelerator around a ``rows x cols`` systolic array.

    Parameters
    ----------
    rows, cols : int
        Array shape (1..64 each).
    dataflow : {"os", "ws"}
        Output- or weight-stationary array (see :mod:`accelsmith.hdl.systolic`).
    in_bits : {8, 16}
        Signed input (activation and weight) width; results are saturated to it as well.
    acc_bits : int or None
        Accumulator width (16..64); ``None``: 32 for 8-bit inputs, 48 for 16-bit. Sums wrap
        modulo ``2**acc_bits``.
    a_kib, b_kib : int
        Activation and weight scratchpads, KiB for both banks together (1..4096).
    acc_kib : int
        Accumulator memory, KiB for both banks (1..4096).
    scale_entries : int
        Per-channel scale vectors (``cols`` 16-bit scales each) in the scale memory (1..256).
    bus_bits : {32, 64, 128, 256, 512}
        AXI4 master data width.
    burst_len : int
        Longest AXI burst the DMA issues, in beats (1..256).
    dma_outstanding : int
        AXI read or write bursts in flight at once (1..16).
    queue_depth : int
        Command queue entries (2..256).
    max_k : int
        Deepest reduction of one compute command (1..65535); also bounded by the scratchpads.
    """

    family: ClassVar[str] = "accel"

    rows: int = param(
        4,
        lo=1,
        hi=MAX_DIM,
        unit="PEs",
        help="PE rows (1..64).",
        space={"low": 4, "high": 64, "step": 4},
    )
    cols: int = param(
        4,
        lo=1,
        hi=MAX_DIM,
        unit="PEs",
        help="PE columns (1..64).",
        space={"low": 4, "high": 64, "step": 4},
    )
    dataflow: str = param(
        "os", choices=DATAFLOWS, help="os or ws.", space={"choices": ["os", "ws"]}
    )
    in_bits: int = param(
        8,
        choices=IN_BITS,
        unit="bits",
        help="Signed input width: 8 or 16.",
        space={"choices": [8, 16]},
    )
    acc_bits: int | None = param(
        None,
        kind=int,
        lo=16,
        hi=64,
        unit="bits",
        derived=True,
        # cost-model column: 0 = the default width
        column={"default": 0, "lo": 0},
        help="Accumulator width (16..64); default 32 (8-bit) or 48.",
    )
    a_kib: int = param(
        16,
        lo=1,
        hi=MAX_KIB,
        unit="KiB",
        custom_check=True,
        help="Activation scratchpad, both banks (KiB).",
        space=_KIB,
    )
    b_kib: int = param(
        16,
        lo=1,
        hi=MAX_KIB,
        unit="KiB",
        custom_check=True,
        help="Weight scratchpad, both banks (KiB).",
        space=_KIB,
    )
    acc_kib: int = param(
        16,
        lo=1,
        hi=MAX_KIB,
        unit="KiB",
        custom_check=True,
        help="Accumulator memory, both banks (KiB).",
        space=_ACC_KIB,
    )
    scale_entries: int = param(
        16, lo=1, hi=256, help="Per-channel scale vectors in the scale memory (1..256)."
    )
    bus_bits: int = param(
        64,
        choices=BUS_BITS,
        unit="bits",
        help="AXI4 data width: 32, 64, 128, 256 or 512.",
        space={"choices": list(BUS_BITS)},
    )
    burst_len: int = param(
        16,
        lo=1,
        hi=256,
        unit="beats",
        help="Longest AXI burst (1..256).",
        space={"choices": [4, 8, 16, 32, 64]},
    )
    dma_outstanding: int = param(
        4, lo=1, hi=16, help="AXI bursts in flight (1..16).", space={"choices": [1, 2, 4, 8, 16]}
    )
    queue_depth: int = param(
        16, lo=2, hi=256, help="Command queue entries (2..256).", space={"choices": [8, 16, 32, 64]}
    )
    max_k: int = param(1024, lo=1, hi=65535, help="Deepest compute command (1..65535).")

    model_params = (
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
            "dram_latency",
            8.0,
            lo=0.0,
            hi=10_000.0,
            unit="cycles",
            help="DRAM read latency (cycles from AR to the first beat).",
            cli_default=8.0,
        ),
        model_param(
            "dram_stall",
            0.0,
            lo=0.0,
            hi=0.9,
            unit="probability",
            help="DRAM back-pressure: probability that each AXI channel (AR, R, AW, W, B) is "
            "paused in a cycle (0..0.9; 0: none). runtime.timing adds the expected waits.",
            cli_default=0.0,
        ),
        model_param(
            "out_scale",
            "tensor",
            choices=("tensor", "channel"),
            help="Output scales the layers use: tensor (one per layer) or channel (per output "
            "channel: the compiler loads each output tile's scales; costed in cycles/energy).",
            cli_default="tensor",
        ),
    )

    def check(self) -> None:
        if self.acc_bits is None:
            self._set("acc_bits", 32 if self.in_bits == 8 else 48)
        for name in ("a_kib", "b_kib", "acc_kib"):
            check_int(name, getattr(self, name), 1, MAX_KIB)
        # geometry: every memory must hold one tile per bank, and fit the 16-bit address fields
        for name, entries, need in (
            ("a_kib", self.a_entries, self.rows),
            ("b_kib", self.b_entries, self.rows),
            ("acc_kib", self.acc_entries, self.rows),
        ):
            if entries < need:
                kib = math.ceil(need * 2 * self._entry_bits(name) / 8 / 1024)
                raise _refuse(
                    name, f"at least {kib} for a {self.rows}x{self.cols} array", getattr(self, name)
                )
            if entries > MAX_ENTRIES:
                kib = MAX_ENTRIES * 2 * self._entry_bits(name) // 8 // 1024
                raise _refuse(name, f"at most {kib} (65536 entries per bank)", getattr(self, name))

    def _entry_bits(self, name: str) -> int:
        assert self.acc_bits is not None
        if name == "a_kib":
            return self.rows * self.in_bits
        if name == "b_kib":
            return self.cols * self.in_bits
        return self.cols * self.acc_bits

    @property
    def a_entries(self) -> int:
        """Activation entries (``rows`` lanes) per bank."""
        return _entries(self.a_kib, self.rows, self.in_bits)

    @property
    def b_entries(self) -> int:
        """Weight entries (``cols`` lanes) per bank."""
        return _entries(self.b_kib, self.cols, self.in_bits)

    @property
    def acc_entries(self) -> int:
        """Accumulator entries (``cols`` lanes of ``acc_bits``) per bank."""
        assert self.acc_bits is not None
        return _entries(self.acc_kib, self.cols, self.acc_bits)

    @property
    def k_limit(self) -> int:
        """Deepest compute command the memories allow (``max_k`` and the bank sizes)."""
        a_k = self.a_entries if self.dataflow == "os" else (self.a_entries // self.rows) * self.rows
        return min(self.max_k, a_k, self.b_entries)

    def default_name(self) -> str:
        """A readable module name, e.g. ``accel_os_4x4_s8_b64``."""
        return f"accel_{self.dataflow}_{self.rows}x{self.cols}_s{self.in_bits}_b{self.bus_bits}"


#: Default DSE space, from the declarations: 16 x 16 x 2 x 2 x 6^3 x 5 x 5 x 5 x 4 = 1.1e8
#: points (array shape, dataflow, input width, every buffer, bus width, burst, DMA depth,
#: queue depth).
DEFAULT_SPACE = default_space(AccelParams)

FAMILY = Family(
    name="accel",
    params="accelsmith.core.families.accel:AccelParams",
    generator="accelsmith.hdl.accel:build",
    golden="accelsmith.sim.golden.accel:golden",
    bench="accelsmith.sim.benches.accel_tb",
    cost="accelsmith.models.accel_cost:evaluate_accel",
    manifest="accelsmith.hdl.accel:manifest_extras",
    space=DEFAULT_SPACE,
    agent_groups={
        "array": ("rows", "cols", "dataflow", "in_bits"),
        "memories": ("a_kib", "b_kib", "acc_kib"),
        "dma": ("bus_bits", "burst_len", "dma_outstanding", "queue_depth"),
    },
    test_order=("gemm", "conv", "layers", "illegal"),
)
