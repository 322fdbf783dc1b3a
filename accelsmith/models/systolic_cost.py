"""Systolic-array cost model: cycles, SRAM and DRAM traffic, energy, area and power.

Vectorized over configurations x layers (numpy broadcasting, no Python loop per point).
Two conventions share everything but the compute timing, the mapping and the SRAM counts:
``convention="rtl"`` (the default) follows the generated RTL exactly (``os``, ``ws``);
``convention="scalesim"`` reproduces SCALE-Sim v3 (``os``, ``ws``, ``is``; the closed forms
and their derivation are in :mod:`accelsmith.models.scalesim_convention`).

Mapping, RTL convention (``M x N x K`` GEMM, ``count`` identical copies)
    Output tiles are ``rows x cols`` (``M`` along rows, ``N`` along columns):
    ``tiles = ceil(M/rows) * ceil(N/cols)``; edge tiles are zero-padded, as in the RTL.
    Mapping efficiency is useful MACs over the PE-cycles the tiles occupy (``os``: ``tiles
    rows cols K``; ``ws``: ``tiles rows cols rows ceil(K/rows)``).
Compute cycles, RTL convention
    Tiles stream back to back: ``tile_cycles(K) + (tiles - 1) * interval(K)`` with the
    closed forms of :mod:`accelsmith.models.systolic` (checked cycle-exactly on the RTL).
SRAM accesses, RTL convention (one access = one vector beat of the port it feeds)
    ``os``: per tile ``K`` ``a`` beats (``rows`` words) and ``K`` ``b`` beats (``cols`` words);
    ``ws``: ``K`` weight rows (``cols`` words) and ``rows * ceil(K/rows)`` ``a`` beats;
    both: ``rows`` result rows (``cols`` words of ``acc_bits``) written per tile. The
    ``*_sram_reads``/``*_sram_writes`` columns count words. In the SCALE-Sim convention the
    counts are SCALE-Sim's (words) and each word is one access of an operand-wide port.
DRAM traffic (bytes)
    Activations are fetched as the layer's distinct input elements (``ifmap_elems`` of
    :meth:`accelsmith.models.workloads.Workload.to_gemms`: a convolution's input once, not
    its ``kernel_h x kernel_w`` im2col copies; none for operands a fused kernel keeps on chip,
    e.g. fused attention's scores: ``read_a`` / ``write_c`` of the layer). Each operand is
    read once if it fits in its buffer. Otherwise the model takes the better of the two tile
    loop orders: with output-column tiles outer, a weight column block (``K x cols``) stays in
    the filter buffer if it fits and the activations are re-read once per column block;
    symmetric for rows outer. Results are written once at ``acc_bits`` (the RTL's output width).
Memory stalls
    Buffers are double-buffered, so transfers overlap compute: ``cycles = max(compute,
    ceil(dram_bytes / bytes_per_cycle))``; ``stall_cycles`` is the excess.
Energy
    MACs (multiplier at ``in_bits`` + adder at ``acc_bits``) for useful MACs; pipeline
    registers (operands hop one PE per cycle, accumulators written per MAC); SRAM accesses
    (``energy_sram_{ifmap,filter,ofmap}_j``); DRAM bits; leakage x latency.
Area
    PE array (multiplier, adder, accumulator, result/shadow register, operand registers, and
    for ``ws``/``is`` the two stationary-operand registers), skew/de-skew registers, SRAM
    buffers, and the control registers counted from the RTL (flag pipelines of
    ``rows + cols`` stages).

The constants all come from :class:`accelsmith.models.tech.Tech` (with their sources).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.errors import ConfigError
from ..core.families.systolic import DATAFLOWS, MAX_K, SystolicParams
from ..core.spec import column_spec
from .common import assemble, column_array, config_arrays, configs_frame
from .systolic import layer_cycles
from .systolic_sums import dram_bytes, fit_limits, layer_sums

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CONVENTIONS", "SYSTOLIC_COLUMNS", "evaluate_systolic", "systolic_cost"]

CONVENTIONS = ("rtl", "scalesim")

#: column -> (default, kind, low, high), derived from the parameter declarations of
#: :class:`~accelsmith.core.families.systolic.SystolicParams` (see :func:`column_spec`)
SYSTOLIC_COLUMNS: dict[str, tuple[Any, Any, float, float]] = column_spec(SystolicParams)
_CONFIG_LEVEL = (
    "area_um2",
    "area_array_um2",
    "area_skew_um2",
    "area_control_um2",
    "area_sram_um2",
    "row_folds",
    "col_folds",
    "mapping_efficiency",
    "fmax_mhz",
    "freq_mhz",
    "power_flow_w",
    "ecp5_mult18x18d",
    "ecp5_85k_dsp_util",
)


def exact_acc_bits_vec(in_bits: np.ndarray, signed: np.ndarray, max_k: np.ndarray) -> np.ndarray:
    """Vectorized :func:`accelsmith.core.families.systolic.exact_acc_bits`."""
    w = in_bits.astype(np.int64)
    k = max_k.astype(np.int64)
    # signed: the extreme sum is max_k * 2**(2w-2) and needs bit_length + 1 sign bit;
    # unsigned: bit_length(max_k * (2**w - 1)**2). Values stay below 2**53 (exact floats).
    hi_s = k.astype(np.float64) * np.ldexp(1.0, 2 * w - 2)
    hi_u = k.astype(np.float64) * (np.ldexp(1.0, w) - 1.0) ** 2
    bits_s = np.frexp(hi_s)[1] + 1
    bits_u = np.frexp(hi_u)[1]
    return np.where(signed, bits_s, bits_u).astype(np.int64)


def _systolic_configs(configs: Any, convention: str, deepest_k: int) -> tuple[pd.DataFrame, dict]:
    import pandas as pd

    df = configs_frame(configs, SYSTOLIC_COLUMNS)
    # max_k left out (or empty in a row) takes the workload's deepest K, capped at MAX_K
    default_k = min(int(deepest_k), MAX_K)
    if "max_k" not in df.columns:
        df = df.assign(max_k=default_k)
    elif df["max_k"].isna().any():
        df = df.assign(max_k=df["max_k"].astype(object).where(df["max_k"].notna(), default_k))
    df, cfg = config_arrays(df, SYSTOLIC_COLUMNS, skip=("acc_bits",))
    if convention == "rtl" and (cfg["dataflow"] == "is").any():
        i = int(np.argmax(cfg["dataflow"] == "is"))
        raise ConfigError(
            f"configs row {i}: dataflow 'is' has no RTL generator; allowed with "
            f"convention='rtl' are {', '.join(map(repr, DATAFLOWS))} (use "
            "convention='scalesim' for input-stationary)"
        )
    exact = exact_acc_bits_vec(cfg["in_bits"], cfg["signed"], cfg["max_k"])
    if "acc_bits" in df.columns and not df["acc_bits"].isna().all():
        filled = df["acc_bits"].where(df["acc_bits"].notna(), pd.Series(exact))
        cfg["acc_bits"] = column_array(
            df.assign(acc_bits=filled), "acc_bits", SYSTOLIC_COLUMNS["acc_bits"]
        )
    else:
        cfg["acc_bits"] = exact
    return df, cfg


def evaluate_systolic(
    configs: Any, workload: Any, *, tech: Any, per_layer: bool = False, convention: str = "rtl"
) -> pd.DataFrame:
    """The systolic family's cost function (see :func:`accelsmith.models.evaluate`)."""

    if convention not in CONVENTIONS:
        raise ConfigError(f"convention must be one of 'rtl', 'scalesim', not {convention!r}")
    g = workload.to_gemms()
    _, cfg = _systolic_configs(configs, convention, int(np.max(g["K"])))
    n = len(cfg["rows"])
    col = {k: v.reshape(n, 1) for k, v in cfg.items()}
    col["is_os"] = col["dataflow"] == "os"
    layers = {k: np.asarray(g[k], dtype=np.int64).reshape(1, -1) for k in ("M", "N", "K", "count")}
    a_elems = g.get("ifmap_elems")
    layers["ifmap_elems"] = (
        layers["M"] * layers["K"]
        if a_elems is None
        else np.asarray(a_elems, dtype=np.int64).reshape(1, -1)
    )
    c_elems = g.get("ofmap_elems")  # 0 for results kept on chip (fused attention scores)
    if c_elems is not None:
        layers["ofmap_elems"] = np.asarray(c_elems, dtype=np.int64).reshape(1, -1)
    counts = layers["count"][0]
    # totals: the layers are summed inside systolic_cost (every figure is then per config)
    per = systolic_cost(
        col, layers, tech, convention=convention, weights=None if per_layer else counts
    )
    per["pes"] = (col["rows"] * col["cols"]).astype(np.float64)
    # PE-cycles of compute (memory stalls excluded), for `compute_utilization`
    per["pe_cycles"] = per["pes"] * per.pop("pe_compute_cycles")
    base = {k: cfg[k] for k in SYSTOLIC_COLUMNS} | {"convention": np.full(n, convention, object)}
    ratios = {"compute_utilization": ("macs", "pe_cycles")}
    if not per_layer:
        ratios["mapping_efficiency"] = ("macs", "slots")
    out = assemble(
        base,
        per,
        {"names": g["names"], **{k: layers[k][0] for k in ("M", "N", "K", "count")}},
        per_layer=per_layer,
        config_level=(*_CONFIG_LEVEL, "pes") if per_layer else tuple(per),
        ratio_columns=ratios,
        counts=counts if per_layer else None,
    )
    # the accumulator may wrap (per layer: this layer; totals: any layer)
    out["exceeds_max_k"] = out["max_layer_k"].to_numpy() > out["max_k"].to_numpy()
    return out


def _dram_bytes(cfg: dict, layers: dict, row_folds, col_folds) -> np.ndarray:
    """DRAM bytes of one layer instance: operand reads (better loop order) + result writes."""
    lay = {k: layers[k].astype(np.float64) for k in ("K", "ifmap_elems")}
    lay["filter_elems"] = (layers["K"] * layers["N"]).astype(np.float64)
    ofmap = layers.get("ofmap_elems", layers["M"] * layers["N"]) * cfg["acc_bits"] / 8.0
    return dram_bytes(fit_limits(cfg), lay, row_folds, col_folds, cfg["in_bits"] / 8.0, ofmap)


def systolic_cost(
    cfg: dict[str, np.ndarray],
    layers: dict[str, np.ndarray],
    tech,
    *,
    convention: str = "rtl",
    weights: np.ndarray | None = None,
) -> dict:
    """Per (configuration, layer) costs, or their count-weighted sums over the layers.

    Parameters
    ----------
    cfg : dict of arrays, shape (n, 1)
        ``rows, cols, in_bits, acc_bits, ifmap_kb, filter_kb, ofmap_kb, freq_mhz, dram_gbps``
        (numbers), ``dataflow`` (str) and ``is_os`` (bool).
    layers : dict of arrays, shape (1, L)
        ``M, N, K, ifmap_elems`` and ``count`` (int64, identical repeats of the layer).
    tech : Tech
        Technology tables.
    convention : {"rtl", "scalesim"}
        Whose compute cycles, mapping and SRAM access counts to use (module docstring).
    weights : array of shape (L,), optional
        Layer counts: when given, every per-layer figure is returned summed over the layers
        (``sum_l weights[l] * figure[:, l]``, shape (n, 1)) and the per-layer-only figures
        (folds, per-layer mapping efficiency) are left out.

    Returns
    -------
    dict of arrays, shape (n, L) or (n, 1)
        Figures for *one instance* of each layer (``count`` is applied by
        :func:`accelsmith.models.common.assemble`), or their weighted sums, and the
        configuration-level areas; see the module docstring for conventions.

    Notes
    -----
    Totals are computed in ``O(n L)`` for the few figures that are not linear (folds, tiles,
    compute cycles, DRAM bytes and cycles, memory-bound cycles) and ``O(n + L)`` for the
    rest: every other figure is a per-configuration factor times one of those (or a
    per-layer count), so it is summed by summing the base once
    (:func:`~accelsmith.models.systolic_sums.layer_sums`, in cache-sized blocks, one
    dataflow at a time) and applying the same formula (:func:`_linear`) to the sum. The
    per-layer path evaluates :mod:`accelsmith.core.latency.systolic` and
    :mod:`.scalesim_convention` directly; the sums equal its rows summed, exactly.
    """
    r, c = cfg["rows"], cfg["cols"]
    w, acc = cfg["in_bits"], cfg["acc_bits"]
    m, n, k = layers["M"], layers["N"], layers["K"]
    # a calibrated node (130 nm) knows the array's Fmax: the clock is capped at it
    fmax = getattr(tech, "systolic_fmax_mhz", None)
    fmax = None if fmax is None else fmax(r, c, w, acc, cfg["is_os"], cfg["signed"])
    freq_mhz = cfg["freq_mhz"] if fmax is None else np.minimum(cfg["freq_mhz"], fmax)
    if weights is None:
        macs = (m * n * k).astype(np.float64)
        t = _mapping(cfg, layers, convention, macs)
        t |= _memory_timing(cfg, layers, t, freq_mhz)
    else:  # the sums, computed in cache-sized blocks without (n, L) arrays (systolic_sums)
        t = layer_sums(cfg, layers, weights, convention, freq_mhz)
        macs = t["macs"]
    t |= _linear(cfg, layers, tech, convention, t, freq_mhz)
    a = _area(cfg, tech)
    e = _energy(cfg, tech, t, a["area_um2"], macs)
    if "flops" in a:  # calibrated node: every flip-flop's clock energy, every cycle
        e["energy_clock_j"] = a["flops"] * tech.flop_clock_energy_j() * t["cycles"]
        e["energy_j"] = e["energy_j"] + e["energy_clock_j"]
    per = {
        "cycles": t["cycles"],
        "compute_cycles": t["compute"],
        "stall_cycles": t["stall"],
        "dram_cycles": t["dram_cycles"],
        "latency_s": t["latency"],
        "macs": macs,
        **e,
        "ifmap_sram_reads": t["words_a"],
        "filter_sram_reads": t["words_b"],
        "ofmap_sram_writes": t["words_c"],
        "dram_bytes": t["dram_bytes"],
        "slots": t["slots"],
        "tiles": t["tiles"],
        "pe_compute_cycles": t["pe_compute"],
    }
    out = dict(per)
    # per-layer values that are not summed, and configuration-level ones: shapes (n, L), (n, 1)
    if weights is None:
        out["row_folds"], out["col_folds"] = t["row_folds"], t["col_folds"]
        out["mapping_efficiency"] = t["mapping_eff"] if "mapping_eff" in t else macs / t["slots"]
    else:  # what the totals' ratio of sums gives (see evaluate_systolic)
        out["mapping_efficiency"] = t["macs"] / t["slots"]
    if "flops" in a:  # calibrated node: power as `accelsmith synth` reports it (module doc)
        fl, lg = a.pop("flops"), a.pop("logic_um2")  # at the requested clock, as synthesized
        a["power_flow_w"] = tech.flow_power_w(fl, lg, cfg["freq_mhz"])
    out.update(a)
    if fmax is not None:  # config level: replaces the freq_mhz column by the clock used
        out["fmax_mhz"], out["freq_mhz"] = fmax, freq_mhz
        # ECP5 DSP blocks: "ecp5_85k_dsp_util <= 1" keeps a campaign to the LFE5U-85F
        from .calib import ECP5_85K_MULT18

        mult = tech.systolic_ecp5_mult18(r, c, w)
        out["ecp5_mult18x18d"], out["ecp5_85k_dsp_util"] = mult, mult / ECP5_85K_MULT18
    return out


def _mapping(
    cfg: dict[str, np.ndarray],
    layers: dict[str, np.ndarray],
    convention: str,
    macs: np.ndarray,
) -> dict[str, np.ndarray]:
    """Timing step 1, per (configuration, layer): tiles and folds, compute cycles and the
    counts the SRAM figures are linear in (:func:`_linear`)."""
    r, c = cfg["rows"], cfg["cols"]
    is_os = cfg["is_os"]
    m, n, k = layers["M"], layers["N"], layers["K"]
    # float64 ceil(a / b): exact for these integers (far below 2**52), faster than int64 //
    row_folds = np.ceil(m / r)
    col_folds = np.ceil(n / c)
    tiles = row_folds * col_folds
    k_folds = np.ceil(k / r)
    a_beats = np.where(is_os, k, k_folds * r) * tiles  # vectors of `rows` words
    t = {"row_folds": row_folds, "col_folds": col_folds, "tiles": tiles, "a_beats": a_beats}
    if convention == "scalesim":
        from .scalesim_convention import scalesim_layer

        s = scalesim_layer(r, c, cfg["dataflow"], m, n, k)
        t["compute"] = s["compute_cycles"]
        t["words_a"], t["words_b"], t["words_c"] = (
            s["ifmap_sram_reads"],
            s["filter_sram_reads"],
            s["ofmap_sram_writes"],
        )
        t["mapping_eff"] = s["mapping_efficiency"]
        t["slots"] = macs / t["mapping_eff"]  # PE-cycles of the folds, fill and drain excluded
    else:
        t["compute"] = layer_cycles(r, c, np.where(is_os, "os", "ws"), m, n, k)  # is_os: (n, 1)
    return t


def _memory_timing(
    cfg: dict[str, np.ndarray],
    layers: dict[str, np.ndarray],
    t: dict[str, np.ndarray],
    freq_mhz: np.ndarray,
) -> dict[str, np.ndarray]:
    """Timing step 2, per (configuration, layer): DRAM traffic and memory-bound cycles
    (double-buffered: transfers overlap compute)."""
    dram_bytes = _dram_bytes(cfg, layers, t["row_folds"], t["col_folds"])
    bytes_per_cycle = cfg["dram_gbps"] * 1e9 / (freq_mhz * 1e6)
    dram_cycles = np.ceil(dram_bytes / bytes_per_cycle)
    return {
        "dram_bytes": dram_bytes,
        "dram_cycles": dram_cycles,
        "cycles": np.maximum(t["compute"], dram_cycles),
        "pe_compute": np.maximum(t["compute"], 1.0),  # PE-cycles / PEs, for utilization
    }


def _linear(
    cfg: dict[str, np.ndarray],
    layers: dict[str, np.ndarray],
    tech: Any,
    convention: str,
    t: dict[str, np.ndarray],
    freq_mhz: np.ndarray,
) -> dict[str, np.ndarray]:
    """Figures linear in the bases of ``t`` (per layer or summed): stalls, latency, SRAM words
    and energies, PE slots (the same formulas serve both; see :func:`systolic_cost`)."""
    r, c = cfg["rows"], cfg["cols"]
    w, acc = cfg["in_bits"], cfg["acc_bits"]
    out = {
        "stall": t["cycles"] - t["compute"],
        "latency": t["cycles"] / (freq_mhz * 1e6),
    }
    a_beats = t["a_beats"]
    # vectors of `cols` words (summed: K-weighted tile sums, see systolic_sums.layer_sums)
    b_beats = t["b_beats"] if "b_beats" in t else layers["K"] * t["tiles"]
    out["b_beats"] = b_beats
    if convention == "scalesim":
        words_a, words_b, words_c = t["words_a"], t["words_b"], t["words_c"]
        # SCALE-Sim counts words; each is one access of an operand-wide word
        out["e_sram_a"] = words_a * tech.sram_read_energy_j(cfg["ifmap_kb"] * 1024.0, w)
        out["e_sram_b"] = words_b * tech.sram_read_energy_j(cfg["filter_kb"] * 1024.0, w)
        out["e_sram_c"] = words_c * tech.sram_write_energy_j(cfg["ofmap_kb"] * 1024.0, acc)
        out["slots"] = t["slots"]
    else:
        c_beats = r * t["tiles"]  # result rows of `cols` words
        words_a, words_b, words_c = a_beats * r, b_beats * c, c_beats * c
        # zero-padded slots: the array streams full vectors even for edge tiles
        out["slots"] = a_beats * r * c
        # one access per vector beat of the port it feeds
        out["e_sram_a"] = a_beats * tech.sram_read_energy_j(cfg["ifmap_kb"] * 1024.0, r * w)
        out["e_sram_b"] = b_beats * tech.sram_read_energy_j(cfg["filter_kb"] * 1024.0, c * w)
        out["e_sram_c"] = c_beats * tech.sram_write_energy_j(cfg["ofmap_kb"] * 1024.0, c * acc)
    out["words_a"], out["words_b"], out["words_c"] = words_a, words_b, words_c
    return out


def _area(cfg: dict[str, np.ndarray], tech: Any) -> dict[str, np.ndarray]:
    """Area (um^2) of the array, skew registers, control and SRAM buffers."""
    r, c = cfg["rows"], cfg["cols"]
    w, acc = cfg["in_bits"], cfg["acc_bits"]
    area_sram = (
        tech.sram_area_um2(cfg["ifmap_kb"] * 1024.0)
        + tech.sram_area_um2(cfg["filter_kb"] * 1024.0)
        + tech.sram_area_um2(cfg["ofmap_kb"] * 1024.0)
    )
    if hasattr(tech, "systolic_logic"):  # calibrated node: components x RTL inventory
        lg = tech.systolic_logic(r, c, w, acc, cfg["is_os"], cfg["signed"], cfg["max_k"])
        return {**lg, "area_um2": lg["area_um2"] + area_sram, "area_sram_um2": area_sram}
    pe_regs = 2 * w + 2 * acc + np.where(cfg["is_os"], 0, 2 * w)  # operands, acc + shadow, weights
    pe_area = tech.int_mul_area_um2(w) + tech.int_add_area_um2(acc) + tech.reg_area_um2(pe_regs)
    area_array = r * c * pe_area
    skew_bits = (r * (r - 1) // 2 + c * (c - 1) // 2) * w + (c * (c - 1) // 2) * acc
    io_bits = (r + c) * w + c * acc  # stage-0 input registers and the result registers
    ctrl_bits = 4 * (r + c) + 64  # flag pipelines along rows + cols, counters and state
    area_skew = tech.reg_area_um2(skew_bits + io_bits)
    area_ctrl = tech.reg_area_um2(ctrl_bits)
    return {
        "area_um2": area_array + area_skew + area_ctrl + area_sram,
        "area_array_um2": area_array,
        "area_skew_um2": area_skew,
        "area_control_um2": area_ctrl,
        "area_sram_um2": area_sram,
    }


def _energy(
    cfg: dict[str, np.ndarray],
    tech: Any,
    t: dict[str, np.ndarray],
    area: np.ndarray,
    macs: np.ndarray,
) -> dict[str, np.ndarray]:
    """Energy (J) per layer instance (``count`` is applied later) and its breakdown."""
    r, c = cfg["rows"], cfg["cols"]
    w, acc = cfg["in_bits"], cfg["acc_bits"]
    e_mac = macs * (tech.int_mul_energy_j(w) + tech.int_add_energy_j(acc))
    hops = t["a_beats"] * r * c + t["b_beats"] * c * r  # each operand word hops across the array
    e_reg = hops * tech.reg_energy_j(w) + macs * tech.reg_energy_j(acc)
    e_sram = t["e_sram_a"] + t["e_sram_b"] + t["e_sram_c"]
    e_dram = t["dram_bytes"] * 8.0 * tech.dram_energy_j_per_bit
    e_leak = tech.leakage_w(area) * t["latency"]
    return {
        "energy_j": e_mac + e_reg + e_sram + e_dram + e_leak,
        "energy_mac_j": e_mac,
        "energy_reg_j": e_reg,
        "energy_sram_j": e_sram,
        "energy_sram_ifmap_j": t["e_sram_a"],
        "energy_sram_filter_j": t["e_sram_b"],
        "energy_sram_ofmap_j": t["e_sram_c"],
        "energy_dram_j": e_dram,
        "energy_leak_j": e_leak,
    }
