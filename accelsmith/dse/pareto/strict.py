"""Strict quality measures of an explorer against a reference front (issue 17, item 3).

The linear HV ratio flatters every explorer on spaces whose objectives span decades (random
search reaches 0.967 at 1,000 trials on the systolic space): a few extreme points fill most
of the normalized box. The headline measures here are stricter:

Front recall
    The share of the reference front's points that the explorer found: a reference point is
    found when a feasible trial has the same objective values (relative tolerance
    :data:`RECALL_RTOL`; the cost models are deterministic, so a design found again gives
    the same values, and a different design with identical objectives is as good).
IGD+ (normalized)
    :func:`accelsmith.dse.pareto.igd_plus` against the reference front on objectives
    normalized by the reference front's ideal and nadir (0 is perfect; 0.05 means the front
    is on average within 5 % of each objective's range of the reference front).
HV ratio, log-scaled
    HV / HV(reference front) on ``log10`` objectives normalized by the reference front
    (:class:`~accelsmith.dse.pareto.Normalization` with ``log=True``), reference point 1.1.
Trials to 95 %
    The fewest trials (in trial-number order) after which recall >= 0.95, log HV ratio >=
    0.95 and IGD+ <= 0.05 (the IGD+ counterpart of "95 %"); NaN when never reached. Found by
    bisection: recall and HV never decrease as trials are added and IGD+ never increases.
Reference front
    The exact front (the ``exhaustive`` explorer) when the campaign has one, else a stored
    reference campaign, else the front of all explorers' feasible trials together (the
    ``reference`` column says which); with the last, the measures are relative to what the
    explorers found together, not to the true front.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .core import Normalization, hypervolume, igd_plus, nondominated_mask

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "RECALL_RTOL",
    "STRICT_COLUMNS",
    "front_recall",
    "strict_at",
    "strict_measures",
    "strict_summary",
    "trials_to_reach",
]

RECALL_RTOL = 1e-9
#: the columns :func:`strict_summary` adds (headline first)
STRICT_COLUMNS = (
    "front_recall",
    "igd_plus_norm",
    "hv_ratio_log",
    "hv_ratio_linear",
    "trials_to_95_recall",
    "trials_to_95_hv_log",
    "trials_to_igd_0.05",
)


def _finite(v: np.ndarray) -> np.ndarray:
    return np.isfinite(v).all(axis=1) if v.size else np.zeros(len(v), dtype=bool)


def front_recall(values: Any, reference_front: Any) -> float:
    """Share of ``reference_front`` rows matched by a row of ``values`` (module docstring)."""
    ref = np.atleast_2d(np.asarray(reference_front, dtype=np.float64))
    v = np.atleast_2d(np.asarray(values, dtype=np.float64))
    if not ref.size:
        return float("nan")
    v = v[_finite(v)] if v.size else v
    if not v.size:
        return 0.0
    found = 0
    # sort by the first objective and match within tolerance windows (n log n)
    order = np.argsort(v[:, 0], kind="stable")
    col = v[order, 0]
    for r in ref:
        tol = RECALL_RTOL * max(abs(r[0]), 1e-300)
        lo, hi = np.searchsorted(col, [r[0] - tol, r[0] + tol], side="left")
        hi = np.searchsorted(col, r[0] + tol, side="right")
        if hi > lo:
            cand = v[order[lo:hi]]
            if np.any(np.all(np.isclose(cand, r, rtol=RECALL_RTOL, atol=0.0), axis=1)):
                found += 1
    return found / len(ref)


class _Reference:
    """A reference front with both normalizations and its hypervolumes."""

    def __init__(self, front: np.ndarray, directions: Sequence[str]) -> None:
        self.front = front
        self.dirs = list(directions)
        self.lin = Normalization.from_points(front, self.dirs)
        self.log = Normalization.from_points(front, self.dirs, log=True)
        self.hv_lin = hypervolume(front, self.lin)
        self.hv_log = hypervolume(front, self.log)

    def measures(self, v: np.ndarray) -> dict[str, float]:
        ok = v[_finite(v)] if v.size else v
        if not ok.size:
            return {
                "front_recall": 0.0,
                "igd_plus_norm": float("nan"),
                "hv_ratio_log": 0.0,
                "hv_ratio_linear": 0.0,
            }
        ok = ok[nondominated_mask(ok, self.dirs)]
        return {
            "front_recall": front_recall(ok, self.front),
            "igd_plus_norm": igd_plus(ok, self.front, self.lin),
            "hv_ratio_log": hypervolume(ok, self.log) / self.hv_log if self.hv_log > 0 else 0.0,
            "hv_ratio_linear": hypervolume(ok, self.lin) / self.hv_lin if self.hv_lin > 0 else 0.0,
        }


def trials_to_reach(n: int, ok: Any) -> float:
    """Smallest ``k`` in ``1..n`` with ``ok(k)`` true, for a monotone predicate; NaN if none."""
    if n <= 0 or not ok(n):
        return float("nan")
    lo, hi = 1, n
    while lo < hi:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid + 1
    return float(lo)


def strict_measures(
    values: Any, reference_front: Any, directions: Sequence[str]
) -> dict[str, float]:
    """Every strict measure of ``values`` (rows in trial order, NaN rows infeasible)."""
    ref = _Reference(_front_of(reference_front, directions), directions)
    return _with_reference(np.asarray(values, dtype=np.float64), ref)


def strict_at(
    values: Any, reference_front: Any, directions: Sequence[str], checkpoints: Sequence[int]
) -> list[dict[str, float]]:
    """Recall, normalized IGD+ and HV ratios (log, linear) of the first ``k`` rows of
    ``values`` for each ``k`` of ``checkpoints`` (NaN where ``k`` exceeds the rows), plus the
    trials to 95 % (:func:`strict_measures`) of the rows up to the largest checkpoint."""
    v = np.atleast_2d(np.asarray(values, dtype=np.float64))
    ref = _Reference(_front_of(reference_front, directions), directions)
    top = min(len(v), max(checkpoints)) if len(checkpoints) else 0
    whole = _with_reference(v[:top], ref) if top else {}
    out = []
    for k in checkpoints:
        row = ref.measures(v[:k]) if k <= len(v) else dict.fromkeys(STRICT_COLUMNS[:4], np.nan)
        row.update({c: whole.get(c, np.nan) for c in STRICT_COLUMNS[4:]})
        out.append({"checkpoint": k, **row})
    return out


def _front_of(values: Any, directions: Sequence[str]) -> np.ndarray:
    v = np.atleast_2d(np.asarray(values, dtype=np.float64))
    v = v[_finite(v)]
    return v[nondominated_mask(v, directions)]


def _with_reference(v: np.ndarray, ref: _Reference) -> dict[str, float]:
    out = ref.measures(v)
    n = len(v)
    cache: dict[int, dict[str, float]] = {}

    def at(k: int) -> dict[str, float]:
        if k not in cache:
            cache[k] = ref.measures(v[:k])
        return cache[k]

    out["trials_to_95_recall"] = trials_to_reach(n, lambda k: at(k)["front_recall"] >= 0.95)
    out["trials_to_95_hv_log"] = trials_to_reach(n, lambda k: at(k)["hv_ratio_log"] >= 0.95)
    out["trials_to_igd_0.05"] = trials_to_reach(
        n, lambda k: not math.isnan(at(k)["igd_plus_norm"]) and at(k)["igd_plus_norm"] <= 0.05
    )
    return out


def strict_summary(
    frames: Mapping[str, pd.DataFrame],
    objectives: Any,
    *,
    exact: str | None = "exhaustive",
    reference: tuple[Any, str] | None = None,
) -> pd.DataFrame:
    """Per explorer (``frames``: explorer -> ledger trials frame): :data:`STRICT_COLUMNS`
    and ``reference`` (which front they are measured against; module docstring).

    ``reference``: ``(objective values, description)`` of a stored reference front, used
    when the campaign has no exact front.
    """
    import pandas as pd

    from .core import parse_objectives
    from .frames import objective_values

    dirs = [d for _, d in parse_objectives(objectives)]
    front: np.ndarray | None = None
    what = ""
    if exact is not None and exact in frames and len(frames[exact]):
        front = _front_of(objective_values(frames[exact], objectives), dirs)
        what = f"exact front ({exact}, {len(front)} points)"
    if (front is None or not len(front)) and reference is not None:
        front, what = _front_of(reference[0], dirs), reference[1]
    if front is None or not len(front):
        parts = [objective_values(f, objectives) for f in frames.values() if len(f)]
        allv = np.concatenate(parts) if parts else np.empty((0, len(dirs)))
        front = _front_of(allv, dirs) if len(allv) else np.empty((0, len(dirs)))
        what = f"combined front of {len(frames)} explorer(s) ({len(front)} points)"
    rows = []
    ref = _Reference(front, dirs) if len(front) else None
    for name, frame in frames.items():
        if "number" in frame.columns:
            frame = frame.sort_values("number", kind="stable")
        v = objective_values(frame, objectives) if len(frame) else np.empty((0, len(dirs)))
        row: dict[str, Any] = {"explorer": name, "reference": what}
        if ref is not None and name != exact:
            row.update(_with_reference(v, ref))
        rows.append(row)
    out = pd.DataFrame(rows).set_index("explorer")
    for c in STRICT_COLUMNS:
        if c not in out.columns:
            out[c] = np.nan
    return out[[*STRICT_COLUMNS, "reference"]]
