"""Run an example campaign spec at a small budget and check that the ledger stores exactly
what the cost model gives for each design (shared by the example-campaign tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from accelsmith.cli.main import main


def run_and_check(
    spec_path: Path, budget: int, tmp_path: Path, workload: str, objectives: list[str]
) -> tuple[str, list[dict[str, Any]]]:
    """``dse run`` of ``spec_path`` with ``budget`` trials in a fresh SQLite storage under
    ``tmp_path`` (the caller chdirs there: the run folder goes under the working directory);
    asserts ``budget`` finished trials whose stored values equal ``evaluate`` of their
    configurations on ``workload`` (``objectives`` in order). Returns the storage URL and the
    configurations."""
    import optuna

    from accelsmith.dse.spec import load_spec
    from accelsmith.models import evaluate

    spec = load_spec(spec_path)
    assert spec.build_space().size() >= 10**8
    db = f"sqlite:///{tmp_path / 'study.db'}"
    assert (
        main(["dse", "run", str(spec_path), "--budget", str(budget), "--storage", db, "--quiet"])
        == 0
    )
    (summary,) = optuna.get_all_study_summaries(db)
    trials = optuna.load_study(study_name=summary.study_name, storage=db).get_trials()
    done = [t for t in trials if t.values is not None]
    assert len(done) == budget
    configs = [t.params for t in done]
    want = evaluate(spec.family, configs, workload)[objectives].to_numpy(dtype=float)
    assert np.allclose(np.array([t.values for t in done]), want, rtol=1e-9)
    return db, configs
