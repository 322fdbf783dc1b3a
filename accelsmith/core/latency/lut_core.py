"""LUT-tensor-core latency rules, exact for the RTL of :mod:`accelsmith.hdl.lut_core`.

Derived from the port protocol and pipeline documented in :mod:`accelsmith.hdl.lut_core` (not
from simulation); the cocotb testbench checks every tile against it. Cycle numbers count from
the cycle the first ``start`` transfers (cycle 0); ``G = ceil(Kd / K)`` groups per tile.

Timing rules (inputs always valid, output always ready unless stated):

* ``a`` beat ``g`` of a tile transfers at the earliest in the cycle after its ``start`` (first
  group) or after the previous ``a`` beat, and not before the cycle in which the previous
  group's last ``w`` beat transfers (the table registers are then free). The next tile's
  ``start`` transfers in the cycle of the current tile's last ``a`` beat.
* ``w`` beats of a group transfer one per cycle from the cycle after its ``a`` beat; a tile's
  last ``w`` beat transfers no earlier than ``c_prev + tile_m`` (``c_prev``: the previous
  tile's last ``w`` beat), so its result capture never overtakes the previous drain.
* A tile whose last ``w`` beat transfers in cycle ``c`` presents result row ``r`` in cycle
  ``c + 3 + r``, or ``c + 4 + r`` in a core of one column and two or more rows
  (:data:`DRAIN_SPLIT_MIN_ROWS`: its drain's row select and bias subtraction take two register
  stages, :func:`drain_delay`).

Output back-pressure freezes the core, so the rules hold in *advance cycles* (cycles in which
``not (c.valid and not c.ready)``); :func:`output_times` uses that time base.

The formulas take ints or numpy integer arrays; :mod:`accelsmith.models.lut_core` adds input
checks and broadcasting for the cost model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._ops import ceil_div, maximum

__all__ = [
    "DRAIN_SPLIT_MIN_ROWS",
    "INTERVAL_FORMULA",
    "TILE_CYCLES_FORMULA",
    "drain_delay",
    "full_rate_schedule",
    "layer_cycles",
    "output_times",
    "split_drain",
    "steady_interval",
    "tile_cycles",
]

#: cores of one column and at least this many rows drain through two register stages (row
#: select and the low half of the bias subtraction, then its high half), one cycle more than
#: other cores: there the one-stage drain (``drow`` -> row select -> a ripple subtraction of
#: the whole accumulator) was the worst path on sky130hd, and ABC mapped it fast or slow at
#: random (2026-12-07, sessions 6-7: 3.65-4.9 ns or 5.4-5.6 ns at the same parameters); with
#: two or more columns the row path (its flags fan out to every column) hides it
DRAIN_SPLIT_MIN_ROWS = 2
#: :func:`tile_cycles` as text (written into the manifest)
TILE_CYCLES_FORMULA = (
    "ceil(Kd / group_size) * weight_bits + tile_m + 4 + (tile_n == 1 and tile_m >= 2)"
)
#: :func:`steady_interval` as text
INTERVAL_FORMULA = "max(ceil(Kd / group_size) * weight_bits, tile_m)"


def split_drain(tile_m: Any, tile_n: Any) -> Any:
    """Whether a core drains through two register stages: one column and
    :data:`DRAIN_SPLIT_MIN_ROWS` rows or more (bool, or a bool array)."""
    return (tile_n == 1) & (tile_m >= DRAIN_SPLIT_MIN_ROWS)


def drain_delay(tile_m: Any, tile_n: Any) -> Any:
    """Cycles the split drain adds between a tile's result capture and its first row: 1
    where :func:`split_drain`, else 0."""
    return split_drain(tile_m, tile_n) * 1


def tile_cycles(group_size: Any, weight_bits: Any, tile_m: Any, tile_n: Any, kd: Any) -> Any:
    """Cycles of one isolated tile, from its ``start`` to its last row, inclusive.

    ``ceil(Kd / K) * B + tile_m + 4 + drain_delay(tile_m, tile_n)``: one ``start`` cycle, one
    table fill, ``G * B`` plane cycles, the lookup and shift-add stages, the split drain's
    first stage (one column, two or more rows), then ``tile_m`` result rows.
    """
    return ceil_div(kd, group_size) * weight_bits + tile_m + 4 + drain_delay(tile_m, tile_n)


def steady_interval(group_size: Any, weight_bits: Any, tile_m: Any, kd: Any) -> Any:
    """Cycles between completions of back-to-back tiles: ``max(ceil(Kd/K) * B, tile_m)``."""
    return maximum(ceil_div(kd, group_size) * weight_bits, tile_m)


def layer_cycles(
    group_size: Any, weight_bits: Any, tile_m: Any, tile_n: Any, m: Any, n: Any, kd: Any
) -> Any:
    """Cycles of an ``M x N x Kd`` GEMM as ``ceil(M/tile_m) * ceil(N/tile_n)`` tiles back to back.

    ``tile_cycles(Kd) + (tiles - 1) * steady_interval(Kd)`` (first ``start`` to last row).
    Every tile rebuilds its tables (one per group and activation row): a wider ``tile_n``
    shares each table among more weight columns.
    """
    tiles = ceil_div(m, tile_m) * ceil_div(n, tile_n)
    return tile_cycles(group_size, weight_bits, tile_m, tile_n, kd) + (tiles - 1) * steady_interval(
        group_size, weight_bits, tile_m, kd
    )


def full_rate_schedule(
    group_size: int, weight_bits: int, tile_m: int, tile_n: int, kds: Sequence[int]
) -> list[dict[str, Any]]:
    """Cycle-exact schedule of tiles streamed back to back with no stalls.

    Returns per tile: ``start`` (its ``start`` transfer), ``a_at`` (each ``a`` beat),
    ``w_last`` (its last ``w`` beat), ``rows_at`` (each result row) and ``done``.
    """
    b = weight_bits
    out: list[dict[str, Any]] = []
    start = 0
    free = None  # cycle in which the table registers take the next group (last plane)
    c_prev = None
    for kd in kds:
        g_count = int(ceil_div(kd, group_size))
        a_at = []
        earliest = start + 1
        w_last = 0
        for g in range(g_count):
            a = earliest if free is None else max(earliest, free)
            a_at.append(a)
            last = a + b
            if g == g_count - 1 and c_prev is not None:
                last = max(last, c_prev + tile_m)
            free, earliest, w_last = last, a + 1, last
        rows_at = [w_last + 3 + drain_delay(tile_m, tile_n) + r for r in range(tile_m)]
        out.append(
            {
                "start": start,
                "a_at": a_at,
                "w_last": w_last,
                "rows_at": rows_at,
                "done": rows_at[-1],
            }
        )
        start, c_prev = a_at[-1], w_last
    return out


def output_times(tile_m: int, tile_n: int, w_last: Sequence[int]) -> list[list[int]]:
    """Advance-cycle of every result row, given the advance-cycle of each tile's last ``w``
    beat (as observed with input gaps and back-pressure)."""
    d = 3 + drain_delay(tile_m, tile_n)
    return [[c + d + r for r in range(tile_m)] for c in w_last]
