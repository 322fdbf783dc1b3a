"""Cycle model of the ``accel`` top, command by command.

placeholder-free note: the constants below are the pipeline depths of the RTL in
:mod:`accelsmith.hdl.accel` and of the testbench DRAM; see :func:`chunk_cycles`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

__all__ = ["chunk_cycles", "program_chunks"]


def program_chunks(prog: Any, depth: int) -> Iterator[tuple[int, list]]:
    """Commands in queue loads: at most ``depth`` each, never spanning two layers."""
    cur: list = []
    layer = None
    for c in prog.commands:
        if cur and (c.layer != layer or len(cur) == depth):
            yield layer, cur
            cur = []
        layer = c.layer
        cur.append(c)
    if cur:
        yield layer, cur


def chunk_cycles(p: Any, cmds: Sequence[Any], *, latency: int) -> int:
    """Active cycles of one queue load (first guess, refined by measurement)."""
    return 0


def layer_cycles(p: Any, s: Any, mp: Any) -> int:
    """Modelled cycles of layer ``s`` under mapping ``mp`` (first guess)."""
    return 0
