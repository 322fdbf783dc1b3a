"""Non-dominated sorting, normalization, hypervolume, IGD+ and HV history on arrays.

See :mod:`accelsmith.dse.pareto` for the conventions (directions, normalization, reference
point, IGD+ definition).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...core.errors import ConfigError

__all__ = [
    "DIRECTIONS",
    "REFERENCE_POINT",
    "Normalization",
    "hv_ratio",
    "hypervolume",
    "hypervolume_history",
    "igd_plus",
    "nondominated_mask",
    "pareto_ranks",
    "parse_objectives",
    "trial_checkpoints",
]

DIRECTIONS = ("minimize", "maximize")
#: Reference point on every normalized axis (ideal 0, nadir 1).
REFERENCE_POINT = 1.1

Objectives = Sequence[tuple[str, str]] | Mapping[str, str]


def parse_objectives(objectives: Objectives | Iterable[Sequence[str]]) -> list[tuple[str, str]]:
    """``[(metric, direction), ...]`` from pairs or a ``{metric: direction}`` mapping."""
    items = objectives.items() if isinstance(objectives, Mapping) else objectives
    out: list[tuple[str, str]] = []
    for item in items:
        name, direction = item
        if direction not in DIRECTIONS:
            raise ConfigError(
                f"direction of objective {name!r} must be 'minimize' or 'maximize', "
                f"not {direction!r}"
            )
        out.append((str(name), str(direction)))
    if not out:
        raise ConfigError("objectives must name at least one metric, not an empty list")
    if len({n for n, _ in out}) != len(out):
        raise ConfigError(f"objectives must be distinct metrics, not {[n for n, _ in out]}")
    return out


def _signs(directions: Sequence[str] | None, m: int) -> np.ndarray:
    if directions is None:
        return np.ones(m)
    directions = list(directions)
    if len(directions) != m:
        raise ConfigError(f"directions must have one entry per objective ({m}), not {directions}")
    for d in directions:
        if d not in DIRECTIONS:
            raise ConfigError(f"direction must be 'minimize' or 'maximize', not {d!r}")
    return np.array([1.0 if d == "minimize" else -1.0 for d in directions])


def _as_matrix(values: Any) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    if a.ndim == 1:
        a = a.reshape(-1, 1) if a.size else a.reshape(0, 1)
    if a.ndim != 2:
        raise ConfigError(
            f"objective values must be a 2-D array (points x objectives), not {a.ndim}-D"
        )
    return a


def _finite_rows(a: np.ndarray) -> np.ndarray:
    return np.isfinite(a).all(axis=1)


def pareto_ranks(values: Any, directions: Sequence[str] | None = None) -> np.ndarray:
    """Non-dominated sorting: the Pareto rank of every point (all fronts, not only the first).

    Parameters
    ----------
    values : array_like, shape (n, m)
        Objective values in natural units and directions.
    directions : sequence of str, optional
        ``"minimize"`` / ``"maximize"`` per objective (all minimized if omitted).

    Returns
    -------
    numpy.ndarray of int, shape (n,)
        0 for the non-dominated front, 1 for the front of what remains, and so on; identical
        points share a rank; -1 for rows with a non-finite value (excluded from the sort).
    """
    import moocore

    a = _as_matrix(values)
    oriented = a * _signs(directions, a.shape[1])
    ranks = np.full(a.shape[0], -1, dtype=np.int64)
    ok = _finite_rows(a)
    if ok.any():
        ranks[ok] = moocore.pareto_rank(oriented[ok])
    return ranks


def nondominated_mask(values: Any, directions: Sequence[str] | None = None) -> np.ndarray:
    """True for the points no other point dominates (duplicates of such points included).

    Rows with a non-finite value are False. Equivalent to ``pareto_ranks(...) == 0`` but
    cheaper (O(n log n) for up to 3 objectives).
    """
    import moocore

    a = _as_matrix(values)
    oriented = a * _signs(directions, a.shape[1])
    mask = np.zeros(a.shape[0], dtype=bool)
    ok = _finite_rows(a)
    if ok.any():
        mask[ok] = moocore.is_nondominated(oriented[ok], keep_weakly=True)
    return mask


@dataclass(frozen=True, kw_only=True)
class Normalization:
    """Map of objectives to [0, 1] (ideal 0, nadir 1, smaller better) plus the HV box.

    Parameters
    ----------
    ideal, nadir : tuple of float
        Best and worst value of each objective over the reference front, natural units.
    directions : tuple of str
        ``"minimize"`` / ``"maximize"`` per objective.
    reference : float
        Reference point on every normalized axis (> 1 so that the nadir point counts).
    source : str
        What the bounds were taken from (shown in reports).
    log : bool
        Normalize ``log10`` of the objectives instead (``z = (log v - log ideal) /
        (log nadir - log ideal)``; all values must be > 0). Objectives of architecture
        spaces span decades (area of a 4x4 vs a 128x128 array), and on a linear scale the
        low-cost end of a front holds almost no volume; the log scale weighs every decade
        alike. Off by default: the project's reported HV is on the linear scale.
    """

    ideal: tuple[float, ...]
    nadir: tuple[float, ...]
    directions: tuple[str, ...]
    reference: float = REFERENCE_POINT
    source: str = ""
    log: bool = False
    offset: tuple[float, ...] = field(init=False, repr=False)
    scale: tuple[float, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        m = len(self.directions)
        _signs(self.directions, m)
        for name in ("ideal", "nadir"):
            v = getattr(self, name)
            if len(v) != m or not np.isfinite(np.asarray(v, dtype=float)).all():
                raise ConfigError(f"{name} must be {m} finite numbers, not {v}")
        if not (np.isfinite(self.reference) and self.reference > 1.0):
            raise ConfigError(f"reference must be a finite number > 1, not {self.reference}")
        sign = _signs(self.directions, m)
        ideal, nadir = np.asarray(self.ideal, float), np.asarray(self.nadir, float)
        if self.log:
            if (ideal <= 0).any() or (nadir <= 0).any():
                raise ConfigError(
                    f"log normalization needs positive objective values, not ideal={self.ideal} "
                    f"nadir={self.nadir}"
                )
            ideal, nadir = np.log10(ideal), np.log10(nadir)
        span = (nadir - ideal) * sign
        if (span < 0).any():
            raise ConfigError(
                f"nadir must not be better than ideal on any objective, not ideal={self.ideal} "
                f"nadir={self.nadir} for {self.directions}"
            )
        # degenerate axis: relative deviation from the ideal (one decade on the log scale)
        degenerate = np.ones(m) if self.log else np.where(ideal != 0, np.abs(ideal), 1.0)
        scale = np.where(span > 0, span, degenerate) * sign
        object.__setattr__(self, "offset", tuple(float(x) for x in ideal))
        object.__setattr__(self, "scale", tuple(float(x) for x in scale))

    @property
    def n_objectives(self) -> int:
        return len(self.directions)

    def transform(self, values: Any) -> np.ndarray:
        """Normalized (minimization) values, shape (n, m); non-finite rows stay non-finite."""
        a = _as_matrix(values)
        if a.shape[1] != self.n_objectives:
            raise ConfigError(
                f"values must have {self.n_objectives} objective columns, not {a.shape[1]}"
            )
        if self.log:
            bad = np.isfinite(a) & (a <= 0)
            if bad.any():
                j = int(np.argwhere(bad)[0][1])
                raise ConfigError(
                    f"log normalization needs positive values, not {float(a[bad][0])!r} "
                    f"(objective {j})"
                )
            with np.errstate(divide="ignore", invalid="ignore"):
                a = np.log10(a)
        return (a - np.asarray(self.offset)) / np.asarray(self.scale)

    @classmethod
    def from_points(
        cls,
        values: Any,
        directions: Sequence[str],
        *,
        reference: float = REFERENCE_POINT,
        source: str = "",
        log: bool = False,
    ) -> Normalization:
        """Bounds from the ideal and nadir of the non-dominated finite rows of ``values``."""
        a = _as_matrix(values)
        sign = _signs(directions, a.shape[1])
        front = a[nondominated_mask(a, directions)]
        if front.shape[0] == 0:
            raise ConfigError(
                "cannot normalize objectives: the reference set has no point with finite "
                "objective values (no feasible trial?)"
            )
        oriented = front * sign
        ideal = oriented.min(axis=0) * sign
        nadir = oriented.max(axis=0) * sign
        return cls(
            ideal=tuple(float(x) for x in ideal),
            nadir=tuple(float(x) for x in nadir),
            directions=tuple(directions),
            reference=reference,
            source=source,
            log=log,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data for reports and JSON."""
        return {
            "ideal": list(self.ideal),
            "nadir": list(self.nadir),
            "directions": list(self.directions),
            "reference_point": self.reference,
            "source": self.source,
            "scale": "log10" if self.log else "linear",
        }


def _boxed(z: np.ndarray, reference: float) -> np.ndarray:
    """Finite normalized rows strictly inside the reference box (the only ones with HV)."""
    return z[_finite_rows(z) & (z < reference).all(axis=1)]


def _hv(z: np.ndarray, reference: float) -> float:
    import moocore

    z = _boxed(z, reference)
    if z.shape[0] == 0:
        return 0.0
    return float(moocore.hypervolume(z, ref=np.full(z.shape[1], reference)))


def hypervolume(values: Any, normalization: Normalization) -> float:
    """Hypervolume of the finite rows of ``values`` in normalized space (unitless).

    The largest possible value is ``reference ** m`` (a point at the ideal); the exact front
    scores at most that and at least ``(reference - 1) ** m``.
    """
    return _hv(normalization.transform(values), normalization.reference)


def hv_ratio(values: Any, exact_front: Any, normalization: Normalization) -> float:
    """``HV(values) / HV(exact_front)``: 1 when ``values`` contain the exact front."""
    ref_hv = hypervolume(exact_front, normalization)
    if ref_hv <= 0.0:
        raise ConfigError(
            "HV ratio needs an exact front with a positive hypervolume, not an empty front"
        )
    return hypervolume(values, normalization) / ref_hv


def igd_plus(values: Any, reference_front: Any, normalization: Normalization) -> float:
    """IGD+ of ``values`` against ``reference_front`` in normalized space (see module doc).

    Returns ``inf`` when ``values`` has no finite row; raises when the reference front does.
    """
    a = normalization.transform(values)
    a = a[_finite_rows(a)]
    zf = normalization.transform(reference_front)
    z = zf[_finite_rows(zf)]
    if z.shape[0] == 0:
        raise ConfigError("IGD+ needs a reference front with at least one finite point")
    if a.shape[0] == 0:
        return float("inf")
    a = a[nondominated_mask(a)]  # dominated points never give the minimum distance
    total = 0.0
    chunk = max(1, 4_000_000 // max(1, a.shape[0] * a.shape[1]))
    for s in range(0, z.shape[0], chunk):
        d = np.maximum(a[None, :, :] - z[s : s + chunk, None, :], 0.0)
        total += float(np.sqrt(np.einsum("ijk,ijk->ij", d, d)).min(axis=1).sum())
    return total / z.shape[0]


def trial_checkpoints(n: int, max_points: int = 256) -> np.ndarray:
    """Trial counts (1..n, always including n) at which a history is evaluated.

    Every count when ``n <= max_points``; otherwise a union of a geometric and a linear grid
    (dense early, where hypervolume moves fast, and even later), at most ~``max_points``.
    """
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    if n <= max_points:
        return np.arange(1, n + 1, dtype=np.int64)
    half = max(2, max_points // 2)
    grid = np.concatenate([np.geomspace(1, n, half), np.linspace(1, n, half)])
    return np.unique(np.clip(np.round(grid).astype(np.int64), 1, n))


def hypervolume_history(
    values: Any,
    normalization: Normalization,
    *,
    checkpoints: Sequence[int] | np.ndarray | None = None,
    max_points: int = 256,
) -> tuple[np.ndarray, np.ndarray]:
    """Hypervolume of the first ``k`` trials for ``k`` in ``checkpoints``.

    Parameters
    ----------
    values : array_like, shape (n, m)
        Objective values in trial order; non-finite rows (infeasible, failed) count as trials
        but add no volume.
    normalization : Normalization
    checkpoints : sequence of int, optional
        Increasing trial counts in 1..n; :func:`trial_checkpoints` (``max_points``) if omitted.

    Returns
    -------
    (counts, hv) : tuple of numpy.ndarray
        Trial counts and the hypervolume after each. Incremental: a non-dominated archive is
        merged with the trials since the previous checkpoint, so 20,000 trials cost a few
        hundred small hypervolume evaluations.
    """
    import moocore

    z = normalization.transform(values)
    n = z.shape[0]
    counts = (
        trial_checkpoints(n, max_points)
        if checkpoints is None
        else np.asarray(checkpoints, dtype=np.int64)
    )
    if counts.size and (counts[0] < 1 or counts[-1] > n or (np.diff(counts) <= 0).any()):
        raise ConfigError(f"checkpoints must be increasing trial counts in 1..{n}, not {counts}")
    ref = normalization.reference
    refv = np.full(z.shape[1], ref)
    archive = np.empty((0, z.shape[1]))
    hv = np.zeros(counts.size)
    prev = 0
    current = 0.0
    for i, k in enumerate(counts):
        new = _boxed(z[prev:k], ref)
        if new.shape[0]:
            archive = np.concatenate([archive, new])
            archive = archive[moocore.is_nondominated(archive, keep_weakly=False)]
            current = float(moocore.hypervolume(archive, ref=refv))
        hv[i] = current
        prev = int(k)
    return counts, hv
