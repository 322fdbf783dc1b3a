"""Hierarchical variant of the sky130hd flow: each Verilog module is synthesized once.

The generators emit repeated blocks as separate modules (:mod:`accelsmith.hdl.hier`: a
systolic array is ``cols`` instances of one column module, each ``rows`` instances of one PE
module). The flat flow (:mod:`.asic`) flattens them first, so Yosys and ABC work on
``rows * cols`` copies: a 32x32 int8 array is ~1M cells. Here the hierarchy is kept:

1. Yosys ``synth`` without ``-flatten`` maps every module once (a module's cost does not
   grow with its instance count), then ``dfflibmap`` and the same ``abc`` script as the flat
   flow (:data:`.asic.ABC_SCRIPT`, fanout buffering and sizing) run per module.
2. ``stat -top`` gives each module's cells; the design's cell counts are the sum over the
   instance tree (:func:`hierarchical_cells`).
3. OpenSTA links the hierarchical netlist (it times the whole instance tree, crossing module
   boundaries) with the same script as the flat flow: reg2reg / in2reg / reg2out / in2out
   paths and power.

What differs from the flat flow, and why (stated in every report's notes):

- No optimization across module boundaries: constants feeding a module port (a tap of a
  de-skew line tied to 0, an unused output) are not propagated into the module, so the area
  can be a little larger than flat.
- Buffering is per module: a net fanning out from the top to ``cols`` column instances is
  buffered in the top for ``cols`` loads, then each column's input port is buffered inside the
  column for its own loads. A global net therefore gets a buffer tree shaped by the hierarchy,
  where the flat flow's single ``abc`` pass sees the whole fanout at once (both flows then
  run the same buffer-tree pass, :mod:`.buftree`).
- Every instance of a module gets the same gate sizes (sized for one instance's loads).

Designs with memories are refused (the flat flow turns them into SRAM macros after
flattening).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..core.errors import ConfigError
from . import pdk, sram
from .asic import (
    ABC_CONSTR,
    ABC_DELAY_PS,
    ABC_SCRIPT,
    _sta_script,
    buffer_and_write,
    parse_sta,
)
from .tools import SynthError, run_tool

__all__ = ["ABC_SCRIPT_HIER", "hierarchical_cells", "run_asic_hier"]

# The same ABC script and drive/load constraints as the flat flow (:data:`.asic.ABC_SCRIPT`,
# :data:`.asic.ABC_CONSTR`): ``buffer -p`` with a driving cell on every primary input. In a
# module those are the input ports (an enable entering a PE fans out to all its gates; the
# parent only sees one port load per instance, so nobody else buffers it) and the flip-flop
# outputs. Without the constraints ``-p`` alone changed nothing (tried: a 4x4 array's PE kept
# its 55-load enable port unbuffered, 42.7 ns path).
ABC_SCRIPT_HIER = ABC_SCRIPT

HIER_NOTE = (
    "hierarchical synthesis: each module mapped once (no cross-boundary optimization, "
    "fanout buffered per module); OpenSTA times the whole instance tree"
)


def _yosys_script(top: str, maplib: Path) -> str:
    lib = str(maplib)
    return (
        "\n".join(
            [
                "read_verilog -defer design.v",
                f"hierarchy -check -top {top}",
                "proc; opt_clean",
                f"synth -top {top}",
                f"dfflibmap -liberty {lib}",
                f"abc -liberty {lib} -constr abc.constr -D {ABC_DELAY_PS} "
                f'-script "{ABC_SCRIPT_HIER}"',
                "setundef -zero; hilomap -singleton -hicell sky130_fd_sc_hd__conb_1 HI "
                "-locell sky130_fd_sc_hd__conb_1 LO",
                "opt_clean -purge",
                f"read_liberty -lib {lib}",  # cell port directions for the fanout repair
                "write_json mapped.json",
            ]
        )
        + "\n"
    )


def _module_cells(text: str) -> dict[str, dict[str, int]]:
    """Module name -> {cell type (library cell or module) -> count} from ``stat`` output."""
    out: dict[str, dict[str, int]] = {}
    for sec in re.split(r"^===\s+", text, flags=re.M)[1:]:
        head, _, body = sec.partition("\n")
        name = head.strip().rstrip("=").strip()
        if name == "design hierarchy":
            continue
        cells: dict[str, int] = {}
        for m in re.finditer(r"^\s+(\S+)\s+(\d+)\s*$", body, re.M):
            cells[m.group(1)] = cells.get(m.group(1), 0) + int(m.group(2))
        out[name.lstrip("\\")] = cells
    return out


def hierarchical_cells(text: str, top: str) -> dict[str, int]:
    """Library cell type -> count over the whole instance tree of ``top`` (``stat`` text)."""
    mods = _module_cells(text)
    if top not in mods:
        raise SynthError(f"Yosys stat has no section for the top module {top!r}")
    memo: dict[str, dict[str, int]] = {}

    def total(name: str, depth: int = 0) -> dict[str, int]:
        if name in memo:
            return memo[name]
        if depth > 32:
            raise SynthError(f"module hierarchy deeper than 32 levels at {name!r}")
        acc: dict[str, int] = {}
        for cell, n in mods[name].items():
            if cell in mods:
                for c, k in total(cell, depth + 1).items():
                    acc[c] = acc.get(c, 0) + n * k
            elif cell.startswith("sky130_"):
                acc[cell] = acc.get(cell, 0) + n
        memo[name] = acc
        return acc

    return total(top)


def run_asic_hier(
    verilog: str,
    top: str,
    folder: Path,
    *,
    clock_ns: float,
    activity: float,
    timeout_s: float,
) -> dict[str, Any]:
    """Synthesize ``verilog`` keeping its module hierarchy, then time and power it."""
    if sram.has_memories(verilog):
        raise ConfigError(
            "hierarchical must be false for a design with memories (the flat flow maps them "
            "to SRAM macros)"
        )
    (folder / "design.v").write_text(verilog)
    maplib, fulllib = pdk.liberty("map"), pdk.liberty("full")
    (folder / "abc.constr").write_text(ABC_CONSTR)
    (folder / "synth.ys").write_text(_yosys_script(top, maplib))
    run_tool(
        "yosys",
        ["-q", "-s", "synth.ys"],
        cwd=folder,
        log=folder / "yosys.log",
        timeout_s=timeout_s,
        what="Yosys synthesis (hierarchical)",
    )
    buffers = buffer_and_write(folder, top, maplib, timeout_s, macros=False, hierarchical=True)
    stat = (folder / "stat.txt").read_text()
    cells = hierarchical_cells(stat, top)
    modules = {
        name: sum(n for c, n in cs.items() if c.startswith("sky130_"))
        for name, cs in _module_cells(stat).items()
    }
    (folder / "sta.tcl").write_text(_sta_script(top, fulllib, False, clock_ns, activity))
    run_tool(
        "sta",
        ["-no_splash", "-exit", "sta.tcl"],
        cwd=folder,
        log=folder / "sta.log",
        timeout_s=timeout_s,
        what="OpenSTA",
    )
    sta = parse_sta((folder / "sta.log").read_text(), clock_ns)
    return {"cells": cells, "macros": [], "modules": modules, "fanout_buffers": buffers, **sta}
