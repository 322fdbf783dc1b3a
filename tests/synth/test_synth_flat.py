"""The flat sky130hd flow: register and input-port fanout is buffered (ABC's ``-constr``
driving cell + ``buffer -p``, then buffer trees), and the synthesis cache identity is what
decides a result (the rendered scripts, constraints, buffer-tree pass, tools, liberty), not
the Python source of ``asic.py``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accelsmith.synth import asic, flow

from .conftest import require

# output pins of the sky130_fd_sc_hd cells (everything else on a cell is a sink)
OUTPUT_PINS = {"X", "Y", "Q", "Q_N", "HI", "LO", "COUT", "SUM"}


def _sink_counts(netlist: str) -> dict[str, int]:
    """Net name -> sink pins in a Yosys ``write_verilog`` netlist of library cells."""
    sinks: dict[str, int] = {}
    for pin, net in re.findall(r"\.(\w+)\(([^()]+)\)", netlist):
        if pin not in OUTPUT_PINS:
            net = net.strip()
            sinks[net] = sinks.get(net, 0) + 1
    return sinks


def test_sink_counts_reads_pins() -> None:
    text = (
        "sky130_fd_sc_hd__nand2_1 _1_ (.A(en), .B(_5_), .Y(_6_));\n"
        "sky130_fd_sc_hd__dfxtp_1 _2_ (.CLK(clk), .D(_6_), .Q(en));\n"
        "sky130_fd_sc_hd__buf_4 _3_ (.A(en), .X(_7_));\n"
    )
    assert _sink_counts(text) == {"en": 2, "_5_": 1, "clk": 1, "_6_": 1}


def test_identity_follows_the_scripts_not_the_python_source(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = flow._scripts_hash("sky130hd")
    assert flow._scripts_hash("sky130hd") == base  # deterministic
    assert flow._scripts_hash("sky130hd", hierarchical=True) != base
    assert flow._scripts_hash("ecp5") != base
    # asic.py's own text is not read: comments and refactors keep everyone's cache
    read: list[str] = []
    real = Path.read_bytes

    def spy(self: Path) -> bytes:
        read.append(self.name)
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", spy)
    assert flow._scripts_hash("sky130hd") == base
    assert "asic.py" not in read and {"sram.py", "buftree.py"} <= set(read)
    monkeypatch.undo()
    # ... but whatever changes the result does change the identity
    for name, value in (
        ("ABC_DELAY_PS", asic.ABC_DELAY_PS + 1),
        ("ABC_SCRIPT", asic.ABC_SCRIPT.replace("buffer,-p,", "buffer,")),
        ("ABC_CONSTR", asic.ABC_CONSTR.replace("0.005", "0.01")),
        ("RAW_VERSION", asic.RAW_VERSION + 1),
    ):
        with monkeypatch.context() as m:
            m.setattr(asic, name, value)
            assert flow._scripts_hash("sky130hd") != base, name
    from accelsmith.synth import buftree

    with monkeypatch.context() as m:
        m.setattr(buftree, "MAX_FANOUT", buftree.MAX_FANOUT + 1)
        assert flow._scripts_hash("sky130hd") != base


@pytest.mark.slow
def test_flat_flow_buffers_register_fanout() -> None:
    """One enable flip-flop gating 64 flip-flops (the calibration's ``fan`` component): before
    the drivers were modelled its Q pin drove every gate (2.86 ns reg2reg, measured
    2026-12-06); now no net but the clock has more than 8 sinks and the path is short."""
    require("yosys", "sta")
    from accelsmith.hdl.emit import verilog_text
    from accelsmith.synth.buftree import MAX_FANOUT
    from accelsmith.synth.components import component
    from accelsmith.synth.flow import synthesize_verilog

    comp, top = component("fan", 64)
    rep = synthesize_verilog(verilog_text(comp, top), top, {"name": top}, clock_ns=10.0)
    sinks = _sink_counts(Path(rep.netlist).read_text())
    assert sinks.pop("clk") >= 65  # the 65 flip-flops' clock pins, left to the ideal clock
    assert max(sinks.values()) <= MAX_FANOUT
    assert rep.cells["buffer"] > 0
    period = rep.timing["reg2reg"]["min_period_ns"]
    assert period < 2.0, period
    assert (Path(rep.folder) / "abc.constr").read_text() == asic.ABC_CONSTR
