"""Node-130 campaigns carry a hash of the calibration samples in their identity: a
re-calibration (a new flow, new components) refuses their resume in one line, while
campaigns at other nodes (and their stored reference fronts) keep their identity."""

from __future__ import annotations

from accelsmith.cli.main import main
from accelsmith.dse import identity as identity_module
from accelsmith.dse.spec import parse_spec
from accelsmith.models import calib, ecp5

from ..reliability.helpers import spec_file
from .dse_helpers import tiny_spec_dict


def test_identity_holds_the_samples_hash_at_node_130_only() -> None:
    at130 = identity_module.identity(parse_spec(tiny_spec_dict(node_nm=130)))
    at45 = identity_module.identity(parse_spec(tiny_spec_dict()))
    assert at130["contents"]["calibration"] == {
        "file": "calib_sky130.json",
        "samples_sha256": calib.samples_sha256(),
        "models_version": identity_module.NODE130_MODELS_VERSION,
    }
    assert "calibration" not in at45["contents"]
    assert len(calib.samples_sha256()) == 64


def test_recalibration_refuses_a_node_130_resume(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    spec130 = spec_file(tmp_path, "n130", budget=3, node_nm=130)
    spec45 = spec_file(tmp_path, "n45", budget=3)
    assert main(["dse", "run", str(spec130), "--quiet"]) == 0
    assert main(["dse", "run", str(spec45), "--quiet"]) == 0
    old = calib.samples_sha256()
    monkeypatch.setattr(calib, "samples_sha256", lambda: "f" * 64)
    capsys.readouterr()
    assert main(["dse", "run", str(spec130), "--budget", "4", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    assert f"other calibration data (calib_sky130.json samples sha256 {old[:12]} -> ffff" in err
    # the 45 nm campaign does not depend on the calibration: it resumes
    assert main(["dse", "run", str(spec45), "--budget", "4", "--quiet"]) == 0


def test_node_130_identity_without_calibration_is_a_difference() -> None:
    new = identity_module.identity(parse_spec(tiny_spec_dict(node_nm=130)))
    old = {**new, "contents": {k: v for k, v in new["contents"].items() if k != "calibration"}}
    (diff,) = identity_module.differences(old, new)
    assert diff.startswith("no record of its calibration data (node-130 results depend on")
    assert identity_module.differences(new, new) == []


def test_node_130_model_code_change_is_a_difference() -> None:
    """Same samples, other node-130 model code (an identity stored before the version was
    recorded counts as version 1): refused, naming the models, not the calibration data."""
    new = identity_module.identity(parse_spec(tiny_spec_dict(node_nm=130)))
    cal = {k: v for k, v in new["contents"]["calibration"].items() if k != "models_version"}
    old = {**new, "contents": {**new["contents"], "calibration": cal}}
    (diff,) = identity_module.differences(old, new)
    assert (
        diff
        == f"other node-130 cost models (version 1 -> {identity_module.NODE130_MODELS_VERSION})"
    )
    at45 = identity_module.identity(parse_spec(tiny_spec_dict()))
    assert identity_module.differences(at45, at45) == []


def test_ecp5_record_only_when_an_ecp5_column_is_searched_on() -> None:
    plain = identity_module.identity(parse_spec(tiny_spec_dict()))
    assert "ecp5" not in plain["contents"]
    fits = identity_module.identity(parse_spec(tiny_spec_dict(constraints=["ecp5_85k_util <= 1"])))
    assert fits["contents"]["ecp5"] == {
        "file": "calib_ecp5.json",
        "samples_sha256": ecp5.samples_sha256(),
        "models_version": identity_module.ECP5_MODELS_VERSION,
    }
    assert len(ecp5.samples_sha256()) == 64
    # an objective counts too, at any node
    obj = {"latency_s": "minimize", "ecp5_lut4": "minimize"}
    at130 = identity_module.identity(parse_spec(tiny_spec_dict(objectives=obj, node_nm=130)))
    assert at130["contents"]["ecp5"] == fits["contents"]["ecp5"]
    # a campaign stored before the record (the ECP5 model changed then) is a difference
    old = {**fits, "contents": {k: v for k, v in fits["contents"].items() if k != "ecp5"}}
    (diff,) = identity_module.differences(old, fits)
    assert diff.startswith("no record of its ECP5 model (its ecp5_ objectives/constraints")
    assert identity_module.differences(fits, fits) == []
    code = {**fits["contents"]["ecp5"], "models_version": "0"}
    (diff,) = identity_module.differences(
        {**fits, "contents": {**fits["contents"], "ecp5": code}}, fits
    )
    assert diff == f"other ECP5 cost models (version 0 -> {identity_module.ECP5_MODELS_VERSION})"


def test_ecp5_recalibration_refuses_only_campaigns_using_ecp5(
    tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    fits = spec_file(tmp_path, "fits", budget=3, constraints=["ecp5_85k_util <= 1"])
    plain = spec_file(tmp_path, "plain", budget=3)
    assert main(["dse", "run", str(fits), "--quiet"]) == 0
    assert main(["dse", "run", str(plain), "--quiet"]) == 0
    old = ecp5.samples_sha256()
    monkeypatch.setattr(ecp5, "samples_sha256", lambda: "e" * 64)
    capsys.readouterr()
    assert main(["dse", "run", str(fits), "--budget", "4", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    assert f"other ECP5 calibration data (calib_ecp5.json samples sha256 {old[:12]} -> eeee" in err
    # a campaign that only records the ecp5_ columns resumes
    assert main(["dse", "run", str(plain), "--budget", "4", "--quiet"]) == 0
