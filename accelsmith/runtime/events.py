"""Expected hardware event counts of a command stream: what the ``accel`` top's performance
counters (:data:`accelsmith.core.accel_isa.COUNTERS`) must read after running it.

Per command (``D`` the dispatch cycle, ``free`` from
:func:`~accelsmith.runtime.timing.command_cycles`; a unit is busy from ``D + 1`` to
``free - 1``):

compute
    ``ex_busy = free - D - 1`` (= the tile latency + 1), ``a_reads`` = ``k`` (OS) or
    ``ceil(k / rows) * rows`` (WS: whole weight blocks), ``b_reads = k``, ``acc_rmw = rows``.
load
    ``rd_beats`` = the beats of its bursts; scratchpad write cycles (``a_writes``,
    ``b_writes`` or ``s_writes`` by target) = one per beat, or one per element for a
    transposed load; ``dma_busy = free - D - 1``; ``dma_wait = dma_busy - writes``.
store
    ``wr_beats`` = the beats of its bursts, ``acc_reads = n_rows``,
    ``dma_busy = free - D - 1``, ``dma_wait = dma_busy - wr_beats``.

``active`` is :func:`~accelsmith.runtime.timing.chunk_cycles` of each queue load. Everything
is exact with a fixed DRAM latency; under random back-pressure (``stall`` > 0) the busy, wait
and active cycles are the model's expectations and the other counts stay exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .timing import _bursts, chunk_cycles, command_cycles

__all__ = ["EVENTS", "command_events", "program_events"]

#: event keys, in the order of the counters
EVENTS = (
    "active",
    "ex_busy",
    "a_reads",
    "b_reads",
    "acc_rmw",
    "a_writes",
    "b_writes",
    "s_writes",
    "acc_reads",
    "rd_beats",
    "wr_beats",
    "dma_busy",
    "dma_wait",
)


def _beats(p: Any, f: dict, elem_bytes: int, lanes: int) -> int:
    B = p.bus_bits // 8
    stride = f["stride"] if f["n_rows"] > 1 else 0
    return sum(
        n
        for r in range(f["n_rows"])
        for _, n in _bursts(B, p.burst_len, f["dram_addr"] + r * stride, lanes * elem_bytes)
    )


def command_events(p: Any, op: str, f: dict, latency: int, stall: float = 0.0) -> dict[str, float]:
    """Event counts of one command (keys of :data:`EVENTS` except ``active``)."""
    ev: dict[str, float] = {}
    if op == "compute":
        k = f["k"]
        ev["ex_busy"] = command_cycles(p, op, f, 0, latency, stall) - 1
        ev["a_reads"] = k if p.dataflow == "os" else -(-k // p.rows) * p.rows
        ev["b_reads"] = k
        ev["acc_rmw"] = p.rows
    elif op == "load":
        eb = p.in_bits // 8
        target = f.get("target", 0)
        lanes = f["row_elems"] * (2 // eb if target == 2 else 1)
        beats = _beats(p, f, eb, lanes)
        writes = f["n_rows"] * lanes if f.get("transpose") else beats
        busy = command_cycles(p, op, f, 0, latency, stall) - 1
        ev["rd_beats"] = beats
        ev[("a_writes", "b_writes", "s_writes")[target]] = writes
        ev["dma_busy"] = busy
        ev["dma_wait"] = busy - writes
    elif op == "store":
        beats = _beats(p, f, p.in_bits // 8, f["row_elems"])
        busy = command_cycles(p, op, f, 0, latency, stall) - 1
        ev["wr_beats"] = beats
        ev["acc_reads"] = f["n_rows"]
        ev["dma_busy"] = busy
        ev["dma_wait"] = busy - beats
    return ev


def program_events(
    p: Any, chunks: Iterable[Sequence[Any]], latency: int, stall: float = 0.0
) -> dict[str, float]:
    """Summed event counts of the commands of ``chunks`` (queue loads, each run from idle)."""
    total = dict.fromkeys(EVENTS, 0)
    for cmds in chunks:
        total["active"] += chunk_cycles(p, cmds, latency=latency, stall=stall)
        for c in cmds:
            for k, v in command_events(p, c.op, c.fields, latency, stall).items():
                total[k] += v
    return total
