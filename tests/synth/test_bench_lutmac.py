"""bench/bench_lutmac.py: LUT core vs MAC DP unit measured on sky130hd (issue 15 item 5)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from .conftest import assert_one_line_exit_2, load_bench, require


@pytest.mark.parametrize(
    ("args", "msg"),
    [
        (["--pairs", "w3-int8"], "--pairs must be a comma-separated list of w1-int8"),
        (["--tile", "2by4"], "--tile must be MxN"),
        (["--tile", "0x4"], "--tile must be MxN"),
        (["--activity", "0"], "--activity must be in (0, 2]"),
        (["--clock-ns", "0"], "--clock-ns must be between"),
    ],
)
def test_bad_input_one_line_exit_2(
    args: list[str], msg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = load_bench("bench_lutmac").main(args)
    assert_one_line_exit_2(code, capsys.readouterr().err, msg)


@pytest.mark.slow
def test_measured_row(tmp_path: Path) -> None:
    """One small pair end to end: both designs synthesized, the ratios are the measured ones."""
    require("yosys", "sta")
    b = load_bench("bench_lutmac")
    out = io.StringIO()
    rows = b.run(["w1-int4", "w8-int4", "w2-fp16"], (1, 2), 10.0, 0.1, out)
    text = out.getvalue()
    r = {row["pair"]: row for row in rows}
    w1 = r["w1-int4"]
    mac, lut = b.Measured(**w1["mac"]), b.Measured(**w1["lut"])
    assert mac.macs_per_cycle == 4 and lut.macs_per_cycle == 1 * 2 * 4 / 1
    assert w1["density_gain"] == pytest.approx(lut.density() / mac.density())
    assert w1["efficiency_gain"] == pytest.approx(lut.efficiency(10.0) / mac.efficiency(10.0))
    # the square MAC multiplies 4x4 bits: larger than the native 1x4 one
    assert w1["mac_square"]["area_um2"] > mac.area_um2
    assert 50 < mac.fmax_mhz < 1000 and 50 < lut.fmax_mhz < 1000
    # W_INT8 has no LUT design (lut-core weights are 1..4 bits) but its MAC is measured
    assert "lut" not in r["w8-int4"] and r["w8-int4"]["mac"]["area_um2"] > mac.area_um2
    assert "n/a: lut-core weights are 1..4 bits" in text
    # FP16 activations: not measured, said so, the model and the paper still printed
    assert "mac" not in r["w2-fp16"] and "not measured" in text
    assert r["w2-fp16"]["model_density_gain"] > 0
    assert f"{w1['density_gain']:.2f}" in text
