"""DRAM for the ``accel`` testbench: cocotbext-axi's ``AxiRam`` with a fixed, pipelined read
latency and optional random back-pressure on every channel."""

from __future__ import annotations

import random
from collections import deque
from typing import Any

import cocotb
from cocotb.triggers import Event, FallingEdge
from cocotb.utils import get_sim_time
from cocotbext.axi import AxiBus
from cocotbext.axi.axi_ram import AxiRamRead, AxiRamWrite
from cocotbext.axi.constants import AxiResp
from cocotbext.axi.memory import Memory

__all__ = ["LatencyAxiRam"]


class _LatencyRead(AxiRamRead):
    """Reads answered ``latency`` cycles after their AR transfer, pipelined (several bursts
    may be waiting), beats in order."""

    latency = 0
    period_ps = 10_000

    async def _process_read(self) -> None:
        pending: deque[tuple[int, Any]] = deque()
        wake = Event()
        responder = cocotb.start_soon(self._respond(pending, wake))
        try:
            while True:
                ar = await self.ar_channel.recv()
                pending.append((get_sim_time("ps"), ar))
                wake.set()
        finally:
            responder.cancel()

    async def _respond(self, pending: deque, wake: Event) -> None:
        while True:
            while not pending:
                wake.clear()
                await wake.wait()
            t, ar = pending.popleft()
            # Beats are queued at falling edges only, so the source drives each at the next
            # rising edge whatever order coroutines wake in: the first beat is driven at the
            # edge `latency` cycles after the AR transfer.
            while get_sim_time("ps") < t + self.latency * self.period_ps - self.period_ps // 2:
                await FallingEdge(self.clock)
            addr = int(ar.araddr)
            length = int(ar.arlen) + 1
            size = 1 << int(ar.arsize)
            for n in range(length):
                r = self.r_channel._transaction_obj()
                r.rid = int(ar.arid)
                r.rlast = n == length - 1
                r.rresp = AxiResp.OKAY
                word = (addr // self.byte_lanes) * self.byte_lanes
                r.rdata = int.from_bytes(self.read(word % self.size, self.byte_lanes), "little")
                while (
                    self.r_channel.full()
                    or get_sim_time("ps") % self.period_ps != self.period_ps // 2
                ):
                    await FallingEdge(self.clock)
                self.r_channel.send_nowait(r)
                addr += size


class LatencyAxiRam(Memory):
    """cocotbext-axi's ``AxiRam`` with reads that take ``latency`` cycles: its write side
    (``AxiRamWrite``) unchanged, its read side with the latency above; ``stall`` is the
    probability of a random pause on each channel in each cycle (0: no back-pressure)."""

    def __init__(
        self,
        dut: Any,
        prefix: str,
        clock: Any,
        reset: Any,
        *,
        size: int,
        latency: int,
        stall: float = 0.0,
        seed: int = 0,
        period_ps: int = 10_000,
    ) -> None:
        bus = AxiBus.from_prefix(dut, prefix)
        super().__init__(size)
        self.write_if = AxiRamWrite(bus.write, clock, reset, mem=self.mem)
        self.read_if = _LatencyRead(bus.read, clock, reset, mem=self.mem)
        self.read_if.latency = latency
        self.read_if.period_ps = period_ps
        if stall > 0:
            rng = random.Random(seed)

            def pauses():
                while True:
                    yield rng.random() < stall

            for ch in (
                self.read_if.ar_channel,
                self.read_if.r_channel,
                self.write_if.aw_channel,
                self.write_if.w_channel,
                self.write_if.b_channel,
            ):
                ch.set_pause_generator(pauses())
