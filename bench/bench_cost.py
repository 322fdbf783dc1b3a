"""Cost-model benchmarks (``make bench``; not part of the test suite).

(a) Throughput of ``accelsmith.models.evaluate("systolic", ...)`` on one core, in
    (configuration x layer) evaluations per CPU second: 10^4 random configurations x
    ResNet-50 (54 layers), RTL and SCALE-Sim conventions. Targets (issue 17): >= 10^7 /s for
    totals, >= 3x10^6 /s with ``per_layer=True``. The load average is printed with the
    table (CPU time is less affected by a shared machine than wall time, not unaffected).
    ``--baseline REV`` measures the same table for the model at git revision ``REV`` (its
    ``accelsmith`` package extracted to a temporary folder, run in a subprocess pinned to the
    same core, in the same run) and prints both side by side with the speed-up.
(b) Side by side with the PyPI peers on the same layers and array sizes (a subset of
    ResNet-50, chosen within a budget of SCALE-Sim demand lines so the run stays short):
    ``scalesim`` 3.0.0 (all three dataflows) and ``zigzag-dse`` (its TPU-like
    weight-stationary array). Reports each tool's wall time per layer, our speed-up, and the
    relative difference of our SCALE-Sim-convention compute cycles (and SRAM counts, mapping
    efficiency, utilization) to SCALE-Sim's (target within 1 %).

Tables are printed and written as CSV under ``bench/results/``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import io  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tarfile  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from accelsmith.models import evaluate  # noqa: E402
from accelsmith.models.scalesim_convention import scalesim_layer  # noqa: E402
from accelsmith.models.workloads import load_workload  # noqa: E402

# ResNet-50 layers tried against the peers, in order, while the SCALE-Sim line budget lasts
PEER_LAYERS = (
    "layer1.0.conv1",
    "layer2.0.conv3",
    "layer3.0.conv3",
    "layer4.0.conv3",
    "fc",
    "layer3.1.conv1",
)
# our column -> SCALE-Sim's figure (its "overall utilization" excludes memory stalls in CALC
# mode, as our compute_utilization does; our `utilization` includes DRAM stalls)
COMPARED = {
    "compute_cycles": "compute_cycles",
    "ifmap_sram_reads": "ifmap_sram_reads",
    "filter_sram_reads": "filter_sram_reads",
    "ofmap_sram_writes": "ofmap_sram_writes",
    "mapping_efficiency": "mapping_efficiency",
    "compute_utilization": "utilization",
}


def cpu_s() -> float:
    """CPU seconds of this process and its reaped children (user + system).

    The machine running the bench may be shared: CPU time measures the work each tool does
    on its core, unaffected by time spent waiting for the scheduler; wall time is reported
    beside it.
    """
    t = os.times()
    return time.process_time() + t.children_user + t.children_system


def pin_one_core() -> str:
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    except (AttributeError, OSError):
        return "not pinned (no sched_setaffinity)"


def random_configs(n: int, seed: int, dataflows: tuple[str, ...]) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "rows": rng.integers(1, 257, n),
            "cols": rng.integers(1, 257, n),
            "dataflow": rng.choice(dataflows, n),
            "in_bits": rng.integers(2, 17, n),
            "ifmap_kb": rng.choice([16.0, 64.0, 256.0, 1024.0], n),
            "filter_kb": rng.choice([16.0, 64.0, 256.0, 1024.0], n),
            "ofmap_kb": rng.choice([16.0, 64.0, 256.0], n),
            "freq_mhz": rng.uniform(200.0, 2000.0, n),
            "dram_gbps": rng.choice([6.4, 25.6, 100.0, 400.0], n),
        }
    )


def throughput(n_configs: int, repeats: int) -> pd.DataFrame:
    wl = load_workload("resnet50")
    layers = len(wl.layers)
    rows = []
    for convention, dataflows in (("rtl", ("os", "ws")), ("scalesim", ("os", "ws", "is"))):
        cfgs = random_configs(n_configs, 0, dataflows)
        for per_layer in (False, True):
            evaluate("systolic", cfgs.iloc[:8], wl, convention=convention, per_layer=per_layer)
            times, cpus = [], []
            for _ in range(repeats):
                t0, c0 = time.perf_counter(), cpu_s()
                out = evaluate("systolic", cfgs, wl, convention=convention, per_layer=per_layer)
                times.append(time.perf_counter() - t0)
                cpus.append(cpu_s() - c0)
            assert np.isfinite(out["energy_j"]).all()
            best, median = min(cpus), float(np.median(cpus))
            rows.append(
                {
                    "convention": convention,
                    "per_layer": per_layer,
                    "configs": n_configs,
                    "layers": layers,
                    "evals": n_configs * layers,
                    "best_cpu_s": best,
                    "median_cpu_s": median,
                    "median_wall_s": float(np.median(times)),
                    "evals_per_s_best": n_configs * layers / best,
                    "evals_per_s_median": n_configs * layers / median,
                }
            )
    return pd.DataFrame(rows)


def baseline_throughput(rev: str, n_configs: int, repeats: int) -> pd.DataFrame:
    """The throughput table of the model at git revision ``rev``, measured by this bench in a
    subprocess that imports ``rev``'s ``accelsmith`` (extracted with ``git archive``)."""
    repo = HERE.parent
    got = subprocess.run(
        ["git", "-C", str(repo), "archive", "--format=tar", rev, "accelsmith"],
        capture_output=True,
    )
    if got.returncode != 0:
        msg = got.stderr.decode(errors="replace").strip().splitlines()
        raise ValueError(f"--baseline must be a git revision of {repo}, not {rev!r}: {msg[-1]}")
    with tempfile.TemporaryDirectory(prefix="bench_cost_baseline_") as tmp:
        with tarfile.open(fileobj=io.BytesIO(got.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        out = Path(tmp) / "results"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--no-peers", "--out", str(out)]
        cmd += ["--configs", str(n_configs), "--repeats", str(repeats)]
        env = {**os.environ, "PYTHONPATH": tmp}
        run = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if run.returncode != 0:
            raise RuntimeError(f"the baseline bench failed: {run.stderr.strip()[-500:]}")
        return pd.read_csv(out / "cost_throughput.csv")


def side_by_side(ours: pd.DataFrame, base: pd.DataFrame, rev: str) -> pd.DataFrame:
    key = ["convention", "per_layer"]
    rate = ["evals_per_s_best", "evals_per_s_median"]
    both = ours[key + rate].merge(base[key + rate], on=key, suffixes=("", f"_{rev}"))
    for r in rate:
        both[r.replace("evals_per_s", "speedup")] = both[r] / both[f"{r}_{rev}"]
    return both


def pick_layers(rows: int, cols: int, budget: int) -> list[tuple[str, int, int, int]]:
    """The peer layers whose SCALE-Sim demand lines (3 dataflows) fit in ``budget``."""
    g = load_workload("resnet50").to_gemms()
    index = {str(n): i for i, n in enumerate(g["names"])}
    picked, used = [], 0
    for name in PEER_LAYERS:
        i = index[name]
        m, n, k = int(g["M"][i]), int(g["N"][i]), int(g["K"][i])
        lines = sum(
            int(scalesim_layer(rows, cols, df, m, n, k)["compute_cycles"])
            for df in ("os", "ws", "is")
        )
        if picked and used + lines > budget:
            continue
        picked.append((name, m, n, k))
        used += lines
    return picked


def ours_per_layer(rows, cols, df, gemms, convention, repeats=30):
    cfg = [{"rows": rows, "cols": cols, "dataflow": df}]
    wl = [(m, n, k) for _, m, n, k in gemms]
    out = evaluate("systolic", cfg, wl, per_layer=True, convention=convention)  # warm-up
    c0, reps = cpu_s(), 0
    while reps < repeats or cpu_s() - c0 < 0.5:
        evaluate("systolic", cfg, wl, per_layer=True, convention=convention)
        reps += 1
    return out, (cpu_s() - c0) / reps / len(gemms)


def peers(arrays: list[tuple[int, int]], budget: int, amortized_s: float) -> pd.DataFrame:
    from scalesim_peer import run_scalesim

    try:
        from zigzag_peer import run_zigzag
    except ImportError:  # pragma: no cover - bench extra missing
        run_zigzag = None
    rows_out = []
    for rows, cols in arrays:
        gemms = pick_layers(rows, cols, budget)
        print(f"  {rows}x{cols}: layers {', '.join(g[0] for g in gemms)}", flush=True)
        for df in ("os", "ws", "is"):
            ours, ours_s = ours_per_layer(rows, cols, df, gemms, "scalesim")
            for j, (name, m, n, k) in enumerate(gemms):
                t0, c0 = time.perf_counter(), cpu_s()
                ref = run_scalesim(rows, cols, df, [(name, m, n, k)])[0]
                ss_s, ss_wall = cpu_s() - c0, time.perf_counter() - t0
                row = {
                    "array": f"{rows}x{cols}",
                    "dataflow": df,
                    "layer": name,
                    "M": m,
                    "N": n,
                    "K": k,
                    "tool": "scalesim",
                    "peer_s": ss_s,
                    "peer_wall_s": ss_wall,
                    "ours_s": ours_s,
                    "speedup": ss_s / ours_s,
                    "speedup_amortized": ss_s / amortized_s,
                    "peer_cycles": ref["compute_cycles"],
                    "ours_cycles": float(ours["compute_cycles"].iloc[j]),
                }
                row["rel_diff_cycles"] = row["ours_cycles"] / row["peer_cycles"] - 1.0
                for key, theirs in list(COMPARED.items())[1:]:
                    row[f"rel_diff_{key}"] = float(ours[key].iloc[j]) / float(ref[theirs]) - 1.0
                row["max_rel_diff_other"] = max(
                    abs(row[f"rel_diff_{key}"]) for key in list(COMPARED)[1:]
                )
                rows_out.append(row)
                print(
                    f"    scalesim {df} {name}: {ss_s:.1f} s, cycles {ref['compute_cycles']} vs "
                    f"{row['ours_cycles']:.0f}",
                    flush=True,
                )
        if run_zigzag is None:
            continue
        t0, c0 = time.perf_counter(), cpu_s()
        try:
            zz = run_zigzag(rows, cols, gemms)
        except Exception as exc:  # report the peer's failure, keep the rest of the bench
            print(f"    zigzag failed on {rows}x{cols}: {type(exc).__name__}: {exc}")
            continue
        zz_s = (cpu_s() - c0) / len(gemms)
        zz_wall = (time.perf_counter() - t0) / len(gemms)
        rtl, rtl_s = ours_per_layer(rows, cols, "ws", gemms, "rtl")
        for j, (name, m, n, k) in enumerate(gemms):
            row = {
                "array": f"{rows}x{cols}",
                "dataflow": "ws",
                "layer": name,
                "M": m,
                "N": n,
                "K": k,
                "tool": "zigzag",
                "peer_s": zz_s,
                "peer_wall_s": zz_wall,
                "ours_s": rtl_s,
                "speedup": zz_s / rtl_s,
                "speedup_amortized": zz_s / amortized_s,
                "peer_cycles": zz[j]["compute_cycles"],
                "peer_total_cycles": zz[j]["total_cycles"],
                "ours_cycles": float(rtl["compute_cycles"].iloc[j]),
            }
            row["rel_diff_cycles"] = row["ours_cycles"] / row["peer_cycles"] - 1.0
            rows_out.append(row)
        print(f"    zigzag ws: {zz_s:.1f} s per layer", flush=True)
    return pd.DataFrame(rows_out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--arrays", default="32x32,64x16", help="Array sizes for the peers.")
    ap.add_argument(
        "--line-budget",
        type=int,
        default=300_000,
        help="SCALE-Sim demand lines (cycles, 3 dataflows) per array size.",
    )
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument(
        "--baseline",
        metavar="REV",
        help="Also measure (a) for the model at this git revision, side by side.",
    )
    ap.add_argument("--out", type=Path, default=HERE / "results")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"bench_cost: {pin_one_core()}")

    base = None
    if args.baseline:
        try:
            base = baseline_throughput(args.baseline, args.configs, args.repeats)
        except ValueError as exc:
            print(f"bench_cost: {exc}", file=sys.stderr)
            return 2
        load_base = os.getloadavg()[:2]
    tp = throughput(args.configs, args.repeats)
    tp.to_csv(args.out / "cost_throughput.csv", index=False)
    print("\n(a) evaluate() throughput, 10^4 configurations x ResNet-50, one core (CPU time)")
    print(
        tp.to_string(
            index=False,
            formatters={
                "best_cpu_s": "{:.3f}".format,
                "median_cpu_s": "{:.3f}".format,
                "median_wall_s": "{:.3f}".format,
                "evals_per_s_best": "{:,.0f}".format,
                "evals_per_s_median": "{:,.0f}".format,
            },
        )
    )
    one, five, _ = os.getloadavg()
    print(f"load average (1 min / 5 min): {one:.1f} / {five:.1f} on {os.cpu_count()} CPUs")
    for per_layer, goal in ((False, 1e7), (True, 3e6)):
        rates = tp[tp["per_layer"] == per_layer]
        for _, r in rates.iterrows():
            ok = "met" if r["evals_per_s_best"] >= goal else "NOT met"
            print(
                f"{r['convention']:>8} {'per layer' if per_layer else 'totals':>9}: best "
                f"{r['evals_per_s_best']:,.0f} /s, median {r['evals_per_s_median']:,.0f} /s "
                f"(target >= {goal:,.0f}: {ok})"
            )
    if base is not None:
        sbs = side_by_side(tp, base, args.baseline)
        sbs.to_csv(args.out / "cost_throughput_vs_baseline.csv", index=False)
        print(
            f"\nside by side with {args.baseline} (measured first in this run, load "
            f"{load_base[0]:.1f} / {load_base[1]:.1f}), evaluations per CPU second"
        )
        rates = [c for c in sbs.columns if c.startswith("evals_per_s")]
        print(
            sbs.to_string(
                index=False,
                formatters={
                    **{c: "{:,.0f}".format for c in rates},
                    "speedup_best": "{:.2f}x".format,
                    "speedup_median": "{:.2f}x".format,
                },
            )
        )
    if args.no_peers:
        return 0
    amortized = 1.0 / tp[~tp["per_layer"]]["evals_per_s_median"].min()
    arrays = [tuple(int(x) for x in a.split("x")) for a in args.arrays.split(",")]
    print("\n(b) side by side with scalesim 3.0.0 and zigzag-dse (CPU seconds per layer)")
    pr = peers(arrays, args.line_budget, amortized)
    pr.to_csv(args.out / "cost_peers.csv", index=False)
    cols = ["tool", "array", "dataflow", "layer", "M", "N", "K", "peer_s", "peer_wall_s"]
    cols += ["ours_s", "speedup"]
    cols += ["peer_cycles", "ours_cycles", "rel_diff_cycles"]
    print(
        pr[cols].to_string(
            index=False,
            formatters={
                "peer_s": "{:.2f}".format,
                "peer_wall_s": "{:.2f}".format,
                "ours_s": "{:.2e}".format,
                "speedup": "{:,.0f}x".format,
                "peer_cycles": "{:,.0f}".format,
                "ours_cycles": "{:,.0f}".format,
                "rel_diff_cycles": "{:+.2%}".format,
            },
        )
    )
    ss = pr[pr["tool"] == "scalesim"]
    worst = ss["rel_diff_cycles"].abs().max()
    other = ss["max_rel_diff_other"].max()
    print(
        f"SCALE-Sim compute cycles: max |rel diff| {worst:.3%} over {len(ss)} layer x dataflow "
        f"runs (target 1 %: {'met' if worst <= 0.01 else 'NOT met'}); SRAM counts, mapping "
        f"efficiency and utilization: max |rel diff| {other:.3%}"
    )
    print(
        f"speed-up vs SCALE-Sim per layer: min {ss['speedup'].min():,.0f}x, median "
        f"{ss['speedup'].median():,.0f}x (one evaluate() call per array and dataflow, divided by "
        f"its layers); amortized over a 10^4-configuration batch: median "
        f"{ss['speedup_amortized'].median():,.0f}x (target 1000x: "
        f"{'met' if ss['speedup'].min() >= 1000 else 'NOT met'})"
    )
    zz = pr[pr["tool"] == "zigzag"]
    if len(zz):
        print(
            f"ZigZag (LOMA, TPU-like WS): median {zz['peer_s'].median():.2f} s per layer, "
            f"speed-up median {zz['speedup'].median():,.0f}x; our RTL WS cycles / ZigZag "
            f"compute cycles: median {np.median(zz['ours_cycles'] / zz['peer_cycles']):.3f} "
            "(ZigZag's latency_total0 has no systolic fill/drain; ours is the RTL's exact count)"
        )
    print(f"CSV written to {args.out}/cost_throughput.csv and cost_peers.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
