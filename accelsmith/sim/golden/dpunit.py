"""Golden model of the MAC dot-product unit (:mod:`accelsmith.hdl.dpunit`), from its spec.

A stream of beats, each ``length`` activations ``a``, ``length`` weights ``w`` and the flags
``first`` / ``last``. A dot product runs from a ``first`` beat to the next ``last`` beat (both
included): its result is the exact sum of ``a * w`` over those beats, reduced to ``acc_bits``
two's complement. Beats before the first ``first`` add to an accumulator that starts at 0,
and a dot product without a ``first`` of its own continues the previous sum (the accumulator
is only cleared by ``first``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ...core.dpunit import DpUnitParams
from ...core.errors import ConfigError
from .systolic import wrap

__all__ = ["golden", "random_beats"]


def golden(
    params: DpUnitParams, a: ArrayLike, w: ArrayLike, first: ArrayLike, last: ArrayLike
) -> np.ndarray:
    """Results of the dot products of a beat stream, in order (one per ``last`` beat).

    Parameters
    ----------
    a, w : array_like, shape (beats, length)
        Signed activations and weights in their formats' ranges.
    first, last : array_like of bool, shape (beats,)
        The beat flags.
    """
    p = params
    assert p.acc_bits is not None
    a = np.asarray(a, dtype=np.int64)
    w = np.asarray(w, dtype=np.int64)
    first = np.asarray(first, dtype=bool)
    last = np.asarray(last, dtype=bool)
    if a.ndim != 2 or a.shape != w.shape or a.shape[1] != p.length:
        raise ConfigError(f"a and w must both have shape (beats, {p.length}), not {a.shape}")
    if first.shape != (a.shape[0],) or last.shape != first.shape:
        raise ConfigError(f"first and last must have shape ({a.shape[0]},)")
    for name, x, bits in (("a", a, p.act_bits), ("w", w, p.weight_bits)):
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        if x.size and (x.min() < lo or x.max() > hi):
            raise ConfigError(f"{name} must be in [{lo}, {hi}] ({bits}-bit signed)")
    beat = (a * w).sum(axis=1)  # exact: |a*w| * length < 2**40
    # the sum of a dot product ending at beat e starts at the latest `first` at or before e
    idx = np.arange(len(beat))
    start = np.maximum.accumulate(np.where(first, idx, 0)) if len(beat) else idx
    csum = np.concatenate(([0], np.cumsum(beat)))
    ends = np.flatnonzero(last)
    out = csum[ends + 1] - csum[start[ends]]
    return wrap(np.array(out, dtype=object), p.acc_bits, True)


def random_beats(
    params: DpUnitParams, dots: int, rng: np.random.Generator, max_slices: int = 4
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``dots`` dot products of 1..``max_slices`` beats each, full-range random operands."""
    p = params
    n = rng.integers(1, max_slices + 1, size=dots)
    beats = int(n.sum())
    a = rng.integers(-(1 << (p.act_bits - 1)), 1 << (p.act_bits - 1), size=(beats, p.length))
    w = rng.integers(-(1 << (p.weight_bits - 1)), 1 << (p.weight_bits - 1), size=(beats, p.length))
    ends = np.cumsum(n) - 1
    last = np.zeros(beats, dtype=bool)
    last[ends] = True
    first = np.zeros(beats, dtype=bool)
    first[np.concatenate(([0], ends[:-1] + 1))] = True
    return a, w, first, last
