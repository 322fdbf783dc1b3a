"""Campaigns: storage, run folder, resume, identity checks and worker processes.

A campaign lives in an Optuna storage (see :mod:`accelsmith.dse.ledger`) and has a run folder
``runs/<name>/`` (relative to the current directory) holding ``spec.yaml`` (the validated spec)
and ``campaign.json`` (the storage URL, absolute for SQLite), so that ``dse status`` and
friends accept either the spec file or the folder.

Resume: opening an existing ``<campaign>@<explorer>`` study checks that the campaign's
*identity* (family, space, workloads, objectives, constraints, technology) is unchanged and
refuses otherwise, naming what changed; ``force_new`` archives the old study as
``<campaign>.archived-<UTC time>@<explorer>`` (nothing is deleted) and starts afresh. The budget
counts the trials already in the study.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import ConfigError
from ..core.files import atomic_write
from .identity import differences, identity
from .ledger import STUDY_KEY, study_name
from .spec import CampaignSpec, parse_spec
from .startup import startup_done
from .storage import StorageMissing, close_storage, open_storage, sqlite_abs
from .validate import check_spec, probe

__all__ = [
    "Campaign",
    "check_spec",
    "join_campaign",
    "open_campaign",
    "release_connections",
    "resolve_target",
    "run_campaign",
    "run_worker",
]


def make_storage(url: str) -> Any:
    """An Optuna RDB storage for ``url`` to run a campaign in (:func:`~accelsmith.dse.storage.
    open_storage` in write mode: SQLite folders are created; 60 s lock timeout)."""
    return open_storage(url, write=True)


def _versions() -> dict[str, str]:
    import numpy
    import optuna

    from .. import __version__

    return {
        "accelsmith": __version__,
        "optuna": optuna.__version__,
        "numpy": numpy.__version__,
        "python": sys.version.split()[0],
    }


@dataclass
class Campaign:
    """An opened campaign study: the spec, its storage and the study of one explorer."""

    spec: CampaignSpec
    storage_url: str
    explorer: str
    study: Any
    run_dir: Path
    #: the evaluator the spec was validated with (reused by :func:`run_worker`)
    evaluator: Any = None

    @property
    def study_name(self) -> str:
        return study_name(self.spec.name, self.explorer)


def _write_run_dir(spec: CampaignSpec, url: str) -> Path:
    import yaml

    run_dir = Path("runs") / spec.name
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(run_dir / "spec.yaml", yaml.safe_dump(spec.to_dict(), sort_keys=False))
        meta = {"campaign": spec.name, "storage": sqlite_abs(url)}
        atomic_write(run_dir / "campaign.json", json.dumps(meta, indent=2) + "\n")
    except OSError as exc:
        raise ConfigError(f"cannot write the run folder {run_dir}: {exc}") from None
    return run_dir


def _resolve_explorer(spec: CampaignSpec, explorer: str | None) -> tuple[str, CampaignSpec]:
    """The explorer's name and the spec it runs (the spec's explorer swapped if another)."""
    from .explorers import get_explorer

    explorer = explorer or spec.explorer.name
    cls = get_explorer(explorer)
    if explorer != spec.explorer.name:
        cls.check_options({})
        spec = spec.with_overrides(explorer={"name": explorer, "options": {}})
    return explorer, spec


def _load_checked(
    spec: CampaignSpec,
    store: Any,
    url: str,
    name: str,
    explorer: str,
    space: Any,
    ident: dict[str, Any],
    force_new: bool,
) -> Any:
    """The existing study ``name`` after the identity check; None once archived (force_new)."""
    import optuna

    study = optuna.load_study(study_name=name, storage=store)
    info = study.user_attrs.get(STUDY_KEY, {})
    stored = info.get("identity", {})
    changed = differences(stored, ident)
    if changed and not force_new:
        what = ", ".join(changed)
        if "a different space" in changed:
            what += f" (space hash {info.get('space_hash')} -> {space.hash()})"
        raise ConfigError(
            f"campaign {spec.name!r} in {url} was run with {what}; "
            "use --force-new to archive it and start a new one, or another name"
        )
    if not force_new and "contents" not in stored:
        # stored before contents were recorded (legacy): record them from now on
        stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        study.set_user_attr(STUDY_KEY, {**info, "identity": ident, "identity_recorded": stamp})
    if force_new:
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S")
        archived = study_name(f"{spec.name}.archived-{stamp}", explorer)
        optuna.copy_study(
            from_study_name=name, from_storage=store, to_storage=store, to_study_name=archived
        )
        optuna.delete_study(study_name=name, storage=store)
        return None
    return study


def _create_study(
    spec: CampaignSpec, store: Any, name: str, explorer: str, space: Any, ident: dict[str, Any]
) -> Any:
    """Create (or load, if another worker just did) the study and record the campaign's info."""
    import optuna

    study = optuna.create_study(
        storage=store,
        study_name=name,
        load_if_exists=True,
        directions=spec.directions,
    )
    if STUDY_KEY not in study.user_attrs:
        study.set_user_attr(
            STUDY_KEY,
            {
                "campaign": spec.name,
                "family": spec.family,
                "explorer": explorer,
                "spec": spec.to_dict(),
                "objectives": [list(o) for o in spec.objectives],
                "constraints": [[c.metric, c.op, c.bound] for c in spec.constraints],
                "space": space.to_dict(),
                "space_hash": space.hash(),
                "identity": ident,
                "seed": spec.seed,
                "versions": _versions(),
                "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            },
        )
    return study


def open_campaign(
    spec: CampaignSpec,
    *,
    storage: str | None = None,
    explorer: str | None = None,
    force_new: bool = False,
    create: bool = True,
) -> Campaign:
    """Create or load the study of ``spec`` for ``explorer`` (default: the spec's).

    Everything is checked before anything is written: the spec, its workload and technology
    files, the explorer options and the space against the cost model (:func:`check_spec`);
    only then is the storage opened (created) and the run folder written.

    Raises
    ------
    ConfigError
        The spec is refused by the cost model, the stored campaign has a different identity
        (unless ``force_new``), or the study does not exist and ``create`` is False.
    """
    import optuna

    original = spec  # the run folder keeps the spec as written (its own explorer)
    explorer, spec = _resolve_explorer(spec, explorer)
    # a worker joining (create=False) opens a study that exists and whose stored identity
    # must equal this spec's: its creator probed the same space under the same cost-model
    # versions, so the probe (~30 evaluations, a third of a worker's start-up) is not repeated
    evaluator = check_spec(spec, probe_space=create)
    url = storage or spec.storage_url()
    store = make_storage(url)
    name = study_name(spec.name, explorer)
    space = spec.build_space()
    ident = identity(spec)
    study = None
    if name in optuna.study.get_all_study_names(storage=store):
        study = _load_checked(spec, store, url, name, explorer, space, ident, force_new)
    elif not create:
        raise ConfigError(f"no campaign study {name!r} in {url} (start it with `dse run`)")
    if study is None:
        study = _create_study(spec, store, name, explorer, space, ident)
    run_dir = _write_run_dir(original, url)
    return Campaign(
        spec=spec,
        storage_url=url,
        explorer=explorer,
        study=study,
        run_dir=run_dir,
        evaluator=evaluator,
    )


def run_worker(
    campaign: Campaign,
    *,
    budget: int | None = None,
    dask_scheduler: str | None = None,
    tick: Callable[..., None] | None = None,
    stop: Callable[[], bool] | None = None,
    stale_after: float = 3600.0,
) -> None:
    """Run the campaign's explorer in this process until the budget is spent."""
    from .evaluator import Evaluator
    from .explorers import get_explorer
    from .explorers.base import ExplorerContext

    spec = campaign.spec
    client = None
    if dask_scheduler:
        try:
            from distributed import Client
        except ImportError:
            raise ConfigError("--dask-scheduler needs the 'distributed' package") from None
        try:
            client = Client(dask_scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise ConfigError(f"--dask-scheduler {dask_scheduler!r}: {exc}") from None
    try:
        if client is None and campaign.evaluator is not None:
            evaluator = campaign.evaluator  # checked by open_campaign
        else:
            evaluator = Evaluator(spec, client=client)
            probe(spec, evaluator)
        cls = get_explorer(campaign.explorer)
        space = spec.build_space()
        total = budget or spec.budget
        stop = stop or (lambda: False)
        if cls.uses_budget:
            stop = _stop_when_exhausted(campaign.study, space, total, stop)
        lease = None
        if not cls.parallel:  # one run at a time (see accelsmith.dse.lease)
            from .lease import take_lease

            lease = take_lease(make_storage(campaign.storage_url), spec.name, campaign.explorer)
            user_tick = tick or (lambda **_: None)

            def tick(**kw: Any) -> None:
                lease.beat()
                user_tick(**kw)

        ctx = ExplorerContext(
            spec=spec,
            space=space,
            evaluator=evaluator,
            study=campaign.study,
            explorer=campaign.explorer,
            budget=total,
            seed=spec.seed,
            options=cls.check_options(spec.explorer.options),
            tick=tick or (lambda **_: None),
            stop=stop,
            stale_after=stale_after,
        )
        # the start-up ends here (see accelsmith.dse.startup); pandas, which the evaluator's
        # first batch imports, is imported before, with the garbage collector still paused
        import pandas  # noqa: F401

        startup_done()
        try:
            cls(ctx).run()
        finally:
            if lease is not None:
                lease.release()
    finally:
        if client is not None:
            client.close()


def _stop_when_exhausted(
    study: Any, space: Any, budget: int, stop: Callable[[], bool]
) -> Callable[[], bool]:
    """``stop`` that also says stop once every design of a finite space has a trial, when the
    budget could not end the run first (a budget of 10^9 on a 2-point space)."""
    import math

    import optuna

    if not space.enumerable or space.grid_product() > (1 << 20) or budget < space.size():
        return stop
    size = space.size()
    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL)
    last = [0.0, False]

    def stopped() -> bool:
        if stop():
            return True
        now = time.monotonic()
        # small spaces are checked at every step, large ones twice a second (a storage read)
        if not last[1] and (size <= 1024 or now - last[0] >= 0.5):
            last[0] = now
            trials = study.get_trials(deepcopy=False, states=states)
            seen = {tuple(sorted(t.params.items())) for t in trials}
            last[1] = len(seen) >= size and not math.isinf(size)
        return bool(last[1])

    return stopped


def join_campaign(
    storage: str,
    campaign: str,
    *,
    explorer: str | None = None,
    budget: int | None = None,
    dask_scheduler: str | None = None,
    stale_after: float = 3600.0,
    tick: Callable[..., None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> Campaign:
    """Run a worker of the campaign stored in ``storage`` (its stored spec) in this process."""
    spec, explorer = spec_from_storage(storage, campaign, explorer)
    c = open_campaign(spec, storage=storage, explorer=explorer, create=False)
    run_worker(
        c,
        budget=budget or spec.budget,
        dask_scheduler=dask_scheduler,
        tick=tick,
        stop=stop,
        stale_after=stale_after,
    )
    return c


def run_campaign(
    campaign: Campaign,
    *,
    workers: int = 1,
    budget: int | None = None,
    dask_scheduler: str | None = None,
    tick: Callable[..., None] | None = None,
    stop: Callable[[], bool] | None = None,
    poll: float = 0.5,
) -> None:
    """Run with ``workers`` processes (1: in this process; more: worker processes on the same
    storage, this process only watching).

    The workers are forked from this process where :func:`~accelsmith.dse.workers.
    fork_available` (Linux): they inherit its imports instead of paying for them, and this
    process first closes the campaign storage's connections (:func:`release_connections`),
    so that none crosses the fork. Elsewhere they are ``python -m accelsmith.dse.worker``
    subprocesses. Either way a worker runs :func:`accelsmith.dse.worker.main` with the same
    arguments: it reads the stored spec and opens the storage itself.

    The workers belong to this run: each has its own process group and watches this process;
    any exception here (a :class:`~accelsmith.dse.workers.Stopped` signal included) stops them
    all before it propagates. A worker that fails raises
    :class:`~accelsmith.dse.workers.WorkerFailed` (exit 1) with its error line.
    """
    from .explorers import get_explorer
    from .workers import WorkerFailed, stop_workers

    if workers <= 1 or not get_explorer(campaign.explorer).parallel:
        run_worker(campaign, budget=budget, dask_scheduler=dask_scheduler, tick=tick, stop=stop)
        return
    argv = [
        "--parent",
        str(os.getpid()),
        "--storage",
        sqlite_abs(campaign.storage_url),
        "--campaign",
        campaign.spec.name,
        "--explorer",
        campaign.explorer,
        "--budget",
        str(budget or campaign.spec.budget),
    ]
    if dask_scheduler:
        argv += ["--dask-scheduler", dask_scheduler]
    procs: list[Any] = []
    errors: list[str] = []

    def drain(p: Any) -> None:
        assert p.stderr is not None
        errors.append(p.stderr.read())

    threads: list[threading.Thread] = []
    startup_done()  # this process only watches from here (see accelsmith.dse.startup)
    try:
        # every worker is started before the first thread of this function (a thread holding
        # a lock at a fork would leave it held in the child)
        start = _worker_starter(campaign)
        procs.extend(start(argv) for _ in range(workers))
        for p in procs:
            threads.append(threading.Thread(target=drain, args=(p,), daemon=True))
            threads[-1].start()
        while any(p.poll() is None for p in procs):
            if tick:
                tick()
            if stop is not None and stop():
                break
            time.sleep(poll)
    except BaseException:
        stop_workers(procs)
        raise
    stop_workers(procs)  # a stop() request, or nothing left to stop
    for t in threads:
        t.join(timeout=5)
    if tick:
        tick()
    bad = [p.returncode for p in procs if p.returncode != 0]
    if bad and not (stop is not None and stop()):
        detail = next((e.strip().splitlines()[-1] for e in errors if e.strip()), "")
        detail = detail.removeprefix("error: ")
        raise WorkerFailed(f"{len(bad)} of {workers} workers failed (exit {bad[0]}): {detail}")


def _worker_starter(campaign: Campaign) -> Callable[[list[str]], Any]:
    """How this run starts a worker from its arguments: forked (connections released
    first), or a ``python -m accelsmith.dse.worker`` subprocess."""
    from .workers import fork_available, fork_worker, start_worker

    if fork_available() and release_connections(campaign):
        from .worker import main

        return lambda argv: fork_worker(main, argv)
    cmd = [sys.executable, "-m", "accelsmith.dse.worker"]
    return lambda argv: start_worker([*cmd, *argv])


def release_connections(campaign: Campaign) -> bool:
    """Close every connection of the campaign storage's engine (the pool makes new ones on
    the next use); False when one is in use (checked out), which a fork must not copy.

    The ledger's only engine in a run is its study's (:func:`make_storage`); the explorer's
    lease and the readers of :mod:`accelsmith.dse.storage` open and close their own.
    """
    from .ledger_bulk import rdb_backend

    backend = rdb_backend(campaign.study)
    if backend is None:
        return True
    backend.scoped_session.remove()  # the ORM session's connection back to the pool
    engine = backend.engine
    if engine.pool.checkedout():
        return False
    engine.dispose()  # closes the pooled connections; a new, empty pool replaces them
    return True


def resolve_target(target: str | Path, storage: str | None = None) -> tuple[CampaignSpec, str]:
    """``(spec, storage URL)`` from a spec file or a run folder ``runs/<name>/``
    (:func:`accelsmith.dse.storage.resolve_target`; nothing is created)."""
    from .storage import resolve_target as _resolve

    t = _resolve(target, storage=storage, need_spec=True)
    assert t.spec is not None
    return t.spec, t.storage


def spec_from_storage(
    storage: str, campaign: str, explorer: str | None
) -> tuple[CampaignSpec, str]:
    """The stored spec of ``campaign`` (for ``dse worker``) and the explorer to run."""
    try:
        store = open_storage(storage)  # read-only: a wrong name or URL creates nothing
    except StorageMissing:
        raise ConfigError(
            f"no campaign {campaign!r} in {storage} (start it with `dse run`)"
        ) from None
    try:
        return _stored_spec(store, storage, campaign, explorer)
    finally:  # the worker opens the storage for writing next; this reader's connection goes
        close_storage(store)


def _stored_spec(
    store: Any, storage: str, campaign: str, explorer: str | None
) -> tuple[CampaignSpec, str]:
    import optuna

    from .ledger import campaign_studies

    found = campaign_studies(store, campaign).get(campaign, [])
    if not found:
        raise ConfigError(f"no campaign {campaign!r} in {storage} (start it with `dse run`)")
    if explorer is None:
        runnable = [e for e in found if e != "exhaustive"] or found
        if len(runnable) > 1:
            raise ConfigError(
                f"campaign {campaign!r} has several explorers ({', '.join(found)}); pass --explorer"
            )
        explorer = runnable[0]
    if explorer not in found:
        raise ConfigError(
            f"campaign {campaign!r} has no {explorer!r} study; it has {', '.join(found)}"
        )
    study = optuna.load_study(study_name=study_name(campaign, explorer), storage=store)
    data = study.user_attrs.get(STUDY_KEY, {}).get("spec")
    if not data:
        raise ConfigError(f"study {study.study_name!r} has no stored accelsmith spec")
    return parse_spec(data, source=f"{storage} {study.study_name}"), explorer


def fingerprint(spec: CampaignSpec) -> str:
    """Short hash of a campaign's identity (for file names and logs)."""
    text = json.dumps(identity(spec), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]
