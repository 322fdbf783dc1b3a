"""cocotb tests for ``counter.v``, run by ``tests/sim/test_runner.py``.

``counts_up`` passes; ``deliberately_fails`` always fails (it proves that failures are
counted, not raised); ``sleeps`` only returns after ``RUNNER_TB_SLEEP_S`` seconds of wall time.
Each test records what it saw of its environment in ``observed_<test>.json`` in the working
folder.
"""

import json
import os
import time
from pathlib import Path

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge


def _record(name: str) -> None:
    # cocotb.RANDOM_SEED is derived per test from COCOTB_RANDOM_SEED and the test name
    seen = {
        "seed": os.environ.get("COCOTB_RANDOM_SEED"),
        "steps": os.environ.get("RUNNER_TB_STEPS"),
    }
    Path(f"observed_{name}.json").write_text(json.dumps(seen))


async def _reset(dut) -> None:
    Clock(dut.clk, 10, unit="ns").start()
    dut.rst.value = 1
    dut.en.value = 0
    await ClockCycles(dut.clk, 2)
    dut.rst.value = 0


@cocotb.test()
async def counts_up(dut) -> None:
    _record("counts_up")
    steps = int(os.environ.get("RUNNER_TB_STEPS", "5"))
    await _reset(dut)
    dut.en.value = 1
    await ClockCycles(dut.clk, steps)
    dut.en.value = 0
    await RisingEdge(dut.clk)
    await ReadOnly()
    assert int(dut.count.value) == steps


@cocotb.test()
async def deliberately_fails(dut) -> None:
    _record("deliberately_fails")
    await _reset(dut)
    await RisingEdge(dut.clk)
    await ReadOnly()
    assert int(dut.count.value) == 99, "this test fails on purpose"


@cocotb.test()
async def sleeps(dut) -> None:
    time.sleep(float(os.environ.get("RUNNER_TB_SLEEP_S", "0")))
    await _reset(dut)
