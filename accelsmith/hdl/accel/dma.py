"""The DMA unit: ``load`` (AXI4 reads into a scratchpad) and ``store`` (accumulator through the
output stage, AXI4 writes) with strided 2-D transfers.

A transfer is ``n_rows`` rows of ``row_bytes`` bytes, row ``r`` starting at byte
``addr + r * stride``. Each row is read or written with INCR bursts of whole bus words: at most
``burst_len`` beats, never crossing a 4 KiB boundary (AXI rule), with up to
``dma_outstanding`` bursts in flight. Unaligned rows are handled inside: reads drop the bytes
outside the row, writes mask them with ``wstrb``.
"""

from __future__ import annotations

from types import SimpleNamespace

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import exact_log2

from ...core.accel_isa import SCALE_BITS
from ...core.families.accel import AccelParams
from .axi import Axi4
from .compute import entry_reader
from .memory import ReadPort, WritePort

__all__ = ["DmaUnit", "burst_walker", "output_lane"]


def _min(a, b):
    return Mux(a < b, a, b)


def burst_walker(
    m: Module,
    name: str,
    *,
    bus_bytes: int,
    burst_len: int,
    load,
    addr0,
    stride,
    n_rows,
    row_bytes,
    step,
):
    """Split a 2-D transfer into AXI bursts, one per ``step``.

    Returns ``(valid, addr, length, row_end)`` for the current burst (``length`` in beats;
    ``row_end``: the burst is its row's last).
    """
    lg = exact_log2(bus_bytes)
    row_addr = Signal(32, name=f"{name}_row_addr")
    rows_left = Signal(17, name=f"{name}_rows_left")
    in_row = Signal(name=f"{name}_in_row")
    cur = Signal(32, name=f"{name}_cur")
    left = Signal(10, name=f"{name}_left")
    nb = Signal(10, name=f"{name}_nb")
    m.d.comb += nb.eq((((row_addr & (bus_bytes - 1)) + row_bytes - 1) >> lg) + 1)
    c_addr = Signal(32, name=f"{name}_addr")
    c_left = Signal(10, name=f"{name}_c_left")
    m.d.comb += [
        c_addr.eq(Mux(in_row, cur, row_addr & ~Const(bus_bytes - 1, 32))),
        c_left.eq(Mux(in_row, left, nb)),
    ]
    to4k = Signal(13, name=f"{name}_to4k")  # up to 1024 beats of a 32-bit bus
    m.d.comb += to4k.eq((4096 - (c_addr & 4095)) >> lg)
    length = Signal(10, name=f"{name}_len")
    m.d.comb += length.eq(_min(_min(c_left, to4k), burst_len))
    valid = Signal(name=f"{name}_valid")
    row_end = Signal(name=f"{name}_row_end")
    m.d.comb += [valid.eq(in_row | (rows_left != 0)), row_end.eq(length == c_left)]
    with m.If(load):
        m.d.sync += [row_addr.eq(addr0), rows_left.eq(n_rows), in_row.eq(0)]
    with m.Elif(step):
        with m.If(~in_row):
            m.d.sync += [row_addr.eq(row_addr + stride), rows_left.eq(rows_left - 1)]
        with m.If(row_end):
            m.d.sync += in_row.eq(0)
        with m.Else():
            m.d.sync += [
                in_row.eq(1),
                cur.eq(c_addr + (length << lg)),
                left.eq(c_left - length),
            ]
    return valid, c_addr, length, row_end


def output_lane(m: Module, acc, scale, shift, relu, acc_bits: int, out_bits: int):
    """``saturate(relu((acc * scale + round) >> shift))``, ``round = 2**(shift-1)`` (shift > 0).

    ``shift`` must be below ``acc_bits + 16`` (the ``config`` check), so nothing overflows.
    """
    width = acc_bits + SCALE_BITS + 2
    prod = Signal(signed(width))
    m.d.comb += prod.eq(acc.as_signed() * Cat(scale, Const(0, 1)).as_signed())
    rnd = Signal(signed(width))
    m.d.comb += rnd.eq(Mux(shift != 0, (Const(1, width) << (shift - 1)[:6])[:width], 0))
    total = Signal(signed(width))
    m.d.comb += total.eq(prod + rnd)
    shifted = Signal(signed(width))
    m.d.comb += shifted.eq(total >> shift.as_unsigned())
    lo, hi = -(1 << (out_bits - 1)), (1 << (out_bits - 1)) - 1
    low = Mux(relu, 0, lo)
    out = Signal(out_bits)
    m.d.comb += out.eq(Mux(shifted > hi, hi, Mux(shifted < low, low, shifted)))
    return out


class DmaUnit(wiring.Component):
    """Runs ``load`` and ``store`` commands over the AXI4 master port.

    Members
    -------
    start : In(1)
        Pulse with ``cmd`` (raw 128-bit command) and ``dram_base``; accepted while not busy.
    cmd : In(128)
    dram_base : In(32)
    shift, relu, per_channel, scale : In
        The output-stage settings of the last ``config``.
    busy, done : Out(1)
    axi : Out(Axi4)
    a_w, b_w, s_w : Out(WritePort)
        Scratchpad and scale-memory write ports.
    acc_r, s_r : Out(ReadPort)
        Accumulator and scale-memory read ports (stores).
    ev_rd, ev_wr, ev_acc, ev_wait : Out(1)
        Event strobes for the performance counters: an R beat, a W beat, an accumulator
        row consumed by a store, a busy cycle that moves no data (no scratchpad write and no
        W beat).
    """

    def __init__(self, p: AccelParams, load_layout, store_layout) -> None:
        self.p = p
        assert p.acc_bits is not None
        self.load_layout, self.store_layout = load_layout, store_layout
        self.s_lanes = p.cols * SCALE_BITS // p.in_bits
        super().__init__(
            {
                "start": In(1),
                "cmd": In(128),
                "dram_base": In(32),
                "shift": In(6),
                "relu": In(1),
                "per_channel": In(1),
                "scale": In(SCALE_BITS),
                "busy": Out(1),
                "done": Out(1),
                "axi": Out(Axi4(p.bus_bits)),
                "a_w": Out(WritePort(depth=2 * p.a_entries, lanes=p.rows, lane_bits=p.in_bits)),
                "b_w": Out(WritePort(depth=2 * p.b_entries, lanes=p.cols, lane_bits=p.in_bits)),
                "s_w": Out(
                    WritePort(depth=p.scale_entries, lanes=self.s_lanes, lane_bits=p.in_bits)
                ),
                "acc_r": Out(ReadPort(depth=2 * p.acc_entries, lanes=p.cols, lane_bits=p.acc_bits)),
                "s_r": Out(
                    ReadPort(depth=p.scale_entries, lanes=self.s_lanes, lane_bits=p.in_bits)
                ),
                "ev_rd": Out(1),
                "ev_wr": Out(1),
                "ev_acc": Out(1),
                "ev_wait": Out(1),
            }
        )

    def elaborate(self, platform):
        m = Module()
        c = self._latch(m)
        loading = self._load_ar(m, c)
        self._load_r(m, c, loading)
        w = self._store_aw(m, c)
        self._store_w(m, c, w)
        moved = (self.a_w.en != 0) | (self.b_w.en != 0) | (self.s_w.en != 0) | self.ev_wr
        m.d.comb += self.ev_wait.eq(c.busy & ~moved)
        return m

    def _latch(self, m: Module) -> SimpleNamespace:
        """Accept a command (``go``) and latch its fields; ``arm`` one cycle later."""
        p = self.p
        B = p.bus_bits // 8
        lg = exact_log2(B)
        eb = p.in_bits // 8
        ld = self.load_layout(self.cmd)
        st = self.store_layout(self.cmd)
        from ...core.accel_isa import OPCODES

        busy = Signal()
        is_store = Signal()
        target = Signal(2)
        transpose = Signal()
        lane0 = Signal(8)
        base = Signal(17)
        addr0 = Signal(32)
        n_rows = Signal(16)
        row_lanes = Signal(16)
        stride = Signal(32)
        scale_addr = Signal(8)
        go = Signal()
        m.d.comb += [self.busy.eq(busy), go.eq(self.start & ~busy)]
        opc = self.cmd[:4]
        with m.If(go):
            m.d.sync += [
                busy.eq(1),
                is_store.eq(opc == OPCODES["store"]),
                addr0.eq(self.dram_base + ld.dram_addr),
                n_rows.eq(ld.n_rows),
                stride.eq(ld.stride),
                target.eq(ld.target),
                transpose.eq(ld.transpose),
                lane0.eq(Mux(ld.target == 2, ld.lane * (SCALE_BITS // p.in_bits), ld.lane)),
            ]
            with m.If(opc == OPCODES["store"]):
                m.d.sync += [
                    base.eq(Mux(st.bank, p.acc_entries, 0) + st.acc_addr),
                    row_lanes.eq(st.row_elems),
                    scale_addr.eq(st.scale_addr),
                    target.eq(0),
                    transpose.eq(0),
                    lane0.eq(0),
                ]
            with m.Else():
                entries = Mux(ld.target == 0, p.a_entries, p.b_entries)
                m.d.sync += base.eq(Mux(ld.bank & (ld.target != 2), entries, 0) + ld.spad_addr)
                with m.If(ld.target == 2):
                    m.d.sync += row_lanes.eq(ld.row_elems * (SCALE_BITS // p.in_bits))
                with m.Else():
                    m.d.sync += row_lanes.eq(ld.row_elems)
        row_bytes = Signal(17)
        m.d.comb += row_bytes.eq(row_lanes * eb)
        # one cycle after `go` the latched fields are valid: `arm` loads the walkers
        arm = Signal()
        m.d.sync += arm.eq(go)
        return SimpleNamespace(
            B=B,
            lg=lg,
            eb=eb,
            busy=busy,
            is_store=is_store,
            target=target,
            transpose=transpose,
            lane0=lane0,
            base=base,
            addr0=addr0,
            n_rows=n_rows,
            row_lanes=row_lanes,
            stride=stride,
            scale_addr=scale_addr,
            row_bytes=row_bytes,
            arm=arm,
        )

    def _load_ar(self, m: Module, c: SimpleNamespace):
        """Load, read address channel: bursts of the 2-D transfer, ``dma_outstanding`` in
        flight. Returns ``loading``."""
        p = self.p
        axi = self.axi
        B, lg, is_store, addr0, stride, n_rows = c.B, c.lg, c.is_store, c.addr0, c.stride, c.n_rows
        row_bytes, arm = c.row_bytes, c.arm
        rd_out = Signal(6)
        ar_hs = Signal()
        ar_valid, ar_addr, ar_len, _ = burst_walker(
            m,
            "ar",
            bus_bytes=B,
            burst_len=p.burst_len,
            load=arm & ~is_store,
            addr0=addr0,
            stride=stride,
            n_rows=n_rows,
            row_bytes=row_bytes,
            step=ar_hs,
        )
        loading = Signal()
        m.d.comb += [
            axi.arid.eq(0),
            axi.araddr.eq(ar_addr),
            axi.arlen.eq(ar_len - 1),
            axi.arsize.eq(lg),
            axi.arburst.eq(1),
            axi.arvalid.eq(loading & ar_valid & (rd_out < p.dma_outstanding)),
            ar_hs.eq(axi.arvalid & axi.arready),
        ]
        r_hs = Signal()
        m.d.comb += [r_hs.eq(axi.rvalid & axi.rready), self.ev_rd.eq(r_hs)]
        m.d.sync += rd_out.eq(rd_out + ar_hs - (r_hs & axi.rlast))
        return loading

    def _load_r(self, m: Module, c: SimpleNamespace, loading) -> None:
        """Load, read data channel: drop the bytes outside the row, write the scratchpad."""
        p = self.p
        axi = self.axi
        B, lg, eb, busy, is_store, transpose = c.B, c.lg, c.eb, c.busy, c.is_store, c.transpose
        addr0, row_lanes, stride, n_rows, arm = c.addr0, c.row_lanes, c.stride, c.n_rows, c.arm
        rc_row = Signal(16)
        rc_addr = Signal(32)
        rc_elem = Signal(16)
        rc_off = Signal(range(B))
        with m.If(arm):
            m.d.sync += [
                loading.eq(~is_store),
                rc_row.eq(0),
                rc_addr.eq(addr0),
                rc_elem.eq(0),
                rc_off.eq(addr0[:lg] if lg else 0),
            ]
        shifted = Signal(p.bus_bits)
        m.d.comb += shifted.eq(axi.rdata >> (rc_off * 8))
        rem = Signal(16)
        avail = Signal(range(B + 1))
        n = Signal(16)
        m.d.comb += [
            rem.eq(row_lanes - rc_elem),
            avail.eq((B - rc_off) >> exact_log2(eb)),
            n.eq(_min(avail, rem)),
        ]
        last_in_beat = Signal()
        m.d.comb += last_in_beat.eq((rc_off + eb == B) | (rc_elem + 1 == row_lanes))
        m.d.comb += axi.rready.eq(loading & (~transpose | last_in_beat))
        take = Signal()
        m.d.comb += take.eq(loading & axi.rvalid)
        row_done = Signal()
        m.d.comb += row_done.eq(Mux(transpose, rc_elem + 1 == row_lanes, n == rem))
        with m.If(take):
            with m.If(row_done):
                m.d.sync += [
                    rc_row.eq(rc_row + 1),
                    rc_elem.eq(0),
                    rc_addr.eq(rc_addr + stride),
                    rc_off.eq((rc_addr + stride)[:lg] if lg else 0),
                ]
            with m.Elif(transpose):
                m.d.sync += [
                    rc_elem.eq(rc_elem + 1),
                    rc_off.eq(Mux(last_in_beat, 0, rc_off + eb)),
                ]
            with m.Else():
                m.d.sync += [rc_elem.eq(rc_elem + n), rc_off.eq(0)]
        self._load_ports(m, c, take, shifted, rc_elem, rc_row, n)
        with m.If(loading & (rc_row == n_rows) & ~arm):
            m.d.sync += [loading.eq(0), busy.eq(0)]
            m.d.comb += self.done.eq(1)

    def _load_ports(self, m: Module, c: SimpleNamespace, take, shifted, rc_elem, rc_row, n):
        """The scratchpad and scale-memory write ports of a read beat."""
        p = self.p
        target, transpose, lane0, base = c.target, c.transpose, c.lane0, c.base
        elem = shifted[: p.in_bits]
        for port, lanes, code in (
            (self.a_w, p.rows, 0),
            (self.b_w, p.cols, 1),
            (self.s_w, self.s_lanes, 2),
        ):
            sel = take & (target == code)
            wide = Signal(lanes * p.in_bits)
            m.d.comb += wide.eq(
                (shifted << ((lane0 + rc_elem)[:8] * p.in_bits))[: lanes * p.in_bits]
            )
            ens = []
            for lane in range(lanes):
                lo = lane0 + rc_elem
                ens.append(Mux(transpose, lane0 + rc_row == lane, (lo <= lane) & (lane < lo + n)))
            m.d.comb += [
                port.addr.eq(base + Mux(transpose, rc_elem, rc_row)),
                port.data.eq(Mux(transpose, Cat(*([elem] * lanes)), wide)),
                port.en.eq(Mux(sel, Cat(*ens), 0)),
            ]

    def _store_aw(self, m: Module, c: SimpleNamespace):
        """Store, write address and response channels, and the walker of the W bursts."""
        p = self.p
        axi = self.axi
        B, lg, is_store, addr0, stride, n_rows = c.B, c.lg, c.is_store, c.addr0, c.stride, c.n_rows
        row_bytes, arm = c.row_bytes, c.arm
        storing = Signal()
        wr_out = Signal(6)
        aw_hs, b_hs, w_hs = Signal(), Signal(), Signal()
        aw_valid, aw_addr, aw_len, _ = burst_walker(
            m,
            "aw",
            bus_bytes=B,
            burst_len=p.burst_len,
            load=arm & is_store,
            addr0=addr0,
            stride=stride,
            n_rows=n_rows,
            row_bytes=row_bytes,
            step=aw_hs,
        )
        m.d.comb += [
            axi.awid.eq(0),
            axi.awaddr.eq(aw_addr),
            axi.awlen.eq(aw_len - 1),
            axi.awsize.eq(lg),
            axi.awburst.eq(1),
            axi.awvalid.eq(storing & aw_valid & (wr_out < p.dma_outstanding)),
            aw_hs.eq(axi.awvalid & axi.awready),
            axi.bready.eq(1),
            b_hs.eq(axi.bvalid & axi.bready),
            w_hs.eq(axi.wvalid & axi.wready),
            self.ev_wr.eq(w_hs),
        ]
        m.d.sync += wr_out.eq(wr_out + aw_hs - b_hs)
        w_step = Signal()
        w_valid, _, w_len, w_row_end = burst_walker(
            m,
            "wb",
            bus_bytes=B,
            burst_len=p.burst_len,
            load=arm & is_store,
            addr0=addr0,
            stride=stride,
            n_rows=n_rows,
            row_bytes=row_bytes,
            step=w_step,
        )
        return storing, wr_out, aw_hs, w_hs, w_step, w_valid, w_len, w_row_end

    def _store_w(self, m: Module, c: SimpleNamespace, w: tuple) -> None:
        """Store, write data channel: accumulator rows through the output stage, ``wstrb``
        masks the bytes outside the row."""
        storing, wr_out, aw_hs, w_hs, w_step, w_valid, w_len, w_row_end = w
        p = self.p
        axi = self.axi
        B, lg, eb, busy, is_store, base = c.B, c.lg, c.eb, c.busy, c.is_store, c.base
        addr0, stride, n_rows, row_bytes, arm = c.addr0, c.stride, c.n_rows, c.row_bytes, c.arm
        aw_ahead = Signal(6)
        in_burst = Signal()
        remaining = Signal(10)
        w_j = Signal(6)
        row_off = Signal(range(B))
        w_row_addr = Signal(32)
        w_rows = Signal(16)
        r_load, r_base, r_count, r_valid, r_ready = entry_reader(m, self.acc_r, "accrd", 17)
        with m.If(arm & is_store):
            m.d.sync += [
                storing.eq(1),
                w_j.eq(0),
                in_burst.eq(0),
                w_rows.eq(0),
                w_row_addr.eq(addr0),
                row_off.eq(addr0[:lg] if lg else 0),
            ]
            m.d.comb += [r_load.eq(1), r_base.eq(base), r_count.eq(n_rows)]
        packed = self._output_stage(m, c)
        max_beats = (p.cols * eb + B - 1) // B + 1
        wide_w = Signal(max_beats * B * 8)
        m.d.comb += wide_w.eq(packed << (row_off * 8))
        strb = []
        for b in range(B):
            pos = w_j * B + b
            strb.append((pos >= row_off) & (pos < row_off + row_bytes))
        wlast = Signal()
        m.d.comb += wlast.eq(Mux(in_burst, remaining == 1, w_len == 1))
        m.d.comb += [
            axi.wdata.eq(wide_w.word_select(w_j, B * 8)),
            axi.wstrb.eq(Cat(*strb)),
            axi.wlast.eq(wlast),
            axi.wvalid.eq(storing & r_valid & (in_burst | ((aw_ahead != 0) & w_valid))),
        ]
        first = w_hs & ~in_burst
        m.d.sync += aw_ahead.eq(aw_ahead + aw_hs - first)
        with m.If(w_hs):
            with m.If(wlast):
                m.d.comb += w_step.eq(1)
                m.d.sync += in_burst.eq(0)
                with m.If(w_row_end):
                    m.d.comb += [r_ready.eq(1), self.ev_acc.eq(1)]
                    m.d.sync += [
                        w_j.eq(0),
                        w_rows.eq(w_rows + 1),
                        w_row_addr.eq(w_row_addr + stride),
                        row_off.eq((w_row_addr + stride)[:lg] if lg else 0),
                    ]
                with m.Else():
                    m.d.sync += w_j.eq(w_j + 1)
            with m.Else():
                m.d.sync += [
                    in_burst.eq(1),
                    remaining.eq(Mux(in_burst, remaining, w_len) - 1),
                    w_j.eq(w_j + 1),
                ]
        with m.If(storing & (w_rows == n_rows) & (wr_out == 0) & ~arm):
            m.d.sync += [storing.eq(0), busy.eq(0)]
            m.d.comb += self.done.eq(1)

    def _output_stage(self, m: Module, c: SimpleNamespace):
        """The output stage on the accumulator row being written (packed lanes)."""
        p = self.p
        scale_addr = c.scale_addr
        m.d.comb += [self.s_r.addr.eq(scale_addr), self.s_r.en.eq(1)]
        # the output stage on the accumulator row being written
        ab = p.acc_bits
        outs = []
        for j in range(p.cols):
            sc = Mux(
                self.per_channel, self.s_r.data[j * SCALE_BITS : (j + 1) * SCALE_BITS], self.scale
            )
            outs.append(
                output_lane(
                    m,
                    self.acc_r.data[j * ab : (j + 1) * ab],
                    sc,
                    self.shift,
                    self.relu,
                    ab,
                    p.in_bits,
                )
            )
        packed = Cat(*outs)
        return packed
