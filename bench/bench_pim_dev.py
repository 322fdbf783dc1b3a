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

    args = bs.dev_set_args(__doc__, 11, 12, argv)
    real = pim_asic.gb_fanout_ns

    def apply(variant: str | None) -> None:
        none = variant == "none"
        pim_asic.gb_fanout_ns = (lambda nb: 0.0 * np.asarray(nb)) if none else real

    def synth(p: Any) -> tuple[str, float]:
        top = f"dev_{bs._name('pim', p)}"
        return top, synthesize(p, clock_ns=10.0, name=top).fmax_mhz

    bs.run_dev_set("pim", _configs(args.seed, args.n), VARIANTS, apply, synth)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
