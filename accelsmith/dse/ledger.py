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
"""

from __future__ import annotations

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
    "campaign_studies",
    "split_study_name",
    "study_info",
    "study_name",
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
    """One row per trial, oldest first.

    Columns: ``number``, ``state``, ``explorer``, ``feasible``, ``datetime_complete``,
    ``eval_seconds``, every metric (named as the cost model names them), the full
    configuration (named like the generator flags) and ``constraint_<i>`` (``<= 0``:
    satisfied).

    Configuration keys and metric keys never collide (metrics are cost-model outputs, configs
    are its inputs); where a configuration column is also echoed by the model the
    configuration value wins.
    """
    import optuna
    import pandas as pd

    states = (optuna.trial.TrialState.COMPLETE,)
    if include_failed:
        states += (optuna.trial.TrialState.FAIL,)
    rows = []
    for t in study.get_trials(deepcopy=False, states=states):
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
