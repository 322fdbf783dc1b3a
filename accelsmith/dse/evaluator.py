"""Batch evaluation of design points for every explorer.

:class:`Evaluator` turns configurations into objective values, constraint values, feasibility
and all cost-model metrics through :func:`accelsmith.models.evaluate` (vectorized: one call per
batch and workload). Invalid configurations never stop a campaign: a row the model refuses
(``ConfigError``) or whose objectives are not finite becomes a *failed* row with its error
message, found by splitting the batch around the row the model names (or by bisection).

Several workloads
    With workloads ``w_i`` of relative weights ``a_i`` every metric is the weighted mean
    ``sum(a_i m_i) / sum(a_i)`` (the cost of one "average inference" of the mix); the derived
    ratios (``latency_s``, ``power_w``, ``utilization``, ``tops``, ``tops_per_w``,
    ``tops_per_mm2``, ``energy_per_mac_j``) are then recomputed from the mixed ``cycles``,
    ``energy_j``, ``macs`` and ``area_um2`` (:func:`accelsmith.models.common.derived_columns`).
Constraint values (Optuna's convention: ``<= 0`` is satisfied)
    ``metric <= b``: ``(metric - b) / |b|``; ``metric >= b``: ``(b - metric) / |b|`` (relative
    violations so that constraints on different units weigh alike in constrained domination;
    ``|b|`` is replaced by 1 when ``b == 0``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

    from .spec import CampaignSpec

__all__ = ["BatchResult", "Evaluator"]

_ROW_RE = re.compile(r"configs row (\d+)")


@dataclass
class BatchResult:
    """Outcome of one batch, row-aligned with the configurations given.

    Attributes
    ----------
    frame : DataFrame
        The configurations, as given (full: fixed parameters included); :meth:`config` gives
        one as a dict (inactive conditional parameters left out), :attr:`configs` all.
    metrics : DataFrame
        Every numeric model output per row (NaN rows where the evaluation failed).
    values : ndarray, shape (n, n_objectives)
        Objective values, natural units; NaN where failed.
    constraints : ndarray, shape (n, n_constraints)
        Constraint values (``<= 0`` satisfied); NaN where failed.
    feasible : ndarray of bool
        Evaluated, finite and every constraint satisfied.
    errors : list of str or None
        Why a row failed (``None`` when it was evaluated).
    seconds : float
        Wall time of the batch (s).
    """

    frame: pd.DataFrame
    metrics: pd.DataFrame
    values: np.ndarray
    constraints: np.ndarray
    feasible: np.ndarray
    errors: list[str | None]
    seconds: float

    def __len__(self) -> int:
        return len(self.frame)

    def config(self, i: int) -> dict[str, Any]:
        """Configuration of row ``i`` as plain Python values (missing values left out)."""
        row = self.frame.iloc[i]
        return {
            k: (v.item() if isinstance(v, np.generic) else v)
            for k, v in row.items()
            if v is not None and v == v
        }

    @property
    def configs(self) -> list[dict[str, Any]]:
        """Every configuration (see :meth:`config`)."""
        return [self.config(i) for i in range(len(self))]

    @property
    def ok(self) -> np.ndarray:
        return np.array([e is None for e in self.errors], dtype=bool)

    def row_metrics(self, i: int) -> dict[str, float]:
        """Metrics of row ``i`` as plain floats (NaN-free; empty for a failed row)."""
        if self.errors[i] is not None:
            return {}
        row = self.metrics.iloc[i]
        return {k: float(v) for k, v in row.items() if np.isfinite(v)}


class Evaluator:
    """Evaluates configurations for one campaign spec (family, workloads, objectives ...).

    Parameters
    ----------
    spec : CampaignSpec
        The campaign (family, workload entries and weights, objectives, constraints, tech).
    client : distributed.Client, optional
        Fan batches out over a Dask cluster (chunks of ``ceil(n / workers)`` rows).
    """

    def __init__(self, spec: CampaignSpec, client: Any = None) -> None:
        from ..models.tech import Tech
        from ..models.workloads import load_workload

        self.family = spec.family
        self.objectives = list(spec.objectives)
        self.constraints = list(spec.constraints)
        self.workloads = [load_workload(w.source) for w in spec.workload]
        self.labels = [w.source for w in spec.workload]
        w = np.array([e.weight for e in spec.workload], dtype=np.float64)
        self.weights = w / w.sum()
        tech = Tech.at_node(spec.node_nm)
        self.tech = Tech.from_yaml(spec.tech, base=tech) if spec.tech else tech
        self.client = client
        from ..core.registry import get_family

        #: generator parameters of the family: those the model derives (e.g. ``max_k``,
        #: ``acc_bits`` when the space leaves them out) are added to each recorded config
        self.param_fields = tuple(get_family(spec.family).params_class().field_names())

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["client"] = None
        return state

    # ----------------------------------------------------------------------------- model calls
    def _one_design(self, df: pd.DataFrame) -> pd.DataFrame:
        """With several workloads, one design serves all: size its accumulator (``max_k``) for
        the deepest of them."""
        if len(self.workloads) > 1 and "max_k" in self.param_fields:
            deepest = max(int(np.max(wl.to_gemms()["K"])) for wl in self.workloads)
            if "max_k" not in df.columns:
                df = df.assign(max_k=deepest)
            elif df["max_k"].isna().any():
                df = df.assign(max_k=df["max_k"].astype(object).where(df["max_k"].notna(), deepest))
        return df

    def per_layer(self, configs: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
        """Per-layer rows of ``configs`` on every campaign workload, costed exactly as the
        campaign costs them (same model, technology and workloads): the model's per-layer
        columns (``config`` indexes ``configs``) plus ``workload`` (the spec's entry)."""
        import pandas as pd

        from ..models.evaluate import evaluate

        df = self._one_design(pd.DataFrame([dict(c) for c in configs]))
        parts = []
        for label, wl in zip(self.labels, self.workloads, strict=True):
            per = evaluate(self.family, df, wl, tech=self.tech, per_layer=True)
            per.insert(0, "workload", label)
            parts.append(per)
        return pd.concat(parts, ignore_index=True)

    def _model(self, df: pd.DataFrame) -> pd.DataFrame:
        from ..models.common import derived_columns
        from ..models.evaluate import evaluate

        df = self._one_design(df)
        outs = [evaluate(self.family, df, wl, tech=self.tech) for wl in self.workloads]
        if len(outs) == 1:
            return outs[0]
        numeric = [c for c in outs[0].columns if outs[0][c].dtype.kind in "fiub"]
        mixed = outs[0].copy()
        for c in numeric:
            mixed[c] = sum(
                a * o[c].to_numpy(dtype=np.float64) for a, o in zip(self.weights, outs, strict=True)
            )
        try:
            return derived_columns(mixed)
        except KeyError:  # a family without the inputs of the derived columns
            return mixed

    def _safe(self, df: pd.DataFrame, errors: dict[int, str], offset: int) -> list[pd.DataFrame]:
        """Evaluate ``df`` (positions ``offset..``); record failing rows in ``errors``."""
        if len(df) == 0:
            return []
        try:
            out = self._model(df.reset_index(drop=True))
            out.index = range(offset, offset + len(df))
            return [out]
        except ConfigError as exc:
            if len(df) == 1:
                errors[offset] = str(exc)
                return []
            m = _ROW_RE.search(str(exc))
            i = int(m[1]) if m and int(m[1]) < len(df) else None
            if i is not None:
                errors[offset + i] = str(exc).replace(f"configs row {i}", "config", 1)
                return self._safe(df.iloc[:i], errors, offset) + self._safe(
                    df.iloc[i + 1 :], errors, offset + i + 1
                )
            h = len(df) // 2
            return self._safe(df.iloc[:h], errors, offset) + self._safe(
                df.iloc[h:], errors, offset + h
            )

    def metrics_frame(self, df: pd.DataFrame) -> tuple[pd.DataFrame, dict[int, str]]:
        """Model outputs for every row of ``df`` (NaN rows for failures) and the errors.

        Uses the Dask client when one is set and the batch has more than one row.
        """
        import pandas as pd

        df = df.reset_index(drop=True)
        n = len(df)
        errors: dict[int, str] = {}
        if n == 0:
            return pd.DataFrame(index=range(0)), errors
        if self.client is not None and n > 1:
            nw = max(1, len(self.client.scheduler_info().get("workers", {})))
            size = -(-n // nw)
            futures = [
                self.client.submit(_remote_chunk, self, df.iloc[s : s + size], s, pure=False)
                for s in range(0, n, size)
            ]
            parts = []
            for part, errs in self.client.gather(futures):
                parts += part
                errors.update(errs)
        else:
            parts = self._safe(df, errors, 0)
        out = pd.concat(parts) if parts else pd.DataFrame(index=range(0))
        out = out.reindex(range(n))
        return out, errors

    # ------------------------------------------------------------------------------ objectives
    def objective_matrix(self, out: pd.DataFrame) -> np.ndarray:
        """Objective values (n, m) from a metrics frame; ConfigError for an unknown metric."""
        self.check_metrics(out)
        cols = out[[m for m, _ in self.objectives]]
        return np.array(cols.to_numpy(dtype=np.float64, na_value=np.nan), copy=True)

    def constraint_matrix(self, out: pd.DataFrame) -> np.ndarray:
        """Constraint values (n, c), ``<= 0`` satisfied (relative violations, module doc)."""
        cols = []
        for c in self.constraints:
            v = out[c.metric].to_numpy(dtype=np.float64, na_value=np.nan)
            scale = abs(c.bound) if c.bound != 0 else 1.0
            cols.append((v - c.bound) / scale if c.op == "<=" else (c.bound - v) / scale)
        return np.stack(cols, axis=1) if cols else np.zeros((len(out), 0))  # a new array

    def check_metrics(self, out: pd.DataFrame) -> None:
        """Refuse objectives or constraints that are not numeric outputs of the model."""
        cols = {str(c) for c, t in out.dtypes.items() if getattr(t, "kind", "O") in "fiu"}
        numeric_hint = ", ".join(sorted(c for c in cols if not c.startswith("_")))
        for i, (m, _) in enumerate(self.objectives):
            if m not in cols:
                raise ConfigError(
                    f"objectives.{m}: not a numeric output of the {self.family} cost model "
                    f"(objective {i}); allowed: {numeric_hint}"
                )
        for c in self.constraints:
            if c.metric not in cols:
                raise ConfigError(
                    f"constraints: {c.metric!r} is not a numeric output of the {self.family} cost "
                    f"model; allowed: {numeric_hint}"
                )

    def evaluate(self, configs: Sequence[Mapping[str, Any]] | pd.DataFrame) -> BatchResult:
        """Evaluate a batch of full configurations (records or a DataFrame)."""
        import pandas as pd

        t0 = time.perf_counter()
        if isinstance(configs, pd.DataFrame):
            df = configs
        else:
            records = list(configs)
            same = len({tuple(r) for r in records}) <= 1
            # rows with different keys (conditional parameters): keep ints as ints
            df = pd.DataFrame(records) if same else pd.DataFrame(records, dtype=object)
        df = df.reset_index(drop=True)
        out, errors = self.metrics_frame(df)
        n = len(df)
        if errors and len(errors) == n and not len(out.columns):
            values = np.full((n, len(self.objectives)), np.nan)
            cons = np.full((n, len(self.constraints)), np.nan)
            metrics = pd.DataFrame(index=range(n))
        else:
            values = self.objective_matrix(out)
            cons = self.constraint_matrix(out)
            # generator parameters the model derived (not in the configs) join the recorded
            # configuration, so `accelsmith generate` builds exactly the design that was costed
            derived = [f for f in self.param_fields if f in out.columns and f not in df.columns]
            if derived:
                df = df.assign(**{f: out[f].to_numpy() for f in derived})
            drop = [c for c in df.columns if c in out.columns]
            metrics = out.drop(columns=drop).select_dtypes(include=["number", "bool"])
            metrics = metrics.astype(np.float64)
        errs: list[str | None] = [errors.get(i) for i in range(n)]
        for i in range(n):
            if errs[i] is None and not np.isfinite(values[i]).all():
                bad = [
                    (m, v)
                    for (m, _), v in zip(self.objectives, values[i], strict=True)
                    if not np.isfinite(v)
                ]
                errs[i] = f"objective {bad[0][0]} is not finite ({bad[0][1]!r})"
        ok = np.array([e is None for e in errs], dtype=bool)
        values[~ok] = np.nan
        cons[~ok] = np.nan
        feasible = ok & (np.nan_to_num(cons, nan=1.0) <= 0).all(axis=1)
        return BatchResult(
            frame=df,
            metrics=metrics,
            values=values,
            constraints=cons,
            feasible=feasible,
            errors=errs,
            seconds=time.perf_counter() - t0,
        )


def _remote_chunk(
    evaluator: Evaluator, df: pd.DataFrame, offset: int
) -> tuple[list[pd.DataFrame], dict[int, str]]:
    """Dask task: evaluate one chunk (positions ``offset..``) of a batch."""
    errors: dict[int, str] = {}
    return evaluator._safe(df, errors, offset), errors
