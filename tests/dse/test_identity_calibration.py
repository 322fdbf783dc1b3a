"""Node-130 campaigns carry a hash of the calibration samples in their identity: a
re-calibration (a new flow, new components) refuses their resume in one line, while
campaigns at other nodes (and their stored reference fronts) keep their identity."""

from __future__ import annotations

import pytest

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


@pytest.mark.parametrize(
    ("model", "depends", "message"),
    [
        # a node-130 campaign depends on the sky130 samples; a 45 nm one does not
        (calib, {"node_nm": 130}, "other calibration data (calib_sky130.json samples sha256"),
        # a campaign constrained on an ecp5_ column depends on the ECP5 samples; one that
        # only records the ecp5_ columns does not
        (
            ecp5,
            {"constraints": ["ecp5_85k_util <= 1"]},
            "other ECP5 calibration data (calib_ecp5.json samples sha256",
        ),
    ],
    ids=["sky130", "ecp5"],
)
def test_recalibration_refuses_only_the_campaigns_that_depend_on_it(
    model, depends, message, tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    dependent = spec_file(tmp_path, "dependent", budget=3, **depends)
    other = spec_file(tmp_path, "other", budget=3)
    assert main(["dse", "run", str(dependent), "--quiet"]) == 0
    assert main(["dse", "run", str(other), "--quiet"]) == 0
    old = model.samples_sha256()
    monkeypatch.setattr(model, "samples_sha256", lambda: "f" * 64)
    capsys.readouterr()
    assert main(["dse", "run", str(dependent), "--budget", "4", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    assert f"{message} {old[:12]} -> ffff" in err
    assert main(["dse", "run", str(other), "--budget", "4", "--quiet"]) == 0


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
