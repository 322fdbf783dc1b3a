"""``evaluate("pim", ...)``: PIM-only and heterogeneous NPU + PIM cost of a workload.

PIM-only (``npu_rows = 0``)
    Every layer runs on the PIM channels as ``M x count x batch`` GEMVs ``y = W x`` (``W``:
    ``N x K``), with the exact engine cycles of :func:`accelsmith.models.pim_cost.job_cycles`.
Heterogeneous NPU + PIM (NeuPIMs-style, ``npu_rows, npu_cols > 0``)
    Attention GEMVs (roles ``attn_qk``, ``attn_av``: one KV cache per request, ``count x
    batch`` GEMVs) run on PIM; every other layer runs on a systolic NPU as a GEMM with
    ``M x batch`` rows (weights shared by the batch), costed by
    ``accelsmith.models.evaluate("systolic", ...)``. Without interleaving, each transformer
    block is QKV (NPU) -> attention (PIM) -> output projection and FFN (NPU), serially. With
    ``interleave`` the batch is split into two sub-batches and the NPU works on one while PIM
    runs the other's attention (NeuPIMs' sub-batch interleaving); the latency is the exact
    list schedule of the two resources (:func:`interleaved_latency`).
    ``pim_offload`` chooses the PIM layers: ``attention`` (every attention product, the
    default), ``kv_read`` (only decode attention over the KV cache, ``layer_kind`` ``kv_read``:
    NeuPIMs runs prefill attention on the NPU), ``kv_read+experts`` (also the MoE experts:
    Duplex-style, whose point is that low operations-per-byte layers, decode attention and
    experts, go to the PIM side) or ``auto`` (each layer on the engine the model finds faster:
    an upper bound of a per-layer dispatcher). Only ``attention`` rows are interleaved.

Configuration columns are the generator's (``precision, lanes, banks, rows, row_bytes,
timing, t_*``) plus ``channels``, ``freq_mhz`` (0: the preset's clock), ``batch``,
``interleave``, ``npu_rows``, ``npu_cols``, ``npu_dataflow``, ``pim_offload``, ``npu_freq_mhz`` and
``npu_dram_gbps`` (0: the PIM channels' external bandwidth). Outputs: every common column, the
``energy_*_j`` / ``area_*_um2`` breakdowns, ``peak_tflops`` (PIM: ``2 lanes banks channels
f / tCCD``), ``capacity_bytes`` (DRAM behind the lanes), ``pim_seconds``, ``npu_seconds``,
``tokens_per_s`` and ``energy_per_token_j``.

At ``node_nm=130`` (:mod:`accelsmith.models.pim_asic`) the channel is what ``accelsmith synth
pim`` builds on sky130hd: logic from calibrated components over the RTL's flip-flop
inventory (``area_logic_um2`` = lanes + row buffers + bank counters + channel control), the
bank arrays as the flow's OpenRAM SRAM macros (``area_memory_um2``), ``fmax_mhz`` per
configuration (the clock unless ``freq_mhz`` pins it), ``power_flow_w`` (the power the flow
reports at that clock), ``energy_clock_j`` (every flip-flop's clock energy per cycle) and
synthesized MAC-lane energy; the DRAM figures that remain (timing in cycles, ACT / column /
refresh energy at the preset's clock, I/O) are named in the ``cost_basis`` column.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.errors import ConfigError
from ..core.families.pim import ELEM_BITS, PRESETS, TIMING_FIELDS, PimParams
from ..core.spec import column_spec
from .common import assemble, config_arrays, derived_columns
from .pim_cost import bank_energy, job_cycles, lane_area_um2, lane_op_energy_j, timing_arrays

if TYPE_CHECKING:
    pass

__all__ = ["PIM_COLUMNS", "PIM_ROLES", "evaluate_pim", "interleaved_latency"]

PIM_ROLES = ("attn_qk", "attn_av")
#: column -> (default, kind, low, high), derived from the parameter declarations of
#: :class:`~accelsmith.core.families.pim.PimParams` (see :func:`column_spec`)
PIM_COLUMNS: dict[str, tuple[Any, Any, float, float]] = column_spec(
    PimParams, order=("precision", "lanes", "burst_bits", "banks", "rows", "row_bytes", "channels")
)


def _ceil(a, b):
    return np.ceil(np.asarray(a, dtype=np.float64) / b)


def _validate(cfg: dict[str, np.ndarray]) -> None:
    eb = np.array([ELEM_BITS[p] for p in cfg["precision"]])
    burst = cfg["lanes"] * eb
    bad = (cfg["burst_bits"] != 0) & (cfg["burst_bits"] != burst)
    if bad.any():
        i = int(np.argmax(bad))
        raise ConfigError(
            f"configs row {i}: burst_bits must be lanes * element bits (= {burst[i]}), "
            f"not {int(cfg['burst_bits'][i])}"
        )
    bad = (cfg["row_bytes"] * 8) % burst != 0
    if bad.any():
        i = int(np.argmax(bad))
        raise ConfigError(
            f"configs row {i}: row_bytes must be a multiple of the burst ({burst[i] // 8} "
            f"bytes), not {int(cfg['row_bytes'][i])}"
        )
    one = (cfg["npu_rows"] == 0) != (cfg["npu_cols"] == 0)
    if one.any():
        i = int(np.argmax(one))
        raise ConfigError(
            f"configs row {i}: npu_rows and npu_cols must both be 0 (PIM only) or both "
            f"positive, not {int(cfg['npu_rows'][i])} and {int(cfg['npu_cols'][i])}"
        )


def pim_gemv_layers(cfg: dict, T: dict, M, N, K, count) -> dict[str, np.ndarray]:
    """Cycles, command counts and energies of ``jobs`` GEMVs per layer; arrays ``(n, L)``."""
    c = {k: np.asarray(v)[:, None] for k, v in cfg.items()}
    t = {k: v[:, None] for k, v in T.items()}
    eb = np.array([ELEM_BITS[p] for p in cfg["precision"]])[:, None]
    burst_bits = c["lanes"] * eb
    bpr = c["row_bytes"] * 8 // burst_bits
    row_elems = bpr * c["lanes"]
    jobs = np.asarray(M * count, dtype=np.float64)[None, :] * c["batch"]
    n_out, k_in = np.asarray(N, dtype=np.float64)[None, :], np.asarray(K, dtype=np.float64)[None, :]
    bank_rows = _ceil(n_out, c["banks"])  # output-row groups over all channels
    ch_used = np.minimum(c["channels"], bank_rows)
    groups = _ceil(bank_rows, ch_used)
    segs = _ceil(k_in, row_elems)
    last = _ceil(k_in - (segs - 1) * row_elems, c["lanes"])
    concurrent = np.floor(c["channels"] / ch_used)
    waves = _ceil(jobs, concurrent)
    per_job = job_cycles(groups, segs, last, bpr, c["banks"], t)
    cycles = waves * per_job
    bursts = (segs - 1) * bpr + last  # per segment-pass of one group
    acts = jobs * ch_used * groups * segs * c["banks"]
    mac_cmds = jobs * ch_used * groups * bursts * c["banks"]  # one per bank per burst
    rd_bits = (
        jobs
        * ch_used
        * groups
        * segs
        * c["banks"]
        * np.where(
            c["precision"] == "bf16", 16, c["lanes"] * np.where(c["precision"] == "int8", 32, 16)
        )
    )
    gb_bits = jobs * ch_used * bursts * burst_bits
    return {
        "cycles": cycles,
        "acts": acts,
        "mac_cmds": mac_cmds,
        "col_bits": mac_cmds * burst_bits,
        "io_bits": rd_bits + gb_bits,
        "groups": groups + 0 * cycles,
        "segs": segs + 0 * cycles,
    }


def interleaved_latency(pre, attn, post, layers: int) -> np.ndarray:
    """Two sub-batches on one NPU and one PIM: the list schedule's makespan.

    ``pre``, ``attn``, ``post``: sequences of two arrays (sub-batch 0 and 1) with the time of
    QKV (NPU), attention (PIM) and output projection + FFN (NPU) of one block. NPU order per
    block: post0, pre0 (next block), post1, pre1 (next block); PIM order attn0, attn1.
    """
    npu = np.zeros_like(np.asarray(pre[0], dtype=np.float64))
    pim = np.zeros_like(npu)
    pre_end, attn_end, ready = [npu.copy(), npu.copy()], [npu.copy(), npu.copy()], [npu, npu]
    for s in (0, 1):
        npu = np.maximum(npu, ready[s]) + pre[s]
        pre_end[s] = npu
    for blk in range(layers):
        for s in (0, 1):
            pim = np.maximum(pim, pre_end[s]) + attn[s]
            attn_end[s] = pim
        for s in (0, 1):
            npu = np.maximum(npu, attn_end[s]) + post[s]
            ready[s] = npu
            if blk + 1 < layers:
                npu = npu + pre[s]
                pre_end[s] = npu
    return npu


def evaluate_pim(configs: Any, workload: Any, *, tech, per_layer: bool, convention: str):
    """The PIM family's cost function (see the module docstring)."""
    if convention != "rtl":
        raise ConfigError(f"convention must be 'rtl' for the pim family, not {convention!r}")
    df, cfg = config_arrays(configs, PIM_COLUMNS)
    _validate(cfg)
    n = len(df)
    T = timing_arrays(cfg["timing"], {f: cfg[f] for f in TIMING_FIELDS})
    preset_mhz = np.array([PRESETS[t]["freq_mhz"] for t in cfg["timing"]], dtype=np.float64)
    asic = _asic_channel(cfg, T) if _calibrated(tech) else None
    # node 130: the logic's own Fmax unless --freq-mhz pins the clock; else the preset's
    default_mhz = preset_mhz if asic is None else asic["fmax_mhz"]
    freq = np.where(cfg["freq_mhz"] > 0, cfg["freq_mhz"], default_mhz)
    cfg = {**cfg, "freq_mhz": freq}
    layers = workload.to_gemms()
    L = len(layers["names"])
    M, N, K, count = (np.asarray(layers[k], dtype=np.float64) for k in ("M", "N", "K", "count"))
    hetero = cfg["npu_rows"] > 0
    g = pim_gemv_layers(cfg, T, M, N, K, count)
    # DRAM event energies: currents x cycles of the DRAM device the protocol stands for, at
    # its preset clock (node 130 included: the logic's clock does not stretch a DRAM row cycle)
    e = bank_energy(cfg["timing"], T, freq if asic is None else preset_mhz)
    pim_s = g["cycles"] / (freq[:, None] * 1e6)
    e_pim = _pim_energy(cfg, g, T, e, tech, asic)

    npu = _npu_layers(cfg, df, workload, e["channel_gbps"], tech) if hetero.any() else None
    npu_s = np.zeros((n, L)) if npu is None else npu["seconds"]
    npu_e = np.zeros((n, L)) if npu is None else npu["energy_j"]
    on_pim = np.where(hetero[:, None], _placement(cfg, layers, pim_s, npu_s), True)
    sel = on_pim.astype(np.float64)
    macs = np.broadcast_to(M * N * K * count, (n, L)) * cfg["batch"][:, None]

    area_npu = np.zeros(n) if npu is None else npu["area_um2"]
    per = {
        "cycles": np.where(on_pim, g["cycles"], npu_s * freq[:, None] * 1e6),
        "pim_seconds": sel * pim_s,
        "npu_seconds": (1 - sel) * npu_s,
        "macs": macs,
        **{k: sel * v for k, v in e_pim.items()},
        "energy_npu_j": (1 - sel) * npu_e,
        "row_activations": sel * g["acts"],
        **_config_level(cfg, T, area_npu, tech, asic),
    }
    parts = [k for k in per if k.startswith("energy_")]
    per["energy_j"] = sum(per[k] for k in parts)
    import pandas as pd

    base = pd.DataFrame({k: cfg[k] for k in PIM_COLUMNS})
    config_level = [
        k
        for k in per
        if k.startswith("area_") or k in ("peak_tflops", "capacity_bytes", "power_flow_w")
    ]
    out = assemble(base, per, layers, per_layer=per_layer, config_level=config_level)
    out["engine"] = np.where(on_pim, "pim", "npu").reshape(-1) if per_layer else "pim+npu"
    if not per_layer:
        inter, inter_e = _interleaved(cfg, layers, pim_s, npu, workload, df, tech, e)
        out = _totals(out, cfg, workload, inter, inter_e)
    peak_macs = out["peak_tflops"] * 1e12 / 2 + (
        cfg["npu_rows"] * cfg["npu_cols"] * cfg["npu_freq_mhz"] * 1e6
    ).repeat(L if per_layer else 1)
    out["utilization"] = out["macs"] / (peak_macs * out["latency_s"])
    if asic is not None:  # config level: the clock used and the Fmax that set it
        rep = L if per_layer else 1
        out["fmax_mhz"] = np.repeat(asic["fmax_mhz"], rep)
        out["freq_mhz"] = np.repeat(freq, rep)
        out["cost_basis"] = COST_BASIS_130
    return out


#: what the node-130 PIM figures are (the ``cost_basis`` column; accelsmith.models.pim_asic)
COST_BASIS_130 = (
    "logic: sky130hd components (accelsmith calibrate) x RTL inventory; bank arrays: OpenRAM "
    "sky130 SRAM macro table (as accelsmith synth); ACT/column/refresh energy and timing: DRAM "
    "preset (DRAMsim3 IDD equations, NeuPIMs/NewtonSim/AiM configs) at the preset clock"
)


def _calibrated(tech: Any) -> bool:
    """A calibrated node (130 nm: :class:`accelsmith.models.calib.CalibratedTech`)."""
    return hasattr(tech, "flow_power_w")


def _asic_channel(cfg: dict, T: dict) -> dict[str, np.ndarray]:
    """One channel at 130 nm as synthesized (:mod:`accelsmith.models.pim_asic`): areas,
    flip-flops, logic and Fmax."""
    from .pim_asic import pim_inventory, pim_logic, pim_period_ns

    shape = (cfg["precision"], cfg["lanes"], cfg["banks"])
    inv = pim_inventory(*shape, cfg["rows"], cfg["row_bytes"], T)
    return {**pim_logic(inv, *shape, T), "fmax_mhz": 1000.0 / pim_period_ns(inv, *shape)}


def _pim_energy(
    cfg: dict, g: dict, T: dict, e: dict, tech: Any, asic: dict | None = None
) -> dict[str, np.ndarray]:
    """Energy (J) of the PIM side per layer by part: activations, column accesses, lane MACs,
    I/O and refresh (before the NPU/PIM placement). At 130 nm (``asic``) the MAC energy is
    the synthesized lanes' (``pimmac`` components) and every flip-flop of every channel draws
    its clock energy each cycle (``energy_clock_j``)."""
    e_act = g["acts"] * e["act_j"][:, None]
    e_col = g["col_bits"] * e["col_j_per_bit"][:, None]
    if asic is None:
        lane_j = lane_op_energy_j(cfg["precision"], cfg["lanes"], tech)
    else:
        from .pim_asic import mac_energy_j

        lane_j = mac_energy_j(cfg["precision"], cfg["lanes"])
    e_mac = g["mac_cmds"] * lane_j[:, None]
    e_io = g["io_bits"] * 5.5e-12  # CENT DQ energy (pim_cost.IO_PJ_PER_BIT)
    refs = np.floor(g["cycles"] / T["t_refi"][:, None]) * cfg["channels"][:, None]
    e_ref = refs * e["ref_j"][:, None]
    out = {
        "energy_act_j": e_act,
        "energy_column_j": e_col,
        "energy_mac_j": e_mac,
        "energy_io_j": e_io,
        "energy_refresh_j": e_ref,
    }
    if asic is not None:
        clk = asic["flops"] * cfg["channels"] * tech.flop_clock_energy_j()
        out["energy_clock_j"] = g["cycles"] * clk[:, None]
    return out


def _config_level(
    cfg: dict, T: dict, area_npu: np.ndarray, tech: Any, asic: dict | None = None
) -> dict[str, np.ndarray]:
    """Areas (um^2), DRAM capacity behind the lanes and PIM peak, one per configuration.
    At 130 nm (``asic``): the synthesized logic by part, the bank arrays as SRAM macros, and
    ``power_flow_w``, the power ``accelsmith synth`` reports at this clock and the
    calibration's activity (flip-flops + logic, :func:`accelsmith.models.calib.flow_power_w`,
    plus the macros' accesses and leakage as the flow adds them)."""
    freq = cfg["freq_mhz"]
    if asic is not None:
        from .pim_asic import macro_power_w

        ch = cfg["channels"]
        parts = {
            k: asic[k] * ch
            for k in (
                "area_lanes_um2",
                "area_rowbuf_um2",
                "area_bank_ctl_um2",
                "area_channel_um2",
                "area_logic_um2",
                "area_memory_um2",
            )
        }
        power = tech.flow_power_w(asic["flops"], asic["comb_um2"], freq)
        power = power + macro_power_w(asic["macro_port_bits"], asic["macro_bits"], freq)
        total = parts["area_logic_um2"] + parts["area_memory_um2"] + area_npu
        area = {k: v[:, None] for k, v in parts.items()}
        area |= {"area_npu_um2": area_npu[:, None], "area_um2": total[:, None]}
        area["power_flow_w"] = (power * ch)[:, None]
    else:
        lanes_area = lane_area_um2(cfg["precision"], cfg["lanes"], tech)
        gb_area = tech.reg_area_um2(cfg["row_bytes"] * 8)
        area_lanes = lanes_area * cfg["banks"] * cfg["channels"]
        area_gb = gb_area * cfg["channels"]
        area = {
            "area_lanes_um2": area_lanes[:, None],
            "area_gb_um2": area_gb[:, None],
            "area_npu_um2": area_npu[:, None],
            "area_um2": (area_lanes + area_gb + area_npu)[:, None],
        }
    return {
        **area,
        "capacity_bytes": (cfg["channels"] * cfg["banks"] * cfg["rows"] * cfg["row_bytes"])[
            :, None
        ],
        "peak_tflops": (
            2 * cfg["lanes"] * cfg["banks"] * cfg["channels"] * freq * 1e6 / T["t_ccd"] / 1e12
        )[:, None],
    }


def _totals(out: Any, cfg: dict, workload: Any, inter: np.ndarray, inter_e: np.ndarray) -> Any:
    """Per-configuration totals: the interleaved schedule where it applies, the derived
    columns, tokens per second and energy per token."""
    used = ~np.isnan(inter)
    out["cycles"] = np.where(used, inter * cfg["freq_mhz"] * 1e6, out["cycles"])
    # two sub-batches stream the NPU weights twice: their energy replaces the full batch's
    extra = np.where(used, inter_e - out["energy_npu_j"], 0.0)
    out["energy_npu_j"] = out["energy_npu_j"] + extra
    out["energy_j"] = out["energy_j"] + extra
    out = derived_columns(out)
    # requests of one pass: the batch column x the workload's own requests (LLM workloads
    # built with a batch, accelsmith.models.llm)
    tokens = cfg["batch"] * getattr(workload, "requests", 1)
    out["tokens_per_s"] = tokens / out["latency_s"]
    out["energy_per_token_j"] = out["energy_j"] / tokens
    return out


def _placement(cfg, layers, pim_s: np.ndarray, npu_s: np.ndarray) -> np.ndarray:
    """Which layers run on PIM with an NPU beside it (``pim_offload``; module docstring)."""
    role = np.asarray(layers["role"], dtype=object)
    kind = np.asarray(layers.get("layer_kind", role), dtype=object)
    off = cfg["pim_offload"][:, None]
    return np.select(
        [off == "attention", off == "kv_read", off == "kv_read+experts", off == "auto"],
        [
            np.isin(role, PIM_ROLES)[None, :],
            (kind == "kv_read")[None, :],
            np.isin(kind, ("kv_read", "expert"))[None, :],
            pim_s < npu_s,
        ],
        False,
    )


def _npu_layers(cfg, df, workload, channel_gbps, tech, batch_of=None) -> dict[str, np.ndarray]:
    """Per (config, layer) NPU seconds and energy of every layer at ``M x batch`` rows."""
    import pandas as pd

    from .systolic_cost import evaluate_systolic
    from .workloads import GEMM, Workload

    n = len(df)
    layers = workload.to_gemms()
    L = len(layers["names"])
    batch = cfg["batch"] if batch_of is None else batch_of
    seconds = np.zeros((n, L))
    energy = np.zeros((n, L))
    area = np.zeros(n)
    rows = np.flatnonzero(cfg["npu_rows"] > 0)
    bw = np.where(cfg["npu_dram_gbps"] > 0, cfg["npu_dram_gbps"], cfg["channels"] * channel_gbps)
    in_bits = np.where(cfg["precision"] == "int8", 8, 16)
    for b in np.unique(batch[rows]):
        idx = rows[batch[rows] == b]
        wl = Workload(
            name=f"{workload.name}@batch{int(b)}",
            layers=tuple(
                GEMM(
                    name=str(layers["names"][i]),
                    M=int(layers["M"][i]) * int(b),
                    N=int(layers["N"][i]),
                    K=int(layers["K"][i]),
                    count=int(layers["count"][i]),
                )
                for i in range(L)
            ),
        )
        sc = pd.DataFrame(
            {
                "rows": cfg["npu_rows"][idx],
                "cols": cfg["npu_cols"][idx],
                "dataflow": cfg["npu_dataflow"][idx],
                "in_bits": in_bits[idx],
                "max_k": 4096,
                "freq_mhz": cfg["npu_freq_mhz"][idx],
                "dram_gbps": bw[idx],
            }
        )
        res = evaluate_systolic(sc, wl, tech=tech, per_layer=True, convention="rtl")
        seconds[idx] = res["latency_s"].to_numpy().reshape(len(idx), L)
        energy[idx] = res["energy_j"].to_numpy().reshape(len(idx), L)
        area[idx] = res["area_um2"].to_numpy().reshape(len(idx), L)[:, 0]
    return {"seconds": seconds, "energy_j": energy, "area_um2": area}


def _interleaved(cfg, layers, pim_s, npu, workload, df, tech, e) -> tuple:
    """Latency (s) of the interleaved schedule where asked and possible (else NaN), and the
    NPU energy (J) of its two sub-batches (lm_head at the full batch)."""
    npu_s = np.zeros_like(pim_s) if npu is None else npu["seconds"]
    n = len(df)
    role = np.asarray(layers["role"], dtype=object)
    use = cfg["interleave"] & (cfg["npu_rows"] > 0) & (cfg["batch"] >= 2) & ("qkv" in role)
    # the two-phase schedule has one PIM phase per block: experts on PIM run serially
    use &= cfg["pim_offload"] == "attention"
    if not use.any():
        return np.full(n, np.nan), np.full(n, np.nan)
    blocks = int(np.asarray(layers["count"])[list(role).index("qkv")])
    is_pre = role == "qkv"
    is_attn = np.isin(role, PIM_ROLES)
    is_post = ~is_pre & ~is_attn & (role != "lm_head")
    halves = [np.ceil(cfg["batch"] / 2), np.floor(cfg["batch"] / 2)]
    pre, attn, post = [], [], []
    npu_e = np.zeros(n)
    for h in halves:
        hb = np.maximum(h, 1).astype(np.int64)  # (rows with batch < 2 are not interleaved)
        sub = _npu_layers(cfg, df, workload, e["channel_gbps"], tech, batch_of=hb)
        frac = h / cfg["batch"]  # PIM work is linear in the requests
        pre.append((sub["seconds"] * is_pre).sum(axis=1) / blocks)
        post.append((sub["seconds"] * is_post).sum(axis=1) / blocks)
        attn.append((pim_s * is_attn).sum(axis=1) * frac / blocks)
        npu_e = npu_e + (sub["energy_j"] * (is_pre | is_post)).sum(axis=1)
    lm_head = (npu_s * (role == "lm_head")).sum(axis=1)
    npu_e = npu_e + (npu["energy_j"] * (role == "lm_head")).sum(axis=1)
    inter = interleaved_latency(pre, attn, post, blocks) + lm_head
    return np.where(use, inter, np.nan), np.where(use, npu_e, np.nan)
