"""Cycle model of the ``accel`` top, command by command (the cocotb bench checks it exactly
with a fixed DRAM latency and no back-pressure, and within 5 % with back-pressure).

The rules mirror the RTL of :mod:`accelsmith.hdl.accel` (pipeline registers counted in the
comments) and the testbench DRAM (:mod:`accelsmith.sim.benches.accel_dram`: a read burst's
first beat is valid ``latency + 1`` cycles after its AR transfer, beats follow one per cycle;
a write burst's response is valid 2 cycles after its last W beat).

Dispatch
    One command per cycle at most, in order. A command dispatched in cycle ``D`` makes its
    unit busy from ``D + 1``; the unit accepts the next command in the first cycle it is
    no longer busy (``free``). Loads/stores wait for the DMA unit (and for a running compute
    on the same bank), computes for the array (and for a DMA command on one of their banks),
    config and fence for both units.
Compute
    ``free = D + tile_cycles(k) + 2`` (:func:`accelsmith.models.systolic.tile_cycles` rules:
    one cycle to start the array, one of accumulator read-modify-write).
Load
    ARs from ``D + 2``, one per cycle, at most ``dma_outstanding`` bursts in flight; each R
    beat is taken in the cycle it is valid (transposed loads: after one cycle per element it
    holds); ``free`` = last beat + 2.
Store
    AWs from ``D + 2``; accumulator rows from ``D + 3``; a burst's W beats start the cycle
    after its AW and run one per cycle; ``free`` = last write response + 2.
Back-pressure (``stall`` = P, default 0)
    The DRAM pauses each of its five channels independently with probability P in every
    cycle (``ready`` low on AR, AW, W; ``valid`` withheld on R, B). A handshake that could
    happen in cycle ``t`` then happens in ``t + G``, ``G`` geometric with mean
    ``q = P / (1 - P)`` and variance ``w = P / (1 - P)**2`` (:func:`wait`,
    :func:`wait_variance`). The same recursions then run on expected times: every handshake
    the DRAM can pause adds ``q`` (per burst ``AR accepted = AR valid + q``, the next AR one
    cycle later; every R beat ``taken = max(data ready, previous beat + 1) + q``; per store
    burst ``AW accepted = AW valid + q``, its ``n`` W beats take ``n (1 + q)``, its response
    ``B = max(last W + 2, previous B + 1) + q``), and every ``max`` of two times that each
    just passed a random handshake (a burst's first beat vs the previous burst's last, W
    vs AW, B vs the previous B, the outstanding window) is :func:`expected_max` (Clark's
    mean of the max of two normals) with variance ``w`` on each side (the variance since
    their last common handshake is about one wait), because the max of the means
    underestimates ``E[max]`` (Jensen); inside a burst a beat simply follows its
    predecessor. The outstanding-request window (an AR/AW waits
    for the response of the burst ``dma_outstanding`` before it) and the overlap with
    compute (dispatch rules above) then act on these longer durations. With P = 0 every
    variance is 0 and the model is the exact one above. ``race=False`` turns the race term
    off (max of the means): that is the back-pressure term the vectorized cost model
    (:mod:`accelsmith.runtime.closed_form`) implements so far, 0.5-3.8 % low at P = 0.3.

    Checked against a Monte Carlo of the same handshake rules with random geometric waits
    (100 runs per layer) on the bench's os-3x3-s16-bus128 layers: within -0.7 .. +1.8 % for
    P = 0.1, 0.3 and 0.5 (the max of the means alone was 0.5-3.8 % low at P = 0.3; Clark
    with variances accumulated over the whole transfer, correlations ignored, 3-8 % high).
    Against the RTL with P = 0.3 see ``tests/sim/test_accel_cocotb.py`` (within 5 % per
    layer, both ways).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Sequence
from typing import Any

__all__ = [
    "chunk_cycles",
    "command_cycles",
    "expected_max",
    "layer_cycles",
    "program_chunks",
    "tile_cycles",
    "wait",
    "wait_variance",
]


def wait(stall: float) -> float:
    """Expected extra cycles of one handshake when the DRAM pauses that channel with
    probability ``stall`` in each cycle: ``q = stall / (1 - stall)`` (mean of a geometric
    number of paused cycles; 0 without back-pressure). Elementwise: works on arrays too (a
    scalar 0 gives the integer 0, so the stall-free model stays in integers)."""
    if isinstance(stall, int | float) and stall == 0:
        return 0
    return stall / (1.0 - stall)


def wait_variance(stall: float) -> float:
    """Variance of that wait: ``stall / (1 - stall)**2`` (0 without back-pressure)."""
    if isinstance(stall, int | float) and stall == 0:
        return 0
    return stall / (1.0 - stall) ** 2


def expected_max(m1: float, v1: float, m2: float, v2: float) -> float:
    """``E[max(X1, X2)]`` of independent normals with means ``m`` and variances ``v`` (Clark
    1961, "The greatest of a finite set of random variables", Operations Research 9(2),
    eq. 2): ``m1 F(a) + m2 F(-a) + s f(a)``, ``s = sqrt(v1 + v2)``, ``a = (m1 - m2) / s``;
    the plain max when neither varies (so the stall-free model stays exact)."""
    s2 = v1 + v2
    if s2 == 0 or (m1 - m2) ** 2 > 64 * s2:
        return max(m1, m2)
    s = math.sqrt(s2)
    a = (m1 - m2) / s
    cdf = 0.5 * (1.0 + math.erf(a / math.sqrt(2.0)))
    return m1 * cdf + m2 * (1.0 - cdf) + s * math.exp(-0.5 * a * a) / math.sqrt(2.0 * math.pi)


READ_EXTRA = 1  # AR transfer -> first R beat valid, on top of the DRAM latency
B_DELAY = 2  # last W beat -> write response valid


def tile_cycles(rows: int, cols: int, dataflow: str, k: int) -> int:
    """Systolic tile latency (same rule as :func:`accelsmith.models.systolic.tile_cycles`)."""
    if dataflow == "os":
        return k + rows + cols + 2
    return min(k, rows) + math.ceil(k / rows) * rows + rows + cols + 2


def _bursts(bus: int, burst_len: int, addr: int, nbytes: int) -> list[tuple[int, int]]:
    """``(aligned address, beats)`` of the bursts of one row."""
    first = addr - addr % bus
    beats = (addr % bus + nbytes - 1) // bus + 1
    out = []
    cur = first
    while beats:
        n = min(beats, burst_len, (4096 - cur % 4096) // bus)
        out.append((cur, n))
        cur += n * bus
        beats -= n
    return out


def _row_beat_elems(bus: int, eb: int, addr: int, n: int) -> list[int]:
    """Elements of a row in each of its beats."""
    off = addr % bus
    out = []
    while n:
        e = min(n, (bus - off) // eb)
        out.append(e)
        n -= e
        off = 0
    return out


def _max_of_means(m1: float, v1: float, m2: float, v2: float) -> float:
    """``max(m1, m2)``: the race term off (``race=False``)."""
    return max(m1, m2)


def _load(p: Any, f: dict, D: int, latency: int, stall: float = 0.0, race: bool = True) -> float:
    key = (
        f["dram_addr"] % 4096,
        f["n_rows"],
        f["row_elems"],
        f["stride"] if f["n_rows"] > 1 else 0,
        f.get("target", 0) == 2,
        bool(f.get("transpose")),
    )
    return D + _load_duration(
        p.bus_bits, p.in_bits, p.burst_len, p.dma_outstanding, key, latency, stall, race
    )


@functools.lru_cache(maxsize=1 << 16)
def _load_duration(
    bus_bits: int,
    in_bits: int,
    burst_len: int,
    outstanding: int,
    key: tuple,
    latency: int,
    stall: float = 0.0,
    race: bool = True,
) -> float:
    """``free - D`` of a load (depends on the address only modulo 4 KiB)."""
    mx = expected_max if race else _max_of_means
    addr0, n_rows, row_elems, stride, scale, transpose = key
    B = bus_bits // 8
    eb = in_bits // 8
    lanes = row_elems * (2 // eb if scale else 1)
    nbytes = lanes * eb
    bursts = []  # elements per beat, per burst
    for r in range(n_rows):
        addr = addr0 + r * stride
        elems = _row_beat_elems(B, eb, addr, lanes)
        i = 0
        for _, n in _bursts(B, burst_len, addr, nbytes):
            bursts.append(elems[i : i + n])
            i += n
    q, w = wait(stall), wait_variance(stall)
    ar_times: list[float] = []
    last_done: list[float] = []  # cycle the last beat of burst b is taken
    t_ar: float = 2
    prev: float = -1  # cycle the previous beat was taken
    for b, elems in enumerate(bursts):
        if b >= outstanding:
            t_ar = mx(t_ar, w, last_done[b - outstanding] + 1, w)
        ar_times.append(t_ar + q)
        t_ar += 1 + q
        first = ar_times[b] + latency + READ_EXTRA
        # a burst's first beat races the previous burst's last; later ones follow their
        # predecessor (data ready at first + j <= previous beat + 1 always)
        t = mx(first, w, prev + 1, w) + q
        for j, e in enumerate(elems):
            if j:
                t = prev + 1 + q
            prev = t + (e - 1 if transpose else 0)
        last_done.append(prev)
    return prev + 2


def _store(p: Any, f: dict, D: int, stall: float = 0.0, race: bool = True) -> float:
    mx = expected_max if race else _max_of_means
    B = p.bus_bits // 8
    eb = p.in_bits // 8
    nbytes = f["row_elems"] * eb
    bursts = []
    for r in range(f["n_rows"]):
        addr = f["dram_addr"] + r * f["stride"]
        bursts += [n for _, n in _bursts(B, p.burst_len, addr, nbytes)]
    q, w = wait(stall), wait_variance(stall)
    o = p.dma_outstanding
    t_aw: float = D + 2
    prev_w: float = D + 2  # first W beat no earlier than D + 3
    b_times: list[float] = []
    prev_b: float = -1
    for b, n in enumerate(bursts):
        if b >= o:
            t_aw = mx(t_aw, w, b_times[b - o] + 1, w)
        aw = t_aw + q
        t_aw = aw + 1
        # the first burst's W follows its AW (aw + 1 >= D + 3 always)
        start = aw + 1 if b == 0 else mx(prev_w + 1, w, aw + 1, w)
        prev_w = start + n - 1 + n * q
        prev_b = mx(prev_w + B_DELAY, w, prev_b + 1, w) + q
        b_times.append(prev_b)
    return prev_b + 2


def command_cycles(
    p: Any, op: str, f: dict, D: float, latency: int, stall: float = 0.0, race: bool = True
) -> float:
    """The ``free`` cycle of a command dispatched in cycle ``D``."""
    if op == "compute":
        return D + tile_cycles(p.rows, p.cols, p.dataflow, f["k"]) + 2
    if op == "load":
        return _load(p, f, D, latency, stall, race)
    if op == "store":
        return _store(p, f, D, stall, race)
    return D + 1


def chunk_cycles(
    p: Any, cmds: Sequence[Any], *, latency: int, stall: float = 0.0, race: bool = True
) -> float:
    """Active cycles of one queue load: from the release of ``CTRL.hold`` to ``idle``."""
    t = 0  # next cycle a command may dispatch
    ex_free = dma_free = 0
    ex_banks = (-1, -1, -1)  # a, b, acc banks of the last compute
    dma_res = (-1, -1)  # (kind, bank) of the last DMA command: kind 0 A, 1 B, 2 scale, 3 store
    end = 0
    for c in cmds:
        op, f = c.op, c.fields
        if op in ("config", "fence"):
            D = max(t, ex_free, dma_free)
        elif op in ("load", "store"):
            D = max(t, dma_free)
            kind = 3 if op == "store" else f.get("target", 0)
            bank = f.get("bank", 0)
            clash = (kind == 0 and ex_banks[0] == bank) or (kind == 1 and ex_banks[1] == bank)
            clash = clash or (kind == 3 and ex_banks[2] == bank)
            if clash:
                D = max(D, ex_free)
        else:
            D = max(t, ex_free)
            kind, bank = dma_res
            banks = (f.get("a_bank", 0), f.get("b_bank", 0), f.get("acc_bank", 0))
            if (
                (kind == 0 and bank == banks[0])
                or (kind == 1 and bank == banks[1])
                or (kind == 3 and bank == banks[2])
            ):
                D = max(D, dma_free)
        free = command_cycles(p, op, f, D, latency, stall, race)
        if op == "compute":
            ex_free = free
            ex_banks = (f.get("a_bank", 0), f.get("b_bank", 0), f.get("acc_bank", 0))
        elif op in ("load", "store"):
            dma_free = free
            dma_res = (3 if op == "store" else f.get("target", 0), f.get("bank", 0))
        t = D + 1
        end = max(end, free, t)
    return end


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


#: output tiles the cycle model simulates of a large layer (two samples: a line through them)
SAMPLE = (3, 6)


def layer_cycles(p: Any, s: Any, mp: Any, latency: int = 8, stall: float = 0.0) -> int:
    """Modelled cycles of layer ``s`` under mapping ``mp`` with an always-full command queue
    (``stall``: the DRAM's pause probability, see :func:`wait`; the expectation, rounded).

    The commands are simulated by :func:`chunk_cycles`. A layer of more than ``SAMPLE[1]``
    output tiles is simulated on its first ``SAMPLE[0]`` and ``SAMPLE[1]`` tiles and
    extrapolated along the line through the two (the schedule repeats per output tile; the
    first tiles carry the prologue, which the line keeps once).
    """
    from .compiler import Quant, layer_commands

    def cycles(limit: int | None) -> float:
        cmds = layer_commands(
            p,
            s,
            mp,
            Quant(),
            layer=0,
            in_base=0,
            w_base=0,
            sc_base=0,
            out_base=0,
            zero_base=0,
            limit=limit,
        )
        return chunk_cycles(p, cmds, latency=latency, stall=stall)

    tiles = s.groups * mp.m_tiles * mp.n_tiles
    t1, t2 = SAMPLE
    if tiles <= t2:
        return round(cycles(None))
    c1, c2 = cycles(t1), cycles(t2)
    return round(c1 + (tiles - t1) * (c2 - c1) / (t2 - t1))
