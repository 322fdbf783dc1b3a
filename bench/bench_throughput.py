"""Campaign throughput: recorded trials per second, ours beside a plain Optuna loop (issue 17).

One run, one machine, one cost model and space: the systolic family on ResNet-50 (54 layers),
objectives latency, energy and area, a 3.1-million-point space (rows and cols 4..256 step 4,
two dataflows, three buffers of 16..256 KiB, 4/8/16-bit operands).

(a) A plain Optuna loop (NSGA-II, population 50: ask, suggest, evaluate one design with
    ``accelsmith.models.evaluate``, tell), with in-memory storage and with SQLite storage
    (WAL, as the campaigns use).
(b) ``accelsmith`` explorers through :func:`accelsmith.dse.campaign.run_worker` on a SQLite
    ledger (every trial with its metrics, configuration and constraints, as ``dse run``
    stores them): ``random``, ``nsga2``, ``random-walk`` and ``ppo`` (RL). Targets: >= 1,000
    recorded trials/s.
(c) TPE (multivariate, constant liar): mean sampler time per trial (ask + suggest, the
    ledger's ``sampler_seconds``) over trials 900..1000 of a 1,000-trial campaign. Target
    < 20 ms.
(d) PostgreSQL (a throw-away local server, or ``--postgres URL``): the same ``random``
    campaign with 1 and 3 ``dse worker`` processes; trials/s and the duplicate check
    (distinct trial numbers and distinct designs). Each worker holds its own slot, so the
    workers draw distinct designs from their first batch on (``LedgerWriter.claim_worker``).

Rates are wall-clock (what a user waits) and per CPU second of the process (for (d): of the
worker processes, the PostgreSQL server's CPU not included; the machine running this may be
shared: both are printed with the load average). A table is printed and
written to ``bench/results/throughput.csv``.

Run: ``.venv/bin/python bench/bench_throughput.py [--trials 20000] [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "throughput.csv"
OBJECTIVES = {"latency_s": "minimize", "energy_j": "minimize", "area_um2": "minimize"}
KB = [16, 32, 64, 128, 256]
SPACE: dict[str, Any] = {
    "rows": {"low": 4, "high": 256, "step": 4},
    "cols": {"low": 4, "high": 256, "step": 4},
    "dataflow": {"choices": ["os", "ws"]},
    "ifmap_kb": {"choices": KB},
    "filter_kb": {"choices": KB},
    "ofmap_kb": {"choices": KB},
    "in_bits": {"choices": [4, 8, 16]},
}


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f}/{five:.1f}"


def spec_dict(name: str, explorer: str, budget: int, storage: str, **opts: Any) -> dict:
    return {
        "name": name,
        "family": "systolic",
        "workload": "resnet50",
        "space": SPACE,
        "objectives": OBJECTIVES,
        "explorer": {"name": explorer, "options": opts},
        "budget": budget,
        "seed": 0,
        "storage": storage,
    }


# ----------------------------------------------------------------------------- (a) plain Optuna
def plain_optuna(n: int, storage: str | None) -> dict[str, Any]:
    """ask -> suggest -> evaluate one design -> tell, NSGA-II (population 50)."""
    import optuna

    from accelsmith.dse.campaign import make_storage
    from accelsmith.models import evaluate
    from accelsmith.models.workloads import load_workload

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    wl = load_workload("resnet50")
    store = make_storage(storage) if storage else None
    study = optuna.create_study(
        directions=["minimize"] * 3,
        storage=store,
        sampler=optuna.samplers.NSGAIISampler(population_size=50, seed=0),
    )
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        trial = study.ask()
        cfg = {
            "rows": trial.suggest_int("rows", 4, 256, step=4),
            "cols": trial.suggest_int("cols", 4, 256, step=4),
            "dataflow": trial.suggest_categorical("dataflow", ["os", "ws"]),
            "ifmap_kb": trial.suggest_categorical("ifmap_kb", KB),
            "filter_kb": trial.suggest_categorical("filter_kb", KB),
            "ofmap_kb": trial.suggest_categorical("ofmap_kb", KB),
            "in_bits": trial.suggest_categorical("in_bits", [4, 8, 16]),
        }
        out = evaluate("systolic", [cfg], wl)
        study.tell(trial, [float(out[m].iloc[0]) for m in OBJECTIVES])
    return {"trials": n, "wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0}


# ----------------------------------------------------------------------------- (b) ours
def ours(explorer: str, n: int, folder: Path, **opts: Any) -> dict[str, Any]:
    from accelsmith.dse.campaign import open_campaign, run_worker
    from accelsmith.dse.spec import parse_spec

    db = folder / f"{explorer}.db"
    spec = parse_spec(spec_dict(f"tp-{explorer}", explorer, n, f"sqlite:///{db}", **opts))
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        c = open_campaign(spec)
        t0, c0 = time.perf_counter(), time.process_time()
        run_worker(c)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        os.chdir(cwd)
    import sqlite3

    with sqlite3.connect(db) as con:
        done = con.execute("select count(*) from trials where state in ('COMPLETE','FAIL')")
        count = done.fetchone()[0]
        sampler = con.execute(
            "select value_json from trial_user_attributes where key='sampler_seconds' "
            "order by trial_id"
        ).fetchall()
    return {
        "trials": count,
        "wall_s": wall,
        "cpu_s": cpu,
        "sampler_ms": [1e3 * float(s[0]) for s in sampler],
    }


# ----------------------------------------------------------------------------- (d) PostgreSQL
def _pg_server() -> tuple[str, Any]:
    """Start a throw-away PostgreSQL server (Debian's binaries); (URL, stop function)."""
    import glob
    import socket

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL binaries not found (/usr/lib/postgresql/*/bin)")
    bindir = Path(found[-1]).parent
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    datadir = Path(tempfile.mkdtemp(prefix="accelsmith-bench-pg-"))
    if prefix:
        shutil.chown(datadir, "postgres", "postgres")
    subprocess.run(
        [
            *prefix,
            str(bindir / "initdb"),
            "-D",
            str(datadir),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    pg_ctl = [*prefix, str(bindir / "pg_ctl"), "-D", str(datadir)]
    opts = f"-p {port} -k {datadir} -c listen_addresses=127.0.0.1 -c max_connections=100"
    subprocess.run(
        [*pg_ctl, "-o", opts, "-l", str(datadir / "log"), "-w", "start"],
        check=True,
        capture_output=True,
    )

    def stop() -> None:
        subprocess.run([*pg_ctl, "-m", "fast", "-w", "stop"], capture_output=True)
        shutil.rmtree(datadir, ignore_errors=True)

    return f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres", stop


def postgres(url: str, workers: int, n: int, folder: Path) -> dict[str, Any]:
    """``dse run`` creates the campaign (1 trial), then ``workers`` ``dse worker`` processes."""
    import optuna
    import yaml

    name = f"tp-pg-{workers}"
    spec = folder / f"{name}.yaml"
    spec.write_text(yaml.safe_dump(spec_dict(name, "random", n, url, batch=256)))
    env = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", str(HERE.parent))}
    cli = [sys.executable, "-m", "accelsmith.cli.main", "dse"]
    subprocess.run(
        [*cli, "run", str(spec), "--quiet", "--budget", "1"], cwd=folder, env=env, check=True
    )
    import resource

    def children_cpu() -> float:
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        return ru.ru_utime + ru.ru_stime

    t0, c0 = time.perf_counter(), children_cpu()
    procs = [
        subprocess.Popen(
            [*cli, "worker", "--storage", url, "--campaign", name, "--quiet"], cwd=folder, env=env
        )
        for _ in range(workers)
    ]
    codes = [p.wait() for p in procs]
    wall, cpu = time.perf_counter() - t0, children_cpu() - c0  # the workers' (not the server's)
    study = optuna.load_study(study_name=f"{name}@random", storage=url)
    trials = study.get_trials(deepcopy=False)
    designs = [t.user_attrs.get("design") for t in trials]
    return {
        "trials": len(trials) - 1,
        "wall_s": wall,
        "cpu_s": cpu,
        "exit_codes": codes,
        "duplicate_numbers": len(trials) - len({t.number for t in trials}),
        "duplicate_designs": len(designs) - len(set(designs)),
        "writers": len({t.system_attrs.get("accelsmith:owner", {}).get("pid") for t in trials}),
    }


# ----------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=20_000, help="trials per explorer of ours")
    ap.add_argument("--optuna-trials", type=int, default=1000, help="trials of the plain loop")
    ap.add_argument("--tpe-trials", type=int, default=1000)
    ap.add_argument("--rl-trials", type=int, default=5000, help="trials of ppo (torch)")
    ap.add_argument("--pg-trials", type=int, default=20_000)
    ap.add_argument("--postgres", help="PostgreSQL URL (default: start a local server)")
    ap.add_argument("--skip", nargs="*", default=[], help="parts to skip: a b c d")
    ap.add_argument("--quick", action="store_true", help="small counts (smoke run)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    if args.quick:
        args.trials, args.optuna_trials, args.tpe_trials = 2000, 200, 200
        args.rl_trials, args.pg_trials = 500, 2000

    import pandas as pd

    rows: list[dict[str, Any]] = []
    folder = Path(tempfile.mkdtemp(prefix="accelsmith-tp-"))

    def add(what: str, storage: str, r: dict[str, Any], target: str = "", ok: Any = None) -> None:
        row = {
            "what": what,
            "storage": storage,
            "trials": r["trials"],
            "wall_s": round(r["wall_s"], 2),
            "trials_per_s": round(r["trials"] / r["wall_s"], 1),
            "trials_per_cpu_s": round(r["trials"] / r["cpu_s"], 1) if r.get("cpu_s") else None,
            "load_1m/5m": load(),
            "target": target,
            "met": "" if ok is None else ("yes" if ok else "NO"),
        }
        rows.append(row)
        print("  ".join(f"{k}={v}" for k, v in row.items()), flush=True)

    print(f"bench_throughput: {os.cpu_count()} CPUs, load {load()}, folder {folder}", flush=True)
    try:
        if "a" not in args.skip:
            n = args.optuna_trials
            add("plain Optuna NSGA-II loop", "memory", plain_optuna(n, None))
            db = folder / "plain.db"
            add("plain Optuna NSGA-II loop", "sqlite", plain_optuna(n, f"sqlite:///{db}"))
        if "b" not in args.skip:
            for explorer, n, opts in (
                ("random", args.trials, {}),
                ("nsga2", args.trials, {}),
                ("random-walk", args.trials, {"n_envs": 64}),
                ("ppo", args.rl_trials, {"n_envs": 64, "save_policy": "none"}),
            ):
                r = ours(explorer, n, folder, **opts)
                rate = r["trials"] / r["wall_s"]
                add(f"accelsmith {explorer} {opts or ''}", "sqlite", r, ">= 1000/s", rate >= 1000)
        if "c" not in args.skip:
            r = ours("tpe", args.tpe_trials, folder, batch=8)
            tail = r["sampler_ms"][-100:]
            ms = sum(tail) / max(1, len(tail))
            add("accelsmith tpe (batch 8, constant liar)", "sqlite", r, "< 20 ms/trial", ms < 20)
            rows[-1]["sampler_ms_last100"] = round(ms, 2)
            print(
                f"  TPE sampler time, trials {len(r['sampler_ms']) - len(tail)}.."
                f"{len(r['sampler_ms'])}: {ms:.2f} ms/trial",
                flush=True,
            )
        if "d" not in args.skip:
            url, stop = (args.postgres, lambda: None) if args.postgres else _pg_server()
            try:
                rates = {}
                for w in (1, 3):
                    r = postgres(url, w, args.pg_trials, folder)
                    clean = not r["duplicate_numbers"] and not r["duplicate_designs"]
                    clean = clean and not any(r["exit_codes"])
                    add(
                        f"accelsmith random, {w} PostgreSQL workers",
                        "postgresql",
                        r,
                        "no duplicates",
                        clean,
                    )
                    rows[-1].update(
                        duplicate_numbers=r["duplicate_numbers"],
                        duplicate_designs=r["duplicate_designs"],
                        writers=r["writers"],
                    )
                    rates[w] = r["trials"] / r["wall_s"]
                print(f"  3 workers / 1 worker: {rates[3] / rates[1]:.2f}x", flush=True)
            finally:
                stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    df = pd.DataFrame(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(args.out, index=False)
    print()
    print(df.to_string(index=False))
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
