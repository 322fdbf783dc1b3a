"""The im2col A-load commands of convolutions in the ``accel`` closed form
(:mod:`accelsmith.runtime.closed_form`): histograms of their row counts per filter tap,
computed once per distinct (array rows, layer), and the issue-chain sums over them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .cf_commands import _cdiv, _qf


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
