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

from amaranth.hdl import Cat, Const, Module, Mux, Signal, Value
from amaranth.lib import data, enum, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import bits_for

from ..core.errors import ConfigError
from ..core.families.pim import TIMING_NAMES, PimParams
from .blocks.pipe import delay
from .hier import place
from .pim_bank import PimBank, _down, _select, _w

__all__ = [
    "MAX_SIM_BITS",
    "Phase",
    "PimBank",
    "PimChannel",
    "build",
    "manifest_extras",
    "protocol_summary",
]

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


class Phase(enum.Enum, shape=3):
    """The GEMV engine's phase: which command it presents next."""

    IDLE = 0  #: no job; host commands pass
    GB = 1  #: WR_GB of the segment's input bursts (from ``xin``)
    ACT = 2  #: REF if due, then ACT of every bank (row ``group * segs + seg``)
    MAC = 3  #: one all-bank MAC per burst
    RDMAC = 4  #: RD_MAC: the group's results leave on ``rdata``
    PRE = 5  #: all-bank PRE
    DRAIN = 6  #: the last RD_MAC's data is on its way (``tCL``)


def _bus(layout: data.StructLayout) -> wiring.Signature:
    """A valid + payload bus without ``ready`` (one transfer per cycle where valid is high)."""
    return wiring.Signature({"valid": Out(1), "payload": Out(layout)})


class PimChannel(wiring.Component):
    """A channel of PIM banks (see the module docstring for ports and protocol)."""

    def __init__(self, params: PimParams) -> None:
        self.params = p = params
        #: ``(params, index) -> bank component`` (the calibration's ``pimctl`` component
        #: replaces the banks by register ports: accelsmith.synth.components_pim)
        self.bank_factory = lambda params, index: PimBank(params)
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

    # ------------------------------------------------------------------ elaborate
    def elaborate(self, platform):
        m = Module()
        st = self._engine_state()
        self._present(m, st)
        self._rules(m, st)
        self._datapath(m, st)
        self._engine(m, st)
        return m

    def _engine_state(self) -> dict[str, Any]:
        """The engine's registers (job, position, phase) and the per-bank state signals."""
        p, nb, bpr = self.params, self.params.banks, self.bpr
        phase = Signal(Phase)
        return {
            "phase": phase,
            "j_groups": Signal(bits_for(p.rows)),
            "j_segs": Signal(bits_for(p.rows)),
            "j_last": Signal(bits_for(bpr)),
            "seg": Signal(bits_for(p.rows)),
            "grp": Signal(bits_for(p.rows)),
            "row_base": Signal(bits_for(2 * p.rows)),
            "k": Signal(range(max(nb, bpr, 2))),
            "n_bursts": Signal(bits_for(bpr)),
            "active": phase != Phase.IDLE,
            "engine_cmd": phase.as_value().matches(
                Phase.GB, Phase.ACT, Phase.MAC, Phase.RDMAC, Phase.PRE
            ),
            "is_open": Signal(nb),
            "refi": Signal(range(p.timings()["t_refi"] + 1)),
        }

    def _present(self, m: Module, st: dict[str, Any]) -> None:
        """The presented command: the engine's in its phases, else the host's ``cmd``."""
        p, bpr = self.params, self.bpr
        T = p.timings()
        phase, k = st["phase"], st["k"]
        st["ref_due"] = ref_due = st["refi"] >= T["t_refi"]
        st.update(
            op=Signal(4),
            ab=Signal(),
            bank=Signal(_w(p.banks)),
            row=Signal(_w(p.rows)),
            col=Signal(_w(bpr)),
            wdata=Signal(p.burst_bits),
            pvalid=Signal(),
        )
        op, ab, bank, row, col = st["op"], st["ab"], st["bank"], st["row"], st["col"]
        wdata, pvalid = st["wdata"], st["pvalid"]
        # (if/elif chains rather than a Switch: every case statement Verilator sees is full)
        with m.If(phase == Phase.GB):
            m.d.comb += [
                op.eq(OP["WR_GB"]),
                col.eq(k),
                wdata.eq(self.xin.payload),
                pvalid.eq(self.xin.valid),
            ]
        with m.Elif(phase == Phase.ACT):
            with m.If((k == 0) & ref_due):
                m.d.comb += op.eq(OP["REF"])
            with m.Else():
                m.d.comb += [op.eq(OP["ACT"]), bank.eq(k), row.eq(st["row_base"] + st["seg"])]
            m.d.comb += pvalid.eq(1)
        with m.Elif(phase == Phase.MAC):
            m.d.comb += [op.eq(OP["MAC"]), ab.eq(1), col.eq(k), pvalid.eq(1)]
        with m.Elif(phase == Phase.RDMAC):
            m.d.comb += [op.eq(OP["RD_MAC"]), pvalid.eq(1)]
        with m.Elif(phase == Phase.PRE):
            m.d.comb += [op.eq(OP["PRE"]), ab.eq(1), pvalid.eq(1)]
        with m.Elif(~st["active"]):
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
        st["ex"] = Signal()  # the presented command executes this cycle (set by _rules)
        st["bank_hit"] = Signal(p.banks)  # banks addressed (ab: all)
        nb = p.banks
        m.d.comb += st["bank_hit"].eq(Mux(ab, (1 << nb) - 1, Const(1, nb) << bank) if nb > 1 else 1)

    @staticmethod
    def _is_op(st: dict[str, Any], *names: str) -> Value:
        return st["op"].matches(*(OP[n] for n in names))

    @staticmethod
    def _ex_of(st: dict[str, Any], *names: str) -> Value:
        return st["ex"] & PimChannel._is_op(st, *names)

    def _rules(self, m: Module, st: dict[str, Any]) -> None:
        """Channel-wide timing counters, the rule checks, refusals and ``issued``."""
        p = self.params
        T = p.timings()
        nb, bpr = p.banks, self.bpr
        op, ab, bank, row, col = st["op"], st["ab"], st["bank"], st["row"], st["col"]
        bank_hit, is_open, ref_due = st["bank_hit"], st["is_open"], st["ref_due"]

        def is_op(*names: str) -> Value:
            return self._is_op(st, *names)

        act_ev = self._ex_of(st, "ACT")
        col_ev = self._ex_of(st, "RD", "WR", "MAC", "RD_MAC", "WR_GB")
        ref_ev = self._ex_of(st, "REF")
        ccd = _down(m, "ccd", T["t_ccd"], col_ev)
        rrd = _down(m, "rrd", T["t_rrd"], act_ev)
        rfc = _down(m, "rfc", T["t_rfc"], ref_ev)
        faw_ptr = Signal(2)
        faw = []
        for i in range(4):
            faw.append(_down(m, f"faw{i}", T["t_faw"], act_ev & (faw_ptr == i)))
        with m.If(act_ev):
            m.d.sync += faw_ptr.eq(faw_ptr + 1)
        faw_busy = Signal()
        _select(m, faw_busy, [f != 0 for f in faw], faw_ptr)
        with m.If(ref_ev):
            m.d.sync += st["refi"].eq(1)
        with m.Elif(~ref_due):
            m.d.sync += st["refi"].eq(st["refi"] + 1)

        # per-bank counters live in the banks; their busy flags come back as vectors
        st["pre_hit"] = pre_hit = Signal(nb)
        m.d.comb += pre_hit.eq(bank_hit & is_open)
        st["busy"] = busy = {k: Signal(nb, name=f"{k}_busy") for k in PimBank.COUNTERS}
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
            "tRCD": is_acc & (bank_hit & busy["rcd"]).any(),
            "tRP": (is_op("ACT") & (bank_hit & busy["rp"]).any())
            | (is_op("REF") & busy["rp"].any()),
            "tRAS": is_op("PRE") & (pre_hit & busy["ras"]).any(),
            "tCCD": is_col & (ccd != 0),
            "tRRD": is_op("ACT") & (rrd != 0),
            "tFAW": is_op("ACT") & faw_busy,
            "tRTP": is_op("PRE") & (pre_hit & busy["rtp"]).any(),
            "tWR": is_op("PRE") & (pre_hit & busy["wr"]).any(),
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
        ok = code == 0
        m.d.comb += st["ex"].eq(st["pvalid"] & ok & ~is_op("NOP"))

        host_ref = Signal()
        m.d.comb += host_ref.eq(self.cmd.valid & (self.cmd.payload.op != OP["NOP"]))
        with m.If(st["active"]):
            m.d.comb += [self.refused.eq(host_ref), self.rule.eq(Mux(host_ref, RULE["BUSY"], 0))]
        with m.Else():
            m.d.comb += [self.refused.eq(host_ref & ~ok), self.rule.eq(Mux(host_ref, code, 0))]
        with m.If(self.refused & (self.refusals != 0xFFFF)):
            m.d.sync += self.refusals.eq(self.refusals + 1)
        m.d.comb += [
            self.issued.valid.eq(st["ex"]),
            self.issued.payload.op.eq(op),
            self.issued.payload.ab.eq(ab),
            self.issued.payload.bank.eq(bank),
            self.issued.payload.row.eq(row),
            self.issued.payload.col.eq(col),
        ]

    def _datapath(self, m: Module, st: dict[str, Any]) -> None:
        """Global input buffer, the banks (one module each) and the read pipeline."""
        p = self.params
        T = p.timings()
        nb, bpr = p.banks, self.bpr
        col, wdata, bank_hit = st["col"], st["wdata"], st["bank_hit"]
        ex_of = lambda *names: self._ex_of(st, *names)  # noqa: E731
        gb = [Signal(p.burst_bits, name=f"gb{i}") for i in range(bpr)]
        x_burst = Signal(p.burst_bits)
        _select(m, x_burst, gb, col)
        with m.If(ex_of("WR_GB")):
            for i in range(bpr):  # per-register enables: no partial case statement
                with m.If(col == i):
                    m.d.sync += gb[i].eq(wdata)
        mac_words, rd_bursts = [], []
        for b in range(nb):
            bk = place(m, f"bank{b}", self.bank_factory(p, b), "bank", p.slug())
            m.d.comb += [
                bk.row.eq(st["row"]),
                bk.col.eq(col),
                bk.wdata.eq(wdata),
                bk.x_burst.eq(x_burst),
                bk.hit.eq(bank_hit[b]),
                bk.act.eq(ex_of("ACT")),
                bk.pre.eq(ex_of("PRE")),
                bk.rd.eq(ex_of("RD", "MAC")),
                bk.wr.eq(ex_of("WR")),
                bk.mac.eq(ex_of("MAC")),
                bk.clear.eq(ex_of("RD_MAC")),
                st["is_open"][b].eq(bk.is_open),
                *(st["busy"][k][b].eq(getattr(bk, f"{k}_busy")) for k in PimBank.COUNTERS),
            ]
            rd_bursts.append(bk.rd_burst)
            mac_words.append(bk.mac_word)

        # read pipeline: data tCL cycles after the command
        rd_now = Signal(self.rd_bits)
        with m.If(self._is_op(st, "RD")):
            rd_sel = Signal(p.burst_bits)
            _select(m, rd_sel, rd_bursts, st["bank"])
            m.d.comb += rd_now.eq(rd_sel)
        with m.Else():
            m.d.comb += rd_now.eq(Cat(*mac_words))
        last_now = Signal()
        m.d.comb += last_now.eq(
            ex_of("RD_MAC")
            & (st["phase"] == Phase.RDMAC)
            & (st["grp"] == st["j_groups"] - 1)
            & (st["seg"] == st["j_segs"] - 1)
        )
        m.d.comb += [
            self.rdata.valid.eq(delay(m, ex_of("RD", "RD_MAC"), T["t_cl"], "rdv")),
            self.rdata.payload.data.eq(delay(m, rd_now, T["t_cl"], "rdd")),
            self.rdata.payload.mac.eq(delay(m, self._is_op(st, "RD_MAC"), T["t_cl"], "rdm")),
            self.rdata.payload.last.eq(delay(m, last_now, T["t_cl"], "rdl")),
        ]
        m.d.comb += self.done.eq(self.rdata.valid & self.rdata.payload.last)

    def _engine(self, m: Module, st: dict[str, Any]) -> None:
        """The GEMV engine's phase machine (see :class:`Phase`)."""
        nb, bpr = self.params.banks, self.bpr
        phase, k, grp, seg = st["phase"], st["k"], st["grp"], st["seg"]
        j_groups, j_segs, n_bursts = st["j_groups"], st["j_segs"], st["n_bursts"]
        m.d.comb += self.busy.eq(st["active"])
        m.d.comb += self.start.ready.eq((phase == Phase.IDLE) & ~st["is_open"].any())
        eng_ex = st["ex"] & st["engine_cmd"]
        m.d.comb += self.xin.ready.eq(eng_ex & (phase == Phase.GB))
        with m.If(self.start.valid & self.start.ready):
            j = self.start.payload
            m.d.sync += [
                j_groups.eq(j.groups),
                j_segs.eq(j.segs),
                st["j_last"].eq(j.last_bursts),
                seg.eq(0),
                grp.eq(0),
                st["row_base"].eq(0),
                k.eq(0),
                n_bursts.eq(Mux(j.segs == 1, j.last_bursts, bpr)),
                phase.eq(Phase.GB),
            ]
        with m.If(eng_ex):
            with m.If(phase == Phase.GB):
                with m.If(k == n_bursts - 1):
                    m.d.sync += [k.eq(0), phase.eq(Phase.ACT)]
                with m.Else():
                    m.d.sync += k.eq(k + 1)
            with m.Elif((phase == Phase.ACT) & self._is_op(st, "ACT")):
                with m.If(k == nb - 1):
                    m.d.sync += [k.eq(0), phase.eq(Phase.MAC)]
                with m.Else():
                    m.d.sync += k.eq(k + 1)
            with m.Elif(phase == Phase.MAC):
                with m.If(k == n_bursts - 1):
                    m.d.sync += [k.eq(0), phase.eq(Phase.PRE)]
                with m.Else():
                    m.d.sync += k.eq(k + 1)
            with m.Elif(phase == Phase.PRE):
                m.d.sync += phase.eq(Phase.RDMAC)
            with m.Elif(phase == Phase.RDMAC):
                self._next_group(m, st)
        with m.If((phase == Phase.DRAIN) & self.done):
            m.d.sync += phase.eq(Phase.IDLE)

    def _next_group(self, m: Module, st: dict[str, Any]) -> None:
        """After a group's RD_MAC: the next group, the next segment, or the drain."""
        grp, seg, j_segs = st["grp"], st["seg"], st["j_segs"]
        with m.If(grp == st["j_groups"] - 1):
            with m.If(seg == j_segs - 1):
                m.d.sync += st["phase"].eq(Phase.DRAIN)
            with m.Else():
                m.d.sync += [
                    seg.eq(seg + 1),
                    grp.eq(0),
                    st["row_base"].eq(0),
                    st["n_bursts"].eq(Mux(seg + 2 == j_segs, st["j_last"], self.bpr)),
                    st["phase"].eq(Phase.GB),
                ]
        with m.Else():
            m.d.sync += [
                grp.eq(grp + 1),
                st["row_base"].eq(st["row_base"] + j_segs),
                st["phase"].eq(Phase.ACT),
            ]


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
