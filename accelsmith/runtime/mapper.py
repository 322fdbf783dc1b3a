"""The mapper: K-tile depth and loop order of a layer for an ``accel`` configuration.

Candidates: every K-tile depth that fits the scratchpad banks (the whole reduction when it
fits, else the largest fitting depth and its halvings, multiples of ``rows`` for ``ws``) and
both loop orders (``mn``: pixels outer, ``nm``: channels outer; with one K tile the outer
operand stays in its bank across the inner loop). The chosen mapping minimizes DRAM traffic,
then the modelled cycles, then prefers the deeper K tile, then ``mn``.

The choice is made by :func:`accelsmith.runtime.closed_form.schedule` (the closed form of the
command-level cycle model, vectorized over candidates and layers); :func:`choose_mapping` is
that function on one layer. The cost model calls the same ``schedule`` on arrays of
(configuration, layer) points, so a campaign costs the schedule the compiler emits and the
hardware runs. (Before, the cycles that break traffic ties came from
:func:`accelsmith.runtime.timing.layer_cycles`, which extrapolates large layers from 3 and 6
simulated output tiles: tests/runtime/test_closed_form.py shows where that line misses.)
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any

from .shapes import ConvShape

__all__ = ["MAPPER_LATENCY", "Mapping", "candidates", "choose_mapping", "traffic_bytes"]

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


def candidates(p: Any, s: ConvShape) -> list[Mapping]:
    """Every mapping the mapper considers (the reference enumeration: the closed form
    builds the same set as arrays)."""
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
    return [
        Mapping(tk, order, m_tiles, n_tiles, math.ceil(Kg / tk))
        for tk in sorted(cands)
        for order in ("mn", "nm")
    ]


@functools.lru_cache(maxsize=65536)
def choose_mapping(p: Any, s: ConvShape) -> Mapping:
    """The mapping of ``s`` on ``p`` with the least DRAM traffic, then the fewest cycles
    (``cycles``: the closed-form cycles at :data:`MAPPER_LATENCY`, see the module docstring)."""
    from .closed_form import CONFIG_FIELDS, LAYER_FIELDS, schedule

    cfg = {k: getattr(p, k) for k in CONFIG_FIELDS}
    lay = {k: getattr(s, k) for k in LAYER_FIELDS}
    out = schedule(cfg, lay, MAPPER_LATENCY, mapper_latency=MAPPER_LATENCY)
    return Mapping(
        tk=int(out["tk"][0]),
        order="nm" if out["nm"][0] else "mn",
        m_tiles=int(out["m_tiles"][0]),
        n_tiles=int(out["n_tiles"][0]),
        k_tiles=int(out["k_tiles"][0]),
        dram_bytes=int(out["dram_bytes"][0]),
        cycles=int(out["mapper_cycles"][0]),
    )
