"""Cycles and event counts of one ``accel`` schedule in closed form (the "Schedule",
"Commands" and "Back-pressure" parts of :mod:`accelsmith.runtime.closed_form`'s docstring):
stores, B loads and im2col A loads per output-tile class, the one- and several-K-tile
schedules, the per-channel scale loads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .cf_commands import (
    _burst_shapes,
    _cdiv,
    _command,
    _floor_sum,
    _gcd,
    _phase_beats,
    _row_beats,
    _row_crossings,
    _tile_cycles,
)
from .cf_im2col import _q_sum
from .timing import B_DELAY, READ_EXTRA  # the handshake delays of the cycle model


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
