"""Golden model of the systolic array: exact integer matmul reduced to ``acc_bits``.

Written from the specification in :mod:`accelsmith.hdl.systolic`: products are exact and sums
wrap modulo ``2 ** acc_bits``; results are read back as two's complement when ``signed``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ...core.errors import ConfigError
from ...core.families.systolic import SystolicParams

__all__ = ["element_range", "golden", "wrap"]


def element_range(params: SystolicParams) -> tuple[int, int]:
    """Smallest and largest input element value."""
    w = params.in_bits
    return (-(1 << (w - 1)), (1 << (w - 1)) - 1) if params.signed else (0, (1 << w) - 1)


def wrap(values: np.ndarray, bits: int, signed: bool) -> np.ndarray:
    """Reduce exact integers modulo ``2**bits`` (two's complement if ``signed``)."""
    mod = 1 << bits
    v = np.asarray(values, dtype=object) % mod
    if signed:
        v = np.where(v >= mod >> 1, v - mod, v)
    return v.astype(np.int64) if bits <= 63 else v


def golden(params: SystolicParams, a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """Result tile ``C = A @ B`` as the RTL produces it.

    Parameters
    ----------
    params : SystolicParams
    a : array_like, shape (rows, K)
    b : array_like, shape (K, cols)

    Returns
    -------
    numpy.ndarray, shape (rows, cols)
        ``int64`` when ``acc_bits <= 63``, else Python integers (``object``).
    """
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0] or a.shape[1] < 1:
        raise ConfigError(
            f"a and b must be (rows, K) and (K, cols) with K >= 1, not {a.shape} and {b.shape}"
        )
    if a.shape[0] != params.rows or b.shape[1] != params.cols:
        raise ConfigError(
            f"a must have {params.rows} rows and b {params.cols} columns, not "
            f"{a.shape[0]} and {b.shape[1]}"
        )
    lo, hi = element_range(params)
    for name, x in (("a", a), ("b", b)):
        if x.min() < lo or x.max() > hi:
            raise ConfigError(f"{name} elements must be in {lo}..{hi}")
    # Exact in Python integers: int64 products of 16-bit values summed over up to 2**20
    # terms fit, but keep object arithmetic to stay exact for any acc_bits.
    exact = a.astype(object) @ b.astype(object)
    assert params.acc_bits is not None
    return wrap(exact, params.acc_bits, params.signed)
