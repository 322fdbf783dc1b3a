"""Systolic-array latency rules, exact for the RTL of :mod:`accelsmith.hdl.systolic`.

Everything here is derived from the port protocol and the timing rules documented in
:mod:`accelsmith.hdl.systolic` (not from simulation); the cocotb testbench checks every tile
against it. Cycle numbers count from the cycle the tile's ``start`` transfers (cycle 0).

Timing rules of the RTL (inputs always valid, output always ready unless stated):

``os``
    Beats of a tile transfer in the cycles after its ``start``; the *last* beat of a tile may
    transfer only from cycle ``D_prev`` on, where ``D_prev`` is the cycle the previous tile's
    drain starts. A tile whose last beat transfers in cycle ``e`` starts draining in
    ``D = max(e + 2, D_prev + rows)``; row ``s`` of the result is presented in cycle
    ``D + s + cols``. The next ``start`` transfers in cycle ``e``.
``ws``
    Weight rows transfer one per cycle into one of two slots; a fold's first weight row waits
    until its slot is free (the slot's previous fold sent its last activation beat in an
    earlier cycle). A fold's activation beats start the cycle after its last weight row and
    follow the previous fold's beats. Activation beat ``m`` of a tile's last fold transferring
    in cycle ``t`` produces result row ``m`` in cycle ``t + rows + cols + 1``. The next
    ``start`` transfers in the cycle of the current tile's last weight row.

Output back-pressure freezes the whole array, so the rules hold in *advance cycles* (cycles in
which ``not (c.valid and not c.ready)``); :func:`output_times` uses that time base.

The formulas take ints or numpy integer arrays (``dataflow`` a string or an array of them);
:mod:`accelsmith.models.systolic` adds input checks and broadcasting for the cost model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._ops import ceil_div, maximum, minimum, select

__all__ = [
    "INTERVAL_FORMULA",
    "TILE_CYCLES_FORMULA",
    "full_rate_schedule",
    "layer_cycles",
    "output_times",
    "steady_interval",
    "tile_cycles",
]

#: :func:`tile_cycles` as text, per dataflow (written into the manifest)
TILE_CYCLES_FORMULA = {
    "os": "K + rows + cols + 2",
    "ws": "min(K, rows) + ceil(K / rows) * rows + rows + cols + 2",
}
#: :func:`steady_interval` as text, per dataflow
INTERVAL_FORMULA = {"os": "max(K, rows, 2)", "ws": "ceil(K / rows) * rows"}


def tile_cycles(rows: Any, cols: Any, dataflow: Any, k: Any) -> Any:
    """Cycles of one isolated tile, from its ``start`` transfer to its last row, inclusive.

    ``os``: ``K + rows + cols + 2``; ``ws``: ``min(K, rows) + ceil(K/rows)*rows + rows + cols
    + 2``.
    """
    os_ = k + rows + cols + 2
    ws = minimum(k, rows) + ceil_div(k, rows) * rows + rows + cols + 2
    return select(dataflow == "os", os_, ws)


def steady_interval(rows: Any, cols: Any, dataflow: Any, k: Any) -> Any:
    """Cycles between completions of back-to-back tiles of depth ``K`` at full rate.

    ``os``: ``max(K, rows, 2)`` (the drain emits one row per cycle; a one-row array needs a
    cycle for the capture to settle); ``ws``: ``ceil(K/rows) * rows``.
    """
    return select(dataflow == "os", maximum(k, rows, 2), ceil_div(k, rows) * rows)


def layer_cycles(rows: Any, cols: Any, dataflow: Any, m: Any, n: Any, k: Any) -> Any:
    """Cycles of an ``M x N x K`` GEMM run as ``ceil(M/rows) * ceil(N/cols)`` tiles back to back.

    From the first ``start`` to the last result row, inclusive, at full rate:
    ``tile_cycles(K) + (tiles - 1) * steady_interval(K)``.
    """
    tiles = ceil_div(m, rows) * ceil_div(n, cols)
    return tile_cycles(rows, cols, dataflow, k) + (tiles - 1) * steady_interval(
        rows, cols, dataflow, k
    )


def full_rate_schedule(rows: int, cols: int, dataflow: str, ks: Sequence[int]) -> list[dict]:
    """Cycle-exact schedule of tiles streamed back to back with no input or output stalls.

    The first ``start`` transfers in cycle 0 and each next one as early as the protocol
    allows. Returns, per tile, ``start`` (cycle of its ``start`` transfer), ``done`` (cycle of
    its last row) and ``rows_at`` (cycle each result row is presented).
    """
    out: list[dict] = []
    if dataflow == "os":
        start, d_prev = 0, None
        for k in ks:
            e = start + k if d_prev is None else max(start + k, d_prev)
            d = e + 2 if d_prev is None else max(e + 2, d_prev + rows)
            rows_at = [d + s + cols for s in range(rows)]
            out.append({"start": start, "done": rows_at[-1], "rows_at": rows_at})
            start, d_prev = e, d
        return out
    # ws: folds of `rows` weight rows, two slots, activation beats after their fold's weights
    start, w_next, a_next = 0, 1, 0
    slot_free = [0, 0]
    fold = 0
    for k in ks:
        nfolds = -(-k // rows)
        w_end = a0 = 0
        for f in range(nfolds):
            slot = fold % 2
            n = min(rows, k - f * rows)
            w0 = max(w_next, slot_free[slot])
            w_end = w0 + n - 1
            w_next = w_end + 1
            a0 = max(a_next, w_end + 1)
            a_next = a0 + rows
            slot_free[slot] = a0 + rows
            fold += 1
        rows_at = [a0 + m + rows + cols + 1 for m in range(rows)]
        out.append({"start": start, "done": rows_at[-1], "rows_at": rows_at})
        start = w_end
    return out


def output_times(
    rows: int, cols: int, dataflow: str, tiles: Sequence[Sequence[int]]
) -> list[list[int]]:
    """Advance-cycle at which each result row is presented, given observed input transfers.

    Parameters
    ----------
    tiles : sequence of sequences of int
        Per tile, the advance-cycle of every ``a`` transfer of the tile in order (``os``:
        ``K`` beats; ``ws``: ``rows * ceil(K/rows)`` beats).

    Returns
    -------
    list of list of int
        Per tile, the advance-cycle in which result row ``0 .. rows-1`` is presented.
    """
    result: list[list[int]] = []
    d_prev: int | None = None
    for beats in tiles:
        if dataflow == "os":
            e = beats[-1]
            d = e + 2 if d_prev is None else max(e + 2, d_prev + rows)
            result.append([d + s + cols for s in range(rows)])
            d_prev = d
        else:
            last_fold = beats[-rows:]
            result.append([t + rows + cols + 1 for t in last_fold])
    return result
