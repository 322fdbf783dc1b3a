"""Vectorized mapper and cycle model of the ``accel`` family: arrays of (configuration, layer)
points in, the mapper's choice, its DRAM bytes and its cycles out, with no Python loop over
points (numpy over a flat point axis and a candidate axis of at most six K-tile depths x two
loop orders).

It computes what :func:`accelsmith.runtime.mapper.choose_mapping` and
:func:`accelsmith.runtime.timing.layer_cycles` compute command by command, in closed form:

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

from .timing import B_DELAY, READ_EXTRA  # the handshake delays of the cycle model

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


def _cdiv(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return -(-a // b)


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


def _tile_cycles(R: np.ndarray, C: np.ndarray, ws: np.ndarray, k: np.ndarray) -> np.ndarray:
    """runtime.timing.tile_cycles, elementwise."""
    os_c = k + R + C + 2
    ws_c = np.minimum(k, R) + _cdiv(k, R) * R + R + C + 2
    return np.where(ws, ws_c, os_c)


def _row_beats(nbytes: np.ndarray, h: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Mean beats of a row of ``nbytes`` whose start is uniform over the multiples of ``h``
    modulo the bus width ``B`` (``h`` divides ``B``): Hermite's identity gives
    ``1 + floor((nbytes - 1) / h) * h / B`` (``ceil(nbytes / B)`` when ``h = B``)."""
    return 1.0 + ((nbytes - 1) // h) * h / B


def _floor_sum(n: Any, m: Any, a: Any, b: Any) -> np.ndarray:
    """``sum_{i < n} floor((a i + b) / m)`` elementwise for ``n >= 0``, ``m >= 1``,
    ``a, b >= 0`` (the Euclid-like reduction: a few array passes)."""
    n, m, a, b = (np.array(np.broadcast_arrays(n, m, a, b)[k], dtype=np.int64) for k in range(4))
    ans = np.zeros(n.shape, dtype=np.int64)
    live = n > 0
    while live.any():
        qa = np.where(live, a // m, 0)
        ans += (n - 1) * n // 2 * qa
        a = np.where(live, a % m, a)
        qb = np.where(live, b // m, 0)
        ans += n * qb
        b = np.where(live, b % m, b)
        y = a * n + b
        live &= y >= m
        n, b, m, a = (
            np.where(live, y // m, n),
            np.where(live, y % m, b),
            np.where(live, a, m),
            np.where(live, m, a),
        )
    return ans


def _phase_beats(c0: Any, c1: Any, n: Any, nbytes: Any, row_stride: Any, B: Any) -> np.ndarray:
    """Mean beats of the rows of ``n`` commands starting at ``c0 + i c1`` (``i < n``), rows
    ``row_stride`` apart: per command the mean over a whole period of its row phases
    (Hermite, with the command's phase modulo ``h = gcd(row_stride, B)``), over the commands
    the exact mean of that phase term (two floor sums)."""
    h = np.gcd(np.asarray(row_stride, dtype=np.int64), np.asarray(B, dtype=np.int64))
    x = np.asarray(nbytes, dtype=np.int64) - 1
    n = np.maximum(np.asarray(n, dtype=np.int64), 1)
    c0 = np.asarray(c0, dtype=np.int64) % h
    c1 = np.asarray(c1, dtype=np.int64) % h
    s = _floor_sum(n, h, c1, c0 + x) - _floor_sum(n, h, c1, c0)
    return 1.0 + s / n * h / B


def _row_crossings(nbytes: np.ndarray, h4: np.ndarray) -> np.ndarray:
    """Mean 4 KiB boundaries inside a row (start uniform over the multiples of ``h4``)."""
    return ((nbytes - 1) // h4) * h4 / 4096.0


def _qf(x: Any, o: Any) -> np.ndarray:
    """``floor((x - 1) / o)`` for ``x`` bursts of a command, interpolated between the
    integers around a non-integer mean ``x`` (true division then floor: exact for integers,
    faster than a float floor division)."""
    lo = np.floor(x + 1e-9)
    f = np.maximum(x - lo, 0.0)
    q_lo = np.floor(np.maximum(lo - 1, 0) / o)
    return q_lo + f * (np.floor(np.maximum(lo, 0) / o) - q_lo)


def _burst_shapes(
    beats: Any, cyc_row: Any, cross: Any, bl: Any, o: Any, lat: Any, wq: Any, within: Any
) -> list[tuple[Any, Any, Any, Any]]:
    """Rows of ``beats`` beats (a mean over their alignments), ``cyc_row`` cycles each
    (``None``: one per beat; else the elements of a transposed load), ``cross`` mean 4 KiB
    boundaries per row, bursts of at most ``bl``; ``wq`` the expected back-pressure wait of
    every beat (:func:`accelsmith.runtime.timing.wait`).

    Returns ``(weight, cycles per row, bursts per row, slope)`` per kind of command:
    ``slope`` is what each ``o``-burst step of the issue chain adds over the data (a burst is
    issued when the one ``o`` before it is done, its data arrives ``lat`` later):
    ``max(0, lat + c_chain - o c)`` with ``c`` the mean cycles of a burst and ``c_chain``
    those of the bursts the chain lands on (a full burst when ``o`` and the bursts per row
    share a factor, so the chain keeps landing on the same position of a row). When the
    alignment changes from row to row of a command (``within``), every command mixes the
    beat counts: one kind with the mean bursts; else commands have one beat count or the
    other (two kinds, weighted).
    """
    lo = np.maximum(np.floor(beats + 1e-9), 1)
    f = np.clip(beats - lo, 0.0, 1.0)
    kinds = []
    for beta, w in ((lo, 1 - f), (lo + 1, f)):
        cyc = (beta if cyc_row is None else cyc_row) + beta * wq
        p_int = _cdiv(beta, bl)
        p = p_int + cross
        c_full = cyc * np.minimum(bl, beta) / beta
        share = (p_int >= 2) & (np.gcd(o, p_int.astype(np.int64)) >= 2)
        kinds.append((w, cyc, p, np.where(share, c_full, cyc / p)))
    (w0, cyc0, p0, ch0), (w1, cyc1, p1, ch1) = kinds
    mean = [w0 * cyc0 + w1 * cyc1, w0 * p0 + w1 * p1, w0 * ch0 + w1 * ch1]
    out = []
    for w, cyc, p, chain in kinds:
        if within is not False:
            w = np.where(within, 1.0 if w is w0 else 0.0, w)
            cyc, p, chain = (
                np.where(within, m, v) for m, v in zip(mean, (cyc, p, chain), strict=True)
            )
        out.append((w, cyc, p, np.maximum(0.0, lat + chain - o * cyc / p)))
    return out


def _command(rows: Any, shapes: list, fixed: Any, o: Any) -> np.ndarray:
    """Duration of one command of ``rows`` rows (see :func:`_burst_shapes`)."""
    return fixed + sum(w * (rows * cyc + _qf(rows * p, o) * slope) for w, cyc, p, slope in shapes)


def _gcd(*xs: Any) -> np.ndarray:
    out = np.asarray(xs[0], dtype=np.int64)
    for x in xs[1:]:
        out = np.gcd(out, np.asarray(x, dtype=np.int64))
    return out


def _im2col(cfg: Mapping[str, np.ndarray], lay: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """The im2col A-load commands of one piece (a K range inside one filter tap) over every
    pixel tile, as a histogram of their row counts, averaged over the ``r s`` taps.

    A pixel tile's A load issues one command per output-row segment of the tile and per
    valid/padding run of the segment (:func:`accelsmith.runtime.compiler._pixel_runs`): the
    commands are the pieces of each output row cut at the tile boundaries (multiples of
    ``rows`` in pixel order) and, for a row inside the input, at the tap's first and last
    valid columns. A row's tile cuts depend only on its offset ``(oy * out_w) % rows``, which
    repeats every ``rows / gcd(out_w, rows)`` rows: the rows of one offset are enumerated
    once, weighted by their count (exact); the rows inside the input for a tap row ``dy`` are
    a contiguous range, taken with the overall offset distribution (exact when
    ``pad == 0``).

    Returns ``hist`` (``(P, Lmax)``: mean commands per tap of each row count), ``valid``
    (mean pixels per tap inside the input).
    """
    R = cfg["rows"]
    OH, OW, h, w = lay["out_h"], lay["out_w"], lay["h"], lay["w"]
    r, s, st, pad = lay["r"], lay["s"], lay["stride"], lay["pad"]
    P = R.shape[0]
    per = R // np.gcd(OW, R)
    J = int(per.max())
    Lmax = int(R.max()) + 1
    j = np.arange(J)[None, :]
    a = (j * OW[:, None]) % R[:, None]  # (P, J): offset of the row's first pixel in its tile
    wj = np.where(j < per[:, None], OH[:, None] // per[:, None] + (j < (OH % per)[:, None]), 0)
    Rc = R[:, None]
    base = (np.arange(P) * Lmax)[:, None]
    idx: list[np.ndarray] = []
    wts: list[np.ndarray] = []

    def add(x0: Any, x1: Any, weight: np.ndarray) -> None:
        """The tile-cut pieces of columns ``x0 .. x1`` of rows of every offset."""
        n = np.broadcast_to(np.maximum(x1 - x0, 0), weight.shape)
        off = (a + x0) % Rc
        first = np.minimum(n, Rc - off)
        rest = n - first
        for length, count in (
            (first, (n > 0) * 1.0),
            (np.broadcast_to(Rc, weight.shape), rest // Rc * 1.0),
            (rest % Rc, (rest % Rc > 0) * 1.0),
        ):
            idx.append((base + np.minimum(length, Lmax - 1)).ravel())
            wts.append((weight * count).ravel())

    vrows = np.zeros(P, dtype=np.float64)
    for d in range(int(r.max())):
        lo = np.maximum(0, _cdiv(pad - d, st))
        hi = np.minimum(OH - 1, (h - 1 + pad - d) // st)
        vrows += np.where(d < r, np.maximum(0, hi - lo + 1), 0)
    taps = (r * s).astype(np.float64)
    fr = (vrows / OH / taps)[:, None]  # valid rows per tap row, over all taps, per row
    vcols = np.zeros(P, dtype=np.float64)
    full_rows = np.zeros(P, dtype=np.float64)  # tap columns whose valid rows are one run
    for d in range(int(s.max())):
        on = d < s
        vL = np.minimum(np.maximum(0, _cdiv(pad - d, st)), OW)
        vH = np.minimum(OW, (w - 1 + pad - d) // st + 1)
        vc = np.maximum(0, vH - vL)
        vcols += np.where(on, vc, 0)
        split = on & (vc > 0)
        full_rows += on & (vc == 0)
        wv = wj * (fr * split[:, None])
        vl, vh = vL[:, None], vH[:, None]
        add(0, vl, wv)
        add(vl, vh, wv)
        add(vh, OW[:, None], wv)
    # rows outside the input (every tap) and the rows of all-padding tap columns: one run
    inv = (r * OH - vrows) * s / OH / taps
    add(0, OW[:, None], wj * (inv + full_rows * vrows / OH / taps)[:, None])
    hist = np.bincount(
        np.concatenate(idx), weights=np.concatenate(wts), minlength=P * Lmax
    ).reshape(P, Lmax)
    hist[:, 0] = 0.0
    return {"hist": hist, "valid": vrows * vcols / taps}


def _q_sum(hist: Mapping[str, Any], uidx: np.ndarray, bursts_row: Any, o: Any, w: Any) -> Any:
    """``sum_l count_l * floor((l b - 1) / o)`` for commands of ``l`` rows of ``b`` bursts
    each (:func:`_qf`: a non-integer ``l b`` interpolated), for the points whose weight ``w``
    is not 0 (0 elsewhere). ``hist``: the :func:`_sparse` table of :func:`_im2col_unique`,
    ``uidx`` each point's row in it; ``bursts_row``, ``o``, ``w`` ``(P, 1)``. Points with
    few distinct lengths (most) are summed over their first 8 only."""
    lengths, counts, few = hist["lengths"], hist["counts"], hist["few"]
    n = uidx.shape[0]
    b, oo, ww = (np.broadcast_to(x, (n, 1))[:, 0] for x in (bursts_row, o, w))
    need = ww != 0
    out = np.zeros(b.shape)
    f = few[uidx]
    for sel, k in ((need & f, 8), (need & ~f, counts.shape[1])):
        idx = np.nonzero(sel)[0]
        if idx.size:
            u = uidx[idx]
            q = _qf(lengths[u, :k] * b[idx, None], oo[idx, None])
            out[idx] = np.einsum("pk,pk->p", counts[u, :k], q)
    return out[:, None]


def _sparse(hist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A ``(P, Lmax)`` histogram as its nonzero ``(lengths, counts)``, ``(P, K)`` each with
    ``K`` the most nonzero entries of a row (zero counts pad the rest)."""
    nz = hist > 0
    K = max(int(nz.sum(axis=1).max()), 1)
    order = np.argsort(~nz, axis=1, kind="stable")[:, :K]
    return order.astype(np.float64), np.take_along_axis(hist, order, axis=1)


def _im2col_unique(cfg: Mapping[str, np.ndarray], lay: Mapping[str, np.ndarray]) -> dict:
    """:func:`_im2col` computed once per distinct (rows, layer): ``table`` (the histogram in
    :func:`_sparse` form, ``few``: at most 8 lengths) and per point ``uidx`` (its row),
    ``valid``, ``cmds``."""
    keys = ("out_h", "out_w", "h", "w", "r", "s", "stride", "pad")
    stack = np.stack([cfg["rows"], *(lay[k] for k in keys)], axis=1)
    span = stack.max(axis=0).astype(np.float64) + 1
    if stack.min() >= 0 and np.prod(span) < 2.0**62:  # one int64 key per row: a 1-D sort
        radix = np.cumprod(np.concatenate([[1], span[:-1]])).astype(np.int64)
        _, first, inv = np.unique(stack @ radix, return_index=True, return_inverse=True)
        uniq = stack[first]
    else:
        uniq, inv = np.unique(stack, axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    u_cfg = {"rows": uniq[:, 0]}
    u_lay = {k: uniq[:, i + 1] for i, k in enumerate(keys)}
    im = _im2col(u_cfg, u_lay)
    lengths, counts = _sparse(im["hist"])
    few = (counts[:, 8:] == 0).all(axis=1)
    if lengths.shape[1] < 8:
        pad = 8 - lengths.shape[1]
        lengths = np.pad(lengths, ((0, 0), (0, pad)))
        counts = np.pad(counts, ((0, 0), (0, pad)))
    return {
        "table": {"lengths": lengths, "counts": counts, "few": few},
        "uidx": inv,
        "valid": im["valid"][inv],
        "cmds": im["hist"].sum(axis=1)[inv],
    }


def _column_phase_beats(cf: Mapping[str, np.ndarray], la: Mapping[str, np.ndarray]) -> tuple:
    """Per point and column class (full, edge): the mean beats of a store row and of a B-load
    row (:func:`_phase_beats`; they depend on the point only, not on the candidate)."""
    C, eb, B = cf["cols"], cf["eb"], cf["bus_bytes"]
    Ng, k_out = la["ng"], la["k_out"]
    nt = _cdiv(Ng, C)
    cnt, first, nv = (nt - 1, 1), (0, nt - 1), (C, Ng - (nt - 1) * C)
    store = [
        _phase_beats(first[j] * C * eb, C * eb, cnt[j], nv[j] * eb, k_out * eb, B) for j in (0, 1)
    ]
    load = [_phase_beats(first[j] * C * eb, C * eb, cnt[j], nv[j] * eb, Ng * eb, B) for j in (0, 1)]
    return store, load


def _cycles(
    cfg: Mapping[str, np.ndarray],
    lay: Mapping[str, np.ndarray],
    tk: np.ndarray,
    nm: np.ndarray,
    im: Mapping[str, Any],
    L: np.ndarray,
    wq: np.ndarray,
    ev: dict | None = None,
    pc: np.ndarray | None = None,
) -> np.ndarray:
    """Cycles of every candidate ``(tk, order)``; arrays of shape ``(P, c)`` (``L`` the DRAM
    latency, ``wq`` the expected wait of a handshake under back-pressure, per point). With a
    dict ``ev``, also fills it with the event counts of the commands (see :func:`schedule`);
    ``pc`` (bool, per point): per-channel output scales (:func:`_scale_loads`)."""
    c1 = lambda a: np.asarray(a)[:, None]  # noqa: E731 - (P,) -> (P, 1)
    R, C, ws = c1(cfg["rows"]), c1(cfg["cols"]), c1(cfg["ws"])
    eb, B, bl, o = c1(cfg["eb"]), c1(cfg["bus_bytes"]), c1(cfg["burst_len"]), c1(cfg["outst"])
    L = c1(L).astype(np.float64)
    wq = c1(wq).astype(np.float64)
    M, Kg, Ng, G = c1(lay["M"]), c1(lay["Kg"]), c1(lay["ng"]), c1(lay["groups"])
    k_out, cin, cg = c1(lay["k_out"]), c1(lay["c"]), c1(lay["cg"])
    tk = np.maximum(tk, 1)
    mt, nt, kt = _cdiv(M, R), _cdiv(Ng, C), _cdiv(Kg, tk)
    T = G * mt * nt
    kl = Kg - (kt - 1) * tk
    mv_e, nv_e = M - (mt - 1) * R, Ng - (nt - 1) * C
    # back-pressure (runtime.timing): an AR waits wq, so a load starts wq later and every
    # issue chain step is wq longer; a store's AW and B wait wq each
    load_fixed, load_lat = 4 + L + wq, L + READ_EXTRA + wq
    store_fixed, store_lat = 4 + B_DELAY + 2 * wq, 1 + B_DELAY + 2 * wq

    # --- stores: one per output tile, rows mv, nv elements each, stride k_out
    h_st = _gcd(k_out * eb, C * eb, np.where(G > 1, Ng * eb, 0), B)
    h4_st = _gcd(k_out * eb, C * eb, np.where(G > 1, Ng * eb, 0), 4096)

    # tile classes: (full, edge) rows x (full, edge) columns
    m_cnt = (mt - 1, 1)
    m_len = (R, mv_e)
    n_cnt = (nt - 1, 1)
    n_len = (C, nv_e)

    # --- stores: one per output tile, rows mv, nv elements each, stride k_out
    h_st = _gcd(k_out * eb, C * eb, np.where(G > 1, Ng * eb, 0), B)
    h4_st = _gcd(k_out * eb, C * eb, np.where(G > 1, Ng * eb, 0), 4096)
    # --- B loads: one per (column tile, K tile), rows k, nv elements each, stride Ng
    h4_b = _gcd(Ng * eb, C * eb, 4096)
    st_shapes, b_shapes = [], []
    st_rows, b_rows = [], []  # mean beats of a store row / B-load row per column class
    for j in range(2):  # per column class: the bursts of its rows (stores, B loads)
        nbytes = n_len[j] * eb
        # grouped layers: the mean over the groups' phases
        grouped = _row_beats(nbytes, h_st, B)
        one = c1(cfg[f"st_beats{j}"])
        st_rows.append(np.where(G > 1, grouped, one))
        st_shapes.append(
            _burst_shapes(
                st_rows[j],
                None,
                _row_crossings(nbytes, h4_st),
                bl,
                o,
                store_lat,
                wq,
                (k_out * eb) % B != 0,
            )
        )
        beats = c1(cfg[f"b_beats{j}"])
        b_rows.append(beats)
        b_shapes.append(
            _burst_shapes(
                beats, None, _row_crossings(nbytes, h4_b), bl, o, load_lat, wq, (Ng * eb) % B != 0
            )
        )

    def store(mv: Any, j: int) -> np.ndarray:
        return _command(mv, st_shapes[j], store_fixed, o)

    lb_memo: dict[tuple[int, int], np.ndarray] = {}

    def load_b(k: Any, j: int) -> np.ndarray:
        key = (id(k), j)
        if key not in lb_memo:
            lb_memo[key] = _command(k, b_shapes[j], load_fixed, o)
        return lb_memo[key]

    stores = G * sum(m_cnt[i] * n_cnt[j] * store(m_len[i], j) for i in range(2) for j in range(2))

    # --- A loads: one sweep = every pixel tile and K tile of one group
    # pieces: the K axis cut at tap boundaries (cg) and at K-tile (os) or rows (ws) multiples
    cut = np.where(ws, R, tk)
    lcm = cg // np.gcd(cg, cut) * cut
    pieces = 1 + (Kg - 1) // cg + (Kg - 1) // cut - (Kg - 1) // lcm
    elems = Kg / pieces  # mean elements per A row
    hist, uidx = im["table"], im["uidx"]
    cmds = pieces * c1(im["cmds"])
    rows = pieces * M
    fv = c1(im["valid"]) / M  # share of rows inside the input (the rest read the zero region)
    p_start = np.gcd(cg, cut)
    h4_a = _gcd(cin * eb, np.where(G > 1, cg * eb, 0), p_start * eb, 4096)
    nbytes_a = elems * eb
    nb_lo = np.floor(nbytes_a + 1e-9).astype(np.int64)
    t = nbytes_a - nb_lo  # a mean between two byte counts: interpolate
    nb_lo = np.maximum(nb_lo, 1)

    def lerp(f: Any) -> Any:
        return (1 - t) * f(nb_lo) + t * f(nb_lo + 1)

    # rows inside the input: a pixel's channel record starts at a multiple of hp modulo the
    # bus (uniform over those), so a bus boundary falls at a multiple of hp inside the record
    # with probability hp / B; a row gets one beat more per such point strictly inside it.
    # Over the pieces of a tap, those points are the ones inside the group's channel range
    # (mean over the groups: floor sums) less the cuts between pieces that land on them
    hp = np.gcd(cin * eb, B)
    Gi = np.broadcast_to(G, hp.shape)
    span = cg * eb
    inside = (
        _floor_sum(Gi, hp, np.broadcast_to(span, hp.shape), span - 1)
        - _floor_sum(Gi, hp, np.broadcast_to(span, hp.shape), 0)
    ) / Gi
    # cuts j * cut (1 <= j <= J) inside taps whose byte offset in the record is a multiple of
    # hp: when hq = hp / gcd(eb, hp) divides cg that is j * cut = 0 (mod hq) (exact count);
    # else the share of offsets that qualify, taken as uniform
    taps = Kg // cg
    J = (Kg - 1) // cut
    hq = hp // np.gcd(eb, hp)
    exact_on = J // (hq // np.gcd(cut, hq)) - J // lcm
    uniform_on = (pieces - taps) * _gcd(cut * eb, span, hp) / hp
    cut_on = np.where(cg % hq == 0, exact_on, uniform_on)
    beats_v = 1 + hp / B * np.maximum(taps * inside - cut_on, 0) / pieces
    beats_z = lerp(lambda n: _cdiv(n, B))
    beats_a = fv * beats_v + (1 - fv) * beats_z
    cross_a = fv * lerp(lambda n: _row_crossings(n, h4_a))
    within_a = (c1(lay["stride"]) * cin * eb) % B != 0  # pixels of a row: other phases
    shapes = _burst_shapes(beats_a, None, cross_a, bl, o, load_lat, wq, within_a)  # ws: per beat
    shapes_os = _burst_shapes(beats_a, elems, cross_a, bl, o, load_lat, wq, within_a)  # os
    per_cmd = cmds * load_fixed  # the part that goes with the commands (pieces)
    per_row = 0.0  # the part that goes with the elements
    for (w, cyc, p, slope), (_, cyc2, p2, slope2) in zip(shapes, shapes_os, strict=True):
        cyc_m = np.where(ws, cyc, cyc2)
        p_m = np.where(ws, p, p2)
        slope_m = np.where(ws, slope, slope2)
        q = pieces * _q_sum(hist, uidx, p_m, o, w)
        per_cmd = per_cmd + w * q * slope_m
        per_row = per_row + w * rows * cyc_m
    sweep_a = per_cmd + per_row

    tc_full = _tile_cycles(R, C, ws, tk) + 2
    tc_last = _tile_cycles(R, C, ws, kl) + 2

    # one K tile: loads + compute + store per tile, back to back
    a_sweeps = G * np.where(nm & (mt > 1), nt, 1)
    b_sweeps = G * np.where(~nm & (nt > 1), mt, 1)
    sweep_b = sum(n_cnt[j] * load_b(Kg, j) for j in range(2))
    one = 1 + stores + a_sweeps * sweep_a + b_sweeps * sweep_b + T * tc_last

    # several K tiles: every (tile, K tile) loads A and B; loads of K tile j + 1 overlap the
    # compute of K tile j. A K tile's A load: its pieces' share of the per-command part (the
    # last K tile's pieces counted exactly, the others' mean) and its elements' share of the
    # rest; a pixel tile's share of the sweep is its share of the pixels
    k0_last = Kg - kl
    p_last = (
        1
        + (Kg - 1) // cg
        - k0_last // cg
        + (Kg - 1) // cut
        - k0_last // cut
        - ((Kg - 1) // lcm - k0_last // lcm)
    )
    p_full = (pieces - p_last) / np.maximum(kt - 1, 1)
    a_full = per_cmd * p_full / pieces + per_row * tk / Kg
    a_last = per_cmd * p_last / pieces + per_row * kl / Kg
    first = G * nt * a_full + G * mt * sum(n_cnt[j] * load_b(tk, j) for j in range(2))
    over = 0.0
    for i in range(2):
        for j in range(2):
            cnt = G * m_cnt[i] * n_cnt[j]
            share = m_len[i] / M
            mid = np.maximum(1 + a_full * share + load_b(tk, j), tc_full)
            last = np.maximum(1 + a_last * share + load_b(kl, j), tc_full)
            over = over + cnt * (np.maximum(kt - 2, 0) * mid + last)
    several = 1 + stores + first + over + T * tc_last
    sc_cycles, sc_beats = 0.0, 0.0
    if pc is not None and np.any(pc):
        pcb = c1(pc)
        extra, beats_sc = _scale_loads(
            C, B, bl, o, G, Ng, mt, nt, nm, n_cnt, n_len, tc_last, load_fixed, load_lat, wq
        )
        sc_cycles, sc_beats = np.where(pcb, extra, 0.0), np.where(pcb, beats_sc, 0.0)
    if ev is not None:
        # event counts (runtime.events) of the chosen commands: with one K tile the
        # operands are loaded once per sweep (reuse), with several on every (tile, K tile)
        a_sw = np.where(kt == 1, a_sweeps, G * nt)
        b_sw = np.where(kt == 1, b_sweeps, G * mt)
        rd_a = a_sw * rows * beats_a
        rd_b = b_sw * Kg * sum(n_cnt[j] * b_rows[j] for j in range(2))
        blocks = np.where(ws, (kt - 1) * _cdiv(tk, R) * R + _cdiv(kl, R) * R, Kg)
        ev.update(
            rd_beats=rd_a + rd_b + sc_beats,
            wr_beats=G * M * sum(n_cnt[j] * st_rows[j] for j in range(2)),
            # ws A loads write one entry per beat, os A loads are transposed (one per element)
            a_writes=np.where(ws, rd_a, a_sw * M * Kg),
            b_writes=rd_b,
            s_writes=sc_beats + np.zeros(np.shape(rd_b)),
            a_reads=T * blocks,
            b_reads=T * Kg,
            acc_rmw=T * kt * R,
            acc_reads=G * nt * M,
        )
    return np.where(kt == 1, one, several) + sc_cycles


def _scale_loads(
    C: Any,
    B: Any,
    bl: Any,
    o: Any,
    G: Any,
    Ng: Any,
    mt: Any,
    nt: Any,
    nm: Any,
    n_cnt: tuple,
    n_len: tuple,
    tc_last: Any,
    load_fixed: Any,
    load_lat: Any,
    wq: Any,
) -> tuple[Any, Any]:
    """Extra cycles and read beats of the per-channel scale loads
    (:func:`accelsmith.runtime.compiler._tile_commands`): one single-row load of the output
    tile's ``nv`` 16-bit scales (``2 nv`` bytes from ``(g Ng + n0) * 2`` past the 64-byte
    aligned scale region) whenever the output tile's (group, column tile) changes: every tile
    in ``mn`` order with several column tiles, else the first tile of each column tile.

    It is dispatched the cycle after the tile's last compute (the DMA unit is free: the
    compute waited for its operands' loads) and the store waits for it and for that compute,
    so such a tile's last compute + store gap ``tc_last`` becomes ``max(tc_last, 1 + load)``.
    Beats per load: the exact mean over the start phases (:func:`_phase_beats`) of the full
    column tiles of one group and of every group's edge column tile; the full column tiles of
    grouped layers take their phases uniform over ``gcd(2 Ng, 2 C, B)`` (:func:`_row_beats`,
    as the stores)."""
    every = ~nm & (nt > 1)
    h = _gcd(2 * C, np.where(G > 1, 2 * Ng, 0), B)
    h4 = _gcd(2 * C, np.where(G > 1, 2 * Ng, 0), 4096)
    first, cnt = (0, nt - 1), (nt - 1, 1)
    extra, beats = 0.0, 0.0
    for j in range(2):
        nbytes = 2 * n_len[j]
        if j == 0:  # full column tiles of one group: their phases exactly; groups: uniform
            one = _phase_beats(0, 2 * C, cnt[0], nbytes, B, B)
            bt = np.where(G > 1, _row_beats(nbytes, h, B), one)
        else:  # the edge column tile of every group: exactly
            bt = _phase_beats(first[1] * 2 * C, 2 * Ng, G, nbytes, B, B)
        shapes = _burst_shapes(bt, None, _row_crossings(nbytes, h4), bl, o, load_lat, wq, False)
        load = _command(1, shapes, load_fixed, o)
        loads = G * n_cnt[j] * np.where(every, mt, 1)
        extra = extra + loads * (np.maximum(tc_last, 1 + load) - tc_last)
        beats = beats + loads * bt
    return extra, beats


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
