"""Verilog emission, manifest contents and the FuseSoC core file for a spread of configs."""

import json

import pytest
import yaml

from accelsmith.core.errors import ConfigError, OutputError
from accelsmith.core.families.systolic import SystolicParams
from accelsmith.generate import generate
from accelsmith.hdl.emit import check_name

SPREAD = [
    SystolicParams(rows=1, cols=1, dataflow="os", in_bits=2, signed=False, max_k=1),
    SystolicParams(rows=3, cols=5, dataflow="ws", in_bits=16, signed=True, max_k=300),
    SystolicParams(rows=7, cols=2, dataflow="os", in_bits=5, signed=True, acc_bits=9),
    SystolicParams(rows=1, cols=9, dataflow="ws", in_bits=8, signed=False, max_k=1 << 20),
    SystolicParams(rows=16, cols=16, dataflow="ws", in_bits=8, signed=True),
]


@pytest.mark.parametrize("p", SPREAD, ids=lambda p: p.default_name())
def test_manifest_and_files(p, tmp_path):
    e = generate(p, tmp_path)
    text = e.verilog.read_text()
    name = p.default_name()
    assert f"module {name}(" in text
    m = json.loads(e.manifest.read_text())
    assert m["parameters"] == p.to_dict()
    ports = {q["name"]: q for q in m["ports"]}
    elem = p.in_bits
    assert ports["a__payload"] == ports["a__payload"] | {
        "direction": "input",
        "width": p.rows * elem,
    }
    assert ports["b__payload"]["width"] == p.cols * elem
    assert ports["c__payload"]["width"] == p.cols * p.acc_bits + 1
    assert ports["c__payload"]["direction"] == "output"
    assert ports["c__ready"]["direction"] == "input"
    assert ports["a__ready"]["direction"] == "output"
    assert {"clk", "rst", "busy", "done", "start__payload", "start__valid"} <= set(ports)
    fields = ports["c__payload"]["fields"]
    assert fields[-1] == {
        "name": "last",
        "offset": p.cols * p.acc_bits,
        "width": 1,
        "signed": False,
    }
    assert fields[1]["offset"] == p.acc_bits and fields[1]["signed"] == p.signed
    # every Verilog port is in the manifest with the same width
    for q in m["ports"]:
        decl = f"[{q['width'] - 1}:0] {q['name']};" if q["width"] > 1 else f" {q['name']};"
        assert decl in text, q
    lat = m["latency"]
    assert lat["tile_cycles"]["1"] > 0 and "K" in lat["tile_cycles_formula"]
    assert m["protocol"]["a_b"]
    core = yaml.safe_load(e.core.read_text().replace("CAPI=2:", "", 1))
    assert core["name"] == f"accelsmith:generated:{name}:0.1.0"
    assert core["targets"]["default"]["toplevel"] == name
    assert core["filesets"]["rtl"]["files"] == [f"{name}.v"]


def test_verilog_is_deterministic(tmp_path):
    p = SPREAD[1]
    a = generate(p, tmp_path / "a", "x").verilog.read_text()
    b = generate(p, tmp_path / "b", "x").verilog.read_text()
    assert a == b
    assert "src =" not in a  # no source locations


@pytest.mark.parametrize("bad", ["1x", "a-b", "module", "wire", "", "x" * 64, "é"])
def test_bad_names(bad):
    with pytest.raises(ConfigError, match="name must be a Verilog identifier"):
        check_name(bad)


def test_unwritable_output(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OutputError, match="cannot be written: Not a directory"):
        generate(SPREAD[0], blocker / "sub")
