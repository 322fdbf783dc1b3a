"""Hierarchical sky130hd synthesis (``accelsmith synth --hierarchical``): each module mapped
once, the instance tree timed; agrees with the flat flow on a small array."""

from __future__ import annotations

import json

import pytest

from accelsmith.cli.main import main
from accelsmith.synth.asic_hier import hierarchical_cells

from .conftest import require

STAT = """
=== top ===

   Number of cells:                  5
     col                             2
     sky130_fd_sc_hd__dfxtp_1        3

=== col ===

   Number of cells:                  4
     pe                              3
     sky130_fd_sc_hd__buf_1          1

=== pe ===

   Number of cells:                  7
     sky130_fd_sc_hd__dfxtp_1        4
     sky130_fd_sc_hd__nand2_1        3

=== design hierarchy ===

   top                               1
     col                             2
       pe                            6
"""


def test_cells_summed_over_the_instance_tree() -> None:
    cells = hierarchical_cells(STAT, "top")
    assert cells == {
        "sky130_fd_sc_hd__dfxtp_1": 3 + 2 * 3 * 4,
        "sky130_fd_sc_hd__buf_1": 2,
        "sky130_fd_sc_hd__nand2_1": 2 * 3 * 3,
    }


ARRAY = ["systolic", "--rows", "2", "--cols", "2", "--in-bits", "4", "--max-k", "16"]  # os


def test_seed_refused_for_sky130hd(capsys: pytest.CaptureFixture[str]) -> None:
    """(ECP5 has a hierarchical flow too since 2026-12-07: tests/synth/test_ecp5_flow.py.)"""
    assert main(["synth", *ARRAY, "--seed", "3", "--hierarchical"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--seed applies to --target ecp5 only" in err[0]


@pytest.mark.slow
def test_hierarchical_matches_flat(capsys: pytest.CaptureFixture[str]) -> None:
    require("yosys", "sta")
    assert main(["synth", *ARRAY, "--json"]) == 0
    flat = json.loads(capsys.readouterr().out)
    assert main(["synth", *ARRAY, "--hierarchical", "--json"]) == 0
    hier = json.loads(capsys.readouterr().out)
    per_module = hier["cells"]["cells_per_module"]
    top = hier["design"]["name"]
    # one column module and one PE module, each mapped once
    assert {f"{top}_oscol", f"{top}_ospe"} <= set(per_module)
    assert sum(per_module.values()) < hier["cells"]["total"]  # instances counted by the tree
    # paths cross module boundaries (OpenSTA names hierarchical pins with '/')
    assert any("/" in (p or {}).get("endpoint", "") for p in hier["timing"].values())
    area = hier["area"]
    assert area["total"] == pytest.approx(
        area["sequential"] + area["combinational"] + area["buffer"] + area["memory"]
    )
    # same design: at least the flat flow's flip-flops (flat merges duplicate and constant
    # registers across module boundaries, hierarchical cannot), logic within a few tens of
    # percent; Fmax close (buffering per module)
    dff = "sky130_fd_sc_hd__dfxtp_1"
    flat_ff, hier_ff = flat["cells"]["by_type"][dff], hier["cells"]["by_type"][dff]
    assert flat_ff <= hier_ff <= 1.3 * flat_ff
    assert 0.9 * flat["area"]["total"] <= area["total"] <= 1.5 * flat["area"]["total"]
    assert hier["fmax_mhz"] == pytest.approx(flat["fmax_mhz"], rel=0.25)
    assert any("hierarchical synthesis" in n for n in hier["notes"])


def _module(fanout: int) -> dict:
    cells = {
        f"g{i}": {
            "type": "sky130_fd_sc_hd__nand2_1",
            "port_directions": {"A": "input", "B": "input", "Y": "output"},
            "connections": {"A": [2], "B": [3], "Y": [100 + i]},
        }
        for i in range(fanout)
    }
    return {
        "ports": {
            "clk": {"direction": "input", "bits": [3]},
            "en": {"direction": "input", "bits": [2]},
        },
        "cells": cells,
        "netnames": {"en": {"bits": [2]}, "clk": {"bits": [3]}},
    }


def test_buffer_trees_bound_the_fanout() -> None:
    from accelsmith.synth.buftree import BUFFER_CELL, MAX_FANOUT, insert_buffer_trees

    net = {"modules": {"m": _module(70), "small": _module(MAX_FANOUT)}}
    added = insert_buffer_trees(net)
    # 70 sinks -> 9 leaf buffers -> 2 buffers driven by the root net; 8 sinks need none
    assert added == {"m": 9 + 2}
    mod = net["modules"]["m"]
    sinks: dict[int, int] = {}
    driver: dict[int, str] = {}
    for name, c in mod["cells"].items():
        for port, bits in c["connections"].items():
            for b in bits:
                if c["port_directions"][port] == "input":
                    sinks[b] = sinks.get(b, 0) + 1
                else:
                    driver[b] = name
    assert max(n for b, n in sinks.items() if b != 3) <= MAX_FANOUT
    assert sinks[3] == 70  # the clock is left alone
    # every gate's A input still reaches the root net through buffers only
    for i in range(70):
        b = mod["cells"][f"g{i}"]["connections"]["A"][0]
        hops = 0
        while b != 2:
            buf = mod["cells"][driver[b]]
            assert buf["type"] == BUFFER_CELL[0]
            b = buf["connections"]["A"][0]
            hops += 1
        assert hops == 2
    assert all(isinstance(b, int) for n in mod["netnames"].values() for b in n["bits"])
