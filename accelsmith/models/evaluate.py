"""``evaluate(family, configs, workload)``: the one entry point of the cost models.

Arrays in, arrays out: a DataFrame with one configuration per row (columns named like the
generator flags) and a workload; the result has one row per configuration (or per
configuration x layer with ``per_layer=True``) with SI units in the column names. The family's
own cost function (``Family.cost`` in the registry) does the work.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["evaluate"]


def evaluate(
    family: str,
    configs: pd.DataFrame | Sequence[Mapping[str, Any]] | Mapping[str, Sequence[Any]],
    workload: Any,
    *,
    node_nm: int = 45,
    per_layer: bool = False,
    convention: str = "rtl",
    tech: Any = None,
) -> pd.DataFrame:
    """Cost every configuration of ``family`` on ``workload``.

    Parameters
    ----------
    family : str
        A registered family (``systolic``, ...; see :func:`accelsmith.core.registry.families`).
    configs : DataFrame or records
        One configuration per row; columns named like the family's generator flags plus the
        model-only ones (buffers, clock, bandwidth). Missing optional columns take defaults.
    workload : str, path, Workload or list of (M, N, K)
        A built-in workload name, a SCALE-Sim topology CSV or GEMM YAML file, GEMM tuples, or
        a serving scenario YAML (:mod:`accelsmith.models.serving`: the result then has the
        serving metrics, ``tokens_per_s``, ``ttft_s``, ``tpot_s``, ``energy_per_token_j``).
    node_nm : int
        Technology node of the energy and area tables.
    per_layer : bool
        One row per (configuration, layer) instead of per configuration.
    convention : str
        ``rtl``: cycles exactly as the generated RTL; ``scalesim`` (systolic only): compute
        cycles, utilization and SRAM counts in SCALE-Sim's conventions.
    tech : Tech, optional
        Technology tables (default ``Tech.at_node(node_nm)``).

    Returns
    -------
    pandas.DataFrame
        Configuration columns plus at least ``cycles``, ``latency_s``, ``energy_j``,
        ``area_um2``, ``area_mm2``, ``power_w``, ``utilization``, ``tops``, ``tops_per_w``,
        ``tops_per_mm2`` and the ``energy_*_j`` / ``area_*_um2`` breakdowns; per layer, also
        ``layer`` and ``layer_kind`` (see :data:`accelsmith.models.workloads.LAYER_KINDS`).

    Raises
    ------
    ConfigError
        Unknown family or convention, an invalid configuration row (the message names the row
        and the field) or workload.
    """
    from ..core.registry import get_family
    from .tech import Tech
    from .workloads import load_workload

    if not isinstance(family, str):
        raise ConfigError(f"family must be a family name, not {family!r}")
    fam = get_family(family)
    wl = load_workload(workload)
    tech = tech if tech is not None else Tech.at_node(node_nm)
    from .serving import ServingWorkload, evaluate_serving

    if isinstance(wl, ServingWorkload):  # a continuous-batching server run (models/serving/)
        return _with_ecp5(
            family,
            evaluate_serving(
                fam.cost_model(), configs, wl, tech=tech, per_layer=per_layer, convention=convention
            ),
        )
    out = fam.cost_model()(configs, wl, tech=tech, per_layer=per_layer, convention=convention)
    out = _with_ecp5(family, out)
    if per_layer and "layer_kind" not in out.columns and "layer" in out.columns:
        # what each layer does (dense, attention, kv_read, router, expert, conv), for reports
        import pandas as pd

        # a categorical from integer codes: pandas converts a string column element by element
        codes, uniques = pd.factorize(np.asarray(wl.to_gemms()["layer_kind"], dtype=object))
        kind = pd.Categorical.from_codes(np.tile(codes, len(out) // len(codes)), uniques)
        out.insert(out.columns.get_loc("layer") + 1, "layer_kind", kind)
    return out


class _FrameColumns(Mapping):
    """The columns of a frame (not the ``ecp5_`` ones) as numpy arrays, each converted when
    first read: an inventory reads a handful of a cost frame's ~60 columns."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame
        self._keys = [k for k in frame.columns if not str(k).startswith("ecp5_")]
        self._arrays: dict[str, np.ndarray] = {}

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self._arrays:
            if key not in self._keys:
                raise KeyError(key)
            self._arrays[key] = self._frame[key].to_numpy()
        return self._arrays[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def _with_ecp5(family: str, out: pd.DataFrame) -> pd.DataFrame:
    """``out`` with the ECP5 resource and Fmax columns of :mod:`accelsmith.models.ecp5`
    (families with an inventory in :mod:`accelsmith.models.ecp5_inventory`), computed from
    the frame's configuration columns.

    A per-layer frame repeats each configuration on every layer (its ``config`` column numbers
    them 0..n-1): the columns are computed once per configuration and spread over its rows,
    and they are added in place (no copy of the whole frame)."""
    from .ecp5 import ECP5_COLUMNS, ecp5_columns
    from .ecp5_inventory import INVENTORIES

    if family not in INVENTORIES or len(out) == 0:
        return out
    rows = config_of_row = None
    if "config" in out.columns:
        c = out["config"].to_numpy()
        if c.dtype.kind in "iu" and c.min() >= 0 and c.max() < len(out):
            rows = np.full(int(c.max()) + 1, -1, dtype=np.int64)
            rows[c[::-1]] = np.arange(len(c) - 1, -1, -1)  # first row of each configuration
            seen = rows >= 0
            config_of_row = np.cumsum(seen)[c] - 1  # configuration -> its position in rows
            rows = rows[seen]
    sub = out if rows is None else out.iloc[rows]
    cols = ecp5_columns(family, _FrameColumns(sub))
    stale = [k for k in ECP5_COLUMNS if k in out.columns]
    if stale:
        out = out.drop(columns=stale)
    for k in ECP5_COLUMNS:
        v = np.asarray(cols[k])
        out[k] = v if config_of_row is None else v[config_of_row]
    return out
