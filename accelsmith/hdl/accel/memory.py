"""The one memory wrapper of the ``accel`` top: every scratchpad, the accumulator, the scale
memory and the command queue are :class:`Sram` instances.

To use SRAM macros instead of Amaranth's inferred memories, replace :meth:`Sram.elaborate`
(or map the ``Sram``-derived Verilog modules): the ports below are a plain single-write,
multi-read synchronous SRAM interface with per-lane write enables and one cycle of read
latency, which every macro compiler offers.
"""

from __future__ import annotations

from amaranth.hdl import Module, unsigned
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["ReadPort", "Sram", "WritePort"]


class WritePort(wiring.Signature):
    """Write port: ``addr``, ``data`` and ``en`` (one bit per lane)."""

    def __init__(self, *, depth: int, lanes: int, lane_bits: int) -> None:
        super().__init__(
            {"addr": Out(range(max(depth, 2))), "data": Out(lanes * lane_bits), "en": Out(lanes)}
        )


class ReadPort(wiring.Signature):
    """Read port: ``data`` shows the entry at ``addr`` one cycle after a cycle with ``en``;
    it holds while ``en`` is low."""

    def __init__(self, *, depth: int, lanes: int, lane_bits: int) -> None:
        super().__init__(
            {"addr": Out(range(max(depth, 2))), "en": Out(1), "data": In(lanes * lane_bits)}
        )


class Sram(wiring.Component):
    """A ``depth x (lanes * lane_bits)`` synchronous memory.

    Parameters
    ----------
    depth : int
        Entries.
    lanes, lane_bits : int
        An entry is ``lanes`` lanes of ``lane_bits`` bits; lane ``i`` is bits
        ``[i * lane_bits, (i + 1) * lane_bits)``; the write enable is per lane.
    read_ports : int
        Independent read ports.
    transparent : bool
        A read of the address written in the same cycle returns the new data (read port 0).

    Members
    -------
    w : In(WritePort)
        The write port.
    r0, r1, ... : In(ReadPort)
        Read ports.
    """

    def __init__(
        self,
        *,
        depth: int,
        lanes: int,
        lane_bits: int,
        read_ports: int = 1,
        transparent: bool = False,
    ) -> None:
        self.depth, self.lanes, self.lane_bits = depth, lanes, lane_bits
        self.transparent = transparent
        self.n_read = read_ports
        geom = {"depth": depth, "lanes": lanes, "lane_bits": lane_bits}
        members = {"w": In(WritePort(**geom))}
        for i in range(read_ports):
            members[f"r{i}"] = In(ReadPort(**geom))
        super().__init__(members)

    @property
    def bits(self) -> int:
        """Storage bits (for area models and synthesis black boxes)."""
        return self.depth * self.lanes * self.lane_bits

    def elaborate(self, platform):
        m = Module()
        m.submodules.mem = mem = memory.Memory(
            shape=unsigned(self.lanes * self.lane_bits), depth=self.depth, init=[]
        )
        wp = mem.write_port(granularity=self.lane_bits)
        m.d.comb += [wp.addr.eq(self.w.addr), wp.data.eq(self.w.data), wp.en.eq(self.w.en)]
        for i in range(self.n_read):
            port = getattr(self, f"r{i}")
            rp = mem.read_port(transparent_for=(wp,) if (self.transparent and i == 0) else ())
            m.d.comb += [rp.addr.eq(port.addr), rp.en.eq(port.en), port.data.eq(rp.data)]
        return m
