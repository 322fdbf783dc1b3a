"""Quality metrics of ledger trials frames (``accelsmith.dse.ledger.trials_frame``).

See :mod:`accelsmith.dse.pareto` for the conventions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from ...core.errors import ConfigError
from .core import (
    REFERENCE_POINT,
    Normalization,
    Objectives,
    _finite_rows,
    hypervolume,
    hypervolume_history,
    igd_plus,
    nondominated_mask,
    pareto_ranks,
    parse_objectives,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "campaign_normalization",
    "front_mask",
    "front_ranks",
    "history_frame",
    "objective_values",
    "quality_summary",
]


def objective_values(
    frame: pd.DataFrame, objectives: Objectives, *, feasible_only: bool = True
) -> np.ndarray:
    """Objective matrix (rows of ``frame`` x objectives) from a ledger trials frame.

    Infeasible rows (column ``feasible`` False, when ``feasible_only``) and failed rows
    (``state`` other than COMPLETE) become NaN, so they keep their place in trial order. A
    frame without completed trials (a study just created, or only failures) gives NaN rows.
    """
    objs = parse_objectives(objectives)
    missing = [n for n, _ in objs if n not in frame.columns]
    completed = frame["state"] == "COMPLETE" if "state" in frame.columns else None
    if len(frame) == 0 or (missing and completed is not None and not completed.any()):
        return np.full((len(frame), len(objs)), np.nan)
    if missing:
        raise ConfigError(
            f"objective {missing[0]!r} is not a metric of the trials "
            f"(available: {', '.join(sorted(map(str, frame.columns)))})"
        )
    out = frame[[n for n, _ in objs]].to_numpy(dtype=float, na_value=np.nan).copy()
    drop = np.zeros(len(frame), dtype=bool)
    if feasible_only and "feasible" in frame.columns:
        drop |= ~frame["feasible"].fillna(False).to_numpy(dtype=bool)
    if "state" in frame.columns:
        drop |= (frame["state"] != "COMPLETE").to_numpy(dtype=bool)
    out[drop] = np.nan
    return out


def _dirs(objectives: Objectives) -> list[str]:
    return [d for _, d in parse_objectives(objectives)]


def front_mask(
    frame: pd.DataFrame, objectives: Objectives, *, feasible_only: bool = True
) -> pd.Series:
    """Boolean Series (index of ``frame``): the trial is on the Pareto front of ``frame``."""
    import pandas as pd

    mask = nondominated_mask(
        objective_values(frame, objectives, feasible_only=feasible_only), _dirs(objectives)
    )
    return pd.Series(mask, index=frame.index, name="pareto")


def front_ranks(
    frame: pd.DataFrame, objectives: Objectives, *, feasible_only: bool = True
) -> pd.Series:
    """Pareto rank of each trial (0 = front) as nullable ints; <NA> for excluded trials."""
    import pandas as pd

    r = pareto_ranks(
        objective_values(frame, objectives, feasible_only=feasible_only), _dirs(objectives)
    )
    return pd.Series(
        pd.array(np.where(r < 0, None, r), dtype="Int64"), index=frame.index, name="pareto_rank"
    )


def campaign_normalization(
    frames: Mapping[str, pd.DataFrame],
    objectives: Objectives,
    *,
    exact: str | None = "exhaustive",
    reference: float = REFERENCE_POINT,
    log: bool = False,
) -> Normalization:
    """One normalization for all explorers of a campaign (``frames``: explorer -> trials).

    Bounds of the exact front (``frames[exact]``) when present and non-empty, else of the
    non-dominated set of all feasible trials of all explorers. ``log``: see
    :class:`~accelsmith.dse.pareto.Normalization`.
    """
    dirs = _dirs(objectives)
    if exact is not None and exact in frames:
        v = objective_values(frames[exact], objectives)
        if _finite_rows(v).any():
            n = int(nondominated_mask(v, dirs).sum())
            return Normalization.from_points(
                v, dirs, reference=reference, source=f"exact front ({exact}, {n} points)", log=log
            )
    parts = [objective_values(f, objectives) for f in frames.values()]
    allv = np.concatenate(parts) if parts else np.empty((0, len(dirs)))
    feasible = int(_finite_rows(allv).sum())
    return Normalization.from_points(
        allv,
        dirs,
        reference=reference,
        source=f"front of all {feasible} feasible trials of {len(frames)} explorer(s)",
        log=log,
    )


def _exact_front(
    frames: Mapping[str, pd.DataFrame], objectives: Objectives, exact: str | None
) -> np.ndarray | None:
    if exact is None or exact not in frames:
        return None
    v = objective_values(frames[exact], objectives)
    v = v[nondominated_mask(v, _dirs(objectives))]
    return v if v.shape[0] else None


def quality_summary(
    frames: Mapping[str, pd.DataFrame],
    objectives: Objectives,
    *,
    exact: str | None = "exhaustive",
    normalization: Normalization | None = None,
) -> pd.DataFrame:
    """Per explorer: trials, feasible, front size, hypervolume, HV ratio, IGD+.

    HV ratio is NaN without an exact front. IGD+ is measured against the exact front, or
    else against the front of all explorers together (stated in ``igd_plus_reference``).
    Note the exact explorer's row counts its stored trials (its front), not the points it
    evaluated.
    """
    import pandas as pd

    dirs = _dirs(objectives)
    norm = normalization or campaign_normalization(frames, objectives, exact=exact)
    exact_front = _exact_front(frames, objectives, exact)
    if exact_front is not None:
        target, target_name = exact_front, "exact front"
    else:
        allv = np.concatenate([objective_values(f, objectives) for f in frames.values()])
        target, target_name = allv[nondominated_mask(allv, dirs)], "combined front"
    exact_hv = hypervolume(exact_front, norm) if exact_front is not None else float("nan")
    rows = []
    for name, frame in frames.items():
        v = objective_values(frame, objectives)
        hv = hypervolume(v, norm)
        ok = _finite_rows(v)
        rows.append(
            {
                "explorer": name,
                "trials": len(frame),
                "feasible": int(ok.sum()),
                "pareto_points": int(nondominated_mask(v, dirs).sum()),
                "hypervolume": hv,
                "hv_ratio": hv / exact_hv if exact_hv > 0 else float("nan"),
                "igd_plus": igd_plus(v, target, norm) if target.shape[0] else float("nan"),
                "igd_plus_reference": target_name,
            }
        )
    return pd.DataFrame(rows).set_index("explorer")


def history_frame(
    frames: Mapping[str, pd.DataFrame],
    objectives: Objectives,
    *,
    exact: str | None = "exhaustive",
    normalization: Normalization | None = None,
    max_points: int = 256,
) -> pd.DataFrame:
    """Hypervolume (and HV ratio) versus trials for every explorer but the exact one.

    Long format: columns ``explorer``, ``trials``, ``hypervolume``, ``hv_ratio`` (NaN
    without an exact front). Trials are counted in trial-number order.
    """
    import pandas as pd

    norm = normalization or campaign_normalization(frames, objectives, exact=exact)
    exact_front = _exact_front(frames, objectives, exact)
    exact_hv = hypervolume(exact_front, norm) if exact_front is not None else float("nan")
    parts = []
    for name, frame in frames.items():
        if name == exact or len(frame) == 0:
            continue
        if "number" in frame.columns:
            frame = frame.sort_values("number", kind="stable")
        counts, hv = hypervolume_history(
            objective_values(frame, objectives), norm, max_points=max_points
        )
        parts.append(
            pd.DataFrame(
                {
                    "explorer": name,
                    "trials": counts,
                    "hypervolume": hv,
                    "hv_ratio": hv / exact_hv if exact_hv > 0 else np.nan,
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=["explorer", "trials", "hypervolume", "hv_ratio"])
    return pd.concat(parts, ignore_index=True)
