"""Cost constants at 130 nm calibrated against this project's synthesized components.

The data file ``calib_sky130.json`` (written by ``accelsmith calibrate``; provenance inside:
flow, tool versions, liberty sha256, date, clock, switching activity) holds, for each
datapath component at each sampled width, the synthesized operator area, energy per operation
and register-to-register period on sky130_fd_sc_hd (typical corner, pre-layout). This module
interpolates them:

- ``mul``, ``add``, ``mux``: piecewise-linear in log(width) -> log(value) between samples, a
  power law through the two nearest samples beyond the sampled range;
- ``reg``: mean area and clocked energy per bit;
- ``pipe``: a bare register-to-register hop (clock-to-Q + setup), subtracted when operators
  are chained in one cycle;
- ``fan``: the period of one registered enable gating N flip-flops (its buffer tree);
- ``mac``: a PE's gated accumulate ``acc <= acc + a * b`` (``2 * width + 8``-bit accumulator),
  whose period is well below a multiplier's plus an adder's (ABC merges the additions).

:class:`CalibratedTech` is what :meth:`accelsmith.models.tech.Tech.at_node` returns for 130 nm:
the integer operators, registers and leakage density come from here and SRAM area from an
OpenRAM sky130 macro; floating-point operators and SRAM/DRAM energy stay the scaled
literature tables of :mod:`accelsmith.models.tech`.
Components, never whole designs, are fitted; whole designs are the held-out check
(``bench/bench_silicon.py``).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..core.errors import ConfigError
from .tech import Tech, node_factors

__all__ = [
    "DATA_FILE",
    "CalibratedTech",
    "calibrated_tech",
    "fanout_period_ns",
    "flow_power_w",
    "load",
    "op_area_um2",
    "op_energy_j",
    "op_period_ns",
    "pipe_period_ns",
    "samples_sha256",
]

DATA_FILE = Path(__file__).with_name("calib_sky130.json")
# OpenRAM sky130_sram_2kbyte_1rw_32x512_8 (VLSIDA/sky130_sram_macros): LEF size 483.86 um x
# 326.1 um (commit 64897068d2ae) for 512 x 32 bits, periphery included; TT 1.8 V 25 C liberty
# (commit 0178860d21d6): leakage 0.000814 mW, write access 2.376 + 2.591 pJ (rise + fall) for
# 32 bits. The same figures cost black-box memories in `accelsmith synth`
# (accelsmith/synth/sram.py SRAM_SKY130; tests/synth/test_calib_pim.py checks they agree).
SRAM_UM2_PER_BIT = 483.86 * 326.1 / (512 * 32)
SRAM_LEAK_W_PER_BIT = 0.8140023e-6 / (512 * 32)
SRAM_ACCESS_J_PER_BIT = (2.376 + 2.591) * 1e-12 / 32
MAC_GUARD_BITS = 8  # the calibration's mac component accumulates into 2 * width + 8 bits
# How the one-column drain of a LUT core of two or more rows enters its period (keyword
# ``one_col_form`` of CalibratedTech.lut_core_period_ns): "slow" (the slower of the row path
# and the drain floor: the model since session 8, whose generator splits that drain over two
# register stages so that ABC no longer maps it fast or slow at random; session 6's first
# form), "mid" (the midpoint of the row path and the drain floor, both tables: session 7's
# model for the one-stage drain) or "mid_sym" (the midpoint for symmetric tables, the floor
# for full ones: session 6's model); the older forms are kept for
# bench/bench_lut_drain1_dev.py, which compares them.
LUT_ONE_COL_FORMS = ("slow", "mid", "mid_sym")
# Where the one-column drain's level comes from (keyword ``one_col_drain``): "accw" (the drain
# paths of the one-column drain cores by accumulator width, :func:`lut_drain1_ns`; the model)
# or "act" (the drain core's whole period interpolated in act_bits and moved by its slope,
# session 6's form; kept for the development-set bench).
LUT_ONE_COL_DRAIN_FORMS = ("accw", "act")
# Where the row path of a one-column K = 2 core of two or more rows comes from (keyword
# ``one_col_row``): "ctx" (the row paths of the one-column drain cores, :func:`lut_row1_ns`,
# at 1-, 3- and 4-bit weights the 1- and 3-bit drain cores' own, :func:`lut_row1_wb_ns`),
# "ctx1" (the same for 1-bit weights only; 3- and 4-bit at least the 1 x 1 core's 3-bit
# level), "ctx2" (1-bit weights at the 2-bit cores' row path one accumulator bit wider:
# session 7's form) or "1x1" (the 1 x 1 core's level and the flags' fan-out, session 6's).
LUT_ONE_COL_ROW_FORMS = ("ctx", "ctx1", "ctx2", "1x1")
#: the one-column two-row cores whose drain paths (``drain_ns``) :func:`lut_drain1_ns` pools
LUT_DRAIN1_KINDS = ("lutctxm_k2", "lutctxmn_k2", "lutctxmb1_k2", "lutctxmb3_k2")


@functools.cache
def load(path: str = str(DATA_FILE)) -> dict[str, Any]:
    """The calibration data (samples and provenance)."""
    return json.loads(Path(path).read_text())


def samples_sha256() -> str:
    """SHA-256 of the samples (canonical JSON): what every node-130 result depends on; part
    of a node-130 campaign's identity (:mod:`accelsmith.dse.identity`). The provenance (date)
    is left out, so re-running an unchanged calibration keeps campaigns resumable."""
    import hashlib

    data = load()
    # every table a node-130 model reads (simd_samples: accelsmith.models.simd_asic,
    # pim_samples: accelsmith.models.pim_asic, ctx_samples: pe_period_ns, lut_core_period_ns)
    names = ("samples", "simd_samples", "pim_samples", "ctx_samples")
    tables = {k: data[k] for k in names if k in data}
    text = json.dumps(tables, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _harness_flops(row: dict[str, Any]) -> float:
    return float(row.get("wrapper_flops") or row["flops"])


def _loglog(kind: str, key: str, width: ArrayLike, table: str = "samples") -> np.ndarray:
    rows = load()[table][kind]
    if key == "logic_um2":
        gate = reset_gate_um2()
        rows = [{**r, key: r["op_area_um2"] - _harness_flops(r) * gate} for r in rows]
    x = np.log(np.array([r["width"] for r in rows], dtype=np.float64))
    y = np.log(np.maximum([r[key] for r in rows], 1e-30))
    lw = np.log(np.maximum(np.asarray(width, dtype=np.float64), 1.0))
    out = np.interp(lw, x, y)
    if len(x) > 1:
        lo = y[0] + (y[1] - y[0]) / (x[1] - x[0]) * (lw - x[0])
        hi = y[-1] + (y[-1] - y[-2]) / (x[-1] - x[-2]) * (lw - x[-1])
        out = np.where(lw < x[0], lo, np.where(lw > x[-1], hi, out))
    return np.exp(out)


def op_area_um2(kind: str, width: ArrayLike) -> np.ndarray:
    """Synthesized area of operator ``kind`` (mul: width x width, add: width + width, mux)."""
    return _loglog(kind, "op_area_um2", width)


def reset_gate_um2() -> float:
    """Logic each flip-flop of the synchronous-reset ``sync`` domain gets (``reg``: a
    registered wire's combinational area per bit is its reset gate alone)."""
    rows = load()["samples"]["reg"]
    return float(np.mean([r["op_area_um2"] / r["flops"] for r in rows]))


def logic_um2(kind: str, width: ArrayLike) -> np.ndarray:
    """Logic of component ``kind`` without its measurement harness: the synthesized logic
    minus the reset gates of the registers around it (every register of ``mul``, ``add``,
    ``mux``, ``neg``; the input registers of a wrapped generator block). What remains is what
    the operator adds to a design whose registers are costed apart."""
    return _loglog(kind, "logic_um2", width)


def op_energy_j(kind: str, width: ArrayLike) -> np.ndarray:
    """Energy of one operation at the calibration's switching activity."""
    return _loglog(kind, "energy_j", width)


def op_period_ns(kind: str, width: ArrayLike) -> np.ndarray:
    """Register-to-register period of the registered operator (clock-to-Q + logic + setup)."""
    return _loglog(kind, "period_ns", width)


def pipe_period_ns() -> float:
    """A bare register-to-register hop: clock-to-Q + setup."""
    return float(load()["samples"]["pipe"][0]["period_ns"])


def fanout_period_ns(fanout: ArrayLike) -> np.ndarray:
    """Period of a registered enable gating ``fanout`` flip-flops (interpolated like the
    operators; with the flow's driving cells and buffer trees it grows slowly: 0.78 ns at 4
    loads, 1.34 at 64, 1.40 at 256, 2026-12-07)."""
    return _loglog("fan", "period_ns", fanout)


def flop_area_um2() -> float:
    """Area of one flip-flop (``reg`` samples: sequential area per bit)."""
    return _reg("area")


def enable_um2_per_flop(flops: ArrayLike) -> np.ndarray:
    """Logic of one enable-gated flip-flop when one enable gates ``flops`` of them (``fan``:
    the enable multiplexer plus its share of the enable's buffer tree)."""
    n = np.maximum(np.asarray(flops, dtype=np.float64), 1.0)
    return _loglog("fan", "op_area_um2", n) / n


PE_GUARD_BITS = (2, 8)  # accumulator bits beyond 2 * width of the narrow / wide PE samples


def _pe_interp(kind: str, key: str, width: ArrayLike, acc_bits: ArrayLike) -> np.ndarray:
    """A PE component's ``key`` at ``width``-bit operands and an ``acc_bits`` accumulator:
    log-log in the width, linear in the accumulator between the narrow (``<kind>n``,
    ``2 width + 2``) and wide (``<kind>``, ``2 width + 8``) samples, extrapolated beyond."""
    lo, hi = _loglog(kind + "n", key, width), _loglog(kind, key, width)
    g0, g1 = PE_GUARD_BITS
    x = (np.asarray(acc_bits, dtype=np.float64) - 2 * np.asarray(width) - g0) / (g1 - g0)
    return lo + x * (hi - lo)


def pe_logic_um2(kind: str, width: ArrayLike, acc_bits: ArrayLike) -> np.ndarray:
    """Logic area of a generator PE component (``ospe_s``, ``ospe_u``, ``wspe_s``,
    ``wspe_u``) at ``width``-bit operands and an ``acc_bits`` accumulator."""
    return _pe_interp(kind, "logic_um2", width, acc_bits)


CTX_KIND = {
    "ospe_s": "sactx_os_s",
    "ospe_u": "sactx_os_u",
    "wspe_s": "sactx_ws_s",
    "wspe_u": "sactx_ws_u",
}


#: the OS arrays at a shallow reduction (``max_k`` 4, ``synth.components.CTX_NARROW_MAX_K``)
CTX_NARROW_KIND = {"ospe_s": "sactxn_os_s", "ospe_u": "sactxn_os_u"}

#: rows of the ``sactx_*`` context arrays (``synth.components.CTX_SHAPE``; a test checks it)
CTX_ROWS = 2

#: the WS context arrays :func:`ws_pe_period_ns` reads, smallest first: (PEs, kind prefix,
#: rows), the 1 x 1, 2 x 1, 2 x 2 and 4 x 4 arrays (``synth.components.CTX_SMALL_SHAPE``,
#: ``CTX_COLUMN_SHAPE``, ``CTX_SHAPE``, ``CTX_LARGE_SHAPE``; a test checks them). The 2 x 1
#: (session 8, ws9): two PEs, one with a partial-sum adder; chosen on development sets only
#: (85 WS arrays, with :func:`ws_context_pes`: Fmax error 4.3/19.0 -> 4.2/19.0 %, the arrays
#: of at most 4 PEs 6.3 -> 6.1 % mean; session 8 development sets); it was sampled
#: because a held-out 2 x 1 row missed, so that row now sits near one of its samples
CTX_WS = (
    (1, "sactx1_ws", 1),
    (2, "sactx21_ws", 2),
    (4, "sactx_ws", CTX_ROWS),
    (16, "sactx4_ws", 4),
)


def _ctx_acc(kind: str, w: np.ndarray, table_kind: str, ctx_rows: int = CTX_ROWS) -> np.ndarray:
    """The widest adder of a context array's PEs at operand width ``w`` (OS: its exact
    accumulator, as recorded with the samples; WS: the partial sum of its ``ctx_rows``
    rows, ``rtl_inventory.ws_psum_bits``)."""
    rows = load()["ctx_samples"][table_kind]
    ws = np.array([r["width"] for r in rows], dtype=np.float64)
    guard = np.array([r["acc_bits"] for r in rows], dtype=np.float64) - 2 * ws
    acc = 2 * w + np.interp(w, ws, guard)
    if kind.startswith("ws"):
        from .rtl_inventory import ws_psum_bits

        acc = ws_psum_bits(w, kind.endswith("_s"), np.round(acc), ctx_rows)
    return acc


def ctx_pair_slopes(wide_kind: str, narrow_kind: str) -> dict[float, float]:
    """ns per accumulator bit at each width where a context design is sampled at both
    reductions (``ctx_samples`` kinds ``wide_kind`` and ``narrow_kind``): the period
    difference over the accumulator difference."""
    ctx = load()["ctx_samples"]
    wide = {r["width"]: r for r in ctx[wide_kind]}
    narrow = {r["width"]: r for r in ctx[narrow_kind]}
    return {
        w: (wide[w]["period_ns"] - narrow[w]["period_ns"])
        / (wide[w]["acc_bits"] - narrow[w]["acc_bits"])
        for w in sorted(set(wide) & set(narrow))
    }


def ctx_acc_slope_ns(kind: str) -> float:
    """ns per accumulator bit of an OS PE in context: the mean over the sampled widths of
    the period difference between the 2 x 2 array at ``max_k`` 64 (``sactx_os_*``) and at
    ``max_k`` 4 (``sactxn_os_*``) over their accumulator difference."""
    return float(np.mean(list(ctx_pair_slopes(CTX_KIND[kind], CTX_NARROW_KIND[kind]).values())))


def ctx_level_key(table_kind: str) -> str:
    """The key of a context sample that holds its PE's level: ``pe_ns`` (the worst path into
    the PEs' partial sums alone, recorded for the WS contexts since session 9, ws10) where
    every sample of ``table_kind`` has it, else ``period_ns`` (the array's whole period: for
    a WS context often its fold queue's path at the context's accumulator, not its PE's)."""
    rows = load().get("ctx_samples", {}).get(table_kind, [])
    return "pe_ns" if rows and all(r.get("pe_ns") for r in rows) else "period_ns"


def pe_period_ns(kind: str, width: ArrayLike, acc_bits: ArrayLike) -> np.ndarray:
    """Register-to-register period of a generator PE (``ospe_s``, ``ospe_u``, ``wspe_s``,
    ``wspe_u``) at ``width``-bit operands and an ``acc_bits`` accumulator, in context.

    ABC maps the same PE differently alone and among neighbours (calibration samples of
    2026-12-07: the unsigned 10-bit OS PE alone is a 7.7 ns ripple chain, inside a 2 x 2
    array 5.7 ns), so the level comes from the PE inside the generator's 2 x 2 array
    (``sactx_*`` in ``ctx_samples``, interpolated in the width like the operators).

    - OS, with the array sampled at two reductions (``sactx_os_*`` at ``max_k`` 64 and
      ``sactxn_os_*`` at 4): the accumulator's effect is in context too, a line in
      ``acc_bits`` with the slope :func:`ctx_acc_slope_ns` (pooled over the widths) through
      both samples (the mean of the two anchored lines). Leave-one-out over the context
      samples (:func:`accelsmith.models.calib_cv.pe_acc_cv`: each sample predicted from the
      other reduction at its width) chose this over the PE alone's accumulator dependence.
    - Otherwise (WS, whose 2-row context has one partial-sum width; or no narrow samples):
      ``ctx(w) + pe(w, acc) - pe(w, acc_ctx(w))``, the accumulator's effect from the PE
      alone, where ``acc_ctx`` is the widest adder of the context's PEs (:func:`_ctx_acc`;
      for a WS PE ``acc_bits`` is likewise its partial-sum width).

    Without context samples, the PE alone. A smooth fit over the width was tested by
    leave-one-out cross-validation over the PE samples alone
    (:func:`accelsmith.models.calib_cv.pe_period_cv`): interpolation through the samples
    predicts them best, so it is kept.
    """
    alone = _pe_interp(kind, "period_ns", width, acc_bits)
    ctx_tab = load().get("ctx_samples", {})
    if not ctx_tab.get(CTX_KIND[kind]):
        return alone
    w = np.asarray(width, dtype=np.float64)
    acc = np.asarray(acc_bits, dtype=np.float64)
    acc_ctx = _ctx_acc(kind, w, CTX_KIND[kind])
    ctx = _loglog(CTX_KIND[kind], ctx_level_key(CTX_KIND[kind]), w, table="ctx_samples")
    narrow = CTX_NARROW_KIND.get(kind)
    if narrow and ctx_tab.get(narrow):
        slope = ctx_acc_slope_ns(kind)
        acc_n = _ctx_acc(kind, w, narrow)
        ctx_n = _loglog(narrow, "period_ns", w, table="ctx_samples")
        return 0.5 * (ctx + slope * (acc - acc_ctx) + ctx_n + slope * (acc - acc_n))
    return ctx + alone - _pe_interp(kind, "period_ns", w, acc_ctx)


def ws_pe_period_ns(kind: str, width: ArrayLike, acc_bits: ArrayLike, pes: ArrayLike) -> Any:
    """Register-to-register period of a WS PE (``wspe_s``, ``wspe_u``) in an array of
    ``pes`` PEs: the level of each WS context array of :data:`CTX_WS` that has samples
    (the 2 x 2 one: :func:`pe_period_ns`; the others by the same construction, their level
    plus the PE alone's dependence on the partial-sum width from that of the context's
    bottom row), interpolated linearly in ``log(pes)`` between the contexts' PE counts and
    held at the first and last (no extrapolation past the sampled contexts). A context's
    level is its PE path alone where the samples record it (:func:`ctx_level_key`).

    Every PE of a flat netlist is mapped by ABC on its own, and the array's clock is the
    slowest: the worst of 16 mappings is not the worst of 4, nor of one. On 2026-12-07 a
    current-weight register made the 2 x 2 context 0.6 ns faster at 10 unsigned bits while
    3 x 3 .. 4 x 4 arrays of 9-11 bits kept their clock (a development set of 16 WS arrays
    of those classes, session 7: 6.3 % mean / 16.5 % worst error from the 2 x 2 level
    alone). The contexts and the interpolation were chosen on development sets drawn apart
    from the held-out configurations (session 8).
    Without samples of the other contexts, the 2 x 2 level.
    """
    w = np.asarray(width, dtype=np.float64)
    ctx_tab = load().get("ctx_samples", {})
    pts = []
    for n, prefix, rows in CTX_WS:
        table_kind = f"{prefix}_{kind[-1]}"
        if table_kind == CTX_KIND[kind]:
            pts.append((n, pe_period_ns(kind, width, acc_bits)))
        elif ctx_tab.get(table_kind):
            acc_ctx = _ctx_acc(kind, w, table_kind, rows)
            level = (
                _loglog(table_kind, ctx_level_key(table_kind), w, table="ctx_samples")
                + _pe_interp(kind, "period_ns", w, acc_bits)
                - _pe_interp(kind, "period_ns", w, acc_ctx)
            )
            pts.append((n, level))
    x = np.log(np.maximum(np.asarray(pes, dtype=np.float64), 1.0))
    out = pts[0][1] + 0.0 * x
    for (n0, y0), (n1, y1) in itertools.pairwise(pts):
        t = np.clip((x - np.log(n0)) / (np.log(n1) - np.log(n0)), 0.0, 1.0)
        out = out + t * (y1 - y0)
    return out


def ws_context_pes(rows: ArrayLike, cols: ArrayLike) -> np.ndarray:
    """The PE count at which :func:`ws_pe_period_ns` reads a WS array's PE level: the
    array's own, except that a one-row array reads the 1 x 1 context's.

    Zeros enter the top PE of each column (``hdl/systolic_pe.WsCol``), so a top-row PE's
    adder folds away and it is a registered multiplier; a one-row array has only such PEs,
    the 1 x 1 context's PE, while the 2 x 2 and 4 x 4 contexts' level is that of PEs with a
    partial-sum adder. Chosen on development sets only (session 8): 85 WS arrays of ws8's sets
    and a new one of 16 arrays
    of 1-4 rows and 1-4 columns, Fmax error mean/worst 4.4/25.8 % -> 4.3/19.0 %; the one-row
    arrays of 1 x 4 PEs at 6 unsigned bits were 21-26 % slow from the 2 x 2 level.
    """
    r = np.asarray(rows)
    return np.where(r == 1, 1, r * np.asarray(cols))


def ws_clock_ns(
    pe_ns: ArrayLike, acc_bits: ArrayLike, psum_bits: ArrayLike, cols: ArrayLike
) -> np.ndarray:
    """A WS array's period from its PE path ``pe_ns`` and its fold queues' path (the bottom
    PE's ``psum_bits`` partial sum into an ``acc_bits`` sum, ``cols`` queues).

    With fold-path samples (the WS contexts' ``fold_ns``, session 9): the expected larger of
    the two paths, each scattered by the flow like equivalent netlists
    (:func:`accelsmith.models.ws_period.expected_max_ns`, the fold path from
    :func:`~accelsmith.models.ws_period.fold_period_ns`). Without them (an older data file):
    the larger of the PE path and the fold queue priced from components, an ``acc_bits``
    ``add`` plus one ``mux`` level less a bare register hop.
    """
    from .ws_period import expected_max_ns, fold_fit, fold_period_ns, rel_sigma

    fit = fold_fit()
    if fit is None:
        acc = np.asarray(acc_bits, dtype=np.float64)
        fold = op_period_ns("add", acc) + op_period_ns("mux", acc) - pipe_period_ns()
        return np.maximum(pe_ns, fold)
    fold = fold_period_ns(psum_bits, cols, fit)
    return expected_max_ns(pe_ns, fold, rel_sigma(pe_ns, fit), rel_sigma(fold, fit))


def _pe_select(is_os: ArrayLike, signed: ArrayLike, w: ArrayLike, acc: ArrayLike, fn) -> Any:
    os_, sg = np.asarray(is_os, dtype=bool), np.asarray(signed, dtype=bool)
    out = np.zeros(np.broadcast(np.asarray(w), np.asarray(acc), os_, sg).shape)
    for o, s_, kind in (
        (True, True, "ospe_s"),
        (True, False, "ospe_u"),
        (False, True, "wspe_s"),
        (False, False, "wspe_u"),
    ):
        out = np.where((os_ == o) & (sg == s_), fn(kind, w, acc), out)
    return out


def _lut_kinds(prefix: str, k: np.ndarray, table: str = "samples") -> list[tuple[int, str]]:
    """The ``(K, tag)`` pairs of the LUT components ``<prefix><K><s|f>...`` in ``table``;
    a ``K`` in ``k`` without samples is declined (never priced as nothing)."""
    have = sorted(
        {
            (int(n[len(prefix)]), n[len(prefix) + 1])
            for n in load().get(table, {})
            if n.startswith(prefix) and n[len(prefix)].isdigit()
        }
    )
    missing = sorted(set(np.unique(k).astype(int).tolist()) - {kk for kk, _ in have})
    if missing:
        sizes = sorted({kk for kk, _ in have})
        raise ConfigError(
            f"group_size must be one of {sizes} at node 130 (the calibrated LUT components), "
            f"not {missing[0]}"
        )
    return have


def lut_ctx_slope_ns(k: int, tag: str) -> float:
    """ns per accumulator bit of the LUT core in context (``K = k``, ``tag`` ``s``/``f``):
    the mean over the sampled widths of the period difference between the 1 x 1 core at
    ``max_k`` 64 (``lutctx<K><tag>``) and at ``max_k`` 4 (``lutctxn<K><tag>``) over their
    accumulator difference (the tile counter narrows with it)."""
    return float(np.mean(list(ctx_pair_slopes(f"lutctx{k}{tag}", f"lutctxn{k}{tag}").values())))


#: the group sizes from which on the 1 x 1 LUT core in context has its worst path into the
#: table registers (the tile counter ``krem`` -> its ``kmask`` compare -> the activation masks
#: -> the precompute chain -> ``tbl``) at ``max_k`` 64 and 4 alike, 0.2-2.7 ns above every
#: other path; at ``K = 2`` (a precompute chain of three adders) the lookup and accumulator
#: lie 0.3-1.2 ns above it. Measured, split by endpoint with :func:`accelsmith.synth.paths.
#: split_periods` on the context cores re-synthesized by the calibration flow (2026-12-07,
#: lut13: K = 2, 3, 4, 5 symmetric and full at 6-bit activations, and K = 4 full at 4, 5, 7
#: and 9 bits at max_k 64 and 4, 6, 9 at max_k 4; bench/results/lut13_2026-12-08.txt).
#: K = 6 was not split; its precompute chain is the longest, taken with K >= 3.
LUT_TABLE_PATH_MIN_K = 3
#: ``max_k`` of the LUT context cores (``lutctx<K><s|f>``) and of their narrow twins
#: (``lutctxn<K><s|f>``): ``accelsmith.synth.components.LUT_CTX_MAX_K`` /
#: ``LUT_CTX_NARROW_MAX_K`` (a test checks they agree)
LUT_CTX_MAX_KS = (64, 4)


def lut_krem_bits(max_k: ArrayLike) -> np.ndarray:
    """Bits of a LUT core's tile counter ``krem`` (``hdl/lut_core.py``: ``Signal(bits_for(
    max_k - 1) + 1)``)."""
    from .rtl_inventory import bits_for

    return bits_for(np.asarray(max_k, dtype=np.int64) - 1) + 1.0


def lut_ctx_krem_slope_ns(k: int, tag: str) -> float:
    """ns per tile-counter bit of the LUT core in context (``K = k``, ``tag`` ``s``/``f``): the
    mean over the sampled widths of the period difference between the 1 x 1 core at ``max_k``
    64 (``lutctx<K><tag>``) and at ``max_k`` 4 (``lutctxn<K><tag>``) over their ``krem``
    difference (7 and 3 bits). Where the table path is the worst (``K >=``
    :data:`LUT_TABLE_PATH_MIN_K`) the pair's difference is that of the counter's compare in
    front of the masks, not of the accumulator (which is narrower too, by as many bits)."""
    wide = {r["width"]: r["period_ns"] for r in load()["ctx_samples"][f"lutctx{k}{tag}"]}
    narrow = {r["width"]: r["period_ns"] for r in load()["ctx_samples"][f"lutctxn{k}{tag}"]}
    bits = lut_krem_bits(LUT_CTX_MAX_KS[0]) - lut_krem_bits(LUT_CTX_MAX_KS[1])
    return float(np.mean([(wide[w] - narrow[w]) / bits for w in sorted(set(wide) & set(narrow))]))


def lut_var_period_ns(kind: str, act_bits: ArrayLike, accw: ArrayLike) -> np.ndarray:
    """Period of a group-size-2 context core ``kind`` (``lutctxm_k2<s|f>``: two rows;
    ``lutctxb<B>_k2<s|f>``: ``B``-bit weights) at ``act_bits``, interpolated in the width
    like the 1 x 1 core (the form leave-one-out chose, :func:`accelsmith.models.calib_cv.
    lut_var_cv`), moved to an ``accw``-bit accumulator below its own by
    :func:`lut_var_slope_ns` and held above it, as the 1 x 1 core."""
    rows = load()["ctx_samples"][kind]
    per = _loglog(kind, "period_ns", act_bits, table="ctx_samples")
    ws = [r["width"] for r in rows]
    acc_ctx = np.interp(act_bits, ws, [r["acc_bits"] for r in rows])
    slope = lut_var_slope_ns(kind)
    return per + slope * (np.minimum(np.asarray(accw, dtype=np.float64), acc_ctx) - acc_ctx)


def lut_var_slope_ns(kind: str) -> float:
    """ns per accumulator bit of a group-size-2 context core ``kind``: for a two-row core
    (the drain) its own, between ``lutctxm[2]_k2<s|f>`` (``max_k`` 64) and
    ``lutctxmn[2]_k2<s|f>`` (``max_k`` 4), pooled over the widths (the bias subtraction
    maps to a ripple chain, ~0.4 ns a bit, in the one-column core); otherwise, or without
    those samples, the 1 x 1 ``K = 2`` core's (:func:`lut_ctx_slope_ns`); 0 without
    either. Leave-one-out over the pairs (:func:`accelsmith.models.calib_cv.lut_acc_cv`)
    compares each slope with none."""
    ctx = load()["ctx_samples"]
    tag = kind[-1]
    narrow = kind.replace("lutctxm", "lutctxmn", 1)
    if kind.startswith("lutctxm") and narrow in ctx:
        return float(np.mean(list(ctx_pair_slopes(kind, narrow).values())))
    return lut_ctx_slope_ns(2, tag) if f"lutctxn2{tag}" in ctx else 0.0


def lut_drain1_ns(tag: str, accw: ArrayLike) -> np.ndarray | None:
    """The drain level of a one-column LUT core of two or more rows, ns, at an ``accw``-bit
    accumulator (bias bit included), symmetric (``tag`` ``s``) or full (``f``) table; None
    when the data file has no drain paths (``drain_ns``, older calibrations).

    The drain does not see the activations: its path depends on the accumulator width
    alone. Its samples are the drain paths of the one-column drain cores
    (:data:`LUT_DRAIN1_KINDS`: 2-bit weights at ``max_k`` 64 and 4, 1- and 3-bit at 64;
    :func:`accelsmith.synth.paths.split_periods`, so a drain hidden under a longer row path
    is still measured), pooled by accumulator width: at each width the slowest sample, then
    the running maximum over the widths, piecewise-linear between the widths, held above the
    widest, extended below the narrowest along the first segment. Until session 7 the drain
    was one stage (``drow`` -> row select -> bias subtraction -> output register), which ABC
    mapped as a ``maj3`` ripple up to its delay target (~5.4-5.6 ns) or, unpredictably,
    faster. Since session 8 the generator splits it over two register stages
    (:func:`accelsmith.core.latency.lut_core.split_drain`): its samples (into the output
    registers and the first stage) lie at 2.1-3.8 ns, 1.2-4.1 ns under the row path
    of every sampled core (tests/synth/test_calibration.py), so this level is a floor that
    does not bind at the sampled shapes (deeper row selects add ``mux`` levels to it,
    :meth:`CalibratedTech.lut_core_paths`)."""
    ctx = load().get("ctx_samples", {})
    pts: dict[float, float] = {}
    for pre in LUT_DRAIN1_KINDS:
        for r in ctx.get(f"{pre}{tag}", []):
            if r.get("drain_ns") is not None:
                a = float(r["acc_bits"])
                pts[a] = max(pts.get(a, 0.0), float(r["drain_ns"]))
    if len(pts) < 2:
        return None
    xs = np.array(sorted(pts))
    ys = np.maximum.accumulate([pts[x] for x in xs])
    a = np.asarray(accw, dtype=np.float64)
    first = (ys[1] - ys[0]) / (xs[1] - xs[0])
    return np.where(a < xs[0], ys[0] + first * (a - xs[0]), np.interp(a, xs, ys))


def lut_row1_ns(tag: str, act_bits: ArrayLike, accw: ArrayLike) -> np.ndarray | None:
    """The row path of a one-column two-row ``K = 2`` core at 2-bit weights, ns (its worst
    path into every register but the outputs, :func:`accelsmith.synth.paths.split_periods`),
    at ``act_bits`` and an ``accw``-bit accumulator; None without those samples.

    Between the one-column drain cores at ``max_k`` 4 and 64 (``lutctxmn_k2<tag>``,
    ``lutctxm_k2<tag>``), both at every activation width: at each, linear in the
    accumulator width between the two (the tile counter and the adders narrow together),
    held outside them; interpolated in ``act_bits`` between the widths. In these cores the
    row path at the same activations moves by up to 1.3 ns between the two reductions
    (act 8: 4.05 -> 5.32 ns), where the 1 x 1 core's pooled slope gives 0.4 ns. Chosen on the
    development set of one-column two-row cores (``bench/bench_lut_drain1_dev.py``)."""
    ctx = load().get("ctx_samples", {})
    wide = {r["width"]: r for r in ctx.get(f"lutctxm_k2{tag}", [])}
    narrow = {r["width"]: r for r in ctx.get(f"lutctxmn_k2{tag}", [])}
    ws = sorted(w for w in set(wide) & set(narrow) if "row_ns" in wide[w] and "row_ns" in narrow[w])
    if len(ws) < 2:
        return None

    def at(table: dict[int, dict[str, Any]], key: str) -> np.ndarray:
        return np.interp(act_bits, ws, [table[w][key] for w in ws])

    lo, hi = at(narrow, "acc_bits"), at(wide, "acc_bits")
    frac = np.clip((np.asarray(accw, dtype=np.float64) - lo) / (hi - lo), 0.0, 1.0)
    return at(narrow, "row_ns") + frac * (at(wide, "row_ns") - at(narrow, "row_ns"))


def lut_row1_wb_ns(
    tag: str,
    bits: int,
    act_bits: ArrayLike,
    accw: ArrayLike,
    weight_bits: ArrayLike | None = None,
) -> np.ndarray | None:
    """The row path of a one-column two-row ``K = 2`` core at ``weight_bits``-bit weights
    (default ``bits``), ns, at ``act_bits`` and an ``accw``-bit accumulator, from the
    ``bits``-bit drain cores (1: no plane shift before the accumulator; 3: two shift stages,
    which 4-bit weights have too); None without the samples.

    Those cores' own row paths (``lutctxmb<bits>_k2<tag>``, ``max_k`` 64, every activation
    width), interpolated in ``act_bits``, moved to ``accw`` as the 2-bit cores' row path
    moves (:func:`lut_row1_ns`): a ``B``-bit core's accumulator is ``B - 2`` bits wider than
    the 2-bit core's at the same activations and ``max_k``, so the 2-bit row is read at
    ``accw - (weight_bits - 2)`` against the sampled core's accumulator less ``bits - 2``."""
    rows = [
        r for r in load().get("ctx_samples", {}).get(f"lutctxmb{bits}_k2{tag}", []) if "row_ns" in r
    ]
    if len(rows) < 2:
        return None
    wb = np.asarray(bits if weight_bits is None else weight_bits, dtype=np.float64)
    ws = [r["width"] for r in rows]
    own = np.interp(act_bits, ws, [r["row_ns"] for r in rows])
    acc_own = np.interp(act_bits, ws, [r["acc_bits"] for r in rows])
    at = lut_row1_ns(tag, act_bits, np.asarray(accw, dtype=np.float64) - (wb - 2))
    ref = lut_row1_ns(tag, act_bits, acc_own - (bits - 2))
    if at is None or ref is None:
        return None
    return own + (at - ref)


#: PEs of the wide 3-bit context core ``lutctxw_k2<s|f>`` (one row of
#: ``synth.components.LUT_CTX_WIDE_TILE_N``; a test checks them)
LUT_WIDE_PES = 3


def lut_b3_level_ns(
    tag: str, act_bits: ArrayLike, accw: ArrayLike, pes: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """The 3-bit-weight level of a ``K = 2`` LUT core of ``pes`` PEs (``tile_m x tile_n``),
    ns, and the flag loads (``accw`` per PE) its context already holds: between the 1 x 1
    core (``lutctxb3_k2<tag>``) and the one-row core of :data:`LUT_WIDE_PES` PEs
    (``lutctxw_k2<tag>``),
    both by :func:`lut_var_period_ns`, linear in ``log(pes)``, held at the wider core
    beyond it (the flags' fan-out beyond its loads is added by the caller, as for every
    shape).

    ABC maps the accumulator of the 1 x 1 core at 3-bit weights half as a fast carry chain
    and that of a row of three PEs as a full ``maj3`` ripple: at 5-bit activations the wider
    core is 10 % slower (4.24 against 4.65 ns, symmetric tables), at 9 bits 1-2 %; the
    1 x 1 level left the multi-PE cores of 3-bit weights 4 % fast on average on seeds 15,
    2612 and 3141 (12.9 % on ``lut_k2_w3a5_1x3_sym`` of seed 3141, whose four equivalent
    netlists lie within 2.1 % of their median). Chosen on development data
    (session 12, small12: ``bench/results/silicon_asic_small_2026-12-07j.txt``), the same
    construction as the WS PE's level over its PE count (:func:`ws_pe_period_ns`)."""
    n_wide = LUT_WIDE_PES
    one = lut_var_period_ns(f"lutctxb3_k2{tag}", act_bits, accw)
    wide = lut_var_period_ns(f"lutctxw_k2{tag}", act_bits, accw)
    n = np.maximum(np.asarray(pes, dtype=np.float64), 1.0)
    t = np.clip(np.log(n) / np.log(n_wide), 0.0, 1.0)
    return one + t * (wide - one), np.asarray(accw, dtype=np.float64) * np.minimum(n, n_wide)


def lut_row_logic_um2(k: ArrayLike, sym: ArrayLike, tile_n: int, act: ArrayLike) -> np.ndarray:
    """Logic of the LUT core's row component ``lutrow<K><s|f><tile_n>`` at ``act`` bits
    (log-log in ``act`` between the sampled widths; every ``K`` the family allows)."""
    k, sym, act = np.broadcast_arrays(np.asarray(k), np.asarray(sym, dtype=bool), act)
    out = np.zeros(k.shape)
    for kk, tag in _lut_kinds("lutrow", k):
        val = _loglog(f"lutrow{kk}{tag}{tile_n}", "logic_um2", act)
        out = np.where((k == kk) & (sym == (tag == "s")), val, out)
    return out


def calibration_conditions() -> tuple[float, float]:
    """Clock (MHz) and switching activity (toggles per cycle) the components were powered at."""
    prov = load()["provenance"]
    return 1000.0 / float(prov["clock_ns"]), float(prov["activity"])


def flop_clock_energy_j() -> float:
    """Energy one flip-flop draws per clock cycle with its data still (``reg0``: the ``reg``
    component powered at activity 0, i.e. the clock pin's internal power alone)."""
    rows = load()["samples"]["reg0"]
    return float(np.mean([r["seq_energy_j"] / r["flops"] for r in rows]))


def flop_energy_j() -> float:
    """Energy of one flip-flop per cycle at the calibration's activity (clock + data)."""
    return _reg("energy")


def logic_energy_j_per_um2() -> float:
    """Energy per cycle per um^2 of logic at the calibration's activity (all components
    pooled: combinational-group power over combinational + buffer area, at the clock)."""
    rows = [r for k, v in load()["samples"].items() if k not in ("reg", "reg0", "pipe") for r in v]
    return float(sum(r["energy_j"] for r in rows) / sum(r["op_area_um2"] for r in rows))


def flow_power_w(
    flops: ArrayLike, logic_um2: ArrayLike, freq_mhz: ArrayLike, activity: ArrayLike
) -> np.ndarray:
    """Power of a design as ``accelsmith synth`` reports it (OpenSTA, vectorless).

    ``flops`` flip-flops and ``logic_um2`` of combinational + buffer area clocked at
    ``freq_mhz`` with every net toggling ``activity`` times per cycle: each flip-flop draws its
    clock energy every cycle plus a data part, and logic a data part, both linear in the
    activity between 0 and the calibration's activity (extrapolated above it). Leakage
    (nW here) is left out.
    """
    a_cal = calibration_conditions()[1]
    x = np.asarray(activity, dtype=np.float64) / a_cal
    e_clk = flop_clock_energy_j()
    e_ff = e_clk + x * (flop_energy_j() - e_clk)
    e_logic = x * logic_energy_j_per_um2()
    f_hz = np.asarray(freq_mhz, dtype=np.float64) * 1e6
    return (np.asarray(flops, dtype=np.float64) * e_ff + np.asarray(logic_um2) * e_logic) * f_hz


def leakage_w_per_um2() -> float:
    """Leakage power density of the synthesized components (all samples pooled), W/um^2."""
    rows = [r for kind in load()["samples"].values() for r in kind]
    return float(sum(r["leakage_w"] for r in rows) / sum(r["area_um2"] for r in rows))


def _reg(key: str) -> float:
    rows = load()["samples"]["reg"]
    field = {"area": "seq_area_um2", "energy": "seq_energy_j"}[key]
    return float(np.mean([r[field] / r["width"] for r in rows]))


@dataclasses.dataclass(frozen=True, kw_only=True)
class CalibratedTech(Tech):
    """:class:`Tech` at 130 nm whose integer operators and registers are calibrated.

    Integer multiply/add and register area and energy, leakage density and SRAM area come
    from :mod:`accelsmith.models.calib` (sky130_fd_sc_hd synthesis of this project's
    components); everything else is the scaled 45 nm table of :class:`Tech`. Values given in
    a ``--tech`` file still win for the fields they name (the calibrated methods are used only
    while the field keeps its default).
    """

    def _cal(self, name: str) -> bool:
        return getattr(self, name) == getattr(Tech, name)

    def int_add_energy_j(self, bits: ArrayLike) -> np.ndarray:
        if not (self._cal("int_add_pj_8") and self._cal("int_add_pj_32")):
            return super().int_add_energy_j(bits)
        return op_energy_j("add", bits)

    def int_mul_energy_j(self, bits: ArrayLike) -> np.ndarray:
        if not (self._cal("int_mul_pj_8") and self._cal("int_mul_pj_32")):
            return super().int_mul_energy_j(bits)
        return op_energy_j("mul", bits)

    def reg_energy_j(self, bits: ArrayLike) -> np.ndarray:
        if not self._cal("reg_pj_per_bit"):
            return super().reg_energy_j(bits)
        return np.asarray(bits, dtype=np.float64) * _reg("energy")

    def int_add_area_um2(self, bits: ArrayLike) -> np.ndarray:
        if not (self._cal("int_add_um2_8") and self._cal("int_add_um2_32")):
            return super().int_add_area_um2(bits)
        return op_area_um2("add", bits)

    def int_mul_area_um2(self, bits: ArrayLike) -> np.ndarray:
        if not (self._cal("int_mul_um2_8") and self._cal("int_mul_um2_32")):
            return super().int_mul_area_um2(bits)
        return op_area_um2("mul", bits)

    def reg_area_um2(self, bits: ArrayLike) -> np.ndarray:
        if not self._cal("reg_um2_per_bit"):
            return super().reg_area_um2(bits)
        return np.asarray(bits, dtype=np.float64) * _reg("area")

    def leakage_w(self, area_um2: ArrayLike) -> np.ndarray:
        if not self._cal("leakage_w_per_um2"):
            return super().leakage_w(area_um2)
        return np.asarray(area_um2, dtype=np.float64) * leakage_w_per_um2()

    def sram_area_um2(self, capacity_bytes: ArrayLike) -> np.ndarray:
        if not (self._cal("sram_bitcell_um2") and self._cal("sram_array_efficiency")):
            return super().sram_area_um2(capacity_bytes)
        bits = np.asarray(capacity_bytes, dtype=np.float64) * 8.0
        return bits * SRAM_UM2_PER_BIT

    def flop_clock_energy_j(self) -> float:
        """Energy per flip-flop per clock cycle, data still (:func:`flop_clock_energy_j`)."""
        return flop_clock_energy_j()

    def flow_power_w(
        self, flops: ArrayLike, logic_um2: ArrayLike, freq_mhz: ArrayLike
    ) -> np.ndarray:
        """Power as ``accelsmith synth`` reports it at ``freq_mhz`` and the calibration's
        vectorless activity (:func:`flow_power_w`)."""
        return flow_power_w(flops, logic_um2, freq_mhz, calibration_conditions()[1])

    def systolic_logic(
        self,
        rows: ArrayLike,
        cols: ArrayLike,
        in_bits: ArrayLike,
        acc_bits: ArrayLike,
        is_os: ArrayLike,
        signed: ArrayLike,
        max_k: ArrayLike,
    ) -> dict[str, np.ndarray]:
        """Logic area (um^2) and the flip-flop count of a systolic array, from components.

        The inventory (:func:`accelsmith.models.rtl_inventory.systolic_inventory`) counts the
        flip-flops synthesis keeps and the PEs; the area is ``flops`` x one flip-flop
        (``reg``) + ``pes`` x the generator's own PE synthesized as a component (``ospe_*`` /
        ``wspe_*`` at ``in_bits`` and ``acc_bits``, its logic only: :func:`pe_logic_um2`) +
        the
        enable multiplexer of every other flip-flop (``fan``: the array-wide advance gates
        them all) + the OS drain multiplexer, the WS fold adders and the two control
        counters (``add``).
        """
        from .rtl_inventory import systolic_inventory, ws_psum_bits

        inv = systolic_inventory(rows, cols, in_bits, acc_bits, is_os, max_k, signed)
        w = np.asarray(in_bits, dtype=np.float64)
        acc = np.asarray(acc_bits, dtype=np.float64)
        os_ = np.asarray(is_os, dtype=bool)
        r = np.asarray(rows, dtype=np.int64)
        en = enable_um2_per_flop(inv["flops"] - inv["pe_flops"])
        seq = inv["flops"] * flop_area_um2()
        # WS: PE i of a column adds onto a partial sum of i + 1 products, only as wide as
        # those need (the generator's ws_psum_shape, as in the inventory): each PE at its width
        i = np.arange(int(np.max(r)) if r.size else 1)
        sg = np.asarray(signed)[..., None]
        acc_i = ws_psum_bits(w[..., None], sg, acc[..., None], i + 1)
        ws_i = _pe_select(False, sg, w[..., None], acc_i, pe_logic_um2)
        ws = np.asarray(cols) * np.sum(ws_i * (i < r[..., None]), axis=-1)
        os_pe = inv["pes"] * _pe_select(True, signed, w, acc, pe_logic_um2)
        pe_area = np.where(os_, os_pe, ws) - inv["edge_pe_flops"] * en
        pe_area = pe_area - inv["zero_ps_adders"] * logic_um2("add", 2 * w)
        mux = inv["drain_mux_bits"] * logic_um2("mux", acc) / acc
        other = (
            (inv["flops"] - inv["pe_flops"]) * en
            + mux
            + inv["fold_adders"] * logic_um2("add", acc)
            + logic_um2("add", inv["kcnt_bits"])
            + logic_um2("add", 4)  # the in-flight tile counter
        )
        ff = flop_area_um2()
        array = pe_area + inv["pe_flops"] * ff
        skew = inv["skew_flops"] * (ff + en)
        return {
            "flops": inv["flops"],
            "logic_um2": pe_area + other,
            "area_array_um2": array,
            "area_skew_um2": skew,
            "area_control_um2": seq + pe_area + other - array - skew,
            "area_um2": seq + pe_area + other,
        }

    def lut_core_period_ns(
        self,
        group_size: ArrayLike,
        symmetric: ArrayLike,
        act_bits: ArrayLike,
        tile_m: ArrayLike = 1,
        tile_n: ArrayLike = 2,
        accw: ArrayLike = 16,
        weight_bits: ArrayLike = 2,
        *,
        max_k: ArrayLike | None = None,
        one_col_form: str = "slow",
        one_col_drain: str = "accw",
        one_col_row: str = "ctx",
    ) -> np.ndarray:
        """Clock period a LUT tensor core needs, ns (pre-layout, typical corner).

        The level is the generator's smallest core synthesized whole (``lutctx<K><s|f>`` in
        ``ctx_samples``: ``tile_m = tile_n = 1``, interpolated in ``act_bits`` like the
        operators): its worst paths are the row's (table precompute into the table registers,
        lookup, shift-and-accumulate) with the control in front of them as in every core (the
        tile counter's activation-mask compare before the mask multiplexers), which the row
        component alone (``lutrow``, every input from a register) leaves out. A bigger tile
        fans the mask and plane flags (one load per accumulator bit of every PE) out further:
        ``tile_m * tile_n * accw`` loads against the 1 x 1 core's ``accw``, the difference
        costed by the ``fan`` component. Without context samples (an older calibration file),
        the slower of the row components at 1 and 2 PEs, the fan-out counted from their
        ``2 * accw`` loads. A narrower accumulator than the context's (``max_k`` 64) moves
        the period by :func:`lut_ctx_slope_ns` per bit, the slope between the core at
        ``max_k`` 64 and 4 (``lutctxn``; the tile counter's compare narrows with it), which
        leave-one-out over the context samples
        (:func:`accelsmith.models.calib_cv.lut_acc_cv`) chose over none. A wider one is held
        at the context's level: the slope mixes the counter compare (logarithmic in
        ``max_k``) with the adder, and no sample lies beyond ``max_k`` 64 to extend it (the
        default core, ``max_k`` 16384, 2 x 16: 153 MHz held, 136 MHz extended, against
        155.8 MHz synthesized by the same flow in session 3).

        Session 13 (lut13): from group size :data:`LUT_TABLE_PATH_MIN_K` on, the context
        core's worst path is its table path (the tile counter's compare -> activation masks
        -> precompute -> table registers), not the accumulator, at both reductions; so with
        ``max_k`` given the level moves with the tile counter's width instead
        (:func:`lut_ctx_krem_slope_ns` per bit below the context's 7 bits, held above): a
        core whose weights or activations narrow only its accumulator keeps the context's
        table path. The 3142 draw's K = 4 full cores at ``max_k`` 60 (the context's counter
        width) and 1-bit weights were priced 0.3-0.5 ns fast by the accumulator slope
        (lut_k4_w1a5_1x2_full +12.3 %, worst path ``krem[5] -> row0.tbl15``). That path's
        fan-out is the mask's to every row's activation masks (``act_bits`` loads a row:
        ``fan`` at ``tile_m * act_bits`` against the context's ``act_bits``), not the
        flags' to the PEs' accumulators, which stays on the other paths (the 3-bit floor
        below). Over the 40 K >= 3 cores of the seed-15, 76000 and 76001 draws (table path
        the worst in every one split, bench/results/lut13_2026-12-08.txt), Fmax mean /
        worst |error| 3.16 / 10.26 % with the flags' fan-out on the table path, 2.81 / 6.82
        % with the mask's. Without ``max_k`` the counter is taken to narrow with the
        accumulator and the flags' fan-out is added (the form before).

        Two paths the 1 x 1 core at 2-bit weights does not have are taken from the same
        core at group size 2 in the shape that has them (:func:`lut_var_period_ns`, the same
        accumulator correction): at 3- and 4-bit weights the two-stage plane shift before
        the accumulator (``lutctxb3_k2``, at 3-bit weights: the period of a ``K = 2`` core,
        a floor under a bigger ``K``'s), and with two or more rows the drain
        (``drow`` -> row select -> bias subtraction -> output register, with its own
        accumulator slope: ``lutctxm2_k2`` for two or more columns; a floor under every core
        of ``tile_m >= 2``; one ``mux`` level more per doubling of the rows beyond two, and
        the row flags' fan-out against that core's ``2 x columns x accw`` loads). Which of
        these floors to apply was decided on a development set of two-row cores, never the
        held-out rows (``bench/bench_lut_drain_dev.py``). Since session 12 the 3-bit level
        moves with the core's PEs between the 1 x 1 core and a one-row core of three PEs
        (``lutctxw_k2``, :func:`lut_b3_level_ns`), the flags' fan-out counted beyond that
        core's loads. At 1-bit weights a one-row ``K = 2``
        core takes its level from the 1 x 1 core at 1-bit weights (``lutctxb1_k2``, 0.4-0.9
        ns faster than at 2 bits up to 8-bit activations), chosen on a development set of 14
        one-row cores (``bench_lut_drain_dev.py --rows 1 --weight-bits 1``: 9.1 % mean /
        20.0 % worst at the 2-bit level, 4.2 / 15.2 % with it).

        One column, two or more rows (session 7, :meth:`lut_core_paths`): the drain level is
        a function of the accumulator width (:func:`lut_drain1_ns`, the slow ``maj3``
        ripple up to ABC's delay target, from the drain paths of the one-column drain cores:
        ``one_col_drain`` ``"accw"``; ``"act"`` is session 6's interpolation of the
        ``lutctxm_k2`` core's whole period in ``act_bits``, which took a fast-mapped sample
        at act 6 for the level), and at ``K = 2`` the row path is those cores' own
        (:func:`lut_row1_ns`, ``one_col_row`` ``"ctx"``; ``"1x1"``: the 1 x 1 core's level as
        for the other shapes). ABC maps the drain's bias subtraction in one of two ways that
        the parameters do not decide: a ripple of ``maj3`` cells whose falling edge runs the
        whole chain (~0.43 ns a bit, the drain level) or a chain with an inverting cell inside
        (the drain then lies well below, usually under the row path). Both occur at the same
        accumulator width and weight bits, for symmetric and for full tables (development
        sets: 63 cores at ``max_k`` 8 and 32, 39 at ``max_k`` 16, ``bench/bench_lut_drain1_
        dev.py``; e.g. the 1-bit-weight symmetric cores mapped slow at every act at ``max_k``
        8 and 32 but fast at act 7 and 8 at ``max_k`` 16, and at act 4-5 in the
        ``lutctxmb1_k2s`` samples). So the period is the midpoint of the row path and the
        drain floor (``one_col_form`` ``"mid"``), the smallest worst error against both
        outcomes. Over those 103 cores (mean / worst %): session 6's form
        (``"mid_sym"``, ``"act"``, ``"1x1"``) 5.7 / 15.2, with the drain by accumulator width
        and the cores' row path 4.7 / 15.8, with the midpoint for full tables too (the model)
        5.4 / 13.3; that last step was chosen after the ``max_k`` 16 set showed fast full-table
        drains. On 42 cores at ``max_k`` 100, synthesized afterwards and used for no choice:
        4.2 / 14.6 -> 3.8 / 11.8 (``bench/results/lut_drain1_dev_2026-12-07f.txt``). Where
        the row path lies far below the slow drain (narrow activations), no single number is
        within 10 % of both outcomes: the midpoint's error there is half their spread (11-13 %
        on those sets).

        Session 8: the generator splits that one-column drain over two register stages
        (:func:`accelsmith.core.latency.lut_core.split_drain`, one cycle more per tile), so
        the hardware path is stable: re-synthesized, the one-column drain cores' drain paths
        lie at 2.1-3.8 ns, 1.2-4.1 ns under their row paths (tests/synth). The period is the
        slower of the row path and the drain floor (``one_col_form`` ``"slow"``, the default;
        the floor binds only for deep row selects, e.g. 16 rows at wide accumulators), and at
        1-, 3- and 4-bit weights the row path is the 1- or 3-bit drain cores' own
        (:func:`lut_row1_wb_ns`, ``one_col_row`` ``"ctx"``; ``"ctx1"``: 1-bit only, 3-bit at
        least the 1 x 1 core's 3-bit level; ``"ctx2"``: session 7's 2-bit row one
        accumulator bit wider for 1-bit weights). Chosen on 40 new cores at ``max_k`` 16
        (``bench/results/lut_drain1_dev_2026-12-07g.txt`` and ``...h16.txt``, mean / worst
        %): the midpoint (``"mid"``) and the floor give the same 5.5 / 13.8 (the floor never
        binds there), the 1-bit row 5.1 / 13.8 (1-bit cores 5.8 / 11.1 -> 4.5 / 8.4), the
        3-bit row too 4.0 / 11.5 (3-bit cores 6.8 / 13.8 -> 3.7 / 9.8). Checked afterwards on
        42 cores at ``max_k`` 100 (``...h.txt``, ``...i.txt``, no choice): 5.2 / 14.9 ->
        3.8 / 12.2 -> 2.3 / 12.2.
        """
        for name, value, forms in (
            ("one_col_form", one_col_form, LUT_ONE_COL_FORMS),
            ("one_col_drain", one_col_drain, LUT_ONE_COL_DRAIN_FORMS),
            ("one_col_row", one_col_row, LUT_ONE_COL_ROW_FORMS),
        ):
            if value not in forms:
                raise ConfigError(f"{name} must be one of {', '.join(forms)}, not {value!r}")
        paths = self.lut_core_paths(
            group_size,
            symmetric,
            act_bits,
            tile_m,
            tile_n,
            accw,
            weight_bits,
            max_k=max_k,
            one_col_drain=one_col_drain,
            one_col_row=one_col_row,
        )
        row, drain = paths["row"], paths["drain"]
        if drain is None:
            return row
        mid = np.asarray(tile_n) == 1
        if one_col_form == "slow":
            mid = np.zeros_like(mid)
        elif one_col_form == "mid_sym":
            mid = mid & np.asarray(symmetric, dtype=bool)
        floor = np.maximum(row, drain)
        floor = np.where(mid, 0.5 * (row + floor), floor)
        return np.where(np.asarray(tile_m) >= 2, floor, row)

    def lut_core_paths(
        self,
        group_size: ArrayLike,
        symmetric: ArrayLike,
        act_bits: ArrayLike,
        tile_m: ArrayLike = 1,
        tile_n: ArrayLike = 2,
        accw: ArrayLike = 16,
        weight_bits: ArrayLike = 2,
        *,
        max_k: ArrayLike | None = None,
        one_col_drain: str = "accw",
        one_col_row: str = "ctx",
    ) -> dict[str, Any]:
        """The two paths :meth:`lut_core_period_ns` combines, ns: ``row`` (the row path with
        the flags' fan-out) and ``drain`` (the drain floor of a core of two or more rows;
        None without the drain context cores in the data file); ``max_k``,
        ``one_col_drain`` and ``one_col_row`` as there."""
        k = np.asarray(group_size)
        sym = np.asarray(symmetric, dtype=bool)
        out = np.zeros(np.broadcast(k, sym, np.asarray(act_bits)).shape)
        accw = np.asarray(accw, dtype=np.float64)
        loads = np.asarray(tile_m) * np.asarray(tile_n) * accw
        ctx = load().get("ctx_samples", {})
        drain = None
        # the table path of a group size from LUT_TABLE_PATH_MIN_K on (with max_k), apart
        table = np.zeros(out.shape)
        if any(n.startswith("lutctx") for n in ctx):
            for kk, tag in _lut_kinds("lutctx", k, "ctx_samples"):
                name = f"lutctx{kk}{tag}"
                per = _loglog(name, "period_ns", act_bits, table="ctx_samples")
                if f"lutctxn{kk}{tag}" in ctx and max_k is not None and kk >= LUT_TABLE_PATH_MIN_K:
                    # the table path: the tile counter's width, in context, and the mask's
                    # fan-out to every row's activation masks (act_bits loads a row)
                    krem_ctx = lut_krem_bits(LUT_CTX_MAX_KS[0])
                    deficit = np.minimum(lut_krem_bits(max_k), krem_ctx) - krem_ctx
                    per = per + lut_ctx_krem_slope_ns(kk, tag) * deficit
                    rows_act = np.asarray(tile_m) * np.asarray(act_bits, dtype=np.float64)
                    mask_fan = fanout_period_ns(rows_act) - fanout_period_ns(act_bits)
                    sel = (k == kk) & (sym == (tag == "s"))
                    table = np.where(sel, per + np.maximum(0.0, mask_fan), table)
                    continue  # the other paths' level: only the floors below
                elif f"lutctxn{kk}{tag}" in ctx:  # the accumulator's effect, in context
                    ws = [r["width"] for r in ctx[name]]
                    acc_ctx = np.interp(act_bits, ws, [r["acc_bits"] for r in ctx[name]])
                    per = per + lut_ctx_slope_ns(kk, tag) * (np.minimum(accw, acc_ctx) - acc_ctx)
                out = np.where((k == kk) & (sym == (tag == "s")), per, out)
            base_loads = accw
            b = np.asarray(weight_bits)
            pes = np.asarray(tile_m) * np.asarray(tile_n)
            for tag in "sf":
                if f"lutctxb3_k2{tag}" not in ctx:
                    continue
                var = lut_var_period_ns(f"lutctxb3_k2{tag}", act_bits, accw)
                sel = (b >= 3) & (sym == (tag == "s"))
                if f"lutctxw_k2{tag}" in ctx:  # the 3-bit level at the core's PEs, with
                    # the flags' fan-out beyond its own loads (the common term below adds
                    # the fan-out beyond the 1 x 1 core's, taken back here)
                    var, wide_loads = lut_b3_level_ns(tag, act_bits, accw, pes)
                    var = (
                        var
                        + np.maximum(0.0, fanout_period_ns(loads) - fanout_period_ns(wide_loads))
                        - np.maximum(0.0, fanout_period_ns(loads) - fanout_period_ns(accw))
                    )
                out = np.where(sel, np.where(k == 2, var, np.maximum(out, var)), out)
                if f"lutctxb1_k2{tag}" in ctx:  # 1-bit weights, K = 2, one row
                    var = lut_var_period_ns(f"lutctxb1_k2{tag}", act_bits, accw)
                    sel = (b == 1) & (k == 2) & (np.asarray(tile_m) == 1) & (sym == (tag == "s"))
                    out = np.where(sel, var, out)
            tm, tn = np.asarray(tile_m), np.asarray(tile_n)
            if all(f"lutctxm_k2{t}" in ctx for t in "sf"):
                # the context core of one column for one column, of two (when sampled) for more
                drain = np.zeros(out.shape)
                for n, ctx_tn in (("", 1), ("2", 2)):
                    if not all(f"lutctxm{n}_k2{t}" in ctx for t in "sf"):
                        continue
                    d = np.where(
                        sym,
                        lut_var_period_ns(f"lutctxm{n}_k2s", act_bits, accw),
                        lut_var_period_ns(f"lutctxm{n}_k2f", act_bits, accw),
                    )
                    by_accw = [lut_drain1_ns(t, accw) for t in "sf"]
                    if (
                        ctx_tn == 1
                        and one_col_drain == "accw"
                        and all(x is not None for x in by_accw)
                    ):
                        d = np.where(sym, by_accw[0], by_accw[1])
                    d = d - fanout_period_ns(2 * ctx_tn * accw)
                    drain = np.where((tn >= 2) | (ctx_tn == 1), d, drain)
                mux = op_period_ns("mux", np.maximum(accw, 2.0)) - pipe_period_ns()
                extra = np.maximum(np.ceil(np.log2(np.maximum(tm, 1))) - 1, 0) * mux
                drain = drain + extra + fanout_period_ns(loads)
        else:
            for kk, tag in _lut_kinds("lutrow", k):
                per = np.maximum(
                    _loglog(f"lutrow{kk}{tag}1", "period_ns", act_bits),
                    _loglog(f"lutrow{kk}{tag}2", "period_ns", act_bits),
                )
                out = np.where((k == kk) & (sym == (tag == "s")), per, out)
            base_loads = 2 * accw
        row = out + np.maximum(0.0, fanout_period_ns(loads) - fanout_period_ns(base_loads))
        row = np.maximum(row, table)
        tm, tn, b = np.asarray(tile_m), np.asarray(tile_n), np.asarray(weight_bits)
        by_ctx = [lut_row1_ns(t, act_bits, accw + (b == 1)) for t in "sf"]
        if one_col_row != "1x1" and all(x is not None for x in by_ctx):
            # one column, two or more rows, K = 2: the drain cores' row path (one_col_row:
            # 1-, 3- and 4-bit weights from the 1- and 3-bit drain cores, or session 7's
            # 2-bit core one accumulator bit wider and at least the level above), its flags'
            # fan-out against those cores' 2 x accw loads
            r1 = np.where(sym, by_ctx[0], by_ctx[1])
            b1 = [lut_row1_wb_ns(t, 1, act_bits, accw) for t in "sf"]
            if one_col_row in ("ctx", "ctx1") and all(x is not None for x in b1):
                r1 = np.where(b == 1, np.where(sym, b1[0], b1[1]), r1)
            b3 = [lut_row1_wb_ns(t, 3, act_bits, accw, b) for t in "sf"]
            own3 = one_col_row == "ctx" and all(x is not None for x in b3)
            if own3:  # 3- and 4-bit weights: the 3-bit drain cores' row
                r1 = np.where(b >= 3, np.where(sym, b3[0], b3[1]), r1)
            r1 = r1 + np.maximum(0.0, fanout_period_ns(loads) - fanout_period_ns(2 * accw))
            if not own3:  # 3- and 4-bit weights: at least the level above
                r1 = np.where(b >= 3, np.maximum(r1, row), r1)
            row = np.where((tm >= 2) & (tn == 1) & (k == 2), r1, row)
        return {"row": row, "drain": drain}

    def lut_core_logic(self, **p: ArrayLike) -> dict[str, np.ndarray]:
        """Logic area (um^2) and flip-flops of a LUT tensor core, from components.

        ``p``: the :class:`~accelsmith.core.families.lut_core.LutCoreParams` fields
        ``group_size, weight_bits, act_bits, tile_m, tile_n, entry_bits, table_entries,
        acc_bits, bias_correction, symmetric, max_k``. The generator's own row
        (``LutRow``: activation masks, table precompute, table registers, bias sum, and
        ``tile_n`` PEs) is a calibration component at ``tile_n`` 1 and 2 (``lutrow<K><s|f><n>``,
        :func:`lut_row_logic_um2`): their difference is one PE, the rest the row's shared part.
        The components are at 2-bit weights, ``max_k`` 64 and bias correction on; the PE is
        corrected to this accumulator (``add``) and plane shifter (``mux`` bits per extra
        shift stage), the row without bias correction loses its bias adder and negation. The
        core adds ``tile_m`` rows, the drain (row select multiplexers, bias subtractors) and
        the control flip-flops (each with its enable, ``fan``); the flip-flops are counted by
        :func:`accelsmith.models.rtl_inventory.lut_core_inventory`.
        """
        from .rtl_inventory import lut_core_inventory

        keys = (
            "weight_bits",
            "tile_m",
            "tile_n",
            "entry_bits",
            "table_entries",
            "acc_bits",
            "bias_correction",
            "max_k",
        )
        inv = lut_core_inventory(*(p[k] for k in keys))
        f = {k: np.asarray(v, dtype=np.float64) for k, v in p.items()}
        k, b, act, ew = f["group_size"], f["weight_bits"], f["act_bits"], f["entry_bits"]
        tm, tn, bias = f["tile_m"], f["tile_n"], f["bias_correction"]
        accw = f["acc_bits"] + bias
        sym = np.asarray(p["symmetric"], dtype=bool)
        r1, r2 = lut_row_logic_um2(k, sym, 1, act), lut_row_logic_um2(k, sym, 2, act)
        pe, base = r2 - r1, 2 * r1 - r2
        # the components' accumulator: exact_acc_bits(2, act, 64, True) + the bias bit
        acc0 = act + 9
        mux_bit = logic_um2("mux", accw) / accw
        stages = np.ceil(np.log2(np.maximum(b, 1)))
        pe = pe + logic_um2("add", accw) - logic_um2("add", acc0)
        pe = pe + (stages - 1) * (ew + b - 1) * mux_bit
        base = base - (1 - bias) * (logic_um2("add", acc0) + logic_um2("neg", ew))
        ff = flop_area_um2()
        ctrl = inv["flops"] - inv["row_flops"]
        drain = (tm - 1) * (tn + bias) * accw * mux_bit + bias * tn * logic_um2("add", accw)
        logic = tm * (base + tn * pe) + drain + ctrl * enable_um2_per_flop(ctrl)
        return {
            "flops": inv["flops"],
            "logic_um2": logic,
            "area_um2": inv["flops"] * ff + logic,
            "area_row_shared_um2": tm * base,
            "area_row_flops_um2": (inv["row_flops"] - inv["pe_flops"]) * ff,
            "area_pes_um2": tm * tn * pe + inv["pe_flops"] * ff,
        }

    def systolic_period_ns(
        self,
        rows: ArrayLike,
        cols: ArrayLike,
        in_bits: ArrayLike,
        acc_bits: ArrayLike,
        is_os: ArrayLike,
        signed: ArrayLike = True,
    ) -> np.ndarray:
        """Clock period a systolic array needs, ns (pre-layout, typical corner).

        The generator's PE in context (:func:`pe_period_ns`: its level from the PE inside a
        2 x 2 array, its adder-width dependence from the PE alone with registered inputs)
        at ``in_bits`` and its adder's width: the accumulator (OS) or the widest partial sum,
        that of the bottom row (WS: ``rtl_inventory.ws_psum_bits`` at ``rows`` products).
        A WS PE's level moves between WS context arrays of 1, 2, 4 and 16 PEs with the
        array's PE count (:func:`ws_pe_period_ns`; a one-row array, whose PEs add no partial
        sum, takes the 1 x 1 level: :func:`ws_context_pes`). The per-diagonal valid flag gates the
        accumulator and shadow of up to ``min(rows, cols)`` OS PEs: a fan-out path
        (``fan``) that limits the clock when it is slower than the PE (WS keeps the same
        term over its partial sums, although its PEs now share the array's advance and each
        has its own weight-select register, so no single net of that fan-out remains; it is
        far faster than the PE and never binds). WS also has each column's fold queue, an
        ``acc_bits`` adder (the queued sum, or 0 on a tile's first fold, plus the bottom
        PE's partial sum) written through the queue's enable multiplexer (2026-12-07: the
        worst path of most WS arrays of at most 4 PEs, ``cf_sr -> col.q``); the clock is
        :func:`ws_clock_ns` of the two (session 9: the WS contexts' PE level is their PE
        path alone, ``pe_ns``, and the fold path comes from their fold paths, ``fold_ns``,
        :mod:`accelsmith.models.ws_period`).
        """
        from .rtl_inventory import ws_psum_bits

        w = np.asarray(in_bits, dtype=np.float64)
        acc = np.asarray(acc_bits, dtype=np.float64)
        ps = ws_psum_bits(in_bits, signed, acc_bits, rows)
        pes = ws_context_pes(rows, cols)

        def level(kind: str, w_: ArrayLike, a_: ArrayLike) -> Any:
            if kind.startswith("os"):
                return pe_period_ns(kind, w_, a_)
            return ws_pe_period_ns(kind, w_, a_, pes)

        pe = _pe_select(is_os, signed, w, np.where(is_os, acc, ps), level)
        diag = np.minimum(np.asarray(rows), np.asarray(cols))
        fan = fanout_period_ns(diag * np.where(is_os, 2 * acc, acc))
        pe_fan = np.maximum(pe, fan)
        return np.where(is_os, pe_fan, ws_clock_ns(pe_fan, acc, ps, cols))

    def systolic_ecp5_mult18(
        self, rows: ArrayLike, cols: ArrayLike, in_bits: ArrayLike
    ) -> np.ndarray:
        """MULT18X18D blocks of a systolic array on ECP5: one ``in_bits`` multiplier per PE,
        ``ceil(in_bits / 18)^2`` blocks each (the calibration's synth_ecp5 runs map every
        sampled multiplier of 2..16 bits to exactly one block)."""
        per = np.ceil(np.asarray(in_bits, dtype=np.float64) / 18.0) ** 2
        return np.asarray(rows, dtype=np.float64) * np.asarray(cols, dtype=np.float64) * per

    def systolic_fmax_mhz(self, *args: ArrayLike) -> np.ndarray:
        """1000 / :meth:`systolic_period_ns` (same arguments)."""
        return 1000.0 / self.systolic_period_ns(*args)


#: MULT18X18D blocks of the LFE5U-85F (Lattice FPGA-DS-02012, Table 1.1)
ECP5_85K_MULT18 = 156


def calibrated_tech() -> CalibratedTech:
    """130 nm tables with the calibrated integer operators and registers."""
    e, a = node_factors(130)
    return CalibratedTech(node_nm=130, energy_scale=e, area_scale=a)
