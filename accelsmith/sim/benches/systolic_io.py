"""Transaction-level helpers for the systolic array (no cocotb import).

They turn a tile ``(A, B)`` into the beat sequences of the port protocol described in
:mod:`accelsmith.hdl.systolic`, and pack/unpack the flat Verilog payload vectors. Both the
cocotb testbench and the Amaranth-simulator tests use them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...core.families.systolic import SystolicParams


@dataclass(frozen=True)
class TileBeats:
    """The beats of one tile: ``k_minus_1`` and the ``a`` and ``b`` payload vectors."""

    k_minus_1: int
    a: list[list[int]]
    b: list[list[int]]


def tile_beats(params: SystolicParams, a: np.ndarray, b: np.ndarray) -> TileBeats:
    """Beats that compute ``a @ b`` (``a``: rows x K, ``b``: K x cols) for one tile."""
    rows = params.rows
    k = a.shape[1]
    b_beats = [[int(x) for x in b[kk, :]] for kk in range(k)]
    if params.dataflow == "os":
        a_beats = [[int(x) for x in a[:, kk]] for kk in range(k)]
    else:
        folds = -(-k // rows)
        padded = np.zeros((rows, folds * rows), dtype=np.int64)
        padded[:, :k] = a
        a_beats = [
            [int(x) for x in padded[m, f * rows : (f + 1) * rows]]
            for f in range(folds)
            for m in range(rows)
        ]
    return TileBeats(k - 1, a_beats, b_beats)


def pack(values: list[int], bits: int) -> int:
    """Pack element values (element 0 in the least significant bits) into one integer."""
    mask = (1 << bits) - 1
    word = 0
    for i, v in enumerate(values):
        word |= (int(v) & mask) << (i * bits)
    return word


def unpack(word: int, bits: int, count: int, signed: bool) -> list[int]:
    """Inverse of :func:`pack`, sign-extending when ``signed``."""
    mask = (1 << bits) - 1
    out = []
    for i in range(count):
        v = (word >> (i * bits)) & mask
        if signed and v >> (bits - 1):
            v -= 1 << bits
        out.append(v)
    return out
