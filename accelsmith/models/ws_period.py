"""130 nm clock period of a weight-stationary systolic array: its two register paths in context.

A WS array (``hdl/systolic.py``, ``hdl/systolic_pe.py``) has two kinds of register-to-register
path that set its clock: each PE's multiply-add into its partial sum (``ps_out``), and each
column's fold queue (``WsCol``: the queued sum, or 0 on a tile's first fold, plus the bottom
PE's partial sum, an ``acc_bits`` adder, into ``q`` and ``sum``). The calibration records
both apart for every WS context array (``accelsmith.synth.calibrate._split``: ``pe_ns`` and
``fold_ns`` of the ``sactx*_ws_*`` samples), so each is priced from its own path in context:

- the PE path: :func:`accelsmith.models.calib.ws_pe_period_ns` (the contexts' ``pe_ns``
  levels, interpolated in log(PEs));
- the fold path: :func:`fold_period_ns`, a power law in the bottom PE's partial-sum width and
  the number of fold queues (columns) fitted to the contexts' ``fold_ns`` (least squares in
  logs over every WS context sample, both signs);
- the clock: :func:`expected_max_ns`, the expected larger of the two.

Why an expected maximum: ABC maps the same logic differently with the order in which the
netlist reaches it (``accelsmith.synth.perturb``), and below its delay target (``-D 5000``,
``synth/asic.py``) it recovers area on every path that meets it, so a small array's PE and fold
paths each land a few per cent either side of a centre from one equivalent netlist to the next
(session 8: six orderings of one 2 x 1 array, 234-283 MHz). The synthesized period is the
larger of two such draws, which on average exceeds the larger centre where the two are close.
For two independent normal variables that expectation is Clark's (C. E. Clark, "The greatest of
a finite set of random variables", Operations Research 9(2):145-162, 1961, eq. 2); their
relative spread is taken from the same samples: the residual scatter of the fold fit
(:func:`fold_fit`), the flow's own scatter between equivalent designs of one kind, apart below
and above ABC's delay target (:func:`rel_sigma`).

Chosen on development sets only (session 9: 116 WS development arrays, Fmax error mean/worst
5.0/22.8 -> 4.9/20.2 %; checked afterwards on the fresh held-out seed 3141:
``bench/results/silicon_asic_fresh3141_2026-12-07.txt``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["expected_max_ns", "fold_fit", "fold_period_ns"]

#: rows and columns (fold queues) of each WS context array (``synth.components``: 1 x 1,
#: 2 x 1, 2 x 2, 4 x 4; ``calib.CTX_WS``; a test checks them)
CTX_SHAPES = {"sactx1_ws": (1, 1), "sactx21_ws": (2, 1), "sactx_ws": (2, 2), "sactx4_ws": (4, 4)}


def _fold_rows(data: dict[str, Any]) -> np.ndarray:
    """``(psum bits, fold queues, fold_ns)`` of every WS context sample with a fold path."""
    from .rtl_inventory import ws_psum_bits

    ctx = data.get("ctx_samples", {})
    out = []
    for prefix, (rows, cols) in CTX_SHAPES.items():
        for sign in "su":
            for r in ctx.get(f"{prefix}_{sign}", []):
                if r.get("fold_ns"):
                    ps = ws_psum_bits(r["width"], sign == "s", r["acc_bits"], rows)
                    out.append((float(ps), float(cols), float(r["fold_ns"])))
    return np.array(out).reshape(-1, 3)


#: ABC's delay target in the sky130hd flow, ns (``synth/asic.py`` ``ABC_DELAY_PS``; a test
#: checks it): below it ABC recovers area on every path that meets it, above it it maps the
#: failing paths for delay
ABC_TARGET_NS = 5.0

Fit = tuple[np.ndarray, float, float]


def fold_fit(data: dict[str, Any] | None = None) -> Fit | None:
    """``(coef, sigma_below, sigma_above)``: ``log fold_ns = coef[0] + coef[1] log(psum_bits)
    + coef[2] log(queues)`` fitted by least squares to every WS context sample's fold path,
    and the residuals' root mean square (relative scatter) of the samples the fit puts below
    and at or above :data:`ABC_TARGET_NS` (2026-12-07: 8.0 % and 5.0 %: area recovery below
    the target scatters the mapping more); None without such samples (a data file from
    before session 9).

    ``psum_bits`` is the bottom PE's partial sum (``rtl_inventory.ws_psum_bits`` at the
    array's rows), not the accumulator: the queue adds it to an ``acc_bits`` sum, and above
    its bits the addition is an increment that ABC maps apart from the carry chain. Fitted
    with both widths, the samples give the accumulator's log a coefficient of 0.02 and the
    partial sum's 0.45 (2026-12-07); on the development arrays the partial-sum form
    predicts their fold path with 5.9 % mean error against 9.5 % for the accumulator form.
    """
    if data is None:
        from .calib import load

        data = load()
    a = _fold_rows(data)
    if len(a) < 6:
        return None
    x = np.column_stack([np.ones(len(a)), np.log(a[:, 0]), np.log(a[:, 1])])
    y = np.log(a[:, 2])
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    res = y - x @ coef
    above = x @ coef >= math.log(ABC_TARGET_NS)
    sig = [float(np.sqrt(np.mean(res[m] ** 2))) if m.any() else 0.0 for m in (~above, above)]
    return coef, sig[0], sig[1]


def rel_sigma(period_ns: ArrayLike, fit: Fit) -> np.ndarray:
    """Relative scatter of a path centred on ``period_ns``: the fit's below or above ABC's
    delay target."""
    return np.where(np.asarray(period_ns) < ABC_TARGET_NS, fit[1], fit[2])


def fold_period_ns(
    psum_bits: ArrayLike, cols: ArrayLike, fit: Fit | None = None
) -> np.ndarray | None:
    """Period of a WS array's fold-queue path (ns) whose bottom PE's partial sum has
    ``psum_bits`` bits, with ``cols`` fold queues, from :func:`fold_fit` (or ``fit``, its
    result); None without fold samples."""
    fit = fit if fit is not None else fold_fit()
    if fit is None:
        return None
    coef = fit[0]
    ps = np.maximum(np.asarray(psum_bits, dtype=np.float64), 1.0)
    q = np.maximum(np.asarray(cols, dtype=np.float64), 1.0)
    return np.exp(coef[0] + coef[1] * np.log(ps) + coef[2] * np.log(q))


def _phi(x: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


#: Abramowitz & Stegun, Handbook of Mathematical Functions (1964), 7.1.26: erf(x) for x >= 0
#: within 1.5e-7 (numpy has no erf; scipy is not a runtime dependency)
_AS_P = 0.3275911
_AS_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def _cdf(x: np.ndarray) -> np.ndarray:
    """Standard normal distribution function, ``(1 + erf(x / sqrt 2)) / 2``, vectorized."""
    z = np.abs(x) / math.sqrt(2.0)
    t = 1.0 / (1.0 + _AS_P * z)
    poly = t * (_AS_A[0] + t * (_AS_A[1] + t * (_AS_A[2] + t * (_AS_A[3] + t * _AS_A[4]))))
    erf = 1.0 - poly * np.exp(-z * z)
    return 0.5 * (1.0 + np.sign(x) * erf)


def expected_max_ns(a: ArrayLike, b: ArrayLike, rel_a: ArrayLike, rel_b: ArrayLike) -> np.ndarray:
    """Expected larger of two independent normal path delays centred on ``a`` and ``b`` with
    standard deviations ``rel_a * a`` and ``rel_b * b`` (Clark 1961, eq. 2):
    ``a Phi(t) + b Phi(-t) + s phi(t)``, ``s = sqrt(sa^2 + sb^2)``, ``t = (a - b) / s``.
    Equals ``max(a, b)`` where both spreads are 0 and tends to it as the two move apart."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    s = np.hypot(np.asarray(rel_a) * a, np.asarray(rel_b) * b)
    if not np.any(s > 0):
        return np.maximum(a, b)
    s = np.maximum(s, 1e-12)
    t = (a - b) / s
    return a * _cdf(t) + b * _cdf(-t) + s * _phi(t)
