"""Systolic-array Fmax on sky130hd from 4x4 to 32x32 (issue 15 item 6).

Synthesizes ``n x n`` int8 arrays (both dataflows) with this project's sky130hd flow and
prints Fmax, the worst register-to-register path (start and end points) and the worst
input-to-register path. The goal of the issue: Fmax does not fall as rows and cols grow.

Flow: the hierarchical one by default (:mod:`accelsmith.synth.asic_hier`, ``accelsmith synth
--hierarchical``): the column and PE modules are mapped once, so a 32x32 array costs about
one column's synthesis plus OpenSTA on the whole instance tree, where the flat flow maps
~1M cells (an 8x8 array took Yosys 2 min 19 s flat on this machine, TOOLCHAIN.md).
``--flat-max N`` also runs the flat flow up to ``n = N`` as a cross-check; ``--flat-only``
runs the flat flow alone (every size), e.g. to see what the default flow says about Fmax
against the array size.

Each path end that is a flip-flop of a flat netlist is followed by the RTL signal bit it
holds (its ``Q`` net), e.g. ``col6.pe7.sel_out`` (column 6, PE 7's weight-select register,
which feeds column 7's PE 7) or ``col7.pe6.ps_out [17]``.

Usage: ``python bench/bench_fmax.py [--sizes 4,8,16,32] [--dataflows ws,os] [--in-bits 8]
[--max-k 4096] [--flat-max 8 | --flat-only] [--timeout S] [--out bench/results/fmax_<date>.txt]``.
``--timeout`` is the wall-clock limit of each tool run in seconds (the flow's default, 1800 s,
stops a flat 32x32 synthesis on this 2-core machine: it took 58 min at load 6-13). Run it under
``nice -n 10``; results are cached by content hash, so a rerun prints at once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path
from typing import Any


class BadInput(Exception):
    """One-line input error (exit 2)."""


def _ints(flag: str, text: str, lo: int, hi: int) -> list[int]:
    try:
        vals = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        vals = []
    if not vals or any(not lo <= v <= hi for v in vals):
        raise BadInput(
            f"{flag} must be a comma-separated list of integers {lo}..{hi}, not {text!r}"
        )
    return vals


#: longest tool run ``--timeout`` accepts, s (one day)
MAX_TIMEOUT_S = 86400.0


def _seconds(flag: str, text: str) -> float:
    try:
        val = float(text)
    except ValueError:
        val = float("nan")
    if not 0 < val <= MAX_TIMEOUT_S:  # also refuses nan
        raise BadInput(f"{flag} must be a number of seconds > 0 and <= 86400, not {text!r}")
    return val


def flop_signals(netlist: str | Path | None, names: list[str]) -> dict[str, str]:
    """The RTL signal bit each flip-flop instance of ``names`` drives (its ``Q`` net in the
    flat netlist, e.g. ``_102566_`` -> ``col6.pe7.sel``). Names not found (ports, instances
    inside a hierarchical netlist's modules) are left out."""
    import re

    if not netlist or not Path(netlist).is_file():
        return {}
    text = Path(netlist).read_text()
    out = {}
    for name in names:
        cell = re.search(rf"\s{re.escape(name)} \((.*?)\);", text, re.S)
        q = re.search(r"\.Q\((.*?)\)\s*(,|$)", cell.group(1)) if cell else None
        if q:
            out[name] = " ".join(q.group(1).replace("\\", "").split())
    return out


def _path(p: dict[str, Any] | None, sig: dict[str, str] | None = None) -> str:
    if not p:
        return "-"
    sig = sig or {}
    ends = [f"{n} ({sig[n]})" if n in sig else n for n in (p["startpoint"], p["endpoint"])]
    return f"{ends[0]} -> {ends[1]} {p['min_period_ns']:.2f} ns"


def measure(
    n: int,
    dataflow: str,
    in_bits: int,
    max_k: int,
    hierarchical: bool,
    timeout_s: float | None = None,
) -> dict[str, Any]:
    """Synthesize one ``n x n`` array; the figures the table prints. ``timeout_s``: the
    wall-clock limit of each tool run (None: the flow's default)."""
    from accelsmith.core.families.systolic import SystolicParams
    from accelsmith.synth.flow import synthesize

    p = SystolicParams(rows=n, cols=n, dataflow=dataflow, in_bits=in_bits, max_k=max_k)
    load = os.getloadavg()[0]
    limit = {} if timeout_s is None else {"timeout_s": timeout_s}
    rep = synthesize(p, hierarchical=hierarchical, **limit)
    ends = [
        rep.timing[k][e]
        for k in ("reg2reg", "in2reg")
        if rep.timing.get(k)
        for e in ("startpoint", "endpoint")
    ]
    return {
        "signals": flop_signals(rep.netlist, ends),
        "n": n,
        "dataflow": dataflow,
        "flow": "hier" if hierarchical else "flat",
        "fmax_mhz": rep.fmax_mhz,
        "area_um2": rep.area["total"],
        "cells": rep.cells["total"],
        "reg2reg": rep.timing.get("reg2reg"),
        "in2reg": rep.timing.get("in2reg"),
        "seconds": rep.seconds,
        "cached": rep.cached,
        "load": load,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="4,8,16,32")
    ap.add_argument("--dataflows", default="ws,os")
    ap.add_argument("--in-bits", type=int, default=8)
    ap.add_argument("--max-k", type=int, default=4096)
    ap.add_argument("--flat-max", type=int, default=0, help="also run the flat flow to n=N")
    ap.add_argument("--flat-only", action="store_true", help="the flat flow alone")
    ap.add_argument("--out", default=None, help="also write the table here")
    ap.add_argument(
        "--timeout", default=None, help="wall-clock limit per tool run, s (default 1800)"
    )
    try:
        args = ap.parse_args(argv)
        sizes = _ints("--sizes", args.sizes, 1, 64)
        dfs = [d.strip() for d in args.dataflows.split(",") if d.strip()]
        if not dfs or any(d not in ("ws", "os") for d in dfs):
            raise BadInput(
                f"--dataflows must be a comma-separated list of ws, os, not {args.dataflows!r}"
            )
        if not 2 <= args.in_bits <= 16:
            raise BadInput(f"--in-bits must be 2..16, not {args.in_bits}")
        if not 1 <= args.max_k <= 1 << 20:
            raise BadInput(f"--max-k must be 1..1048576, not {args.max_k}")
        timeout = None if args.timeout is None else _seconds("--timeout", args.timeout)
    except BadInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from accelsmith.core.errors import AccelsmithError

    lines: list[str] = []

    def say(s: str) -> None:
        print(s, flush=True)
        lines.append(s)

    load = os.getloadavg()
    say(
        f"# systolic Fmax on sky130hd, int{args.in_bits}, max_k {args.max_k}, "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load average at start "
        f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; pre-layout (no wires)"
    )
    hdr = (
        f"{'array':7} {'df':2} {'flow':4} {'Fmax MHz':>8} {'area um2':>10} {'cells':>7} "
        f"{'s':>6} {'load':>5} | worst reg2reg | worst in2reg"
    )
    say(hdr)
    rows = []
    t0 = time.perf_counter()
    try:
        for df in dfs:
            for n in sizes:
                flows = [] if args.flat_only else [True]
                flows += [False] if args.flat_only or n <= args.flat_max else []
                for hier in flows:
                    r = measure(n, df, args.in_bits, args.max_k, hier, timeout)
                    rows.append(r)
                    secs = "cache" if r["cached"] else f"{r['seconds']:.0f}"
                    say(
                        f"{n}x{n:<5} {df:2} {r['flow']:4} {r['fmax_mhz']:8.1f} "
                        f"{r['area_um2']:10.0f} {r['cells']:7d} {secs:>6} {r['load']:5.1f} | "
                        f"{_path(r['reg2reg'], r['signals'])} | "
                        f"{_path(r['in2reg'], r['signals'])}"
                    )
    except AccelsmithError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return getattr(exc, "exit_code", 1)
    for df, flow in ((d, f) for d in dfs for f in ("hier", "flat")):
        same = [r for r in rows if r["dataflow"] == df and r["flow"] == flow]
        if len(same) > 1 and (flow == "hier" or args.flat_only):
            first, last = same[0], same[-1]
            drop = 100 * (1 - last["fmax_mhz"] / first["fmax_mhz"])
            verdict = "met" if drop <= 10 else "NOT met"
            say(
                f"# {df} {flow}: Fmax {first['n']}x{first['n']} {first['fmax_mhz']:.1f} MHz -> "
                f"{last['n']}x{last['n']} {last['fmax_mhz']:.1f} MHz ({drop:+.1f} % drop); "
                f"goal 'Fmax does not fall as rows and cols grow' (<= 10 % drop): {verdict}"
            )
    load = os.getloadavg()
    say(
        f"# load average at end {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; "
        f"wall {time.perf_counter() - t0:.0f} s"
    )
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
