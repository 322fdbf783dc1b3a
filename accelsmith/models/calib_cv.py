"""Cross-validation of the 130 nm calibration's interpolation forms, on calibration samples only.

The PE components' register-to-register periods (``ospe_*`` / ``wspe_*``,
:mod:`accelsmith.models.calib`) move by up to ~1 ns between neighbouring widths (ABC's
delay-driven mapping). Whether a smooth fit over the width would predict an unseen width
better than interpolating through the samples is decided here by leave-one-out over the
samples themselves, never by the held-out designs of ``bench/bench_silicon.py``.
"""

from __future__ import annotations

import numpy as np

from .calib import CTX_KIND, PE_GUARD_BITS, load

__all__ = ["PE_FORMS", "pe_period_cv"]

#: PE period forms compared by :func:`pe_period_cv`: interpolation through the samples, and
#: least-squares polynomials in x = log(width) with the accumulator guard bits g
PE_FORMS = ("interp", "linear", "quadratic", "cubic")


def _pe_poly(form: str, w: np.ndarray, g: np.ndarray) -> np.ndarray:
    x = np.log(w)
    cols = {
        "linear": [np.ones_like(x), x, g],
        "quadratic": [np.ones_like(x), x, x**2, g, g * x],
        "cubic": [np.ones_like(x), x, x**2, x**3, g, g * x],
    }[form]
    return np.stack(cols, axis=-1)


def pe_period_cv() -> dict[str, dict[str, float]]:
    """Leave-one-out error (%, mean and worst) of each :data:`PE_FORMS` over the PE
    components' period samples (``ospe_*``, ``wspe_*``, narrow and wide; each interior
    sample predicted from the others of its kind pair; the end widths, which every form
    would extrapolate, are not scored). Calibration samples only, never held-out designs."""
    data = load()["samples"]
    errs: dict[str, list[float]] = {f: [] for f in PE_FORMS}
    for kind in CTX_KIND:
        pts = [
            (sfx, float(r["width"]), float(g), float(r["period_ns"]))
            for sfx, g in (("n", PE_GUARD_BITS[0]), ("", PE_GUARD_BITS[1]))
            for r in data[kind + sfx]
        ]
        widths = sorted({p[1] for p in pts})
        for i, (sfx, w, g, y) in enumerate(pts):
            if w in (widths[0], widths[-1]):
                continue
            rest = [p for j, p in enumerate(pts) if j != i]
            for form in PE_FORMS:
                if form == "interp":
                    same = [p for p in rest if p[0] == sfx]
                    lx = np.log([p[1] for p in same])
                    pred = np.exp(np.interp(np.log(w), lx, np.log([p[3] for p in same])))
                else:
                    a = np.array([[p[1], p[2]] for p in rest])
                    coef = np.linalg.lstsq(
                        _pe_poly(form, a[:, 0], a[:, 1]), [p[3] for p in rest], rcond=None
                    )[0]
                    pred = float(_pe_poly(form, np.array(w), np.array(g)) @ coef)
                errs[form].append(100.0 * abs(pred - y) / y)
    return {
        f: {"mean_pct": float(np.mean(e)), "worst_pct": float(np.max(e))} for f, e in errs.items()
    }
