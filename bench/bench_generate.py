"""Generation benchmark: Verilog generation time and size, hierarchical vs flat (issue 16.1).

Prints, for int8 weight-stationary systolic arrays of growing size, the time
``accelsmith.hdl.emit.verilog_text`` takes and the Verilog size, hierarchical (the default: one
PE module, one column module, instantiated) beside flat (every PE spelled out, what Amaranth
writes without :mod:`accelsmith.hdl.hier`); the same for each other family's default
configuration; then a 16x16 Verilator build from scratch (a fresh cache folder).

Goals (issue 16.1): 128x128 int8 WS generation under 30 s and under 2 MB of Verilog; the
16x16 Verilator build under 2 minutes. Run from the repository root::

    python bench/bench_generate.py [--sizes 16,32,64,128] [--flat-max 32] [--no-verilator]

Flat generation grows with the PE count (the issue measured 4 min 37 s and 47 MB at
128x128), so it runs only up to ``--flat-max``. Timings are wall-clock (``s``) and CPU
seconds of this process and Amaranth's Yosys child (``cpu s``, less sensitive to other
load): note the machine load printed at the top.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

GOAL_SECONDS = 30.0
GOAL_BYTES = 2_000_000
GOAL_BUILD_SECONDS = 120.0


def _load() -> str:
    try:
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "load average unknown"


def _cpu() -> float:
    """CPU seconds of this process and its finished children (Amaranth's Yosys runs in one)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


CPU: dict[tuple[str, int, bool], float] = {}


def _gen(component, name: str, hierarchy: bool) -> tuple[float, str]:
    from accelsmith.hdl.emit import verilog_text

    t, c = time.perf_counter(), _cpu()
    text = verilog_text(component, name, hierarchy=hierarchy)
    CPU[(name, len(text), hierarchy)] = _cpu() - c
    return time.perf_counter() - t, text


def systolic_table(sizes: list[int], flat_max: int) -> dict[int, tuple[float, int]]:
    from accelsmith.core.families.systolic import SystolicParams
    from accelsmith.hdl.systolic import build

    print("systolic int8 weight-stationary: generation time and Verilog size")
    print(
        f"{'array':>9} | {'hier s':>7} {'cpu s':>6} {'hier bytes':>11} | {'flat s':>7} "
        f"{'cpu s':>6} {'flat bytes':>11}"
    )
    out = {}
    for n in sizes:
        p = SystolicParams(rows=n, cols=n, dataflow="ws", in_bits=8, signed=True)
        name = p.default_name()
        th, text = _gen(build(p), name, True)
        ch = CPU[(name, len(text), True)]
        out[n] = (th, len(text))
        flat = "(skipped)".rjust(26)
        if n <= flat_max:
            tf, ftext = _gen(build(p), name, False)
            cf = CPU[(name, len(ftext), False)]
            flat = f"{tf:7.1f} {cf:6.1f} {len(ftext):11,d}"
        print(f"{n:>4}x{n:<4} | {th:7.1f} {ch:6.1f} {len(text):11,d} | {flat}", flush=True)
    return out


def families_table() -> None:
    from accelsmith.core.registry import families

    print("\nother families, default configuration")
    print(f"{'family':>9} {'name':>24} | {'hier s':>7} {'hier bytes':>11} | {'flat s':>7} "
          f"{'flat bytes':>11}")  # fmt: skip
    for fam_name, fam in sorted(families().items()):
        if fam_name == "systolic":
            continue
        p = fam.params_class()()
        name = p.default_name()
        th, text = _gen(fam.build()(p), name, True)
        tf, ftext = _gen(fam.build()(p), name, False)
        print(
            f"{fam_name:>9} {name:>24} | {th:7.1f} {len(text):11,d} | {tf:7.1f} {len(ftext):11,d}",
            flush=True,
        )


def verilator_build(n: int = 16) -> float:
    from accelsmith.core.families.systolic import SystolicParams
    from accelsmith.hdl.emit import verilog_text
    from accelsmith.hdl.systolic import build
    from accelsmith.sim import runner

    p = SystolicParams(rows=n, cols=n, dataflow="ws", in_bits=8, signed=True)
    name = p.default_name()
    text = verilog_text(build(p), name)
    with tempfile.TemporaryDirectory(prefix="bench-generate-") as tmp:
        t = time.perf_counter()
        b = runner.build(text, name, cache_dir=Path(tmp))
        dt = time.perf_counter() - t
    assert not b.cached
    print(f"\nVerilator build of {n}x{n} int8 ws (hierarchical, fresh cache): {dt:.1f} s")
    return dt


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="16,32,64,128", help="array sizes n (n x n), comma list")
    ap.add_argument("--flat-max", type=int, default=32, help="largest n also generated flat")
    ap.add_argument("--no-verilator", action="store_true", help="skip the Verilator build")
    ap.add_argument("--no-families", action="store_true", help="skip the other families")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(f"machine: {os.cpu_count()} cores, {_load()}\n")
    table = systolic_table(sizes, args.flat_max)
    if not args.no_families:
        families_table()
    ok = True
    if 128 in table:
        secs, size = table[128]
        met = secs < GOAL_SECONDS and size < GOAL_BYTES
        ok &= met
        print(
            f"\ngoal 128x128 ws: {secs:.1f} s (< {GOAL_SECONDS:.0f} s), {size / 1e6:.2f} MB "
            f"(< {GOAL_BYTES / 1e6:.0f} MB): {'met' if met else 'NOT met'}"
        )
    if not args.no_verilator:
        dt = verilator_build(16)
        met = dt < GOAL_BUILD_SECONDS
        ok &= met
        print(f"goal 16x16 build < {GOAL_BUILD_SECONDS:.0f} s: {'met' if met else 'NOT met'}")
    print(f"\nmachine at the end: {_load()}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
