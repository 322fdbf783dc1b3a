"""PIM components synthesized to calibrate the 130 nm PIM model (:mod:`accelsmith.models.pim_asic`).

Both are the generator's own code (:mod:`accelsmith.hdl.pim`, :mod:`accelsmith.hdl.pim_bank`)
with every input driven from a register and every output registered, so their
register-to-register paths are the in-design paths and their combinational area is the
block's logic (the wrapper's registers are recorded as ``wrapper_flops``):

``pimmac_int8`` / ``pimmac_fp16`` / ``pimmac_bf16`` (width = lanes)
    One bank's MAC lanes, :meth:`accelsmith.hdl.pim_bank.PimBank._mac`, behind the bank's
    two operand selects (the open row's burst and the global buffer's, chosen by the column
    among two bursts, as in a bank with two bursts per row): int8 lanes (8 x 8
    signed product into a 32-bit accumulator), fp16 lanes (fp16 multiply, fp16 add, 16-bit
    accumulator) or the bf16 datapath (products exact in FP32, the FP32 adder tree over the
    lanes, one FP32 accumulator and the RNE conversion to BF16), with the accumulators'
    ``clear`` / ``do_mac`` gating.
``pimcnt`` (width = cycles)
    A timing-rule counter (``hdl.pim_bank._down``: loaded with ``t - 1``, counting down to 0)
    with its busy flag, as every bank has five and the channel seven.
``pimcol`` (width = banks)
    The column a channel presents to its banks (:meth:`accelsmith.hdl.pim.PimChannel._present`:
    the engine's burst counter in its GB / MAC phases, else the host command's column,
    chosen by a decode of the engine's phase), from the engine's registers and the host
    command (registered) to one register: the decode-and-select delay that the column
    adds before it reaches the banks' operand selects (an int8 channel's critical path
    starts there), at :data:`COL_REFERENCE` (two bursts per row) and ``banks`` banks.
``pimctl`` (width = banks)
    The channel without its banks' insides: :class:`accelsmith.hdl.pim.PimChannel` (command
    presentation, the rule checker with its channel-wide timing counters, the GEMV engine,
    the global input buffer and the read pipeline) at a reference shape
    (:data:`CTL_REFERENCE`: int8, one lane, one burst per row, four rows, the hbm2 counters,
    ``tCL`` 2), its banks replaced by register ports (:class:`_BankPorts`: every strobe and
    address the channel sends a bank lands in a flip-flop, every flag a bank returns comes
    from one).
``pimchan_int8_p1`` / ``pimchan_int8_p2`` (width = lanes)
    The int8 channel in context: the generator's whole channel (:func:`accelsmith.hdl.pim.build`)
    at one bank and one or two bursts per row, :data:`CTL_REFERENCE` otherwise (its bank's
    cells a black-box macro, as in ``accelsmith synth``); ``pimchan_int8_p<bpr>_<context>``
    the same channel with the rows, timing preset and read latency of a
    :data:`~accelsmith.models.pim_asic.CHAN_CONTEXTS` context (the lane path's spread over
    contexts: there); ``pimchan_int8_p<bpr>_b3[_<context>]`` the channel of
    :data:`~accelsmith.models.pim_asic.CHAN_BANKS` banks at one lane in each context (the
    lane path's step from one bank to several: ``pim_asic.bank_step_ns``). ABC maps the int8
    MAC lane slower inside a channel than in ``pimmac_int8`` (2026-12-07, held-out channels
    of one lane: ``rb0 -> mac_word`` 7.4-7.7 ns against 6.8 ns from the components), as it
    does a systolic PE (``sactx_*``), so the int8 lane path takes its level from here.
"""

from __future__ import annotations

from typing import Any

from amaranth.hdl import Cat, Module, Shape, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..models.pim_asic import CHAN_BANKS, CHAN_CONTEXTS, CTL_REFERENCE

__all__ = [
    "CTL_REFERENCE",
    "PIM_CHAN_CTX_KINDS",
    "PIM_CHAN_KINDS",
    "PIM_KINDS",
    "PIM_WIDTHS",
    "chan_params",
    "mac_params",
    "pim_component",
]

PIM_MAC_KINDS = ("pimmac_int8", "pimmac_fp16", "pimmac_bf16")
#: the int8 channel in context (module docstring) at one and two bursts per row
PIM_CHAN_KINDS = ("pimchan_int8_p1", "pimchan_int8_p2")
#: the same channels in the further contexts of :data:`CHAN_CONTEXTS`, and at
#: :data:`CHAN_BANKS` banks (one lane) in every context: the bank step in context
PIM_CHAN_CTX_KINDS = tuple(f"{k}_{c}" for k in PIM_CHAN_KINDS for c in CHAN_CONTEXTS) + tuple(
    f"{k}_b{CHAN_BANKS}{'_' + c if c else ''}" for k in PIM_CHAN_KINDS for c in ("", *CHAN_CONTEXTS)
)
PIM_KINDS = (*PIM_MAC_KINDS, "pimctl", "pimcnt", "pimcol", *PIM_CHAN_KINDS, *PIM_CHAN_CTX_KINDS)
#: widths sampled by ``accelsmith calibrate``: lanes of the MAC datapath (the bf16 adder
#: tree is 0 and 1 levels deep at 1 and 2 lanes; the 2-lane sample took ~5 min to
#: synthesize on the shared 2-core machine, a 4-lane one longer than the session allowed,
#: so deeper trees are extrapolated one FP32 adder level at a time), banks of the control
PIM_WIDTHS: dict[str, tuple[int, ...]] = {
    "pimmac_int8": (1, 2, 4),
    "pimmac_fp16": (1, 2, 4),
    "pimmac_bf16": (1, 2),
    "pimctl": (1, 2, 4),
    "pimcnt": (4, 16, 64, 256),  # cycles of a timing rule: 2, 4, 6, 8-bit counters
    "pimcol": (1, 2, 4),  # banks (the bank and counter fields widen with them)
    # lanes of the one-bank channel: every lane count the held-out bench draws (1-3) and 4;
    # the channel of CHAN_BANKS banks at one lane
    **{k: (1,) if "_b" in k else (1, 2, 3, 4) for k in (*PIM_CHAN_KINDS, *PIM_CHAN_CTX_KINDS)},
}
#: the ``pimcol`` component's channel (banks apart): int8, one lane, two bursts per row
COL_REFERENCE = {**CTL_REFERENCE, "row_bytes": 2}
#: rows of the MAC components' parameters (the lanes do not depend on them) and the bursts
#: per row their operand selects choose from
MAC_ROWS = 2
MAC_BURSTS = 2


def _bank(params: Any) -> Any:
    """A :class:`PimBank` used for its signature or its ``_mac`` code only (not elaborated
    itself: Amaranth's unused-elaboratable warning is silenced for it)."""
    from ..hdl.pim_bank import PimBank

    bank = PimBank(params)
    bank._MustUse__silence = True  # Amaranth's opt-out of the unused-elaboratable warning
    return bank


def mac_params(precision: str, lanes: int) -> Any:
    """The :class:`PimParams` of a MAC component (:data:`MAC_BURSTS` bursts per row)."""
    from ..core.families.pim import ELEM_BITS, PimParams

    return PimParams(
        precision=precision,
        lanes=lanes,
        rows=MAC_ROWS,
        row_bytes=MAC_BURSTS * lanes * ELEM_BITS[precision] // 8,
        banks=1,
    )


def chan_params(kind: str, lanes: int) -> Any:
    """The :class:`PimParams` of a ``pimchan_int8_p<bpr>[_b3][_<context>]`` component at
    ``lanes`` lanes: the whole channel at one bank (``_b3``: :data:`CHAN_BANKS` banks) and
    :data:`CTL_REFERENCE` otherwise (with the context's fields of :data:`CHAN_CONTEXTS`),
    ``bpr`` bursts per row."""
    from ..core.families.pim import ELEM_BITS, PimParams

    _, _, tag, *rest = kind.split("_")
    bpr = int(tag.removeprefix("p"))
    banks = CHAN_BANKS if f"b{CHAN_BANKS}" in rest else 1
    ctx = [CHAN_CONTEXTS[c] for c in rest if c in CHAN_CONTEXTS]
    ref = {**CTL_REFERENCE, **(ctx[0] if ctx else {}), "lanes": lanes, "banks": banks}
    return PimParams(**ref | {"row_bytes": bpr * lanes * ELEM_BITS[ref["precision"]] // 8})


def ctl_params(banks: int) -> Any:
    """The :class:`PimParams` of the ``pimctl`` component at ``banks`` banks."""
    from ..core.families.pim import PimParams

    return PimParams(banks=banks, **CTL_REFERENCE)


class _RegisteredIO(wiring.Component):
    """Registers around a block: ``i_<port>`` register -> block input, block output ->
    ``o_<port>`` register."""

    def __init__(self, ins: dict[str, int], outs: dict[str, int]) -> None:
        self.ins, self.outs = ins, outs
        #: flip-flops the wrapper adds (its input and output registers)
        self.wrapper_flops = sum(ins.values()) + sum(outs.values())
        super().__init__(
            {
                **{f"i_{n}": In(w) for n, w in ins.items()},
                **{f"o_{n}": Out(w) for n, w in outs.items()},
            }
        )

    def wire(self, m: Module) -> tuple[dict[str, Signal], dict[str, Signal]]:
        """The registered inputs and the signals feeding the output registers."""
        rin = {n: Signal(w, name=f"r_{n}") for n, w in self.ins.items()}
        rout = {n: Signal(w, name=f"q_{n}") for n, w in self.outs.items()}
        m.d.sync += [rin[n].eq(getattr(self, f"i_{n}")) for n in self.ins]
        m.d.sync += [getattr(self, f"o_{n}").eq(rout[n]) for n in self.outs]
        return rin, rout


class _PimMac(_RegisteredIO):
    """A bank's MAC lanes (the generator's ``PimBank._mac``) behind the bank's operand
    selects at :data:`MAC_BURSTS` bursts per row (``hdl.pim_bank._select`` by the column, of
    the row buffer's bursts and of the global buffer's), inputs and outputs registered."""

    def __init__(self, precision: str, lanes: int) -> None:
        self.bank = _bank(mac_params(precision, lanes))
        p = self.bank.params
        bb = p.burst_bits
        words = {f"w{i}": bb for i in range(MAC_BURSTS)} | {f"x{i}": bb for i in range(MAC_BURSTS)}
        super().__init__({**words, "col": 1, "mac": 1, "clear": 1}, {"word": p.result_bits})

    def elaborate(self, platform: object) -> Module:
        from ..hdl.pim_bank import _select

        m = Module()
        rin, rout = self.wire(m)
        bb = self.bank.params.burst_bits
        w, x = Signal(bb), Signal(bb)
        _select(m, w, [rin[f"w{i}"] for i in range(MAC_BURSTS)], rin["col"])
        _select(m, x, [rin[f"x{i}"] for i in range(MAC_BURSTS)], rin["col"])
        word = self.bank._mac(m, w, x, rin["mac"], rin["clear"])
        m.d.comb += rout["word"].eq(word)
        return m


class _BankPorts(wiring.Component):
    """Stands for a bank inside ``pimctl`` (self-contained, so the hierarchical emission can
    write it once as the ``bank`` module): every input bit lands in a flip-flop, and every
    output bit comes from a flip-flop of a shift chain fed by those (distinct flip-flops, no
    logic: synthesis can neither fold the channel's strobes away nor take a bank's flags for
    constants)."""

    def __init__(self, params: Any) -> None:
        super().__init__(_bank(params).signature)

    def elaborate(self, platform: object) -> Module:
        m = Module()
        members = self.signature.members.items()
        ins = [getattr(self, n) for n, mb in members if mb.flow == In]
        outs = [getattr(self, n) for n, mb in members if mb.flow == Out]
        src = Signal(sum(len(v) for v in ins), name="q_in")
        m.d.sync += src.eq(Cat(*ins))
        chain = Signal(sum(len(v) for v in outs), name="q_out")
        n = len(src)
        for i in range(len(chain)):
            m.d.sync += chain[i].eq(src[i] if i < n else chain[i - n])
        m.d.comb += Cat(*outs).eq(chain)
        return m

    @staticmethod
    def flops(params: Any) -> int:
        """Flip-flops of one :class:`_BankPorts` (all its input and output bits)."""
        sig = _bank(params).signature.members.values()
        return sum(Shape.cast(mb.shape).width for mb in sig)


def _control(banks: int) -> _RegisteredIO:
    """The channel with register ports for banks, wrapped (see the module docstring)."""
    from ..hdl.pim import PimChannel

    p = ctl_params(banks)
    chan = PimChannel(p)
    chan.bank_factory = lambda params, index: _BankPorts(params)
    ch_in: dict[str, Value] = {}
    ch_out: dict[str, Value] = {}
    for path, member in chan.signature.members.flatten():
        if member.is_port:
            value = chan
            for step in path:
                value = getattr(value, step)
            (ch_in if member.flow == In else ch_out)["_".join(path)] = Value.cast(value)
    wrap = _RegisteredIO(
        {n: len(v) for n, v in ch_in.items()}, {n: len(v) for n, v in ch_out.items()}
    )
    # the bank stand-ins' flip-flops are harness too (the model costs the banks apart)
    wrap.wrapper_flops += banks * _BankPorts.flops(p)

    def elaborate(platform: object) -> Module:
        m = Module()
        rin, rout = wrap.wire(m)
        m.submodules.chan = chan
        m.d.comb += [v.eq(rin[n]) for n, v in ch_in.items()]
        m.d.comb += [rout[n].eq(v) for n, v in ch_out.items()]
        return m

    wrap.elaborate = elaborate  # type: ignore[method-assign]
    return wrap


class _PimCounter(_RegisteredIO):
    """A timing-rule counter of ``t`` cycles (the generator's ``hdl.pim_bank._down``) and its
    busy flag ``count != 0``, the load registered in and the flag registered out."""

    def __init__(self, t: int) -> None:
        self.t = t
        super().__init__({"load": 1}, {"busy": 1})

    def elaborate(self, platform: object) -> Module:
        from ..hdl.pim_bank import _down

        m = Module()
        rin, rout = self.wire(m)
        m.d.comb += rout["busy"].eq(_down(m, "cnt", self.t, rin["load"]) != 0)
        return m


class _PimColumn(_RegisteredIO):
    """The presented column of a channel at :data:`COL_REFERENCE` and ``banks`` banks (module
    docstring): the engine state that :meth:`PimChannel._present` reads (phase, burst and
    bank counter, refresh interval, row base and segment) and the host command and input
    burst, each from a register, to the column, registered."""

    #: engine state read by ``_present`` (its other state signals stay constant here)
    STATE = ("phase", "k", "refi", "row_base", "seg")

    def __init__(self, banks: int) -> None:
        from ..core.families.pim import PimParams
        from ..hdl.pim import PimChannel
        from ..hdl.pim_bank import _w

        self.chan = PimChannel(PimParams(banks=banks, **COL_REFERENCE))
        self.chan._MustUse__silence = True  # used for its _present code only
        self.state = self.chan._engine_state()
        ins = {n: len(Value.cast(self.state[n])) for n in self.STATE}
        self.ports = {
            f"{bus}_{f}": getattr(getattr(self.chan, bus), f)
            for bus in ("cmd", "xin")
            for f in ("valid", "payload")
        }
        ins |= {n: len(Value.cast(v)) for n, v in self.ports.items()}
        super().__init__(ins, {"col": _w(self.chan.bpr)})

    def elaborate(self, platform: object) -> Module:
        m = Module()
        rin, rout = self.wire(m)
        st = self.state
        m.d.comb += [Value.cast(st[n]).eq(rin[n]) for n in self.STATE]
        m.d.comb += [Value.cast(v).eq(rin[n]) for n, v in self.ports.items()]
        self.chan._present(m, st)
        m.d.comb += rout["col"].eq(st["col"])
        return m


def pim_component(kind: str, width: int) -> tuple[wiring.Component, str]:
    """The PIM component ``kind`` at ``width`` (lanes or banks) and its top-module name."""
    if kind == "pimctl":
        return _control(width), f"cal_{kind}{width}"
    if kind == "pimcnt":
        return _PimCounter(width), f"cal_{kind}{width}"
    if kind == "pimcol":
        return _PimColumn(width), f"cal_{kind}{width}"
    if kind in (*PIM_CHAN_KINDS, *PIM_CHAN_CTX_KINDS):
        from ..hdl.pim import build

        return build(chan_params(kind, width)), f"cal_{kind}_{width}"
    return _PimMac(kind.removeprefix("pimmac_"), width), f"cal_{kind}_{width}"
