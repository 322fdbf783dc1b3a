"""``accelsmith dse verify-front``: measured numbers stored beside the model's, designs that
leave the front flagged, and the report's silicon-check section."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from accelsmith.cli.main import main

from .conftest import require

SPEC = """\
name: vf-{tag}
family: systolic
workload: {{file: gemm.yaml}}
space:
  rows: {{low: 1, high: 2}}
  cols: {{low: 1, high: 2}}
  in_bits: {{choices: [2, 3]}}
  dataflow: os
  max_k: 8
  ifmap_kb: 16
  filter_kb: 16
  ofmap_kb: 16
objectives: {{latency_s: minimize, area_um2: minimize}}
explorer: {{name: exhaustive}}
budget: 8
seed: 0
node_nm: 130
"""


def _campaign(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tag: str) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gemm.yaml").write_text(
        "name: g\nlayers:\n  - {type: gemm, name: g, M: 8, N: 8, K: 8}\n"
    )
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(tag=tag))
    assert main(["dse", "run", str(spec)]) == 0
    return spec


def _fake_tools(monkeypatch: pytest.MonkeyPatch, area_um2: float, fmax: float) -> None:
    import accelsmith.sim.verify as sv
    import accelsmith.synth as synth

    def fake_verify(params, **kw):
        test = SimpleNamespace(measured_cycles=10, predicted_cycles=10)
        return SimpleNamespace(passed=True, tests=[test])

    def fake_synth(params, target="sky130hd", **kw):
        return SimpleNamespace(
            target=target,
            fmax_mhz=fmax,
            area={"total": area_um2, "memory": 0.0},
            power={"total_w": 1e-3},
            cells={"total": 1},
            fits=None,
            tools={},
            netlist="n.v",
        )

    monkeypatch.setattr(sv, "verify", fake_verify)
    monkeypatch.setattr(synth, "synthesize", fake_synth)


def test_measured_area_moves_a_design_off_the_front(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from accelsmith.dse.campaign import make_storage, resolve_target
    from accelsmith.dse.results import pareto_designs
    from accelsmith.dse.silicon import silicon_records, verify_front

    spec_path = _campaign(tmp_path, monkeypatch, "fake")
    spec, url = resolve_target(str(spec_path), None)
    store = make_storage(url)
    front = pareto_designs(store, spec)
    assert len(front) >= 2
    # silicon 10x the model's largest area and a 1 MHz clock: the fastest design becomes
    # slower and larger than the rest of the front
    _fake_tools(monkeypatch, area_um2=10 * float(front["area_um2"].max()), fmax=1.0)
    records = verify_front(store, spec, top=1)
    (rec,) = records
    assert rec["verified"] and rec["cycles_match"]
    assert rec["measured"]["area_um2"] > rec["model"]["area_um2"]
    assert rec["error_pct"]["area_um2"] < -50
    assert rec["measured"]["latency_s"] > 100 * rec["model"]["latency_s"]
    assert rec["off_front"] is True
    stored = silicon_records(store, spec.name)
    assert stored[f"{rec['explorer']}#{rec['number']}"]["off_front"] is True
    # the report shows the section
    assert main(["report", str(spec_path), "-o", str(tmp_path / "r.html")]) == 0
    text = (tmp_path / "r.html").read_text()
    assert "Silicon check" in text and "off the front</b>" in text


def test_bad_options_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _campaign(tmp_path, monkeypatch, "bad")
    capsys.readouterr()
    assert main(["dse", "verify-front", str(spec), "--top", "0"]) == 2
    assert "--top must be >= 1" in capsys.readouterr().err
    assert main(["dse", "verify-front", str(spec), "--target", "fpga"]) == 2
    assert "--target must be sky130hd or ecp5" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.sim
def test_verify_front_real_flow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    require("yosys", "sta")
    spec = _campaign(tmp_path, monkeypatch, "real")
    code = main(["dse", "verify-front", str(spec), "--top", "1", "--tiles", "2"])
    out = capsys.readouterr().out
    assert code == 0, out
    from accelsmith.dse.campaign import make_storage, resolve_target
    from accelsmith.dse.silicon import silicon_records

    s, url = resolve_target(str(spec), None)
    (rec,) = silicon_records(make_storage(url), s.name).values()
    assert rec["verified"] and rec["cycles_match"]
    assert rec["fmax_mhz"] > 20 and rec["silicon"]["area"]["total"] > 0
    assert rec["measured"]["logic_area_um2"] == pytest.approx(rec["silicon"]["area"]["total"])
    assert "logic_area_um2" in rec["error_pct"]
    json.dumps(rec)  # plain data


def test_a_campaign_never_run_is_refused_and_nothing_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """verify-front on a spec whose campaign was never run: exit 2, one line, and no
    runs/<name>/study.db left behind (it used to open the storage in write mode first)."""
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(tag="never").replace("{file: gemm.yaml}", "resnet50"))
    before = sorted(tmp_path.rglob("*"))
    assert main(["dse", "verify-front", str(spec)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "does not exist" in err, err
    assert sorted(tmp_path.rglob("*")) == before
