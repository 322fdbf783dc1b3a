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

Where this is an approximation (and why)
    The averages above replace per-row and per-tile values where they differ: rows of one
    command with unequal beats in the latency-bound regime, im2col commands of unequal
    length, and the pixel-tile share of the loads in the ``max(load, compute)`` overlap of
    multi-K-tile schedules. Small layers are checked against a full command-level simulation
    and large ones against :func:`~accelsmith.runtime.timing.layer_cycles` (which itself
    extrapolates from 3 and 6 simulated output tiles) in ``tests/models/test_accel_vec.py``;
    the bounds there are the stated accuracy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["N_CANDIDATES", "schedule"]

#: candidates per (configuration, layer): up to six K-tile depths x two loop orders
N_CANDIDATES = 12
_TK_SLOTS = 6
DEBUG: dict = {}
READ_EXTRA = 1  # runtime.timing.READ_EXTRA: AR -> first R beat on top of the DRAM latency
B_DELAY = 2  # runtime.timing.B_DELAY: last W beat -> write response


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


def _phase_beats(
    c0: Any, c1: Any, n: Any, nbytes: Any, row_stride: Any, B: Any
) -> np.ndarray:
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
    integers around a non-integer mean ``x``."""
    lo = np.floor(x + 1e-9)
    f = np.maximum(x - lo, 0.0)
    q_lo = np.maximum(lo - 1, 0) // o
    return q_lo + f * (np.maximum(lo, 0) // o - q_lo)


def _burst_shapes(
    beats: Any, cyc_row: Any, cross: Any, bl: Any, o: Any, lat: Any
) -> list[tuple[Any, Any, Any, Any]]:
    """Rows of ``beats`` beats (a mean over their alignments: the two integers around it,
    weighted), ``cyc_row`` cycles each (``None``: one per beat; else the elements of a
    transposed load), ``cross`` mean 4 KiB boundaries per row, bursts of at most ``bl``.

    Returns ``(weight, cycles per row, bursts per row, slope)`` per integer beat count:
    ``slope`` is what each ``o``-burst step of the issue chain adds over the data (a burst is
    issued when the one ``o`` before it is done, its data arrives ``lat`` later):
    ``max(0, lat + c_chain - o c)`` with ``c`` the mean cycles of a burst and ``c_chain``
    those of the bursts the chain lands on (a full burst when ``o`` and the bursts per row
    share a factor, so the chain keeps landing on the same position of a row).
    """
    lo = np.maximum(np.floor(beats + 1e-9), 1)
    f = np.clip(beats - lo, 0.0, 1.0)
    out = []
    for beta, w in ((lo, 1 - f), (lo + 1, f)):
        cyc = beta if cyc_row is None else cyc_row
        p_int = _cdiv(beta, bl)
        p = p_int + cross
        c = cyc / p
        c_full = cyc * np.minimum(bl, beta) / beta
        chain = np.where((p_int >= 2) & (np.gcd(o, p_int.astype(np.int64)) >= 2), c_full, c)
        out.append((w, cyc, p, np.maximum(0.0, lat + chain - o * c)))
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
        n = np.broadcast_to(x1 - x0, weight.shape)
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


def _q_sum(hist: np.ndarray, bursts_row: np.ndarray, o: np.ndarray) -> np.ndarray:
    """``sum_l hist[l] * floor((l * b - 1) / o)`` for commands of ``l`` rows of ``b`` bursts
    (``b`` a mean: interpolated between the integers around it); ``hist`` ``(P, Lmax)``,
    ``bursts_row`` and ``o`` ``(P, c)``."""
    lengths = np.arange(hist.shape[1], dtype=np.float64)
    b_lo = np.floor(bursts_row + 1e-9)
    f = bursts_row - b_lo
    out = 0.0
    for b, wgt in ((b_lo, 1 - f), (b_lo + 1, f)):
        nb = lengths[None, None, :] * b[..., None]
        q = np.maximum(nb - 1, 0) // o[..., None]
        out = out + wgt * np.einsum("pl,pcl->pc", hist, q)
    return out


def _cycles(
    cfg: Mapping[str, np.ndarray],
    lay: Mapping[str, np.ndarray],
    tk: np.ndarray,
    nm: np.ndarray,
    im: Mapping[str, Any],
    L: np.ndarray,
) -> np.ndarray:
    """Cycles of every candidate ``(tk, order)``; arrays of shape ``(P, c)``."""
    c1 = lambda a: np.asarray(a)[:, None]  # noqa: E731 - (P,) -> (P, 1)
    R, C, ws = c1(cfg["rows"]), c1(cfg["cols"]), c1(cfg["ws"])
    eb, B, bl, o = c1(cfg["eb"]), c1(cfg["bus_bytes"]), c1(cfg["burst_len"]), c1(cfg["outst"])
    L = c1(L).astype(np.float64)
    M, Kg, Ng, G = c1(lay["M"]), c1(lay["Kg"]), c1(lay["ng"]), c1(lay["groups"])
    k_out, cin, cg = c1(lay["k_out"]), c1(lay["c"]), c1(lay["cg"])
    taps = c1(lay["r"] * lay["s"])
    tk = np.maximum(tk, 1)
    mt, nt, kt = _cdiv(M, R), _cdiv(Ng, C), _cdiv(Kg, tk)
    T = G * mt * nt
    kl = Kg - (kt - 1) * tk
    mv_e, nv_e = M - (mt - 1) * R, Ng - (nt - 1) * C
    load_fixed, load_lat = 4 + L, L + READ_EXTRA
    store_fixed, store_lat = 4 + B_DELAY, 1 + B_DELAY

    # --- stores: one per output tile, rows mv, nv elements each, stride k_out
    h_st = _gcd(k_out * eb, C * eb, np.where(G > 1, Ng * eb, 0), B)
    h4_st = _gcd(k_out * eb, C * eb, np.where(G > 1, Ng * eb, 0), 4096)

    def store(mv: Any, nv: Any, first: Any, count: Any) -> np.ndarray:
        """Stores of the column tiles ``first .. first + count`` (grouped layers: the mean
        over the groups' phases)."""
        nbytes = nv * eb
        grouped = _row_beats(nbytes, h_st, B)
        one = _phase_beats(first * C * eb, C * eb, count, nbytes, k_out * eb, B)
        beats = np.where(G > 1, grouped, one)
        shapes = _burst_shapes(beats, None, _row_crossings(nbytes, h4_st), bl, o, store_lat)
        return _command(mv, shapes, store_fixed, o)

    # --- B loads: one per (column tile, K tile), rows k, nv elements each, stride Ng
    h_b = _gcd(Ng * eb, C * eb, B)
    h4_b = _gcd(Ng * eb, C * eb, 4096)

    def load_b(k: Any, nv: Any, first: Any, count: Any) -> np.ndarray:
        """B loads of the column tiles ``first .. first + count``."""
        nbytes = nv * eb
        beats = _phase_beats(first * C * eb, C * eb, count, nbytes, Ng * eb, B)
        shapes = _burst_shapes(beats, None, _row_crossings(nbytes, h4_b), bl, o, load_lat)
        return _command(k, shapes, load_fixed, o)

    # tile classes: (full, edge) rows x (full, edge) columns
    m_cnt = (mt - 1, 1)
    m_len = (R, mv_e)
    n_cnt = (nt - 1, 1)
    n_len = (C, nv_e)
    n_first = (0, nt - 1)
    stores = G * sum(
        m_cnt[i] * n_cnt[j] * store(m_len[i], n_len[j], n_first[j], n_cnt[j])
        for i in range(2)
        for j in range(2)
    )

    # --- A loads: one sweep = every pixel tile and K tile of one group
    # pieces: the K axis cut at tap boundaries (cg) and at K-tile (os) or rows (ws) multiples
    cut = np.where(ws, R, tk)
    lcm = cg // np.gcd(cg, cut) * cut
    pieces = 1 + (Kg - 1) // cg + (Kg - 1) // cut - (Kg - 1) // lcm
    elems = Kg / pieces  # mean elements per A row
    hist = im["hist"]
    cmds = pieces * hist.sum(axis=1)[:, None]
    rows = pieces * M
    fv = c1(im["valid"]) / M  # share of rows inside the input (the rest read the zero region)
    p_start = np.gcd(cg, cut)
    h_a = _gcd(cin * eb * c1(lay["stride"]), cin * eb, np.where(G > 1, cg * eb, 0), p_start * eb, B)
    h4_a = _gcd(cin * eb, np.where(G > 1, cg * eb, 0), p_start * eb, 4096)
    nbytes_a = elems * eb
    nb_lo = np.floor(nbytes_a + 1e-9).astype(np.int64)
    t = nbytes_a - nb_lo  # a mean between two byte counts: interpolate
    nb_lo = np.maximum(nb_lo, 1)

    def lerp(f: Any) -> Any:
        return (1 - t) * f(nb_lo) + t * f(nb_lo + 1)

    beats_v = lerp(lambda n: _row_beats(n, h_a, B))
    beats_z = lerp(lambda n: _cdiv(n, B))
    beats_a = fv * beats_v + (1 - fv) * beats_z
    cross_a = fv * lerp(lambda n: _row_crossings(n, h4_a))
    shapes = _burst_shapes(beats_a, None, cross_a, bl, o, load_lat)  # ws: a cycle per beat
    shapes_os = _burst_shapes(beats_a, elems, cross_a, bl, o, load_lat)  # os: per element
    sweep_a = cmds * load_fixed
    for (w, cyc, p, slope), (w2, cyc2, p2, slope2) in zip(shapes, shapes_os, strict=True):
        cyc_m = np.where(ws, cyc, cyc2)
        p_m = np.where(ws, p, p2)
        slope_m = np.where(ws, slope, slope2)
        q = pieces * _q_sum(hist, p_m, np.broadcast_to(o, p_m.shape))
        sweep_a = sweep_a + w * (rows * cyc_m + q * slope_m)

    tc_full = _tile_cycles(R, C, ws, tk) + 2
    tc_last = _tile_cycles(R, C, ws, kl) + 2

    # one K tile: loads + compute + store per tile, back to back
    a_sweeps = G * np.where(nm & (mt > 1), nt, 1)
    b_sweeps = G * np.where(~nm & (nt > 1), mt, 1)
    sweep_b = sum(n_cnt[j] * load_b(Kg, n_len[j], n_first[j], n_cnt[j]) for j in range(2))
    one = 1 + stores + a_sweeps * sweep_a + b_sweeps * sweep_b + T * tc_last

    # several K tiles: every (tile, K tile) loads A and B; loads of K tile j + 1 overlap the
    # compute of K tile j
    first = G * nt * sweep_a * (tk / Kg) + G * mt * sum(
        n_cnt[j] * load_b(tk, n_len[j], n_first[j], n_cnt[j]) for j in range(2)
    )
    over = 0.0
    for i in range(2):
        for j in range(2):
            cnt = G * m_cnt[i] * n_cnt[j]
            share = m_len[i] / M
            la_full = sweep_a * (tk / Kg) * share
            la_last = sweep_a * (kl / Kg) * share
            mid = np.maximum(1 + la_full + load_b(tk, n_len[j], n_first[j], n_cnt[j]), tc_full)
            last = np.maximum(1 + la_last + load_b(kl, n_len[j], n_first[j], n_cnt[j]), tc_full)
            over = over + cnt * (np.maximum(kt - 2, 0) * mid + last)
    several = 1 + stores + first + over + T * tc_last
    DEBUG.update(first=first, over=over, stores=stores, sweep_a=sweep_a, a_sweeps=a_sweeps, sweep_b=sweep_b, b_sweeps=b_sweeps, comp=T * tc_last, cmds=cmds, rows=rows, beats_a=beats_a, hist=hist)
    return np.where(kt == 1, one, several)


def _traffic(
    cfg: Mapping[str, np.ndarray], lay: Mapping[str, np.ndarray], tk: np.ndarray, nm: np.ndarray
) -> np.ndarray:
    """runtime.mapper.traffic_bytes, elementwise (exact integers)."""
    c1 = lambda a: np.asarray(a, dtype=np.int64)[:, None]  # noqa: E731
    R, C, eb = c1(cfg["rows"]), c1(cfg["cols"]), c1(cfg["eb"])
    M, Kg, Ng, G, k_out = c1(lay["M"]), c1(lay["Kg"]), c1(lay["ng"]), c1(lay["groups"]), c1(lay["k_out"])
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
    cfg: Mapping[str, Any], lay: Mapping[str, Any], latency: Any, *, mapper_latency: int = 8
) -> dict[str, np.ndarray]:
    """The mapper's choice and its cost for arrays of points.

    Parameters
    ----------
    cfg : mapping of str to array of shape (P,)
        ``rows``, ``cols``, ``dataflow`` (``"os"``/``"ws"`` or a bool ``ws``), ``in_bits``,
        ``a_entries``, ``b_entries``, ``max_k``, ``bus_bits``, ``burst_len``,
        ``dma_outstanding`` (as :class:`~accelsmith.core.families.accel.AccelParams`).
    lay : mapping of str to array of shape (P,)
        ``h``, ``w``, ``c``, ``k_out``, ``r``, ``s``, ``stride``, ``pad``, ``groups`` (as
        :class:`~accelsmith.runtime.shapes.ConvShape`).
    latency : array of shape (P,) or scalar
        DRAM latency (cycles) of the reported cycles.
    mapper_latency : int
        DRAM latency the choice is made at (:data:`accelsmith.runtime.mapper.MAPPER_LATENCY`).

    Returns
    -------
    dict of str to array of shape (P,)
        ``tk``, ``nm`` (bool: loop order ``nm``), ``m_tiles``, ``n_tiles``, ``k_tiles``,
        ``dram_bytes`` (int64) and ``cycles`` (float64, not rounded).
    """
    la = _layer_arrays(lay)
    P = la["M"].shape[0]
    c = {k: np.broadcast_to(np.asarray(v), (P,)) for k, v in cfg.items()}
    ws = c["ws"] if "ws" in c else (np.asarray(c["dataflow"]) == "ws")
    R = c["rows"].astype(np.int64)
    cf = {
        "rows": R,
        "cols": c["cols"].astype(np.int64),
        "ws": np.asarray(ws, dtype=bool),
        "eb": c["in_bits"].astype(np.int64) // 8,
        "bus_bytes": c["bus_bits"].astype(np.int64) // 8,
        "burst_len": c["burst_len"].astype(np.int64),
        "outst": c["dma_outstanding"].astype(np.int64),
    }
    a_e, b_e, max_k = (c[k].astype(np.int64) for k in ("a_entries", "b_entries", "max_k"))
    limit = np.where(cf["ws"], np.minimum(max_k, np.minimum((a_e // R) * R, b_e)), np.minimum(max_k, np.minimum(a_e, b_e)))
    step = np.where(cf["ws"], R, 1)
    tks = _candidates(limit, la["Kg"], step)  # (P, 6)
    tk = np.concatenate([tks, tks], axis=1)  # (P, 12): mn then nm
    nm = np.zeros(tk.shape, dtype=bool)
    nm[:, _TK_SLOTS:] = True
    valid = tk > 0
    im = _im2col(cf, la)
    traffic = _traffic(cf, la, tk, nm)
    big = np.iinfo(np.int64).max
    traffic = np.where(valid, traffic, big)
    least = traffic.min(axis=1, keepdims=True)
    cyc = _cycles(cf, la, tk, nm, im, np.full(P, mapper_latency))
    cyc = np.where(valid & (traffic == least), np.round(cyc), np.inf)
    # lexicographic (cycles, -tk, order): the fewest cycles, then the deepest K tile, then mn
    best_cyc = cyc.min(axis=1, keepdims=True)
    tie = cyc == best_cyc
    tk_tie = np.where(tie, tk, -1)
    best_tk = tk_tie.max(axis=1, keepdims=True)
    pick = tie & (tk == best_tk)
    j = np.argmax(pick, axis=1)  # mn slots come first
    rows_ = np.arange(P)
    tk_c, nm_c = tk[rows_, j], nm[rows_, j]
    lat = np.broadcast_to(np.asarray(latency, dtype=np.float64), (P,))
    if np.all(lat == mapper_latency):
        cycles = cyc[rows_, j]
    else:
        cycles = _cycles(cf, la, tk_c[:, None], nm_c[:, None], im, lat)[:, 0]
    M, Kg, Ng = la["M"], la["Kg"], la["ng"]
    return {
        "tk": tk_c,
        "nm": nm_c,
        "m_tiles": _cdiv(M, R),
        "n_tiles": _cdiv(Ng, cf["cols"]),
        "k_tiles": _cdiv(Kg, tk_c),
        "dram_bytes": traffic[rows_, j],
        "cycles": cycles.astype(np.float64),
    }
