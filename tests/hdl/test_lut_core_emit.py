"""LUT-core Verilog emission and manifest for a spread of configurations (no simulator)."""

import json

import pytest

from accelsmith.core.families.lut_core import LutCoreParams
from accelsmith.generate import generate
from accelsmith.models.lut_core import steady_interval, tile_cycles

SPREAD = [
    LutCoreParams(group_size=2, weight_bits=1, act_bits=4, tile_m=1, tile_n=1, max_k=1),
    LutCoreParams(
        group_size=6, weight_bits=4, act_bits=16, tile_m=3, tile_n=5, symmetric=False, max_k=1 << 20
    ),
    LutCoreParams(
        group_size=5,
        weight_bits=3,
        act_bits=7,
        tile_m=9,
        tile_n=2,
        negation="hardware",
        bias_correction=False,
        acc_bits=9,
    ),
    LutCoreParams(),
]


@pytest.mark.parametrize("p", SPREAD, ids=lambda p: p.default_name())
def test_manifest_and_ports(p, tmp_path):
    e = generate(p, tmp_path)
    text = e.verilog.read_text()
    m = json.loads(e.manifest.read_text())
    assert f"module {p.default_name()}(" in text
    ports = {q["name"]: q for q in m["ports"]}
    assert ports["a__payload"]["width"] == p.tile_m * p.group_size * p.act_bits
    assert ports["w__payload"]["width"] == p.tile_n * p.group_size
    assert ports["c__payload"]["width"] == p.tile_n * p.acc_bits + 1
    fields = ports["c__payload"]["fields"]
    assert fields[0] == {"name": "data[0]", "offset": 0, "width": p.acc_bits, "signed": True}
    assert fields[-1]["name"] == "last"
    a_fields = ports["a__payload"]["fields"]
    assert len(a_fields) == p.tile_m * p.group_size
    assert a_fields[1] == {"name": "[1]", "offset": p.act_bits, "width": p.act_bits, "signed": True}
    assert {
        "clk",
        "rst",
        "busy",
        "done",
        "start__valid",
        "start__ready",
        "w__ready",
        "c__ready",
    } <= set(ports)
    for q in m["ports"]:  # every port declared in the Verilog with the manifest's width
        decl = f"[{q['width'] - 1}:0] {q['name']};" if q["width"] > 1 else f" {q['name']};"
        assert decl in text, q
    lat = m["latency"]
    for k, cycles in lat["tile_cycles"].items():
        assert cycles == tile_cycles(p.group_size, p.weight_bits, p.tile_m, p.tile_n, int(k))
        assert lat["back_to_back_interval"][k] == steady_interval(
            p.group_size, p.weight_bits, p.tile_m, int(k)
        )
    assert m["table"]["entries_per_row"] == p.table_entries
    assert m["accumulator"]["wraps_before_max_k"] == p.wraps
    assert set(m["protocol"]) >= {"start", "a", "w", "c", "weights", "busy", "done"}
