"""Stored reference fronts for spaces too large to enumerate (issue 17, item 4).

A space of ~10^10 points (``coexplore``) has no exact front. Its strict measures
(:mod:`accelsmith.dse.pareto.strict`) are then taken against a **reference front**: the
union of every explorer's long runs, all seeds, stored as a campaign of its own so that
``dse status --reference``, the report and the benchmarks reuse it instead of re-running.

Layout (one storage, SQLite by default; nothing else is written)
    Each run is an ordinary campaign study: campaign ``<ref>.s<seed>``, explorer ``<name>``,
    i.e. study ``<ref>.s<seed>@<name>``, with the campaign's spec (same identity: family,
    space, workloads, objectives, constraints, technology) and ``seed`` = the run's seed. A run
    is resumable like any campaign: building again continues each run up to the budget (the
    trials done count), so a long build can be done in chunks or after a kill. The union front
    is the study ``<ref>@reference``: one trial per distinct objective vector of the
    non-dominated feasible trials of all runs (parameters, metrics and configuration copied
    from one run trial that has it; user attribute ``reference_source`` names that run and
    trial). Its study attribute ``accelsmith`` holds the campaign's identity and
    ``reference``: the runs (explorer, seed, trials), the number of points and when it was
    built. The front study is rewritten after every run, so a build stopped half way leaves a
    front of the runs done so far (``runs`` says which).
Use
    :func:`load_reference` finds the reference front of a campaign in a storage (the identity
    must match: a front of another space, workload or constraint set is refused, naming what
    differs) and gives its objective values and a description for the ``reference`` column.
Budgets
    The issue asks for 10x the largest compared budget for every explorer. What one run costs
    differs by three orders of magnitude between explorers (``random`` ~1,400 designs per CPU
    second on ``coexplore``, ``tpe`` ~30 at 300 trials and slowing), so a build takes one
    budget for the explorers given and can be called again with other explorers and another
    budget on the same storage: the front is the union of all runs stored there, and the
    description lists each explorer's runs and trials, so what the reference contains is
    always stated.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.errors import ConfigError
from .ledger import STUDY_KEY, campaign_studies, study_name

if TYPE_CHECKING:
    from .spec import CampaignSpec

__all__ = [
    "FRONT_EXPLORER",
    "ReferenceFront",
    "build_reference",
    "load_reference",
    "reference_name",
    "run_values",
    "update_front",
]

#: explorer part of the front study's name (``<ref>@reference``)
FRONT_EXPLORER = "reference"
SOURCE_KEY = "reference_source"


def reference_name(spec: CampaignSpec) -> str:
    """Default name of ``spec``'s reference campaign: ``<campaign>.reference``."""
    return f"{spec.name}.reference"


def run_campaign_name(ref: str, seed: int) -> str:
    """Campaign name of the runs of seed ``seed`` of reference ``ref``."""
    return f"{ref}.s{seed}"


@dataclass
class ReferenceFront:
    """A stored reference front.

    Attributes
    ----------
    values : ndarray (k, m)
        Objective values of the front, in the campaign's objective order and directions.
    name : str
        Reference campaign name.
    storage : str
        Storage URL it was read from.
    runs : list of dict
        ``{"explorer", "seed", "trials"}`` of every run in the union.
    """

    values: np.ndarray
    name: str
    storage: str
    runs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def description(self) -> str:
        """One line for the ``reference`` column: which runs the front is the union of."""
        by: dict[str, list[int]] = {}
        for r in self.runs:
            by.setdefault(r["explorer"], []).append(int(r["trials"]))
        parts = []
        for e, t in sorted(by.items()):
            lo, hi = min(t), max(t)
            size = f"{hi:,}" if lo == hi else f"{lo:,}-{hi:,}"
            parts.append(f"{e} {len(t)}x{size}")
        return (
            f"reference campaign {self.name} ({len(self.values)} points; union of "
            f"{', '.join(parts) or 'no runs'})"
        )

    def as_reference(self) -> tuple[np.ndarray, str]:
        """``(values, description)``: the ``reference`` argument of
        :func:`accelsmith.dse.pareto.strict_summary`."""
        return self.values, self.description


def _rdb(store: Any) -> Any:
    from optuna.storages import RDBStorage

    inner = getattr(store, "_backend", store)
    if not isinstance(inner, RDBStorage):
        raise ConfigError(
            "a reference front needs an SQL storage (sqlite:///... or postgresql://...), "
            f"not {type(inner).__name__}"
        )
    return inner


def run_values(store: Any, name: str) -> np.ndarray:
    """Objective values of study ``name``'s trials in trial-number order; rows of
    infeasible or failed trials are NaN (as :func:`accelsmith.dse.pareto.objective_values`).

    Plain SQL on the trial and value tables (no ORM objects): a 100,000-trial run reads in a
    second or two.
    """
    from optuna.storages._rdb import models
    from sqlalchemy import select

    from .ledger import FEASIBLE_KEY

    rdb = _rdb(store)
    study_id = rdb.get_study_id_from_name(name)
    n_obj = len(rdb.get_study_directions(study_id))
    T = models.TrialModel.__table__
    V = models.TrialValueModel.__table__
    U = models.TrialUserAttributeModel.__table__
    with rdb.engine.connect() as conn:
        rows = conn.execute(
            select(T.c.trial_id, T.c.number, T.c.state).where(T.c.study_id == study_id)
        ).all()
        if not rows:
            return np.empty((0, n_obj))
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        numbers = np.array([r[1] for r in rows], dtype=np.int64)
        complete = np.array([str(getattr(r[2], "name", r[2])) == "COMPLETE" for r in rows])
        lo, hi = int(ids.min()), int(ids.max())
        vals = conn.execute(
            select(V.c.trial_id, V.c.objective, V.c.value).where(
                V.c.trial_id >= lo, V.c.trial_id <= hi
            )
        ).all()
        feas = conn.execute(
            select(U.c.trial_id, U.c.value_json).where(
                U.c.trial_id >= lo, U.c.trial_id <= hi, U.c.key == FEASIBLE_KEY
            )
        ).all()
    pos = {int(t): i for i, t in enumerate(ids)}
    out = np.full((len(ids), n_obj), np.nan)
    for tid, obj, value in vals:
        i = pos.get(int(tid))
        if i is not None and value is not None:
            out[i, obj] = value
    ok = complete.copy()
    feasible = np.zeros(len(ids), dtype=bool)
    for tid, value in feas:
        i = pos.get(int(tid))
        if i is not None:
            feasible[i] = value.strip() == "true"
    ok &= feasible
    out[~ok] = np.nan
    return out[np.argsort(numbers, kind="stable")]


def _count_trials(store: Any, name: str) -> int:
    """Trials of study ``name`` (one SQL count; Optuna's ``get_trials`` builds every trial)."""
    from optuna.storages._rdb import models
    from sqlalchemy import func, select

    rdb = _rdb(store)
    study_id = rdb.get_study_id_from_name(name)
    T = models.TrialModel.__table__
    with rdb.engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(T.c.study_id == study_id)).scalar())


def _run_studies(store: Any, ref: str) -> list[tuple[str, int, str]]:
    """``(explorer, seed, study name)`` of every run of reference ``ref`` in ``store``."""
    pat = re.compile(rf"^{re.escape(ref)}\.s(\d+)$")
    out = []
    for campaign, explorers in campaign_studies(store).items():
        m = pat.match(campaign)
        if m:
            out += [(e, int(m[1]), study_name(campaign, e)) for e in explorers]
    return sorted(out, key=lambda r: (r[0], r[1]))


def update_front(store: Any, spec: CampaignSpec, ref: str) -> ReferenceFront:
    """Recompute the union front of every run of ``ref`` and store it as ``<ref>@reference``.

    Returns the new front. Raises ConfigError when no run holds a feasible trial.
    """
    import optuna

    from .identity import identity
    from .pareto import nondominated_mask

    dirs = spec.directions
    runs: list[dict[str, Any]] = []
    front = np.empty((0, len(dirs)))
    where = np.empty((0, 2), dtype=np.int64)  # (run index, trial number) of each front row
    names = []
    for k, (explorer, seed, name) in enumerate(_run_studies(store, ref)):
        v = run_values(store, name)
        runs.append({"explorer": explorer, "seed": seed, "trials": len(v)})
        names.append(name)
        ok = np.isfinite(v).all(axis=1)
        if not ok.any():
            continue
        num = np.flatnonzero(ok)
        v = v[ok]
        m = nondominated_mask(v, dirs)
        cand = np.vstack([front, v[m]])
        cw = np.vstack([where, np.column_stack([np.full(int(m.sum()), k), num[m]])])
        keep = nondominated_mask(cand, dirs)
        front, where = cand[keep], cw[keep]
    if not len(front):
        raise ConfigError(f"reference {ref!r} has no feasible trial yet (runs: {len(runs)})")
    # one row per distinct objective vector (a design found by several runs counts once)
    _, first = np.unique(front, axis=0, return_index=True)
    first = np.sort(first)
    front, where = front[first], where[first]
    front_name = study_name(ref, FRONT_EXPLORER)
    if front_name in optuna.study.get_all_study_names(storage=store):
        optuna.delete_study(study_name=front_name, storage=store)
    study = optuna.create_study(storage=store, study_name=front_name, directions=dirs)
    stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    study.set_user_attr(
        STUDY_KEY,
        {
            "campaign": ref,
            "family": spec.family,
            "explorer": FRONT_EXPLORER,
            "spec": spec.to_dict(),
            "objectives": [list(o) for o in spec.objectives],
            "identity": identity(spec),
            "reference": {"runs": runs, "points": len(front), "built": stamp},
        },
    )
    rdb = _rdb(store)
    trials = []
    for run_k, number in where:
        sid = rdb.get_study_id_from_name(names[run_k])
        src = rdb.get_trial(rdb.get_trial_id_from_study_id_trial_number(sid, int(number)))
        trials.append(
            optuna.trial.create_trial(
                params=src.params,
                distributions=src.distributions,
                values=src.values,
                user_attrs={**src.user_attrs, SOURCE_KEY: f"{names[run_k]}#{int(number)}"},
            )
        )
    study.add_trials(trials)
    return ReferenceFront(
        values=np.array([t.values for t in trials], dtype=np.float64),
        name=ref,
        storage="",
        runs=runs,
    )


def build_reference(
    spec: CampaignSpec,
    *,
    storage: str,
    explorers: Sequence[str],
    seeds: Sequence[int],
    budget: int,
    name: str | None = None,
    on_run: Callable[[str, int, int, float], None] | None = None,
    stop: Callable[[], bool] | None = None,
    tick: Callable[..., None] | None = None,
    update: bool = True,
) -> ReferenceFront | None:
    """Run every explorer with every seed up to ``budget`` trials and store the union front.

    Runs already at the budget are skipped; shorter ones are continued (resume). ``on_run``
    is called after each run with ``(explorer, seed, trials, seconds)``. The spec's own
    explorer options apply to that explorer; other explorers run with their defaults.
    ``update=False`` leaves the stored front as it is (returns None; a caller building in
    several steps calls :func:`update_front` once at the end).
    """
    import time

    import optuna

    from .campaign import Campaign, _create_study, _load_checked, make_storage, run_worker
    from .explorers import get_explorer
    from .identity import identity
    from .validate import check_spec

    ref = name or reference_name(spec)
    if not explorers:
        raise ConfigError("--explorers must name at least one explorer")
    for e in explorers:
        cls = get_explorer(e)
        if not cls.uses_budget or cls.exact:
            raise ConfigError(
                f"--explorers: {e!r} gives an exact front (run it with `dse run --explorer "
                f"{e}`); a reference front is built from budgeted explorers"
            )
    if budget < 1:
        raise ConfigError(f"--budget must be an integer >= 1, not {budget}")
    if not seeds:
        raise ConfigError("--seeds must be at least 1")
    evaluator = check_spec(spec)
    store = make_storage(storage)
    for seed in seeds:
        for e in explorers:
            if stop is not None and stop():
                break
            cls = get_explorer(e)
            opts = dict(spec.explorer.options) if e == spec.explorer.name else {}
            if "save_policy" in cls.options:  # RL runs: no policy folder per run
                opts.setdefault("save_policy", "none")
            run_spec = spec.with_overrides(
                name=run_campaign_name(ref, seed),
                seed=seed,
                storage=storage,
                explorer={"name": e, "options": opts},
            )
            cls.check_options(opts)
            sname = study_name(run_spec.name, e)
            ident = identity(run_spec)
            space = run_spec.build_space()
            study = None
            if sname in optuna.study.get_all_study_names(storage=store):
                study = _load_checked(run_spec, store, storage, sname, e, space, ident, False)
            if study is None:
                study = _create_study(run_spec, store, sname, e, space, ident)
            done = _count_trials(store, sname)
            t0 = time.perf_counter()
            if done < budget:
                camp = Campaign(
                    spec=run_spec,
                    storage_url=storage,
                    explorer=e,
                    study=study,
                    run_dir=None,  # type: ignore[arg-type]  # runs have no run folder
                    evaluator=evaluator,
                )
                run_worker(camp, budget=budget, tick=tick, stop=stop)
            if on_run is not None:
                on_run(e, seed, _count_trials(store, sname), time.perf_counter() - t0)
    if not update:
        return None
    front = update_front(store, spec, ref)
    front.storage = storage
    return front


def _front_studies(store: Any) -> list[str]:
    import optuna

    suffix = "@" + FRONT_EXPLORER
    return [n for n in optuna.study.get_all_study_names(storage=store) if n.endswith(suffix)]


def load_reference(
    target: str, spec: CampaignSpec, *, label: str = "--reference"
) -> ReferenceFront:
    """The stored reference front in ``target`` (storage URL, SQLite file or folder holding
    ``study.db``) whose identity equals ``spec``'s campaign identity.

    Raises
    ------
    ConfigError
        ``target`` does not exist, holds no reference front, or only fronts of other
        campaigns (the message says what differs).
    """
    from pathlib import Path

    import optuna

    from .identity import differences, identity
    from .storage import close_storage, open_storage, resolve_target

    if "://" not in target and not Path(target).exists():
        raise ConfigError(
            f"{label} must be a storage URL, an SQLite file or a folder holding study.db "
            f"(`dse reference build` prints it), not {target!r}: it does not exist"
        )
    t = resolve_target(target)
    store = open_storage(t.storage, label=label)
    try:
        names = _front_studies(store)
        if not names:
            raise ConfigError(
                f"{label} {target} holds no reference front (build one with "
                "`accelsmith dse reference build`)"
            )
        mine = identity(spec)
        why = []
        for n in names:
            study = optuna.load_study(study_name=n, storage=store)
            info = study.user_attrs.get(STUDY_KEY, {})
            diff = differences(info.get("identity", {}), mine)
            if diff:
                why.append(f"{info.get('campaign', n)}: {', '.join(diff)}")
                continue
            trials = study.get_trials(deepcopy=False)
            values = np.array([tr.values for tr in trials], dtype=np.float64)
            meta = info.get("reference", {})
            return ReferenceFront(
                values=values.reshape(len(trials), len(spec.objectives)),
                name=str(info.get("campaign", n)),
                storage=t.storage,
                runs=list(meta.get("runs", [])),
            )
        raise ConfigError(
            f"{label} {target} holds no reference front of campaign {spec.name!r} "
            f"({'; '.join(why)})"
        )
    finally:
        close_storage(store)
