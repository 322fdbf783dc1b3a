"""Development set: how far apart the fold paths of one WS array's columns land (130 nm).

A weight-stationary array's clock is often its fold path (``hdl/systolic_pe.WsCol``: each
column adds its bottom PE's partial sum to a queued ``acc_bits`` sum). Every column holds the
same fold adder, but ABC maps each on its own: one column's adder stays a lookahead, another
becomes a full ripple of ``maj3`` cells (2026-12-08, ``sa_ws_3x3_s5`` at ``max_k`` 8: columns
at 3.14, 4.27 and 5.17 ns, the last a 13-bit ripple of 11 ``maj3`` that just meets the flow's
5-ns ABC target). A delay-driven target does not remove the scatter (at ``abc -D 2500`` the
periods shorten 7-13 % and equivalent netlists still land 6-15 % apart:
``bench/results/coord13_abc_target_2026-12-08.txt``). The array's fold
path is the slowest column, so an array with more columns lands higher on average, and which
column lands where is not a function of the configuration that a cost model sees. The
bench's noise floor (``bench_silicon.py --noise``: null rewrites of the Verilog) need not
sample this at all (``sa_ws_3x3_s5``: floor 0.0 % under three rewrites).

For the WS rows of ``bench_silicon.py``'s systolic draw at ``--seed`` (synthesized on sky130hd,
cached), this prints each column's fold period (:func:`accelsmith.synth.paths.column_periods`),
their half-spread around the midpoint (``(max - min) / (max + min)``, %), the model's fold path
and clock, and the measured period. Usage: ``python bench/bench_ws_columns_dev.py [--seed 75000]
[--n 20]``; never run it on a held-out seed.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


def ws_rows(seed: int, n: int) -> list[Any]:
    """The WS configurations among the first ``n`` of ``bench_silicon.py``'s systolic draw
    at ``seed``."""
    import bench_silicon as bs

    rng = random.Random(f"{seed}-systolic")
    params = bs._valid("systolic", bs._systolic(rng, 6 * n), n)
    return [p for p in params if p.dataflow == "ws"]


def model_paths(p: Any) -> tuple[float, float]:
    """The 130 nm model's fold path and clock period (ns) of WS array ``p``."""
    from accelsmith.models.calib import calibrated_tech
    from accelsmith.models.rtl_inventory import ws_psum_bits
    from accelsmith.models.ws_period import fold_period_ns

    ps = ws_psum_bits(p.in_bits, p.signed, p.acc_bits, p.rows)
    fold = fold_period_ns(ps, p.cols)
    clk = calibrated_tech().systolic_period_ns(
        p.rows, p.cols, p.in_bits, p.acc_bits, False, p.signed
    )
    return float(fold), float(clk)


def main(argv: list[str] | None = None) -> int:
    from bench_silicon import dev_set_args, half_spread_pct

    from accelsmith.synth import synthesize
    from accelsmith.synth.paths import column_periods

    args = dev_set_args(__doc__, 75000, 20, argv)
    spreads = []
    rows = ws_rows(args.seed, args.n)
    for p in rows:
        name = p.default_name()
        rep = synthesize(p, clock_ns=10.0, name=name)
        cols = column_periods(rep.folder, name)
        fold, clk = model_paths(p)
        spreads.append(half_spread_pct(cols))
        print(
            f"{name:16s} max_k {p.max_k:3d} acc {p.acc_bits:2d}  columns "
            f"{' '.join(f'{c:5.2f}' for c in cols):27s} half-spread {spreads[-1]:4.1f} %  "
            f"model fold {fold:5.2f} clock {clk:5.2f}  measured {1000.0 / rep.fmax_mhz:5.2f} ns",
            flush=True,
        )
    multi = [s for s, p in zip(spreads, rows, strict=True) if p.cols > 1]
    if multi:
        print(
            f"\n{len(multi)} WS arrays of 2+ columns: fold half-spread between columns mean "
            f"{sum(multi) / len(multi):.1f} %, worst {max(multi):.1f} %"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
