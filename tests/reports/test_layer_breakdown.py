"""The report's per-layer breakdown is costed by the evaluator the campaign used.

A weighted mix of workloads at a non-default node: the per-layer rows, summed per workload and
weighted as the campaign weights them, give back each design's recorded totals exactly (a
hand-rebuilt set-up with the default node or without the mix's one-design sizing would not).
"""

from __future__ import annotations

import pytest

from accelsmith.dse.campaign import open_campaign, run_campaign
from accelsmith.dse.spec import parse_spec
from accelsmith.reports.extract import layer_breakdown, load_campaign, resolve_target


def test_breakdown_sums_to_recorded_totals_of_a_weighted_mix(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "shallow.yaml").write_text("- {name: s0, M: 8, N: 8, K: 100}\n")
    (tmp_path / "deep.yaml").write_text(
        "- {name: d0, M: 8, N: 8, K: 3000}\n- {name: d1, M: 16, N: 4, K: 64}\n"
    )
    spec = parse_spec(
        {
            "name": "mix",
            "family": "systolic",
            "workload": [
                {"file": str(tmp_path / "shallow.yaml"), "weight": 3},
                {"file": str(tmp_path / "deep.yaml"), "weight": 1},
            ],
            "node_nm": 7,
            "space": {"rows": {"choices": [2, 4]}, "cols": {"choices": [2, 4]}},
            "objectives": {"latency_s": "minimize", "energy_j": "minimize"},
            "explorer": {"name": "random"},
            "budget": 4,
            "seed": 0,
            "storage": f"sqlite:///{tmp_path / 'study.db'}",
        }
    )
    run_campaign(open_campaign(spec))
    camp = load_campaign(resolve_target(str(tmp_path / "runs" / "mix")))
    designs = camp.trials
    layers = layer_breakdown(camp, designs)
    assert set(layers["workload"]) == {str(tmp_path / "shallow.yaml"), str(tmp_path / "deep.yaml")}
    assert set(layers["design"]) == set(designs["design"])
    weight = layers["workload"].map({str(tmp_path / "shallow.yaml"): 0.75}).fillna(0.25)
    for col in ("latency_s", "energy_j"):
        mixed = (layers[col] * weight).groupby(layers["design"]).sum()
        for _, row in designs.iterrows():
            assert mixed[row["design"]] == pytest.approx(row[col], rel=1e-9)
