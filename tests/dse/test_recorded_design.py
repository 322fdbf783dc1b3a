"""The design a campaign records is the design that was costed, and the one `generate` builds.

The systolic model sizes the accumulator for the workload's deepest K when the space leaves
``max_k`` out; that derived ``max_k``/``acc_bits`` must reach the ledger's configuration and
the ``accelsmith generate`` command, and a weighted mix of workloads must cost ONE design.
"""

from __future__ import annotations

import optuna

from accelsmith.core.families.systolic import exact_acc_bits
from accelsmith.dse.campaign import make_storage, open_campaign, run_campaign
from accelsmith.dse.ledger import CONFIG_KEY, METRICS_KEY
from accelsmith.dse.results import pareto_designs
from accelsmith.dse.spec import parse_spec
from accelsmith.generate import params_from_config
from accelsmith.models import evaluate


def _spec(tmp_path, workload):
    (tmp_path / "shallow.yaml").write_text("- {M: 8, N: 8, K: 100}\n")
    (tmp_path / "deep.yaml").write_text("- {M: 8, N: 8, K: 3000}\n")
    return parse_spec(
        {
            "name": "rec",
            "family": "systolic",
            "workload": workload,
            "space": {"rows": {"choices": [2, 4]}, "cols": {"choices": [2, 4]}},
            "objectives": {"latency_s": "minimize", "area_um2": "minimize"},
            "explorer": {"name": "random"},
            "budget": 4,
            "seed": 0,
            "storage": f"sqlite:///{tmp_path / 'study.db'}",
        },
        base_dir=tmp_path,
    )


def test_derived_accumulator_is_recorded_and_generated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = _spec(tmp_path, "deep.yaml")
    camp = open_campaign(spec)
    run_campaign(camp)
    trials = camp.study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    assert trials
    for t in trials:
        cfg = t.user_attrs[CONFIG_KEY]
        assert cfg["max_k"] == 3000 and cfg["acc_bits"] == exact_acc_bits(8, True, 3000) == 27
        assert "max_k" not in t.user_attrs[METRICS_KEY]  # configuration, not a metric
        # the recorded configuration costs exactly what was recorded
        again = evaluate("systolic", [cfg], tmp_path / "deep.yaml").iloc[0]
        assert again.area_um2 == t.user_attrs[METRICS_KEY]["area_um2"]
        assert params_from_config("systolic", cfg).acc_bits == 27
    front = pareto_designs(make_storage(camp.storage_url), spec)
    assert front["command"].str.contains("--acc-bits 27 --max-k 3000").all()


def test_weighted_workloads_cost_one_design(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    mix = [{"name": "shallow.yaml", "weight": 3}, {"name": "deep.yaml", "weight": 1}]
    spec = _spec(tmp_path, mix)
    camp = open_campaign(spec)
    run_campaign(camp)
    for t in camp.study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)):
        cfg = t.user_attrs[CONFIG_KEY]
        # sized for the deepest workload of the mix, and the area is that one design's area
        assert cfg["max_k"] == 3000
        deep = evaluate("systolic", [cfg], tmp_path / "deep.yaml").iloc[0]
        assert t.user_attrs[METRICS_KEY]["area_um2"] == deep.area_um2
