"""The serving-scenario campaign example runs end to end at a small budget."""

from pathlib import Path

import pytest

from accelsmith.cli.main import main

ROOT = Path(__file__).parents[2]
SPEC = ROOT / "examples" / "campaigns" / "pim-serving-llama3.yaml"


@pytest.mark.slow  # ~25 s on a loaded 2-core machine (3 trials + the HTML report)
def test_serving_campaign_example_runs(tmp_path, capsys, monkeypatch):
    from accelsmith.dse.spec import load_spec

    monkeypatch.chdir(tmp_path)  # the run folder goes under the working directory
    spec = load_spec(SPEC)
    assert spec.name == "pim-serving-llama3" and spec.build_space().size() >= 1000
    db = f"sqlite:///{tmp_path / 'study.db'}"
    assert main(["dse", "run", str(SPEC), "--budget", "3", "--storage", db]) == 0
    capsys.readouterr()
    assert main(["report", db, "-o", str(tmp_path / "r.html")]) == 0
    html = (tmp_path / "r.html").read_text()
    # the per-layer breakdown names the serving layer groups with their kinds
    assert "decode.attn_qk [kv_read]" in html and "tokens_per_s" in html
