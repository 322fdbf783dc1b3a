"""Development set of one-column two-row LUT cores: how the 130 nm Fmax model takes their drain.

A LUT core of two rows and one column drains its results through a row select and the bias
subtraction. Until session 8 that was one register stage (``drow`` -> select -> ``res - sres``
-> ``c.payload``), and ABC mapped the subtraction either as a ripple of ``maj3`` cells whose
falling edge runs the whole chain (~0.40 ns a bit) or with an inverting cell inside the chain,
the drain then lying below the row path: a fast or slow core at the same parameters. Since
session 8 the generator splits that drain over two register stages (``hdl/lut_core.py``:
row select and the low half of the subtraction, then the high half), and the drain paths lie
far below the row path. This bench synthesizes a grid of ``K = 2`` cores that are NOT held-out
rows of ``bench/bench_silicon.py`` (a configuration whose name and ``max_k`` match a held-out
row is skipped): by default symmetric and full tables at ``max_k`` 32 and symmetric at
``max_k`` 8 (one ``--max-k``: the ``--tables`` at that ``max_k``, e.g. ``--max-k 16 --tables
sym full``), act 4..10, weights of 1..3 bits. Each core is synthesized on sky130hd
(``accelsmith.synth``, cached) at a 10 ns clock; OpenSTA is re-run on its netlist for the
worst path into the drain registers (the output registers and the split drain's first stage,
``drain_*``: ``drain``) and into every other register (``row``). Its Fmax is compared with
the model under each of :data:`VARIANTS` (keywords of
:meth:`accelsmith.models.calib.CalibratedTech.lut_core_period_ns`): session 6's forms (the
drain core's period as a floor, or the midpoint of the row path and that floor for symmetric
tables), then step by step the drain level by accumulator width, the row path of the
one-column drain cores, the midpoint for full tables too (session 7's model), the slower of
row path and drain (``max2``, for the split drain), the same with the 1-bit-weight cores'
row path from the 1-bit drain cores (``max1``) and with the 3-bit cores' from the 3-bit drain
cores too (``max``).

Usage: ``python bench/bench_lut_drain1_dev.py [--max-k 32 8] [--tables sym full]``.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
#: model variants: (``one_col_form``, ``one_col_drain``, ``one_col_row``) of
#: :meth:`accelsmith.models.calib.CalibratedTech.lut_core_period_ns`
VARIANTS = {
    "s6_slow": ("slow", "act", "1x1"),  # session 6's first form: the drain core's floor
    "s6_mid": ("mid_sym", "act", "1x1"),  # session 6's model: midpoint for symmetric tables
    "acc_mid": ("mid_sym", "accw", "1x1"),  # + the drain level by accumulator width
    "ctx_row": ("mid_sym", "accw", "ctx2"),  # + the row path of the one-column drain cores
    "s7_mid": ("mid", "accw", "ctx2"),  # + the midpoint for full tables too (session 7)
    "max2": ("slow", "accw", "ctx2"),  # the slower of row path and drain (split drain)
    "max1": ("slow", "accw", "ctx1"),  # ... 1-bit weights: the 1-bit drain cores' row path
    "max": ("slow", "accw", "ctx"),  # ... and 3-bit weights the 3-bit drain cores' row path
}


def _configs(max_ks: list[int], tables: list[str]) -> list[Any]:
    from accelsmith.core.families.lut_core import LutCoreParams

    held = json.loads((HERE / "results" / "silicon_asic_2026-12-07c.json").read_text())
    held_keys = {(r["name"], r["params"]["max_k"]) for r in held["lut-core"]["rows"]}
    out = []
    for mk in max_ks:
        for table in tables:
            for act in range(4, 11):
                for wb in (1, 2, 3):
                    p = LutCoreParams(
                        group_size=2,
                        weight_bits=wb,
                        act_bits=act,
                        tile_m=2,
                        tile_n=1,
                        symmetric=table == "sym",
                        max_k=mk,
                    )
                    if (p.default_name(), p.max_k) not in held_keys:
                        out.append(p)
    return out


def main(argv: list[str] | None = None) -> int:
    import bench_silicon as bs

    from accelsmith.hdl.emit import verilog_text
    from accelsmith.hdl.lut_core import build
    from accelsmith.models import calib
    from accelsmith.synth.flow import synthesize_verilog
    from accelsmith.synth.paths import split_periods

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-k", type=int, nargs="+", default=[32, 8])
    ap.add_argument("--tables", nargs="+", default=["sym", "full"])
    args = ap.parse_args(argv)
    if any(k < 1 for k in args.max_k):
        ap.error(f"--max-k must be positive integers, not {args.max_k}")
    if not set(args.tables) <= {"sym", "full"}:
        ap.error(f"--tables must be sym and/or full, not {args.tables}")
    real = calib.CalibratedTech.lut_core_period_ns

    def apply(variant: str | None) -> None:
        if variant is None:
            calib.CalibratedTech.lut_core_period_ns = real  # type: ignore[method-assign]
            return
        form, drain, row = VARIANTS[variant]
        calib.CalibratedTech.lut_core_period_ns = functools.partialmethod(  # type: ignore[method-assign]
            real, one_col_form=form, one_col_drain=drain, one_col_row=row
        )

    def synth(p: Any) -> tuple[str, float]:
        top = f"dev_{p.default_name()}_k{p.max_k}"
        rep = synthesize_verilog(verilog_text(build(p), top), top, {"name": top}, clock_ns=10.0)
        drain, row = split_periods(rep.folder, top, ("c__payload", "drain_"))
        print(f"  {top}: acc {p.acc_bits} drain {drain:.2f} ns row {row:.2f} ns", flush=True)
        return top, rep.fmax_mhz

    tables = args.tables if len(args.max_k) == 1 else None
    designs = []
    for mk in args.max_k:  # symmetric and full at the first max_k, symmetric at the others
        t = tables or (args.tables if mk == args.max_k[0] else ["sym"])
        designs += _configs([mk], t)
    bs.run_dev_set("lut-core", designs, tuple(VARIANTS), apply, synth)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
