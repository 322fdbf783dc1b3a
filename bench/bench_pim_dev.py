"""Development set of int8 PIM channels: whether the 130 nm Fmax model adds the global
buffer's fan-out over the banks to the channel-context lane path.

The int8 lane path of :func:`accelsmith.models.pim_asic.pim_period_ns` comes from the
one-bank channel in context (``pimchan_int8_p<bpr>``). In a channel of ``banks`` banks the
global buffer's burst drives one operand of every bank's multipliers
(:func:`accelsmith.models.pim_asic.gb_fanout_ns`). Whether that term improves the model is
decided here, on seeded int8 channels that are NOT in the held-out set of
``bench/bench_silicon.py`` (a channel whose name matches a held-out row is skipped), never on
the held-out rows:

- ``none``: the context's lane path with the column terms only;
- ``gb_fan``: plus :func:`~accelsmith.models.pim_asic.gb_fanout_ns` (what the model does).

Each channel is synthesized on sky130hd (``accelsmith.synth``, cached) at a 10 ns clock.
Usage: ``python bench/bench_pim_dev.py [--seed 11] [--n 12]``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
VARIANTS = ("none", "gb_fan")


def _configs(seed: int, n: int) -> list[Any]:
    import bench_silicon as bs

    from accelsmith.core.families.pim import PimParams

    held = json.loads((HERE / "results" / "silicon_asic_pim_2026-12-07b.json").read_text())
    held_names = {r["name"] for r in held["pim"]["rows"]}
    rng = random.Random(seed)
    out: list[Any] = []
    while len(out) < n:
        lanes = rng.randint(1, 3)
        p = PimParams(
            precision="int8",
            lanes=lanes,
            banks=rng.randint(1, 4),
            rows=rng.choice([2, 3, 4, 5, 6, 7]),
            row_bytes=lanes * rng.randint(1, 3),
            timing=rng.choice(["hbm2", "gddr6"]),
            t_cl=rng.choice([2, 3, 4, 5, 6]),
        )
        name = bs._name("pim", p)
        if name in held_names or name in {bs._name("pim", q) for q in out}:
            continue
        out.append(p)
    return out


def main(argv: list[str] | None = None) -> int:
    import bench_silicon as bs

    from accelsmith.models import pim_asic
    from accelsmith.synth.flow import synthesize

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--n", type=int, default=12)
    args = ap.parse_args(argv)
    if args.n < 1:
        ap.error(f"--n must be at least 1, not {args.n}")
    real = pim_asic.gb_fanout_ns
    errs: dict[str, list[float]] = {v: [] for v in VARIANTS}
    try:
        for p in _configs(args.seed, args.n):
            top = f"dev_{bs._name('pim', p)}"
            rep = synthesize(p, clock_ns=10.0, name=top)
            cells = []
            for v in VARIANTS:
                pim_asic.gb_fanout_ns = real if v == "gb_fan" else (lambda nb: 0.0 * np.asarray(nb))
                e = 100.0 * (bs._model("pim", p)["fmax"] - rep.fmax_mhz) / rep.fmax_mhz
                errs[v].append(e)
                cells.append(f"{v} {e:+6.1f}%")
            print(f"{top:40s} fmax {rep.fmax_mhz:6.1f} MHz  " + "  ".join(cells), flush=True)
    finally:
        pim_asic.gb_fanout_ns = real
    print()
    for v, e in errs.items():
        a = np.abs(e)
        print(f"{v:8s} fmax error mean {a.mean():5.1f} %  worst {a.max():5.1f} %")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
