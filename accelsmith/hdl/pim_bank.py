"""One DRAM bank of the PIM channel (:mod:`accelsmith.hdl.pim`): cells, row buffer, the
bank's timing counters and its MAC lanes.

The channel places ``banks`` identical banks with :func:`accelsmith.hdl.hier.place`, so
hierarchical Verilog holds the bank (memory, lanes, floating-point adders) once. The channel
keeps the rules that span banks (tCCD, tRRD, tFAW, tRFC, tREFI) and reads each bank's
``*_busy`` flags for the per-bank ones.
"""

from __future__ import annotations

from typing import Any

from amaranth.hdl import Cat, Module, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out
from amaranth.utils import bits_for

from ..core.families.pim import PimParams
from .blocks.pim_fp import BF16, FP16, FP32, fp_add, fp_convert, fp_mul

__all__ = ["PimBank"]


def _select(m: Module, out: Signal, items: list, index) -> None:
    """``out = items[index]`` as a full case statement (unused codes read the last item)."""
    with m.Switch(index):
        for i, item in enumerate(items[:-1]):
            with m.Case(i):
                m.d.comb += out.eq(item)
        with m.Default():
            m.d.comb += out.eq(items[-1])


def _w(n: int) -> int:
    return max(1, bits_for(max(n - 1, 0)))


def _down(m: Module, name: str, t: int, load) -> Signal:
    """A counter loaded with ``t - 1`` on ``load`` and counting down to 0 (0 = met)."""
    c = Signal(range(max(t, 2)), name=name)
    with m.If(load):
        m.d.sync += c.eq(t - 1)
    with m.Elif(c != 0):
        m.d.sync += c.eq(c - 1)
    return c


class PimBank(wiring.Component):
    """One DRAM bank: cell memory, row buffer, its timing counters and its MAC lanes.

    Members
    -------
    row, col : In
        Address of the presented command.
    wdata : In(burst_bits)
        WR burst.
    x_burst : In(burst_bits)
        The global buffer's burst at ``col`` (the MAC's input-vector operand).
    hit : In(1)
        The command addresses this bank (``ab``: every bank).
    act, pre, rd, wr, mac, clear : In(1)
        An ACT / PRE / RD or MAC / WR / MAC / RD_MAC executes this cycle (any bank; the bank
        combines them with ``hit`` and its open state).
    is_open : Out(1)
        A row is open (ACT done, no PRE yet).
    rcd_busy, ras_busy, rp_busy, rtp_busy, wr_busy : Out(1)
        The bank's tRCD / tRAS / tRP / tRTP / tWR window is still running.
    rd_burst : Out(burst_bits)
        The open row's burst at ``col`` (RD data and the MAC's weight operand).
    mac_word : Out(result_bits)
        The accumulators as RD_MAC reads them.
    """

    COUNTERS = ("rcd", "ras", "rp", "rtp", "wr")

    def __init__(self, params: PimParams) -> None:
        self.params = p = params
        assert p.burst_bits is not None
        self.bpr = p.bursts_per_row
        super().__init__(
            {
                "row": In(_w(p.rows)),
                "col": In(_w(self.bpr)),
                "wdata": In(p.burst_bits),
                "x_burst": In(p.burst_bits),
                "hit": In(1),
                "act": In(1),
                "pre": In(1),
                "rd": In(1),
                "wr": In(1),
                "mac": In(1),
                "clear": In(1),
                "is_open": Out(1),
                **{f"{k}_busy": Out(1) for k in self.COUNTERS},
                "rd_burst": Out(p.burst_bits),
                "mac_word": Out(p.result_bits),
            }
        )

    def elaborate(self, platform):
        p = self.params
        T = p.timings()
        m = Module()
        bpr, bb = self.bpr, p.burst_bits
        act = self.act & self.hit
        pre = self.pre & self.hit & self.is_open
        loads = {
            "rcd": act,
            "ras": act,
            "rp": pre,
            "rtp": self.rd & self.hit,
            "wr": self.wr & self.hit,
        }
        for k, load in loads.items():
            cnt = _down(m, k, T[f"t_{k}"], load)
            m.d.comb += getattr(self, f"{k}_busy").eq(cnt != 0)
        with m.If(act):
            m.d.sync += self.is_open.eq(1)
        with m.Elif(pre):
            m.d.sync += self.is_open.eq(0)

        # A one-row bank still gets a two-row memory and a 1-bit row register: a depth-1
        # Amaranth memory has a 0-bit address, emitted as ``wire [-1:0]`` (Verilator ASCRANGE).
        # Row 1 is never addressed (the channel rejects ``row >= rows``).
        mem = Memory(shape=unsigned(bpr * bb), depth=max(p.rows, 2), init=[])
        m.submodules.cells = mem
        rport = mem.read_port(domain="comb")
        wport = mem.write_port()
        open_row = Signal(_w(p.rows))
        rowbuf = [Signal(bb, name=f"rb{i}") for i in range(bpr)]
        m.d.comb += [
            rport.addr.eq(self.row),
            wport.addr.eq(open_row),
            wport.data.eq(Cat(*rowbuf)),
            wport.en.eq(pre),
        ]
        with m.If(act):
            m.d.sync += open_row.eq(self.row)
            m.d.sync += [rowbuf[i].eq(rport.data[i * bb : (i + 1) * bb]) for i in range(bpr)]
        with m.If(self.wr & self.hit):
            for i in range(bpr):
                with m.If(self.col == i):
                    m.d.sync += rowbuf[i].eq(self.wdata)
        _select(m, self.rd_burst, rowbuf, self.col)
        word = self._mac(m, self.rd_burst, self.x_burst, self.mac & self.hit, self.clear)
        m.d.comb += self.mac_word.eq(word)
        return m

    def _mac(self, m: Module, w, x, do_mac, clear) -> Any:
        """The lanes: accumulate ``w * x`` on ``do_mac``; return the RD_MAC value."""
        p = self.params
        eb = p.elem_bits
        lanes = p.lanes
        we = [w[i * eb : (i + 1) * eb] for i in range(lanes)]
        xe = [x[i * eb : (i + 1) * eb] for i in range(lanes)]
        if p.precision == "bf16":
            acc = Signal(32, name="acc")
            prods = [fp_mul(m, we[i], BF16, xe[i], BF16, FP32) for i in range(lanes)]
            level = prods
            while len(level) > 1:
                nxt = [fp_add(m, level[i], level[i + 1], FP32) for i in range(0, len(level) - 1, 2)]
                if len(level) % 2:
                    nxt.append(level[-1])
                level = nxt
            total = fp_add(m, acc, level[0], FP32)
            with m.If(clear):
                m.d.sync += acc.eq(0)
            with m.Elif(do_mac):
                m.d.sync += acc.eq(total)
            return fp_convert(m, acc, FP32, BF16)
        accs = []
        for i in range(lanes):
            if p.precision == "int8":
                acc = Signal(32, name=f"acc{i}")
                nxt = acc + we[i].as_signed() * xe[i].as_signed()
            else:
                acc = Signal(16, name=f"acc{i}")
                nxt = fp_add(m, fp_mul(m, we[i], FP16, xe[i], FP16, FP16), acc, FP16)
            with m.If(clear):
                m.d.sync += acc.eq(0)
            with m.Elif(do_mac):
                m.d.sync += acc.eq(nxt[: len(acc)])
            accs.append(acc)
        return Cat(*accs)
