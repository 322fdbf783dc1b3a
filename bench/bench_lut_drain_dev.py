"""Development set of two-row LUT cores: which drain floor the 130 nm Fmax model applies.

The drain of a LUT core with two or more rows (``drow`` -> row select -> bias subtraction ->
output register) is a path the 1 x 1 context core does not have. ``accelsmith calibrate``
samples it in the smallest cores that have it (``lutctxm_k2*``: two rows, one column;
``lutctxm2_k2*``: two rows, two columns; :mod:`accelsmith.synth.components`). Whether and how
the model uses them is decided here, on seeded two-row cores that are NOT in the held-out set
of ``bench/bench_silicon.py`` (a configuration whose name and ``max_k`` match a held-out row is
skipped), never on the held-out rows:

- ``none``: no drain floor (the 1 x 1 core's form only);
- ``one_col``: the one-column drain core for every core;
- ``by_cols``: the one-column core for one column, the two-column core for more (what
  :meth:`accelsmith.models.calib.CalibratedTech.lut_core_period_ns` does).
- ``no_b1``: ``by_cols`` without the 1 x 1 core at 1-bit weights (``lutctxb1_k2*``), i.e.
  ``K = 2`` cores at 1-bit weights at the level of the core at 2-bit weights.

Each core is synthesized on sky130hd (``accelsmith.synth``, cached) at a 10 ns clock and its
Fmax compared with the model under each variant (the calibration data's other samples
unchanged). Usage: ``python bench/bench_lut_drain_dev.py [--seed 7] [--n 14] [--rows 1|2]
[--weight-bits 1|2|3]`` (``--weight-bits``: ``K = 2`` cores at those weights only).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
VARIANTS = ("none", "one_col", "by_cols", "no_b1")


def _configs(seed: int, n: int, rows: int = 2, bits: int | None = None) -> list[Any]:
    from accelsmith.core.families.lut_core import LutCoreParams

    held = json.loads((HERE / "results" / "silicon_asic_2026-12-07c.json").read_text())
    held_keys = {(r["name"], r["params"]["max_k"]) for r in held["lut-core"]["rows"]}
    rng = random.Random(seed)
    out: list[Any] = []
    while len(out) < n:
        p = LutCoreParams(
            group_size=rng.choice([2, 2, 3]) if bits is None else 2,
            weight_bits=rng.randint(1, 3) if bits is None else bits,
            act_bits=rng.choice([4, 5, 6, 7, 8, 9]),
            tile_m=rows,
            tile_n=rng.randint(1, 4),
            symmetric=rng.choice([True, False]),
            max_k=rng.choice([8, 32, 64, 100]),
        )
        key = (p.default_name(), p.max_k)
        if key in held_keys or key in {(q.default_name(), q.max_k) for q in out}:
            continue
        out.append(p)
    return out


def _variant_data(full: dict[str, Any], variant: str) -> dict[str, Any]:
    ctx = dict(full["ctx_samples"])
    if variant == "none":
        ctx = {k: v for k, v in ctx.items() if not k.startswith("lutctxm")}
    elif variant == "one_col":  # without the two-column cores the model uses the one-column
        ctx = {k: v for k, v in ctx.items() if not k.startswith(("lutctxm2", "lutctxmn2"))}
    elif variant == "no_b1":  # the model without the 1-bit-weight core (2-bit level at K = 2)
        ctx = {k: v for k, v in ctx.items() if not k.startswith("lutctxb1")}
    return {**full, "ctx_samples": ctx}


def main(argv: list[str] | None = None) -> int:
    import bench_silicon as bs

    from accelsmith.hdl.emit import verilog_text
    from accelsmith.hdl.lut_core import build
    from accelsmith.models import calib
    from accelsmith.synth.flow import synthesize_verilog

    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--rows", type=int, choices=(1, 2), default=2)
    ap.add_argument("--weight-bits", type=int, choices=(1, 2, 3), default=None)
    known, rest = ap.parse_known_args(argv)
    args = bs.dev_set_args(__doc__, 7, 14, rest)
    full, real_load = calib.load(), calib.load

    def apply(variant: str | None) -> None:
        data = full if variant is None else _variant_data(full, variant)
        calib.load = real_load if variant is None else (lambda: data)  # type: ignore[assignment]

    def synth(p: Any) -> tuple[str, float]:
        top = f"dev_{p.default_name()}_k{p.max_k}"
        rep = synthesize_verilog(verilog_text(build(p), top), top, {"name": top}, clock_ns=10.0)
        return top, rep.fmax_mhz

    bs.run_dev_set(
        "lut-core",
        _configs(args.seed, args.n, known.rows, known.weight_bits),
        VARIANTS,
        apply,
        synth,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
