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
Re-costing (a new results version)
    A change of the cost models bumps :data:`accelsmith.dse.identity.RESULTS_VERSION`, after
    which stored runs refuse to resume and a stored front no longer matches the campaign.
    :func:`recost_reference` re-evaluates the designs of such a front with the current code
    and stores them in another storage as the study ``<ref>.recosted@from-v<old>`` (an
    ordinary ledger study of the current identity; study attribute ``recosted``: the source,
    its results version and runs, and how many objective vectors changed, by how much, and
    how many designs became infeasible). :func:`update_front` counts it as one more run of the
    union, so new runs built beside it join the re-costed front. What this is and is not: the
    re-costed points are the *old front's* designs at current costs; a design of the old runs
    that was dominated then but would not be now is not among them (when nothing changed, as
    ``changed`` then says, the two coincide on the old runs' designs).
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
    "recost_reference",
    "reference_name",
    "rule_stop",
    "run_values",
    "update_front",
]

#: explorer part of the front study's name (``<ref>@reference``)
FRONT_EXPLORER = "reference"
SOURCE_KEY = "reference_source"
#: campaign part of a re-costed front's study name (``<ref>.recosted@from-v<old>``)
RECOST_CAMPAIGN = "recosted"
#: relative change of an objective above which a re-costed design counts as changed
RECOST_TOLERANCE = 1e-9


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
        parts = runs_summary([r for r in self.runs if "recosted" not in r])
        parts += [recost_summary(r["recosted"]) for r in self.runs if "recosted" in r]
        return (
            f"reference campaign {self.name} ({len(self.values)} points; union of "
            f"{', '.join(parts) or 'no runs'})"
        )

    def as_reference(self) -> tuple[np.ndarray, str]:
        """``(values, description)``: the ``reference`` argument of
        :func:`accelsmith.dse.pareto.strict_summary`."""
        return self.values, self.description


def runs_summary(runs: Sequence[dict[str, Any]]) -> list[str]:
    """``"<explorer> <n>x<trials>"`` per explorer of ``runs`` (``{"explorer", "trials"}``)."""
    by: dict[str, list[int]] = {}
    for r in runs:
        by.setdefault(r["explorer"], []).append(int(r["trials"]))
    parts = []
    for e, t in sorted(by.items()):
        lo, hi = min(t), max(t)
        size = f"{hi:,}" if lo == hi else f"{lo:,}-{hi:,}"
        parts.append(f"{e} {len(t)}x{size}")
    return parts


def recost_summary(meta: dict[str, Any]) -> str:
    """One phrase for a re-costed front (the ``recosted`` record of :func:`recost_reference`)."""
    changed = int(meta["changed"])
    what = (
        "no objective changed"
        if not changed
        else f"{changed} changed, max relative change {meta['max_rel_change']:.3g}"
    )
    if meta.get("infeasible") or meta.get("failed"):
        what += f", {meta.get('infeasible', 0)} now infeasible, {meta.get('failed', 0)} failed"
    return (
        f"{meta['designs']} designs re-costed from results version {meta['from_version']} "
        f"(front of {', '.join(runs_summary(meta.get('source_runs', []))) or 'unknown runs'}; "
        f"{what})"
    )


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


def rule_stop(store: Any, name: str) -> int | None:
    """The designs of study ``name`` if its explorer stopped by its own rule, else None.

    An Optuna-sampler explorer (:class:`~accelsmith.dse.explorers.optuna_samplers.
    OptunaExplorer`) stops when ``max(MISS_FLOOR, MISS_BATCHES x batch)`` proposals in a row
    were designs already stored ("space exhausted or sampler converged",
    :mod:`accelsmith.dse.explorers.base`). Decided from stored facts only: the repeat entries
    (:data:`~accelsmith.dse.ledger_bulk.REPEATS_PREFIX`) at the ask positions right after
    the last trial's (:data:`~accelsmith.dse.ledger_bulk.ASK_KEY`) must be at least that
    many in a row. A run stopped by its budget, by a kill before the rule fired or by a
    smaller budget has fewer (the loop checks the rule after every batch), so None; so are
    explorers that keep no repeat entries (their stop cannot be told from storage).
    """
    import json
    from types import SimpleNamespace

    from optuna.storages._rdb import models
    from sqlalchemy import select

    from .explorers import get_explorer
    from .explorers import optuna_samplers as osx
    from .ledger_bulk import ASK_KEY, REPEATS_PREFIX, count_rdb_trials

    rdb = _rdb(store)
    study_id = rdb.get_study_id_from_name(name)
    info = rdb.get_study_user_attrs(study_id).get(STUDY_KEY, {})
    try:
        cls = get_explorer(str(info.get("explorer")))
    except ConfigError:
        return None
    if not issubclass(cls, osx.OptunaExplorer):
        return None
    opts = dict((info.get("spec") or {}).get("explorer", {}).get("options") or {})
    # the explorer's own batch (B, or the population of NSGA-II/III) from its stored options
    batch = int(cls.batch_size(SimpleNamespace(opts=cls.check_options(opts))))
    need = max(osx.MISS_FLOOR, osx.MISS_BATCHES * batch)
    T = models.TrialModel.__table__
    A = models.TrialSystemAttributeModel.__table__
    S = models.StudySystemAttributeModel.__table__
    with rdb.engine.connect() as conn:
        asks = conn.execute(
            select(A.c.value_json)
            .join(T, T.c.trial_id == A.c.trial_id)
            .where(T.c.study_id == study_id, A.c.key == ASK_KEY)
        ).all()
        if not asks:
            return None
        last = max(int(json.loads(r[0])) for r in asks)
        # a batch of B asks holding the last trial starts at most B - 1 asks before it
        entries = conn.execute(
            select(S.c.key, S.c.value_json).where(
                S.c.study_id == study_id, S.c.key.startswith(REPEATS_PREFIX)
            )
        ).all()
    after = set()
    for key, value in entries:
        first = int(key[len(REPEATS_PREFIX) :].split(":", 1)[0])
        if first > last - batch:
            after.update(int(r["ask"]) for r in json.loads(value) if int(r["ask"]) > last)
    run = 0
    while last + 1 + run in after:
        run += 1
    return count_rdb_trials(rdb, study_id) if run >= need else None


def _count_trials(store: Any, name: str) -> int:
    """Trials of study ``name`` (one SQL count; Optuna's ``get_trials`` builds every trial)."""
    from .ledger_bulk import count_rdb_trials

    rdb = _rdb(store)
    return count_rdb_trials(rdb, rdb.get_study_id_from_name(name))


def _run_studies(store: Any, ref: str) -> list[tuple[str, int, str]]:
    """``(explorer, seed, study name)`` of every run of reference ``ref`` in ``store``."""
    pat = re.compile(rf"^{re.escape(ref)}\.s(\d+)$")
    out = []
    for campaign, explorers in campaign_studies(store).items():
        m = pat.match(campaign)
        if m:
            out += [(e, int(m[1]), study_name(campaign, e)) for e in explorers]
    return sorted(out, key=lambda r: (r[0], r[1]))


def _recost_studies(store: Any, ref: str) -> list[tuple[str, dict[str, Any]]]:
    """``(study name, recosted record)`` of every re-costed front of ``ref`` in ``store``."""
    import optuna

    campaign = f"{ref}.{RECOST_CAMPAIGN}"
    out = []
    for e in campaign_studies(store, campaign).get(campaign, []):
        name = study_name(campaign, e)
        info = optuna.load_study(study_name=name, storage=store).user_attrs.get(STUDY_KEY, {})
        out.append((name, dict(info.get("recosted", {}))))
    return out


def update_front(store: Any, spec: CampaignSpec, ref: str) -> ReferenceFront:
    """Recompute the union front of every run of ``ref`` and store it as ``<ref>@reference``.

    The union takes every run ``<ref>.s<seed>@<explorer>`` and every re-costed front
    ``<ref>.recosted@from-v<old>`` (:func:`recost_reference`) in ``store``. Returns the new
    front. Raises ConfigError when no run holds a feasible trial, or when a run was recorded
    under another identity (e.g. an older results version: its values are not today's).
    """
    import optuna

    from .identity import differences, identity
    from .pareto import nondominated_mask

    dirs = spec.directions
    mine = identity(spec)
    runs: list[dict[str, Any]] = []
    front = np.empty((0, len(dirs)))
    where = np.empty((0, 2), dtype=np.int64)  # (run index, trial number) of each front row
    names = []
    parts = [(e, s, n, None) for e, s, n in _run_studies(store, ref)]
    parts += [("recosted", None, n, m) for n, m in _recost_studies(store, ref)]
    for k, (explorer, seed, name, recosted) in enumerate(parts):
        info = optuna.load_study(study_name=name, storage=store).user_attrs.get(STUDY_KEY, {})
        diff = differences(info.get("identity", {}), mine)
        if diff:
            raise ConfigError(
                f"run {name} of reference {ref!r} was recorded with {', '.join(diff)}: its "
                "trials cannot join a front of the current campaign (re-cost its stored front "
                "into another storage with `accelsmith dse reference recost` and build the "
                "runs there)"
            )
        v = run_values(store, name)
        run: dict[str, Any] = {"explorer": explorer, "seed": seed, "trials": len(v)}
        if recosted is not None:
            run["recosted"] = recosted
        runs.append(run)
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


def matching_front(store: Any, mine: dict[str, Any]) -> tuple[Any, list[str]]:
    """``((front study name, its accelsmith attribute, study) or None, why not)``: the first
    reference front in ``store`` whose identity equals ``mine``, and for every other front
    what differs (``"<campaign>: <differences>"``)."""
    import optuna

    from .identity import differences

    why = []
    for n in _front_studies(store):
        study = optuna.load_study(study_name=n, storage=store)
        info = study.user_attrs.get(STUDY_KEY, {})
        diff = differences(info.get("identity", {}), mine)
        if diff:
            why.append(f"{info.get('campaign', n)}: {', '.join(diff)}")
            continue
        return (n, info, study), why
    return None, why


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
    from .identity import identity
    from .reference_file import is_reference_file, read_reference_file
    from .storage import close_storage

    if is_reference_file(target):  # an exported front (`dse reference export`)
        return read_reference_file(target, spec, label=label)
    store, url = _open_source(target, label)
    try:
        names = _front_studies(store)
        if not names:
            raise ConfigError(
                f"{label} {target} holds no reference front (build one with "
                "`accelsmith dse reference build`)"
            )
        found, why = matching_front(store, identity(spec))
        if found is not None:
            n, info, study = found
            trials = study.get_trials(deepcopy=False)
            values = np.array([tr.values for tr in trials], dtype=np.float64)
            meta = info.get("reference", {})
            return ReferenceFront(
                values=values.reshape(len(trials), len(spec.objectives)),
                name=str(info.get("campaign", n)),
                storage=url,
                runs=list(meta.get("runs", [])),
            )
        hint = (
            " (re-cost it: `accelsmith dse reference recost`)"
            if any("results version" in w for w in why)
            else ""
        )
        raise ConfigError(
            f"{label} {target} holds no reference front of campaign {spec.name!r} "
            f"({'; '.join(why)}){hint}"
        )
    finally:
        close_storage(store)


def _open_source(target: str, label: str) -> tuple[Any, str]:
    """``(store, storage URL)`` of an existing reference storage, opened read-only."""
    from pathlib import Path

    from .storage import open_storage, resolve_target

    if "://" not in target and not Path(target).exists():
        raise ConfigError(
            f"{label} must be a storage URL, an SQLite file or a folder holding study.db "
            f"(`dse reference build` prints it), not {target!r}: it does not exist"
        )
    t = resolve_target(target)
    return open_storage(t.storage, label=label), t.storage


def recost_reference(
    spec: CampaignSpec,
    source: str,
    *,
    storage: str,
    name: str | None = None,
) -> tuple[ReferenceFront, dict[str, Any]]:
    """Re-cost the stored reference front of ``spec``'s campaign that was recorded under
    another results version, and store it in ``storage`` under the current one.

    ``source`` (storage URL, SQLite file or folder) must hold a reference front whose
    identity differs from the campaign's *only* in its results version. Its designs are
    evaluated again with the current cost models (one batch) and recorded, with the current
    identity, as the study ``<name>.recosted@from-v<old>`` of ``storage`` (replacing an
    earlier re-costing from the same version); then the front of ``storage``
    (:func:`update_front`) is rewritten, so runs built there later join it.

    Returns
    -------
    (ReferenceFront, dict)
        The new front of ``storage`` and the ``recosted`` record: ``from_version``,
        ``to_version``, ``source`` (URL and study), ``source_runs``, ``designs``, ``changed``
        (designs whose objective vector moved by more than :data:`RECOST_TOLERANCE`
        relative), ``max_rel_change``, ``infeasible`` and ``failed`` (designs now violating a
        constraint / refused by the cost model), ``recosted`` (UTC time).

    Raises
    ------
    ConfigError
        ``source`` (storage or exported .json file) is missing or holds no front of this
        campaign that differs only in its
        results version (already current, or another space/workload/...: named), or
        ``storage`` is the source's storage.
    """
    import optuna

    from .campaign import make_storage
    from .identity import RESULTS_VERSION, identity
    from .ledger_bulk import LedgerWriter
    from .record import ledger_rows
    from .reference_file import is_reference_file
    from .validate import check_spec

    mine = identity(spec)
    if is_reference_file(source):  # an exported front (`dse reference export`)
        found, src_url = _recost_source_file(source, mine, spec)
    else:
        found, src_url = _recost_source_storage(source, mine, spec)
    if storage == src_url:
        raise ConfigError(
            f"--storage must differ from the source storage {src_url} (its runs are of results "
            f"version {found[2]}: new runs go beside the re-costed front in another storage)"
        )
    front_name, info, old_version, trials = found
    ref = name or str(info.get("campaign") or reference_name(spec))
    space = spec.build_space()
    names = set(space.names)
    configs = [space.config({k: v for k, v in t.params.items() if k in names}) for t in trials]
    old = np.array([t.values for t in trials], dtype=np.float64)
    result = check_spec(spec).evaluate(configs)
    new = np.asarray(result.values, dtype=np.float64)
    ok = result.ok
    rel = np.abs(new - old) / np.maximum(np.abs(old), 1e-300)
    rel = np.where(ok[:, None], rel, np.inf)
    changed = (rel > RECOST_TOLERANCE).any(axis=1)
    finite = rel[np.isfinite(rel)]
    meta = {
        "from_version": str(old_version),
        "to_version": RESULTS_VERSION,
        "source": {"storage": src_url, "study": front_name},
        "source_runs": list(info.get("reference", {}).get("runs", [])),
        "designs": len(trials),
        "changed": int(changed.sum()),
        "max_rel_change": float(finite.max()) if finite.size else 0.0,
        "infeasible": int((ok & ~np.asarray(result.feasible, dtype=bool)).sum()),
        "failed": int((~ok).sum()),
        "recosted": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    out = make_storage(storage)
    campaign = f"{ref}.{RECOST_CAMPAIGN}"
    explorer = f"from-v{old_version}"
    sname = study_name(campaign, explorer)
    if sname in optuna.study.get_all_study_names(storage=out):
        optuna.delete_study(study_name=sname, storage=out)
    study = optuna.create_study(storage=out, study_name=sname, directions=spec.directions)
    study.set_user_attr(
        STUDY_KEY,
        {
            "campaign": campaign,
            "family": spec.family,
            "explorer": explorer,
            "spec": spec.to_dict(),
            "objectives": [list(o) for o in spec.objectives],
            "identity": mine,
            "recosted": meta,
        },
    )
    rows = ledger_rows(result, space, "recosted", range(len(trials)))
    for row, t in zip(rows, trials, strict=True):  # the run trial each design came from
        row.user_attrs[SOURCE_KEY] = str(t.user_attrs.get(SOURCE_KEY, f"{front_name}#{t.number}"))
    writer = LedgerWriter(study, space.names)
    writer.sync()
    writer.write(rows)
    front = update_front(out, spec, ref)
    front.storage = storage
    return front, meta


def _stale_front_refused(source: str, spec: CampaignSpec, why: list[str]) -> ConfigError:
    return ConfigError(
        f"reference {source} holds no reference front of campaign {spec.name!r} of "
        f"another results version ({'; '.join(why) or 'no reference front'})"
    )


def _stale(stored: dict[str, Any], mine: dict[str, Any]) -> tuple[bool, str]:
    """``(differs only in its results version, why not)`` of a stored front identity."""
    from .identity import RESULTS_VERSION, differences

    diff = differences(stored, mine)
    if not diff:
        return False, f" is of results version {RESULTS_VERSION} already: nothing to re-cost"
    if len(diff) == 1 and diff[0].startswith("accelsmith results version"):
        return True, ""
    return False, ": " + ", ".join(diff)


def _recost_source_file(source: str, mine: dict[str, Any], spec: CampaignSpec) -> Any:
    """``((front name, info, old version, trials), path)`` of an exported front to re-cost."""
    from types import SimpleNamespace

    from .reference_file import read_reference_document

    doc = read_reference_document(source, "reference")
    stored = doc.get("identity") or {}
    ok, why = _stale(stored, mine)
    if not ok:
        raise _stale_front_refused(source, spec, [f"{doc.get('campaign')}{why}"])
    info = {"campaign": doc.get("campaign"), "reference": {"runs": list(doc.get("runs", []))}}
    trials = [
        SimpleNamespace(
            params=p["params"], values=p["values"], number=i, user_attrs={SOURCE_KEY: p["source"]}
        )
        for i, p in enumerate(doc["points"])
    ]
    version = stored.get("contents", {}).get("results_version")
    return (f"{doc.get('campaign')}@{FRONT_EXPLORER}", info, version, trials), str(source)


def _recost_source_storage(source: str, mine: dict[str, Any], spec: CampaignSpec) -> Any:
    """``((front name, info, old version, trials), storage URL)`` of a stored front to
    re-cost."""
    import optuna

    from .storage import close_storage

    store, src_url = _open_source(source, "reference")
    try:
        why, found = [], None
        for n in _front_studies(store):
            study = optuna.load_study(study_name=n, storage=store)
            info = study.user_attrs.get(STUDY_KEY, {})
            stored = info.get("identity", {})
            ok, reason = _stale(stored, mine)
            if ok:
                version = stored.get("contents", {}).get("results_version")
                found = (n, info, version, study.get_trials(deepcopy=False))
                break
            why.append(f"{info.get('campaign', n)}{reason}")
        if found is None:
            raise _stale_front_refused(source, spec, why)
    finally:
        close_storage(store)
    return found, src_url
