"""ASIC flow on sky130_fd_sc_hd: Yosys maps, OpenSTA times and estimates power.

Steps, all in one cached run folder (see :mod:`.cache`):

1. Yosys elaborates (``proc; flatten; memory -nomap``); every inferred memory becomes a
   black-box SRAM macro (:mod:`.sram`) instead of flip-flops.
2. ``synth -flatten``, ``dfflibmap`` and ``abc`` against the mapping liberty with a script that
   buffers high-fanout nets and sizes gates (``buffer -p -N 8; upsize; dnsize``: verified on
   this project's arrays, without it a global stall net fanning out to every PE is reported as
   an 80 ns path). ABC sees every flip-flop output and input port as a primary input, which it
   takes for an ideal driver unless told otherwise: ``-constr`` (:data:`ABC_CONSTR`) gives each
   one the drive of a ``buf_1`` (about a ``dfxtp_1`` Q) and each primary output the load of two
   gate inputs, and ``-p`` lets ``buffer`` split their fanout too. Without it a flag register
   feeding a whole array diagonal stayed on its own Q pin (measured 2026-12-07 before/after:
   an 8x8 int8 ws array 8.25 -> 6.91 ns, the default 2x16 LUT core 45.5 -> 155.8 MHz).
3. A buffer-tree pass (:func:`.buftree.insert_buffer_trees`, a crude ``repair_design`` without
   placement) then splits every net still driving more than 8 sink pins (Q-to-D fanout that
   ABC sees as primary input to primary output, which it never buffers); then ``stat`` and the
   netlist.
4. OpenSTA reads the full liberty (and the macro stub), clocks ``clk`` at ``clock_ns``, sets
   input/output delays of 0 against it, and reports the worst register-to-register path
   (Fmax), the input-to-register, register-to-output and input-to-output paths apart, and the
   power at a global switching activity.

No placement, so no wire parasitics: every path and Fmax is pre-layout (logic and fanout
loading only) and says so in the report.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from . import pdk, sram
from .buftree import insert_buffer_trees
from .tools import SynthError, run_tool

__all__ = ["ABC_CONSTR", "ABC_SCRIPT", "DEFAULT_ACTIVITY", "RAW_VERSION", "run_asic"]

# Yosys 0.23 `abc -liberty ... -script`: commas separate arguments; {D} is the -D target.
# ``buffer -p``: primary inputs (flip-flop outputs, input ports) are buffered too.
ABC_SCRIPT = (
    "+strash;ifraig;scorr;dc2;dretime;strash;&get,-n;&dch,-f;&nf,{D};&put;"
    "buffer,-p,-N,8;upsize,{D};dnsize,{D};stime,-p"
)
# ABC's drive/load constraints (``abc -constr``): every primary input driven like a
# ``sky130_fd_sc_hd__buf_1`` output (close to a ``dfxtp_1`` Q: 0.49 ns into 8 loads in this
# liberty), every primary output loaded with 5 fF (two ``dfxtp_1`` D pins, 1.7-1.8 fF each,
# plus margin; sky130_fd_sc_hd__tt_025C_1v80 liberty).
ABC_CONSTR = "set_driving_cell sky130_fd_sc_hd__buf_1\nset_load 0.005\n"
ABC_DELAY_PS = 5000
# bump when a parser of this module changes what raw.json holds (part of the cache identity)
RAW_VERSION = 2
# Vectorless power: toggles per clock cycle of every net that no better information reaches,
# the usual default of vectorless estimation (0.1, e.g. Synopsys PrimeTime PX / Cadence Joules
# primary-input default). Registers and logic propagate it in OpenSTA.
DEFAULT_ACTIVITY = 0.1
CLOCK_PORT = "clk"


def _yosys_script(top: str, macros: list[sram.MemoryMacro], maplib: Path) -> str:
    lines = [
        "read_verilog -defer design.v",
    ]
    if macros:
        lines.append("read_verilog -lib macros_bb.v")
    lines += [
        f"hierarchy -top {top}",
        "proc; flatten; opt_clean",
        "memory -nomap; opt_clean",
    ]
    lines += sram.yosys_commands(top, macros)
    lib = str(maplib)
    lines += [
        f"synth -top {top} -flatten",
        f"dfflibmap -liberty {lib}",
        f'abc -liberty {lib} -constr abc.constr -D {ABC_DELAY_PS} -script "{ABC_SCRIPT}"',
        "setundef -zero; hilomap -singleton -hicell sky130_fd_sc_hd__conb_1 HI "
        "-locell sky130_fd_sc_hd__conb_1 LO",
        "opt_clean -purge",
        f"read_liberty -lib {lib}",  # cell port directions for the fanout repair
        "write_json mapped.json",
    ]
    return "\n".join(lines) + "\n"


def finish_script(top: str, maplib: Path, macros: bool = False, hierarchical: bool = False) -> str:
    """Yosys script after the buffer trees: read the JSON back, ``stat``, write the netlist."""
    lib = str(maplib)
    lines = ["read_json buffered.json"]  # holds the liberty cells as black boxes
    if macros:
        lines.append("read_verilog -lib macros_bb.v")
    lines += [
        f"hierarchy -top {top}",
        f"tee -o stat.txt stat -liberty {lib}" + (f" -top {top}" if hierarchical else ""),
        "write_verilog -noattr -noexpr -nohex -nodec netlist.v",
    ]
    return "\n".join(lines) + "\n"


def buffer_and_write(
    folder: Path, top: str, maplib: Path, timeout_s: float, *, macros: bool, hierarchical: bool
) -> dict[str, int]:
    """Buffer trees on ``mapped.json`` (:mod:`.buftree`), then :func:`finish_script` in
    ``folder``; the buffers added per module."""
    netlist = json.loads((folder / "mapped.json").read_text())
    buffers = insert_buffer_trees(netlist, CLOCK_PORT)
    (folder / "buffered.json").write_text(json.dumps(netlist))
    (folder / "mapped.json").unlink()
    (folder / "finish.ys").write_text(finish_script(top, maplib, macros, hierarchical))
    run_tool(
        "yosys",
        ["-q", "-s", "finish.ys"],
        cwd=folder,
        log=folder / "yosys_finish.log",
        timeout_s=timeout_s,
        what="Yosys netlist write",
    )
    (folder / "buffered.json").unlink()
    return buffers


def script_fingerprint() -> str:
    """What decides a flat run's result besides the design, options, tools and liberty: the
    scripts this module writes (rendered for placeholder names), the ABC constraints, the
    buffer-tree parameters and :data:`RAW_VERSION`. Part of the synthesis cache identity, so
    that editing this module's comments or Python does not invalidate cached results."""
    from . import buftree

    lib = Path("LIB")
    macro = sram.MemoryMacro.__name__
    parts = [
        _yosys_script("TOP", [], lib),
        finish_script("TOP", lib, True, False),
        finish_script("TOP", lib, False, True),
        _sta_script("TOP", lib, True, 1.0, 0.5),
        ABC_CONSTR,
        repr((buftree.BUFFER_CELL, buftree.MAX_FANOUT, RAW_VERSION, macro)),
    ]
    return "\n@@\n".join(parts)


def _sta_script(top: str, lib: Path, macros: bool, clock_ns: float, activity: float) -> str:
    nonclk = f"[delete_from_list [all_inputs] [get_ports {CLOCK_PORT}]]"
    regs_ck = "[all_registers -clock_pins]"
    regs_d = "[all_registers -data_pins]"
    s = [f"read_liberty {lib}"]
    if macros:
        s.append("read_liberty macros.lib")
    s += [
        "read_verilog netlist.v",
        f"link_design {top}",
        f"create_clock -name clk -period {clock_ns} [get_ports {CLOCK_PORT}]",
        f"set_input_delay 0 -clock clk {nonclk}",
        "set_output_delay 0 -clock clk [all_outputs]",
        f"set_power_activity -global -activity {activity}",
        'puts "@@ reg2reg"',
        f"report_checks -path_delay max -from {regs_ck} -to {regs_d} -digits 4",
        'puts "@@ in2reg"',
        f"report_checks -path_delay max -from {nonclk} -to {regs_d} -digits 4",
        'puts "@@ reg2out"',
        f"report_checks -path_delay max -from {regs_ck} -to [all_outputs] -digits 4",
        'puts "@@ in2out"',
        f"report_checks -path_delay max -from {nonclk} -to [all_outputs] -digits 4",
        'puts "@@ power"',
        "report_power -digits 8",
        'puts "@@ end"',
    ]
    return "\n".join(s) + "\n"


def parse_stat(text: str) -> dict[str, int]:
    """Cell type -> count from ``stat -liberty`` output."""
    cells: dict[str, int] = {}
    for m in re.finditer(r"^\s+(\S+)\s+(\d+)\s*$", text, re.M):
        name = m.group(1)
        if name.startswith("sky130_") or name.startswith("accelsmith_sram_"):
            cells[name] = cells.get(name, 0) + int(m.group(2))
    return cells


def _parse_path(block: str, clock_ns: float) -> dict[str, Any] | None:
    if "No paths found" in block or "Startpoint" not in block:
        return None
    start = re.search(r"Startpoint:\s*(\S+)", block)
    end = re.search(r"Endpoint:\s*(\S+)", block)
    slack = re.search(r"(-?[0-9.]+)\s+slack\s*\((MET|VIOLATED)\)", block)
    arrival = re.search(r"(-?[0-9.]+)\s+data arrival time", block)
    if not (start and end and slack and arrival):
        raise SynthError(f"cannot read the OpenSTA path report: {block.strip()[:200]!r}")
    required_ns = clock_ns - float(slack.group(1))  # period this path needs (setup included)
    return {
        "startpoint": start.group(1),
        "endpoint": end.group(1),
        "arrival_ns": float(arrival.group(1)),
        "slack_ns": float(slack.group(1)),
        "min_period_ns": required_ns,
    }


def parse_power(block: str) -> dict[str, float]:
    """Totals of OpenSTA's ``report_power`` (W): internal, switching, leakage, total."""
    m = re.search(
        r"^Total\s+([-0-9.eE+]+)\s+([-0-9.eE+]+)\s+([-0-9.eE+]+)\s+([-0-9.eE+]+)", block, re.M
    )
    if not m:
        raise SynthError(f"cannot read the OpenSTA power report: {block.strip()[:200]!r}")
    vals = [float(v) for v in m.groups()]
    groups = {}
    for g in re.finditer(
        r"^(Sequential|Combinational|Macro|Pad)\s+([-0-9.eE+]+)\s+([-0-9.eE+]+)\s+"
        r"([-0-9.eE+]+)\s+([-0-9.eE+]+)",
        block,
        re.M,
    ):
        groups[g.group(1).lower()] = float(g.group(5))
    return {
        "internal_w": vals[0],
        "switching_w": vals[1],
        "leakage_w": vals[2],
        "total_w": vals[3],
        "by_group_w": groups,
    }


def sta_sections(text: str) -> dict[str, str]:
    """Tag -> text of an OpenSTA log whose script marks its reports with ``puts "@@ <tag>"``
    (and ends with ``@@ end``)."""
    return dict(re.findall(r"@@ (\w+)\n(.*?)(?=\n@@ )", text, re.S))


def parse_sta(text: str, clock_ns: float) -> dict[str, Any]:
    """Paths and power from the OpenSTA log written by the script of :func:`run_asic`."""
    sections = sta_sections(text)
    if "power" not in sections:
        raise SynthError("OpenSTA did not finish its reports (see sta.log)")
    paths = {k: _parse_path(sections.get(k, ""), clock_ns) for k in PATH_KINDS}
    return {"paths": paths, "power": parse_power(sections["power"])}


PATH_KINDS = ("reg2reg", "in2reg", "reg2out", "in2out")


def run_asic(
    verilog: str,
    top: str,
    folder: Path,
    *,
    clock_ns: float,
    activity: float,
    timeout_s: float,
) -> dict[str, Any]:
    """Synthesize, time and power ``verilog`` in ``folder``; the raw results as plain data."""
    (folder / "design.v").write_text(verilog)
    maplib, fulllib = pdk.liberty("map"), pdk.liberty("full")
    macros: list[sram.MemoryMacro] = []
    if sram.has_memories(verilog):
        (folder / "elab.ys").write_text(
            f"read_verilog design.v\nhierarchy -top {top}\nproc; flatten; opt_clean\n"
            "memory -nomap; opt_clean\n"
            "rename -enumerate -pattern accelsmith_mem_% t:$mem_v2\n"
            "select -clear\nwrite_json elab.json\n"
        )
        run_tool(
            "yosys",
            ["-q", "-s", "elab.ys"],
            cwd=folder,
            log=folder / "elab.log",
            timeout_s=timeout_s,
            what="Yosys elaboration",
        )
        macros = sram.macros_from_json(json.loads((folder / "elab.json").read_text()))
        (folder / "elab.json").unlink()
        if macros:
            (folder / "macros_bb.v").write_text(sram.blackbox_verilog(macros))
            (folder / "macros.lib").write_text(sram.liberty_stub(macros))
    (folder / "abc.constr").write_text(ABC_CONSTR)
    (folder / "synth.ys").write_text(_yosys_script(top, macros, maplib))
    run_tool(
        "yosys",
        ["-q", "-s", "synth.ys"],
        cwd=folder,
        log=folder / "yosys.log",
        timeout_s=timeout_s,
        what="Yosys synthesis",
    )
    buffers = buffer_and_write(
        folder, top, maplib, timeout_s, macros=bool(macros), hierarchical=False
    )
    cells = parse_stat((folder / "stat.txt").read_text())
    (folder / "sta.tcl").write_text(_sta_script(top, fulllib, bool(macros), clock_ns, activity))
    run_tool(
        "sta",
        ["-no_splash", "-exit", "sta.tcl"],
        cwd=folder,
        log=folder / "sta.log",
        timeout_s=timeout_s,
        what="OpenSTA",
    )
    sta = parse_sta((folder / "sta.log").read_text(), clock_ns)
    return {
        "cells": cells,
        "macros": [m.to_dict() for m in macros],
        "fanout_buffers": sum(buffers.values()),
        **sta,
    }
