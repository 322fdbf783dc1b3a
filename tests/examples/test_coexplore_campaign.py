"""The co-exploration campaign example (family ``coexplore``) runs end to end at a small budget
and stores exactly what the cost model gives for each design."""

from pathlib import Path

import numpy as np

from accelsmith.cli.main import main

ROOT = Path(__file__).parents[2]
SPEC = ROOT / "examples" / "campaigns" / "coexplore-llama3.yaml"


def test_coexplore_campaign_example_runs(tmp_path, capsys, monkeypatch):
    import optuna

    from accelsmith.dse.spec import load_spec
    from accelsmith.models import evaluate

    monkeypatch.chdir(tmp_path)  # the run folder goes under the working directory
    spec = load_spec(SPEC)
    assert spec.name == "coexplore-llama3" and spec.build_space().size() >= 10**8
    db = f"sqlite:///{tmp_path / 'study.db'}"
    assert main(["dse", "run", str(SPEC), "--budget", "24", "--storage", db, "--quiet"]) == 0
    capsys.readouterr()
    (summary,) = optuna.get_all_study_summaries(db)
    trials = optuna.load_study(study_name=summary.study_name, storage=db).get_trials()
    done = [t for t in trials if t.values is not None]
    assert len(done) == 24
    configs = [t.params for t in done]
    want = evaluate("coexplore", configs, "llama3-8b-decode")
    got = np.array([t.values for t in done])
    cols = ["latency_s", "energy_j", "area_mm2"]
    assert np.allclose(got, want[cols].to_numpy(dtype=float), rtol=1e-9)
    # the mapping choices vary across the stored designs
    assert len({c["map_dense"] for c in configs}) > 1
