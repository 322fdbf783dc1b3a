"""Transaction-level helpers for the LUT tensor core (no cocotb import).

They turn a tile ``(A, Q)`` into the beats of the port protocol of :mod:`accelsmith.hdl.lut_core`
(weight codes -> per-plane group indices, with the offline negation transform when the
configuration expects it) and pack the flat payload vectors. Both the cocotb testbench and the
Amaranth-simulator tests use them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...core.families.lut_core import LutCoreParams
from ..golden.lut_core import group_indices, offline_transform, pad_groups
from .systolic_io import pack, unpack

__all__ = ["TileBeats", "pack", "pack_a", "tile_beats", "unpack"]


@dataclass(frozen=True)
class TileBeats:
    """The beats of one tile: ``k_minus_1``, ``G`` activation beats (``[tile_m][K]``) and
    ``G * B`` weight-index beats (``[tile_n]``, group-major, plane-minor)."""

    k_minus_1: int
    a: list[list[list[int]]]
    w: list[list[int]]


def tile_beats(
    params: LutCoreParams,
    a: np.ndarray,
    q: np.ndarray,
    junk: np.random.Generator | None = None,
) -> TileBeats:
    """Beats that compute the tile for activations ``a`` (``tile_m x Kd``) and codes ``q``
    (``Kd x tile_n``).

    ``junk``: fill the positions past ``Kd`` of the last group with random activations and
    codes instead of zeros (the core must ignore them).
    """
    p = params
    k, b = p.group_size, p.weight_bits
    a = np.asarray(a, dtype=np.int64)
    q = np.asarray(q, dtype=np.int64)
    kd = a.shape[1]
    a_pad, q_pad = pad_groups(a, q, k)
    if junk is not None and a_pad.shape[1] > kd:
        lo, hi = -(1 << (p.act_bits - 1)), (1 << (p.act_bits - 1))
        a_pad[:, kd:] = junk.integers(lo, hi, a_pad[:, kd:].shape)
        q_pad[kd:, :] = junk.integers(0, 1 << b, q_pad[kd:, :].shape)
    c = group_indices(q_pad, k, b)  # (B, G, N)
    if p.symmetric and p.negation == "offline":
        c = offline_transform(c, k)
    groups = a_pad.shape[1] // k
    a_beats = [
        [[int(x) for x in a_pad[r, g * k : (g + 1) * k]] for r in range(p.tile_m)]
        for g in range(groups)
    ]
    w_beats = [[int(x) for x in c[i, g]] for g in range(groups) for i in range(b)]
    return TileBeats(kd - 1, a_beats, w_beats)


def pack_a(beat: list[list[int]], act_bits: int) -> int:
    """Pack one activation beat (``A[m, gK + k]`` as element ``m*K + k``, at bit
    ``(m*K + k) * act_bits``)."""
    return pack([x for row in beat for x in row], act_bits)
