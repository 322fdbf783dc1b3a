"""Writing evaluated design points into the campaign storage, exactly as the ledger says.

Two paths, same result (see :mod:`accelsmith.dse.ledger`):

- :func:`tell_trial`: finish a RUNNING trial made by ``study.ask()`` (Optuna samplers).
- :func:`record_evaluations`: add already-evaluated points as new finished trials, one
  transaction per batch (:class:`accelsmith.dse.ledger_bulk.LedgerWriter`; every explorer).

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
    from .ledger_bulk import LedgerWriter, Row
    from .space import Space

__all__ = [
    "ERROR_KEY",
    "OPTUNA_CONSTRAINTS_KEY",
    "ledger_rows",
    "record_evaluations",
    "tell_trial",
    "trial_attrs",
]

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


def _configs(result: BatchResult, rows: list[int]) -> list[dict[str, Any]]:
    """The configuration of each of ``rows`` as plain Python values (NaN / None left out)."""
    sub = result.frame.iloc[rows]
    return [
        {
            k: (v.item() if isinstance(v, np.generic) else v)
            for k, v in rec.items()
            if v is not None and v == v
        }
        for rec in sub.to_dict("records")
    ]


def _finite_metrics(mcols: list[str], m: np.ndarray) -> dict[str, float]:
    """The finite metrics of one row, by column name."""
    fin = np.isfinite(m)
    return dict(
        zip([c for c, f in zip(mcols, fin, strict=True) if f], m[fin].tolist(), strict=True)
    )


def ledger_rows(
    result: BatchResult,
    space: Space,
    explorer: str,
    rows: Sequence[int],
    *,
    extra_user_attrs: dict[str, Any] | None = None,
    owner: dict[str, Any] | None = None,
) -> list[Row]:
    """Ledger rows (:class:`accelsmith.dse.ledger_bulk.Row`) of ``rows`` of an evaluated batch.

    Vectorized over the batch (one conversion of the metrics and configuration frames), with
    the same attributes as :func:`trial_attrs` plus :data:`~accelsmith.dse.ledger_bulk.DESIGN_KEY`.
    """
    import optuna

    from .ledger_bulk import Row, design_key
    from .workers import OWNER_KEY

    dists = space.distributions()
    names = space.names
    rows = [int(r) for r in rows]
    if not rows:
        return []
    configs = _configs(result, rows)
    mcols = list(result.metrics.columns)
    mvals = result.metrics.to_numpy(dtype=np.float64)[rows] if mcols else None
    per_row_s = float(result.seconds) / max(1, len(result))
    out = []
    for j, i in enumerate(rows):
        config = configs[j]
        attrs: dict[str, Any] = {
            CONFIG_KEY: config,
            EXPLORER_KEY: explorer,
            EVAL_SECONDS_KEY: per_row_s,
        }
        sysattrs: dict[str, Any] = {OWNER_KEY: owner} if owner is not None else {}
        params = space.params(config)
        pd_ = {k: dists[k] for k in params}
        key = design_key(config, names)
        if result.errors[i] is not None:
            attrs[ERROR_KEY] = result.errors[i]
            attrs[FEASIBLE_KEY] = False
            attrs.update(extra_user_attrs or {})
            out.append(
                Row(
                    state=optuna.trial.TrialState.FAIL,
                    params=params,
                    distributions=pd_,
                    user_attrs=attrs,
                    system_attrs=sysattrs,
                    design=key,
                )
            )
            continue
        attrs[METRICS_KEY] = {} if mvals is None else _finite_metrics(mcols, mvals[j])
        cons = result.constraints[i].tolist()
        attrs[CONSTRAINTS_KEY] = cons
        attrs[FEASIBLE_KEY] = bool(result.feasible[i])
        attrs.update(extra_user_attrs or {})
        sysattrs[OPTUNA_CONSTRAINTS_KEY] = cons
        out.append(
            Row(
                state=optuna.trial.TrialState.COMPLETE,
                params=params,
                distributions=pd_,
                values=result.values[i].tolist(),
                user_attrs=attrs,
                system_attrs=sysattrs,
                design=key,
            )
        )
    return out


def record_evaluations(
    study: optuna.Study,
    result: BatchResult,
    space: Space,
    explorer: str,
    *,
    rows: Sequence[int] | np.ndarray | None = None,
    extra_user_attrs: dict[str, Any] | None = None,
    writer: LedgerWriter | None = None,
    budget: int | None = None,
) -> int:
    """Add rows of an evaluated batch to ``study`` as finished trials, in one transaction.

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
    writer : LedgerWriter, optional
        The explorer's writer (keeps the known designs and counts); a new one by default.
    budget : int, optional
        Counted trials the study may hold; rows beyond it are not written.

    Returns
    -------
    int
        Number of trials added. Designs already in the study are not added again.
    """
    from .ledger_bulk import LedgerWriter
    from .workers import owner_token

    if writer is None:
        writer = LedgerWriter(study, space.names)
        writer.sync()
    idx = range(len(result)) if rows is None else [int(r) for r in rows]
    batch = ledger_rows(
        result, space, explorer, idx, extra_user_attrs=extra_user_attrs, owner=owner_token()
    )
    out = writer.write(batch, budget=budget)
    return sum(1 for n in out.numbers if n is not None)
