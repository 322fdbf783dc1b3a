"""Explorers on the co-exploration space (family ``coexplore``, issue 17 item 4b).

The campaign of ``examples/campaigns/coexplore-llama3.yaml`` (systolic + LUT + PIM on one
chip, per-layer-kind mapping, Llama-3-8B decode; latency, energy, area; area and power
budgets) is run by each explorer with ``--seeds`` seeds at ``--budget`` trials on in-memory
storage (the runner of ``bench/bench_explorers.py``). The space (~1.4e10 points) has no
exact front, so the strict measures (:mod:`accelsmith.dse.pareto.strict`: front recall,
normalized IGD+, log-HV ratio, trials to 95 %) are taken against the **union front** of all
runs: a relative comparison of these runs, not a distance to the true front.

Run: ``python bench/bench_coexplore.py [--budget 300] [--seeds 2] [--explorers random,...]``
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

SPEC = Path(__file__).resolve().parents[1] / "examples" / "campaigns" / "coexplore-llama3.yaml"
COLUMNS = ("front_recall", "igd_plus_norm", "hv_ratio_log", "trials_to_95_hv_log")


def main(argv: list[str] | None = None) -> int:
    import bench_explorers as be
    import yaml

    from accelsmith.dse.pareto import nondominated_mask, strict_measures

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=int, default=300)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--explorers", default="random,nsga2,tpe,marl,ppo")
    args = ap.parse_args(argv)

    raw = yaml.safe_load(SPEC.read_text())
    be.SPACES["coexplore-llama3"] = {
        k: raw[k] for k in ("family", "workload", "objectives", "constraints")
    }
    dirs = list(raw["objectives"].values())
    runs: dict[tuple[str, int], dict] = {}
    for name in args.explorers.split(","):
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            r = be.run_explorer("coexplore-llama3", name, seed, args.budget)
            runs[name, seed] = r
            print(
                f"# {name} seed {seed}: {r['trials']} trials, {time.perf_counter() - t0:.1f} s "
                f"wall, load {r['loadavg']:.1f}",
                flush=True,
            )
    parts = [r["values"] for r in runs.values() if r["values"] is not None]
    allv = np.concatenate(parts)
    allv = allv[np.isfinite(allv).all(axis=1)]  # infeasible trials are NaN rows
    union = allv[nondominated_mask(allv, dirs)]
    print(f"\nunion front of {len(runs)} runs: {len(union)} points (feasible, nondominated)")
    print(f"{'explorer':<10} " + " ".join(f"{c:>22}" for c in COLUMNS))
    for name in args.explorers.split(","):
        ms = [
            strict_measures(runs[name, s]["values"], union, dirs)
            for s in range(args.seeds)
            if runs[name, s]["values"] is not None
        ]
        cells = []
        for c in COLUMNS:
            v = np.array([m[c] for m in ms], dtype=float)
            cells.append(" / ".join(f"{x:.3g}" for x in v))
        print(f"{name:<10} " + " ".join(f"{c:>22}" for c in cells))
    print(f"(per seed, seeds 0..{args.seeds - 1}; load {os.getloadavg()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
