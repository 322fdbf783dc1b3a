"""Explorers on the co-exploration space against a stored reference front (issue 17 items 4-5).

The campaign of ``examples/campaigns/coexplore-llama3.yaml`` (systolic + LUT + PIM on one
chip, per-layer-kind mapping, Llama-3-8B decode; latency, energy, area; area and power
budgets; ~1.4e10 points) has no exact front. Its reference front is a stored reference
campaign (:mod:`accelsmith.dse.reference`, the storage of ``--reference``, default
``bench/results/coexplore-reference.db``, not committed): the union of every run stored there.
Missing runs are built first (resumable: a stopped bench continues where it stopped), and
the bench says so. The same runs are what is measured: explorer ``e``, seed ``s`` is study
``coexplore-llama3.reference.s<s>@<e>``, measured at the prefixes ``--checkpoints`` of its
trials (every explorer here proposes the same first ``k`` designs whatever its budget, so a
prefix of a longer run is the run of budget ``k``; the RL explorers and TPE are run up to the
largest checkpoint they get, see ``--tpe-budget``).

Measures (:mod:`accelsmith.dse.pareto.strict`, against the reference front): front recall,
IGD+ on objectives normalized by the reference front, HV ratio on log10 objectives, and the
trials to 95 % of the log HV ratio within the largest checkpoint. Ablations and variants of
the RL explorers (``--ablations``) run in their own storage (``--ablation-storage``) with
``--ablation-seeds`` seeds at ``--ablation-budget``; their non-dominated points join the
measured yardstick (not the stored front).

Results version 2 (``bench/results/coexplore_2026-12-07.txt``): the v1 reference storage
(runs of 2026-12-06, front of 41 points) refuses to resume under ``RESULTS_VERSION`` 2, so
its front is re-costed into the new storage (``--recost-from``, :func:`accelsmith.dse.
reference.recost_reference`; the bench says how many objective vectors changed) and the runs
are built again beside it; the measured yardstick is that front, the new runs and the
ablation runs measured (their union, stated under the table). Steps, in order::

    B="nice -n 15 python bench/bench_coexplore.py --checkpoints 500 1000 2000 10000 \
       --rl-budget 2000 --tpe-budget 2000 --ablation-budget 2000"
    $B --seeds 5 --recost-from V1.db --explorers nsga2,random   # 5 x 10,000 + v1 front
    $B --seeds 5 --explorers nsga2 --ablations jump,rw-jump     # MARL in jump mode + control
    $B --seeds 5 --explorers marl
    $B --seeds 1 --explorers tpe      # TPE: ~10 min per 2,000-trial run here
    $B --seeds 3 --explorers nsga2 --ablations perparam,envs32 --ablation-seeds 3
    $B --seeds 3 --explorers random-walk,ppo,sac
    $B --seeds 2 --explorers tpe

Session of 2026-12-07 03:00-05:00 (``coexplore_2026-12-07b.txt``, ``accel_2026-12-07.txt``):
the runs above continued in the same storages (copies of marl3's), plus the local-move RL
explorers' uninterrupted 10,000-runs (``--ablations marl-long,ppo-long,sac-long,rw-long
--ablation-budget 10000``: their first 2,000 trials equal the 2,000-runs, so each explorer's
row measures them, see ``LONG_OF``); on accel every explorer at 10,000 in one go
(``--space accel --rl-budget 10000 --ablations jump-long,rw-jump-long --ablation-budget
10000``). The union fronts were then exported to ``bench/references/`` (``accelsmith dse
reference export SPEC bench/results/<space>-reference.db --join
bench/results/<space>-ablations.db``), which this bench joins by default (``--reference-file``).

Session of 2026-12-07 05:50-07:45 (``coexplore_2026-12-07c.txt``, ``accel_2026-12-07c.txt``:
5 seeds in every cell but coexplore's TPE): the same storages, ``--ablation-seeds 5`` of the
long runs above, ``--seeds 5`` on accel, the local ablations ``share,front90,episode16,
scalarized,front0,perparam,envs32`` at 5 x 2,000; TPE's runs built by ``--explorers tpe`` in
another worktree and copied in (``optuna.copy_study``). A seed with a long run and no stored
2,000-run is measured on its long run alone (said under the table).

Session of 2026-12-07 08:40-10:35 (``coexplore_2026-12-07d.txt``, ``accel_2026-12-07d.txt``):
the same storages; coexplore's TPE seeds 2-4 at 2,000 (``--explorers tpe --tpe-budget 2000
--seeds 5``); TPE at 10,000 by continuing a seed's stored 2,000-run (``--explorers tpe
--tpe-budget 10000 --seeds 1``, then more seeds). That continued run is the uninterrupted
10,000-run: TPE (batch 1, its default here) reseeds its sampler at each ask from the ask
position, and a resumed run replays the stored trials and repeats in ask order
(``tests/dse/test_explorers.py::test_repeated_proposals_are_kept_out_of_the_trials_and_replayed``).
The RL explorers differ (a resume restarts the learners), hence their ``<e>-long`` runs.

Run of 2026-12-06 (results version 1, ``coexplore_2026-12-06.txt``), for the record::

    B="nice -n 10 python bench/bench_coexplore.py --checkpoints 500 2000 10000 \
       --rl-budget 2000 --tpe-budget 1000"
    $B --explorers nsga2,random,random-walk,ppo,marl,sac        # 5 seeds x 2,000
    $B --explorers nsga2 --long-budget 20000 --long-explorers nsga2   # long runs, 10x 2,000
    $B --explorers marl --ablations share,front90,episode16,scalarized --ablation-seeds 3
    $B --explorers tpe --seeds 2

Every table is printed with the command line, the reference it used and ``uptime``'s load.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "examples" / "campaigns" / "coexplore-llama3.yaml"
#: hard spaces (issue 17.4) the bench runs on (``--space``): (a) the accel family's default
#: space (1.1e8 points), (b) the co-exploration space (the default)
SPACES = {
    "coexplore": SPEC,
    "accel": ROOT / "examples" / "campaigns" / "accel-resnet50.yaml",
}
RESULTS = ROOT / "bench" / "results"
#: committed exports of the reference fronts (`accelsmith dse reference export`)
REFERENCES = ROOT / "bench" / "references"
EXPLORERS = ("random", "nsga2", "tpe", "random-walk", "ppo", "sac", "marl")
#: ablations and variants of the RL explorers: name -> (explorer, options, what it changes)
ABLATIONS: dict[str, tuple[str, dict[str, Any], str]] = {
    "share": (
        "marl",
        {"share_parameters": True},
        "parameter sharing: one policy, one-hot agent id",
    ),
    "scalarized": ("marl", {"reward": "scalarized"}, "reward: Chebyshev, weights per episode"),
    "episode16": ("marl", {"episode_length": 16}, "episode length 16 steps (default 4)"),
    "front90": ("marl", {"front_start": 0.9}, "restarts: 90 % of episodes start on the front"),
    "front0": ("marl", {"front_start": 0.0}, "restarts: every episode starts at a random design"),
    "envs32": ("marl", {"n_envs": 32}, "32 walkers per batch (default 8)"),
    "perparam": ("marl", {"grouping": "parameter"}, "agent grouping: one agent per parameter"),
    "jump": (
        "marl",
        {"actions": "jump"},
        "actions: jump (edit a front design with a partner: keep/partner/down/up/random)",
    ),
    "jump-perparam": (
        "marl",
        {"actions": "jump", "grouping": "parameter"},
        "actions: jump, one agent per parameter",
    ),
    "jump-share": (
        "marl",
        {"actions": "jump", "share_parameters": True},
        "actions: jump, parameter sharing",
    ),
    "ppo-jump": ("ppo", {"actions": "jump"}, "single-agent PPO, actions: jump"),
    # the same two as "jump" and "rw-jump", in campaigns of their own so that a run with a
    # larger --ablation-budget (the 10,000 column) is uninterrupted, not a resumed 2,000-run
    "jump-long": ("marl", {"actions": "jump"}, "as jump, own runs (uninterrupted long runs)"),
    "rw-jump-long": (
        "random-walk",
        {"actions": "jump"},
        "as rw-jump, own runs (uninterrupted long runs)",
    ),
    # the local-move (default) RL explorers' uninterrupted 10,000-runs: a resumed RL run
    # restarts its learners (rl_base), so the 2,000-runs are not extended; the first 2,000
    # trials of these runs equal the 2,000-runs (same seed)
    "marl-long": ("marl", {}, "marl, local actions (default), own uninterrupted long runs"),
    "ppo-long": ("ppo", {}, "ppo, local actions (default), own uninterrupted long runs"),
    "sac-long": ("sac", {}, "sac (default), own uninterrupted long runs"),
    "rw-long": (
        "random-walk",
        {},
        "random-walk, local actions (default), own uninterrupted long runs",
    ),
    "rw-jump": (
        "random-walk",
        {"actions": "jump"},
        "no learning, actions: jump, codes drawn from JUMP_PRIOR (the learners' initial policy)",
    ),
}
RL = ("random-walk", "ppo", "sac", "marl")
#: the long-run ablation of each RL explorer with its default options
LONG_OF = {"marl": "marl-long", "ppo": "ppo-long", "sac": "sac-long", "random-walk": "rw-long"}
COLUMNS = ("front_recall", "igd_plus_norm", "hv_ratio_log")
#: cell suffix: a run's final front at a checkpoint it did not reach because its explorer
#: stopped by its own rule (footnote under the table)
FINAL_MARK = "^"


def _log(msg: str) -> None:
    print(f"# {time.strftime('%H:%M:%S')} {msg} (load {os.getloadavg()[0]:.1f})", flush=True)


def build_runs(
    spec: Any, url: str, plan: list[tuple[str, int]], seeds: list[int], name: str
) -> None:
    """Bring every (explorer, budget) of ``plan`` to its budget for every seed (resume)."""
    from accelsmith.dse.reference import build_reference

    for explorer, budget in plan:
        build_reference(
            spec,
            storage=url,
            explorers=[explorer],
            seeds=seeds,
            budget=budget,
            name=name,
            on_run=lambda e, s, n, t: _log(f"{name}: {e} seed {s}: {n} trials, {t:.1f} s wall"),
            update=False,  # the front is rebuilt once, before measuring
        )


def recost(spec: Any, source: Path, url: str, ref_name: str) -> None:
    """Re-cost ``source``'s front into ``url`` unless a re-costed front is there already."""
    import optuna

    from accelsmith.dse.reference import RECOST_CAMPAIGN, recost_reference

    have = []
    if Path(url.removeprefix("sqlite:///")).exists():
        prefix = f"{ref_name}.{RECOST_CAMPAIGN}@"
        have = [n for n in optuna.study.get_all_study_names(storage=url) if n.startswith(prefix)]
    if have:
        _log(f"re-costed front already in the reference storage ({', '.join(have)})")
        return
    _, meta = recost_reference(spec, str(source), storage=url, name=ref_name)
    _log(
        f"re-costed {meta['designs']} designs of {source} (results version "
        f"{meta['from_version']} -> {meta['to_version']}): {meta['changed']} changed (max "
        f"relative change {meta['max_rel_change']:.3g}), {meta['infeasible']} now infeasible"
    )


def measure(
    v: np.ndarray, ref: np.ndarray, dirs: list[str], checkpoints: list[int]
) -> list[dict[str, Any]]:
    """Strict measures of one run's objective values at each checkpoint (NaN beyond it)."""
    from accelsmith.dse.pareto import strict_at

    return [
        {
            "checkpoint": m["checkpoint"],
            "trials": len(v),
            **{k: m[k] for k in COLUMNS},
            "n95_hv_log": m["trials_to_95_hv_log"],
        }
        for m in strict_at(v, ref, dirs, checkpoints)
    ]


def measure_run(
    v: np.ndarray,
    ref: np.ndarray,
    dirs: list[str],
    checkpoints: list[int],
    budget: int,
    stopped: bool,
) -> list[dict[str, Any]]:
    """:func:`measure`; for a run whose explorer ``stopped`` by its own rule short of
    ``budget`` (:func:`accelsmith.dse.reference.rule_stop`), the checkpoints it did not reach
    (up to ``budget``) hold its final front, marked ``final_front``. A run short of its
    checkpoint for any other reason (killed, smaller budget) stays NaN there."""
    n = len(v)
    fill = [c for c in checkpoints if n < c <= budget] if stopped else []
    cps = [min(c, n) if c in fill else c for c in checkpoints]
    out = measure(v, ref, dirs, cps)
    for r, c in zip(out, checkpoints, strict=True):
        r["checkpoint"] = c
        r["final_front"] = c in fill
    return out


def _fmt(x: np.ndarray, digits: int = 3) -> str:
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if not x.size:
        return "-"
    return f"{x.mean():.{digits}f}±{x.std():.{digits}f}" if x.size > 1 else f"{x[0]:.{digits}f}"


def _cell(x: np.ndarray, seeds: int, final: bool = False) -> str:
    """:func:`_fmt`, with ``(n)`` when only n of the row's seeds reach the checkpoint and
    :data:`FINAL_MARK` when a run's final front stands in for it (:func:`measure_run`)."""
    n = int(np.isfinite(np.asarray(x, dtype=float)).sum())
    return _fmt(x) + (FINAL_MARK if final else "") + (f" ({n})" if 0 < n < seeds else "")


def table(df: Any, checkpoints: list[int], title: str) -> str:
    import pandas as pd

    lines = [f"\n== {title}"]
    w = max(16, *(len(str(n)) + 1 for n in df["explorer"].unique()))
    for metric, label in (
        ("front_recall", "front recall (share of the reference front's points found)"),
        ("igd_plus_norm", "IGD+ on objectives normalized by the reference front (0 = on it)"),
        ("hv_ratio_log", "HV ratio on log10 objectives"),
    ):
        lines.append(f"-- {label}; mean±std over seeds")
        head = f"{'explorer':<{w}}" + "".join(f"{'@' + str(c):>18}" for c in checkpoints)
        if metric == "hv_ratio_log":
            head += f"{'n95 hv log (med)':>18}"
        lines.append(head + f"{'seeds':>7}{'trials/run':>12}")
        for name, e in df.groupby("explorer", sort=False):
            runs = e.drop_duplicates("seed")
            fin = (
                e["final_front"].fillna(False).astype(bool)
                if "final_front" in e
                else pd.Series(False, index=e.index)
            )
            cells = "".join(
                f"{_cell(e.loc[at, metric].to_numpy(float), len(runs), bool(fin[at].any())):>18}"
                for at in (e["checkpoint"] == c for c in checkpoints)
            )
            if metric == "hv_ratio_log":
                t = runs["n95_hv_log"].to_numpy(float)
                cells += f"{('-' if not np.isfinite(t).all() else f'{np.median(t):.0f}'):>18}"
            lo, hi = int(runs["trials"].min()), int(runs["trials"].max())
            span = f"{lo}" if lo == hi else f"{lo}-{hi}"
            lines.append(f"{name:<{w}}{cells}{runs['seed'].nunique():>7}{span:>12}")
    return "\n".join(lines)


def stop_note(stops: dict[tuple[str, int], int | None], budgets: dict[str, int]) -> str:
    """The footnote of :data:`FINAL_MARK`: per explorer, the seeds stopped by their rule."""
    by: dict[str, list[tuple[int, int]]] = {}
    for (n, s), k in sorted(stops.items()):
        if k is not None:
            by.setdefault(n, []).append((s, k))
    return "\n".join(
        f"  {FINAL_MARK} {n}: seeds {', '.join(f'{s} at {k:,}' for s, k in ss)} designs of "
        f"budget {budgets[n]:,}: stopped by the explorer's rule (max(MISS_FLOOR 200, 20 x "
        "batch) known proposals in a row, read from the stored repeat entries); at the "
        "checkpoints they did not reach, their cells hold that run's final front"
        for n, ss in by.items()
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--space", choices=list(SPACES), default="coexplore")
    ap.add_argument("--reference", type=Path, help="default: results/<space>-reference.db")
    ap.add_argument("--explorers", default=",".join(EXPLORERS))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--checkpoints", nargs="+", type=int, default=[500, 2000, 10000])
    ap.add_argument("--tpe-budget", type=int, default=1000, help="TPE's cap (slow per trial)")
    ap.add_argument("--rl-budget", type=int, help="cap of the RL explorers (default: largest)")
    ap.add_argument("--long-budget", type=int, default=0, help="reference long runs (0: none)")
    ap.add_argument("--long-explorers", default="nsga2,random")
    ap.add_argument("--ablations", default="", help=f"comma list of {', '.join(ABLATIONS)}")
    ap.add_argument("--ablation-seeds", type=int, default=5)
    ap.add_argument("--ablation-budget", type=int, default=2000)
    ap.add_argument("--ablation-storage", type=Path, help="default: results/<space>-ablations.db")
    ap.add_argument(
        "--recost-from",
        type=Path,
        help="a reference storage of an older results version: its front is re-costed into "
        "--reference first (`dse reference recost`), unless already there",
    )
    ap.add_argument(
        "--reference-file",
        type=Path,
        help="an exported reference front (`dse reference export`) joining the yardstick; "
        "default: references/<campaign>.reference.json when present (committed), so a fresh "
        "clone measures against it without rebuilding the long runs; 'none': no file",
    )
    ap.add_argument("--no-build", action="store_true", help="measure only the stored runs")
    ap.add_argument("--out", type=Path, help="default: results/<space>.csv")
    args = ap.parse_args(argv)
    for name in ("seeds", "ablation_seeds", "ablation_budget", "tpe_budget"):
        if getattr(args, name) < 1:
            ap.error(f"--{name.replace('_', '-')} must be at least 1, not {getattr(args, name)}")
    args.reference = args.reference or RESULTS / f"{args.space}-reference.db"
    args.ablation_storage = args.ablation_storage or RESULTS / f"{args.space}-ablations.db"
    args.out = args.out or RESULTS / f"{args.space}.csv"

    import optuna
    import pandas as pd

    from accelsmith.core.errors import ConfigError
    from accelsmith.dse.pareto import nondominated_mask
    from accelsmith.dse.reference import (
        load_reference,
        reference_name,
        rule_stop,
        run_values,
        update_front,
    )
    from accelsmith.dse.spec import load_spec
    from accelsmith.dse.storage import close_storage, open_storage

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    spec = load_spec(SPACES[args.space])
    ref_name = reference_name(spec)
    url = f"sqlite:///{args.reference.resolve()}"
    names = [n for n in args.explorers.split(",") if n]
    seeds = list(range(args.seeds))
    top = max(args.checkpoints)
    budgets = {
        n: args.tpe_budget if n == "tpe" else (args.rl_budget or top) if n in RL else top
        for n in names
    }
    ablations = [a for a in args.ablations.split(",") if a]
    for a in ablations:
        if a not in ABLATIONS:
            ap.error(f"--ablations must be a comma list of {', '.join(ABLATIONS)}, not {a!r}")
    print("command:", " ".join(["python", "bench/bench_coexplore.py", *sys.argv[1:]]))
    if args.recost_from is not None:
        recost(spec, args.recost_from, url, ref_name)
    if not args.no_build:
        if not args.reference.exists():
            _log(f"reference storage {args.reference} is missing: building it (every run below)")
        plan = [(n, budgets[n]) for n in names]
        if args.long_budget:
            plan += [(n, args.long_budget) for n in args.long_explorers.split(",") if n]
        build_runs(spec, url, plan, seeds, ref_name)
        for a in ablations:
            explorer, opts, _ = ABLATIONS[a]
            aspec = spec.with_overrides(explorer={"name": explorer, "options": opts})
            build_runs(
                aspec,
                f"sqlite:///{args.ablation_storage.resolve()}",
                [(explorer, args.ablation_budget)],
                list(range(args.ablation_seeds)),
                f"{spec.name}.ablation-{a}",
            )
    file_front = None
    if str(args.reference_file) != "none":
        default = REFERENCES / f"{spec.name}.reference.json"
        path = args.reference_file or (default if default.exists() else None)
        if path is not None:  # identity-checked against the campaign (one-line refusal)
            file_front = load_reference(str(path), spec, label="--reference-file")
    if not args.reference.exists() and file_front is None:
        raise ConfigError(
            f"--reference {args.reference} does not exist and no --reference-file is given: "
            "nothing to measure against (run without --no-build to build the runs)"
        )
    dirs = spec.directions
    front = None
    runs = {}
    stops: dict[tuple[str, int], int | None] = {}  # short runs: designs if stopped by the rule
    store = open_storage(url, write=True) if args.reference.exists() else None
    try:
        have = set(optuna.study.get_all_study_names(storage=store)) if store else set()
        if any(n.startswith(f"{ref_name}.s") for n in have):  # runs stored: their union
            front = update_front(store, spec, ref_name)
        for n in names:
            for s in seeds:
                study = f"{ref_name}.s{s}@{n}"
                if study in have:
                    runs[(n, s)] = run_values(store, study)
                    if len(runs[(n, s)]) < min(budgets[n], top):
                        stops[(n, s)] = rule_stop(store, study)
    finally:
        if store is not None:
            close_storage(store)
    abl_runs = {}
    if ablations and args.ablation_storage.exists():
        astore = open_storage(f"sqlite:///{args.ablation_storage.resolve()}")
        try:
            have = set(optuna.study.get_all_study_names(storage=astore))
            for a in ablations:
                for s in range(args.ablation_seeds):
                    study = f"{spec.name}.ablation-{a}.s{s}@{ABLATIONS[a][0]}"
                    if study in have:
                        abl_runs[(f"{ABLATIONS[a][0]}[{a}]", s)] = run_values(astore, study)
        finally:
            close_storage(astore)
    if not runs and not abl_runs:
        raise ConfigError(
            f"--reference {args.reference} holds no run of --explorers {args.explorers} with "
            f"--seeds {args.seeds}: nothing to measure (run without --no-build to build them)"
        )
    # the yardstick: the stored front (the union of the runs in --reference) joined with the
    # exported front (--reference-file: the committed union of every explorer's long runs)
    # and with the fronts of the ablation runs measured here (so no explorer is measured
    # against a front it beat)
    parts = [f for f in (front, file_front) if f is not None]
    if not parts:
        raise ConfigError(
            f"--reference {args.reference} holds no run of {ref_name} and no --reference-file "
            "is given: nothing to measure against"
        )
    ref = np.vstack([f.values for f in parts])
    ref = np.unique(ref[nondominated_mask(ref, dirs)], axis=0)
    if front is not None and file_front is not None:
        what = (
            f"{front.description} joined with the exported front {file_front.storage} "
            f"({len(file_front.values)} points; `accelsmith dse reference show` lists its "
            f"runs) ({len(ref)} points in all)"
        )
    else:
        what = parts[0].description + (f" [file {file_front.storage}]" if file_front else "")
    if abl_runs:
        v = np.vstack([ref, *[x[np.isfinite(x).all(axis=1)] for x in abl_runs.values()]])
        v = np.unique(v[nondominated_mask(v, dirs)], axis=0)
        added = len(v) - int(sum(1 for r in v if any((r == ref).all(axis=1))))
        what += (
            f" + the non-dominated points of the {len(abl_runs)} ablation runs measured here "
            f"({added} new; {len(v)} points in all)"
        )
        ref = v
    # an RL explorer's own uninterrupted long runs (ablation "<e>-long": its default options,
    # own campaigns) continue its shorter runs of the same seed when their first trials are
    # identical (checked here): the explorer's row then measures the long run (the 10,000
    # column); a resumed short run would not do (a resume restarts the learners)
    extended: dict[str, list[int]] = {}
    for (n, s), v in list(runs.items()):
        a = LONG_OF.get(n)
        long = abl_runs.get((f"{n}[{a}]", s)) if a in ablations else None
        if long is None or len(long) <= len(v):
            continue
        if np.array_equal(v, long[: len(v)], equal_nan=True):
            runs[(n, s)] = long
            del abl_runs[(f"{n}[{a}]", s)]
            extended.setdefault(n, []).append(s)
        else:
            print(f"# {n} seed {s}: the {a} run does not start with the stored {len(v)}-run")
    # a seed with a long run but no stored shorter run: the long run is the explorer's run of
    # that seed (its first k trials do not depend on the budget; checked above on every seed
    # that has both), so the row gets the seed at every checkpoint
    alone: dict[str, list[int]] = {}
    for n in names:
        a = LONG_OF.get(n)
        for s in seeds if a in ablations else ():
            long = abl_runs.get((f"{n}[{a}]", s))
            if (n, s) not in runs and long is not None:
                runs[(n, s)] = abl_runs.pop((f"{n}[{a}]", s))
                alone.setdefault(n, []).append(s)
    rows = [
        {"explorer": n, "seed": s, **r}
        for (n, s), v in runs.items()
        for r in measure_run(
            v, ref, dirs, args.checkpoints, budgets[n], stops.get((n, s)) is not None
        )
    ]
    abl_checkpoints = sorted(
        {c for c in args.checkpoints if c < args.ablation_budget} | {args.ablation_budget}
    )
    abl_rows = [
        {"explorer": n, "seed": s, **r}
        for (n, s), v in abl_runs.items()
        for r in measure(v, ref, dirs, abl_checkpoints)
    ]
    df = pd.DataFrame(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    pd.concat([df, pd.DataFrame(abl_rows)]).assign(reference=what).to_csv(args.out, index=False)
    print(f"reference: {what}")
    caps = ", ".join(f"{n} {b}" for n, b in budgets.items() if b < top)
    print(
        table(df, args.checkpoints, f"{spec.name}: explorers, {args.seeds} seeds")
        + (f"\n(capped: {caps} trials per run; '-' where a run is shorter)" if caps else "")
    )
    if any(k is not None for k in stops.values()):
        print(stop_note(stops, budgets))
    for n, ss in extended.items():
        print(
            f"  {n}: seeds {','.join(map(str, ss))} measured on their uninterrupted "
            f"{LONG_OF[n]} runs (ablation storage), whose first trials equal the stored "
            f"{budgets[n]:,}-runs (checked); a cell of fewer seeds than the row says (n)"
        )
    for n, ss in alone.items():
        checked = extended.get(n)
        print(
            f"  {n}: seeds {','.join(map(str, ss))} measured on their {LONG_OF[n]} runs alone "
            f"(no stored {budgets[n]:,}-run of that seed); "
            + (
                f"the prefix equals the shorter run on seeds {','.join(map(str, checked))}"
                if checked
                else "no seed has both runs to check the prefix"
            )
        )
    if abl_rows:
        adf = pd.DataFrame(abl_rows)
        # side by side: the explorers' runs of the same seeds at the same checkpoints
        base = df[(df["seed"] < args.ablation_seeds) & df["checkpoint"].isin(abl_checkpoints)]
        base = base.assign(
            explorer=base["explorer"].map(lambda e: f"{e} (default)" if e in RL else e)
        )
        adf = pd.concat([base, adf])
        print(
            table(
                adf,
                abl_checkpoints,
                f"RL ablations and variants vs the explorers, seeds 0..{args.ablation_seeds - 1}",
            )
        )
        shown = set(pd.DataFrame(abl_rows)["explorer"]) if abl_rows else set()
        for a in ablations:
            if f"{ABLATIONS[a][0]}[{a}]" in shown:
                print(f"  {ABLATIONS[a][0]}[{a}]: {ABLATIONS[a][2]}")
    print(f"written: {args.out}; load {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    from accelsmith.core.errors import AccelsmithError

    try:
        raise SystemExit(main())
    except AccelsmithError as exc:  # a refused input: one line, exit 2
        print(f"bench_coexplore: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
