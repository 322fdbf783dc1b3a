"""Campaign throughput: recorded trials per second, ours beside a plain Optuna loop (issue 17).

One run, one machine, one cost model and space: the systolic family on ResNet-50 (54 layers),
objectives latency, energy and area, a 3.1-million-point space (rows and cols 4..256 step 4,
two dataflows, three buffers of 16..256 KiB, 4/8/16-bit operands).

(a) A plain Optuna loop (NSGA-II, population 50: ask, suggest, evaluate one design with
    ``accelsmith.models.evaluate``, tell), with in-memory storage and with SQLite storage
    (WAL, as the campaigns use).
(b) ``accelsmith`` explorers through :func:`accelsmith.dse.campaign.run_worker` on a SQLite
    ledger (every trial with its metrics, configuration and constraints, as ``dse run``
    stores them): ``random``, ``nsga2``, ``random-walk`` and ``ppo`` (RL; 64 walkers, with
    the default minibatch of 64 and with minibatches of 256, :data:`PPO_VARIANTS`; the rate
    includes the policy's start-up, not the torch import, which is printed apart). Targets:
    >= 1,000 recorded trials/s.
(c) TPE (multivariate, constant liar, batch 8) on the family's default systolic space
    (256,000 points, so its exact front is known) and on the hard spaces (``--tpe-spaces``:
    the accel-resnet50 and coexplore-llama3 campaigns, 11 and 16 parameters, measured
    against their committed reference fronts in ``bench/references``): mean sampler time
    per trial (ask + suggest, the ledger's ``sampler_seconds``, and thread CPU time) over
    trials 900..1000 of a 1,000-trial campaign, target < 20 ms; for ``--tpe-seeds`` seeds
    (``--tpe-hard-seeds`` on the hard spaces), our explorer with Optuna's own
    ``TPESampler`` and with ours (:func:`accelsmith.dse.explorers.tpe_sampler._tpe_class`:
    conversions cached, the split and the "below" estimator built once per batch, the HSSP
    tie-break memoized, infeasibility scores kept, categorical log weights taken once per
    estimator; the same proposals) side by side in the same run, with the strict measures
    (log HV ratio, normalized IGD+, recall; :mod:`accelsmith.dse.pareto.strict`) and
    whether the two proposed the same trials.
(e) PPO quality: the two PPO settings of (b) on the default systolic space, strict measures
    against its exact front after ``--rl-quality-trials`` trials, ``--rl-seeds`` seeds.
(d) PostgreSQL (a throw-away local server, or ``--postgres URL``): the same ``random`` campaign
    spec (a fresh campaign each time) with 1, 2 and 3 (``--pg-workers``) ``dse worker``
    processes; trials/s (wall, including the workers' start-up, and first to last stored trial),
    the speed-up over one worker and the duplicate check (distinct trial numbers and distinct
    designs, one writer process per worker). Each worker holds its own slot, so the workers draw
    distinct designs from their first batch on (``LedgerWriter.claim_worker``); they read only
    which designs the others stored, and their batches grow while they queue for the study lock
    (``LedgerWriter.batch_size``). The server shares the machine's CPUs: on 2 cores expect at
    most ~2x. Also printed: the CPU split per recorded trial (the worker processes', and the
    server's: the postmaster and its backends, when this bench started it), how many cores were
    busy, the CPU-bound ceiling of the machine, the lock waits over 5 ms the server logged
    (``log_lock_waits``), and for each worker count the start-up CPU per worker at which it
    would cost no more CPU than one worker fewer (the break-even: on a CPU-bound machine more
    workers cannot be faster when their extra start-ups cost more than their steady saving).
    Each worker runs in its own session, as ``dse worker`` processes
    started from separate shells: on a busy Linux machine with autogroup scheduling, CPU time is
    shared between sessions first, and workers of one session would share one session's slice.
    ``--pg-launch run`` (or ``shells run``: both) starts the workers as one ``dse run SPEC
    --workers N`` does instead: a watching process and N workers in its session, forked from
    it (the default on Linux since session 12: they inherit its imports); ``run-spawn`` the
    same with ``ACCELSMITH_WORKER_START=spawn`` (fresh ``python -m accelsmith.dse.worker``
    interpreters, as before session 12): ``--pg-launch run run-spawn`` is the A/B of the two
    in one invocation. The start-up CPU of a launch is measured by the same launch joining the
    campaign after its budget is spent: one ``dse worker`` per worker (``shells``), one
    ``dse run --workers N`` (``run``, ``run-spawn``: the watching process and its N workers).
    An upper bound: a late joiner reads every stored design, a worker at the start one.
    Only this part: ``--only d`` (about 1 min per launch mode on an idle 2-core machine with the
    default 20,000 trials).

Rates are wall-clock (what a user waits) and per CPU second of the process (for (d): of the
worker processes; the server's is printed apart; the machine running this may be
shared: both are printed with the load average). A table is printed and
written to ``bench/results/throughput.csv``.

Run: ``.venv/bin/python bench/bench_throughput.py [--trials 20000] [--quick] [--only a b c d e]``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
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
#: the hard spaces of issue 17.4 (part (c) measures TPE on them too): campaign files
HARD = {
    "accel": HERE.parent / "examples" / "campaigns" / "accel-resnet50.yaml",
    "coexplore": HERE.parent / "examples" / "campaigns" / "coexplore-llama3.yaml",
}


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f}/{five:.1f}"


def spec_dict(
    name: str,
    explorer: str,
    budget: int,
    storage: str,
    *,
    seed: int = 0,
    space: dict[str, Any] | None = SPACE,
    **opts: Any,
) -> dict:
    """A campaign spec; ``space=None``: the family's default space (256,000 points)."""
    spec = {
        "name": name,
        "family": "systolic",
        "workload": "resnet50",
        "objectives": OBJECTIVES,
        "explorer": {"name": explorer, "options": opts},
        "budget": budget,
        "seed": seed,
        "storage": storage,
    }
    return spec if space is None else {**spec, "space": space}


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
def ours(
    explorer: str,
    n: int,
    folder: Path,
    *,
    tag: str = "",
    seed: int = 0,
    space: dict[str, Any] | None = SPACE,
    keep: bool = False,
    campaign: str | None = None,
    **opts: Any,
) -> dict[str, Any]:
    """``explorer`` on the systolic space ``space`` or, with ``campaign`` (a file of
    :data:`HARD`), on that campaign's space, workload, objectives and constraints."""
    from accelsmith.dse.campaign import open_campaign, run_worker
    from accelsmith.dse.spec import load_spec, parse_spec

    db = folder / f"{explorer}{tag}.db"
    if campaign is None:
        spec = parse_spec(
            spec_dict(
                f"tp-{explorer}", explorer, n, f"sqlite:///{db}", seed=seed, space=space, **opts
            )
        )
    else:
        spec = load_spec(HARD[campaign]).with_overrides(
            explorer={"name": explorer, "options": opts},
            budget=n,
            seed=seed,
            storage=f"sqlite:///{db}",
        )
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

    # the trials themselves only when asked (reading 100,000 through Optuna takes a while)
    trials = sorted(c.study.get_trials(deepcopy=False), key=lambda t: t.number) if keep else []

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
        "params": [t.params for t in trials],
        "values": [t.values if t.values is not None else [float("nan")] * 3 for t in trials],
    }


# ----------------------------------------------------------------------------- (c) TPE
def exact_front() -> Any:
    """The exact front of the default systolic space on ResNet-50 (``exhaustive``, in memory)."""
    import optuna

    from accelsmith.dse import pareto
    from accelsmith.dse.evaluator import Evaluator
    from accelsmith.dse.explorers import get_explorer
    from accelsmith.dse.explorers.base import ExplorerContext
    from accelsmith.dse.ledger import study_name, trials_frame
    from accelsmith.dse.spec import parse_spec

    spec = parse_spec(spec_dict("tp-exact", "exhaustive", 1, "sqlite://", space=None))
    cls = get_explorer("exhaustive")
    study = optuna.create_study(
        study_name=study_name(spec.name, "exhaustive"),
        storage=optuna.storages.InMemoryStorage(),
        directions=spec.directions,
    )
    ctx = ExplorerContext(
        spec=spec,
        space=spec.build_space(),
        evaluator=Evaluator(spec),
        study=study,
        explorer="exhaustive",
        budget=1,
        seed=0,
        options=cls.check_options({}),
    )
    cls(ctx).run()
    return pareto.objective_values(trials_frame(study), spec.objectives)


def tpe_run(
    variant: str, n: int, seed: int, folder: Path, space: str = "systolic"
) -> dict[str, Any]:
    """Our ``tpe`` explorer (batch 8, constant liar) on the default systolic space (or the
    hard space ``space`` of :data:`HARD`) with its sampler class ``variant``: ``optuna``
    (Optuna's own ``TPESampler``) or ``accelsmith`` (the subclass of
    :func:`accelsmith.dse.explorers.tpe_sampler._tpe_class`).

    Besides the ledger's wall-clock ``sampler_seconds``, ``sampler_cpu_ms`` holds each ask's
    thread CPU time (``Study.ask`` + ``Space.suggest``, where Optuna samples): on a shared
    machine the wall time mostly measures the wait for a CPU."""
    import optuna

    from accelsmith.dse.explorers import optuna_samplers
    from accelsmith.dse.space import Space

    real = optuna_samplers._tpe_class
    real_ask, real_suggest = optuna.Study.ask, Space.suggest
    cpu_ms: list[float] = []

    def ask(self: Any, *a: Any, **k: Any) -> Any:
        t0 = time.thread_time()
        trial = real_ask(self, *a, **k)
        cpu_ms.append(1e3 * (time.thread_time() - t0))
        return trial

    def suggest(self: Any, trial: Any) -> Any:
        t0 = time.thread_time()
        out = real_suggest(self, trial)
        cpu_ms[-1] += 1e3 * (time.thread_time() - t0)
        return out

    if variant == "optuna":
        optuna_samplers._tpe_class = lambda: optuna.samplers.TPESampler  # type: ignore[assignment]
    optuna.Study.ask, Space.suggest = ask, suggest  # type: ignore[method-assign]
    try:
        r = ours(
            "tpe",
            n,
            folder,
            tag=f"-{space}-{variant}-{seed}",
            seed=seed,
            space=None,
            keep=True,
            campaign=None if space == "systolic" else space,
            batch=8,
        )
    finally:
        optuna_samplers._tpe_class = real
        optuna.Study.ask, Space.suggest = real_ask, real_suggest  # type: ignore[method-assign]
    return {**r, "sampler_cpu_ms": cpu_ms}


def hard_front(space: str) -> Any:
    """The committed reference front of a hard space (``bench/references``, the union of
    every explorer's long runs; :mod:`accelsmith.dse.reference_file`)."""
    from accelsmith.dse.reference import load_reference
    from accelsmith.dse.spec import load_spec

    spec = load_spec(HARD[space])
    path = HERE / "references" / f"{spec.name}.reference.json"
    return load_reference(str(path), spec, label="reference file").values


def tpe_part(space: str, args: Any, folder: Path, add: Any, rows: list[dict[str, Any]]) -> None:
    """(c) on one space: Optuna's ``TPESampler`` and ours, same explorer, same seeds, side by
    side; sampler time at the last 100 of ``--tpe-trials`` trials, strict measures against
    the exact front (systolic) or the committed reference front (hard spaces)."""
    from accelsmith.dse.pareto import strict_measures

    t0 = time.perf_counter()
    front = exact_front() if space == "systolic" else hard_front(space)
    what_front = (
        "exact front of the default systolic space (256,000 points, ResNet-50)"
        if space == "systolic"
        else f"reference front of {HARD[space].stem} (bench/references)"
    )
    print(f"  {what_front}: {len(front)} designs, {time.perf_counter() - t0:.1f} s", flush=True)
    seeds = args.tpe_seeds if space == "systolic" else args.tpe_hard_seeds
    ms_of: dict[str, list[float]] = {"optuna": [], "accelsmith": []}
    cpu_of: dict[str, list[float]] = {"optuna": [], "accelsmith": []}
    for seed in range(seeds):
        params = {}
        for variant in ("optuna", "accelsmith"):
            r = tpe_run(variant, args.tpe_trials, seed, folder, space)
            tail = r["sampler_ms"][-100:]
            ms = sum(tail) / max(1, len(tail))
            cpu_tail = r["sampler_cpu_ms"][-100:]
            cpu_ms = sum(cpu_tail) / max(1, len(cpu_tail))
            ms_of[variant].append(ms)
            cpu_of[variant].append(cpu_ms)
            ok = ms < 20 if variant == "accelsmith" else None
            what = f"accelsmith tpe (batch 8, liar) on {space}, sampler {variant}, seed {seed}"
            add(what, "sqlite", r, "< 20 ms/trial", ok)
            m = strict_measures(r["values"], front, ["minimize"] * 3)
            rows[-1].update(
                sampler_ms_last100=round(ms, 2),
                sampler_cpu_ms_last100=round(cpu_ms, 2),
                hv_ratio_log=round(m["hv_ratio_log"], 4),
                igd_plus_norm=round(m["igd_plus_norm"], 4),
                front_recall=round(m["front_recall"], 4),
            )
            print(
                f"    sampler time, trials {len(r['sampler_ms']) - len(tail)}.."
                f"{len(r['sampler_ms'])}: {ms:.2f} ms/trial wall, {cpu_ms:.2f} ms CPU "
                f"(last {len(cpu_tail)} asks); log HV ratio {m['hv_ratio_log']:.4f}, "
                f"IGD+ {m['igd_plus_norm']:.4f}, recall {m['front_recall']:.3f}",
                flush=True,
            )
            params[variant] = r["params"]
        same = params["optuna"] == params["accelsmith"]
        print(f"  {space} seed {seed}: proposals identical (optuna vs accelsmith): {same}")
    for unit, of in (("wall", ms_of), ("CPU", cpu_of)):
        old, new = (sum(v) / len(v) for v in of.values())
        print(
            f"  TPE sampler {unit} time on {space} at trials {max(0, args.tpe_trials - 100)}.."
            f"{args.tpe_trials}, mean of {seeds} "
            f"seed(s): Optuna's TPESampler {old:.2f} ms, ours {new:.2f} ms "
            f"({old / new:.2f}x); target < 20 ms at 1,000 trials, {unit}: "
            f"{'met' if new < 20 else 'NOT met'} "
            f"at load {load()}",
            flush=True,
        )


# ----------------------------------------------------------------------------- (e) PPO quality
#: PPO settings compared: stable-baselines3's minibatch of 64 (the explorer's default: 4
#: epochs x 16 minibatches of a 1,024-transition rollout per update) and minibatches of 256
#: (4 epochs x 4 minibatches: a quarter of the gradient steps, each on 4x the samples)
PPO_VARIANTS: dict[str, dict[str, Any]] = {"default": {}, "minibatch 256": {"batch_size": 256}}
PPO_RATE = {"n_envs": 64, "save_policy": "none"}


def ppo_quality(n: int, seeds: int, folder: Path, add: Any, rows: list[dict[str, Any]]) -> None:
    """PPO (``n_envs`` 64) with each of :data:`PPO_VARIANTS` on the default systolic space:
    strict measures against the exact front after ``n`` trials, ``seeds`` seeds, side by side
    with the rate of the same runs."""
    from accelsmith.dse.pareto import strict_measures

    front = exact_front()
    summary: dict[str, list[dict[str, float]]] = {v: [] for v in PPO_VARIANTS}
    for seed in range(seeds):
        for variant, opts in PPO_VARIANTS.items():
            r = ours(
                "ppo",
                n,
                folder,
                tag=f"-q-{len(rows)}",
                seed=seed,
                space=None,
                keep=True,
                **PPO_RATE,
                **opts,
            )
            m = strict_measures(r["values"], front, ["minimize"] * 3)
            add(f"accelsmith ppo, {variant}, seed {seed} (default space)", "sqlite", r)
            rows[-1].update({k: round(m[k], 4) for k in STRICT})
            summary[variant].append(m)
    for variant, ms in summary.items():
        text = ", ".join(f"{k} {sum(m[k] for m in ms) / len(ms):.4f}" for k in STRICT)
        print(f"  ppo {variant}: mean of {seeds} seed(s) at {n} trials: {text}", flush=True)


STRICT = ("hv_ratio_log", "igd_plus_norm", "front_recall")


# ----------------------------------------------------------------------------- (d) PostgreSQL
@dataclass
class PgServer:
    """The PostgreSQL server of (d): its URL, and for a server this bench started, the CPU
    seconds of its processes so far and the lock waits its log reports."""

    url: str
    datadir: Path | None = None
    stop: Any = lambda: None

    def cpu_s(self) -> float:
        """CPU seconds of the postmaster and every backend it started (exited ones included:
        a parent's children times count them once reaped); NaN for an external server."""
        if self.datadir is None:
            return float("nan")
        try:
            pm = int((self.datadir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return float("nan")
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rpartition(")")[2].split()
            except OSError:
                continue
            if int(entry) == pm or int(fields[1]) == pm:
                # utime, stime, cutime, cstime (fields 14-17 of /proc/PID/stat)
                total += sum(int(x) for x in fields[11:15]) / tick
        return total

    def log_size(self) -> int:
        log = None if self.datadir is None else self.datadir / "log"
        return log.stat().st_size if log is not None and log.exists() else 0

    def lock_waits(self, since: int) -> tuple[int, float]:
        """(count, seconds) of the lock waits over ``deadlock_timeout`` logged after byte
        ``since`` of the server log (``log_lock_waits``: "... acquired ... after N ms")."""
        if self.datadir is None:
            return 0, float("nan")
        import re

        with open(self.datadir / "log", "rb") as f:
            f.seek(since)
            text = f.read().decode(errors="replace")
        ms = [float(m) for m in re.findall(r"acquired \w+ on .*? after ([0-9.]+) ms", text)]
        return len(ms), sum(ms) / 1e3


#: the server logs every lock wait longer than this (``deadlock_timeout``)
LOCK_LOG_MS = 5


def _pg_server() -> PgServer:
    """Start a throw-away PostgreSQL server (Debian's binaries)."""
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
    opts = (
        f"-p {port} -k {datadir} -c listen_addresses=127.0.0.1 -c max_connections=100 "
        f"-c log_lock_waits=on -c deadlock_timeout={LOCK_LOG_MS}ms"
    )
    subprocess.run(
        [*pg_ctl, "-o", opts, "-l", str(datadir / "log"), "-w", "start"],
        check=True,
        capture_output=True,
    )

    def stop() -> None:
        subprocess.run([*pg_ctl, "-m", "fast", "-w", "stop"], capture_output=True)
        shutil.rmtree(datadir, ignore_errors=True)

    url = f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres"
    return PgServer(url=url, datadir=datadir, stop=stop)


def launch_env(launch: str) -> dict[str, str]:
    """The environment of a launch's processes (``run-spawn``: fresh worker interpreters)."""
    env = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", str(HERE.parent))}
    env.pop("ACCELSMITH_WORKER_START", None)
    if launch == "run-spawn":
        env["ACCELSMITH_WORKER_START"] = "spawn"
    return env


def launch_startup_cpu(
    server: PgServer, launch: str, campaign: str, folder: Path, workers: list[int]
) -> dict[int, float]:
    """CPU seconds of each launch's start-up, per worker count: the same launch joining
    ``campaign`` after its budget is spent, so that all it does is start (interpreters or
    forks, imports, the stored spec read and checked, the storage opened, the stored designs
    read). ``shells``: one ``dse worker`` measured, times the workers; ``run`` and
    ``run-spawn``: ``dse run --workers N`` (the watching process and its N workers) for each
    N. Since session 8 the start-up imports pandas too, with the garbage collector paused
    (:mod:`accelsmith.dse.startup`)."""
    env = launch_env(launch)
    cli = [sys.executable, "-m", "accelsmith.cli.main", "dse"]
    if launch == "shells":
        c0 = children_cpu()
        subprocess.run(
            [*cli, "worker", "--quiet", "--storage", server.url, "--campaign", campaign],
            cwd=folder,
            env=env,
            check=True,
        )
        one = children_cpu() - c0
        return {w: w * one for w in workers}
    out = {}
    for w in workers:
        c0 = children_cpu()
        spec = folder / f"{campaign}.yaml"
        subprocess.run(
            [*cli, "run", str(spec), "--quiet", "--workers", str(w)],
            cwd=folder,
            env=env,
            check=True,
        )
        out[w] = children_cpu() - c0
    return out


def autogroup() -> str:
    """Whether the kernel shares CPU time between sessions (autogroups) first."""
    try:
        with open("/proc/sys/kernel/sched_autogroup_enabled") as f:
            return "on" if f.read().strip() == "1" else "off"
    except OSError:
        return "unknown"


def children_cpu() -> float:
    """CPU seconds of this process's waited-for children."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def postgres(
    server: PgServer, workers: int, n: int, folder: Path, launch: str = "shells"
) -> dict[str, Any]:
    """``dse run`` creates the campaign (1 trial), then ``workers`` ``dse worker`` processes,
    each in its own session (``launch="shells"``), or one ``dse run --workers N`` (``"run"``:
    the product's own multi-worker path, workers forked; ``"run-spawn"``: workers as fresh
    interpreters; its workers share the session of the run)."""
    import optuna
    import yaml

    url = server.url
    name = f"tp-pg-{launch}-{workers}"
    env = launch_env(launch)
    spec = folder / f"{name}.yaml"
    spec.write_text(yaml.safe_dump(spec_dict(name, "random", n, url, batch=256)))
    cli = [sys.executable, "-m", "accelsmith.cli.main", "dse"]
    subprocess.run(
        [*cli, "run", str(spec), "--quiet", "--budget", "1"], cwd=folder, env=env, check=True
    )
    t0, c0, s0, log0 = time.perf_counter(), children_cpu(), server.cpu_s(), server.log_size()
    # each worker in its own session, as `dse worker` started from separate shells (or
    # machines): with Linux's autogroup scheduling (kernel.sched_autogroup_enabled) a busy
    # machine shares its CPUs between sessions, so workers of one session would share one
    # slice however many they are (the server has its own: pg_ctl starts it in a new session)
    procs = [
        subprocess.Popen(
            [*cli, "worker", "--storage", url, "--campaign", name, "--quiet"],
            cwd=folder,
            env=env,
            start_new_session=True,
        )
        for _ in range(workers if launch == "shells" else 0)
    ]
    if launch != "shells":  # one process started from one shell, its workers in its session
        cmd = [*cli, "run", str(spec), "--quiet", "--workers", str(workers)]
        procs = [subprocess.Popen(cmd, cwd=folder, env=env, start_new_session=True)]
    codes = [p.wait() for p in procs]
    wall, cpu = time.perf_counter() - t0, children_cpu() - c0  # the workers' (not the server's)
    server_cpu = server.cpu_s() - s0
    waits, waited = server.lock_waits(log0)
    study = optuna.load_study(study_name=f"{name}@random", storage=url)
    trials = study.get_trials(deepcopy=False)
    designs = [t.user_attrs.get("design") for t in trials]
    mine = [t for t in trials if t.number > 0 and t.datetime_complete is not None]
    times = sorted(t.datetime_complete for t in mine)
    span = (times[-1] - times[0]).total_seconds() if len(times) > 1 else float("nan")
    return {
        "trials": len(trials) - 1,
        "wall_s": wall,
        "cpu_s": cpu,
        "server_cpu_s": server_cpu,
        "lock_waits": waits,
        "lock_wait_s": waited,
        # first to last stored trial of the workers: the ledger's rate without the
        # interpreters' start-up (import, connect, read the study)
        "steady_per_s": (len(times) - 1) / span if span > 0 else float("nan"),
        "exit_codes": codes,
        "duplicate_numbers": len(trials) - len({t.number for t in trials}),
        "duplicate_designs": len(designs) - len(set(designs)),
        # processes that stored the workers' trials (trial 0 is the creating ``dse run``'s)
        "writers": len({t.system_attrs.get("accelsmith:owner", {}).get("pid") for t in mine}),
    }


def pg_part(
    server: PgServer, args: argparse.Namespace, folder: Path, add: Any, rows: list, launch: str
) -> None:
    """(d) for one way of starting the workers (see :func:`postgres`)."""
    how = {
        "shells": "",
        "run": " (one dse run --workers N)",
        "run-spawn": " (one dse run --workers N, spawned)",
    }[launch]
    rates: dict[int, tuple[float, float]] = {}
    split: dict[int, dict[str, Any]] = {}
    for w in args.pg_workers:
        r = postgres(server, w, args.pg_trials, folder, launch)
        clean = not r["duplicate_numbers"] and not r["duplicate_designs"]
        clean = clean and not any(r["exit_codes"]) and r["writers"] == w
        add(
            f"accelsmith random, {w} PostgreSQL workers{how}",
            "postgresql",
            r,
            "no duplicates",
            clean,
        )
        rows[-1].update(
            steady_per_s=round(r["steady_per_s"], 1),
            duplicate_numbers=r["duplicate_numbers"],
            duplicate_designs=r["duplicate_designs"],
            writers=r["writers"],
            worker_cpu_ms_per_trial=round(1e3 * r["cpu_s"] / r["trials"], 3),
            server_cpu_ms_per_trial=round(1e3 * r["server_cpu_s"] / r["trials"], 3),
            lock_waits=r["lock_waits"],
            lock_wait_s=round(r["lock_wait_s"], 2),
        )
        rates[w] = (r["trials"] / r["wall_s"], r["steady_per_s"])
        split[w] = r
    one = min(rates)
    print(
        f"  PostgreSQL scaling{how} ({os.cpu_count()} CPUs, load {load()}; the server "
        f"shares the CPUs, so at most ~{os.cpu_count()}x is possible):",
        flush=True,
    )
    for w, (wall_rate, steady) in rates.items():
        print(
            f"    {w} worker(s): {wall_rate:8.1f} trials/s wall "
            f"({wall_rate / rates[one][0]:.2f}x), {steady:8.1f} trials/s first to "
            f"last trial ({steady / rates[one][1]:.2f}x)",
            flush=True,
        )
    start = launch_startup_cpu(server, launch, f"tp-pg-{launch}-{max(split)}", folder, list(split))
    what = (
        "one more worker joining after the budget was spent"
        if launch == "shells"
        else "the same launch joining after the budget was spent"
    )
    print(
        "  CPU per recorded trial (workers: their processes, start-up included and "
        f"without it: {', '.join(f'{start[w]:.2f}' for w in split)} s CPU for the start-up "
        f"of {'/'.join(map(str, split))} worker(s), measured with {what}; "
        "server: the postmaster and its "
        "backends), cores busy = (workers + server CPU) / wall, CPU-bound ceiling "
        "= CPUs / CPU per trial without start-up; lock waits: over "
        f"{LOCK_LOG_MS} ms, from the server log:",
        flush=True,
    )
    ncpu = os.cpu_count() or 1
    for w, r in split.items():
        wk, sv = 1e3 * r["cpu_s"] / r["trials"], 1e3 * r["server_cpu_s"] / r["trials"]
        steady = 1e3 * max(0.0, r["cpu_s"] - start[w]) / r["trials"]
        busy = (r["cpu_s"] + r["server_cpu_s"]) / r["wall_s"]
        ceiling = 1e3 / (steady + sv)
        print(
            f"    {w} worker(s): workers {wk:.3f} ms ({steady:.3f} without start-up)"
            f" + server {sv:.3f} ms CPU/trial; {busy:.2f} of {ncpu} cores busy; "
            f"ceiling {ncpu * ceiling:.0f} trials/s ({(ncpu + 1) * ceiling:.0f} with "
            f"one core more); lock waits {r['lock_waits']} ({r['lock_wait_s']:.1f} s "
            "in all workers)",
            flush=True,
        )
        rows[-len(split) + list(split).index(w)].update(
            launch_startup_cpu_s=round(start[w], 2),
            worker_cpu_ms_per_trial_steady=round(steady, 3),
        )
    _break_even(split, start, launch)


def _break_even(split: dict[int, dict[str, Any]], start: dict[int, float], launch: str) -> None:
    """For each worker count after the first: the extra start-up CPU at which it would cost
    no more CPU than the count before it on this campaign (the run's CPU: the start-ups plus
    the steady CPU per trial of the workers and the server), so that on a CPU-bound machine
    (the server on the same cores) it could not be slower. More workers lower the steady CPU
    per trial (bigger batches under contention) and add start-up CPU (measured: ``start``)."""
    counts = sorted(split)
    for lo, hi in itertools.pairwise(counts):
        steady = {}
        for w in (lo, hi):
            r = split[w]
            work = max(0.0, r["cpu_s"] - start[w]) + r["server_cpu_s"]
            steady[w] = work / r["trials"]  # CPU s per trial without start-up
        saved = split[hi]["trials"] * (steady[lo] - steady[hi])
        print(
            f"    {hi} vs {lo} worker(s): {hi} cost no more CPU than {lo} on these "
            f"{split[hi]['trials']} trials if its start-up cost <= {saved:.2f} s CPU more "
            f"(steady {1e3 * steady[lo]:.3f} -> {1e3 * steady[hi]:.3f} ms/trial workers + "
            f"server; measured {start[hi] - start[lo]:.2f} s more)",
            flush=True,
        )


# ----------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=20_000, help="trials per explorer of ours")
    ap.add_argument("--optuna-trials", type=int, default=1000, help="trials of the plain loop")
    ap.add_argument("--tpe-trials", type=int, default=1000)
    ap.add_argument("--tpe-seeds", type=int, default=3, help="seeds of the TPE comparison")
    ap.add_argument(
        "--tpe-spaces",
        nargs="+",
        default=["systolic", *HARD],
        choices=["systolic", *HARD],
        help="spaces of the TPE comparison (c)",
    )
    ap.add_argument("--tpe-hard-seeds", type=int, default=1, help="(c): seeds on accel/coexplore")
    ap.add_argument("--rl-trials", type=int, default=20_000, help="trials of ppo (torch)")
    ap.add_argument("--rl-quality-trials", type=int, default=2000, help="(e): trials per run")
    ap.add_argument("--rl-seeds", type=int, default=3, help="(e): seeds per PPO setting")
    ap.add_argument("--pg-trials", type=int, default=20_000)
    ap.add_argument("--postgres", help="PostgreSQL URL (default: start a local server)")
    ap.add_argument(
        "--pg-workers", type=int, nargs="+", default=[1, 2, 3], help="worker counts of (d)"
    )
    ap.add_argument(
        "--pg-launch",
        nargs="+",
        default=["shells"],
        choices=["shells", "run", "run-spawn"],
        help="(d): workers as separate `dse worker` sessions, and/or one `dse run --workers N` "
        "(workers forked; run-spawn: fresh interpreters)",
    )
    ap.add_argument(
        "--only", nargs="*", default=None, choices="abcde", help="parts to run (default: all)"
    )
    ap.add_argument("--skip", nargs="*", default=[], choices="abcde", help="parts to skip: a b c d")
    ap.add_argument("--quick", action="store_true", help="small counts (smoke run)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    if min(args.pg_workers) < 1:
        ap.error(f"--pg-workers must be >= 1, not {min(args.pg_workers)}")
    if args.only is not None:
        args.skip = [part for part in "abcde" if part not in args.only]
    if args.quick:
        args.trials, args.optuna_trials, args.tpe_trials, args.tpe_seeds = 2000, 200, 200, 1
        args.rl_trials, args.pg_trials, args.rl_quality_trials, args.rl_seeds = 500, 2000, 300, 1

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

    print(
        f"bench_throughput: {os.cpu_count()} CPUs, load {load()}, autogroup scheduling "
        f"{autogroup()}, folder {folder}",
        flush=True,
    )
    try:
        if "a" not in args.skip:
            n = args.optuna_trials
            add("plain Optuna NSGA-II loop", "memory", plain_optuna(n, None))
            db = folder / "plain.db"
            add("plain Optuna NSGA-II loop", "sqlite", plain_optuna(n, f"sqlite:///{db}"))
        if "b" not in args.skip or "e" not in args.skip:
            t0 = time.perf_counter()
            import stable_baselines3  # noqa: F401  (both PPO settings start with torch loaded)
            import torch

            # the first optimizer imports torch._dynamo (seconds): once per process
            torch.optim.Adam([torch.zeros(1, requires_grad=True)])
            print(
                f"  torch + stable-baselines3 import and first optimizer: "
                f"{time.perf_counter() - t0:.1f} s, not in the PPO rows",
                flush=True,
            )
        if "b" not in args.skip:
            for i, (explorer, n, opts) in enumerate(
                (
                    ("random", args.trials, {}),
                    ("nsga2", args.trials, {}),
                    ("random-walk", args.trials, {"n_envs": 64}),
                    *(("ppo", args.rl_trials, {**PPO_RATE, **o}) for o in PPO_VARIANTS.values()),
                )
            ):
                r = ours(explorer, n, folder, tag=f"-{i}", **opts)
                rate = r["trials"] / r["wall_s"]
                add(f"accelsmith {explorer} {opts or ''}", "sqlite", r, ">= 1000/s", rate >= 1000)
        if "e" not in args.skip:
            ppo_quality(args.rl_quality_trials, args.rl_seeds, folder, add, rows)
        if "c" not in args.skip:
            for space in args.tpe_spaces:
                tpe_part(space, args, folder, add, rows)
        if "d" not in args.skip:
            server = PgServer(url=args.postgres) if args.postgres else _pg_server()
            try:
                for launch in args.pg_launch:
                    pg_part(server, args, folder, add, rows, launch)
            finally:
                server.stop()
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
