"""Fanout repair on a mapped hierarchical netlist: buffer trees for nets with many sinks.

Yosys 0.23 runs ABC once per module, and ABC sees a net that feeds the ports of submodule
instances as a single primary output with one load. A parent's net feeding 64 PE instances
(the LUT core's lookup strobes, a systolic column's enable) was therefore left on one
``inv_1``: a 12 ns stage in a 4x64 core (measured 2026-12-06). This pass does what a
placement tool's ``repair_design`` would do, without placement: in every module, a net with
more than ``max_fanout`` sink pins gets a balanced tree of ``sky130_fd_sc_hd__buf_4`` cells
(each driving at most ``max_fanout`` pins). A sink pin of a submodule instance counts as one
load: inside the submodule ABC buffered that input port itself (``buffer -p`` with a driving
cell, :mod:`.asic_hier`). The clock net is left alone (OpenSTA times an ideal clock).

Works on Yosys' JSON netlist (``write_json``, read back with ``read_json``), whose cells carry
their port directions once the liberty's cells are loaded with ``read_liberty -lib``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["BUFFER_CELL", "MAX_FANOUT", "insert_buffer_trees"]

BUFFER_CELL = ("sky130_fd_sc_hd__buf_4", "A", "X")
MAX_FANOUT = 8


def _sinks_and_clock(mod: dict[str, Any], clock: str) -> tuple[dict[int, list], set[int]]:
    """Sink pins of every net bit: bit -> [(cell, port, index)], and the clock's bits."""
    sinks: dict[int, list[tuple[str, str, int]]] = {}
    for cname, cell in mod["cells"].items():
        dirs = cell.get("port_directions", {})
        for port, bits in cell["connections"].items():
            if dirs.get(port) != "input":
                continue
            for i, b in enumerate(bits):
                if isinstance(b, int):
                    sinks.setdefault(b, []).append((cname, port, i))
    clock_bits = {b for b in mod["ports"].get(clock, {}).get("bits", []) if isinstance(b, int)}
    return sinks, clock_bits


class _NetAllocator:
    """New single-bit nets of one module (ids above every id in use), named in ``netnames``."""

    def __init__(self, mod: dict[str, Any]) -> None:
        self.mod = mod
        used = [b for n in mod.get("netnames", {}).values() for b in n["bits"]]
        used += [b for c in mod["cells"].values() for bs in c["connections"].values() for b in bs]
        self.last = max((b for b in used if isinstance(b, int)), default=1)

    def __call__(self) -> int:
        self.last += 1
        self.mod.setdefault("netnames", {})[f"$fanout_net${self.last}"] = {
            "hide_name": 1,
            "bits": [self.last],
            "attributes": {},
        }
        return self.last


def _buffer_net(
    mod: dict[str, Any],
    net: int,
    pins: list[tuple[str, str, int]],
    fresh: _NetAllocator,
    stats: list[str],
) -> None:
    """Replace ``net`` on ``pins`` by the leaves of a buffer tree driven by ``net``."""
    cell_type, a, x = BUFFER_CELL
    level = pins
    while len(level) > MAX_FANOUT:
        groups = [level[i : i + MAX_FANOUT] for i in range(0, len(level), MAX_FANOUT)]
        parents = []
        for group in groups:
            out = fresh()
            name = f"$fanout_buf${len(stats)}"
            stats.append(name)
            mod["cells"][name] = {
                "hide_name": 1,
                "type": cell_type,
                "parameters": {},
                "attributes": {},
                "port_directions": {a: "input", x: "output"},
                "connections": {a: [net], x: [out]},
            }
            for cname, port, i in group:  # a sink pin, or a buffer of the level below
                mod["cells"][cname]["connections"][port][i] = out
            parents.append((name, a, 0))
        level = parents


def insert_buffer_trees(netlist: dict[str, Any], clock: str = "clk") -> dict[str, int]:
    """Buffer every net with more than :data:`MAX_FANOUT` sinks, in place; buffers per module.

    ``netlist`` is Yosys' JSON (``{"modules": {...}}``) of a mapped design.
    """
    added: dict[str, int] = {}
    for mname, mod in netlist["modules"].items():
        if mod.get("attributes", {}).get("blackbox") or "cells" not in mod:
            continue
        sinks, clock_bits = _sinks_and_clock(mod, clock)
        fresh = _NetAllocator(mod)
        stats: list[str] = []
        for net, pins in sorted(sinks.items()):
            if net in clock_bits or len(pins) <= MAX_FANOUT:
                continue
            _buffer_net(mod, net, pins, fresh, stats)
        if stats:
            added[mname] = len(stats)
    return added
