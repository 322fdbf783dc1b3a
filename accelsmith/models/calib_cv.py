"""Cross-validation of the 130 nm calibration's interpolation forms, on calibration samples only.

The PE components' register-to-register periods (``ospe_*`` / ``wspe_*``,
:mod:`accelsmith.models.calib`) move by up to ~1 ns between neighbouring widths (ABC's
delay-driven mapping). Whether a smooth fit over the width would predict an unseen width
better than interpolating through the samples is decided here by leave-one-out over the
samples themselves, never by the held-out designs of ``bench/bench_silicon.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .calib import CTX_KIND, CTX_NARROW_KIND, PE_GUARD_BITS, _pe_interp, load

__all__ = [
    "ACC_FORMS",
    "LUT_ACC_FORMS",
    "LUT_CTX_FORMS",
    "LUT_VAR_FORMS",
    "PE_FORMS",
    "SIMD_P1_FORMS",
    "SIMD_READOUT_FORMS",
    "best_form",
    "lut_acc_cv",
    "lut_ctx_period_cv",
    "lut_var_cv",
    "pe_acc_cv",
    "pe_period_cv",
    "simd_lane_ctx_cv",
    "simd_readout_ctx_cv",
]

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


#: LUT-core context period forms compared by :func:`lut_ctx_period_cv`: interpolation through
#: the samples (piecewise-linear in log(width) -> log(period)), and least-squares polynomials
#: of degree 1..3 in log(width), each per kind
LUT_CTX_FORMS = ("interp", "linear", "quadratic", "cubic")


def lut_ctx_period_cv() -> dict[str, dict[str, float]]:
    """Leave-one-out error (%, mean and worst) of each :data:`LUT_CTX_FORMS` over the LUT
    core's context samples (``lutctx<K><s|f>`` in ``ctx_samples``, the period
    :meth:`accelsmith.models.calib.CalibratedTech.lut_core_period_ns` takes its level from):
    each interior width predicted from the other widths of its kind (the end widths, which
    every form would extrapolate, are not scored). Calibration samples only."""
    ctx = load().get("ctx_samples", {})
    errs: dict[str, list[float]] = {f: [] for f in LUT_CTX_FORMS}
    degree = {"linear": 1, "quadratic": 2, "cubic": 3}
    for kind, rows in ctx.items():
        if not (kind.startswith("lutctx") and kind[6].isdigit()):  # not lutctxn (3 widths)
            continue
        w = np.array([float(r["width"]) for r in rows])
        y = np.array([float(r["period_ns"]) for r in rows])
        for i in range(1, len(w) - 1):
            keep = np.arange(len(w)) != i
            lx = np.log(w[keep])
            for form in LUT_CTX_FORMS:
                if form == "interp":
                    pred = float(np.exp(np.interp(np.log(w[i]), lx, np.log(y[keep]))))
                else:
                    coef = np.polyfit(lx, y[keep], degree[form])
                    pred = float(np.polyval(coef, np.log(w[i])))
                errs[form].append(100.0 * abs(pred - y[i]) / y[i])
    if not errs["interp"]:
        return {}
    return {
        f: {"mean_pct": float(np.mean(e)), "worst_pct": float(np.max(e))} for f, e in errs.items()
    }


#: sources of an OS PE's accumulator dependence compared by :func:`pe_acc_cv`: the PE alone
#: (its narrow and wide samples), none, and the context arrays' own slope (the 2 x 2 array at
#: two reductions), pooled over the other widths
ACC_FORMS = ("alone", "flat", "ctx_slope")


def _pair_cv(pairs: dict[str, tuple[str, str]], alone: Any = None) -> dict[str, list[float]]:
    """Leave-one-out errors (%) over context designs sampled at two reductions: ``pairs``
    maps a group name to its (wide, narrow) ``ctx_samples`` kinds; at each width sampled in
    both, each sample is predicted from the other by moving its period to the other
    accumulator width: ``flat`` (not at all), ``ctx_slope`` (the mean slope of the group's
    other widths), ``alone`` (``alone(group, width, acc_to) - alone(group, width,
    acc_from)``, when given)."""
    ctx = load().get("ctx_samples", {})
    errs: dict[str, list[float]] = {"flat": [], "ctx_slope": []}
    if alone is not None:
        errs["alone"] = []
    for group, (wk, nk) in pairs.items():
        wide = {r["width"]: r for r in ctx.get(wk, [])}
        narrow = {r["width"]: r for r in ctx.get(nk, [])}
        both = sorted(set(wide) & set(narrow))
        if len(both) < 2:
            continue
        slopes = {
            w: (wide[w]["period_ns"] - narrow[w]["period_ns"])
            / (wide[w]["acc_bits"] - narrow[w]["acc_bits"])
            for w in both
        }
        for w in both:
            rest = float(np.mean([v for u, v in slopes.items() if u != w]))
            for src, dst in ((wide[w], narrow[w]), (narrow[w], wide[w])):
                y0, a0, a1 = src["period_ns"], src["acc_bits"], dst["acc_bits"]
                pred = {"flat": y0, "ctx_slope": y0 + rest * (a1 - a0)}
                if alone is not None:
                    pred["alone"] = y0 + float(alone(group, w, a1) - alone(group, w, a0))
                for form, val in pred.items():
                    errs[form].append(100.0 * abs(val - dst["period_ns"]) / dst["period_ns"])
    return errs


def _summary(errs: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    if not all(errs.values()):
        return {}
    return {
        f: {"mean_pct": float(np.mean(e)), "worst_pct": float(np.max(e))} for f, e in errs.items()
    }


def pe_acc_cv() -> dict[str, dict[str, float]]:
    """Leave-one-out error (%, mean and worst) of each :data:`ACC_FORMS`: at every width
    where the OS context array is sampled at both reductions (``sactx_os_*``, ``max_k`` 64;
    ``sactxn_os_*``, ``max_k`` 4), each of the two samples is predicted from the other by
    moving its period to the other accumulator width by the form (``ctx_slope``: the mean
    slope of the other widths; ``alone``: the PE component's own accumulator dependence).
    Calibration samples only, never held-out designs."""
    pairs = {pe: (CTX_KIND[pe], nk) for pe, nk in CTX_NARROW_KIND.items()}
    return _summary(_pair_cv(pairs, lambda pe, w, a: _pe_interp(pe, "period_ns", w, a)))


#: sources of the LUT core's accumulator dependence compared by :func:`lut_acc_cv`
LUT_ACC_FORMS = ("flat", "ctx_slope")


def lut_acc_cv() -> dict[str, dict[str, float]]:
    """Leave-one-out error (%, mean and worst) of each :data:`LUT_ACC_FORMS` over the LUT
    core in context at two reductions (``lutctx<K><s|f>`` at ``max_k`` 64 and
    ``lutctxn<K><s|f>`` at 4; the two-row cores ``lutctxm_k2<s|f>`` / ``lutctxmn_k2<s|f>``
    likewise, each pair with its own slope), as :func:`pe_acc_cv`. Calibration samples
    only."""
    ctx = load().get("ctx_samples", {})
    pairs = {
        k[6:]: (k, "lutctxn" + k[6:]) for k in ctx if k.startswith("lutctx") and k[6].isdigit()
    }
    # the drain (two-row cores at both reductions), when sampled
    pairs |= {
        f"drain{n}{t}": (f"lutctxm{n}_k2{t}", f"lutctxmn{n}_k2{t}") for n in ("", "2") for t in "sf"
    }
    return _summary(_pair_cv(pairs))


#: period forms of the group-size-2 context cores at the shapes the 1 x 1 core leaves out
#: (``lutctxm[2]_k2<s|f>``: two rows of one [two] columns, the drain; ``lutctxb<1|3>_k2<s|f>``:
#: 1- and 3-bit weights), compared
#: by :func:`lut_var_cv`, simplest first: ``base`` the 1 x 1 core's model without them (the
#: ``lutctx2<s|f>`` level at the sample's accumulator, plus for two rows the row flags'
#: fan-out to ``2 x accw`` loads), then the kind's own other widths: their ``mean``, a
#: ``linear`` least-squares line in log(width), ``interp`` piecewise-linear interpolation
LUT_VAR_FORMS = ("base", "mean", "linear", "interp")


def lut_var_cv() -> dict[str, dict[str, float]]:
    """Leave-one-out error (%, mean and worst) of each :data:`LUT_VAR_FORMS` over the
    ``lutctxm_k2*``, ``lutctxm2_k2*``, ``lutctxb1_k2*`` and ``lutctxb3_k2*`` context samples: each
    width predicted from the other widths of its kind (``base`` from the 1 x 1 core's
    samples). Calibration samples only, never held-out designs."""
    from .calib import _loglog, fanout_period_ns, lut_ctx_slope_ns

    ctx = load().get("ctx_samples", {})
    errs: dict[str, list[float]] = {f: [] for f in LUT_VAR_FORMS}
    for kind, rows in ctx.items():
        if not kind.startswith(("lutctxm_k2", "lutctxm2_k2", "lutctxb3_k2", "lutctxb1_k2")):
            continue
        tag = kind[-1]
        one = ctx[f"lutctx2{tag}"]
        slope = lut_ctx_slope_ns(2, tag)
        w = np.array([float(r["width"]) for r in rows])
        y = np.array([float(r["period_ns"]) for r in rows])
        acc = np.array([float(r["acc_bits"]) for r in rows])
        for i in range(1, len(w) - 1):
            keep = np.arange(len(w)) != i
            lx = np.log(w[keep])
            acc1 = float(np.interp(w[i], [r["width"] for r in one], [r["acc_bits"] for r in one]))
            base = float(_loglog(f"lutctx2{tag}", "period_ns", w[i], table="ctx_samples"))
            base += slope * (min(acc[i], acc1) - acc1)
            if kind.startswith("lutctxm"):  # two rows of one or two columns: their fan-out
                cols = 2 if kind.startswith("lutctxm2") else 1
                base += float(fanout_period_ns(2 * cols * acc[i]) - fanout_period_ns(acc[i]))
            pred = {
                "base": base,
                "mean": float(np.mean(y[keep])),
                "linear": float(np.polyval(np.polyfit(lx, y[keep], 1), np.log(w[i]))),
                "interp": float(np.exp(np.interp(np.log(w[i]), lx, np.log(y[keep])))),
            }
            for form, val in pred.items():
                errs[form].append(100.0 * abs(val - y[i]) / y[i])
    return _summary(errs)


def best_form(cv: dict[str, dict[str, float]], forms: tuple[str, ...]) -> str:
    """The form with the lowest leave-one-out mean error, compared at 0.1 % (the samples'
    own mapping noise is larger than that); on a tie the earlier of ``forms`` (they are listed
    simplest first)."""
    return min(forms, key=lambda f: (round(cv[f]["mean_pct"], 1), forms.index(f)))


#: forms of an exact SIMD slot's pipeline-1 period compared by :func:`simd_lane_ctx_cv`: the
#: lane's blocks in series (decoder and mode multiplexers, multiplier, ``schain`` increment),
#: and the lane in context (``schainl<k>`` of the slot's stage class, interpolated in the
#: quire width) moved to another lane by no delay, the multiplier's delay difference, the
#: decode's and the multiplier's, or the multiplier's and its unused operand bits'
SIMD_P1_FORMS = ("series", "ctx_flat", "ctx_mul", "ctx", "ctx_live")
#: the same at pipeline 2 (``schainl<k>_p2``; the decode is registered, so no decode term;
#: ``series`` is the multiplier plus the ``schain`` increment)
SIMD_P2_FORMS = ("series", "ctx_flat", "ctx_mul", "ctx_live")


def _loglog_rows(rows: list[tuple[float, float]], x: float) -> float:
    """``rows`` of (width, value) interpolated at ``x`` piecewise-linearly in log-log, a
    power law beyond the ends (as :func:`accelsmith.models.calib._loglog`)."""
    rows = sorted(rows)
    lx, ly = np.log([r[0] for r in rows]), np.log([r[1] for r in rows])
    t = float(np.log(x))
    if len(lx) > 1 and (t < lx[0] or t > lx[-1]):
        i, j = (0, 1) if t < lx[0] else (-2, -1)
        return float(np.exp(ly[i] + (ly[j] - ly[i]) / (lx[j] - lx[i]) * (t - lx[i])))
    return float(np.exp(np.interp(t, lx, ly)))


def simd_lane_ctx_cv(pipeline: int = 1) -> dict[str, dict[str, float]]:
    """Leave-one-out error (%, mean and worst) of each :data:`SIMD_P1_FORMS` (pipeline 1) or
    :data:`SIMD_P2_FORMS` (pipeline 2) over the SIMD lanes in context (every ``schainl*``
    sample of ``simd_samples`` at that pipeline; the lanes are ``accelsmith.models.
    simd_asic.LANE_CTX``): a sample of a class's own lane is predicted from that lane's
    other widths, a variant (another word or mode set) from the class's lane at every width,
    each moved by the form; ``series`` uses no lane at all. Calibration samples only, never
    held-out designs."""
    from . import simd_asic as sa
    from .calib import pipe_period_ns

    simd = load().get("simd_samples", {})
    forms = SIMD_P1_FORMS if pipeline == 1 else SIMD_P2_FORMS
    sfx = "" if pipeline == 1 else "_p2"
    errs: dict[str, list[float]] = {f: [] for f in forms}
    pipe = pipe_period_ns()
    for name, (word, fmts) in sa.LANE_CTX.items():
        kind = name + sfx
        sl0 = sa.lane_structure(",".join(fmts), word, "exact", 1, 2, "fp32")["slots"][0]
        d0, d1 = sa._slot_delays(sl0, len(fmts), word)
        base = f"schainl{sa._chain_class(sl0['stages'])}"
        if base + sfx not in simd or kind not in simd:
            continue
        b0, b1 = sa._lane_ctx_delays(base)
        bw, bf = sa.LANE_CTX[base]
        bl0 = sa.lane_structure(",".join(bf), bw, "exact", 1, 2, "fp32")["slots"][0]
        for r in simd[kind]:
            q, y = float(r["width"]), float(r["period_ns"])
            rest = [(float(o["width"]), float(o["period_ns"])) for o in simd[base + sfx]]
            rest = [o for o in rest if kind != base + sfx or o[0] != q]
            ctx = _loglog_rows(rest, q)
            chain = sa._chain_increment_ns(sl0["stages"], q)
            pred = {
                "series": pipe + (d0 if pipeline == 1 else 0.0) + d1 + chain,
                "ctx_flat": ctx,
                "ctx_mul": ctx + (d1 - b1),
                "ctx": ctx + (d0 - b0) + (d1 - b1),
                "ctx_live": ctx + (d1 - b1) + sa._live_mul_ns(sl0) - sa._live_mul_ns(bl0),
            }
            for form in forms:
                errs[form].append(100.0 * abs(pred[form] - y) / y)
    return _summary(errs)


#: forms of an exact slot's readout period in context compared by
#: :func:`simd_readout_ctx_cv`: the readout alone (``sslot_<out>``), plus the binary32
#: chain-and-readout block's extra over its parts (``schainr<k>``: the model before), plus the
#: slot's own result format's block's extra (``schainr<k>_<out>``), or that block's path into
#: the result registers (its ``readout_ns``) interpolated in the quire width
SIMD_READOUT_FORMS = ("none", "fp32_extra", "block_extra", "own_readout")


def simd_readout_ctx_cv() -> dict[str, dict[str, float]]:
    """Leave-one-out error (%, mean and worst) of each :data:`SIMD_READOUT_FORMS` over the
    chain-and-readout blocks (``schainr<k>`` / ``schainr<k>_<out>`` of ``simd_samples``):
    a quire width of a stage class is left out for every result format at once (a lane's
    width is sampled for no format), and each block's readout path there (``readout_ns``:
    its worst path into the result registers) is predicted from the block's other widths and
    the readout alone (``sslot_<out>`` at that width): plus nothing (``none``), plus the
    binary32 block's period over the slower of its parts (``fp32_extra``, the model
    before), plus the format's own block's likewise (``block_extra``), or as the format's own
    readout paths interpolated in the width (``own_readout``, never below the readout
    alone). Only the interior widths are scored (every form would extrapolate the ends), as
    in :func:`pe_period_cv`; a binary32 block is interpolated on its side of the rounding
    step only (as the model: ``simd_asic.FP32_EXACT_Q``), so each side's widths are a range
    with ends of their own. Calibration samples only, never held-out designs."""
    from ..core.families.simd import OUT_FORMATS, POSIT_OUTS
    from . import simd_asic as sa

    simd = load().get("simd_samples", {})
    errs: dict[str, list[float]] = {f: [] for f in SIMD_READOUT_FORMS}

    def s(kind: str, q: float) -> float:
        return float(sa._s(kind, "period_ns", q))

    def interp(kind: str, key: str, q: float, out: str = "") -> float:
        rows = [(float(r["width"]), float(r[key])) for r in simd[kind] if r["width"] != q]
        if out == "fp32":  # as the model: never across binary32's rounding step
            side = [r for r in rows if (r[0] <= sa.FP32_EXACT_Q) == (q <= sa.FP32_EXACT_Q)]
            rows = side or rows
        return _loglog_rows(rows, q)

    for k in sa.CHAIN_STAGES:
        blocks = {o: sa._readout_block(k, o) for o in (*OUT_FORMATS, *POSIT_OUTS)}
        blocks = {o: b for o, b in blocks.items() if b in simd}
        if "fp32" not in blocks:
            continue
        for out, kind in blocks.items():
            widths = sorted(float(r["width"]) for r in simd[kind])
            for r in simd[kind]:
                q = float(r["width"])
                ends = (widths[0], widths[-1])
                if out == "fp32":  # each side of the rounding step is a range of its own
                    side = [w for w in widths if (w <= sa.FP32_EXACT_Q) == (q <= sa.FP32_EXACT_Q)]
                    ends = (side[0], side[-1])
                if q in ends or "readout_ns" not in r:
                    continue
                chain, alone = s(f"schain{k}", q), s(f"sslot_{out}", q)
                fp32 = interp(blocks["fp32"], "period_ns", q, "fp32")
                fp32 -= max(chain, s("sslot_fp32", q))
                own = interp(kind, "period_ns", q, out) - max(chain, alone)
                pred = {
                    "none": alone,
                    "fp32_extra": alone + max(fp32, 0.0),
                    "block_extra": alone + max(own, 0.0),
                    "own_readout": max(alone, interp(kind, "readout_ns", q, out)),
                }
                y = float(r["readout_ns"])
                for form in SIMD_READOUT_FORMS:
                    errs[form].append(100.0 * abs(pred[form] - y) / y)
    return _summary(errs)


#: forms of the block an exact SIMD slot's readout in context comes from, compared by
#: :func:`simd_readout_lsb_cv`: the chain-and-readout block of the slot's class at the class
#: lane's quire LSB (``schainr<k>_<out>``; binary32 ``schainr<k>``, LSB 0), or the block at
#: the LSB nearest the slot's own (``schainr<k>m<-lsb>_<out>``)
SIMD_READOUT_LSB_FORMS = ("class_lsb", "own_lsb")


def simd_readout_lsb_cv() -> dict[str, dict[str, float]]:
    """Leave-one-out error (%, mean and worst) of each :data:`SIMD_READOUT_LSB_FORMS` over the
    chain-and-readout blocks sampled at a quire LSB other than their class lane's
    (``schainr<k>m<m>_<out>`` of ``simd_samples``, ``simd_asic.CHAINR_LSB``): each interior
    quire width of such a block is left out, and its readout path there (``readout_ns``) is
    predicted, never below the readout alone (``sslot_<out>``), from the class-LSB block of
    the same class and format interpolated at that width (``class_lsb``) or from the
    block's own other widths (``own_lsb``). Calibration samples only, never held-out
    designs."""
    from . import simd_asic as sa

    simd = load().get("simd_samples", {})
    errs: dict[str, list[float]] = {f: [] for f in SIMD_READOUT_LSB_FORMS}
    for k, by in sa.CHAINR_LSB.items():
        for m in by:
            for out in ("fp32", "bf16", "fp16", "posit16_1", "posit8_0"):
                kind, base = f"schainr{k}m{-m}_{out}", sa._readout_block(k, out)
                if kind not in simd or base not in simd:
                    continue
                rows = [(float(r["width"]), float(r["readout_ns"])) for r in simd[kind]]
                widths = sorted(w for w, _ in rows)
                for q, y in rows:
                    if q in (widths[0], widths[-1]):
                        continue
                    alone = float(sa._s(f"sslot_{out}", "period_ns", q))
                    others = [(w, v) for w, v in rows if w != q]
                    pred = {
                        "class_lsb": max(alone, float(sa._s(base, "readout_ns", q))),
                        "own_lsb": max(alone, _loglog_rows(others, q)),
                    }
                    for form in SIMD_READOUT_LSB_FORMS:
                        errs[form].append(100.0 * abs(pred[form] - y) / y)
    return _summary(errs)
