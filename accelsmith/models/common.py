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
    return not isinstance(v, (bool, np.bool_))


def _what(spec: tuple) -> str:
    """What a column allows, as the error messages say it."""
    _default, kind, lo, hi = spec
    if isinstance(kind, tuple):
        return "one of " + ", ".join(repr(k) for k in kind)
    if kind is bool:
        return "true or false"
    if kind is str:
        return "a string"
    return f"an integer in {lo:g}..{hi:g}" if kind is int else f"a number in {lo:g}..{hi:g}"


def _is_nan(v: Any) -> bool:
    return isinstance(v, (float, np.floating)) and v != v


def refuse_nan(configs: Any, columns: ColumnSpec) -> None:
    """Refuse a NaN given explicitly in records or a column mapping (one line, row and field).

    In a DataFrame NaN is pandas' marker of a missing value (a record without that key, or
    an inactive conditional parameter of a DSE space) and takes the column's default; in a
    record or mapping it is a value, and silently replacing it by the default would hide the
    mistake. ``inf`` is refused by every column's range.
    """
    import pandas as pd

    if isinstance(configs, pd.DataFrame):
        return
    if isinstance(configs, Mapping):
        rows: Any = (
            (i, name, v)
            for name, values in configs.items()
            for i, v in enumerate(
                values if isinstance(values, (list, tuple, np.ndarray)) else [values]
            )
        )
    else:
        rows = (
            (i, name, v)
            for i, record in enumerate(configs)
            if isinstance(record, Mapping)
            for name, v in record.items()
        )
    for i, name, v in rows:
        if _is_nan(v) and name in columns:
            _fail(i, name, _what(columns[name]), float("nan"))


def column_array(df: pd.DataFrame, name: str, spec: tuple) -> np.ndarray:
    """One validated column as a numpy array (defaults filled in for missing values).

    Works on the column's numpy values (pandas per-column calls cost ~0.1 ms each, which
    dominates a one-configuration evaluation).
    """
    import pandas as pd

    default, kind, lo, hi = spec
    n = len(df)
    raw = df[name].to_numpy() if name in df.columns else None
    missing = None if raw is None else np.asarray(pd.isna(raw), dtype=bool)
    if raw is None or missing.all():
        if default is None:
            raise ConfigError(f"configs must have a column {name!r}")
        return np.full(n, default, dtype=object if isinstance(kind, tuple) else type(default))
    if missing.any():  # records that leave a column out take its default
        if default is None:
            raise ConfigError(f"configs row {int(np.argmax(missing))}: {name} is missing")
        raw = raw.astype(object)
        raw[missing] = default
    if isinstance(kind, tuple):
        values = raw.astype(str)
        bad = ~np.isin(values, kind)
        if bad.any():
            i = int(np.argmax(bad))
            _fail(i, name, "one of " + ", ".join(repr(k) for k in kind), raw[i])
        return values.astype(object)
    if kind is bool:
        if raw.dtype != bool:
            ok = np.array([isinstance(v, (bool, np.bool_)) for v in raw])
            if not ok.all():
                i = int(np.argmax(~ok))
                _fail(i, name, "true or false", raw[i])
        return raw.astype(bool)
    what = f"an integer in {lo:g}..{hi:g}" if kind is int else f"a number in {lo:g}..{hi:g}"
    if raw.dtype.kind in "iuf":
        values = raw.astype(np.float64)
    else:  # object (mixed records), strings or booleans: every item must be a real number
        ok = np.array([_is_number(v) for v in raw])
        if not ok.all():
            i = int(np.argmax(~ok))
            _fail(i, name, what, raw[i])
        values = raw.astype(np.float64)
    bad = ~np.isfinite(values) | (values < lo) | (values > hi)
    if kind is int:
        bad |= values != np.round(values)
    if bad.any():
        i = int(np.argmax(bad))
        _fail(i, name, what, raw[i])
    return values.astype(np.int64) if kind is int else values


def configs_frame(configs: Any, columns: ColumnSpec) -> pd.DataFrame:
    """``configs`` as a DataFrame (from records or a column mapping); unknown columns refused."""
    import pandas as pd

    refuse_nan(configs, columns)
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
    base: pd.DataFrame | Mapping[str, np.ndarray],
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
    base : DataFrame or mapping of str to array
        One row per configuration: the validated configuration columns (a mapping of
        equal-length numpy arrays avoids a pandas round trip).
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

    if not isinstance(base, Mapping):
        base = {key: base[key].to_numpy() for key in base.columns}
    n = len(next(iter(base.values())))
    L = len(layers["names"])
    weights = None if counts is None else np.asarray(counts, dtype=np.float64).reshape(-1)
    rows = n * L if per_layer else n
    ratio_columns = dict(ratio_columns or {})
    # every figure is written straight into one float64 block laid out (columns, rows), which
    # is pandas' own block layout: no intermediate copies, and the frame wraps it without one
    # (pandas builds a column in ~20 us, converts strings element by element: string columns
    # of the per-layer frame are categoricals built from integer codes)
    n_derived = 8  # the columns derived_columns adds, at most
    block = np.empty((len(per) + len(ratio_columns) + n_derived, rows))
    right = _fill_block(block, per, (n, L), weights, per_layer, config_level)
    j = len(right)
    left = _left_columns(base, layers, n, L, per_layer)

    def put(key: str, value: np.ndarray) -> None:
        nonlocal j
        if key not in right:
            right[key] = block[j]
            j += 1
        if right[key] is not value:
            right[key][...] = value

    for key, (num, den) in ratio_columns.items():
        put(key, right[num] / right[den])
    for key in right:
        left.pop(key, None)
    merged = derived_columns({**left, **right})
    for key, v in merged.items():
        if key not in left:
            put(key, v)
    names = list(right)  # insertion order = block row order
    return pd.concat(
        [pd.DataFrame(left), pd.DataFrame(block[:j].T, columns=names, copy=False)], axis=1
    )


def _fill_block(
    block: np.ndarray,
    per: Mapping[str, np.ndarray],
    shape: tuple[int, int],
    weights: np.ndarray | None,
    per_layer: bool,
    config_level: Sequence[str],
) -> dict[str, np.ndarray]:
    """Write ``per`` into the first rows of ``block`` (see :func:`assemble`); key -> row."""
    n, L = shape
    right: dict[str, np.ndarray] = {}
    for j, (key, v) in enumerate(per.items()):
        v = np.asarray(v)
        dst = block[j]
        if per_layer:
            out2 = dst.reshape(n, L)
            if weights is None or key in config_level:
                out2[...] = v
            else:
                np.multiply(v, weights, out=out2)
        elif key in config_level:
            dst[:] = np.broadcast_to(v, shape)[:, 0]
        else:
            full = np.broadcast_to(v.astype(np.float64, copy=False), shape)
            dst[:] = full.sum(axis=1) if weights is None else full @ weights
        right[key] = dst
    return right


def _left_columns(
    base: Mapping[str, np.ndarray], layers: Mapping[str, Any], n: int, L: int, per_layer: bool
) -> dict[str, Any]:
    """The configuration (and, per layer, the layer) columns in front of the figures."""
    left: dict[str, Any] = {}
    if per_layer:
        import pandas as pd

        left["config"] = np.repeat(np.arange(n), L)
        for key, v in base.items():
            v = np.asarray(v)
            if v.dtype == object:
                codes, uniques = pd.factorize(v)
                left[key] = pd.Categorical.from_codes(np.repeat(codes, L), categories=uniques)
            else:
                left[key] = np.repeat(v, L)
        codes, uniques = pd.factorize(np.asarray(layers["names"], dtype=object))
        left["layer"] = pd.Categorical.from_codes(np.tile(codes, n), categories=uniques)
        for key in ("M", "N", "K", "count"):
            left[key] = np.tile(np.asarray(layers[key]).reshape(-1), n)
        left["max_layer_k"] = left["K"]
    else:
        left.update(base)
        left["layers"] = np.full(n, L)
        left["max_layer_k"] = np.full(n, int(np.asarray(layers["K"]).max()))
    return left


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
