"""The mapper: K-tile depth and loop order of a layer for an ``accel`` configuration.

Candidates: every K-tile depth that fits the scratchpad banks (the whole reduction when it
fits, else the largest fitting depth and its halvings, multiples of ``rows`` for ``ws``) and
both loop orders (``mn``: pixels outer, ``nm``: channels outer; with one K tile the outer
operand stays in its bank across the inner loop). The chosen mapping minimizes DRAM traffic,
then the modelled cycles (:func:`accelsmith.runtime.timing.layer_cycles`). The cost model uses
this same function, so a campaign costs the schedule the hardware runs.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any

from .shapes import ConvShape

__all__ = ["MAPPER_LATENCY", "Mapping", "choose_mapping", "traffic_bytes"]

#: DRAM latency (cycles) the mapper breaks traffic ties with (the testbench DRAM's default)
MAPPER_LATENCY = 8


@dataclasses.dataclass(frozen=True)
class Mapping:
    """Tiling of one layer."""

    tk: int
    order: str
    m_tiles: int
    n_tiles: int
    k_tiles: int
    dram_bytes: int = 0
    cycles: int = 0


def _tk_limit(p: Any) -> int:
    if p.dataflow == "ws":
        return min(p.max_k, (p.a_entries // p.rows) * p.rows, p.b_entries)
    return min(p.max_k, p.a_entries, p.b_entries)


def traffic_bytes(p: Any, s: ConvShape, mp: Mapping) -> int:
    """DRAM bytes moved (activations, weights, scales-free outputs) under ``mp``."""
    eb = p.in_bits // 8
    M, Kg, Ng = s.M, s.Kg, s.ng
    a_once = M * Kg * eb  # every A tile of one pass (pixels x K)
    b_once = Kg * Ng * eb
    a_passes = 1 if (mp.k_tiles == 1 and mp.order == "mn") else mp.n_tiles
    b_passes = 1 if (mp.k_tiles == 1 and mp.order == "nm") else mp.m_tiles
    out = M * s.k_out * eb
    return s.groups * (a_once * a_passes + b_once * b_passes) + out


@functools.lru_cache(maxsize=65536)
def choose_mapping(p: Any, s: ConvShape) -> Mapping:
    """The mapping of ``s`` on ``p`` with the least DRAM traffic, then the fewest cycles."""
    from .timing import layer_cycles

    limit = _tk_limit(p)
    Kg = s.Kg
    step = p.rows if p.dataflow == "ws" else 1
    cands = set()
    if Kg <= limit:
        cands.add(Kg)
    t = (limit // step) * step
    while t >= step and len(cands) < 6:
        if t < Kg:
            cands.add(t)
        t = (t // 2 // step) * step
    m_tiles = math.ceil(s.M / p.rows)
    n_tiles = math.ceil(s.ng / p.cols)
    options = []
    for tk in sorted(cands):
        for order in ("mn", "nm"):
            mp = Mapping(tk, order, m_tiles, n_tiles, math.ceil(Kg / tk))
            options.append((traffic_bytes(p, s, mp), mp))
    least = min(t for t, _ in options)
    best = None
    for traffic, mp in options:
        if traffic != least:
            continue  # cycles only break ties of the traffic
        cyc = layer_cycles(p, s, mp, MAPPER_LATENCY)
        key = (cyc, -mp.tk, mp.order)
        if best is None or key < best[0]:
            best = (key, dataclasses.replace(mp, dram_bytes=traffic, cycles=cyc))
    assert best is not None
    return best[1]
