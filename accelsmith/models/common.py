"""Shared pieces of every family's cost model: config validation and the output frame.

A family's cost function (see :class:`accelsmith.core.registry.Family`) validates its
configuration columns with :func:`config_arrays`, computes per (configuration, layer) arrays of
shape ``(n, L)`` and hands them to :func:`assemble`, which builds the per-layer or summed
DataFrame and adds the derived columns every family reports (:func:`derived_columns`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ColumnSpec", "assemble", "config_arrays", "configs_frame", "derived_columns"]

#: column -> (default, kind, low, high); kind is int, float, bool or a tuple of allowed strings.
#: A default of ``None`` makes the column required.
ColumnSpec = Mapping[str, tuple[Any, Any, float, float]]


def _fail(row: int, name: str, what: str, value: Any) -> None:
    value = value.item() if hasattr(value, "item") else value
    raise ConfigError(f"configs row {row}: {name} must be {what}, not {value!r}")


def _is_number(v: Any) -> bool:
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return not isinstance(v, bool)


def column_array(df: pd.DataFrame, name: str, spec: tuple) -> np.ndarray:
    """One validated column as a numpy array (defaults filled in for missing values)."""
    default, kind, lo, hi = spec
    n = len(df)
    if name not in df.columns or df[name].isna().all():
        if default is None:
            raise ConfigError(f"configs must have a column {name!r}")
        return np.full(n, default, dtype=object if isinstance(kind, tuple) else type(default))
    col = df[name]
    missing = col.isna().to_numpy()
    if missing.any():  # records that leave a column out take its default
        if default is None:
            raise ConfigError(f"configs row {int(np.argmax(missing))}: {name} is missing")
        col = col.astype(object).where(~missing, default)
    if isinstance(kind, tuple):
        values = col.astype(str).to_numpy()
        bad = ~np.isin(values, kind)
        if bad.any():
            i = int(np.argmax(bad))
            _fail(i, name, "one of " + ", ".join(repr(k) for k in kind), col.iloc[i])
        return values
    if kind is bool:
        values = col.to_numpy()
        ok = np.array([isinstance(v, (bool, np.bool_)) for v in values])
        if not ok.all():
            i = int(np.argmax(~ok))
            _fail(i, name, "true or false", values[i])
        return values.astype(bool)
    values = np.asarray(col.to_numpy(), dtype=np.float64) if col.dtype != object else None
    if values is None:
        try:
            values = col.astype(np.float64).to_numpy()
        except (TypeError, ValueError):
            i = next(i for i, v in enumerate(col) if not _is_number(v))
            _fail(i, name, f"a number in {lo:g}..{hi:g}", col.iloc[i])
    bad = ~np.isfinite(values) | (values < lo) | (values > hi)
    if kind is int:
        bad |= values != np.round(values)
    if bad.any():
        i = int(np.argmax(bad))
        what = f"an integer in {lo:g}..{hi:g}" if kind is int else f"a number in {lo:g}..{hi:g}"
        _fail(i, name, what, col.iloc[i])
    return values.astype(np.int64) if kind is int else values


def configs_frame(configs: Any, columns: ColumnSpec) -> pd.DataFrame:
    """``configs`` as a DataFrame (from records or a column mapping); unknown columns refused."""
    import pandas as pd

    df = configs if isinstance(configs, pd.DataFrame) else pd.DataFrame(configs)
    if len(df) == 0:
        raise ConfigError("configs must have at least one row")
    unknown = [c for c in df.columns if c not in columns]
    if unknown:
        raise ConfigError(
            f"configs: unknown column {unknown[0]!r}; allowed columns are {', '.join(columns)}"
        )
    return df.reset_index(drop=True)


def config_arrays(
    configs: Any, columns: ColumnSpec, skip: Sequence[str] = ()
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Validate ``configs`` against ``columns``; return the frame and one array per column."""
    df = configs_frame(configs, columns)
    return df, {n: column_array(df, n, s) for n, s in columns.items() if n not in skip}


def assemble(
    base: pd.DataFrame,
    per: Mapping[str, np.ndarray],
    layers: Mapping[str, Any],
    *,
    per_layer: bool,
    config_level: Sequence[str] = (),
    ratio_columns: Mapping[str, tuple[str, str]] | None = None,
    counts: np.ndarray | None = None,
) -> pd.DataFrame:
    """Build the output frame from per (configuration, layer) arrays.

    Parameters
    ----------
    base : DataFrame
        One row per configuration: the validated configuration columns.
    per : mapping of str to array
        Arrays broadcastable to ``(n, L)``; per-layer totals (already multiplied by each
        layer's ``count``) except the ``config_level`` ones.
    layers : mapping
        ``names`` and the arrays ``M``, ``N``, ``K``, ``count`` of the workload's layers (as
        from :meth:`accelsmith.models.workloads.Workload.to_gemms`).
    per_layer : bool
        One row per (configuration, layer) instead of per configuration.
    config_level : sequence of str
        Keys of ``per`` that describe the configuration, not a layer (areas, peak figures):
        taken once, never summed.
    ratio_columns : mapping, optional
        ``column -> (numerator, denominator)`` recomputed after summing (e.g. mapping
        efficiency ``macs / slots``).
    counts : array of shape (L,), optional
        When given, the non-``config_level`` arrays of ``per`` are for *one instance* of each
        layer: per-layer rows are multiplied by ``count`` and totals are the count-weighted
        sums (one matrix-vector product instead of a multiply and a sum: faster).
    """
    import pandas as pd

    n = len(base)
    L = len(layers["names"])
    shape = (n, L)
    arrays = {k: np.broadcast_to(np.asarray(v, dtype=np.float64), shape) for k, v in per.items()}
    weights = None if counts is None else np.asarray(counts, dtype=np.float64).reshape(-1)
    # one dict of numpy columns, one DataFrame at the end: column-wise pandas assignments
    # cost ~0.1 ms each and dominate small calls
    cols: dict[str, Any] = {}
    if per_layer:
        cols["config"] = np.repeat(np.arange(n), L)
        for key in base.columns:
            cols[key] = np.repeat(base[key].to_numpy(), L)
        cols["layer"] = np.tile(np.asarray(layers["names"], dtype=object), n)
        for key in ("M", "N", "K", "count"):
            cols[key] = np.tile(np.asarray(layers[key]).reshape(-1), n)
        for key, v in arrays.items():
            scaled = v if weights is None or key in config_level else v * weights
            cols[key] = scaled.reshape(-1)
        cols["max_layer_k"] = cols["K"]
    else:
        for key in base.columns:
            cols[key] = base[key].to_numpy()
        for key, v in arrays.items():
            if key in config_level:
                cols[key] = v[:, 0]
            else:
                cols[key] = v.sum(axis=1) if weights is None else v @ weights
        cols["layers"] = np.full(n, L)
        cols["max_layer_k"] = np.full(n, int(np.asarray(layers["K"]).max()))
    for key, (num, den) in (ratio_columns or {}).items():
        cols[key] = cols[num] / cols[den]
    return pd.DataFrame(derived_columns(cols))


def derived_columns(out: Any) -> Any:
    """Add the columns every family reports, from ``cycles``, ``macs``, ``energy_j``,
    ``area_um2``, ``freq_mhz`` and ``pes`` (MAC units, for utilization) when present.

    ``out`` is a DataFrame or a dict of numpy columns (returned with the columns added).

    ``latency_s``, ``power_w`` (energy over latency), ``area_mm2``, ``utilization`` (useful
    MACs per MAC unit per cycle), ``tops`` (2 ops per MAC), ``tops_per_w``, ``tops_per_mm2``
    and ``energy_per_mac_j``.
    """
    freq = out["freq_mhz"] * 1e6
    out["latency_s"] = out["cycles"] / freq
    if "pes" in out:
        out["utilization"] = out["macs"] / (out["pes"] * out["cycles"])
    out["power_w"] = out["energy_j"] / out["latency_s"]
    out["area_mm2"] = out["area_um2"] / 1e6
    out["tops"] = 2.0 * out["macs"] / out["latency_s"] / 1e12
    out["tops_per_w"] = out["tops"] / out["power_w"]
    out["tops_per_mm2"] = out["tops"] / out["area_mm2"]
    out["energy_per_mac_j"] = out["energy_j"] / out["macs"]
    return out
