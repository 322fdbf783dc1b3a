"""A tiny cocotb module for the runner tests: one passing and one failing test."""

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, ReadOnly


@cocotb.test()
async def adds(dut):
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.a.value = 3
    dut.b.value = 4
    await ClockCycles(dut.clk, 2)
    await ReadOnly()
    assert int(dut.y.value) == 7


@cocotb.test()
async def fails_on_purpose(dut):
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.a.value = 1
    dut.b.value = 1
    await ClockCycles(dut.clk, 2)
    await ReadOnly()
    assert int(dut.y.value) == 3, "1 + 1 is not 3"
