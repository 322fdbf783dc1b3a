"""End to end: a real ``accelsmith dse run`` campaign, then ``accelsmith report`` on its spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelsmith.cli.main import main

SPEC = """\
name: e2e-report
family: systolic
workload: resnet50
space:
  rows: {{low: 4, high: 32, step: 4}}
  cols: {{low: 4, high: 32, step: 4}}
objectives: {{latency_s: minimize, energy_j: minimize}}
constraints: ["area_mm2 <= 3"]
explorer: {{name: nsga2, options: {{population_size: 6}}}}
budget: 12
seed: 3
storage: sqlite:///{db}
"""


def test_report_of_a_real_campaign(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(db=tmp_path / "study.db"))
    assert main(["dse", "run", str(spec), "--quiet"]) == 0
    out = tmp_path / "report.html"
    assert main(["report", str(spec), "-o", str(out)]) == 0
    text = out.read_text()
    assert "campaign report: e2e-report" in text
    assert 'data-figure="pareto-latency_s-energy_j"' in text
    assert "area_mm2 &lt;= 3" in text  # the constraint, from the stored spec
    assert "12 (" in text  # trials line: all 12 trials read from storage
    # the run folder (its campaign.json names the storage) works like `dse status`
    assert (tmp_path / "runs" / "e2e-report" / "campaign.json").is_file()
    assert main(["report", "runs/e2e-report/"]) == 0
    assert (tmp_path / "report.html").stat().st_mtime >= out.stat().st_mtime  # beside study.db
    # the spec target, the storage URL and the run folder give the same campaign
    from accelsmith.reports.extract import load_campaign, resolve_target

    a = load_campaign(resolve_target(str(spec)))
    b = load_campaign(resolve_target(f"sqlite:///{tmp_path / 'study.db'}"))
    c = load_campaign(resolve_target("runs/e2e-report"))
    assert list(a.trials["design"]) == list(b.trials["design"]) == list(c.trials["design"])
    assert len(a.trials) == 12
    # the family's default space fills in what the spec leaves out (in_bits, signed fixed)
    assert a.params == ["rows", "cols", "dataflow", "ifmap_kb", "filter_kb", "ofmap_kb"]
