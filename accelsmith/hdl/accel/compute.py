"""The compute unit: streams scratchpad entries into the systolic array and adds its result
rows into the accumulator memory.

Timing of one ``compute`` command (cycle of ``start`` to the cycle ``done`` is high, both
counted): the array tile latency of :mod:`accelsmith.hdl.systolic` for depth ``k`` plus
:data:`COMPUTE_OVERHEAD` cycles (one to latch the command, one of scratchpad read latency, one
for the accumulator read-modify-write).
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ...core.families.accel import AccelParams
from ...core.families.systolic import SystolicParams
from ..systolic import build as build_array
from .memory import ReadPort, WritePort

__all__ = ["ComputeUnit", "entry_reader"]


def entry_reader(m: Module, port, name: str, count_bits: int):
    """A stream of consecutive memory entries read through ``port``.

    Returns ``(load, base, count, valid, ready)``: pulse ``load`` with ``base`` and ``count``
    (while the stream is drained); then ``valid`` rises with ``port.data`` holding entry
    ``base``, and each cycle with ``valid & ready`` moves to the next entry with no bubble.
    """
    load = Signal(name=f"{name}_load")
    base = Signal.like(port.addr, name=f"{name}_base")
    count = Signal(count_bits, name=f"{name}_count")
    valid = Signal(name=f"{name}_valid")
    ready = Signal(name=f"{name}_ready")
    idx = Signal.like(port.addr, name=f"{name}_idx")
    left = Signal(count_bits, name=f"{name}_left")
    adv = Signal(name=f"{name}_adv")
    m.d.comb += [adv.eq(~valid | ready), port.addr.eq(idx), port.en.eq(adv)]
    with m.If(load):
        m.d.sync += [idx.eq(base), left.eq(count), valid.eq(0)]
    with m.Elif(adv):
        m.d.sync += valid.eq(left != 0)
        with m.If(left != 0):
            m.d.sync += [idx.eq(idx + 1), left.eq(left - 1)]
    return load, base, count, valid, ready


class ComputeUnit(wiring.Component):
    """Runs ``compute`` commands on a systolic array.

    Members
    -------
    start : In(1)
        Pulse with ``cmd`` valid; accepted only while ``busy`` is low.
    cmd : In(compute command fields, see :mod:`accelsmith.core.accel_isa`)
    busy, done : Out(1)
        A command is running; it completes in this cycle.
    a, b : Out(ReadPort)
        Scratchpad read ports.
    acc_r : Out(ReadPort)
        Accumulator read port (read-modify-write).
    acc_w : Out(WritePort)
        Accumulator write port.
    ev_a, ev_b, ev_acc : Out(1)
        Event strobes for the performance counters: an A entry / a B entry enters the
        array, a result row is read-modified-written into the accumulator.
    """

    def __init__(self, p: AccelParams, cmd_layout) -> None:
        self.p = p
        assert p.acc_bits is not None
        super().__init__(
            {
                "start": In(1),
                "cmd": In(cmd_layout),
                "busy": Out(1),
                "done": Out(1),
                "a": Out(ReadPort(depth=2 * p.a_entries, lanes=p.rows, lane_bits=p.in_bits)),
                "b": Out(ReadPort(depth=2 * p.b_entries, lanes=p.cols, lane_bits=p.in_bits)),
                "acc_r": Out(ReadPort(depth=2 * p.acc_entries, lanes=p.cols, lane_bits=p.acc_bits)),
                "acc_w": Out(
                    WritePort(depth=2 * p.acc_entries, lanes=p.cols, lane_bits=p.acc_bits)
                ),
                "ev_a": Out(1),
                "ev_b": Out(1),
                "ev_acc": Out(1),
            }
        )

    def elaborate(self, platform):
        p = self.p
        m = Module()
        sp = SystolicParams(
            rows=p.rows,
            cols=p.cols,
            dataflow=p.dataflow,
            in_bits=p.in_bits,
            signed=True,
            max_k=p.max_k,
            acc_bits=p.acc_bits,
        )
        m.submodules.array = array = build_array(sp)
        busy = Signal()
        accumulate = Signal()
        acc_base = Signal.like(self.acc_r.addr)
        start_pending = Signal()
        m.d.comb += [self.busy.eq(busy)]
        self._feed(m, array, busy, accumulate, acc_base, start_pending)
        self._accumulate(m, array, busy, accumulate, acc_base)
        return m

    def _feed(self, m, array, busy, accumulate, acc_base, start_pending) -> None:
        """Start a command: load both entry readers, start the array, stream A and B."""
        p = self.p
        c = self.cmd
        a_load, a_base, a_count, a_valid, a_ready = entry_reader(m, self.a, "ard", 17)
        b_load, b_base, b_count, b_valid, b_ready = entry_reader(m, self.b, "brd", 17)
        a_n = c.k if p.dataflow == "os" else ((c.k + (p.rows - 1)) // p.rows) * p.rows
        with m.If(self.start & ~busy):
            m.d.sync += [
                busy.eq(1),
                start_pending.eq(1),
                accumulate.eq(c.accumulate),
                acc_base.eq(Mux(c.acc_bank, p.acc_entries, 0) + c.acc_addr),
            ]
            m.d.comb += [
                a_load.eq(1),
                a_base.eq(Mux(c.a_bank, p.a_entries, 0) + c.a_addr),
                a_count.eq(a_n),
                b_load.eq(1),
                b_base.eq(Mux(c.b_bank, p.b_entries, 0) + c.b_addr),
                b_count.eq(c.k),
            ]
        kreg = Signal(16)
        with m.If(self.start & ~busy):
            m.d.sync += kreg.eq(c.k - 1)
        m.d.comb += [array.start.valid.eq(start_pending), array.start.payload.k_minus_1.eq(kreg)]
        with m.If(array.start.valid & array.start.ready):
            m.d.sync += start_pending.eq(0)

        m.d.comb += [
            array.a.valid.eq(a_valid),
            array.a.payload.eq(self.a.data),
            a_ready.eq(array.a.ready),
            array.b.valid.eq(b_valid),
            array.b.payload.eq(self.b.data),
            b_ready.eq(array.b.ready),
            self.ev_a.eq(array.a.valid & array.a.ready),
            self.ev_b.eq(array.b.valid & array.b.ready),
        ]

    def _accumulate(self, m, array, busy, accumulate, acc_base) -> None:
        """Result rows -> accumulator read-modify-write; ``done`` after the last row."""
        p = self.p
        row = Signal(range(max(p.rows, 2)))
        m.d.comb += array.c.ready.eq(1)
        cv, clast = Signal(), Signal()
        caddr = Signal.like(self.acc_r.addr)
        cdata = Signal(p.cols * p.acc_bits)
        m.d.comb += [self.acc_r.addr.eq(acc_base + row), self.acc_r.en.eq(1)]
        m.d.sync += [
            cv.eq(array.c.valid),
            clast.eq(array.c.payload.last),
            caddr.eq(acc_base + row),
            cdata.eq(array.c.payload.data.as_value()),
        ]
        with m.If(array.c.valid):
            m.d.sync += row.eq(Mux(array.c.payload.last, 0, row + 1))
        ab = p.acc_bits
        lanes = []
        for j in range(p.cols):
            old = Mux(accumulate, self.acc_r.data[j * ab : (j + 1) * ab], 0)
            lanes.append((old + cdata[j * ab : (j + 1) * ab])[:ab])
        m.d.comb += [
            self.acc_w.addr.eq(caddr),
            self.acc_w.data.eq(Cat(*lanes)),
            self.acc_w.en.eq(Mux(cv, (1 << p.cols) - 1, 0)),
            self.done.eq(cv & clast),
            self.ev_acc.eq(cv),
        ]
        with m.If(cv & clast):
            m.d.sync += busy.eq(0)
