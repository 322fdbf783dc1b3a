"""The accel campaign example runs end to end at a small budget, stores exactly what the cost
model gives for each design, and its Pareto designs come with `accelsmith generate accel`
commands that build the costed configuration (the accumulator width included)."""

import io
import shlex
from pathlib import Path

import pandas as pd

from accelsmith.cli.main import main
from accelsmith.dse.spec import load_spec

from .campaign_check import run_and_check

ROOT = Path(__file__).parents[2]
SPEC = ROOT / "examples" / "campaigns" / "accel-resnet50.yaml"


def test_accel_campaign_example_runs(tmp_path, capsys, monkeypatch):
    from accelsmith.core.families.accel import AccelParams

    monkeypatch.chdir(tmp_path)  # the run folder goes under the working directory
    assert load_spec(SPEC).family == "accel"
    db, _ = run_and_check(SPEC, 40, tmp_path, "resnet50", ["latency_s", "energy_j", "area_um2"])
    capsys.readouterr()

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
