"""Silicon check of a campaign's Pareto front (``accelsmith dse verify-front``).

The N best Pareto designs (the front sorted by the first objective, as ``dse pareto`` prints
it) are each generated, verified bit-exactly on Verilator (measured cycles against the
model's), and synthesized (:func:`accelsmith.synth.synthesize`). What silicon measures stands
beside what the model said:

- ``area_um2`` / ``area_mm2``: synthesized logic area plus the model's SRAM buffer area (the
  RTL has no buffers), and ``logic_area_um2`` (without the buffers); compared only when
  the campaign's ``node_nm`` is 130 (sky130), else reported with ``node_differs``;
- ``latency_s`` (and ``tops``): the model's cycles at the measured Fmax when the model's clock
  was its own Fmax (node 130), else at ``min(model clock, measured Fmax)``;
- ``fmax_mhz``: measured; the model's where it has one.

Every other objective keeps the model's value. The front is recomputed with the measured
objectives of the checked designs; a checked design that becomes dominated is flagged
``off_front``. Results are stored in the campaign storage as the study user attribute
:data:`SILICON_KEY` of every study of the campaign (``{trial key: record}``; Optuna does not
let finished trials change), read back by :func:`silicon_records`.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["SILICON_KEY", "silicon_records", "verify_front"]

SILICON_KEY = "silicon_check"


def _measured_metrics(row: Any, rep: Any, node_nm: int) -> dict[str, float]:
    out: dict[str, float] = {}
    model_freq = float(row.get("freq_mhz", float("nan")))
    fmax = rep.fmax_mhz
    if fmax and model_freq == model_freq:
        # a clock the model set from its own Fmax (node 130) becomes the measured Fmax;
        # a pinned clock stays unless silicon cannot reach it
        model_fmax = float(row.get("fmax_mhz", float("nan")))
        used = fmax if math.isclose(model_freq, model_fmax) else min(model_freq, fmax)
        for key in ("latency_s",):
            if key in row and row[key] == row[key]:
                out[key] = float(row[key]) * model_freq / used
        if "tops" in row and row["tops"] == row["tops"]:
            out["tops"] = float(row["tops"]) * used / model_freq
    if rep.target == "sky130hd" and node_nm == 130:
        sram = float(row.get("area_sram_um2", 0.0) or 0.0)
        area = rep.area["total"] - rep.area.get("memory", 0.0) + sram
        out["area_um2"], out["area_mm2"] = area, area / 1e6
        out["logic_area_um2"] = area - sram
    return out


def _study_names(store: Any, campaign: str) -> list[str]:
    from .ledger import campaign_studies, study_name

    return [study_name(campaign, e) for e in campaign_studies(store, campaign).get(campaign, [])]


def silicon_records(store: Any, campaign: str) -> dict[str, dict[str, Any]]:
    """The stored silicon-check records of ``campaign`` (``"<explorer>#<number>"`` -> record)."""
    import optuna

    out: dict[str, dict[str, Any]] = {}
    for name in _study_names(store, campaign):
        study = optuna.load_study(study_name=name, storage=store)
        out.update(study.user_attrs.get(SILICON_KEY, {}))
    return out


def _check_design(
    row: Any,
    spec: Any,
    *,
    target: str,
    tiles: int,
    seed: int,
    node_nm: int,
    progress: Any,
) -> dict[str, Any]:
    """Verify and synthesize the design of one front row; its record (without ``off_front``)."""
    from ..generate import params_from_config
    from ..sim.verify import verify
    from ..synth import synthesize

    params = params_from_config(spec.family, row.to_dict())
    if progress is not None:
        progress(f"{params.default_name()}: verifying")
    ver = verify(params, tiles=tiles, seed=seed)
    if progress is not None:
        progress(f"{params.default_name()}: synthesizing ({target})")
    rep = synthesize(params, target=target)
    measured = _measured_metrics(row, rep, node_nm)
    model = {m: float(row[m]) for m in spec.metric_names if m in row}
    if "logic_area_um2" in measured and "area_um2" in row:
        model["logic_area_um2"] = float(row["area_um2"]) - float(
            row.get("area_sram_um2", 0.0) or 0.0
        )
    errors = {
        m: 100.0 * (model[m] - v) / v
        for m, v in measured.items()
        if m in model and v and math.isfinite(model[m])
    }
    cycles = [(t.measured_cycles, t.predicted_cycles) for t in ver.tests]
    return {
        "explorer": str(row["explorer"]),
        "number": int(row["number"]),
        "design": params.default_name(),
        "params": params.to_dict(),
        "verified": bool(ver.passed),
        "cycles_match": all(m == p for m, p in cycles),
        "target": target,
        "node_differs": rep.target == "sky130hd" and node_nm != 130,
        "model": model,
        "measured": measured,
        "error_pct": errors,
        "fmax_mhz": rep.fmax_mhz,
        "model_fmax_mhz": float(row["fmax_mhz"]) if "fmax_mhz" in row else None,
        "silicon": {
            "area": rep.area,
            "power_w": rep.power.get("total_w") if rep.power else None,
            "cells": {k: v for k, v in rep.cells.items() if k != "by_type"},
            "fits": rep.fits,
            "tools": rep.tools,
            "netlist": rep.netlist,
        },
    }


def _flag_off_front(front: Any, spec: Any, records: list[dict[str, Any]]) -> None:
    """Set ``off_front``: the front again, with the checked designs' measured objectives."""
    import pandas as pd

    from . import pareto

    objectives = list(spec.objectives)
    frame = front[[m for m, _ in objectives]].astype(float).copy()
    for i, rec in enumerate(records):
        for m, v in rec["measured"].items():
            if m in frame.columns:
                frame.loc[i, m] = v
    mask = pareto.front_mask(pd.DataFrame(frame), objectives, feasible_only=False).to_numpy()
    for i, rec in enumerate(records):
        rec["off_front"] = not bool(mask[i])


def verify_front(
    store: Any,
    spec: Any,
    *,
    top: int = 3,
    target: str = "sky130hd",
    explorer: str | None = None,
    tiles: int = 4,
    seed: int = 0,
    progress: Any = None,
) -> list[dict[str, Any]]:
    """Verify and synthesize the ``top`` best Pareto designs; store and return the records."""
    import optuna

    from ..core.errors import ConfigError
    from .results import pareto_designs

    if top < 1:
        raise ConfigError(f"top must be >= 1, not {top!r}")
    front = pareto_designs(store, spec, explorer)
    if front.empty:
        raise ConfigError(f"campaign {spec.name!r} has no feasible design to check yet")
    chosen = front.head(top)
    node_nm = int(getattr(spec, "node_nm", 45))
    records = [
        _check_design(
            row, spec, target=target, tiles=tiles, seed=seed, node_nm=node_nm, progress=progress
        )
        for _, row in chosen.iterrows()
    ]
    _flag_off_front(front, spec, records)
    stored = {f"{r['explorer']}#{r['number']}": r for r in records}
    for name in _study_names(store, spec.name):
        study = optuna.load_study(study_name=name, storage=store)
        study.set_user_attr(SILICON_KEY, {**study.user_attrs.get(SILICON_KEY, {}), **stored})
    return records
