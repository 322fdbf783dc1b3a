"""``dse pareto``, the report and the dashboard show the same Pareto designs (one function:
:func:`accelsmith.dse.results.pareto_front`), best first."""

from __future__ import annotations

import yaml

from accelsmith.dse.campaign import open_campaign, run_campaign
from accelsmith.dse.results import pareto_designs
from accelsmith.dse.spec import parse_spec
from accelsmith.dse.storage import close_storage, open_storage
from accelsmith.reports.dashboard import pareto_rows
from accelsmith.reports.extract import load_campaign, resolve_target
from accelsmith.reports.live import Hub

from ..dse.dse_helpers import tiny_spec_dict

KEYS = ("rows", "cols", "dataflow", "ifmap_kb")


def test_dse_report_and_dashboard_list_the_same_front(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    # a maximized objective too, so "best first" is checked in both directions
    data = tiny_spec_dict(
        "front",
        budget=40,
        objectives={"latency_s": "minimize", "area_um2": "minimize", "tops_per_w": "maximize"},
        storage=f"sqlite:///{tmp_path / 'study.db'}",
    )
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(data))
    spec = parse_spec(data)
    run_campaign(open_campaign(spec))
    store = open_storage(spec.storage_url())
    try:
        dse = pareto_designs(store, spec)
    finally:
        close_storage(store)
    camp = load_campaign(resolve_target(str(tmp_path / "s.yaml")))
    report = camp.pareto
    hub = Hub([str(tmp_path / "s.yaml")])  # the dashboard's incrementally kept front
    try:
        rows, _ = pareto_rows([("front", hub.campaigns["front"], None)])
    finally:
        hub.close()
    dash = camp.trials.set_index("design").loc[[r["design"] for r in rows]]

    def designs(frame) -> list[tuple]:
        return [tuple(r[k] for k in KEYS) for _, r in frame.iterrows()]

    assert len(dse) > 1
    # same designs in the same order; the report and dashboard list a design evaluated twice
    # as two trials (the report's heading counts the distinct ones), dse pareto once
    assert designs(report) == designs(dash)
    assert designs(dse) == list(dict.fromkeys(designs(report)))
    assert len(set(designs(dse))) == len(dse)
    assert dse["latency_s"].is_monotonic_increasing  # best first objective first
