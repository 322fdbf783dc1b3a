"""The ``accel`` top: AXI4-Lite registers, command queue, checks, dispatcher, memories, the
compute unit (systolic array) and the DMA unit (AXI4 master).

The register map, the command encoding and the error codes come from
:mod:`accelsmith.core.accel_isa`, which the compiler reads as well.
"""

from __future__ import annotations

from types import SimpleNamespace

from amaranth.hdl import Cat, Module, Mux, Signal, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ...core import accel_isa as isa
from ...core.families.accel import AccelParams
from .axi import Axi4, AxiLite
from .compute import ComputeUnit
from .dma import DmaUnit
from .memory import Sram

__all__ = ["AccelTop", "command_layout"]


def command_layout(op: str) -> data.FlexibleLayout:
    """The 128-bit command ``op`` as an Amaranth layout (fields from the ISA table)."""
    return data.FlexibleLayout(
        isa.CMD_BITS,
        {f.name: data.Field(unsigned(f.width), f.lsb) for f in isa.FIELDS[op]},
    )


class AccelTop(wiring.Component):
    """A complete accelerator around a systolic array.

    Parameters
    ----------
    params : AccelParams

    Members
    -------
    s_axil : In(AxiLite(6))
        Control and status registers (:data:`accelsmith.core.accel_isa.REGISTERS`).
    m_axi : Out(Axi4(bus_bits))
        DRAM port of the DMA unit.
    idle : Out(1)
        Queue empty and both units idle (``STATUS`` bit 0).
    error : Out(1)
        A command was refused (``STATUS`` bit 1); usable as an interrupt.
    active : Out(1)
        Work is queued or running and ``CTRL.hold`` is low (cycle counting).
    """

    def __init__(self, params: AccelParams) -> None:
        self.params = params
        super().__init__(
            {
                "s_axil": In(AxiLite(isa.REG_ADDR_BITS)),
                "m_axi": Out(Axi4(params.bus_bits)),
                "idle": Out(1),
                "error": Out(1),
                "active": Out(1),
            }
        )

    def _memories(self, m: Module) -> dict[str, Sram]:
        p = self.params
        assert p.acc_bits is not None
        mems = {
            "spad_a": Sram(depth=2 * p.a_entries, lanes=p.rows, lane_bits=p.in_bits),
            "spad_b": Sram(depth=2 * p.b_entries, lanes=p.cols, lane_bits=p.in_bits),
            "acc": Sram(depth=2 * p.acc_entries, lanes=p.cols, lane_bits=p.acc_bits, read_ports=2),
            "scales": Sram(
                depth=p.scale_entries,
                lanes=p.cols * isa.SCALE_BITS // p.in_bits,
                lane_bits=p.in_bits,
            ),
            # each entry: the command and its index (ACCEPTED when it was pushed, 16 bits)
            "cmdq": Sram(
                depth=p.queue_depth, lanes=1, lane_bits=isa.CMD_BITS + 16, transparent=True
            ),
        }
        for name, mem in mems.items():
            m.submodules[name] = mem
        return mems

    def _check(self, m: Module, h) -> Signal:
        """Error code (0: none) of command ``h`` against the limits and DRAM_SIZE."""
        p = self.params
        eb = p.in_bits // 8
        err = Signal(3)
        op = h[:4]
        ld, st = command_layout("load")(h), command_layout("store")(h)
        cp, cf = command_layout("compute")(h), command_layout("config")(h)
        dram_size = self.dram_size

        def code(bad, spad_bad, dram_bad):
            return Mux(bad, 1, Mux(spad_bad, 2, Mux(dram_bad, 3, 0)))

        with m.If(op == isa.OPCODES["config"]):
            m.d.comb += err.eq(Mux(cf.shift >= p.acc_bits + isa.SCALE_BITS, 1, 0))
        with m.Elif(op == isa.OPCODES["load"]):
            t = ld.target
            lanes = Mux(t == 0, p.rows, p.cols)
            entries = Mux(t == 0, p.a_entries, Mux(t == 1, p.b_entries, p.scale_entries))
            ebytes = Mux(t == 2, 2, eb)
            mis = (ebytes == 2) & (ld.dram_addr[0] | ld.stride[0])
            bad = (
                (t == 3)
                | (ld.n_rows == 0)
                | (ld.row_elems == 0)
                | (ld.transpose & (t == 2))
                | mis
                | Mux(ld.transpose, ld.lane + ld.n_rows > lanes, ld.lane + ld.row_elems > lanes)
            )
            spad_bad = Mux(
                ld.transpose,
                ld.spad_addr + ld.row_elems > entries,
                ld.spad_addr + ld.n_rows > entries,
            )
            end = ld.dram_addr + (ld.n_rows - 1) * ld.stride + ld.row_elems * ebytes
            m.d.comb += err.eq(code(bad, spad_bad, end > dram_size))
        with m.Elif(op == isa.OPCODES["store"]):
            mis = (eb == 2) & (st.dram_addr[0] | st.stride[0])
            bad = (st.n_rows == 0) | (st.row_elems == 0) | (st.row_elems > p.cols) | mis
            spad_bad = (st.acc_addr + st.n_rows > p.acc_entries) | (
                st.scale_addr >= p.scale_entries
            )
            end = st.dram_addr + (st.n_rows - 1) * st.stride + st.row_elems * eb
            m.d.comb += err.eq(code(bad, spad_bad, end > dram_size))
        with m.Elif(op == isa.OPCODES["compute"]):
            a_need = cp.k if p.dataflow == "os" else (cp.k + (p.rows - 1)) // p.rows * p.rows
            bad = (cp.k == 0) | (cp.k > p.max_k)
            spad_bad = (
                (cp.a_addr + a_need > p.a_entries)
                | (cp.b_addr + cp.k > p.b_entries)
                | (cp.acc_addr + p.rows > p.acc_entries)
            )
            m.d.comb += err.eq(code(bad, spad_bad, 0))
        with m.Elif(op == isa.OPCODES["fence"]):
            m.d.comb += err.eq(0)
        with m.Else():
            m.d.comb += err.eq(1)
        return err

    def elaborate(self, platform):
        p = self.params
        m = Module()
        mems = self._memories(m)
        m.submodules.ex = ex = ComputeUnit(p, command_layout("compute"))
        m.submodules.dma = dma = DmaUnit(p, command_layout("load"), command_layout("store"))
        wiring.connect(m, ex.a, mems["spad_a"].r0)
        wiring.connect(m, ex.b, mems["spad_b"].r0)
        wiring.connect(m, ex.acc_r, mems["acc"].r0)
        wiring.connect(m, ex.acc_w, mems["acc"].w)
        wiring.connect(m, dma.a_w, mems["spad_a"].w)
        wiring.connect(m, dma.b_w, mems["spad_b"].w)
        wiring.connect(m, dma.s_w, mems["scales"].w)
        wiring.connect(m, dma.acc_r, mems["acc"].r1)
        wiring.connect(m, dma.s_r, mems["scales"].r0)
        wiring.connect(m, dma.axi, wiring.flipped(self.m_axi))
        r = SimpleNamespace(ex=ex, dma=dma)
        self._registers(m, r)
        self._queue(m, mems, r)
        self._axil_write(m, r)
        self._axil_read(m, r)
        self._issue(m, r)
        self._drive_units(m, r)
        self._counters(m, r, mems)
        return m

    def _counters(self, m: Module, r: SimpleNamespace, mems: dict[str, Sram]) -> None:
        """Performance counters (:data:`accelsmith.core.accel_isa.COUNTERS`): 32-bit event
        counts since reset, read over AXI4-Lite (see ``_axil_read``)."""
        ex, dma = r.ex, r.dma
        events = {
            "active": self.active,
            "ex_busy": ex.busy,
            "a_reads": ex.ev_a,
            "b_reads": ex.ev_b,
            "acc_rmw": ex.ev_acc,
            "a_writes": mems["spad_a"].w.en != 0,
            "b_writes": mems["spad_b"].w.en != 0,
            "s_writes": mems["scales"].w.en != 0,
            "acc_reads": dma.ev_acc,
            "rd_beats": dma.ev_rd,
            "wr_beats": dma.ev_wr,
            "dma_busy": dma.busy,
            "dma_wait": dma.ev_wait,
        }
        for name, key, _ in isa.COUNTERS:
            count = r.counters[name]
            m.d.sync += count.eq(count + events[key])

    def _registers(self, m: Module, r: SimpleNamespace) -> None:
        """Control and status registers (the AXI4-Lite map) and the cycle counter."""
        dram_base = Signal(32)
        self.dram_size = Signal(32)
        cmdw = [Signal(32, name=f"cmdw{i}") for i in range(3)]
        shift, relu, per_channel = Signal(6), Signal(), Signal()
        scale = Signal(isa.SCALE_BITS, init=1)
        err_code = Signal(4)
        err_idx = Signal(16)
        halted = Signal()
        hold = Signal()
        retired = Signal(32)
        accepted = Signal(32)
        cycles = Signal(32)
        m.d.sync += cycles.eq(cycles + 1)
        # performance counters: counted in `_counters`, read in `_axil_read`
        r.counters = {name: Signal(32, name=name.lower()) for name, _, _ in isa.COUNTERS}
        vars(r).update(
            dram_base=dram_base,
            cmdw=cmdw,
            shift=shift,
            relu=relu,
            per_channel=per_channel,
            scale=scale,
            err_code=err_code,
            err_idx=err_idx,
            halted=halted,
            hold=hold,
            retired=retired,
            accepted=accepted,
            cycles=cycles,
        )

    def _queue(self, m: Module, mems: dict[str, Sram], r: SimpleNamespace) -> None:
        """The command queue: a ring buffer in ``cmdq``; ``h`` is its head."""
        p = self.params
        q = mems["cmdq"]
        depth = p.queue_depth
        wptr = Signal(range(depth))
        rptr = Signal(range(depth))
        count = Signal(range(depth + 1))
        push, pop, clear = Signal(), Signal(), Signal()
        inc_r = Mux(rptr == depth - 1, 0, rptr + 1)
        m.d.comb += [q.r0.addr.eq(Mux(pop, inc_r, rptr)), q.r0.en.eq(1)]
        h = q.r0.data[: isa.CMD_BITS]
        h_idx = q.r0.data[isa.CMD_BITS :]
        h_valid = count != 0
        with m.If(clear):
            m.d.sync += [rptr.eq(wptr), count.eq(0)]
        with m.Else():
            m.d.sync += count.eq(count + push - pop)
            with m.If(pop):
                m.d.sync += rptr.eq(inc_r)
        with m.If(push):
            m.d.sync += wptr.eq(Mux(wptr == depth - 1, 0, wptr + 1))
        vars(r).update(
            q=q,
            depth=depth,
            wptr=wptr,
            rptr=rptr,
            count=count,
            push=push,
            pop=pop,
            clear=clear,
            h=h,
            h_idx=h_idx,
            h_valid=h_valid,
        )

    def _axil_write(self, m: Module, r: SimpleNamespace) -> None:
        """AXI4-Lite writes: registers, and ``CMD3`` pushes the command."""
        count, depth, clear, hold, dram_base = r.count, r.depth, r.clear, r.hold, r.dram_base
        push, accepted, cmdw, q, wptr = r.push, r.accepted, r.cmdw, r.q, r.wptr
        s = self.s_axil
        bvalid, rvalid = Signal(), Signal()
        rdata = Signal(32)
        m.d.comb += [s.bvalid.eq(bvalid), s.bresp.eq(0), s.rvalid.eq(rvalid), s.rresp.eq(0)]
        m.d.comb += s.rdata.eq(rdata)
        wr = Signal()
        m.d.comb += wr.eq(s.awvalid & s.wvalid & ~bvalid)
        m.d.comb += [s.awready.eq(wr), s.wready.eq(wr)]
        with m.If(bvalid & s.bready):
            m.d.sync += bvalid.eq(0)
        full = count == depth
        waddr = s.awaddr[2:]
        overflow = Signal()
        with m.If(wr):
            m.d.sync += bvalid.eq(1)
            with m.If(waddr == isa.REG["CTRL"] >> 2):
                m.d.comb += clear.eq(s.wdata[0])
                m.d.sync += hold.eq(s.wdata[1])
            with m.Elif(waddr == isa.REG["DRAM_BASE"] >> 2):
                m.d.sync += dram_base.eq(Cat(Signal(6), s.wdata[6:]))
            with m.Elif(waddr == isa.REG["DRAM_SIZE"] >> 2):
                m.d.sync += self.dram_size.eq(s.wdata)
            with m.Elif(waddr == isa.REG["CMD3"] >> 2):
                m.d.comb += [push.eq(~full), overflow.eq(full)]
                m.d.sync += accepted.eq(accepted + 1)
            for i in range(3):
                with m.If(waddr == (isa.REG["CMD0"] >> 2) + i):
                    m.d.sync += cmdw[i].eq(s.wdata)
        m.d.comb += [
            q.w.addr.eq(wptr),
            q.w.data.eq(Cat(*cmdw, s.wdata, accepted[:16])),
            q.w.en.eq(push & ~clear),
        ]
        vars(r).update(
            s=s,
            rvalid=rvalid,
            rdata=rdata,
            full=full,
            overflow=overflow,
        )

    def _axil_read(self, m: Module, r: SimpleNamespace) -> None:
        """Status and AXI4-Lite reads."""
        s, rvalid, rdata, err_code, full, hold = r.s, r.rvalid, r.rdata, r.err_code, r.full, r.hold
        count, err_idx, retired, dram_base = r.count, r.err_idx, r.retired, r.dram_base
        cycles, accepted = r.cycles, r.accepted
        status = Signal(32)
        idle = Signal()
        m.d.comb += [self.idle.eq(idle), self.error.eq(err_code != 0)]
        m.d.comb += status.eq(Cat(idle, err_code != 0, full, hold, Signal(12), count))
        rd = Signal()
        m.d.comb += [rd.eq(s.arvalid & ~rvalid), s.arready.eq(rd)]
        with m.If(rvalid & s.rready):
            m.d.sync += rvalid.eq(0)
        values = {
            "ID": isa.ID_VALUE,
            "STATUS": status,
            "ERROR": Cat(err_code, Signal(12), err_idx),
            "RETIRED": retired,
            "DRAM_BASE": dram_base,
            "DRAM_SIZE": self.dram_size,
            "CYCLES": cycles,
            "ACCEPTED": accepted,
        }
        values |= r.counters
        with m.If(rd):
            m.d.sync += rvalid.eq(1)
            m.d.sync += rdata.eq(0)
            for name, value in values.items():
                with m.If(s.araddr[2:] == isa.REG[name] >> 2):
                    m.d.sync += rdata.eq(value)
        vars(r).update(
            idle=idle,
        )

    def _issue(self, m: Module, r: SimpleNamespace) -> None:
        """Check the head command, dispatch it when its unit and banks are free; errors halt."""
        ex, dma, halted, hold, clear, h_valid = r.ex, r.dma, r.halted, r.hold, r.clear, r.h_valid
        pop, h, h_idx, err_code, err_idx = r.pop, r.h, r.h_idx, r.err_code, r.err_idx
        overflow, accepted = r.overflow, r.accepted
        cur = Signal(isa.CMD_BITS)
        cur_valid = Signal()
        cur_err = Signal(3)
        cur_idx = Signal(16)
        dispatch = Signal()
        op = cur[:4]
        ops = isa.OPCODES
        hz_a, hz_b, hz_acc = Signal(), Signal(), Signal()  # banks of the running compute
        d_kind = Signal(2)  # running DMA command: 0 load A, 1 load B, 2 load scales, 3 store
        d_bank = Signal()
        ld = command_layout("load")(cur)
        st = command_layout("store")(cur)
        cp = command_layout("compute")(cur)
        cf = command_layout("config")(cur)
        ex_conflict = ex.busy & Mux(
            op == ops["store"],
            hz_acc == st.bank,
            Mux(ld.target == 0, hz_a == ld.bank, Mux(ld.target == 1, hz_b == ld.bank, 0)),
        )
        dma_conflict = dma.busy & Mux(
            d_kind == 3,
            d_bank == cp.acc_bank,
            Mux(d_kind == 0, d_bank == cp.a_bank, Mux(d_kind == 1, d_bank == cp.b_bank, 0)),
        )
        both_idle = ~ex.busy & ~dma.busy
        can = Signal()
        with m.If((op == ops["config"]) | (op == ops["fence"])):
            m.d.comb += can.eq(both_idle)
        with m.Elif((op == ops["load"]) | (op == ops["store"])):
            m.d.comb += can.eq(~dma.busy & ~ex_conflict)
        with m.Elif(op == ops["compute"]):
            m.d.comb += can.eq(~ex.busy & ~dma_conflict)
        with m.Else():
            pass
        m.d.comb += dispatch.eq(cur_valid & (cur_err == 0) & ~halted & ~hold & can & ~clear)
        m.d.comb += pop.eq(h_valid & (~cur_valid | dispatch) & ~halted & ~clear)
        err = self._check(m, h)
        with m.If(clear):
            m.d.sync += [cur_valid.eq(0), halted.eq(0), err_code.eq(0)]
        with m.Elif(pop):
            m.d.sync += [cur.eq(h), cur_valid.eq(1), cur_err.eq(err), cur_idx.eq(h_idx)]
        with m.Elif(dispatch):
            m.d.sync += cur_valid.eq(0)
        with m.If(~clear & cur_valid & (cur_err != 0) & ~halted):
            m.d.sync += [
                err_code.eq(cur_err),
                err_idx.eq(cur_idx),
                halted.eq(1),
                cur_valid.eq(0),
            ]
        with m.If(overflow & ~halted & ~clear):
            m.d.sync += [err_code.eq(4), err_idx.eq(accepted), halted.eq(1)]
        vars(r).update(
            cur=cur,
            cur_valid=cur_valid,
            dispatch=dispatch,
            op=op,
            ops=ops,
            hz_a=hz_a,
            hz_b=hz_b,
            hz_acc=hz_acc,
            d_kind=d_kind,
            d_bank=d_bank,
            ld=ld,
            st=st,
            cp=cp,
            cf=cf,
        )

    def _drive_units(self, m: Module, r: SimpleNamespace) -> None:
        """Start the compute unit or the DMA; track busy banks, config and retirement."""
        ex, dma, dispatch, op, ops, cur = r.ex, r.dma, r.dispatch, r.op, r.ops, r.cur
        dram_base, shift, relu, per_channel = r.dram_base, r.shift, r.relu, r.per_channel
        scale, hz_a, hz_b, hz_acc, cp, ld, st = r.scale, r.hz_a, r.hz_b, r.hz_acc, r.cp, r.ld, r.st
        d_kind, d_bank, cf, retired, idle = r.d_kind, r.d_bank, r.cf, r.retired, r.idle
        h_valid, cur_valid, hold = r.h_valid, r.cur_valid, r.hold
        m.d.comb += [
            ex.start.eq(dispatch & (op == ops["compute"])),
            ex.cmd.eq(cur),
            dma.start.eq(dispatch & ((op == ops["load"]) | (op == ops["store"]))),
            dma.cmd.eq(cur),
            dma.dram_base.eq(dram_base),
            dma.shift.eq(shift),
            dma.relu.eq(relu),
            dma.per_channel.eq(per_channel),
            dma.scale.eq(scale),
        ]
        with m.If(dispatch):
            with m.If(op == ops["compute"]):
                m.d.sync += [hz_a.eq(cp.a_bank), hz_b.eq(cp.b_bank), hz_acc.eq(cp.acc_bank)]
            with m.Elif(op == ops["load"]):
                m.d.sync += [d_kind.eq(ld.target), d_bank.eq(ld.bank)]
            with m.Elif(op == ops["store"]):
                m.d.sync += [d_kind.eq(3), d_bank.eq(st.bank)]
            with m.Elif(op == ops["config"]):
                m.d.sync += [
                    shift.eq(cf.shift),
                    relu.eq(cf.relu),
                    per_channel.eq(cf.per_channel),
                    scale.eq(cf.scale),
                ]
        simple = dispatch & ((op == ops["config"]) | (op == ops["fence"]))
        m.d.sync += retired.eq(retired + ex.done + dma.done + simple)
        m.d.comb += idle.eq(~h_valid & ~cur_valid & ~ex.busy & ~dma.busy)
        m.d.comb += self.active.eq(~idle & ~hold)
