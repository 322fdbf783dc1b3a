"""PIM channel generator: DRAM banks with MAC lanes, a timing checker and a GEMV engine.

One channel of ``banks`` banks. Each bank keeps its ``rows x row_bytes`` cells in an Amaranth
memory, a row buffer (``ACT`` loads it, ``PRE`` writes it back) and ``lanes`` MAC lanes fed by
one column burst of the open row and the matching burst of the channel's global input buffer
(one page). Precisions and their exact arithmetic: :mod:`accelsmith.sim.golden.pim`.

Ports (``start`` and ``xin`` are :mod:`amaranth.lib.stream` valid/ready streams; ``cmd``,
``rdata`` and ``issued`` are valid + payload buses without ``ready``)
``cmd`` (in, no ready; payload ``op, ab, bank, row, col, data``)
    One host command per cycle: ``NOP 0, ACT 1, PRE 2, RD 3, WR 4, MAC 5, RD_MAC 6, WR_GB 7,
    REF 8``. ``ab`` selects all banks (PRE, MAC); ``data`` is the WR / WR_GB burst. A
    command that breaks a rule is **refused**: it has no effect, ``refused`` is high in that
    same cycle, ``rule`` gives the lowest-numbered broken rule and ``refusals`` counts them
    (the rules and codes: :mod:`accelsmith.sim.golden.pim_schedule`).
``rdata`` (out, no ready; payload ``data, mac, last``)
    RD data (one burst, ``mac = 0``) or RD_MAC data (every bank's result, bank 0 in the
    low bits; ``mac = 1``) ``tCL`` cycles after the command. RD_MAC clears the accumulators.
``start`` (in; payload ``groups, segs, last_bursts``)
    A GEMV job for the engine (accepted when it is idle and every bank is precharged). The
    engine issues, for each segment, ``WR_GB`` of the segment's bursts taken from ``xin``,
    then for each group ``ACT`` of every bank (row ``g * segs + s``), one all-bank ``MAC``
    per burst, an all-bank ``PRE``, then ``RD_MAC`` (the accumulators need no open row);
    before a group's first ``ACT`` it issues
    ``REF`` if a refresh is due. Every command goes out at the earliest cycle the checker
    allows; host commands are refused (rule ``BUSY``) meanwhile.
``xin`` (in)
    Input-vector bursts for the engine's ``WR_GB`` commands (a transfer per WR_GB).
``issued`` (out, no ready)
    The command executed in this cycle (host or engine), without data.
``busy``, ``done`` (out)
    A job is running; the job's last RD_MAC data is on ``rdata`` (``rdata.last``).

Cycle count of a job (from the ``start`` transfer to ``done``, both counted):
:func:`accelsmith.sim.golden.pim_schedule.engine_schedule` replays it exactly.
"""

from __future__ import annotations

from typing import Any

from amaranth.hdl import Cat, Const, Module, Mux, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out
from amaranth.utils import bits_for

from ..core.errors import ConfigError
from ..core.families.pim import TIMING_NAMES, PimParams
from .blocks.pim_fp import BF16, FP16, FP32, fp_add, fp_convert, fp_mul
from .blocks.pipe import delay

__all__ = ["MAX_SIM_BITS", "PimChannel", "build", "manifest_extras", "protocol_summary"]

MAX_SIM_BITS = 8 * 1024 * 1024  # 1 MiB of simulated cells
OP = {"NOP": 0, "ACT": 1, "PRE": 2, "RD": 3, "WR": 4, "MAC": 5, "RD_MAC": 6, "WR_GB": 7, "REF": 8}
RULE = {
    "STATE": 1,
    "BUSY": 2,
    "ADDR": 3,
    "tRCD": 4,
    "tRP": 5,
    "tRAS": 6,
    "tCCD": 7,
    "tRRD": 8,
    "tFAW": 9,
    "tRTP": 10,
    "tWR": 11,
    "tRFC": 12,
    "tREFI": 13,
}
_IDLE, _GB, _ACT, _MAC, _RDMAC, _PRE, _DRAIN = range(7)


def _bus(layout: data.StructLayout) -> wiring.Signature:
    """A valid + payload bus without ``ready`` (one transfer per cycle where valid is high)."""
    return wiring.Signature({"valid": Out(1), "payload": Out(layout)})


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


class PimChannel(wiring.Component):
    """A channel of PIM banks (see the module docstring for ports and protocol)."""

    def __init__(self, params: PimParams) -> None:
        self.params = p = params
        assert p.burst_bits is not None
        self.row_bits = p.row_bytes * 8
        self.bpr = p.bursts_per_row
        self.rd_bits = max(p.burst_bits, p.banks * p.result_bits)
        cmd = data.StructLayout(
            {
                "op": 4,
                "ab": 1,
                "bank": _w(p.banks),
                "row": _w(p.rows),
                "col": _w(self.bpr),
                "data": p.burst_bits,
            }
        )
        info = data.StructLayout(
            {"op": 4, "ab": 1, "bank": _w(p.banks), "row": _w(p.rows), "col": _w(self.bpr)}
        )
        job = data.StructLayout(
            {
                "groups": bits_for(p.rows),
                "segs": bits_for(p.rows),
                "last_bursts": bits_for(self.bpr),
            }
        )
        super().__init__(
            {
                "cmd": In(_bus(cmd)),
                "refused": Out(1),
                "rule": Out(4),
                "refusals": Out(16),
                "rdata": Out(_bus(data.StructLayout({"data": self.rd_bits, "mac": 1, "last": 1}))),
                "start": In(stream.Signature(job)),
                "xin": In(stream.Signature(p.burst_bits)),
                "issued": Out(_bus(info)),
                "busy": Out(1),
                "done": Out(1),
            }
        )

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _down(m: Module, name: str, t: int, load) -> Signal:
        """A counter loaded with ``t - 1`` on ``load`` and counting down to 0 (0 = met)."""
        c = Signal(range(max(t, 2)), name=name)
        with m.If(load):
            m.d.sync += c.eq(t - 1)
        with m.Elif(c != 0):
            m.d.sync += c.eq(c - 1)
        return c

    def _mac(self, m: Module, b: int, w, x, do_mac, clear) -> Any:
        """Bank ``b``'s lanes: accumulate ``w * x`` on ``do_mac``; return the RD_MAC value."""
        p = self.params
        eb = p.elem_bits
        lanes = p.lanes
        we = [w[i * eb : (i + 1) * eb] for i in range(lanes)]
        xe = [x[i * eb : (i + 1) * eb] for i in range(lanes)]
        if p.precision == "bf16":
            acc = Signal(32, name=f"acc{b}")
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
                acc = Signal(32, name=f"acc{b}_{i}")
                nxt = acc + we[i].as_signed() * xe[i].as_signed()
            else:
                acc = Signal(16, name=f"acc{b}_{i}")
                nxt = fp_add(m, fp_mul(m, we[i], FP16, xe[i], FP16, FP16), acc, FP16)
            with m.If(clear):
                m.d.sync += acc.eq(0)
            with m.Elif(do_mac):
                m.d.sync += acc.eq(nxt[: len(acc)])
            accs.append(acc)
        return Cat(*accs)

    # ------------------------------------------------------------------ elaborate
    def elaborate(self, platform):
        p = self.params
        T = p.timings()
        m = Module()
        nb, bpr = p.banks, self.bpr

        # ---------------------------------------------------------- engine state
        phase = Signal(range(7))
        j_groups = Signal(bits_for(p.rows))
        j_segs = Signal(bits_for(p.rows))
        j_last = Signal(bits_for(bpr))
        seg = Signal(bits_for(p.rows))
        grp = Signal(bits_for(p.rows))
        row_base = Signal(bits_for(2 * p.rows))
        k = Signal(range(max(nb, bpr, 2)))
        n_bursts = Signal(bits_for(bpr))
        active = phase != _IDLE
        engine_cmd = phase.matches(_GB, _ACT, _MAC, _RDMAC, _PRE)

        # ---------------------------------------------------------- timing state
        is_open = Signal(nb)
        open_row = [Signal(range(p.rows), name=f"open_row{b}") for b in range(nb)]
        refi = Signal(range(T["t_refi"] + 1))
        ref_due = refi >= T["t_refi"]

        # ---------------------------------------------------------- presented command
        op = Signal(4)
        ab = Signal()
        bank = Signal(_w(nb))
        row = Signal(_w(p.rows))
        col = Signal(_w(bpr))
        wdata = Signal(p.burst_bits)
        pvalid = Signal()
        # (if/elif chains rather than a Switch: every case statement Verilator sees is full)
        with m.If(phase == _GB):
            m.d.comb += [
                op.eq(OP["WR_GB"]),
                col.eq(k),
                wdata.eq(self.xin.payload),
                pvalid.eq(self.xin.valid),
            ]
        with m.Elif(phase == _ACT):
            with m.If((k == 0) & ref_due):
                m.d.comb += op.eq(OP["REF"])
            with m.Else():
                m.d.comb += [op.eq(OP["ACT"]), bank.eq(k), row.eq(row_base + seg)]
            m.d.comb += pvalid.eq(1)
        with m.Elif(phase == _MAC):
            m.d.comb += [op.eq(OP["MAC"]), ab.eq(1), col.eq(k), pvalid.eq(1)]
        with m.Elif(phase == _RDMAC):
            m.d.comb += [op.eq(OP["RD_MAC"]), pvalid.eq(1)]
        with m.Elif(phase == _PRE):
            m.d.comb += [op.eq(OP["PRE"]), ab.eq(1), pvalid.eq(1)]
        with m.Elif(~active):
            c = self.cmd.payload
            m.d.comb += [
                op.eq(c.op),
                ab.eq(c.ab),
                bank.eq(c.bank),
                row.eq(c.row),
                col.eq(c.col),
                wdata.eq(c.data),
                pvalid.eq(self.cmd.valid),
            ]

        def is_op(*names: str):
            return op.matches(*(OP[n] for n in names))

        # ---------------------------------------------------------- rule checks
        ok = Signal()
        ex = Signal()  # the presented command executes this cycle
        bank_hit = Signal(nb)  # banks addressed (ab: all)
        m.d.comb += bank_hit.eq(Mux(ab, (1 << nb) - 1, Const(1, nb) << bank) if nb > 1 else 1)
        ex_of = lambda *names: ex & is_op(*names)  # noqa: E731

        act_ev = ex_of("ACT")
        col_ev = ex_of("RD", "WR", "MAC", "RD_MAC", "WR_GB")
        ref_ev = ex_of("REF")
        ccd = self._down(m, "ccd", T["t_ccd"], col_ev)
        rrd = self._down(m, "rrd", T["t_rrd"], act_ev)
        rfc = self._down(m, "rfc", T["t_rfc"], ref_ev)
        faw_ptr = Signal(2)
        faw = []
        for i in range(4):
            faw.append(self._down(m, f"faw{i}", T["t_faw"], act_ev & (faw_ptr == i)))
        with m.If(act_ev):
            m.d.sync += faw_ptr.eq(faw_ptr + 1)
        faw_busy = Signal()
        _select(m, faw_busy, [f != 0 for f in faw], faw_ptr)
        with m.If(ref_ev):
            m.d.sync += refi.eq(1)
        with m.Elif(~ref_due):
            m.d.sync += refi.eq(refi + 1)

        pre_hit = Signal(nb)
        m.d.comb += pre_hit.eq(bank_hit & is_open)
        rcd, ras, rp, rtp, wr = [], [], [], [], []
        for b in range(nb):
            hit = bank_hit[b]
            rcd.append(self._down(m, f"rcd{b}", T["t_rcd"], act_ev & hit))
            ras.append(self._down(m, f"ras{b}", T["t_ras"], act_ev & hit))
            rp.append(self._down(m, f"rp{b}", T["t_rp"], ex_of("PRE") & pre_hit[b]))
            rtp.append(self._down(m, f"rtp{b}", T["t_rtp"], ex_of("RD", "MAC") & hit))
            wr.append(self._down(m, f"wr{b}", T["t_wr"], ex_of("WR") & hit))
        rcd_busy = Cat(*[r != 0 for r in rcd])
        ras_busy = Cat(*[r != 0 for r in ras])
        rp_busy = Cat(*[r != 0 for r in rp])
        rtp_busy = Cat(*[r != 0 for r in rtp])
        wr_busy = Cat(*[r != 0 for r in wr])

        bad_addr = (
            (op > OP["REF"]) | (row >= p.rows) | (col >= bpr) | (ab & is_op("ACT", "RD", "WR"))
        )
        if nb & (nb - 1) or nb == 1:
            bad_addr = bad_addr | (bank >= nb)
        is_col = is_op("RD", "WR", "MAC", "RD_MAC", "WR_GB")
        is_acc = is_op("RD", "WR", "MAC")
        v = {
            "STATE": (is_op("ACT") & (is_open & bank_hit).any())
            | (is_acc & ((bank_hit & ~is_open) != 0))
            | (is_op("REF") & is_open.any()),
            "ADDR": bad_addr,
            "tRCD": is_acc & (bank_hit & rcd_busy).any(),
            "tRP": (is_op("ACT") & (bank_hit & rp_busy).any()) | (is_op("REF") & rp_busy.any()),
            "tRAS": is_op("PRE") & (pre_hit & ras_busy).any(),
            "tCCD": is_col & (ccd != 0),
            "tRRD": is_op("ACT") & (rrd != 0),
            "tFAW": is_op("ACT") & faw_busy,
            "tRTP": is_op("PRE") & (pre_hit & rtp_busy).any(),
            "tWR": is_op("PRE") & (pre_hit & wr_busy).any(),
            "tRFC": is_op("ACT", "REF") & (rfc != 0),
            "tREFI": is_op("ACT") & ref_due & ~is_open.any(),
        }
        code = Signal(4)
        with m.If(is_op("NOP")):
            m.d.comb += code.eq(0)
        with m.Elif(bad_addr):
            m.d.comb += code.eq(RULE["ADDR"])
        with m.Else():
            for name in reversed(list(RULE)):  # the lowest-numbered broken rule wins
                if name in ("BUSY", "ADDR"):
                    continue
                with m.If(v[name]):
                    m.d.comb += code.eq(RULE[name])
        m.d.comb += [ok.eq(code == 0), ex.eq(pvalid & ok & ~is_op("NOP"))]

        host_ref = Signal()
        m.d.comb += host_ref.eq(self.cmd.valid & (self.cmd.payload.op != OP["NOP"]))
        with m.If(active):
            m.d.comb += [self.refused.eq(host_ref), self.rule.eq(Mux(host_ref, RULE["BUSY"], 0))]
        with m.Else():
            m.d.comb += [self.refused.eq(host_ref & ~ok), self.rule.eq(Mux(host_ref, code, 0))]
        with m.If(self.refused & (self.refusals != 0xFFFF)):
            m.d.sync += self.refusals.eq(self.refusals + 1)
        m.d.comb += [
            self.issued.valid.eq(ex),
            self.issued.payload.op.eq(op),
            self.issued.payload.ab.eq(ab),
            self.issued.payload.bank.eq(bank),
            self.issued.payload.row.eq(row),
            self.issued.payload.col.eq(col),
        ]

        # ---------------------------------------------------------- banks and datapath
        gb = [Signal(p.burst_bits, name=f"gb{i}") for i in range(bpr)]
        x_burst = Signal(p.burst_bits)
        _select(m, x_burst, gb, col)
        with m.If(ex_of("WR_GB")):
            for i in range(bpr):  # per-register enables: no partial case statement
                with m.If(col == i):
                    m.d.sync += gb[i].eq(wdata)
        mac_words, rd_bursts = [], []
        for b in range(nb):
            mem = Memory(shape=unsigned(self.row_bits), depth=p.rows, init=[])
            m.submodules[f"bank{b}"] = mem
            rport = mem.read_port(domain="comb")
            wport = mem.write_port()
            rowbuf = [Signal(p.burst_bits, name=f"rb{b}_{i}") for i in range(bpr)]
            hit = bank_hit[b]
            m.d.comb += [
                rport.addr.eq(row),
                wport.addr.eq(open_row[b]),
                wport.data.eq(Cat(*rowbuf)),
                wport.en.eq(ex_of("PRE") & pre_hit[b]),
            ]
            with m.If(act_ev & hit):
                m.d.sync += open_row[b].eq(row)
                m.d.sync += [
                    rowbuf[i].eq(rport.data[i * p.burst_bits : (i + 1) * p.burst_bits])
                    for i in range(bpr)
                ]
            with m.If(ex_of("WR") & hit):
                for i in range(bpr):
                    with m.If(col == i):
                        m.d.sync += rowbuf[i].eq(wdata)
            w_burst = Signal(p.burst_bits, name=f"wb{b}")
            _select(m, w_burst, rowbuf, col)
            rd_bursts.append(w_burst)
            mac_words.append(self._mac(m, b, w_burst, x_burst, ex_of("MAC") & hit, ex_of("RD_MAC")))
        for b in range(nb):
            with m.If(act_ev & bank_hit[b]):
                m.d.sync += is_open[b].eq(1)
            with m.Elif(ex_of("PRE") & pre_hit[b]):
                m.d.sync += is_open[b].eq(0)

        # read pipeline: data tCL cycles after the command
        rd_now = Signal(self.rd_bits)
        with m.If(is_op("RD")):
            rd_sel = Signal(p.burst_bits)
            _select(m, rd_sel, rd_bursts, bank)
            m.d.comb += rd_now.eq(rd_sel)
        with m.Else():
            m.d.comb += rd_now.eq(Cat(*mac_words))
        last_now = Signal()
        m.d.comb += last_now.eq(
            ex_of("RD_MAC") & (phase == _RDMAC) & (grp == j_groups - 1) & (seg == j_segs - 1)
        )
        m.d.comb += [
            self.rdata.valid.eq(delay(m, ex_of("RD", "RD_MAC"), T["t_cl"], "rdv")),
            self.rdata.payload.data.eq(delay(m, rd_now, T["t_cl"], "rdd")),
            self.rdata.payload.mac.eq(delay(m, is_op("RD_MAC"), T["t_cl"], "rdm")),
            self.rdata.payload.last.eq(delay(m, last_now, T["t_cl"], "rdl")),
        ]
        m.d.comb += self.done.eq(self.rdata.valid & self.rdata.payload.last)

        # ---------------------------------------------------------- engine
        m.d.comb += self.busy.eq(active)
        m.d.comb += self.start.ready.eq((phase == _IDLE) & ~is_open.any())
        eng_ex = ex & engine_cmd
        m.d.comb += self.xin.ready.eq(eng_ex & (phase == _GB))
        with m.If(self.start.valid & self.start.ready):
            j = self.start.payload
            m.d.sync += [
                j_groups.eq(j.groups),
                j_segs.eq(j.segs),
                j_last.eq(j.last_bursts),
                seg.eq(0),
                grp.eq(0),
                row_base.eq(0),
                k.eq(0),
                n_bursts.eq(Mux(j.segs == 1, j.last_bursts, bpr)),
                phase.eq(_GB),
            ]
        with m.If(eng_ex):
            with m.If(phase == _GB):
                with m.If(k == n_bursts - 1):
                    m.d.sync += [k.eq(0), phase.eq(_ACT)]
                with m.Else():
                    m.d.sync += k.eq(k + 1)
            with m.Elif((phase == _ACT) & is_op("ACT")):
                with m.If(k == nb - 1):
                    m.d.sync += [k.eq(0), phase.eq(_MAC)]
                with m.Else():
                    m.d.sync += k.eq(k + 1)
            with m.Elif(phase == _MAC):
                with m.If(k == n_bursts - 1):
                    m.d.sync += [k.eq(0), phase.eq(_PRE)]
                with m.Else():
                    m.d.sync += k.eq(k + 1)
            with m.Elif(phase == _PRE):
                m.d.sync += phase.eq(_RDMAC)
            with m.Elif(phase == _RDMAC):
                with m.If(grp == j_groups - 1):
                    with m.If(seg == j_segs - 1):
                        m.d.sync += phase.eq(_DRAIN)
                    with m.Else():
                        m.d.sync += [
                            seg.eq(seg + 1),
                            grp.eq(0),
                            row_base.eq(0),
                            n_bursts.eq(Mux(seg + 2 == j_segs, j_last, bpr)),
                            phase.eq(_GB),
                        ]
                with m.Else():
                    m.d.sync += [
                        grp.eq(grp + 1),
                        row_base.eq(row_base + j_segs),
                        phase.eq(_ACT),
                    ]
        with m.If((phase == _DRAIN) & self.done):
            m.d.sync += phase.eq(_IDLE)
        return m


def build(params: PimParams) -> PimChannel:
    """Build the PIM channel for ``params`` (simulation-sized memories only)."""
    bits = params.rows * params.row_bytes * 8 * params.banks
    if bits > MAX_SIM_BITS:
        raise ConfigError(
            "rows * row_bytes * banks must be at most 1 MiB for the generator (it holds "
            f"every cell in simulation memories), not {bits // 8} bytes; use fewer --rows "
            f"(at most {MAX_SIM_BITS // (8 * params.row_bytes * params.banks)} here: timing, "
            "lanes and banks are unchanged)"
        )
    return PimChannel(params)


def protocol_summary(params: PimParams) -> dict[str, str]:
    """Manifest-ready description of the ports (see the module docstring)."""
    return {
        "clock": "single clock `clk`, synchronous active-high `rst`",
        "cmd": "always-ready command bus: op (NOP 0, ACT 1, PRE 2, RD 3, WR 4, MAC 5, RD_MAC 6, "
        "WR_GB 7, REF 8), ab (all banks: PRE, MAC), bank, row, col, data (WR / WR_GB burst)",
        "refused": "high in the cycle an illegal command is presented; it has no effect; rule "
        "= lowest broken rule: STATE 1, BUSY 2, ADDR 3, tRCD 4, tRP 5, tRAS 6, tCCD 7, tRRD 8, "
        "tFAW 9, tRTP 10, tWR 11, tRFC 12, tREFI 13",
        "rdata": f"RD burst or RD_MAC data (bank 0 in the low bits; {params.result_bits} bits "
        f"per bank) tCL = {params.t_cl} cycles after the command; RD_MAC clears the accumulators",
        "start": "GEMV job (groups, segs, last_bursts); accepted when idle with every bank "
        "precharged; the engine takes WR_GB data from xin and issues each command at the "
        "earliest legal cycle",
        "layout": "output row i -> bank i mod banks, group i // banks; segment s of weight row "
        "in DRAM row group * segs + s; one page of x per global-buffer load",
        "payload_packing": "element i of a burst occupies bits [i*w, (i+1)*w)",
    }


def manifest_extras(params: PimParams) -> dict[str, Any]:
    """PIM manifest sections: protocol, resolved timing and MAC arithmetic."""
    from ..core.families.pim import PRESETS

    return {
        "protocol": protocol_summary(params),
        "timing_cycles": {TIMING_NAMES[k]: v for k, v in params.timings().items()},
        "timing_source": PRESETS.get(params.timing, {}).get("source", "custom"),
        "arithmetic": {
            "precision": params.precision,
            "lanes": params.lanes,
            "burst_bits": params.burst_bits,
            "result_bits_per_bank": params.result_bits,
            "latency": "accelsmith.sim.golden.pim_schedule.engine_schedule gives every command "
            "cycle and the job's cycle count exactly",
        },
    }
