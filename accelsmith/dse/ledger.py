"""The campaign ledger: how a campaign lives in Optuna storage (the one source of truth).

Reports, Pareto tables, hypervolume and the dashboard read only what is described here; every
explorer (Optuna samplers, the exhaustive sweep, the RL explorers) writes exactly this.

Layout
    One storage per campaign (default ``sqlite:///runs/<name>/study.db``; a PostgreSQL URL can
    hold many campaigns). Each explorer run of a campaign is one Optuna study named
    ``"<campaign>@<explorer>"`` (e.g. ``sa-resnet50@nsga2``, ``sa-resnet50@exhaustive``), so a
    campaign can hold several explorers and the exact front side by side.
Study user attributes (key :data:`STUDY_KEY`, one JSON-able dict)
    ``campaign``, ``family``, ``explorer``, ``spec`` (the validated spec as a plain dict),
    ``objectives`` (list of ``[metric, "minimize"|"maximize"]`` in the order of the trial
    values), ``constraints`` (list of ``[metric, "<="|">=", bound]``), ``space`` (normalized
    space dict), ``space_hash``, ``seed``, ``versions`` (accelsmith, optuna, numpy ...),
    ``created`` (ISO 8601 UTC). The exhaustive explorer adds ``points_evaluated`` and stores
    only its exact Pareto front as trials.
Trials (state COMPLETE; failed evaluations are FAIL with ``error`` set)
    ``params``: the design parameters that vary (Optuna distributions); ``values``: the
    objectives in ``objectives`` order, in their natural units and directions; user
    attributes :data:`METRICS_KEY` (every numeric cost-model output of the design, floats),
    :data:`CONFIG_KEY` (the full configuration including fixed parameters, so that
    ``accelsmith generate`` can be called on it), :data:`CONSTRAINTS_KEY` (one value per
    constraint, ``<= 0`` means satisfied, as Optuna's ``constraints_func``),
    :data:`FEASIBLE_KEY` (bool), :data:`EXPLORER_KEY` (str) and :data:`EVAL_SECONDS_KEY`.
    Optuna explorers add :data:`SAMPLER_SECONDS_KEY` (time spent in the sampler: ask and
    suggest, including its storage reads).
    Optuna's system attribute ``constraints`` holds the same constraint values for its
    samplers.

This module is also the one place that reads a campaign back (:func:`read_campaign`, whole or
incrementally with ``since=``) and the one place that touches Optuna's private API (trial and
study ids, the storage behind a study: :func:`set_trial_attrs`, :func:`create_running_trial`,
:func:`trial_handle`). Storage is opened by :mod:`accelsmith.dse.storage`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..core.errors import ConfigError

if TYPE_CHECKING:
    import optuna
    import pandas as pd

__all__ = [
    "CONFIG_KEY",
    "CONSTRAINTS_KEY",
    "EVAL_SECONDS_KEY",
    "EXPLORER_KEY",
    "FEASIBLE_KEY",
    "METRICS_KEY",
    "SAMPLER_SECONDS_KEY",
    "STUDY_KEY",
    "CampaignData",
    "campaign_studies",
    "create_running_trial",
    "frame_of_trials",
    "read_campaign",
    "set_trial_attrs",
    "split_study_name",
    "study_info",
    "study_name",
    "trial_handle",
    "trials_frame",
]

SEP = "@"
STUDY_KEY = "accelsmith"
METRICS_KEY = "metrics"
CONFIG_KEY = "config"
CONSTRAINTS_KEY = "constraint_values"
FEASIBLE_KEY = "feasible"
EXPLORER_KEY = "explorer"
EVAL_SECONDS_KEY = "eval_seconds"
SAMPLER_SECONDS_KEY = "sampler_seconds"


def study_name(campaign: str, explorer: str) -> str:
    """Optuna study name of ``explorer``'s run of ``campaign``."""
    return f"{campaign}{SEP}{explorer}"


def split_study_name(name: str) -> tuple[str, str]:
    """``(campaign, explorer)`` of a study name made by :func:`study_name`."""
    campaign, sep, explorer = name.rpartition(SEP)
    if not sep:
        raise ConfigError(
            f"study {name!r} is not an accelsmith campaign study (<campaign>@<explorer>)"
        )
    return campaign, explorer


def campaign_studies(
    storage: str | optuna.storages.BaseStorage, campaign: str | None = None
) -> dict[str, list[str]]:
    """Campaign name -> explorers that have a study in ``storage`` (only ``campaign`` if given)."""
    import optuna

    out: dict[str, list[str]] = {}
    for name in optuna.study.get_all_study_names(storage=storage):
        if SEP not in name:
            continue
        c, e = split_study_name(name)
        if campaign is None or c == campaign:
            out.setdefault(c, []).append(e)
    return {c: sorted(e) for c, e in sorted(out.items())}


def study_info(study: optuna.Study) -> dict[str, Any]:
    """The accelsmith study attributes (empty dict for a foreign study)."""
    return dict(study.user_attrs.get(STUDY_KEY, {}))


def trials_frame(study: optuna.Study, *, include_failed: bool = False) -> pd.DataFrame:
    """One row per trial of ``study``, oldest first (see :func:`frame_of_trials`)."""
    import optuna

    states = (optuna.trial.TrialState.COMPLETE,)
    if include_failed:
        states += (optuna.trial.TrialState.FAIL,)
    return frame_of_trials(study.get_trials(deepcopy=False, states=states))


def frame_of_trials(trials: Iterable[optuna.trial.FrozenTrial]) -> pd.DataFrame:
    """One row per trial, in the order given.

    Columns: ``number``, ``state``, ``explorer``, ``feasible``, ``datetime_complete``,
    ``eval_seconds``, every metric (named as the cost model names them), the full
    configuration (named like the generator flags) and ``constraint_<i>`` (``<= 0``:
    satisfied).

    Configuration keys and metric keys never collide (metrics are cost-model outputs, configs
    are its inputs); where a configuration column is also echoed by the model the
    configuration value wins.
    """
    import pandas as pd

    rows = []
    for t in trials:
        ua = t.user_attrs
        row: dict[str, Any] = {
            "number": t.number,
            "state": t.state.name,
            EXPLORER_KEY: ua.get(EXPLORER_KEY),
            FEASIBLE_KEY: bool(ua.get(FEASIBLE_KEY, True)),
            "datetime_complete": t.datetime_complete,
            EVAL_SECONDS_KEY: ua.get(EVAL_SECONDS_KEY),
        }
        row.update(ua.get(METRICS_KEY, {}))
        row.update(ua.get(CONFIG_KEY, t.params))
        for i, v in enumerate(ua.get(CONSTRAINTS_KEY, [])):
            row[f"constraint_{i}"] = v
        rows.append(row)
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------ reading


@dataclasses.dataclass
class CampaignData:
    """One read of a campaign: per explorer, the trials not read before and the study info.

    Attributes
    ----------
    frames : dict
        Explorer -> :func:`frame_of_trials` of the finished trials not in ``since`` (all of
        them on a first read), oldest first.
    infos : dict
        Explorer -> the study attributes (:data:`STUDY_KEY`) plus ``_all_trials`` (trials in
        any state), ``sampler_ms`` (mean sampler time per trial, or None) and
        ``_config_keys`` (the configuration keys a completed trial records).
    seen : dict
        Explorer -> numbers of every trial read so far: pass it as ``since`` to read only
        what finished afterwards.
    """

    frames: dict[str, pd.DataFrame]
    infos: dict[str, dict[str, Any]]
    seen: dict[str, set[int]]


def read_campaign(
    storage: Any,
    campaign: str,
    *,
    since: dict[str, set[int]] | None = None,
    include_failed: bool = False,
) -> CampaignData:
    """Read ``campaign``'s studies from an opened storage (every explorer).

    With ``since`` (the ``seen`` of an earlier read) only trials finished since then are
    converted, so polling a large campaign costs a set lookup per trial (Optuna's cached RDB
    storage and the journal storage fetch only what changed).

    Raises
    ------
    ConfigError
        The storage holds no study of ``campaign``.
    """
    import optuna
    import pandas as pd

    from .ledger_columns import ColumnReader, rdb_of

    if since is None and rdb_of(storage) is not None:  # plain SQL, column-wise (100k trials)
        return ColumnReader(storage, campaign, include_failed=include_failed).read()
    done = (optuna.trial.TrialState.COMPLETE,)
    if include_failed:
        done += (optuna.trial.TrialState.FAIL,)
    explorers = campaign_studies(storage, campaign).get(campaign, [])
    if not explorers:
        raise ConfigError(f"no campaign {campaign!r} in the storage (run `dse run` first)")
    out = CampaignData(frames={}, infos={}, seen={})
    for explorer in explorers:
        sid = storage.get_study_id_from_name(study_name(campaign, explorer))
        trials = storage.get_all_trials(sid, deepcopy=False)
        info = dict(storage.get_study_user_attrs(sid).get(STUDY_KEY, {}))
        info["_all_trials"] = len(trials)
        sampler = [
            t.user_attrs[SAMPLER_SECONDS_KEY] for t in trials if SAMPLER_SECONDS_KEY in t.user_attrs
        ]
        info["sampler_ms"] = 1e3 * sum(sampler) / len(sampler) if sampler else None
        finished = [t for t in trials if t.state in done]
        complete = [t for t in finished if t.state == optuna.trial.TrialState.COMPLETE]
        if complete:
            info["_config_keys"] = list(complete[0].user_attrs.get(CONFIG_KEY, {}))
        old = (since or {}).get(explorer, set())
        new = [t for t in finished if t.number not in old]
        out.frames[explorer] = frame_of_trials(new) if new else pd.DataFrame()
        out.infos[explorer] = info
        out.seen[explorer] = old | {t.number for t in new}
    return out


# ------------------------------------------------------------------- writing (private API)


def set_trial_attrs(
    study: optuna.Study,
    trial: optuna.Trial | optuna.trial.FrozenTrial,
    user: dict[str, Any] | None = None,
    system: dict[str, Any] | None = None,
) -> None:
    """Write user and system attributes of a trial in any state (RUNNING or finished)
    straight to the storage (``Trial.set_user_attr`` refuses finished trials)."""
    storage, tid = study._storage, trial._trial_id
    for key, value in (user or {}).items():
        storage.set_trial_user_attr(tid, key, value)
    for key, value in (system or {}).items():
        storage.set_trial_system_attr(tid, key, value)


def create_running_trial(study: optuna.Study, system_attrs: dict[str, Any]) -> optuna.Trial:
    """``study.ask()`` with ``system_attrs`` written in the same insert as the trial (so a
    worker killed at any instant leaves no RUNNING trial without them)."""
    import optuna

    study._thread_local.cached_all_trials = None  # as Study.ask: sync storage once per trial
    template = optuna.trial.create_trial(
        state=optuna.trial.TrialState.RUNNING, system_attrs=system_attrs
    )
    trial_id = study._storage.create_new_trial(study._study_id, template_trial=template)
    return optuna.trial.Trial(study, trial_id)


def trial_handle(study: optuna.Study, frozen: optuna.trial.FrozenTrial) -> optuna.Trial:
    """A live :class:`optuna.Trial` for a RUNNING trial read back from storage."""
    import optuna

    return optuna.trial.Trial(study, frozen._trial_id)
