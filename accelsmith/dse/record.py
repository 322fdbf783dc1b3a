"""Writing evaluated design points into the campaign storage, exactly as the ledger says.

Two paths, same result (see :mod:`accelsmith.dse.ledger`):

- :func:`tell_trial`: finish a RUNNING trial made by ``study.ask()`` (Optuna samplers).
- :func:`record_evaluations`: add already-evaluated points as new finished trials
  (``study.add_trials``; the exhaustive sweep and the RL explorers).

A row that failed to evaluate becomes a FAIL trial with the user attribute ``error``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .ledger import (
    CONFIG_KEY,
    CONSTRAINTS_KEY,
    EVAL_SECONDS_KEY,
    EXPLORER_KEY,
    FEASIBLE_KEY,
    METRICS_KEY,
    set_trial_attrs,
)

if TYPE_CHECKING:
    import optuna

    from .evaluator import BatchResult
    from .space import Space

__all__ = ["ERROR_KEY", "OPTUNA_CONSTRAINTS_KEY", "record_evaluations", "tell_trial", "trial_attrs"]

ERROR_KEY = "error"
#: Optuna's system attribute read by its constrained samplers (list, ``<= 0`` satisfied).
OPTUNA_CONSTRAINTS_KEY = "constraints"


def trial_attrs(result: BatchResult, i: int, explorer: str) -> dict[str, Any]:
    """The ledger's user attributes of row ``i`` of ``result``."""
    attrs: dict[str, Any] = {
        CONFIG_KEY: result.config(i),
        EXPLORER_KEY: explorer,
        EVAL_SECONDS_KEY: float(result.seconds) / max(1, len(result)),
    }
    if result.errors[i] is not None:
        attrs[ERROR_KEY] = result.errors[i]
        attrs[FEASIBLE_KEY] = False
        return attrs
    attrs[METRICS_KEY] = result.row_metrics(i)
    attrs[CONSTRAINTS_KEY] = [float(c) for c in result.constraints[i]]
    attrs[FEASIBLE_KEY] = bool(result.feasible[i])
    return attrs


def tell_trial(
    study: optuna.Study,
    trial: optuna.Trial,
    result: BatchResult,
    i: int,
    explorer: str,
    extra_user_attrs: dict[str, Any] | None = None,
) -> None:
    """Write row ``i`` of ``result`` into the RUNNING ``trial`` and finish it.

    User attributes first, then Optuna's ``constraints`` system attribute, then ``tell`` (so
    that a sampler's ``constraints_func`` can read them in ``after_trial``).
    """
    import optuna

    attrs = trial_attrs(result, i, explorer)
    attrs.update(extra_user_attrs or {})
    set_trial_attrs(study, trial, user=attrs)
    if result.errors[i] is not None:
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
        return
    set_trial_attrs(study, trial, system={OPTUNA_CONSTRAINTS_KEY: attrs[CONSTRAINTS_KEY]})
    study.tell(trial, [float(v) for v in result.values[i]])


def record_evaluations(
    study: optuna.Study,
    result: BatchResult,
    space: Space,
    explorer: str,
    *,
    rows: Sequence[int] | np.ndarray | None = None,
    extra_user_attrs: dict[str, Any] | None = None,
) -> int:
    """Add rows of an evaluated batch to ``study`` as finished trials (one ``add_trials``).

    Parameters
    ----------
    study : optuna.Study
        The explorer's study of the campaign (``"<campaign>@<explorer>"``).
    result : BatchResult
        From :meth:`accelsmith.dse.evaluator.Evaluator.evaluate`.
    space : Space
        The campaign space (gives the trial ``params`` and their distributions).
    explorer : str
        Explorer name stored with each trial.
    rows : sequence of int, optional
        Which rows to record (all by default).
    extra_user_attrs : dict, optional
        More user attributes for every trial (e.g. an RL episode number).

    Returns
    -------
    int
        Number of trials added.
    """
    import optuna

    dists = space.distributions()
    idx = range(len(result)) if rows is None else [int(r) for r in rows]
    trials = []
    for i in idx:
        attrs = trial_attrs(result, i, explorer)
        if extra_user_attrs:
            attrs.update(extra_user_attrs)
        params = space.params(result.config(i))
        pd_ = {k: dists[k] for k in params}
        if result.errors[i] is not None:
            trials.append(
                optuna.trial.create_trial(
                    state=optuna.trial.TrialState.FAIL,
                    params=params,
                    distributions=pd_,
                    user_attrs=attrs,
                )
            )
        else:
            trials.append(
                optuna.trial.create_trial(
                    values=[float(v) for v in result.values[i]],
                    params=params,
                    distributions=pd_,
                    user_attrs=attrs,
                    system_attrs={OPTUNA_CONSTRAINTS_KEY: attrs[CONSTRAINTS_KEY]},
                )
            )
    study.add_trials(trials)
    return len(trials)
