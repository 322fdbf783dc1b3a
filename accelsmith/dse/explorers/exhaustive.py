"""``exhaustive``: evaluate the whole grid in vectorized batches and keep the exact front.

The grid of the space (every value of every range with a step and every choice; a continuous
range is refused) is enumerated in batches of ``batch_size`` rows, evaluated with one model call
per batch and workload, and merged into a running non-dominated archive of the *feasible*
points (``moocore.is_nondominated``, weakly: designs tied on every objective are all kept).
Only the exact Pareto front is stored, as trials; the study attributes gain
``points_evaluated``, ``points_feasible``, ``points_failed`` and ``complete``.

The sweep is all-or-nothing: a study left incomplete (killed) is deleted and swept again
(it is deterministic). The budget does not apply; spaces above ``max_points`` are refused.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import numpy as np

from ...core.errors import ConfigError
from ..ledger import STUDY_KEY
from .base import Explorer, Option

__all__ = ["MAX_POINTS", "ExhaustiveExplorer"]

#: Default refusal limit: about 10 s per 10^5 points on one core for a 50-layer workload.
MAX_POINTS = 2_000_000


class ExhaustiveExplorer(Explorer):
    """Every point of the grid; the exact Pareto front of the feasible points is recorded."""

    name = "exhaustive"
    exact = True
    uses_budget = False
    parallel = False
    options: ClassVar = {
        "batch_size": Option((int,), 8192, "grid rows per model call", low=1),
        "max_points": Option((int,), MAX_POINTS, "refuse grids larger than this", low=1),
    }

    @classmethod
    def check_space(cls, space: Any, options: dict[str, Any]) -> None:
        """Refuse a grid too large to sweep (ConfigError), before any storage exists."""
        product = space.grid_product()
        if not space.enumerable or product > options["max_points"]:
            size = "continuous" if not space.enumerable else f"{int(product):,} points"
            raise ConfigError(
                f"explorer exhaustive: the space has {size}; exhaustive search is limited to "
                f"{options['max_points']:,} points (explorer.options.max_points) and needs "
                "a step or choices on every parameter"
            )

    def run(self) -> None:
        import pandas as pd

        from ..evaluator import BatchResult
        from ..pareto import nondominated_mask
        from ..record import record_evaluations

        ctx = self.ctx
        study = ctx.study
        info = dict(study.user_attrs.get(STUDY_KEY, {}))
        if info.get("complete"):
            return
        space = ctx.space
        self.check_space(space, self.opts)
        product = space.grid_product()
        dirs = ctx.spec.directions
        ev = ctx.evaluator
        t0 = time.perf_counter()
        front_cfg: list[dict] = []
        front_vals = np.empty((0, len(dirs)))
        n_eval = n_feas = n_fail = 0
        for batch in space.grid_batches(self.opts["batch_size"]):
            if ctx.stop():
                return
            res = ev.evaluate(batch)
            n_eval += len(res)
            n_fail += int((~res.ok).sum())
            feas = np.flatnonzero(res.feasible)
            n_feas += len(feas)
            if len(feas):
                cand = np.concatenate([front_vals, res.values[feas]])
                keep = nondominated_mask(cand, dirs)
                old = keep[: len(front_vals)]
                new = keep[len(front_vals) :]
                front_cfg = [c for c, k in zip(front_cfg, old, strict=True) if k] + [
                    res.config(int(i)) for i, k in zip(feas, new, strict=True) if k
                ]
                front_vals = cand[keep]
            ctx.tick(completed=n_eval, total=int(product))
        seconds = time.perf_counter() - t0
        if front_cfg:
            final = ev.evaluate(pd.DataFrame(front_cfg))
            final.seconds = seconds * len(final) / max(1, n_eval)
            order = np.lexsort(final.values.T[::-1])
            rows = [int(i) for i in order if final.errors[i] is None]
            res = BatchResult(**{**final.__dict__})
            record_evaluations(study, res, space, ctx.explorer, rows=rows)
        info.update(
            points_evaluated=n_eval,
            points_feasible=n_feas,
            points_failed=n_fail,
            front_size=len(front_cfg),
            sweep_seconds=round(seconds, 3),
            complete=True,
        )
        study.set_user_attr(STUDY_KEY, info)
        ctx.tick()
