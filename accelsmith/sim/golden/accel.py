"""Bit-exact numpy reference of the ``accel`` family, written from the ISA specification
(:mod:`accelsmith.core.accel_isa`): a convolution's integer sums wrap modulo ``2**acc_bits``,
then ``sat(relu((acc * scale + round) >> shift))`` with ``round = 2**(shift - 1)``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["conv_acc", "golden", "output_stage"]


def conv_acc(x: np.ndarray, w: np.ndarray, s: Any, acc_bits: int) -> np.ndarray:
    """Accumulators ``out_h x out_w x k_out`` of convolution ``s`` (wrapped to ``acc_bits``)."""
    xp = np.zeros((s.h + 2 * s.pad, s.w + 2 * s.pad, s.c), dtype=object)
    xp[s.pad : s.pad + s.h, s.pad : s.pad + s.w] = x.astype(object)
    out = np.zeros((s.out_h, s.out_w, s.k_out), dtype=object)
    wo = w.astype(object)
    for g in range(s.groups):
        cs = slice(g * s.cg, (g + 1) * s.cg)
        ns = slice(g * s.ng, (g + 1) * s.ng)
        for dy in range(s.r):
            for dx in range(s.s):
                patch = xp[
                    dy : dy + s.stride * (s.out_h - 1) + 1 : s.stride,
                    dx : dx + s.stride * (s.out_w - 1) + 1 : s.stride,
                    cs,
                ]
                out[:, :, ns] += np.tensordot(patch, wo[dy, dx, :, ns], axes=([2], [0]))
    mod = 1 << acc_bits
    out = (out + (mod >> 1)) % mod - (mod >> 1)
    return out


def output_stage(acc: np.ndarray, q: Any, in_bits: int) -> np.ndarray:
    """Scale, round half up, ReLU, saturate (per tensor or per output channel)."""
    scale = np.asarray(q.scales, dtype=object) if q.scales is not None else q.scale
    v = acc.astype(object) * scale
    if q.shift:
        v = (v + (1 << (q.shift - 1))) >> q.shift
    lo = 0 if q.relu else -(1 << (in_bits - 1))
    hi = (1 << (in_bits - 1)) - 1
    return np.clip(v, lo, hi).astype(np.int64)


def golden(
    params: Any,
    x: np.ndarray,
    layers: Sequence[Any],
    weights: Sequence[np.ndarray],
    quants: Sequence[Any],
) -> list[np.ndarray]:
    """Outputs of back-to-back layers (each layer's output feeds the next)."""
    outs = []
    cur = x
    for s, w, q in zip(layers, weights, quants, strict=True):
        acc = conv_acc(cur, w, s, params.acc_bits)
        cur = output_stage(acc, q, params.in_bits)
        outs.append(cur)
    return outs
