"""``accelsmith calibrate``: synthesize the datapath components, fit, write the constants.

Components (:mod:`.components`) at each width the families use are synthesized on sky130hd;
:mod:`accelsmith.models.calib` interpolates operator area (um^2), energy per operation (J) and
register-to-register delay (ns) between the sampled widths. The result is a JSON data file
with provenance (flow, tool versions, liberty sha256, date, activity, clock, every sample).
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path
from typing import Any

from ..core.files import atomic_write
from .asic import ABC_CONSTR, ABC_SCRIPT, DEFAULT_ACTIVITY
from .components import CTX_KINDS, LUT_CTX_KINDS, LUT_ROW_KINDS, LUT_VAR_KINDS, component
from .components_pim import PIM_WIDTHS
from .components_simd import SIMD_WIDTHS
from .flow import synthesize_verilog

__all__ = ["DEFAULT_OUT", "WIDTHS", "calibrate", "select_kinds", "update"]

# widths the families use: inputs 2..16 (systolic, lut-core activations, simd lanes, pim int8
# / fp16 mantissas) and accumulators 16..48
# PEs at every operand width 2..10 the families' generators are used with, then 12 and 16:
# a PE's register-to-register period moves by up to 1 ns between neighbouring widths (ABC's
# delay-driven mapping), so interpolating across a gap of 2..4 bits misses it
PE_WIDTHS = (2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 16)
# the LUT core in context at every activation width 4..10 (the family's lower bound is 4), then
# 12 and 16; the in-context period moves between neighbouring widths as the PE's does
LUT_CTX_WIDTHS = (4, 5, 6, 7, 8, 9, 10, 12, 16)
WIDTHS: dict[str, tuple[int, ...]] = {
    "mul": (2, 4, 6, 8, 12, 16),
    "add": (4, 8, 16, 24, 32, 48),
    "mux": (4, 8, 16, 32),
    "reg": (4, 8, 16, 32),
    "pipe": (8,),
    "fan": (4, 16, 64, 256),
    "mac": (2, 4, 6, 8, 12, 16),
    "reg0": (8, 32),
    "ospe_s": PE_WIDTHS,
    "ospe_u": PE_WIDTHS,
    "wspe_s": PE_WIDTHS,
    "wspe_u": PE_WIDTHS,
    "ospe_sn": PE_WIDTHS,
    "ospe_un": PE_WIDTHS,
    "wspe_sn": PE_WIDTHS,
    "wspe_un": PE_WIDTHS,
    "neg": (4, 8, 12, 16),
    **{kind: PE_WIDTHS for kind in CTX_KINDS},  # in_bits of the 2 x 2 array context
    **{kind: (4, 6, 9) for kind in LUT_ROW_KINDS},  # act_bits
    # act_bits of the 1 x 1 core; at the shallow reduction only the slope over the
    # accumulator is taken (pooled over the widths), so a few widths
    **{k: LUT_CTX_WIDTHS for k in LUT_CTX_KINDS if not k.startswith("lutctxn")},
    **{k: (4, 6, 9) for k in LUT_CTX_KINDS if k.startswith("lutctxn")},
    # the drain (2-row core) and the 3-/4-bit-weight core at group size 2: every width, like
    # the 1 x 1 core whose level they bound; the one-column drain core at max_k 4 too (its
    # drain, a function of the accumulator width alone, is sampled from 9 to 21 bits there,
    # below the 13 to 25 bits at max_k 64); the two-column one at max_k 4 for a slope only
    **{k: LUT_CTX_WIDTHS for k in LUT_VAR_KINDS if not k.startswith("lutctxmn2")},
    **{k: (4, 6, 9) for k in LUT_VAR_KINDS if k.startswith("lutctxmn2")},  # slope only
    **PIM_WIDTHS,  # lanes (pimmac_*) and banks (pimctl): components_pim
    **SIMD_WIDTHS,  # the SIMD lane's blocks, written apart as "simd_samples" (simd130)
}
CLOCK_NS = 10.0
#: the flip-flop output nets of a WS array's fold queues (``WsCol``: ``q``, ``sum``) and of
#: its result (the last column's sum and the de-skew lines end in ``c__payload``)
WS_FOLD_NETS = (".q [", ".q[", ".sum", "c__payload")
# switching activity of each component's power run: the flow's default, except ``reg0``
# (activity 0: a flip-flop's clock-pin power alone, the per-flop clock term of the models)
ACTIVITY = {"reg0": 0.0}
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "models" / "calib_sky130.json"


# ECP5: resource counts of the same components after synth_ecp5 (no place and route)
ECP5_WIDTHS: dict[str, tuple[int, ...]] = {
    "mul": (2, 4, 6, 8, 12, 16),
    "add": (4, 8, 16, 24, 32, 48),
    "reg": (8,),
}


def calibrate_ecp5(widths: dict[str, tuple[int, ...]] | None = None) -> dict[str, Any]:
    """ECP5 resources (LUT4, FF, MULT18X18D) of the components, with the tool versions."""
    from ..hdl.emit import verilog_text

    samples: dict[str, list[dict[str, Any]]] = {}
    tools: dict[str, str] = {}
    for kind, ws in (widths or ECP5_WIDTHS).items():
        for w in ws:
            comp, top = component(kind, w)
            rep = synthesize_verilog(
                verilog_text(comp, top),
                top,
                {"name": top, "component": kind, "width": w},
                target="ecp5",
                place_and_route=False,
            )
            tools = rep.tools
            samples.setdefault(kind, []).append(
                {"width": w, **{k: rep.cells[k] for k in ("LUT4", "FF", "MULT18X18D")}}
            )
    return {"tools": tools, "samples": samples}


def select_kinds(patterns: str) -> list[str]:
    """The calibration components named by ``patterns`` (comma-separated names or shell
    patterns such as ``lutctxm_*``), in :data:`WIDTHS` order.

    Raises
    ------
    ConfigError
        A pattern that names no component (the message lists the kinds' prefixes).
    """
    import fnmatch

    from ..core.errors import ConfigError

    chosen: set[str] = set()
    for pat in (p.strip() for p in patterns.split(",")):
        hit = fnmatch.filter(WIDTHS, pat) if pat else []
        if not hit:
            heads = sorted({k.rstrip("0123456789sfun_") or k for k in WIDTHS})
            raise ConfigError(
                f"--kinds must name calibration components (names or patterns such as "
                f"'lutctxm_*'; kinds start with {', '.join(heads)}), not {pat!r}"
            )
        chosen.update(hit)
    return [k for k in WIDTHS if k in chosen]


def _split(kind: str, folder: str, top: str) -> dict[str, float]:
    """A drain core's (``lutctxm*``: two rows) worst path into its drain registers (the
    output registers and the split drain's first stage, ``drain_*``: ``drain_ns``) and into
    every other register (``row_ns``), apart: the drain's own level even where the row path
    is the worst (:func:`.paths.split_periods`); a SIMD chain-and-
    readout block's (``schainr*``) worst path into its result registers (``readout_ns``: the
    readout in context, where the block's worst path may be its chain's); a WS array in
    context's (``sactx*_ws_*``) worst path into its fold queues and results (``fold_ns``: each
    column's ``q`` and ``sum`` registers and the output's) and into its PEs' partial sums
    (``pe_ns``), each apart from the other (the array's period is the larger); nothing for
    the other kinds."""
    from .paths import split_periods

    if kind.startswith("schainr"):
        return {"readout_ns": split_periods(folder, top, "res[", CLOCK_NS)[0]}
    if kind in CTX_KINDS and "_ws_" in kind:
        fold = split_periods(folder, top, WS_FOLD_NETS, CLOCK_NS)[0]
        return {"fold_ns": fold, "pe_ns": split_periods(folder, top, "ps_out", CLOCK_NS)[0]}
    if not kind.startswith("lutctxm"):
        return {}
    drain, row = split_periods(folder, top, ("c__payload", "drain_"), CLOCK_NS)
    return {"drain_ns": drain, "row_ns": row}


#: the data file's tables a component's samples go to (``samples`` otherwise)
def _table(kind: str) -> str:
    if kind in SIMD_WIDTHS:
        return "simd_samples"
    if kind in PIM_WIDTHS:
        return "pim_samples"
    if kind in (*CTX_KINDS, *LUT_CTX_KINDS, *LUT_VAR_KINDS):
        return "ctx_samples"
    return "samples"


def update(kinds: list[str], out: Path = DEFAULT_OUT, new_widths: bool = False) -> dict[str, Any]:
    """Re-run the components ``kinds`` only (cached) and write them into the existing data
    file ``out``: their samples are replaced (or added), every other sample, the ECP5 table
    and the provenance's tools stay; the provenance records the partial run (date, kinds).
    ``new_widths``: synthesize only the widths of :data:`WIDTHS` that ``out`` has no sample
    of yet and keep the existing samples (an added width on a machine whose synthesis cache
    does not hold the others; the flow is deterministic, so a re-run would repeat them).

    Raises
    ------
    ConfigError
        ``out`` does not exist (a partial run updates a complete file), or its tool versions
        differ from the ones this run used (samples of two tool versions in one file).
    """
    from .partial import existing_data, record_partial

    data = existing_data(out)
    have = {
        k: {r["width"] for r in data.get(_table(k), {}).get(k, [])} if new_widths else set()
        for k in kinds
    }
    todo = {k: tuple(w for w in WIDTHS[k] if w not in have[k]) for k in kinds}
    todo = {k: ws for k, ws in todo.items() if ws}
    if not todo:
        return data
    new = calibrate(None, widths=todo, ecp5_widths={}, with_ecp5=False)
    extra = {"widths": {k: list(ws) for k, ws in todo.items()}} if new_widths else {}
    record_partial(data, new, out, list(todo), **extra)
    for kind in todo:
        table = _table(kind)
        rows = new.get(table, {}).get(kind)
        if rows is not None:
            if new_widths:
                rows = sorted([*data[table].get(kind, []), *rows], key=lambda r: r["width"])
            data.setdefault(table, {})[kind] = rows
    atomic_write(out, json.dumps(data, indent=1) + "\n")
    return data


def calibrate(
    out: Path | None = DEFAULT_OUT,
    widths: dict[str, tuple[int, ...]] | None = None,
    ecp5_widths: dict[str, tuple[int, ...]] | None = None,
    with_ecp5: bool = True,
) -> dict[str, Any]:
    """Run the component syntheses (cached) and write the samples; return the data
    (``with_ecp5=False``: without the ECP5 table, for :func:`update`)."""
    from ..hdl.emit import verilog_text

    widths = widths or WIDTHS
    samples: dict[str, list[dict[str, Any]]] = {}
    tools: dict[str, str] = {}
    for kind, ws in widths.items():
        for w in ws:
            comp, top = component(kind, w)
            rep = synthesize_verilog(
                verilog_text(comp, top),
                top,
                {"name": top, "component": kind, "width": w},
                clock_ns=CLOCK_NS,
                activity=ACTIVITY.get(kind, DEFAULT_ACTIVITY),
            )
            tools = rep.tools
            f_hz = 1e9 / CLOCK_NS
            op_area = rep.area["combinational"] + rep.area["buffer"]
            samples.setdefault(kind, []).append(
                {
                    "width": w,
                    "op_area_um2": op_area,
                    "seq_area_um2": rep.area["sequential"],
                    "flops": rep.cells["sequential"],
                    "wrapper_flops": getattr(comp, "wrapper_flops", 0),
                    "activity": ACTIVITY.get(kind, DEFAULT_ACTIVITY),
                    "energy_j": rep.power["by_group_w"].get("combinational", 0.0) / f_hz,
                    "seq_energy_j": rep.power["by_group_w"].get("sequential", 0.0) / f_hz,
                    "period_ns": None if rep.fmax_mhz is None else 1000.0 / rep.fmax_mhz,
                    "area_um2": rep.area["total"],
                    "leakage_w": rep.power["leakage_w"],
                    **getattr(comp, "calib_extra", {}),
                    **_split(kind, rep.folder, top),
                }
            )
    # the SIMD and PIM families' components in their own tables, so that the constants
    # pooled over "samples" (logic energy and leakage density: models.calib) stay the core
    # datapath's; the PE in a 2 x 2 array and the LUT core's small whole designs too
    simd = {k: samples.pop(k) for k in list(samples) if _table(k) == "simd_samples"}
    pim = {k: samples.pop(k) for k in list(samples) if _table(k) == "pim_samples"}
    ctx = {k: samples.pop(k) for k in list(samples) if _table(k) == "ctx_samples"}
    data = {
        "provenance": {
            "what": "calibrated against this project's RTL components synthesized on sky130hd",
            "flow": "accelsmith calibrate: Yosys synth + dfflibmap + abc (fanout buffering: "
            f"{ABC_SCRIPT}; -constr {ABC_CONSTR.strip()!r}) + buffer trees on nets with more "
            "than 8 sinks (synth/buftree.py), OpenSTA report_checks/report_power, pre-layout",
            "tools": tools,
            "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d"),
            "clock_ns": CLOCK_NS,
            "activity": DEFAULT_ACTIVITY,
        },
        "model": "accelsmith.models.calib interpolates the samples piecewise-linearly in "
        "log(width) -> log(value) (power law beyond the sampled range); reg: mean per bit",
        "samples": samples,
        "simd_samples": simd,  # accelsmith.models.simd_asic
        "pim_samples": pim,  # accelsmith.models.pim_asic
        "ctx_samples": ctx,  # accelsmith.models.calib.pe_period_ns
    }
    if with_ecp5:
        data["ecp5"] = calibrate_ecp5(ecp5_widths)
    if out is not None:
        atomic_write(out, json.dumps(data, indent=1) + "\n")
    return data
