"""``accelsmith dse``: run, resume, inspect and export design-space exploration campaigns."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from accelsmith.dse.startup import paused_start_up

from .dse_reference import app as reference_app
from .dse_reference import reference_option

app = typer.Typer(help="Design-space exploration campaigns (Optuna storage).", no_args_is_help=True)

Target = Annotated[str, typer.Argument(help="Campaign spec YAML or its run folder (runs/<name>/).")]
Storage = Annotated[
    str | None,
    typer.Option("--storage", help="Optuna storage URL (sqlite:///..., postgresql://...)."),
]
Workers = Annotated[
    int | None, typer.Option("--workers", min=1, help="Worker processes (default: spec).")
]
Budget = Annotated[
    int | None, typer.Option("--budget", min=1, help="Total trials (trials done count).")
]
ExplorerOpt = Annotated[
    str | None, typer.Option("--explorer", help="Explorer (default: the spec's).")
]
Dask = Annotated[
    str | None,
    typer.Option("--dask-scheduler", help="Fan evaluations out to this Dask scheduler."),
]
Quiet = Annotated[bool, typer.Option("--quiet", help="No progress bar.")]


class _Progress:
    """Rich progress bar fed by polling the study (trials, feasible, best HV, ETA)."""

    def __init__(self, campaign: Any, budget: int | None, quiet: bool) -> None:
        self.c, self.budget, self.quiet = campaign, budget, quiet
        self.last = 0.0
        self.last_hv = 0.0
        self.hv = float("nan")
        self.progress: Any = None

    def __enter__(self) -> _Progress:
        if self.quiet:
            return self
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("feasible {task.fields[feasible]}"),
            TextColumn("HV {task.fields[hv]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            transient=False,
        )
        self.progress.__enter__()
        self.task = self.progress.add_task(self.c.study_name, total=self.budget, feasible=0, hv="-")
        self.tick(force=True)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.progress is not None:
            self.tick(force=True)
            self.progress.__exit__(*exc)

    def tick(
        self, force: bool = False, completed: int | None = None, total: int | None = None
    ) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if not force and now - self.last < 0.5:
            return
        if completed is not None:  # an explorer counting points, not trials (exhaustive)
            self.last = now
            self.progress.update(self.task, completed=completed, total=total)
            return
        self.last = now
        from accelsmith.dse.ledger import FEASIBLE_KEY
        from accelsmith.dse.ledger_bulk import LedgerWriter

        # only the trials stored since the last tick, read with plain SQL (speed's hook: the
        # ORM read of every new trial cost more CPU than the campaign itself at 1000s/s)
        if getattr(self, "_reader", None) is None:
            self._reader = LedgerWriter(self.c.study, self.c.spec.build_space().names)
            self._done, self._feas = 0, []
        for t in self._reader.sync():
            if t.state.name in ("COMPLETE", "FAIL"):
                self._done += 1
                if t.user_attrs.get(FEASIBLE_KEY) and t.values is not None:
                    self._feas.append(t.values)
        feas = self._feas
        if feas and (force or now - self.last_hv > 2.0):
            self.last_hv = now
            self.hv = _hv(feas, self.c.spec.directions)
        info = self.c.study.user_attrs.get("accelsmith", {})
        done = self._done
        total = self.budget
        if self.c.explorer == "exhaustive":
            done = int(info.get("points_evaluated", 0)) if info.get("complete") else done
            total = max(done, 1) if info.get("complete") else None
        self.progress.update(
            self.task,
            completed=done,
            total=total,
            feasible=len(feas),
            hv="-" if math.isnan(self.hv) else f"{self.hv:.4f}",
        )


def _hv(values: list[Any], directions: list[str]) -> float:
    """Hypervolume of the feasible trials so far, normalized on their own front."""
    from accelsmith.core.errors import ConfigError
    from accelsmith.dse import pareto

    try:
        norm = pareto.Normalization.from_points(values, directions)
        return pareto.hypervolume(values, norm)
    except ConfigError:
        return float("nan")


@paused_start_up  # the garbage collector paused until the explorer (or watching) starts
def _run(
    target: str,
    *,
    storage: str | None,
    workers: int | None,
    budget: int | None,
    explorer: str | None,
    force_new: bool,
    dask_scheduler: str | None,
    quiet: bool,
    warm_start: str | None = None,
) -> None:
    from accelsmith.dse.campaign import open_campaign, resolve_target, run_campaign
    from accelsmith.dse.explorers import get_explorer
    from accelsmith.dse.ledger_bulk import count_trials
    from accelsmith.dse.workers import Stopped, stop_on_signals

    spec, url = resolve_target(target, storage)
    if (workers or spec.workers) > 1:
        from accelsmith.dse.workers import fork_available

        fork_available()  # a wrong ACCELSMITH_WORKER_START: one line before anything is opened
    if warm_start:  # an explorer option (RL explorers); others refuse it with the allowed list
        name = explorer or spec.explorer.name
        opts = dict(spec.explorer.options) if name == spec.explorer.name else {}
        spec = spec.with_overrides(
            explorer={"name": name, "options": {**opts, "warm_start": warm_start}}
        )
    campaign = open_campaign(spec, storage=url, explorer=explorer, force_new=force_new)
    spec = campaign.spec
    total = budget or spec.budget
    cls = get_explorer(campaign.explorer)
    done = count_trials(campaign.study)  # one count query (not every trial read)
    if done and not quiet:
        typer.echo(f"resuming {campaign.study_name}: {done} trials in {campaign.storage_url}")
    try:
        with (
            stop_on_signals() as stop,
            _Progress(campaign, total if cls.uses_budget else None, quiet) as bar,
        ):

            def tick(**kw: Any) -> None:
                bar.tick(**kw)
                stop.check()  # a stop whose exception was swallowed is raised again here

            run_campaign(
                campaign,
                workers=workers or spec.workers,
                budget=total if cls.uses_budget else None,
                dask_scheduler=dask_scheduler,
                tick=tick,
                stop=stop,
            )
            stop.check()
    except Stopped as exc:
        cmd = resume_command(campaign, budget=budget, workers=workers, storage=storage)
        n = _count_finished(campaign)
        typer.echo(
            f"stopped by {exc.signal_name}: {n} finished trials kept; resume with: {cmd}",
            err=True,
        )
        raise typer.Exit(exc.exit_code) from None
    if not quiet:
        typer.echo(f"storage: {campaign.storage_url}  (run folder {campaign.run_dir}/)")
        typer.echo(f"next: accelsmith dse status {campaign.run_dir}/")


def resume_command(
    campaign: Any,
    *,
    budget: int | None = None,
    workers: int | None = None,
    storage: str | None = None,
) -> str:
    """The exact ``accelsmith dse resume`` command that continues ``campaign``."""
    import shlex

    argv = ["accelsmith", "dse", "resume", f"{campaign.run_dir}/"]
    if storage is not None:
        argv += ["--storage", campaign.storage_url]
    if campaign.explorer != campaign.spec.explorer.name or _folder_explorer(campaign):
        argv += ["--explorer", campaign.explorer]
    if budget is not None:
        argv += ["--budget", str(budget)]
    if workers is not None:
        argv += ["--workers", str(workers)]
    return shlex.join(argv)


def _folder_explorer(campaign: Any) -> bool:
    """True when the run folder's spec names another explorer than the one that ran."""
    import yaml

    try:
        data = yaml.safe_load((campaign.run_dir / "spec.yaml").read_text())
        name = data["explorer"]["name"]
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return True
    return name != campaign.explorer


def _count_finished(campaign: Any) -> int:
    import optuna

    from accelsmith.dse.ledger_bulk import count_trials

    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL)
    try:
        return count_trials(campaign.study, states)
    except Exception:  # the storage itself may be what failed; the count is informative only
        return 0


@app.command("run")
def run(
    spec: Annotated[str, typer.Argument(help="Campaign spec YAML.")],
    workers: Workers = None,
    storage: Storage = None,
    budget: Budget = None,
    explorer: ExplorerOpt = None,
    force_new: Annotated[
        bool,
        typer.Option("--force-new", help="Archive a stored campaign whose spec changed; restart."),
    ] = False,
    dask_scheduler: Dask = None,
    quiet: Quiet = False,
    warm_start: Annotated[
        str | None,
        typer.Option(
            "--warm-start",
            help="RL explorers: start from a policy saved by another campaign "
            "(explorer option warm_start).",
        ),
    ] = None,
) -> None:
    """Run a campaign (or resume it when its storage already holds trials)."""
    _run(
        spec,
        storage=storage,
        workers=workers,
        budget=budget,
        explorer=explorer,
        force_new=force_new,
        dask_scheduler=dask_scheduler,
        quiet=quiet,
        warm_start=warm_start,
    )


@app.command("resume")
def resume(
    target: Target,
    workers: Workers = None,
    storage: Storage = None,
    budget: Budget = None,
    explorer: ExplorerOpt = None,
    dask_scheduler: Dask = None,
    quiet: Quiet = False,
) -> None:
    """Continue a campaign until its budget (trials already done count)."""
    _run(
        target,
        storage=storage,
        workers=workers,
        budget=budget,
        explorer=explorer,
        force_new=False,
        dask_scheduler=dask_scheduler,
        quiet=quiet,
    )


@app.command("worker")
@paused_start_up  # the garbage collector paused until the explorer starts
def worker(
    storage: Annotated[str, typer.Option("--storage", help="Storage URL of the campaign.")],
    campaign: Annotated[str, typer.Option("--campaign", help="Campaign name.")],
    explorer: ExplorerOpt = None,
    budget: Budget = None,
    dask_scheduler: Dask = None,
    stale_after: Annotated[
        float,
        typer.Option(
            "--stale-after",
            min=1,
            help="Seconds before another machine's RUNNING trial counts as abandoned.",
        ),
    ] = 3600.0,
    quiet: Quiet = False,
) -> None:
    """Join a running campaign from this process (same or another machine)."""
    from accelsmith.dse.campaign import open_campaign, run_worker, spec_from_storage
    from accelsmith.dse.workers import Stopped, stop_on_signals

    spec, explorer = spec_from_storage(storage, campaign, explorer)
    c = open_campaign(spec, storage=storage, explorer=explorer, create=False)
    total = budget or spec.budget
    try:
        with stop_on_signals() as stop, _Progress(c, total, quiet) as bar:

            def tick(**kw: Any) -> None:
                bar.tick(**kw)
                stop.check()

            run_worker(
                c,
                budget=total,
                dask_scheduler=dask_scheduler,
                tick=tick,
                stop=stop,
                stale_after=stale_after,
            )
            stop.check()
    except Stopped as exc:
        typer.echo(
            f"stopped by {exc.signal_name}: {_count_finished(c)} finished trials kept in "
            f"{c.storage_url}",
            err=True,
        )
        raise typer.Exit(exc.exit_code) from None


@contextlib.contextmanager
def _open(target: str, storage: str | None) -> Iterator[tuple[Any, Any]]:
    """``(spec, storage)`` opened read-only (creates nothing; closed and tidied on exit)."""
    from accelsmith.dse.storage import close_storage, open_storage, resolve_target

    t = resolve_target(target, storage=storage, need_spec=True)
    store = open_storage(t.storage)
    try:
        yield t.spec, store
    finally:
        close_storage(store)


@app.command("status")
def status_command(
    target: Target,
    storage: Storage = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    reference: Annotated[str | None, reference_option()] = None,
) -> None:
    """Trials, feasible, hypervolume, HV ratio (vs exhaustive) and IGD+ per explorer."""
    from rich.console import Console

    from accelsmith.dse.reference import load_reference
    from accelsmith.dse.results import status

    from .dse_tables import echo_status_json, print_status_notes, status_columns, status_table

    with _open(target, storage) as (spec, store):
        # ref-rl's hook: a stored reference front (dse reference build) for the strict measures
        ref = load_reference(reference, spec) if reference else None
        st = status(store, spec, reference=ref)
    cols = status_columns(st)
    if as_json:
        echo_status_json(spec, st, cols)
        return
    table = status_table(spec, st, cols)
    console = Console(width=max(140, Console().width))
    console.print(table)
    print_status_notes(console, st)


@app.command("pareto")
def pareto_command(
    target: Target,
    storage: Storage = None,
    explorer: Annotated[
        str | None, typer.Option("--explorer", help="Front of one explorer (default: all).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Rows to print.")] = 50,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV (all rows).")] = False,
) -> None:
    """The Pareto-optimal designs, each with the `accelsmith generate` command for it."""
    from accelsmith.dse.results import pareto_designs

    from .dse_tables import print_pareto

    with _open(target, storage) as (spec, store):
        front = pareto_designs(store, spec, explorer)
    if front.empty:
        typer.echo("no feasible design yet")
        return
    print_pareto(spec, front, limit, as_csv)


@app.command("export")
def export_command(
    target: Target,
    csv: Annotated[Path | None, typer.Option("--csv", help="Write every trial as CSV.")] = None,
    parquet: Annotated[
        Path | None, typer.Option("--parquet", help="Write every trial as Parquet.")
    ] = None,
    storage: Storage = None,
    explorer: ExplorerOpt = None,
) -> None:
    """Export all trials (metrics, configuration, constraints, pareto flag)."""
    from accelsmith.dse.results import export_trials

    with _open(target, storage) as (spec, store):
        n = export_trials(store, spec, csv=csv, parquet=parquet, explorer=explorer)
    for p in (csv, parquet):
        if p is not None:
            typer.echo(f"wrote {n} trials to {p}")


def _register_verify_front() -> None:
    # issue 15 item 4: the command lives in cli/dse_verify.py (it was in cli/synth.py, whose
    # import builds the whole synth group); registered here
    from .dse_verify import verify_front_command

    app.command("verify-front")(verify_front_command)


_register_verify_front()
# issue 17 item 4: stored reference fronts (helper ref-rl; cli/dse_reference.py)
app.add_typer(reference_app, name="reference")
