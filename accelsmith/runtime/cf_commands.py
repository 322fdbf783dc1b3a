"""Command-level formulas of the ``accel`` closed form (:mod:`accelsmith.runtime.closed_form`):
a command's bursts and beats from its rows' alignment (Hermite's identity, floor sums over the
start phases) and its duration from the burst recurrence of
:mod:`accelsmith.runtime.timing` (see the closed form's module docstring, "Commands"),
elementwise over arrays of points."""

from __future__ import annotations

from typing import Any

import numpy as np


def _cdiv(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return -(-a // b)


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
