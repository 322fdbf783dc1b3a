"""``accelsmith dse`` end to end on a small campaign: run, status, pareto, export, errors."""

from __future__ import annotations

import io
import json

import optuna
import pandas as pd
import pytest
import yaml

from accelsmith.cli.main import main

from .dse_helpers import write_spec


@pytest.fixture
def campaign(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = write_spec(tmp_path / "spec.yaml", budget=12, constraints=["area_mm2 <= 0.9"])
    assert main(["dse", "run", str(spec), "--quiet"]) == 0
    return spec


def test_run_status_pareto_export(campaign, tmp_path, capsys) -> None:
    capsys.readouterr()
    # the run folder holds the spec and the storage URL; status accepts it or the spec
    assert (tmp_path / "runs" / "tiny" / "spec.yaml").is_file()
    meta = json.loads((tmp_path / "runs" / "tiny" / "campaign.json").read_text())
    assert meta["storage"] == f"sqlite:///{tmp_path / 'study.db'}"
    assert main(["dse", "status", "runs/tiny/", "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    row = st["explorers"]["random"]
    assert row["trials"] == 12 and 0 < row["feasible"] <= 12 and row["hv_ratio"] is None
    assert row["sampler_ms"] > 0
    # resume from the run folder with a larger budget: the 12 trials done count
    assert main(["dse", "resume", "runs/tiny/", "--budget", "14", "--quiet"]) == 0
    assert main(["dse", "status", "runs/tiny/", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["explorers"]["random"]["trials"] == 14
    # the exact front: HV ratio appears, and the exhaustive row is exactly 1
    assert main(["dse", "run", str(campaign), "--explorer", "exhaustive", "--quiet"]) == 0
    run_spec = yaml.safe_load((tmp_path / "runs" / "tiny" / "spec.yaml").read_text())
    assert run_spec["explorer"]["name"] == "random"  # the folder keeps the spec as written
    capsys.readouterr()
    assert main(["dse", "status", str(campaign), "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["explorers"]["exhaustive"]["hv_ratio"] == pytest.approx(1.0)
    assert st["explorers"]["exhaustive"]["points_evaluated"] == 64
    assert 0 < st["explorers"]["random"]["hv_ratio"] <= 1.0
    # strict measures against the exact front: the share of its designs that random found
    rnd = st["explorers"]["random"]
    url = f"sqlite:///{tmp_path / 'study.db'}"
    exact_vals = {
        tuple(t.values) for t in optuna.load_study(study_name="tiny@exhaustive", storage=url).trials
    }
    found = {
        tuple(t.values) for t in optuna.load_study(study_name="tiny@random", storage=url).trials
    }
    assert rnd["front_recall"] == pytest.approx(len(exact_vals & found) / len(exact_vals))
    assert rnd["igd_plus_norm"] >= 0 and 0 < rnd["hv_ratio_log"] <= 1.0 + 1e-9
    assert st["explorers"]["exhaustive"]["front_recall"] is None  # the reference itself
    assert main(["dse", "status", "runs/tiny"]) == 0
    out = capsys.readouterr().out
    assert "random" in out and "exhaustive" in out and "hv ratio" in out
    assert "recall" in out and "igd+ norm" in out and "hv log" in out

    assert main(["dse", "pareto", "runs/tiny", "--explorer", "exhaustive", "--csv"]) == 0
    front = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert len(front) > 0
    assert front["command"].str.startswith("accelsmith generate systolic --rows ").all()
    first = front.iloc[0]
    assert f"--rows {first['rows']} --cols {first['cols']}" in first["command"]
    assert f"--dataflow {first['dataflow']}" in first["command"]
    assert main(["dse", "pareto", "runs/tiny"]) == 0
    assert "Pareto-optimal designs of tiny" in capsys.readouterr().out

    csv, pq = tmp_path / "out" / "t.csv", tmp_path / "out" / "t.parquet"
    assert main(["dse", "export", "runs/tiny", "--csv", str(csv), "--parquet", str(pq)]) == 0
    a, b = pd.read_csv(csv), pd.read_parquet(pq)
    assert len(a) == len(b) == 14 + len(front)
    assert set(a["study"]) == {"tiny@random", "tiny@exhaustive"}
    assert {"latency_s", "energy_j", "rows", "constraint_0", "pareto", "feasible"} <= set(a.columns)
    assert a.loc[a["study"] == "tiny@exhaustive", "pareto"].all()


def test_bad_inputs_are_one_line_exit_2(campaign, tmp_path, capsys) -> None:
    capsys.readouterr()
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nfamily: systolic\nworkload: resnet50\nobjectives: {a: up, b: down}\n")
    assert main(["dse", "run", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {bad}: objectives.a must be 'minimize' or 'maximize', not 'up'"]
    assert main(["dse", "status", str(tmp_path / "nowhere")]) == 2
    assert "neither a campaign spec file nor a run folder" in capsys.readouterr().err
    assert main(["dse", "run", str(campaign), "--explorer", "annealing"]) == 2
    assert "explorer.name must be one of" in capsys.readouterr().err
    assert main(["dse", "export", "runs/tiny"]) == 2
    assert capsys.readouterr().err.strip() == "error: export needs --csv PATH and/or --parquet PATH"


def test_export_to_an_unwritable_path_names_it_plainly(campaign, tmp_path, capsys) -> None:
    """The error names the path the user gave and the reason, not the temporary file of the
    atomic write (it used to print "[Errno 21] Is a directory: '.../.adir.csv.x1y2.tmp' -> ...")."""
    (tmp_path / "afile").write_text("x")
    target = tmp_path / "afile" / "t.csv"
    capsys.readouterr()
    assert main(["dse", "export", "runs/tiny", "--csv", str(target)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: cannot write {target}: {tmp_path / 'afile'} is not a folder", err
    (tmp_path / "adir.csv").mkdir()  # the atomic rename onto a folder fails
    assert main(["dse", "export", "runs/tiny", "--csv", str(tmp_path / "adir.csv")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: cannot write {tmp_path / 'adir.csv'}: Is a directory", err


def test_export_writes_both_files_or_neither(campaign, tmp_path, capsys) -> None:
    """A --parquet that cannot be written leaves no new --csv behind (and the reverse)."""
    capsys.readouterr()
    csv, pq = tmp_path / "t.csv", tmp_path / "adir.parquet"
    pq.mkdir()  # a folder where the parquet file should go
    argv = ["dse", "export", "runs/tiny", "--csv", str(csv), "--parquet", str(pq)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: cannot write {pq}: "), err
    assert not csv.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporaries
    csv.write_text("old\n")
    assert main(argv) == 2
    assert csv.read_text() == "old\n"  # left as it was


def test_a_wrong_worker_start_method_is_one_line_before_the_run_opens(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ACCELSMITH_WORKER_START", "forkserver")
    spec = write_spec(tmp_path / "spec.yaml", budget=12)
    assert main(["dse", "run", str(spec), "--workers", "2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: ACCELSMITH_WORKER_START must be 'fork' or 'spawn', not 'forkserver'"], (
        err
    )
    assert not (tmp_path / "runs").exists()  # no run folder, no storage: nothing was opened
