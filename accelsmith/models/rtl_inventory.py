"""What each generator instantiates: flip-flops and datapath blocks, counted from its structure.

The 130 nm cost models (:mod:`accelsmith.models.calib`) cost a design as the sum of its
calibrated components, so they need the generator's inventory: how many flip-flops it keeps
after synthesis and how many processing elements (and of which kind) it places. The counts
below mirror the generators line by line (``hdl/systolic.py``, ``hdl/systolic_pe.py``,
``hdl/lut_core.py``, ...); where Yosys removes registers the RTL declares (constant or unused
bits, sign-extension bits merged into one flip-flop) the count follows what synthesis keeps,
with the reason next to the term. ``tests/synth/test_calibration.py`` checks the flip-flop
counts against synthesized netlists of small configurations.

Everything is vectorized: arguments are arrays (or scalars) that broadcast together.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..core.latency.lut_core import split_drain

__all__ = [
    "bits_for",
    "lut_core_inventory",
    "lut_drain_split_flops",
    "systolic_inventory",
    "ws_psum_bits",
]


def bits_for(n: ArrayLike) -> np.ndarray:
    """Bits of an unsigned signal holding ``0 .. n`` (Amaranth's ``bits_for``, at least 1)."""
    n = np.asarray(n, dtype=np.int64)
    return np.maximum(1, np.ceil(np.log2(np.maximum(n, 1) + 1.0)).astype(np.int64))


def _tri(n: np.ndarray) -> np.ndarray:
    return n * (n - 1) // 2


def ws_psum_bits(in_bits: ArrayLike, signed: ArrayLike, acc_bits: ArrayLike, n: ArrayLike):
    """Width of a ws partial sum of ``n`` products (``hdl.systolic_pe.ws_psum_shape`` for PE
    row ``n - 1``): the exact width of an ``n``-deep dot product, at most ``acc_bits``."""
    from .systolic_cost import exact_acc_bits_vec

    w, s, n = np.broadcast_arrays(np.asarray(in_bits), np.asarray(signed), np.asarray(n))
    return np.minimum(np.asarray(acc_bits, dtype=np.int64), exact_acc_bits_vec(w, s, n))


def systolic_inventory(
    rows: ArrayLike,
    cols: ArrayLike,
    in_bits: ArrayLike,
    acc_bits: ArrayLike,
    is_os: ArrayLike,
    max_k: ArrayLike,
    signed: ArrayLike,
) -> dict[str, np.ndarray]:
    """Flip-flops and PEs of :class:`accelsmith.hdl.systolic.SystolicArray`.

    Returns
    -------
    dict of int arrays
        ``flops`` (all flip-flops synthesis keeps), ``pe_flops`` (those inside the PEs),
        ``removed_pe_flops`` (PE registers synthesis removes: unused outputs at the array's
        edges, sign-extension bits), ``edge_pe_flops`` (those of them at the edges),
        ``skew_flops`` (input skew and result de-skew lines),
        ``kcnt_bits`` (the tile's beat counter),
        ``pes`` (``rows * cols``), ``drain_mux_bits`` (output-stationary drain multiplexer:
        ``cols`` columns of a ``rows``-to-1 choice of ``acc_bits``, as 2:1 mux bits),
        ``fold_adders`` (weight-stationary fold queue: one ``acc_bits`` adder per column) and
        ``zero_ps_adders`` (weight-stationary top PEs, whose partial-sum input is 0, so the
        PE's adder is removed: one per column).
    """
    r = np.asarray(rows, dtype=np.int64)
    c = np.asarray(cols, dtype=np.int64)
    w = np.asarray(in_bits, dtype=np.int64)
    a = np.asarray(acc_bits, dtype=np.int64)
    os_ = np.asarray(is_os, dtype=bool)
    kb = bits_for(np.asarray(max_k, dtype=np.int64) - 1)
    rb = bits_for(np.maximum(r, 2) - 1)  # Signal(range(max(rows, 2)))
    one_row = r == 1
    skew = w * (_tri(r) + _tri(c))  # askew_i (i stages) and bskew/wskew_j (j stages)
    deskew = a * _tri(c)  # column j's result waits cols - 1 - j stages (unused taps go)

    # ---- output-stationary (hdl/systolic.py _elaborate_os, _os_control, _output)
    os_top = (
        (r + c) * w  # stage-0 a0 / b0
        + 2  # v0, l0
        + 2 * (r + c - 2)  # vdiag, ldiag chains
        + (c - 1) * (1 + rb)  # tokv, toks chains
        + 2  # out_v, out_e
        + (kb + 1)  # kcnt
        + 3  # pending, pwait, dact
        + rb  # drow
        + 4  # inflight
        # one row: tok_s, drow and out_e are constants (row 0 is always the last): removed
        - np.where(one_row, (c - 1) * rb + 1 + rb, 0)
    )
    # PE: acc + shadow (acc_bits each), a_out and b_out (in_bits each); the bottom row's
    # b_out and the right column's a_out drive nothing and are removed
    os_pe = r * c * (2 * a + 2 * w) - c * w - r * w
    os_col = c * a + deskew  # the drain register rd, then the de-skew line

    # ---- weight-stationary (_elaborate_ws, _ws_loader, _ws_streamer, _WsSlots)
    nb = bits_for(r)  # slot n: Signal(range(rows + 1))
    ws_top = (
        6  # slot full/first/last x 2
        + 2 * nb  # slot n x 2
        + (kb + 1)  # w_rem
        + rb  # w_row
        + 2  # w_par, w_first
        + 1  # a_par
        + rb  # a_m
        + r * w  # stage-0 activations
        + 5  # par0, v0, first0, last0, end0
        + (2 + rb)  # wv0, wp0, wr0
        + c * w  # wd0 (weight rows)
        + (c - 1) * (2 + rb)  # wv, wp, wr chains
        + (r - 1)  # pdiag: row i's weight-select flag entering column 0
        + 4 * (r + c - 1)  # cv, cf, cl, ce
        + 2  # out_v, out_e
        + 4  # inflight
        # one row: w_row, a_m and the wr chain are constant 0, slot n constant 1: removed
        - np.where(one_row, rb * (2 + c) + 2 * nb, 0)
    )
    # PE i of a column: weights w0/w1 and the current weight wcur (the multiplier's operand,
    # loaded from w[sel_nx]), a_out (in_bits), sel_out (its own weight-select flag,
    # held on a zero activation, so no two are merged), ps_out: only as wide as a sum of
    # i + 1 products (hdl/systolic_pe.py ws_psum_shape), the rest of acc_bits is not there.
    # The right column's a_out and sel_out are removed.
    i = np.arange(int(np.max(r)) if r.size else 1)
    psum = ws_psum_bits(w[..., None], np.asarray(signed)[..., None], a[..., None], i + 1)
    ext = (a[..., None] - psum) * (i < r[..., None])
    ws_pe = r * c * (4 * w + a + 1) - r * (w + 1) - c * ext.sum(axis=-1)
    ws_col = c * r * a + c * a + deskew  # fold queue (rows sums), the sum register, de-skew

    pe_flops = np.where(os_, os_pe, ws_pe)
    flops = np.where(os_, os_top + os_pe + os_col, ws_top + ws_pe + ws_col) + skew
    zero = np.zeros_like(flops)
    nominal = r * c * np.where(os_, 2 * a + 2 * w, 4 * w + a + 1)
    return {
        "flops": flops,
        "pe_flops": pe_flops,
        "removed_pe_flops": nominal - pe_flops,
        "edge_pe_flops": np.where(os_, c * w + r * w, r * (w + 1)),
        "skew_flops": skew + deskew,
        "kcnt_bits": kb + 1,
        "pes": r * c,
        "drain_mux_bits": np.where(os_, c * (r - 1) * a, zero),
        "fold_adders": np.where(os_, zero, c),
        "zero_ps_adders": np.where(os_, zero, c),
    }


def lut_drain_split_flops(
    tile_m: ArrayLike, tile_n: ArrayLike, accw: ArrayLike, bias_correction: ArrayLike
) -> np.ndarray:
    """Flip-flops of the LUT core's split drain (:class:`accelsmith.hdl.lut_core.LutCore`
    of one column and two or more rows, :func:`~accelsmith.core.latency.lut_core.split_drain`;
    0 otherwise): its first stage's valid and last, per column the low difference's bits ``1..h``
    with their borrow and the high sum bits (``accw`` in all; ``accw`` = the accumulator
    with the bias bit), and with bias correction the high ``accw - accw // 2`` bits of the
    row's activation sum (checked against synthesized cores, tests/synth)."""
    tm = np.asarray(tile_m, dtype=np.int64)
    tn = np.asarray(tile_n, dtype=np.int64)
    w = np.asarray(accw, dtype=np.int64)
    bias = np.asarray(bias_correction, dtype=bool).astype(np.int64)
    return np.where(split_drain(tm, tn), 2 + tn * w + bias * (w - w // 2), 0)


def lut_core_inventory(
    weight_bits: ArrayLike,
    tile_m: ArrayLike,
    tile_n: ArrayLike,
    entry_bits: ArrayLike,
    table_entries: ArrayLike,
    acc_bits: ArrayLike,
    bias_correction: ArrayLike,
    max_k: ArrayLike,
) -> dict[str, np.ndarray]:
    """Flip-flops and datapath blocks of :class:`accelsmith.hdl.lut_core.LutCore`.

    Returns
    -------
    dict of int arrays
        ``flops`` (all flip-flops synthesis keeps), ``row_flops`` (those inside the
        ``tile_m`` rows: tables, bias sums, PEs) and ``pe_flops`` (inside the rows' PEs:
        lookup, accumulator and result registers).
    """
    b = np.asarray(weight_bits, dtype=np.int64)
    tm = np.asarray(tile_m, dtype=np.int64)
    tn = np.asarray(tile_n, dtype=np.int64)
    ew = np.asarray(entry_bits, dtype=np.int64)
    e = np.asarray(table_entries, dtype=np.int64)
    acc = np.asarray(acc_bits, dtype=np.int64)
    bias = np.asarray(bias_correction, dtype=bool).astype(np.int64)
    accw = acc + bias
    kb = bits_for(np.asarray(max_k, dtype=np.int64) - 1)
    pb = bits_for(np.maximum(b, 2) - 1)  # pl, p1: Signal(range(max(B, 2)))
    ctrl = (
        (kb + 1)  # krem
        + 2  # afirst, tv
        + 2 * pb  # pl, p1
        + 2  # tfirst, tlast
        + 3  # v1, f1, l1
        + bits_for(tm)  # drem
        + bits_for(np.maximum(tm, 2) - 1)  # drow
        + 2  # c.valid, c.last
        + tn * acc  # c.data
        + 4  # inflight
        - np.where(b == 1, 2 * pb, 0)  # one plane: pl and p1 are constant 0
        - np.where(tm == 1, 1, 0)  # one row: drow selects nothing
        + lut_drain_split_flops(tm, tn, accw, bias)
    )
    # every entry is a sum of K terms +-a_k: all share bit 0 (the parity of sum a_k), so
    # synthesis keeps one flip-flop for the table's bit 0
    table = e * ew - (e - 1)
    row = table + tn * (ew + 2 * accw) + bias * (ew + 2 * accw)  # PEs: lut, acc, res
    return {
        "flops": ctrl + tm * row,
        "row_flops": tm * row,
        "pe_flops": tm * tn * (ew + 2 * accw),
    }
