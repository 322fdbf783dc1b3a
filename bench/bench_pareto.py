"""Pareto metrics speed: accelsmith.dse.pareto next to Optuna's own implementations.

Side by side in one run (same data, same machine): non-dominated sorting (all ranks) of
20,000 random points against ``optuna.study._multi_objective._fast_non_domination_rank``,
hypervolume of a front against ``optuna._hypervolume.compute_hypervolume`` (WFG), and the
hypervolume-versus-trials history of 20,000 trials. Both libraries must agree on the numbers
(checked here); the printed ratios are Optuna time / accelsmith time.

Run: ``make bench`` or ``.venv/bin/python bench/bench_pareto.py``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def best_of(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """Smallest wall time of ``repeat`` calls (s) and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> int:
    from optuna._hypervolume import compute_hypervolume
    from optuna.study._multi_objective import _fast_non_domination_rank

    from accelsmith.dse import pareto

    rng = np.random.default_rng(0)
    n = 20_000
    print(f"{'task':<44}{'accelsmith s':>14}{'optuna s':>12}{'ratio':>9}")
    for m in (2, 3, 4):
        pts = rng.random((n, m))
        t_ours, ranks = best_of(lambda pts=pts: pareto.pareto_ranks(pts))
        t_opt, ref = best_of(lambda pts=pts: _fast_non_domination_rank(pts), repeat=1)
        if not (ranks == ref).all():
            print(f"MISMATCH: ranks differ from Optuna's for m={m}")
            return 1
        print(
            f"{f'ranks, {n} pts x {m} obj ({ranks.max() + 1} fronts)':<44}"
            f"{t_ours:>14.3f}{t_opt:>12.3f}{t_opt / t_ours:>8.0f}x"
        )
    for m, size in ((3, 2000), (4, 500)):
        x = rng.random((size, m))
        x /= np.linalg.norm(x, axis=1, keepdims=True)  # all on a sphere: mutually non-dominated
        norm = pareto.Normalization(
            ideal=(0.0,) * m, nadir=(1.0,) * m, directions=("minimize",) * m
        )
        t_ours, hv = best_of(lambda x=x, norm=norm: pareto.hypervolume(x, norm))
        t_opt, hv_opt = best_of(lambda x=x, m=m: compute_hypervolume(x, np.full(m, 1.1)), repeat=1)
        if not np.isclose(hv, hv_opt, rtol=1e-9):
            print(f"MISMATCH: hypervolume {hv} vs Optuna {hv_opt}")
            return 1
        print(
            f"{f'hypervolume, front of {size} pts x {m} obj':<44}"
            f"{t_ours:>14.4f}{t_opt:>12.4f}{t_opt / t_ours:>8.0f}x"
        )
    for m in (3, 4):
        pts = rng.random((n, m))
        norm = pareto.Normalization.from_points(pts, ["minimize"] * m)
        t, (counts, _) = best_of(lambda pts=pts, norm=norm: pareto.hypervolume_history(pts, norm))
        print(
            f"{f'HV history, {n} trials x {m} obj ({len(counts)} pts)':<44}{t:>14.3f}"
            f"{'-':>12}{'-':>9}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
