"""Explorer benchmark: hypervolume ratio versus trials against the exact Pareto front.

For each benchmark space (systolic array on ResNet-50, on Llama-2-7B decode and on Llama-2-7B
prefill; the family's default space, 256,000 points) the ``exhaustive`` explorer gives the
exact front, then every other registered explorer runs ``--seeds`` times. Reported per space
and explorer:

- HV ratio (HV of the feasible trials so far / HV of the exact front; objectives normalized
  by the ideal and nadir of the exact front, reference point 1.1, see
  :mod:`accelsmith.dse.pareto`) after 200, 500 and 1000 trials for Optuna explorers and
  200, 500, 1000 and 2000 evaluations for the others (the RL explorers: they appear
  automatically once registered in :mod:`accelsmith.dse.explorers`); mean +- standard
  deviation over seeds, and the minimum;
- sampler overhead per trial (wall time of the run minus the time spent in the cost model,
  divided by the trials; in-memory Optuna storage, so no database I/O is included);
- wall time per run.

``gp`` is slow per trial (a Gaussian process refit each trial), so its budget is capped by
``--gp-budget`` (default 100); the table says so. Results go to ``bench/results/explorers.csv``
(one row per space, explorer, seed and checkpoint) and a table is printed.

Run: ``make bench`` or ``.venv/bin/python bench/bench_explorers.py [--seeds 5] [--jobs 2]``.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np

OBJECTIVES = {"latency_s": "minimize", "energy_j": "minimize", "area_um2": "minimize"}
SPACES: dict[str, dict[str, Any]] = {
    "sa-resnet50": {"family": "systolic", "workload": "resnet50", "objectives": OBJECTIVES},
    # the example campaign's workload; memory-bound GEMVs: its exact front is small (8 designs)
    "sa-llama2-7b-decode": {
        "family": "systolic",
        "workload": "llama2-7b-decode",
        "objectives": OBJECTIVES,
    },
    # a compute-bound LLM space with a richer front (164 designs)
    "sa-llama2-7b-prefill": {
        "family": "systolic",
        "workload": "llama2-7b-prefill",
        "objectives": OBJECTIVES,
    },
}
OPTUNA_CHECKPOINTS = (200, 500, 1000)
OTHER_CHECKPOINTS = (200, 500, 1000, 2000)
RESULTS = Path(__file__).resolve().parent / "results" / "explorers.csv"


def _spec(space: str) -> Any:
    from accelsmith.dse.spec import parse_spec

    return parse_spec({"name": f"bench-{space}", **SPACES[space]}, source=f"bench {space}")


class _TimedEvaluator:
    """Delegates to an Evaluator and adds up the seconds spent in ``evaluate``."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.seconds = 0.0

    def evaluate(self, configs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return self._inner.evaluate(configs)
        finally:
            self.seconds += time.perf_counter() - t0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def run_explorer(space: str, explorer: str, seed: int, budget: int) -> dict[str, Any]:
    """One run on an in-memory study; returns the objective matrix in trial order + timings."""
    import optuna

    from accelsmith.dse import pareto
    from accelsmith.dse.evaluator import Evaluator
    from accelsmith.dse.explorers import get_explorer
    from accelsmith.dse.explorers.base import ExplorerContext
    from accelsmith.dse.ledger import study_name, trials_frame

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    spec = _spec(space)
    cls = get_explorer(explorer)
    evaluator = _TimedEvaluator(Evaluator(spec))
    study = optuna.create_study(
        study_name=study_name(spec.name, explorer),
        storage=optuna.storages.InMemoryStorage(),
        directions=spec.directions,
    )
    ctx = ExplorerContext(
        spec=spec,
        space=spec.build_space(),
        evaluator=evaluator,  # type: ignore[arg-type]
        study=study,
        explorer=explorer,
        budget=budget,
        seed=seed,
        options=cls.check_options({}),
    )
    t0 = time.perf_counter()
    cls(ctx).run()
    wall = time.perf_counter() - t0
    frame = trials_frame(study)
    if "number" in frame.columns:
        frame = frame.sort_values("number", kind="stable")
    values = pareto.objective_values(frame, spec.objectives) if len(frame) else None
    return {
        "values": values,
        "trials": len(frame),
        "wall_s": wall,
        "eval_s": evaluator.seconds,
        "info": dict(study.user_attrs.get("accelsmith", {})),
        "loadavg": os.getloadavg()[0],  # timings are only comparable on an idle machine
    }


def _is_optuna(name: str) -> bool:
    from accelsmith.dse.explorers import get_explorer
    from accelsmith.dse.explorers.optuna_samplers import OptunaExplorer

    return issubclass(get_explorer(name), OptunaExplorer)


def _plan(args: argparse.Namespace) -> list[tuple[str, tuple[int, ...], int, str]]:
    """(explorer, checkpoints, budget, note) for every explorer to run."""
    from accelsmith.dse.explorers import explorer_names, get_explorer

    names = args.explorers or [n for n in explorer_names() if not get_explorer(n).exact]
    plan = []
    for name in names:
        cps = OPTUNA_CHECKPOINTS if _is_optuna(name) else OTHER_CHECKPOINTS
        if args.checkpoints:
            cps = tuple(args.checkpoints)
        budget, note = max(cps), ""
        if name == "gp" and args.gp_budget < budget:
            budget, note = args.gp_budget, f"budget capped at {args.gp_budget} (slow per trial)"
            cps = (*(c for c in cps if c < budget), budget)
        plan.append((name, cps, budget, note))
    return plan


def _fmt(x: np.ndarray) -> str:
    x = x[np.isfinite(x)]
    if not x.size:
        return "-"
    return f"{x.mean():.3f}±{x.std():.3f}" if x.size > 1 else f"{x[0]:.3f}"


def _table(df: Any, metric: str) -> str:
    """Text table per space from the CSV rows (mean±std over seeds at each checkpoint)."""
    ok = df[df["error"].isna()]
    all_cps = sorted(int(c) for c in ok["checkpoint"].dropna().unique())
    lines = []
    what = {
        "front_recall": "front recall (share of the exact front's designs found)",
        "hv_ratio_log": "HV ratio on log10 objectives",
    }.get(metric, "HV ratio on linear objectives")
    for space, sdf in df.groupby("space", sort=False):
        exact = sdf.iloc[0]
        lines.append(
            f"\n== {space}: {what}; {int(exact['points_evaluated']):,} "
            f"points, exact front {int(exact['front_size'])} designs ({exact['exact_s']:.1f} s)"
        )
        tag = "R@" if metric == "front_recall" else "HV@"
        head = f"{'explorer':<12}" + "".join(f"{tag + str(c):>14}" for c in all_cps)
        n95 = {"front_recall": "trials_to_95_recall", "hv_ratio_log": "trials_to_95_hv_log"}
        n95col = n95.get(metric)
        head += f"{'min@last':>10}{'n95 med':>9}{'ovh ms/trial':>14}{'wall s/run':>12}"
        head += f"{'seeds':>7}  note"
        lines.append(head)
        names = sorted(sdf["explorer"].unique(), key=lambda n: (n != "random", n))
        for name in names:
            e = sdf[sdf["explorer"] == name]
            if e["error"].notna().any():
                lines.append(f"{name:<12}  failed: {e['error'].dropna().iloc[0]}")
                continue
            cells = "".join(
                f"{_fmt(e.loc[e['checkpoint'] == c, metric].to_numpy(float)):>14}" for c in all_cps
            )
            last = e[e["checkpoint"] == e["checkpoint"].max()]
            runs = e.drop_duplicates("seed")
            note = e["note"].dropna().iloc[0] if "note" in e and e["note"].notna().any() else ""
            t95 = runs[n95col].to_numpy(float) if n95col and n95col in runs else np.array([])
            reached = t95[np.isfinite(t95)]
            n95txt = "-" if not len(reached) or len(reached) < len(t95) else f"{np.median(t95):.0f}"
            lines.append(
                f"{name:<12}{cells}{last[metric].min():>10.3f}{n95txt:>9}"
                f"{runs['overhead_ms_per_trial'].mean():>14.1f}{runs['wall_s'].mean():>12.1f}"
                f"{runs['seed'].nunique():>7}  {note}"
            )
    return "\n".join(lines)


def _print_tables(df: Any) -> None:
    from accelsmith.dse.pareto import REFERENCE_POINT

    print(_table(df, "front_recall"))
    print(_table(df, "hv_ratio_log"))
    print(_table(df, "hv_ratio"))
    print(
        "\nHV ratio: HV of the feasible trials so far / HV of the exact front, objectives "
        "normalized by the exact front's ideal and nadir (linear: the project's metric; log10: "
        f"the same on log10 values), reference point {REFERENCE_POINT}; mean±std over "
        "seeds; min@last: worst seed at the last checkpoint; n95 med: median trials to 95 % "
        "recall (or log HV ratio), '-' when a seed never reaches it; ovh: sampler overhead "
        "per trial (wall time minus cost-model time, in-memory storage). Front recall: share "
        "of the exact front's designs found (accelsmith.dse.pareto.strict)."
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--first-seed", type=int, default=0, help="seeds first..first+seeds-1")
    ap.add_argument("--spaces", nargs="+", default=list(SPACES), choices=list(SPACES))
    ap.add_argument("--explorers", nargs="+", help="default: every registered explorer")
    ap.add_argument("--checkpoints", nargs="+", type=int, help="override the trial counts")
    ap.add_argument("--gp-budget", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=1, help="runs in parallel processes")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--table", nargs="+", type=Path, help="only print the tables of CSV files")
    args = ap.parse_args(argv)

    import pandas as pd

    if args.table:
        _print_tables(pd.concat([pd.read_csv(p) for p in args.table], ignore_index=True))
        return 0

    plan = _plan(args)
    print("explorers:", ", ".join(f"{n} (budget {b})" for n, _, b, _ in plan), flush=True)
    rows: list[dict[str, Any]] = []
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for space in args.spaces:
        ex = run_explorer(space, "exhaustive", 0, 1)
        exact = _Exact(space, ex)
        print(
            f"{space}: exact front {len(exact.front)} designs of {exact.base['points_evaluated']:,}"
            f" points in {ex['wall_s']:.1f} s",
            flush=True,
        )
        # seed-major order: every explorer has a first result early (partial CSV is useful)
        seeds = range(args.first_seed, args.first_seed + args.seeds)
        jobs = [(n, cps, b, s) for s in seeds for n, cps, b, _ in plan]
        notes = {n: note for n, _, _, note in plan}
        with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = {
                pool.submit(run_explorer, space, n, s, b): (n, cps, b, s) for n, cps, b, s in jobs
            }
            for fut in as_completed(futures):
                name, cps, budget, seed = futures[fut]
                row0 = {
                    **exact.base,
                    "explorer": name,
                    "seed": seed,
                    "budget": budget,
                    "note": notes[name],
                }
                try:
                    r = fut.result()
                except Exception as exc:  # one explorer failing must not lose the others
                    msg = f"{type(exc).__name__}: {exc}".splitlines()[0][:160]
                    print(f"  {name} seed {seed}: FAILED {msg}", flush=True)
                    traceback.print_exception(exc, file=sys.stderr, limit=3)
                    rows.append({**row0, "checkpoint": math.nan, "error": msg})
                    continue
                new = exact.rows(row0, r, cps)
                rows += new
                print(
                    f"  {name:<12} seed {seed}: {r['trials']} trials, HV ratio "
                    f"{new[-1]['hv_ratio']:.3f} (log {new[-1]['hv_ratio_log']:.3f}), "
                    f"{r['wall_s']:.1f} s, overhead "
                    f"{new[-1]['overhead_ms_per_trial']:.1f} ms/trial",
                    flush=True,
                )
                pd.DataFrame(rows).to_csv(args.out, index=False)  # keep partial results
    pd.DataFrame(rows).to_csv(args.out, index=False)
    _print_tables(pd.DataFrame(rows))
    print(f"written: {args.out}")
    return 0


class _Exact:
    """The exact front of one space and the two normalizations measured against it."""

    def __init__(self, space: str, ex: dict[str, Any]) -> None:
        from accelsmith.dse import pareto

        dirs = _spec(space).directions
        self.dirs = dirs
        self.front = ex["values"]
        self.norms = {
            "hv_ratio": pareto.Normalization.from_points(self.front, dirs),
            "hv_ratio_log": pareto.Normalization.from_points(self.front, dirs, log=True),
        }
        self.exact_hv = {k: pareto.hypervolume(self.front, n) for k, n in self.norms.items()}
        self.base = {
            "space": space,
            "points_evaluated": ex["info"].get("points_evaluated"),
            "front_size": len(self.front),
            "exact_s": ex["wall_s"],
            "error": None,
        }

    def rows(self, row0: dict[str, Any], r: dict[str, Any], cps: tuple[int, ...]) -> list[dict]:
        """One CSV row per checkpoint of one run."""
        from accelsmith.dse import pareto

        v = r["values"] if r["values"] is not None else np.empty((0, self.front.shape[1]))
        ok = [c for c in cps if c <= len(v)]
        ratios = {}
        for key, norm in self.norms.items():
            hv = pareto.hypervolume_history(v, norm, checkpoints=ok)[1] if ok else []
            ratios[key] = dict(zip(ok, np.asarray(hv) / self.exact_hv[key], strict=True))
        ovh = 1e3 * (r["wall_s"] - r["eval_s"]) / max(1, r["trials"])
        lin = self.norms["hv_ratio"]
        # strict measures (accelsmith.dse.pareto.strict): recall of the exact front per
        # checkpoint, trials to 95 % recall / log HV ratio over the whole run
        whole = pareto.strict_measures(v, self.front, self.dirs) if len(v) else {}
        return [
            {
                **row0,
                "checkpoint": c,
                "trials": r["trials"],
                "hv_ratio": ratios["hv_ratio"].get(c, math.nan),
                "hv_ratio_log": ratios["hv_ratio_log"].get(c, math.nan),
                "igd_plus": pareto.igd_plus(v[:c], self.front, lin) if c in ok else math.nan,
                "front_recall": pareto.front_recall(v[:c], self.front) if c in ok else math.nan,
                "trials_to_95_recall": whole.get("trials_to_95_recall", math.nan),
                "trials_to_95_hv_log": whole.get("trials_to_95_hv_log", math.nan),
                "wall_s": r["wall_s"],
                "eval_s": r["eval_s"],
                "overhead_ms_per_trial": ovh,
                "loadavg_1min": r["loadavg"],
            }
            for c in cps
        ]


if __name__ == "__main__":
    sys.exit(main())
