"""Issue 19 item 1: a campaign's identity is its inputs' contents. Editing the workload or
technology file in place (same path) and resuming is refused in one line naming what changed
and how to start anew; campaigns stored before contents were recorded still resume."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from accelsmith.cli.main import main
from accelsmith.dse.campaign import make_storage
from accelsmith.dse.ledger import STUDY_KEY

from ..dse.dse_helpers import TINY_WORKLOAD
from .helpers import spec_file

TECH = "int_mul_pj_8: 0.2\n"


@pytest.fixture
def campaign(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    workload = tmp_path / "w.yaml"
    workload.write_text(Path(TINY_WORKLOAD).read_text())
    tech = tmp_path / "tech.yaml"
    tech.write_text(TECH)
    spec = spec_file(tmp_path, budget=3, workload={"file": str(workload)}, tech=str(tech))
    assert main(["dse", "run", str(spec), "--quiet"]) == 0
    return spec, workload, tech


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    return err


def test_edited_workload_file_is_refused(campaign, capsys) -> None:
    spec, workload, _ = campaign
    workload.write_text(workload.read_text().replace("M: 64", "M: 65"))
    capsys.readouterr()
    assert main(["dse", "run", str(spec), "--budget", "5", "--quiet"]) == 2
    err = _one_line_error(capsys)
    assert f"other contents of its workload 0 file {workload}" in err
    assert "--force-new" in err
    # starting anew as told works, the old study is archived
    assert main(["dse", "run", str(spec), "--budget", "5", "--force-new", "--quiet"]) == 0


def test_edited_tech_file_is_refused(campaign, capsys) -> None:
    spec, _, tech = campaign
    tech.write_text("int_mul_pj_8: 0.3\n")
    capsys.readouterr()
    assert main(["dse", "resume", str(spec), "--budget", "5", "--quiet"]) == 2
    assert f"other contents of its technology file {tech}" in _one_line_error(capsys)


def test_unchanged_inputs_resume(campaign, capsys) -> None:
    spec, _, _ = campaign
    assert main(["dse", "run", str(spec), "--budget", "5", "--quiet"]) == 0


def test_results_version_change_is_refused(campaign, capsys, monkeypatch) -> None:
    from accelsmith.dse import identity as identity_module

    spec, _, _ = campaign
    stored = identity_module.RESULTS_VERSION  # the version the fixture campaign ran with
    monkeypatch.setattr(identity_module, "RESULTS_VERSION", "999")
    capsys.readouterr()
    assert main(["dse", "run", str(spec), "--budget", "5", "--quiet"]) == 2
    assert f"accelsmith results version {stored} (now 999)" in _one_line_error(capsys)


def test_legacy_campaign_resumes_and_records_its_contents(campaign, tmp_path, capsys) -> None:
    spec, workload, _ = campaign
    store = make_storage(f"sqlite:///{tmp_path / 'tiny.db'}")
    study = optuna.load_study(study_name="tiny@random", storage=store)
    info = study.user_attrs[STUDY_KEY]
    legacy = {k: v for k, v in info["identity"].items() if k != "contents"}
    study.set_user_attr(STUDY_KEY, {**info, "identity": legacy})  # as stored before
    assert main(["dse", "run", str(spec), "--budget", "4", "--quiet"]) == 0
    info = optuna.load_study(study_name="tiny@random", storage=store).user_attrs[STUDY_KEY]
    assert info["identity"]["contents"]["files"]["workload.0"]["path"] == str(workload)
    assert "identity_recorded" in info
    # from now on an edit is seen
    workload.write_text(workload.read_text().replace("M: 64", "M: 66"))
    capsys.readouterr()
    assert main(["dse", "run", str(spec), "--budget", "6", "--quiet"]) == 2
    assert "workload 0 file" in _one_line_error(capsys)
