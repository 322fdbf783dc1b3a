"""Hierarchical Verilog: each repeated block is one module, instantiated; size stays flat."""

import re

import pytest
from amaranth.hdl import Fragment, Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from accelsmith.core.families.lut_core import LutCoreParams
from accelsmith.core.families.pim import PimParams
from accelsmith.core.families.simd import SimdParams
from accelsmith.core.families.systolic import SystolicParams
from accelsmith.hdl import lut_core, pim, simd, systolic
from accelsmith.hdl.emit import verilog_text
from accelsmith.hdl.hier import emit_hierarchical, hierarchical_active, place


def _modules(text: str) -> list[str]:
    return re.findall(r"^module (\S+?)\(", text, re.M)


def _instances(text: str, module: str) -> int:
    return len(re.findall(rf"^\s*{re.escape(module)} \S+ \(", text, re.M))


# ws PEs: one module per partial-sum width (signed int8, rows 0, 1-2, 3: 16, 17, 18 bits)
@pytest.mark.parametrize(
    ("df", "col", "pes"),
    [("os", "oscol", {"ospe": 4}), ("ws", "wscol", {"wspe16": 1, "wspe17": 2, "wspe18": 1})],
)
def test_systolic_pe_and_column_are_emitted_once(df, col, pes):
    p = SystolicParams(rows=4, cols=3, dataflow=df, in_bits=8)
    text = verilog_text(systolic.build(p), "top")
    mods = _modules(text)
    assert mods[0] == "top"
    assert mods.count(f"top_{col}") == 1
    assert _instances(text, f"top_{col}") == 3  # in the top
    assert sorted(m for m in mods if m not in ("top", f"top_{col}")) == [f"top_{k}" for k in pes]
    for kind, count in pes.items():  # in the one column module
        assert mods.count(f"top_{kind}") == 1 and _instances(text, f"top_{kind}") == count
    assert "module top(" in text and text.count("endmodule") == len(mods)


def test_size_grows_linearly_not_with_the_pe_count():
    sizes = {}
    for n in (4, 8, 16):
        p = SystolicParams(rows=n, cols=n, dataflow="ws", in_bits=8)
        sizes[n] = len(verilog_text(systolic.build(p), "top"))
    # 4x the PEs per doubling would be quadratic; the hierarchy keeps it close to linear
    assert sizes[16] < 2.6 * sizes[8] < 2.6 * 2.6 * sizes[4]
    flat = verilog_text(
        systolic.build(SystolicParams(rows=16, cols=16, dataflow="ws", in_bits=8)),
        "top",
        hierarchy=False,
    )
    assert len(flat) > 3 * sizes[16]
    assert "top_wspe" not in flat and "top_wscol" not in flat


@pytest.mark.parametrize(
    ("params", "gen", "leaf", "count"),
    [
        (LutCoreParams(tile_m=3, tile_n=5), lut_core, "pe", 5),
        (LutCoreParams(tile_m=3, tile_n=5), lut_core, "row", 3),
        (SimdParams(lanes=4), simd, "lane", 4),
        (PimParams(banks=4, rows=64), pim, "bank", 4),
    ],
    ids=["lut-pe", "lut-row", "simd-lane", "pim-bank"],
)
def test_every_family_emits_its_repeated_block_once(params, gen, leaf, count):
    text = verilog_text(gen.build(params), "top")
    assert _modules(text).count(f"top_{leaf}") == 1
    assert _instances(text, f"top_{leaf}") == count


def test_output_is_deterministic():
    p = SystolicParams(rows=3, cols=2, dataflow="os", in_bits=4)
    assert verilog_text(systolic.build(p), "t") == verilog_text(systolic.build(p), "t")


class _Leaf(wiring.Component):
    def __init__(self, width: int) -> None:
        super().__init__({"i": In(width), "o": Out(width)})

    def elaborate(self, platform):
        m = Module()
        m.d.sync += self.o.eq(self.i)
        return m


class _Parent(wiring.Component):
    def __init__(self, widths: list[int]) -> None:
        self.widths = widths
        super().__init__({"x": In(8), "y": Out(8)})

    def elaborate(self, platform):
        m = Module()
        value = self.x
        for n, w in enumerate(self.widths):
            leaf = place(m, f"l{n}", _Leaf(w), "leaf", w)
            m.d.comb += leaf.i.eq(value)
            value = leaf.o
        m.d.comb += self.y.eq(value)
        return m


def test_place_is_flat_outside_an_emission_and_instances_inside():
    assert not hierarchical_active()
    parent = _Parent([8, 8])
    m = Module()
    assert place(m, "p", parent, "parent", 0) is parent  # flat: the component itself
    Fragment.get(m, None)  # elaborates (Amaranth's simulator sees this flat design)
    text = emit_hierarchical(_Parent([8, 8, 8]), "t")
    assert _modules(text) == ["t", "t_leaf"]
    assert _instances(text, "t_leaf") == 3
    assert not hierarchical_active()


def test_place_refuses_different_blocks_under_one_kind():
    with pytest.raises(ValueError, match="block kind 'leaf' placed with key 4, but 8"):
        emit_hierarchical(_Parent([8, 4]), "t")
    assert not hierarchical_active()  # the emission state is reset after an error
