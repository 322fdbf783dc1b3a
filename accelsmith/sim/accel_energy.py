"""Event-count energy of an ``accel`` run: the RTL's performance counters
(:data:`accelsmith.core.accel_isa.COUNTERS`, read by the testbench before and after each
layer) times the per-event energies the cost model charges
(:func:`accelsmith.models.accel_cost.event_energies`), beside the cost model's own estimate
for the same layer (:func:`accelsmith.models.accel_cost.layer_cost`).

This is *event-count* energy, like Accelergy's action counts: what the hardware did is
measured (MAC slots, scratchpad and accumulator accesses, DRAM beats, active cycles), what
each event costs is the model's table. It is not a power simulation (no switching activity,
no clock tree, no glitches).

Measured parts (events from the counters):

array
    ``b_reads x rows x cols`` MAC slots (every B entry streamed is one step of the whole
    array) x ``mac_slot``.
sram
    ``a_reads x a_read + b_reads x b_read + acc_rmw x acc_rmw + acc_reads x acc_read +
    a_writes x a_write + b_writes x b_write + s_writes x s_write``.
output_stage
    ``acc_reads x cols`` lanes x ``output`` (the stage computes every lane of a stored row).
dram
    ``(rd_beats + wr_beats) x bus_bits x dram_bit`` (whole bus words, partial beats included).
leak
    leakage power of the whole area x ``active`` cycles / clock.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PARTS", "layer_energy", "measured_energy", "modelled_energy"]

PARTS = ("array", "sram", "output_stage", "dram", "leak")


def _leak_j(p: Any, tech: Any, cycles: float, freq_mhz: float) -> float:
    from ..models.accel_cost import area_parts

    area = sum(area_parts(p, tech).values())
    return float(tech.leakage_w(area)) * cycles / (freq_mhz * 1e6)


def measured_energy(p: Any, events: dict[str, float], tech: Any, freq_mhz: float) -> dict:
    """Energy parts (J) and ``total`` from measured event counts (see the module docstring)."""
    from ..models.accel_cost import event_energies, event_energy_parts

    out = event_energy_parts(events, event_energies(p, tech), p.rows, p.cols, p.bus_bits)
    out["leak"] = _leak_j(p, tech, events["active"], freq_mhz)
    out["total"] = sum(out[k] for k in PARTS)
    return out


def modelled_energy(p: Any, s: Any, tech: Any, freq_mhz: float, latency: int, stall: float):
    """The cost model's energy parts (J) and ``total`` of one layer ``s`` (its mapper, its
    event estimates, its cycles for leakage)."""
    from ..models.accel_cost import layer_cost

    c = layer_cost(p, s, latency, tech, stall)
    out = {
        "array": c["energy_array_j"],
        "sram": c["energy_sram_j"],
        "output_stage": c["energy_output_stage_j"],
        "dram": c["energy_dram_j"],
        "leak": _leak_j(p, tech, c["cycles"], freq_mhz),
    }
    out["total"] = sum(out[k] for k in PARTS)
    return out


def layer_energy(
    p: Any,
    layers: list,
    timing: list[dict],
    *,
    node: int = 45,
    freq_mhz: float = 1000.0,
    latency: int = 8,
    stall: float = 0.0,
) -> list[dict]:
    """Per layer of a verification report (``timing`` entries with ``events``): measured and
    modelled energy parts, ``{"layer", "measured": {...}, "model": {...}}``."""
    from ..models.tech import Tech

    tech = Tech.at_node(node)
    by_name = {s.name: s for s in layers}
    rows = []
    for t in timing:
        if "events" not in t or t["what"] not in by_name:
            continue
        rows.append(
            {
                "layer": t["what"],
                "measured": measured_energy(p, t["events"], tech, freq_mhz),
                "model": modelled_energy(p, by_name[t["what"]], tech, freq_mhz, latency, stall),
            }
        )
    return rows
