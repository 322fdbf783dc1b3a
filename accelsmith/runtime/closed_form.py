"""Vectorized mapper and cycle model of the ``accel`` family: arrays of (configuration, layer)
points in, the mapper's choice, its DRAM bytes and its cycles out, with no Python loop over
points (numpy over a flat point axis and a candidate axis of at most six K-tile depths x two
loop orders).

It computes what :func:`accelsmith.runtime.mapper.choose_mapping` and
:func:`accelsmith.runtime.timing.layer_cycles` compute command by command, in closed form:

Modules: this one holds the mapper's search (candidates, traffic, the choice:
:func:`schedule`) and the reference (:func:`simulated_cycles`); the cycle and event formulas
of one schedule are in :mod:`accelsmith.runtime.cf_cycles`, the per-command burst and beat
formulas in :mod:`accelsmith.runtime.cf_commands`, the im2col command histograms in
:mod:`accelsmith.runtime.cf_im2col`.

Mapper
    The same candidates (the whole reduction when it fits, else the largest fitting K-tile
    depth and its halvings, multiples of ``rows`` for ``ws``; both loop orders), the same
    traffic formula (:func:`accelsmith.runtime.mapper.traffic_bytes`, exact integers) and the
    same choice: least traffic, then fewest cycles at ``MAPPER_LATENCY``, then the deeper K
    tile, then ``mn`` -- an argmin over the candidate axis.
Schedule
    Dispatch is in order and the two units are serial, so the command-level simulation
    (:func:`accelsmith.runtime.timing.chunk_cycles`) reduces to a sum per output tile (derived
    from its dispatch rules, see :func:`_cycles`): with one K tile, a tile costs its loads +
    ``compute`` + ``store`` back to back (the store waits for the compute on its accumulator
    bank, the next loads wait for the store on the one DMA unit); with ``kt >= 2`` K tiles the
    loads of K tile ``j + 1`` overlap the compute of ``j`` (double buffering):
    ``sum_j max(1 + load_j, compute_{j-1} + 2)``.
Commands
    A load's duration from its dispatch is ``4 + L + cycles + q * max(0, L + 1 - (o - 1) c)``
    and a store's ``6 + beats + q * max(0, 3 - (o - 1) c)`` (``L`` the DRAM latency, ``o`` the
    outstanding bursts, ``c`` the cycles per burst, ``q = (bursts - 1) // o``): the closed form
    of the burst recurrence of :func:`accelsmith.runtime.timing._load_duration` / ``_store``
    (a burst's beats start when its data arrives and the previous burst is done; with ``o`` in
    flight, burst ``b`` is issued when burst ``b - o`` completes), exact when a command's
    bursts are equal. Beats per row, extra bursts at 4 KiB boundaries and rows of unequal
    alignment are counted as their exact average over the row start addresses the layout
    gives (Hermite's identity over the alignment classes), the im2col commands of
    convolutions (one per output-row segment of a pixel tile, valid/padding run and
    ``rows``-wide piece of a filter tap) are counted in closed form per filter tap.

Back-pressure
    With the DRAM pausing each AXI channel with probability ``P`` (``stall``), every
    handshake waits ``wq = P / (1 - P)`` more on average (:func:`accelsmith.runtime.timing.wait`):
    a load starts ``wq`` later, every beat costs ``1 + wq`` and every issue-chain step ``wq``
    more; a store's AW and B wait ``wq`` each. That is the mean-wait recursion of
    :mod:`accelsmith.runtime.timing` with ``race=False``; timing's default adds a race term
    (Clark's ``E[max]`` of two varying arrival times) that this closed form does not have
    (0.5-3.8 % fewer cycles than it at ``P = 0.3``, per runtime.timing). At ``P = 0`` nothing
    changes.

Where this is an approximation (and why)
    The reference is the full command-level simulation (:func:`simulated_cycles`: every
    command of the layer through :func:`~accelsmith.runtime.timing.chunk_cycles`), which the
    RTL matches exactly with a fixed DRAM latency. The averages above replace per-row,
    per-piece and per-tile values where they differ: rows of one command with unequal beats
    in the latency-bound regime, im2col pieces of unequal length, padding rows of a tap taken
    with the overall row-offset distribution, and the pixel-tile share of the loads in the
    ``max(load, compute)`` overlap of multi-K-tile schedules. Measured on 1000 random small
    points (both dataflows, 8/16 bits, 32..512-bit buses, bursts 1..64, 1..8 outstanding;
    GEMMs, padded/grouped/strided convolutions, depthwise): exact on 34 %, mean |error|
    0.32 %, 95th percentile 1.3 %, 99th 4.3 %, worst 16 % (e.g. 7 % on a single-tile layer
    whose K tiles hold unequal numbers of im2col pieces around the compute time). The test
    (``tests/models/test_accel_closed_form.py``) bounds mean <= 0.5 %, 95th percentile
    <= 2 %, worst <= 20 %. :func:`~accelsmith.runtime.timing.layer_cycles` itself
    extrapolates large layers from 3 and 6 simulated output tiles: on layers where operand
    reuse makes tiles unequal (one K tile, ``mn`` order: A is fetched on every ``n_tiles``-th
    tile only) it misses by up to tens of per cent (a 16x40x24 GEMM on 4x4: 4205 vs 4721
    simulated; the first ResNet-50 conv on a 20x12 ``ws`` array: 2.48e6 vs 4.63e6), where
    this closed form is within 2 %.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .cf_commands import _cdiv
from .cf_cycles import _column_phase_beats, _cycles
from .cf_im2col import _im2col_unique

__all__ = ["CONFIG_FIELDS", "LAYER_FIELDS", "N_CANDIDATES", "schedule", "simulated_cycles"]

#: the configuration fields (:class:`~accelsmith.core.families.accel.AccelParams`) and layer
#: fields (:class:`~accelsmith.runtime.shapes.ConvShape`) :func:`schedule` reads
CONFIG_FIELDS = (
    "rows",
    "cols",
    "dataflow",
    "in_bits",
    "a_entries",
    "b_entries",
    "max_k",
    "bus_bits",
    "burst_len",
    "dma_outstanding",
)
LAYER_FIELDS = ("h", "w", "c", "k_out", "r", "s", "stride", "pad", "groups")

#: candidates per (configuration, layer): up to six K-tile depths x two loop orders
N_CANDIDATES = 12
_TK_SLOTS = 6


def _candidates(limit: np.ndarray, Kg: np.ndarray, step: np.ndarray) -> np.ndarray:
    """K-tile depths of the mapper, ``(P, 6)`` int64, 0 where a slot is unused."""
    P = limit.shape[0]
    out = np.zeros((P, _TK_SLOTS), dtype=np.int64)
    fits = Kg <= limit
    count = fits.astype(np.int64)
    out[:, 0] = np.where(fits, Kg, 0)
    t = (limit // step) * step
    rows = np.arange(P)
    while True:
        live = (t >= step) & (count < _TK_SLOTS)
        if not live.any():
            break
        take = live & (t < Kg)
        idx = np.minimum(count, _TK_SLOTS - 1)
        out[rows[take], idx[take]] = t[take]
        count = count + take
        t = np.where(live, (t // 2 // step) * step, 0)
    return out


def _traffic(
    cfg: Mapping[str, np.ndarray], lay: Mapping[str, np.ndarray], tk: np.ndarray, nm: np.ndarray
) -> np.ndarray:
    """runtime.mapper.traffic_bytes, elementwise (exact integers)."""
    c1 = lambda a: np.asarray(a, dtype=np.int64)[:, None]  # noqa: E731
    R, C, eb = c1(cfg["rows"]), c1(cfg["cols"]), c1(cfg["eb"])
    M, Kg, Ng, G, k_out = (
        c1(lay["M"]),
        c1(lay["Kg"]),
        c1(lay["ng"]),
        c1(lay["groups"]),
        c1(lay["k_out"]),
    )
    mt, nt, kt = _cdiv(M, R), _cdiv(Ng, C), _cdiv(Kg, np.maximum(tk, 1))
    a_passes = np.where((kt == 1) & ~nm, 1, nt)
    b_passes = np.where((kt == 1) & nm, 1, mt)
    return G * (M * Kg * eb * a_passes + Kg * Ng * eb * b_passes) + M * k_out * eb


def _layer_arrays(lay: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Derived layer quantities (``ConvShape`` properties) from h, w, c, k_out, r, s,
    stride, pad, groups."""
    out = {k: np.asarray(v, dtype=np.int64) for k, v in lay.items()}
    out["out_h"] = (out["h"] + 2 * out["pad"] - out["r"]) // out["stride"] + 1
    out["out_w"] = (out["w"] + 2 * out["pad"] - out["s"]) // out["stride"] + 1
    out["cg"] = out["c"] // out["groups"]
    out["ng"] = out["k_out"] // out["groups"]
    out["M"] = out["out_h"] * out["out_w"]
    out["Kg"] = out["r"] * out["s"] * out["cg"]
    return out


def schedule(
    cfg: Mapping[str, Any],
    lay: Mapping[str, Any],
    latency: Any = 8,
    stall: Any = 0.0,
    *,
    mapper_latency: int = 8,
    events: bool = False,
    per_channel: Any = False,
) -> dict[str, np.ndarray]:
    """The mapper's choice and its cycles for arrays of (configuration, layer) points.

    Parameters
    ----------
    cfg : mapping of str to array of shape (P,) or scalar
        ``rows``, ``cols``, ``dataflow`` (``"os"``/``"ws"``), ``in_bits``, ``a_entries``,
        ``b_entries``, ``max_k``, ``bus_bits``, ``burst_len``, ``dma_outstanding`` (as
        :class:`~accelsmith.core.families.accel.AccelParams`).
    lay : mapping of str to array of shape (P,) or scalar
        ``h``, ``w``, ``c``, ``k_out``, ``r``, ``s``, ``stride``, ``pad``, ``groups`` (as
        :class:`~accelsmith.runtime.shapes.ConvShape`).
    latency, stall : array of shape (P,) or scalar
        DRAM latency (cycles) and back-pressure probability of the reported cycles.
    mapper_latency : int
        DRAM latency the choice is made at (:data:`accelsmith.runtime.mapper.MAPPER_LATENCY`,
        no back-pressure), so a layer's mapping does not depend on the memory it runs on.
    events : bool
        Also return the hardware event counts of the chosen commands
        (:mod:`accelsmith.runtime.events` keys ``rd_beats``, ``wr_beats``, ``a_writes``,
        ``b_writes``, ``a_reads``, ``b_reads``, ``acc_rmw``, ``acc_reads``; per-tensor
        output scale, so no scale loads). The compute and accumulator counts and the
        transposed (``os``) A writes are exact; the beat counts are the closed form's mean
        beats per row (exact when the rows' alignment phases cover whole periods; see the
        module docstring and ``tests/models/test_accel_energy_events.py`` for the bound).
        With ``per_channel``, also ``s_writes`` (scale-memory writes).
    per_channel : bool or array of shape (P,)
        Per-channel output scales (:class:`accelsmith.runtime.compiler.Quant` ``scales``):
        the compiler then loads each output tile's scales before its store (costed in
        ``cycles`` and the events, see :func:`_scale_loads`; the mapper's choice does not
        depend on it). False: one scale per tensor, no scale loads.

    Returns
    -------
    dict of str to array of shape (P,)
        ``tk``, ``nm`` (bool: loop order ``nm``), ``m_tiles``, ``n_tiles``, ``k_tiles``,
        ``dram_bytes`` (int64), ``mapper_cycles`` (the rounded cycles the choice was made
        on) and ``cycles`` (float64 at ``latency`` and ``stall``; rounded when ``stall`` is 0,
        like :func:`~accelsmith.runtime.timing.layer_cycles`).
    """
    la = _layer_arrays(lay)
    shape = np.broadcast_shapes(
        *(np.shape(v) for v in la.values()), *(np.shape(v) for v in cfg.values())
    )
    P = int(np.prod(shape)) if shape else 1
    la = {k: np.broadcast_to(v, shape).reshape(P) for k, v in la.items()}
    c = {k: np.broadcast_to(np.asarray(v), shape).reshape(P) for k, v in cfg.items()}
    ws = np.asarray(c["dataflow"]) == "ws"
    R = c["rows"].astype(np.int64)
    cf = {
        "rows": R,
        "cols": c["cols"].astype(np.int64),
        "ws": ws,
        "eb": c["in_bits"].astype(np.int64) // 8,
        "bus_bytes": c["bus_bits"].astype(np.int64) // 8,
        "burst_len": c["burst_len"].astype(np.int64),
        "outst": c["dma_outstanding"].astype(np.int64),
    }
    a_e, b_e, max_k = (c[k].astype(np.int64) for k in ("a_entries", "b_entries", "max_k"))
    st_b, ld_b = _column_phase_beats(cf, la)
    for j in (0, 1):
        cf[f"st_beats{j}"], cf[f"b_beats{j}"] = st_b[j], ld_b[j]
    limit = np.minimum(max_k, np.minimum(np.where(ws, (a_e // R) * R, a_e), b_e))
    step = np.where(ws, R, 1)
    tks = _candidates(limit, la["Kg"], step)  # (P, 6)
    tk = np.concatenate([tks, tks], axis=1)  # (P, 12): mn then nm
    nm = np.zeros(tk.shape, dtype=bool)
    nm[:, _TK_SLOTS:] = True
    valid = tk > 0
    traffic = np.where(valid, _traffic(cf, la, tk, nm), np.iinfo(np.int64).max)
    least = traffic.min(axis=1, keepdims=True)
    live = valid & (traffic == least)  # cycles only break ties of the traffic
    im = _im2col_unique(cf, la)
    # with several K tiles the loop order changes no cycle (every tile loads both operands):
    # the nm twin of an mn candidate takes its cycles
    twin = live & nm & (_cdiv(la["Kg"][:, None], np.maximum(tk, 1)) > 1)
    twin &= np.roll(live, _TK_SLOTS, axis=1)
    rows_, cols_ = np.nonzero(live & ~twin)
    sub = {k: v[rows_] for k, v in cf.items()}
    sub_la = {k: v[rows_] for k, v in la.items()}
    sub_im = {k: (v if k == "table" else v[rows_]) for k, v in im.items()}
    n_live = rows_.shape[0]
    cyc_live = _cycles(
        sub,
        sub_la,
        tk[rows_, cols_][:, None],
        nm[rows_, cols_][:, None],
        sub_im,
        np.full(n_live, mapper_latency),
        np.zeros(n_live),
    )[:, 0]
    cyc = np.full(tk.shape, np.inf)
    cyc[rows_, cols_] = np.round(cyc_live)
    cyc = np.where(twin, np.roll(cyc, _TK_SLOTS, axis=1), cyc)
    # lexicographic (cycles, -tk, order): the fewest cycles, then the deepest K tile, then mn
    tie = cyc == cyc.min(axis=1, keepdims=True)
    best_tk = np.where(tie, tk, -1).max(axis=1, keepdims=True)
    j = np.argmax(tie & (tk == best_tk), axis=1)  # mn slots come first
    idx = np.arange(P)
    tk_c, nm_c = tk[idx, j], nm[idx, j]
    lat = np.broadcast_to(np.asarray(latency, dtype=np.float64), shape).reshape(P)
    stall = np.broadcast_to(np.asarray(stall, dtype=np.float64), shape).reshape(P)
    wq = stall / (1.0 - stall)  # runtime.timing.wait, elementwise
    mapper_cycles = cyc[idx, j]
    ev: dict | None = {} if events else None
    pc = np.broadcast_to(np.asarray(per_channel, dtype=bool), shape).reshape(P)
    if np.all(lat == mapper_latency) and not np.any(stall) and not events and not pc.any():
        cycles = mapper_cycles.copy()
    else:
        cycles = _cycles(cf, la, tk_c[:, None], nm_c[:, None], im, lat, wq, ev, pc)[:, 0]
        cycles = np.where(stall == 0, np.round(cycles), cycles)
    return {
        "tk": tk_c,
        "nm": nm_c,
        "m_tiles": _cdiv(la["M"], R),
        "n_tiles": _cdiv(la["ng"], cf["cols"]),
        "k_tiles": _cdiv(la["Kg"], tk_c),
        "dram_bytes": traffic[idx, j],
        "mapper_cycles": mapper_cycles,
        "cycles": cycles.astype(np.float64),
        **{k: np.asarray(v, dtype=np.float64)[:, 0] for k, v in (ev or {}).items()},
    }


def simulated_cycles(
    p: Any, s: Any, mp: Any, latency: int = 8, stall: float = 0.0, per_channel: bool = False
) -> float:
    """The reference the closed form is checked against: every command of layer ``s`` under
    mapping ``mp`` simulated by :func:`accelsmith.runtime.timing.chunk_cycles` (what the
    RTL measures; :func:`~accelsmith.runtime.timing.layer_cycles` simulates only samples of
    large layers), per-tensor or (``per_channel``) per-channel output scales. Scalar and
    slow: tests and benchmarks only."""
    from .compiler import Quant, layer_commands
    from .timing import chunk_cycles

    q = Quant(scales=(1,) * s.k_out) if per_channel else Quant()
    cmds = layer_commands(
        p, s, mp, q, layer=0, in_base=0, w_base=0, sc_base=0, out_base=0, zero_base=0
    )
    # race=False: the back-pressure term without timing's E[max] race correction (this
    # closed form implements the mean waits only; with back-pressure the RTL runs
    # 0.5-3.8 % longer, see runtime.timing)
    return chunk_cycles(p, cmds, latency=latency, stall=stall, race=False)
