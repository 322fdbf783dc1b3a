"""The co-exploration campaign example (family ``coexplore``) runs end to end at a small budget
and stores exactly what the cost model gives for each design."""

from pathlib import Path

from accelsmith.dse.spec import load_spec

from .campaign_check import run_and_check

ROOT = Path(__file__).parents[2]
SPEC = ROOT / "examples" / "campaigns" / "coexplore-llama3.yaml"


def test_coexplore_campaign_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the run folder goes under the working directory
    assert load_spec(SPEC).name == "coexplore-llama3"
    _, configs = run_and_check(
        SPEC, 24, tmp_path, "llama3-8b-decode", ["latency_s", "energy_j", "area_mm2"]
    )
    # the mapping choices vary across the stored designs
    assert len({c["map_dense"] for c in configs}) > 1
