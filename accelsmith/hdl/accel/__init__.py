"""The ``accel`` family: a systolic array inside a complete accelerator top (scratchpads,
accumulator with output stage, AXI4 DMA, AXI4-Lite registers, command queue)."""

from __future__ import annotations

from typing import Any

from ...core import accel_isa as isa
from ...core.families.accel import AccelParams
from .memory import Sram
from .top import AccelTop, command_layout

__all__ = ["AccelTop", "Sram", "build", "command_layout", "manifest_extras"]


def build(params: AccelParams) -> AccelTop:
    """Build the accelerator top for ``params``."""
    return AccelTop(params)


def manifest_extras(params: AccelParams) -> dict[str, Any]:
    """Manifest sections: register map, ISA, memory layout, bus and timing rules."""
    return {
        "register_map": isa.register_table(),
        "isa": isa.isa_table(),
        "memory_layout": isa.memory_layout(params),
        "axi": {
            "master": f"m_axi: AXI4, {params.bus_bits}-bit data, 32-bit addresses, INCR "
            f"bursts of at most {params.burst_len} beats that never cross 4 KiB, up to "
            f"{params.dma_outstanding} bursts in flight, one ID (0)",
            "slave": "s_axil: AXI4-Lite, 32-bit data, 6-bit addresses (registers above)",
        },
        "memories": "every memory is an accelsmith.hdl.accel.memory.Sram (one write port with "
        "per-lane enables, 1-cycle read ports): swap in SRAM macros there",
    }
