"""LUT-tensor-core latency for the cost model: input checks and broadcasting around the rules.

The timing rules and formulas live in :mod:`accelsmith.core.latency.lut_core` (the one place
the manifest, this model and the cocotb bench read); here they are applied to numpy arrays of
configurations and layers, with the errors a cost model gives for bad input.

The cost side (area, energy, the MAC-array baseline) is in :mod:`accelsmith.models.lut_core_cost`;
:func:`evaluate_lut_core` is the registry's cost entry point.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..core.errors import ConfigError
from ..core.latency import lut_core as _rules

__all__ = [
    "evaluate_lut_core",
    "full_rate_schedule",
    "layer_cycles",
    "output_times",
    "steady_interval",
    "tile_cycles",
]


def _ints(*values: ArrayLike) -> list[np.ndarray]:
    return list(np.broadcast_arrays(*[np.asarray(v, dtype=np.int64) for v in values]))


def _check_k(kd: np.ndarray) -> None:
    if (kd < 1).any():
        raise ConfigError(f"k must be >= 1, not {int(kd[kd < 1].flat[0])}")


def tile_cycles(
    group_size: ArrayLike,
    weight_bits: ArrayLike,
    tile_m: ArrayLike,
    tile_n: ArrayLike,
    kd: ArrayLike,
) -> np.ndarray:
    """Cycles of one isolated tile (:func:`accelsmith.core.latency.lut_core.tile_cycles`).

    Broadcasts; the result is an ``int64`` array.
    """
    k, b, tm, tn, kk = _ints(group_size, weight_bits, tile_m, tile_n, kd)
    _check_k(kk)
    return np.asarray(_rules.tile_cycles(k, b, tm, tn, kk), dtype=np.int64)


def steady_interval(
    group_size: ArrayLike, weight_bits: ArrayLike, tile_m: ArrayLike, kd: ArrayLike
) -> np.ndarray:
    """Cycles between completions of back-to-back tiles
    (:func:`accelsmith.core.latency.lut_core.steady_interval`)."""
    k, b, tm, kk = _ints(group_size, weight_bits, tile_m, kd)
    _check_k(kk)
    return np.asarray(_rules.steady_interval(k, b, tm, kk), dtype=np.int64)


def layer_cycles(
    group_size: ArrayLike,
    weight_bits: ArrayLike,
    tile_m: ArrayLike,
    tile_n: ArrayLike,
    m: ArrayLike,
    n: ArrayLike,
    kd: ArrayLike,
) -> np.ndarray:
    """Cycles of an ``M x N x Kd`` GEMM as tiles back to back
    (:func:`accelsmith.core.latency.lut_core.layer_cycles`)."""
    k, b, tm, tn, mm, nn, kk = _ints(group_size, weight_bits, tile_m, tile_n, m, n, kd)
    if (mm < 1).any() or (nn < 1).any():
        raise ConfigError("M and N must be >= 1")
    _check_k(kk)
    return np.asarray(_rules.layer_cycles(k, b, tm, tn, mm, nn, kk), dtype=np.int64)


def full_rate_schedule(
    group_size: int, weight_bits: int, tile_m: int, tile_n: int, kds: Sequence[int]
) -> list[dict[str, Any]]:
    """Cycle-exact full-rate schedule
    (:func:`accelsmith.core.latency.lut_core.full_rate_schedule`)."""
    kds = list(kds)
    _check_k(np.asarray(kds, dtype=np.int64))
    return _rules.full_rate_schedule(group_size, weight_bits, tile_m, tile_n, kds)


def output_times(tile_m: int, tile_n: int, w_last: Sequence[int]) -> list[list[int]]:
    """Advance-cycle of every result row (:func:`accelsmith.core.latency.lut_core.output_times`)."""
    return _rules.output_times(tile_m, tile_n, w_last)


def evaluate_lut_core(
    configs: Any, workload: Any, *, tech: Any, per_layer: bool = False, convention: str = "rtl"
) -> Any:
    """The family's cost function (see :func:`accelsmith.models.evaluate`)."""
    from .lut_core_cost import evaluate

    return evaluate(configs, workload, tech=tech, per_layer=per_layer, convention=convention)
