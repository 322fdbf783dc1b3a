"""Test campaigns written straight in the ledger format (:mod:`accelsmith.dse.ledger`).

Every trial holds real cost-model results (``accelsmith.models.evaluate`` on the systolic
family), so reports and the dashboard are exercised on realistic numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np

from accelsmith.dse import ledger

WORKLOAD = "resnet50"
ROWS = COLS = tuple(range(4, 68, 4))
SPACE = {
    "rows": {"low": 4, "high": 64, "step": 4},
    "cols": {"low": 4, "high": 64, "step": 4},
    "dataflow": {"choices": ["os", "ws"]},
    "in_bits": 8,
    "signed": True,
    "ifmap_kb": {"choices": [16, 64, 256]},
}


def _configs(rng: np.random.Generator, n: int) -> list[dict[str, Any]]:
    return [
        {
            "rows": int(rng.choice(ROWS)),
            "cols": int(rng.choice(COLS)),
            "dataflow": str(rng.choice(["os", "ws"])),
            "in_bits": 8,
            "signed": True,
            "ifmap_kb": int(rng.choice([16, 64, 256])),
        }
        for _ in range(n)
    ]


def _grid() -> list[dict[str, Any]]:
    return [
        {"rows": r, "cols": c, "dataflow": d, "in_bits": 8, "signed": True, "ifmap_kb": kb}
        for r in ROWS
        for c in COLS
        for d in ("os", "ws")
        for kb in (16, 64, 256)
    ]


def _rows(
    configs: list[dict[str, Any]],
    objectives: Sequence[tuple[str, str]],
    constraints: Sequence[tuple[str, str, float]],
) -> list[dict[str, Any]]:
    from accelsmith.models import evaluate

    df = evaluate("systolic", configs, WORKLOAD)
    numeric = [
        k for k in df.columns if df[k].dtype.kind in "iuf" and k not in configs[0] and k != "signed"
    ]
    records = df[numeric].astype(float).to_dict("records")
    out = []
    for cfg, metrics in zip(configs, records, strict=True):
        cv = [(metrics[m] - b) if op == "<=" else (b - metrics[m]) for m, op, b in constraints]
        out.append(
            {
                "config": cfg,
                "metrics": metrics,
                "values": [metrics[m] for m, _ in objectives],
                "constraints": cv,
                "feasible": all(v <= 0 for v in cv),
            }
        )
    return out


def _study(storage: Any, name: str, explorer: str, info: dict[str, Any], directions: list[str]):
    import optuna

    study = optuna.create_study(
        study_name=ledger.study_name(name, explorer), storage=storage, directions=directions
    )
    study.set_user_attr(ledger.STUDY_KEY, {**info, "explorer": explorer})
    return study


def add_trials(study: Any, rows: list[dict[str, Any]], explorer: str) -> None:
    """Append evaluated rows to ``study`` as COMPLETE trials in the ledger format."""
    import optuna
    from optuna.distributions import CategoricalDistribution, IntDistribution

    dists = {
        "rows": IntDistribution(4, 64, step=4),
        "cols": IntDistribution(4, 64, step=4),
        "dataflow": CategoricalDistribution(["os", "ws"]),
        "ifmap_kb": CategoricalDistribution([16, 64, 256]),
    }
    trials = []
    for r in rows:
        cfg = r["config"]
        trials.append(
            optuna.trial.create_trial(
                params={k: cfg[k] for k in dists},
                distributions=dists,
                values=r["values"],
                user_attrs={
                    ledger.METRICS_KEY: r["metrics"],
                    ledger.CONFIG_KEY: cfg,
                    ledger.CONSTRAINTS_KEY: r["constraints"],
                    ledger.FEASIBLE_KEY: r["feasible"],
                    ledger.EXPLORER_KEY: explorer,
                    ledger.EVAL_SECONDS_KEY: 0.001,
                },
                system_attrs={"constraints": r["constraints"]} if r["constraints"] else {},
            )
        )
    study.add_trials(trials)


def write_campaign(
    storage: Any,
    name: str,
    *,
    objectives: Sequence[tuple[str, str]] = (
        ("latency_s", "minimize"),
        ("energy_j", "minimize"),
    ),
    constraints: Sequence[tuple[str, str, float]] = (),
    explorers: dict[str, int] | None = None,
    exhaustive: bool = False,
    seed: int = 0,
) -> dict[str, Any]:
    """Write a campaign (one study per explorer, optional exact front) into ``storage``."""
    explorers = {"nsga2": 60} if explorers is None else explorers
    objectives = [tuple(o) for o in objectives]
    constraints = [tuple(c) for c in constraints]
    spec = {
        "name": name,
        "family": "systolic",
        "workload": WORKLOAD,
        "space": SPACE,
        "objectives": {m: d for m, d in objectives},
        "constraints": [f"{m} {op} {b}" for m, op, b in constraints],
        "explorer": {"name": next(iter(explorers), "nsga2")},
        "budget": max(explorers.values(), default=0),
        "seed": seed,
    }
    info = {
        "campaign": name,
        "family": "systolic",
        "spec": spec,
        "objectives": [list(o) for o in objectives],
        "constraints": [list(c) for c in constraints],
        "space": SPACE,
        "space_hash": "test",
        "seed": seed,
        "versions": {"accelsmith": "test"},
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    directions = [d for _, d in objectives]
    rng = np.random.default_rng(seed)
    for explorer, n in explorers.items():
        study = _study(storage, name, explorer, info, directions)
        if n:
            add_trials(study, _rows(_configs(rng, n), objectives, constraints), explorer)
    if exhaustive:
        from accelsmith.dse.pareto import nondominated_mask

        rows = _rows(_grid(), objectives, constraints)
        vals = np.array(
            [r["values"] if r["feasible"] else [np.nan] * len(directions) for r in rows]
        )
        front = [
            r for r, keep in zip(rows, nondominated_mask(vals, directions), strict=True) if keep
        ]
        study = _study(
            storage, name, "exhaustive", {**info, "points_evaluated": len(rows)}, directions
        )
        add_trials(study, front, "exhaustive")
    return info


def journal_storage(path: Any) -> Any:
    """A JournalStorage on ``path`` (fast to write; reports read it as ``<path>``)."""
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    return JournalStorage(JournalFileBackend(str(path)))


def ledger_batch(
    url: str, campaign: str, explorer: str, size: int, seed: int, writers: dict | None = None
) -> int:
    """Evaluate ``size`` random designs of a stored campaign's space with its cost model and
    store them in one transaction, as the batched explorers do (``record_evaluations``);
    returns the number of trials added (designs already stored are not added again).
    ``writers``: a cache of ledger writers (one synced writer per study, as an explorer
    keeps one; a new writer reads every stored trial first)."""
    import optuna

    from accelsmith.dse.evaluator import Evaluator
    from accelsmith.dse.ledger_bulk import LedgerWriter
    from accelsmith.dse.record import record_evaluations
    from accelsmith.dse.spec import parse_spec

    study = optuna.load_study(study_name=ledger.study_name(campaign, explorer), storage=url)
    spec = parse_spec(ledger.study_info(study)["spec"], source="test")
    space = spec.build_space()
    rng = np.random.default_rng(seed)
    result = Evaluator(spec).evaluate([space.sample(rng) for _ in range(size)])
    writers = {} if writers is None else writers
    writer = writers.get((url, campaign, explorer))
    if writer is None:
        writer = writers[url, campaign, explorer] = LedgerWriter(study, space.names)
        writer.sync()
    return record_evaluations(study, result, space, explorer, writer=writer)
