"""Parameters of the ``accel`` family: a systolic array inside a complete accelerator top
(double-buffered scratchpads, accumulator memory with an output stage, an AXI4 DMA, an
AXI4-Lite register file and a command queue; see :mod:`accelsmith.core.accel_isa`)."""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar

from ..errors import ConfigError
from ..params import ParamsBase, check_choice, check_int
from ..registry import Family

DATAFLOWS = ("os", "ws")
IN_BITS = (8, 16)
BUS_BITS = (32, 64, 128, 256, 512)
MAX_DIM = 64
MAX_KIB = 4096
MAX_ENTRIES = 1 << 16


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

    rows: int = 4
    cols: int = 4
    dataflow: str = "os"
    in_bits: int = 8
    acc_bits: int | None = None
    a_kib: int = 16
    b_kib: int = 16
    acc_kib: int = 16
    scale_entries: int = 16
    bus_bits: int = 64
    burst_len: int = 16
    dma_outstanding: int = 4
    queue_depth: int = 16
    max_k: int = 1024

    def __post_init__(self) -> None:
        check_int("rows", self.rows, 1, MAX_DIM)
        check_int("cols", self.cols, 1, MAX_DIM)
        check_choice("dataflow", self.dataflow, DATAFLOWS)
        if self.in_bits not in IN_BITS or isinstance(self.in_bits, bool):
            raise _refuse("in_bits", "8 or 16", self.in_bits)
        if self.acc_bits is None:
            self._set("acc_bits", 32 if self.in_bits == 8 else 48)
        else:
            check_int("acc_bits", self.acc_bits, 16, 64)
        check_int("a_kib", self.a_kib, 1, MAX_KIB)
        check_int("b_kib", self.b_kib, 1, MAX_KIB)
        check_int("acc_kib", self.acc_kib, 1, MAX_KIB)
        check_int("scale_entries", self.scale_entries, 1, 256)
        if self.bus_bits not in BUS_BITS or isinstance(self.bus_bits, bool):
            raise _refuse("bus_bits", "one of 32, 64, 128, 256, 512", self.bus_bits)
        check_int("burst_len", self.burst_len, 1, 256)
        check_int("dma_outstanding", self.dma_outstanding, 1, 16)
        check_int("queue_depth", self.queue_depth, 2, 256)
        check_int("max_k", self.max_k, 1, 65535)
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


#: Default DSE space: 16 x 16 x 2 x 2 x 7^3 x 5 x 5 x 5 x 4 = 1.1e8 points (array shape,
#: dataflow, input width, every buffer size, bus width, burst length, DMA depth).
DEFAULT_SPACE = {
    "rows": {"low": 4, "high": 64, "step": 4},
    "cols": {"low": 4, "high": 64, "step": 4},
    "dataflow": {"choices": ["os", "ws"]},
    "in_bits": {"choices": [8, 16]},
    "a_kib": {"choices": [8, 16, 32, 64, 128, 256, 512]},
    "b_kib": {"choices": [8, 16, 32, 64, 128, 256, 512]},
    "acc_kib": {"choices": [8, 16, 32, 64, 128, 256, 512]},
    "bus_bits": {"choices": [32, 64, 128, 256, 512]},
    "burst_len": {"choices": [4, 8, 16, 32, 64]},
    "dma_outstanding": {"choices": [1, 2, 4, 8, 16]},
    "queue_depth": {"choices": [8, 16, 32, 64]},
}

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
