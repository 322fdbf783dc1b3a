"""The accel campaign example runs end to end at a small budget, stores exactly what the cost
model gives for each design, and its Pareto designs come with `accelsmith generate accel`
commands that build the costed configuration (the accumulator width included)."""

import io
import shlex
from pathlib import Path

import numpy as np
import pandas as pd

from accelsmith.cli.main import main

ROOT = Path(__file__).parents[2]
SPEC = ROOT / "examples" / "campaigns" / "accel-resnet50.yaml"


def test_accel_campaign_example_runs(tmp_path, capsys, monkeypatch):
    import optuna

    from accelsmith.core.families.accel import AccelParams
    from accelsmith.dse.spec import load_spec
    from accelsmith.models import evaluate

    monkeypatch.chdir(tmp_path)  # the run folder goes under the working directory
    spec = load_spec(SPEC)
    assert spec.family == "accel" and spec.build_space().size() >= 10**8
    db = f"sqlite:///{tmp_path / 'study.db'}"
    assert main(["dse", "run", str(SPEC), "--budget", "40", "--storage", db, "--quiet"]) == 0
    capsys.readouterr()
    (summary,) = optuna.get_all_study_summaries(db)
    trials = optuna.load_study(study_name=summary.study_name, storage=db).get_trials()
    done = [t for t in trials if t.values is not None]
    assert len(done) == 40
    configs = [t.params for t in done]
    want = evaluate("accel", configs, "resnet50")
    got = np.array([t.values for t in done])
    cols = ["latency_s", "energy_j", "area_um2"]
    assert np.allclose(got, want[cols].to_numpy(dtype=float), rtol=1e-9)

    assert main(["dse", "pareto", str(SPEC), "--storage", db, "--csv"]) == 0
    front = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert len(front) >= 1
    for cmd in front["command"]:
        words = shlex.split(cmd)
        assert words[:3] == ["accelsmith", "generate", "accel"]
        flags = dict(zip(words[3::2], words[4::2], strict=True))
        values = {k[2:].replace("-", "_"): v for k, v in flags.items()}
        p = AccelParams.from_dict(
            {k: (v if k == "dataflow" else int(v)) for k, v in values.items()}
        )  # a valid accel top: the width the model costed, not the column's 0
        assert p.acc_bits == (32 if p.in_bits == 8 else 48)
