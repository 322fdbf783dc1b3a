"""Costing a serving workload: the family's per-layer model on the tables, the server,
and the run's totals, ratios and per-group figures.

Part of :mod:`accelsmith.models.serving` (see its docstring for the result columns).
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

from ...core.errors import ConfigError
from ..workloads import Workload
from .scenario import ServingWorkload
from .server import simulate, usage_total


def evaluate_serving(cost_fn: Any, configs: Any, wl: ServingWorkload, **kw: Any) -> Any:
    """``evaluate`` on a serving workload: the family's per-layer model on the tables, then
    the server (see the module docstring). ``per_layer``: one row per (configuration, layer
    group: ``step.qkv``, ``decode.attn_qk``, ``prefill.attn_av`` ...) summed over the run."""
    import pandas as pd

    per_layer = kw.pop("per_layer", False)
    df = configs if isinstance(configs, pd.DataFrame) else pd.DataFrame(configs)
    _check_batch(df)
    plain = Workload(name=wl.name, layers=wl.layers, source=wl.source)
    frame = cost_fn(configs, plain, per_layer=True, **kw)
    L = len(wl.layers)
    n = len(frame) // L
    numeric, arrays, const, additive = _layer_arrays(frame, n, L)
    first = frame.iloc[::L].reset_index(drop=True)
    res = simulate(wl, arrays["latency_s"], inter=_interleave(first, arrays, wl))
    out, varying = _config_columns(frame, first, arrays, numeric, const, n, L)
    # per-layer ratios (utilizations ...): weighted by time; SQNR: the worst layer
    ratios = [c for c in numeric if c in _NOT_ADDITIVE and c not in const and c not in _SHAPE]
    if per_layer:
        return _per_group(out, frame, wl, res, arrays, additive, ratios, varying)
    for c in additive:
        out[c] = usage_total(wl, res["usage"], arrays[c])
    _weighted(out, wl, res, arrays, ratios, np.ones(L, dtype=bool))
    out = _run_totals(out, res)
    _totals_only(out, cost_fn, configs, df, wl, plain, kw)
    for k in _SERVING_COLUMNS[:-1]:
        out[k] = res[k]
    out["energy_per_token_j"] = out["energy_j"] / res["output_tokens"]
    out["layers"] = L
    return pd.DataFrame(out)


def _check_batch(df: Any) -> None:
    """The server forms the batches: every configuration's ``batch`` must be 1 (or unset)."""
    if "batch" in df.columns:
        b = df["batch"].to_numpy(dtype=object)
        bad = [i for i, v in enumerate(b) if v is not None and v == v and v != 1]
        if bad:
            raise ConfigError(
                f"configs row {bad[0]}: batch must be 1 with a serving scenario (the server "
                f"forms the batches), not {b[bad[0]]!r}"
            )


def _layer_arrays(frame: Any, n: int, L: int) -> tuple[list, dict[str, np.ndarray], list, list]:
    """The numeric per-layer columns as ``(n, L)`` arrays: which they are, the arrays, those
    constant over the layers (configuration-level) and those summed over a run."""
    numeric = [
        c for c in frame.columns if frame[c].dtype.kind in "fiu" and c not in ("config", "layers")
    ]
    arrays = {c: frame[c].to_numpy(dtype=np.float64).reshape(n, L) for c in numeric}
    const = [c for c in numeric if np.all(arrays[c] == arrays[c][:, :1])]
    additive = [c for c in numeric if c not in const and c not in _NOT_ADDITIVE]
    for c in ("latency_s", "energy_j"):
        if c not in arrays:
            raise ConfigError(f"this family's model reports no per-layer {c}")
        if c not in additive:
            additive.append(c)
    return numeric, arrays, const, additive


def _config_columns(frame, first, arrays, numeric, const, n: int, L: int) -> tuple[Any, set]:
    """One row per configuration with its configuration-level columns, flags (any layer),
    maxima (the largest layer) and labels (joined); and the labels that vary by layer."""
    labels = [c for c in frame.columns if c not in numeric and c not in ("config", "layers")]
    varying = {
        c
        for c in labels
        if (frame[c].to_numpy().reshape(n, L) != frame[c].to_numpy()[::L, None]).any()
    }
    keep = [c for c in frame.columns if c in const or (c in labels and c not in varying)]
    keep = [c for c in keep if c not in _NOT_ADDITIVE | {"layer", "layer_kind"}]
    out = first[keep].copy()
    for c in frame.columns:  # flags: any layer; maxima: the largest layer; labels: joined
        if c in varying and frame[c].dtype.kind == "b":
            out[c] = frame[c].to_numpy().reshape(n, L).any(axis=1)
        elif c.startswith("max_") and c in arrays:
            out[c] = arrays[c].max(axis=1)
        elif c in varying and c not in ("layer", "layer_kind"):
            vals = frame[c].to_numpy().reshape(n, L)
            out[c] = ["+".join(sorted({str(v) for v in row})) for row in vals]
    return out, varying


def _run_totals(out: Any, res: dict[str, Any]) -> Any:
    """Cycles, derived columns, ratios, latency and power of the whole run (makespan)."""
    from ..common import derived_columns

    if "freq_mhz" in out and "cycles" in out:
        out["busy_cycles"] = out["cycles"]
        out["cycles"] = res["makespan_s"] * out["freq_mhz"].to_numpy() * 1e6
        with contextlib.suppress(KeyError):  # a family without every derived input
            out = derived_columns(out)
    _ratios(out)
    out["latency_s"] = res["makespan_s"]
    out["power_w"] = out["energy_j"] / out["latency_s"]
    return out


def _totals_only(out, cost_fn, configs, df, wl, plain, kw) -> None:
    """Columns only the family's totals have (e.g. simd's mix of formats): those of the
    tables; found on one layer first, so the full model runs again only when needed."""
    tiny = Workload(name="probe", layers=wl.layers[:1])
    only = set(cost_fn(df.iloc[:1], tiny, per_layer=False, **kw).columns)
    only -= set(cost_fn(df.iloc[:1], tiny, per_layer=True, **kw).columns) | set(out.columns)
    only -= {"layers", *_SERVING_COLUMNS}
    if only:
        totals = cost_fn(configs, plain, per_layer=False, **kw)
        for c in sorted(only):
            out[c] = totals[c].to_numpy()


_SERVING_COLUMNS = ("busy_s", "tokens_per_s", "ttft_s", "ttft_p99_s", "tpot_s", "tpot_p99_s",
                    "steps", "mean_batch", "peak_kv_bytes", "output_tokens", "requests",
                    "energy_per_token_j")  # fmt: skip


def serving_steps(family: str, configs: Any, workload: Any, **kw: Any) -> Any:
    """The batched steps the server runs for every configuration: a DataFrame with ``config``,
    ``step``, ``start_s``, ``duration_s``, ``decode_tokens``, ``prefill_tokens``,
    ``prefill_requests``, ``running``, ``waiting`` and ``kv_bytes`` (KV cache in use after
    the step). ``kw``: ``tech``, ``node_nm``, ``convention`` as for ``evaluate``."""
    import pandas as pd

    from ...core.registry import get_family
    from ..tech import Tech
    from ..workloads import load_workload

    wl = load_workload(workload)
    if not isinstance(wl, ServingWorkload):
        raise ConfigError(f"workload must be a serving scenario, not {wl.name!r}")
    tech = kw.pop("tech", None) or Tech.at_node(kw.pop("node_nm", 45))
    cost_fn = get_family(family).cost_model()
    plain = Workload(name=wl.name, layers=wl.layers, source=wl.source)
    frame = cost_fn(configs, plain, tech=tech, per_layer=True,
                    convention=kw.pop("convention", "rtl"))  # fmt: skip
    L = len(wl.layers)
    lat = frame["latency_s"].to_numpy(dtype=np.float64).reshape(-1, L)
    return pd.DataFrame(simulate(wl, lat, trace=True)["trace"])


#: per-layer ratios and shape descriptors that are not summed over a run
_NOT_ADDITIVE = {
    "utilization", "compute_utilization", "mapping_efficiency", "lane_utilization",
    "sqnr_db", "row_folds", "col_folds", "density_gain", "efficiency_gain", "tops",
    "tops_per_w", "tops_per_mm2", "power_w", "energy_per_mac_j", "max_layer_k", "M", "N",
    "K", "count", "groups", "segs", "weight_passes",
}  # fmt: skip
_SHAPE = {"M", "N", "K", "count", "max_layer_k", "row_folds", "col_folds", "groups", "segs"}


def _interleave(first: Any, arrays: dict[str, np.ndarray], wl: ServingWorkload) -> Any:
    """The ``inter`` argument of :func:`simulate` for NPU + PIM rows asking for NeuPIMs
    sub-batch interleaving (PIM layers between QKV and the rest: offload ``attention`` or
    ``kv_read``); None when no row does."""
    need = ("interleave", "npu_rows", "pim_offload")
    if not all(c in first for c in need) or "pim_seconds" not in arrays:
        return None
    use = (
        first["interleave"].to_numpy(dtype=bool)
        & (first["npu_rows"].to_numpy() > 0)
        & np.isin(first["pim_offload"].to_numpy().astype(str), ("attention", "kv_read"))
    )
    if not use.any():
        return None
    role = Workload(name=wl.name, layers=wl.layers).to_gemms()["role"]
    is_qkv, is_lm = role == "qkv", role == "lm_head"
    npu = arrays["npu_seconds"]
    return {
        "use": use,
        "blocks": wl.scenario.model.layers,
        "pre": npu * is_qkv,
        "pim": arrays["pim_seconds"] * ~is_lm,
        "post": npu * (~is_qkv & ~is_lm),
    }


def _weighted(out, wl, res, arrays, ratios, mask) -> None:
    """Ratio columns over a run: time-weighted means of the used layers (SQNR: the worst)."""
    lat = arrays["latency_s"] * mask
    t = usage_total(wl, res["usage"], lat)
    for c in ratios:
        if c == "sqnr_db":  # the worst layer, and the MAC-weighted mean noise (as simd does)
            out[c] = np.where(mask[None, :], arrays[c], np.inf).min(axis=1)
            lin = np.where(np.isinf(arrays[c]), 0.0, 10.0 ** (-arrays[c] / 10.0))
            macs = arrays["macs"] * mask
            noise = usage_total(wl, res["usage"], lin * macs) / usage_total(wl, res["usage"], macs)
            with np.errstate(divide="ignore"):
                out["sqnr_mean_db"] = -10.0 * np.log10(noise)
        else:
            out[c] = usage_total(wl, res["usage"], np.nan_to_num(arrays[c]) * lat) / t


def _per_group(out, frame, wl, res, arrays, additive, ratios, varying) -> Any:
    """Per (configuration, layer group) totals over the run (``step.qkv``, ``decode.attn_qk``
    ...): each group's figures summed with the run's table usage."""
    import pandas as pd

    names = [x.name for x in wl.layers]
    base = np.array([_base(x) for x in names], dtype=object)
    groups = list(dict.fromkeys(base))
    L = len(names)
    g_all = Workload(name=wl.name, layers=wl.layers).to_gemms()
    kinds = g_all["layer_kind"]
    count = np.broadcast_to(g_all["count"].astype(np.float64), arrays["latency_s"].shape)
    n = len(out)
    parts = []
    for g in groups:
        mask = base == g
        row = out.copy()
        row.insert(0, "config", np.arange(n))
        row["layer"] = g
        row["layer_kind"] = kinds[np.argmax(mask)]
        inst = usage_total(wl, res["usage"], count * mask)
        row["count"] = np.round(inst).astype(np.int64)
        for dim in ("M", "N", "K"):  # mean shape of the instances run
            x = count * g_all[dim][None, :] * mask
            row[dim] = np.round(usage_total(wl, res["usage"], x) / np.maximum(inst, 1e-300))
            row[dim] = row[dim].astype(np.int64)
        for c in additive:
            row[c] = usage_total(wl, res["usage"], arrays[c] * mask)
        for c in varying - {"layer", "layer_kind"}:  # labels of the group (e.g. PIM engine)
            row[c] = frame[c].to_numpy().reshape(n, L)[:, np.argmax(mask)]
        _weighted(row, wl, res, arrays, ratios, mask)
        _ratios(row)
        parts.append(row)
    frame = pd.concat(parts, ignore_index=True)
    return frame.sort_values("config", kind="stable").reset_index(drop=True)


def _ratios(out: Any) -> None:
    """Recompute the ratio columns of the family models from their summed parts."""
    for col, (num, den) in {
        "mapping_efficiency": ("macs", "slots"),
        "compute_utilization": ("macs", "pe_cycles"),
    }.items():
        if num in out and den in out:
            out[col] = out[num] / out[den]
    if {"mac_area_compute_um2", "mac_compute_cycles", "area_compute_um2"} <= set(out):
        out["density_gain"] = (out["mac_area_compute_um2"] * out["mac_compute_cycles"]) / (
            out["area_compute_um2"] * out["compute_cycles"]
        )
    if "mac_energy_compute_j" in out and "energy_compute_j" in out:
        out["efficiency_gain"] = out["mac_energy_compute_j"] / out["energy_compute_j"]
    if "latency_s" in out and "energy_j" in out:
        out["power_w"] = out["energy_j"] / out["latency_s"]
    if "cycles" in out and "pes" in out and "macs" in out:
        out["utilization"] = out["macs"] / (out["pes"] * out["cycles"])


def _base(name: str) -> str:
    """``step.expert_up.t3`` -> ``step.expert_up``."""
    parts = name.split(".")
    return ".".join(parts[:2])
