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
            "slave": f"s_axil: AXI4-Lite, 32-bit data, {isa.REG_ADDR_BITS}-bit addresses "
            "(registers above)",
        },
        "performance_counters": {
            "registers": {name: f"{isa.REG[name]:#04x}" for name, _, _ in isa.COUNTERS},
            "events": {name: doc for name, _, doc in isa.COUNTERS},
            "use": "32-bit counts since reset, wrapping: read before and after a run and "
            "subtract modulo 2**32. Event counts x per-event energies of the cost model "
            "(models.accel_cost.event_energies) give the run's event-count energy "
            "(like Accelergy action counts; not a power simulation)",
        },
        "memories": "every memory is an accelsmith.hdl.accel.memory.Sram (one write port with "
        "per-lane enables, 1-cycle read ports): swap in SRAM macros there",
    }
