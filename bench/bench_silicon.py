"""Held-out accuracy of the 130 nm cost models against synthesis (issue 15 item 3).

For each family, configurations NOT used by the calibration (which synthesizes components
only: multipliers, adders, muxes, registers, enable fan-outs, and the generators' own PEs and
LUT rows wrapped in input registers; ``accelsmith calibrate``) are
generated, synthesized on sky130hd (``accelsmith.synth``, cached by content hash) and compared
with the cost model at ``node_nm=130``:

- area: the model's ``area_um2`` minus its SRAM buffers (the RTL has none); PIM: logic only,
  the synthesized total minus the black-box SRAM macros vs. the node-130 model's
  ``area_logic_um2`` (both sides cost the macros with the same OpenRAM table);
- Fmax: the model's ``fmax_mhz`` where it has one (systolic, lut-core, pim); others print "n/a";
- power, like with like: the synthesized total at a 10 ns clock and 0.1 toggles/cycle
  (OpenSTA, vectorless) vs. the model's ``power_flow_w`` at ``freq_mhz=100`` -- the power the
  130 nm model predicts for those same conditions (every flip-flop's clock energy per cycle
  plus data switching at the calibration's activity, from components synthesized and powered
  by the same flow: :func:`accelsmith.models.calib.flow_power_w`). Families whose model has
  no ``power_flow_w`` column fall back to the model's compute power (energy minus SRAM and
  DRAM, over latency, every MAC busy: a different activity assumption) and say so.

Noise floor (``--noise K``): the first ``--noise-n`` configurations of each family (whose
name contains ``--noise-match``, e.g. ``int8``: a floating-point PIM channel takes minutes) are
synthesized again under K semantically null rewrites of their Verilog
(:mod:`accelsmith.synth.perturb`: the continuous assignments reversed, then shuffled with
seeds 1..K-1; ``--noise-kinds a,b,...``: the first K of those kinds of rewrite instead, e.g.
``unused,ports,assigns``). The flow is deterministic, but ABC's mapping follows the order its
netlist arrives in, so Fmax moves between these equivalent designs. Reordered assignments need
not move it: ``sa_ws_3x3_s5`` at ``max_k`` 8 kept 5.17 ns under ``assigns``, ``shuffle1`` and
``shuffle2`` (floor 0.0 %) and gave 4.78 ns with one ``unused`` input port
(``bench/results/sys13_ws_fold_columns_2026-12-08.txt``). A model that predicts one number
per configuration cannot do better, against every variant, than half the spread around its
midpoint: ``floor = max over configurations of (max - min) / (max + min)``, printed beside
the family's worst error (and each configuration's model error against the variants'
median).

ECP5 (``--ecp5 N``): LUT4/FF/MULT18X18D/Fmax measured for the first N configurations of each
family; the cost models have no ECP5 resource model yet, so only the measurements print.

Sets ``simd-wide`` (``--n-wide``) and ``simd-mixed`` (``--n-mixed``) draw SIMD engines too
(the paths the ``simd`` set leaves out; the mixed integer/float exact slots at pipeline 1
and 2); ``simd all`` pools the SIMD sets given.

Usage: ``python bench/bench_silicon.py [--families systolic,pim] [--n 20] [--ecp5 4]
[--noise 4 [--noise-n 8] [--noise-match int8] [--noise-kinds unused,ports,assigns,shuffle1]]
[--json out.json]`` (``--json`` into an existing file replaces the families this run ran and
keeps the others). Goals (issue 15): area within 5 % mean / 10 % worst, Fmax 10 %, power 15 %.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from typing import Any

GOALS = {"area": (5.0, 10.0), "fmax": (10.0, 10.0), "power": (15.0, 15.0)}


def _systolic(rng: random.Random, n: int) -> list[dict[str, Any]]:
    out = []
    while len(out) < n:
        out.append(
            {
                "rows": rng.randint(1, 4),
                "cols": rng.randint(1, 4),
                "dataflow": rng.choice(["os", "ws"]),
                "in_bits": rng.choice([3, 5, 6, 7, 9, 10]),
                "signed": rng.choice([True, False]),
                "max_k": rng.choice([8, 24, 100]),
            }
        )
    return out


def _lut(rng: random.Random, n: int) -> list[dict[str, Any]]:
    return [
        {
            "group_size": rng.randint(2, 4),
            "weight_bits": rng.randint(1, 3),
            "act_bits": rng.choice([4, 5, 7, 9]),
            "tile_m": rng.randint(1, 2),
            "tile_n": rng.randint(1, 3),
            "symmetric": rng.choice([True, False]),
            "max_k": rng.choice([16, 60]),
        }
        for _ in range(n)
    ]


def _simd(rng: random.Random, n: int) -> list[dict[str, Any]]:
    out = []
    while len(out) < n:
        lane_bits = rng.choice([8, 16])
        fmts = [f for f in ("int4", "int8", "fp8_e4m3", "fp4_e2m1") if rng.random() < 0.5]
        out.append(
            {
                "lane_bits": lane_bits,
                "lanes": rng.randint(1, 3),
                "formats": fmts or ["int8"],
                "pipeline": rng.randint(1, 2),
                "max_k": rng.choice([16, 48]),
            }
        )
    return out


SIMD_MODES = (
    "int4", "int8", "fp4_e2m1", "fp8_e4m3", "fp8_e5m2", "posit4_1", "posit8_0", "posit16_1",
    "posit8_0xfp4_e2m1",
)  # fmt: skip


def _simd_wide(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """Held-out SIMD engines of the paths :func:`_simd` leaves out (simdb): every other one
    accumulates in binary32 (``acc=fp32``), every third has 32-bit words; formats from all 9
    modes (half of the exact ones with at least one posit mode), every result format
    (posits included), pipeline 1..4, odd ``max_k``. A 32-bit word has one lane (a 32-bit
    lane of fp32 adders is large: 5-10 min of synthesis each on the shared machine); others
    1..3 lanes. The calibration never synthesizes an engine (components only)."""
    from accelsmith.core.numformats import MODES

    out = []
    i = 0
    while len(out) < n:
        acc = ("fp32", "exact")[i % 2]
        lane_bits = 32 if i % 3 == 0 else rng.choice([8, 16])
        fits = [f for f in SIMD_MODES if MODES[f].width <= lane_bits]
        fmts = [f for f in fits if rng.random() < 0.3][:3]
        if acc == "exact" and i % 4 == 1 and not any("posit" in f for f in fmts):
            fmts.append(rng.choice([f for f in fits if "posit" in f]))
        out.append(
            {
                "lane_bits": lane_bits,
                "lanes": 1 if lane_bits == 32 else rng.randint(1, 3),
                "formats": fmts or [rng.choice(fits)],
                "acc": acc,
                "pipeline": rng.randint(1, 4),
                "max_k": rng.choice([7, 33, 100]),
                "out_format": rng.choice(["fp32", "bf16", "fp16", "posit16_1", "posit8_0"]),
            }
        )
        i += 1
    return out


def _simd_mixed(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """Held-out SIMD engines of the path simd6 re-modelled (the exact slot at pipeline 1
    and 2 whose decode, multiply, align and quire add share a cycle: ``schainl*``): every
    engine mixes an integer mode with FP4 or FP8 (the mixed slot), 8- and 16-bit words, 1..3
    lanes, odd ``max_k``, binary32 or bf16 results. Drawn after that model was fixed, never
    used to choose it (its form came from leave-one-out over calibration lanes)."""
    out = []
    while len(out) < n:
        ints = [f for f in ("int4", "int8") if rng.random() < 0.6] or ["int8"]
        floats = [f for f in ("fp4_e2m1", "fp8_e4m3") if rng.random() < 0.5] or ["fp4_e2m1"]
        out.append(
            {
                "lane_bits": rng.choice([8, 16]),
                "lanes": rng.randint(1, 3),
                "formats": ints + floats,
                "pipeline": rng.randint(1, 2),
                "max_k": rng.choice([5, 27, 200]),
                "out_format": rng.choice(["fp32", "bf16"]),
            }
        )
    return out


def _pim(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """Held-out PIM channels (pim130): every precision (int8 half of them: a floating-point
    channel takes 3-10 min to synthesize on the shared 2-core machine), 1-3 lanes and 1-3
    banks (floating point: at most 2 lanes x banks), 1-3 bursts per row, odd row counts, two
    timing presets and a short read latency (``t_cl`` 2-6: the read pipeline's delay line is
    ``t_cl x`` the read width). None of them is a calibration component (those are the lanes
    alone and the control with stand-ins for banks: ``accelsmith.synth.components_pim``)."""
    out = []
    for _ in range(n):
        prec = rng.choice(["int8", "int8", "fp16", "bf16"])
        lanes = rng.randint(1, 3 if prec == "int8" else 2)
        banks = rng.randint(1, 3 if prec == "int8" else 2 // lanes)
        elem = 8 if prec == "int8" else 16
        out.append(
            {
                "precision": prec,
                "lanes": lanes,
                "banks": banks,
                "rows": rng.choice([2, 3, 5, 6, 7]),
                "row_bytes": lanes * elem * rng.randint(1, 3) // 8,
                "timing": rng.choice(["hbm2", "gddr6"]),
                "t_cl": rng.choice([2, 3, 5, 6]),
            }
        )
    return out


_MODE_TAGS = dict(
    zip(SIMD_MODES, ("i4", "i8", "f4", "e4", "e5", "p4", "p8", "p16", "px"), strict=True)
)


def _name(family: str, p: Any) -> str:
    """Design (and top-module) name: the default name, made unique for PIM channels, whose
    default name omits rows, page, timing and read latency, and for the wide SIMD set
    (pipeline, ``max_k`` and the modes; the ``simd`` set keeps the default name, which its
    cached syntheses carry)."""
    if family in ("simd-wide", "simd-mixed"):
        tags = "".join(_MODE_TAGS[f] for f in p.formats)
        return f"{p.default_name()}_p{p.pipeline}_k{p.max_k}_{tags}"
    if family != "pim":
        return p.default_name()
    return f"{p.default_name()}_r{p.rows}_p{p.row_bytes}_{p.timing[:2]}_cl{p.t_cl}"


GENERATORS = {
    "systolic": _systolic,
    "lut-core": _lut,
    "simd": _simd,
    "simd-wide": _simd_wide,
    "simd-mixed": _simd_mixed,
    "pim": _pim,
}
#: bench sets that draw another family's designs
FAMILY_OF = {"simd-wide": "simd", "simd-mixed": "simd"}


def _valid(family: str, configs: list[dict[str, Any]], n: int) -> list[Any]:
    from accelsmith.core.errors import ConfigError
    from accelsmith.core.registry import get_family

    cls = get_family(FAMILY_OF.get(family, family)).params_class()
    out, seen = [], set()
    for cfg in configs:
        try:
            p = cls.from_dict(cfg, source="bench")
        except ConfigError:
            continue
        if _name(family, p) in seen:
            continue
        seen.add(_name(family, p))
        out.append(p)
    return out[:n]


def _model(family: str, params: Any) -> dict[str, float | None]:
    from accelsmith.models import evaluate
    from accelsmith.models.workloads import GEMM, Workload

    family = FAMILY_OF.get(family, family)
    wl = Workload(name="bench", layers=(GEMM(name="g", M=64, N=64, K=64),))
    cfg = {**params.to_dict(), "freq_mhz": 100.0}
    if family == "simd":
        cfg["formats"] = ",".join(params.formats)
    if family == "pim":  # the generator builds one channel (the cost model's default is 16)
        cfg["channels"] = 1
    df = evaluate(family, [cfg], wl, node_nm=130)
    row = {k: float(v) for k, v in df.iloc[0].items() if isinstance(v, (int, float))}
    if family == "pim":  # logic only: the macros are the same SRAM table on both sides
        area = row.get("area_logic_um2", row.get("area_lanes_um2"))
    else:
        area = row["area_um2"] - row.get("area_sram_um2", 0.0)
    if "power_flow_w" in row:
        power = row["power_flow_w"]
    else:
        e = row["energy_j"] - row.get("energy_sram_j", 0.0) - row.get("energy_dram_j", 0.0)
        power = e / row["latency_s"]
    return {"area": area, "fmax": row.get("fmax_mhz"), "power": power}


def _measured(rep: Any) -> dict[str, float | None]:
    area = rep.area["total"]
    if rep.design.get("family") == "pim":
        area -= rep.area["memory"]
    return {"area": area, "fmax": rep.fmax_mhz, "power": rep.power["total_w"]}


def _variants(k: int, kinds: list[str] | None = None) -> list[str]:
    """The K perturbations of the noise floor: reversed assignments, then seeded shuffles;
    or the first K of ``kinds`` (``--noise-kinds``)."""
    if kinds is not None:
        return kinds[:k]
    return ["assigns", *(f"shuffle{i}" for i in range(1, k))][:k]


def _noise_kinds(text: str | None, k: int) -> tuple[list[str] | None, str | None]:
    """``--noise-kinds`` checked against :data:`accelsmith.synth.perturb.PERTURBATIONS` (and
    ``shuffle<N>``) and ``--noise`` K: ``(kinds, None)`` or ``(None, error)``."""
    if text is None:
        return None, None
    import re

    from accelsmith.synth.perturb import PERTURBATIONS

    kinds = [t.strip() for t in text.split(",")]
    bad = [t for t in kinds if t not in PERTURBATIONS and not re.fullmatch(r"shuffle\d+", t)]
    if bad or len(set(kinds)) != len(kinds):
        what = repr(bad[0]) if bad else "a repeated kind"
        return None, (
            f"--noise-kinds must be a comma list of distinct {', '.join(PERTURBATIONS)} "
            f"or shuffle<N>, not {what}"
        )
    if k > len(kinds):
        return None, f"--noise must be at most the {len(kinds)} --noise-kinds given, not {k}"
    return kinds, None


def _noise(
    family: str, p: Any, base_fmax: float | None, k: int, kinds: list[str] | None = None
) -> dict[str, Any]:
    """Fmax of ``p``'s design under ``k`` semantically null rewrites (module doc)."""
    from accelsmith.core.registry import get_family
    from accelsmith.hdl.emit import verilog_text
    from accelsmith.synth.flow import synthesize_verilog
    from accelsmith.synth.perturb import perturb

    top = _name(family, p)
    verilog = verilog_text(get_family(FAMILY_OF.get(family, family)).build()(p), top)
    fmax = {"base": base_fmax}
    for kind in _variants(k, kinds):
        text, name = perturb(verilog, top, kind)
        design = {
            "name": name,
            "family": FAMILY_OF.get(family, family),
            "params": p.to_dict(),
            "perturbation": kind,
        }
        fmax[kind] = synthesize_verilog(text, name, design, clock_ns=10.0).fmax_mhz
    return _noise_stats(fmax)


def half_spread_pct(values: list[float]) -> float:
    """Half the spread of ``values`` around their midpoint, %: ``(max - min) / (max + min)``,
    the smallest worst-case error one number can have against all of them."""
    lo, hi = min(values), max(values)
    return 100.0 * (hi - lo) / (hi + lo)


def _noise_stats(fmax: dict[str, float | None]) -> dict[str, Any]:
    """The variants' Fmax, their median and half their spread around the midpoint (%): the
    smallest worst-case error a single number can have against all of them."""
    vals = sorted(v for v in fmax.values() if v)
    if not vals:
        return {"fmax_mhz": fmax, "median_mhz": None, "half_spread_pct": None}
    n = len(vals)
    median = vals[n // 2] if n % 2 else (vals[n // 2 - 1] + vals[n // 2]) / 2
    return {"fmax_mhz": fmax, "median_mhz": median, "half_spread_pct": half_spread_pct(vals)}


def _err(model: float | None, meas: float | None) -> float | None:
    if model is None or meas is None or meas == 0:
        return None
    return 100.0 * (model - meas) / meas


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--families", default="systolic,lut-core,simd,simd-wide,simd-mixed,pim")
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument(
        "--n-wide", type=int, default=10, help="designs of the simd-wide set (else --n)"
    )
    ap.add_argument("--n-mixed", type=int, default=8, help="designs of the simd-mixed set")
    ap.add_argument("--ecp5", type=int, default=0, help="ECP5 runs per family")
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--noise", type=int, default=0, help="null rewrites per config (floor)")
    ap.add_argument("--noise-n", type=int, default=None, help="configs per family for --noise")
    ap.add_argument(
        "--noise-match", default="", help="--noise only for names containing this (e.g. int8)"
    )
    ap.add_argument(
        "--noise-kinds",
        default=None,
        help="--noise's rewrites: a comma list of accelsmith.synth.perturb kinds (default: "
        "assigns, shuffle1, shuffle2, ...)",
    )
    ap.add_argument(
        "--json",
        default=None,
        help="write the rows to this file; an existing one keeps the other families' rows "
        "(each run replaces the families it ran)",
    )
    args = ap.parse_args(argv)
    bad = [f for f in args.families.split(",") if f not in GENERATORS]
    if bad:
        ap.error(f"--families must be a comma list of {', '.join(GENERATORS)}, not {bad[0]!r}")
    if args.n < 1:
        ap.error(f"--n must be at least 1, not {args.n}")
    if args.n_wide < 1:
        ap.error(f"--n-wide must be at least 1, not {args.n_wide}")
    if args.n_mixed < 1:
        ap.error(f"--n-mixed must be at least 1, not {args.n_mixed}")
    if args.noise < 0:
        ap.error(f"--noise must be 0 (off) or a count of rewrites, not {args.noise}")
    if args.noise_n is not None and args.noise_n < 1:
        ap.error(f"--noise-n must be at least 1, not {args.noise_n}")
    noise_kinds, err = _noise_kinds(args.noise_kinds, args.noise)
    if err:
        ap.error(err)
    from accelsmith.core.errors import AccelsmithError
    from accelsmith.synth import synthesize

    results: dict[str, Any] = {}
    for family in args.families.split(","):
        rng = random.Random(f"{args.seed}-{family}")
        n = {"simd-wide": args.n_wide, "simd-mixed": args.n_mixed}.get(family, args.n)
        params = _valid(family, GENERATORS[family](rng, 6 * n), n)
        rows = []
        for p in params:
            t0 = time.perf_counter()
            try:
                rep = synthesize(p, clock_ns=10.0, name=_name(family, p))
            except AccelsmithError as exc:
                print(f"{family} {_name(family, p)}: {exc}", file=sys.stderr)
                continue
            try:
                model = _model(family, p)
            except AccelsmithError as exc:
                print(f"{family} {_name(family, p)}: model: {exc}", file=sys.stderr)
                model = {"area": None, "fmax": None, "power": None}
            meas = _measured(rep)
            row = {
                "name": _name(family, p),
                "params": p.to_dict(),
                "measured": meas,
                "model": model,
                "err_pct": {k: _err(model[k], meas[k]) for k in meas},
                "seconds": round(time.perf_counter() - t0, 1),
            }
            noise_n = args.n if args.noise_n is None else args.noise_n
            n_noisy = sum("noise" in r for r in rows)
            if (
                args.noise
                and n_noisy < noise_n
                and meas["fmax"]
                and args.noise_match in row["name"]
            ):
                try:
                    row["noise"] = _noise(family, p, meas["fmax"], args.noise, noise_kinds)
                except AccelsmithError as exc:
                    print(f"{family} {row['name']} noise: {exc}", file=sys.stderr)
            rows.append(row)
            e = row["err_pct"]
            print(
                f"{family:9s} {row['name']:36s} area {meas['area']:10.0f} um2 "
                f"({_fmt(e['area'])})  fmax {_num(meas['fmax'])} MHz ({_fmt(e['fmax'])})  "
                f"power {meas['power'] * 1e3:8.3f} mW ({_fmt(e['power'])})",
                flush=True,
            )
            if "noise" in row:
                nz = row["noise"]
                fm = " ".join(f"{k} {_num(v).strip()}" for k, v in nz["fmax_mhz"].items())
                med = _err(model["fmax"], nz["median_mhz"])
                print(
                    f"{'':9s} {'':28s} noise: fmax {fm} MHz; half-spread "
                    f"{nz['half_spread_pct']:.1f} %; model vs median {_fmt(med)}",
                    flush=True,
                )
        ecp5 = []
        for p in params[: args.ecp5]:
            try:
                rep = synthesize(p, target="ecp5", device="85k")
            except AccelsmithError as exc:
                print(f"{family} {p.default_name()} ecp5: {exc}", file=sys.stderr)
                continue
            ecp5.append(
                {
                    "name": p.default_name(),
                    **{k: rep.cells[k] for k in ("LUT4", "FF", "MULT18X18D", "DP16KD")},
                    "fmax_mhz": rep.fmax_mhz,
                }
            )
            print(f"{family:9s} {p.default_name():28s} ECP5 {ecp5[-1]}", flush=True)
        results[family] = {"rows": rows, "ecp5": ecp5}
    print()
    print(
        f"{'family':9s} {'n':>3s}  {'area mean/worst %':>18s}  {'fmax mean/worst %':>18s}  "
        f"{'power mean/worst %':>19s}"
    )
    sets = {family: res["rows"] for family, res in results.items()}
    simd_sets = [f for f in ("simd", "simd-wide", "simd-mixed") if f in sets]
    if len(simd_sets) > 1:  # the SIMD sets pooled
        sets["simd all"] = [r for f in simd_sets for r in sets[f]]
    for family, rows in sets.items():
        cols = []
        for k in ("area", "fmax", "power"):
            errs = [abs(r["err_pct"][k]) for r in rows if r["err_pct"][k] is not None]
            if not errs:
                cols.append("n/a")
                continue
            mean, worst = sum(errs) / len(errs), max(errs)
            ok = mean <= GOALS[k][0] and worst <= GOALS[k][1]
            cols.append(f"{mean:5.1f}/{worst:5.1f} {'met' if ok else 'NOT met'}")
        floor = [r["noise"]["half_spread_pct"] for r in rows if r.get("noise")]
        floor_txt = ""
        if floor:
            floor_txt = (
                f"  fmax noise floor {max(floor):4.1f} % worst, {sum(floor) / len(floor):4.1f} % "
                f"mean ({len(floor)} configs x {args.noise} rewrites)"
            )
        print(
            f"{family:9s} {len(rows):3d}  {cols[0]:>18s}  {cols[1]:>18s}  {cols[2]:>19s}"
            + floor_txt
        )
    print("goals: area 5 % mean / 10 % worst, Fmax 10 %, power 15 % (issue 15)")
    if args.json:
        _write_json(args.json, results)
    return 0


def dev_set_args(doc: str, seed: int, n: int, argv: list[str] | None) -> Any:
    """``--seed`` and ``--n`` of a development-set bench (``bench_*_dev.py``), checked."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--seed", type=int, default=seed)
    ap.add_argument("--n", type=int, default=n)
    args = ap.parse_args(argv)
    if args.n < 1:
        ap.error(f"--n must be at least 1, not {args.n}")
    return args


def run_dev_set(
    family: str,
    designs: list[Any],
    variants: tuple[str, ...],
    apply: Any,
    synth: Any,
) -> dict[str, list[float]]:
    """Compare model variants on a development set (never the held-out rows): each design is
    synthesized (``synth(params) -> (name, fmax_mhz)``), then for each variant ``apply(v)``
    sets the model up and its Fmax error (%) is taken; ``apply(None)`` restores the model at
    the end. Prints one line per design and each variant's mean / worst |error|."""
    import numpy as np

    errs: dict[str, list[float]] = {v: [] for v in variants}
    try:
        for p in designs:
            top, fmax = synth(p)
            cells = []
            for v in variants:
                apply(v)
                e = 100.0 * (_model(family, p)["fmax"] - fmax) / fmax
                errs[v].append(e)
                cells.append(f"{v} {e:+6.1f}%")
            print(f"{top:40s} fmax {fmax:6.1f} MHz  " + "  ".join(cells), flush=True)
    finally:
        apply(None)
    print()
    for v, e in errs.items():
        a = np.abs(e)
        print(f"{v:8s} fmax error mean {a.mean():5.1f} %  worst {a.max():5.1f} %")
    return errs


def _write_json(path: str, results: dict[str, Any]) -> None:
    """Write ``results`` (family -> rows) to ``path``, keeping the families of an existing
    file that this run did not run (so one file holds runs with different ``--noise``
    settings); atomically."""
    from pathlib import Path

    from accelsmith.core.files import atomic_write

    old: dict[str, Any] = {}
    if Path(path).is_file():
        try:
            old = json.loads(Path(path).read_text())
        except json.JSONDecodeError:
            old = {}
        if not isinstance(old, dict):
            old = {}
    atomic_write(Path(path), json.dumps({**old, **results}, indent=1))


def _fmt(e: float | None) -> str:
    return "  n/a " if e is None else f"{e:+6.1f}%"


def _num(v: float | None) -> str:
    return "  n/a" if v is None else f"{v:5.0f}"


if __name__ == "__main__":
    sys.exit(main())
