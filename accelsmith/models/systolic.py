"""Systolic-array latency for the cost model: input checks and broadcasting around the rules.

The timing rules and formulas live in :mod:`accelsmith.core.latency.systolic` (the one place
the manifest, this model and the cocotb bench read); here they are applied to numpy arrays of
configurations and layers, with the errors a cost model gives for bad input.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ..core.errors import ConfigError
from ..core.latency import systolic as _rules

__all__ = [
    "full_rate_schedule",
    "layer_cycles",
    "output_times",
    "steady_interval",
    "tile_cycles",
]


def _as_int_arrays(*values: ArrayLike) -> list[np.ndarray]:
    arrays = [np.asarray(v, dtype=np.int64) for v in values]
    return list(np.broadcast_arrays(*arrays))


def _dataflow(dataflow: ArrayLike, shape: tuple[int, ...]) -> np.ndarray:
    df = np.asarray(dataflow)  # checked before broadcasting: configs (n, 1) vs layers (1, L)
    bad = ~np.isin(df, ("os", "ws"))
    if bad.any():
        raise ConfigError(f"dataflow must be one of 'os', 'ws', not {str(df[bad].flat[0])!r}")
    return np.broadcast_to(df, shape)


def tile_cycles(rows: ArrayLike, cols: ArrayLike, dataflow: ArrayLike, k: ArrayLike) -> np.ndarray:
    """Cycles of one isolated tile (:func:`accelsmith.core.latency.systolic.tile_cycles`).

    All arguments broadcast; the result is an ``int64`` array.
    """
    r, c, kk = _as_int_arrays(rows, cols, k)
    if (kk < 1).any():
        raise ConfigError(f"k must be >= 1, not {int(kk[kk < 1].flat[0])}")
    df = _dataflow(dataflow, r.shape)
    return np.asarray(_rules.tile_cycles(r, c, df, kk), dtype=np.int64)


def steady_interval(
    rows: ArrayLike, cols: ArrayLike, dataflow: ArrayLike, k: ArrayLike
) -> np.ndarray:
    """Cycles between completions of back-to-back tiles of depth ``K`` at full rate
    (:func:`accelsmith.core.latency.systolic.steady_interval`)."""
    r, c, kk = _as_int_arrays(rows, cols, k)
    df = _dataflow(dataflow, r.shape)
    return np.asarray(_rules.steady_interval(r, c, df, kk), dtype=np.int64)


def layer_cycles(
    rows: ArrayLike,
    cols: ArrayLike,
    dataflow: ArrayLike,
    m: ArrayLike,
    n: ArrayLike,
    k: ArrayLike,
) -> np.ndarray:
    """Cycles of an ``M x N x K`` GEMM run as ``ceil(M/rows) * ceil(N/cols)`` tiles back to back
    (:func:`accelsmith.core.latency.systolic.layer_cycles`)."""
    r, c, mm, nn, kk = _as_int_arrays(rows, cols, m, n, k)
    if (mm < 1).any() or (nn < 1).any():
        raise ConfigError("M and N must be >= 1")
    if (kk < 1).any():
        raise ConfigError(f"k must be >= 1, not {int(kk[kk < 1].flat[0])}")
    df = _dataflow(dataflow, r.shape)
    return np.asarray(_rules.layer_cycles(r, c, df, mm, nn, kk), dtype=np.int64)


def full_rate_schedule(rows: int, cols: int, dataflow: str, ks: Sequence[int]) -> list[dict]:
    """Cycle-exact full-rate schedule
    (:func:`accelsmith.core.latency.systolic.full_rate_schedule`)."""
    _dataflow(dataflow, ())
    return _rules.full_rate_schedule(rows, cols, dataflow, ks)


def output_times(
    rows: int, cols: int, dataflow: str, tiles: Sequence[Sequence[int]]
) -> list[list[int]]:
    """Advance-cycle of each result row (:func:`accelsmith.core.latency.systolic.output_times`)."""
    _dataflow(dataflow, ())
    return _rules.output_times(rows, cols, dataflow, tiles)
