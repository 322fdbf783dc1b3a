"""Datapath components synthesized one by one to calibrate the cost models.

Each component registers its inputs and its result, so its register-to-register path is the
operator's delay as it sits in a PE (clock-to-Q + logic + setup). Operator area is the
component's combinational + buffer area (its flip-flops are reported apart, as
``sequential``), and operator energy per operation is the combinational group's power divided
by the clock frequency at the flow's switching activity. ``pipe`` measures a bare
register-to-register hop (clock-to-Q + setup); ``fan`` one registered enable gating ``width``
flip-flops (the buffer tree of a stall/enable net of that fanout); ``mac`` a PE's gated
accumulate ``acc <= acc + a * b`` (ABC merges the product's final addition with the
accumulator's, so it is faster than a multiplier and an adder in series).

``neg`` is the symmetric LUT's conditional negation ``Mux(s, -a, a)``.

The generators' own processing elements are components too (``ospe_s``/``ospe_u``: the
systolic output-stationary PE, :class:`accelsmith.hdl.systolic_pe.OsPE`, signed/unsigned;
``wspe_s``/``wspe_u``: the weight-stationary PE), at ``in_bits = width`` and a
``2 * width + 8``-bit accumulator (``ospe_sn`` ...: ``2 * width + 2``; the accumulator
width changes a signed PE's logic far more than an adder's width would say), each input port
driven from a register (as in the array, where operands and flags arrive from neighbouring
flip-flops), so their register-to-register path is the PE's in-array path and their
combinational area is the PE's logic (the wrapper's input registers add flip-flops only).
``lutrow<K><s|f><n>`` is the LUT core's row (``hdl/lut_core.LutRow``) wrapped the same way.
``sactx_<os|ws>_<s|u>`` is the PE in context: the generator's whole array at 2 x 2 PEs
(``in_bits = width``, ``max_k`` :data:`CTX_MAX_K`, exact accumulator; ``sactxn_os_*`` the OS
array at ``max_k`` :data:`CTX_NARROW_MAX_K`, a narrower accumulator), the smallest array in
which every PE has neighbours, array control and skew around it. ABC maps a PE differently
alone and among others (2026-12-07: the unsigned 10-bit OS PE alone is a 7.7 ns ripple
chain, in this context 5.7 ns, in 4 x 3 and 4 x 4 arrays 6.3 ns), so the period model takes
the PE's level from here, and an OS PE's accumulator-width dependence from the two
reductions (a WS PE's from the PE alone). ``sactx4_ws_<s|u>``, ``sactx21_ws_<s|u>`` and
``sactx1_ws_<s|u>`` are the WS array at 4 x 4, 2 x 1 and 1 x 1 (:data:`CTX_LARGE_SHAPE`,
:data:`CTX_COLUMN_SHAPE`, :data:`CTX_SMALL_SHAPE`): the
clock of a flat array is its slowest PE, each mapped on its own, and the worst of 16 is not
the worst of 4 (2026-12-07: with the current-weight register the 2 x 2 context at 10
unsigned bits became 0.6 ns faster while 3 x 3 .. 4 x 4 arrays of 9-11 bits did not), so a
WS PE's level moves between these with the array's PE count.
``lutctx<K><s|f>`` is the LUT row in context: the generator's smallest whole core
(``tile_m = tile_n = 1``, ``act_bits = width``, 2-bit weights, ``max_k`` :data:`LUT_CTX_MAX_K`,
bias correction on; ``lutctxn<K><s|f>`` the same at ``max_k`` :data:`LUT_CTX_NARROW_MAX_K`),
whose paths include the control the row component takes from registers
(2026-12-07: in these cores at K >= 3 the worst path is the tile counter ``krem`` -> its
activation-mask compare -> the mask multiplexers -> the table precompute -> a table
register; in a ``lutrow`` component the mask arrives from a register).
Two shapes of that core at group size 2 (where the row's own path is shortest) hold the paths
the 1 x 1 core at 2-bit weights does not have: ``lutctxm_k2<s|f>`` at ``tile_m`` 2, the
drain (``drow`` -> row-select multiplexer -> bias subtraction -> the output register; in
cores of two rows probed on 2026-12-07 it was the worst path in 6 of 12, 4.8-5.5 ns, where
the sum of its operator components gave 3.6-4.5 ns; ``lutctxmn_k2<s|f>`` the same at
``max_k`` :data:`LUT_CTX_NARROW_MAX_K`: the subtraction maps to a ripple chain, one
majority gate per accumulator bit, so the drain has its own slope over the accumulator),
and ``lutctxb3_k2<s|f>`` at 3-bit weights (a two-bit plane register ``p1`` shifting the
looked-up entry in two stages before the accumulator, against one stage at 2-bit weights;
4-bit weights shift in two stages too), and ``lutctxb1_k2<s|f>`` at 1-bit weights (no plane
shift at all: 0.4-0.9 ns faster than at 2-bit weights up to 8-bit activations, 2026-12-07);
``lutctxw_k2<s|f>`` is the core of one row of three PEs at 3-bit weights (the 3-bit level
moves with the PEs: :func:`accelsmith.models.calib.lut_b3_level_ns`).
``reg0`` is ``reg`` powered at activity 0 (its
sequential power is the clock's share alone; :mod:`.calibrate` runs it at that activity).
"""

from __future__ import annotations

from typing import Any

from amaranth.hdl import Module, Mux, Shape, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .components_pim import PIM_KINDS, pim_component

__all__ = [
    "CTX_KINDS",
    "KINDS",
    "LUT_CTX_KINDS",
    "LUT_GROUP_SIZES",
    "LUT_ROW_KINDS",
    "LUT_VAR_KINDS",
    "PE_KINDS",
    "component",
    "ctx_params",
    "lut_ctx_params",
    "lut_row_params",
]

PE_KINDS = (
    *("ospe_s", "ospe_u", "wspe_s", "wspe_u"),  # accumulator 2 * width + 8 bits
    *("ospe_sn", "ospe_un", "wspe_sn", "wspe_un"),  # narrow: 2 * width + 2 bits
)
PE_NARROW_GUARD_BITS = 2
# the LUT core's row (hdl/lut_core.LutRow: precompute, table registers and tile_n PEs) at
# group size K (every K the family allows: LutCoreParams.group_size 2..6), symmetric (s) or
# full (f) table, tile_n 1 or 2 (their difference is one PE)
LUT_GROUP_SIZES = (2, 3, 4, 5, 6)
LUT_ROW_KINDS = tuple(f"lutrow{k}{t}{n}" for k in LUT_GROUP_SIZES for t in "sf" for n in (1, 2))
LUT_ROW_WEIGHT_BITS, LUT_ROW_MAX_K = 2, 64
#: the PE in context (module docstring): a 2 x 2 array of each dataflow and signedness
#: ... and the OS arrays at a shallow reduction (``max_k`` :data:`CTX_NARROW_MAX_K`: a narrower
#: accumulator), ``sactxn_os_*``; a WS PE's adder is its row's partial sum, whose width in
#: a 2-row array does not depend on ``max_k``, so WS has no narrow context
#: ... and the WS array at :data:`CTX_LARGE_SHAPE` (``sactx4_ws_*``),
#: :data:`CTX_SMALL_SHAPE` (``sactx1_ws_*``) and :data:`CTX_COLUMN_SHAPE` (``sactx21_ws_*``),
#: ``max_k`` :data:`CTX_MAX_K`: the worst of 16 PEs, each mapped by ABC on its own, of one,
#: and of two (one of them with a partial-sum adder), against the 2 x 2's worst of 4
#: (module docstring)
CTX_KINDS = (
    *("sactx_os_s", "sactx_os_u", "sactx_ws_s", "sactx_ws_u"),
    *("sactxn_os_s", "sactxn_os_u"),
    *("sactx4_ws_s", "sactx4_ws_u"),
    *("sactx1_ws_s", "sactx1_ws_u"),
    *("sactx21_ws_s", "sactx21_ws_u"),
)
CTX_SHAPE, CTX_MAX_K, CTX_NARROW_MAX_K = (2, 2), 64, 4
CTX_LARGE_SHAPE, CTX_SMALL_SHAPE, CTX_COLUMN_SHAPE = (4, 4), (1, 1), (2, 1)
#: the LUT row in context (module docstring): the 1 x 1 core at group size K, symmetric (s)
#: or full (f) table
#: ... and at a shallow reduction (``max_k`` :data:`LUT_CTX_NARROW_MAX_K`: a narrower
#: accumulator and tile counter), ``lutctxn<K><s|f>``
LUT_CTX_KINDS = (
    *(f"lutctx{k}{t}" for k in LUT_GROUP_SIZES for t in "sf"),
    *(f"lutctxn{k}{t}" for k in LUT_GROUP_SIZES for t in "sf"),
)
LUT_CTX_MAX_K, LUT_CTX_NARROW_MAX_K = 64, 4
#: the LUT core in context at the shapes the 1 x 1 core leaves out, at group size 2 (module
#: docstring): ``lutctxm_k2<s|f>`` the smallest core with a drain to select from (``tile_m``
#: :data:`LUT_CTX_DRAIN_TILE_M`: row-select multiplexer and bias subtraction on the way out),
#: ``lutctxb<B>_k2<s|f>`` the 1 x 1 core at ``B``-bit weights (:data:`LUT_CTX_WEIGHT_BITS`: a
#: two-bit plane counter, two shift stages before the accumulator; 4-bit weights have the same
#: two stages, and the model takes them from the 3-bit core)
LUT_CTX_DRAIN_TILE_M = 2
LUT_CTX_WEIGHT_BITS = (1, 3)
LUT_VAR_KINDS = (
    *(f"lutctxm_k2{t}" for t in "sf"),
    *(f"lutctxmn_k2{t}" for t in "sf"),  # ... at max_k LUT_CTX_NARROW_MAX_K
    *(f"lutctxm2_k2{t}" for t in "sf"),  # ... at tile_n 2
    *(f"lutctxmn2_k2{t}" for t in "sf"),
    *(f"lutctxb{b}_k2{t}" for b in LUT_CTX_WEIGHT_BITS for t in "sf"),
    *(f"lutctxmb1_k2{t}" for t in "sf"),  # the one-column drain core at 1-bit weights
    *(f"lutctxmb3_k2{t}" for t in "sf"),  # ... at 3-bit weights (two plane-shift stages)
    *(f"lutctxw_k2{t}" for t in "sf"),  # one row of LUT_CTX_WIDE_TILE_N PEs, 3-bit weights
)
#: ``lutctxw_k2<s|f>``: the core of one row of this many PEs at 3-bit weights (session 12,
#: small12): ABC maps the 1 x 1 core's accumulator half as a fast carry chain, the 1 x 3
#: core's as a full ``maj3`` ripple (at 5-bit symmetric activations 4.24 ns against 4.70 ns,
#: median of four equivalent netlists each), so the 3-bit level moves with the PEs as a WS
#: PE's does
LUT_CTX_WIDE_TILE_N = 3
KINDS = (
    *("mul", "add", "mux", "reg", "reg0", "pipe", "fan", "mac", "neg"),
    *PE_KINDS,
    *CTX_KINDS,
    *LUT_CTX_KINDS,
    *LUT_VAR_KINDS,
    *LUT_ROW_KINDS,
    *PIM_KINDS,  # the PIM family's lanes and control (components_pim)
)
MAC_GUARD_BITS = 8  # accumulator of a "mac" component: 2 * width + 8 bits


class _Registered(wiring.Component):
    def __init__(self, kind: str, width: int) -> None:
        self.kind, self.width = kind, width
        w = width
        out_w = {"mul": 2 * w, "add": w + 1, "mux": w}.get(kind, w)
        sig = {"a": In(signed(w)), "b": In(signed(w)), "s": In(1), "y": Out(signed(out_w))}
        if kind in ("reg", "reg0", "pipe"):
            sig = {"a": In(unsigned(w)), "y": Out(unsigned(w))}
        if kind == "fan":  # one registered enable gating `width` flip-flops
            sig = {"a": In(unsigned(w)), "s": In(1), "y": Out(unsigned(w))}
        if kind == "mac":  # a PE's accumulate: valid/last-gated acc <= acc + a * b
            acc_w = 2 * w + MAC_GUARD_BITS
            sig = {
                "a": In(signed(w)),
                "b": In(signed(w)),
                "s": In(1),
                "t": In(1),
                "y": Out(signed(acc_w)),
            }
        super().__init__(sig)

    def elaborate(self, platform: object) -> Module:
        m = Module()
        if self.kind in ("reg", "reg0"):
            m.d.sync += self.y.eq(self.a)
            return m
        if self.kind == "pipe":  # register to register through nothing: clock-to-Q + setup
            r = Signal(self.width)
            m.d.sync += [r.eq(self.a), self.y.eq(r)]
            return m
        if self.kind == "fan":
            en = Signal()
            m.d.sync += en.eq(self.s)
            with m.If(en):
                m.d.sync += self.y.eq(self.a)
            return m
        if self.kind == "mac":
            ra, rb = Signal(signed(self.width)), Signal(signed(self.width))
            rv, rl = Signal(), Signal()
            acc = Signal(signed(2 * self.width + MAC_GUARD_BITS))
            m.d.sync += [ra.eq(self.a), rb.eq(self.b), rv.eq(self.s), rl.eq(self.t)]
            with m.If(rv):
                with m.If(rl):
                    m.d.sync += [self.y.eq(acc + ra * rb), acc.eq(0)]
                with m.Else():
                    m.d.sync += acc.eq(acc + ra * rb)
            return m
        a, b = (signed(self.width),) * 2
        ra, rb, rs = Signal(a), Signal(b), Signal()
        m.d.sync += [ra.eq(self.a), rb.eq(self.b), rs.eq(self.s)]
        if self.kind == "mul":
            m.d.sync += self.y.eq(ra * rb)
        elif self.kind == "add":
            m.d.sync += self.y.eq(ra + rb)
        elif self.kind == "neg":
            m.d.sync += self.y.eq(Mux(rs, -ra, ra))
        else:
            m.d.sync += self.y.eq(Mux(rs, ra, rb))
        return m


class _Wrapped(wiring.Component):
    """A block of a generator with every input port driven from a register (as inside the
    design, where its inputs come from neighbouring flip-flops); outputs pass through, or
    with ``registered_outputs`` are registered too (then all its flip-flops are the
    harness's: ``wrapper_flops`` 0, the calibration takes the synthesized count)."""

    def __init__(
        self, kind: str, width: int, inner: wiring.Component, registered_outputs: bool = False
    ) -> None:
        self.kind, self.width, self.inner = kind, width, inner
        self.registered_outputs = registered_outputs
        members = inner.signature.members.items()
        ins = {n: In(m.shape) for n, m in members if m.flow == In}
        outs = {n: Out(m.shape) for n, m in members if m.flow == Out}
        #: flip-flops the wrapper adds (its input registers)
        self.wrapper_flops = sum(Shape.cast(m.shape).width for _, m in members if m.flow == In)
        if registered_outputs:
            self.wrapper_flops = 0
        super().__init__({**{f"i_{n}": v for n, v in ins.items()}, **outs})

    def elaborate(self, platform: object) -> Module:
        m = Module()
        m.submodules.pe = inner = self.inner
        for name, member in inner.signature.members.items():
            if member.flow == In:
                r = Signal(member.shape, name=f"r_{name}")
                m.d.sync += r.eq(getattr(self, f"i_{name}"))
                m.d.comb += getattr(inner, name).eq(r)
            else:
                out = m.d.sync if self.registered_outputs else m.d.comb
                out += getattr(self, name).eq(getattr(inner, name))
        return m


def _pe(kind: str, width: int) -> wiring.Component:
    from ..hdl.systolic_pe import OsPE, WsPE

    shape = signed if kind[5] == "s" else unsigned
    acc = signed(2 * width + pe_guard_bits(kind))
    return (OsPE if kind.startswith("os") else WsPE)(shape(width), acc)


def lut_row_params(kind: str, width: int) -> Any:
    """The LUT-core parameters of a ``lutrow<K><s|f><tile_n>`` component at ``act_bits =
    width`` (``weight_bits`` 2, ``max_k`` 64, bias correction on: the family defaults)."""
    from ..core.families.lut_core import LutCoreParams

    k, sym, tn = int(kind[6]), kind[7] == "s", int(kind[8])
    return LutCoreParams(
        group_size=k,
        weight_bits=LUT_ROW_WEIGHT_BITS,
        act_bits=width,
        tile_m=1,
        tile_n=tn,
        symmetric=sym,
        max_k=LUT_ROW_MAX_K,
    )


def lut_ctx_params(kind: str, width: int) -> Any:
    """The LUT-core parameters of a ``lutctx[n]<K><s|f>``, ``lutctxm[n|2|n2]_k<K><s|f>``,
    ``lutctxb<B>_k<K><s|f>``, ``lutctxmb<B>_k<K><s|f>`` or ``lutctxw_k<K><s|f>`` component
    at ``act_bits = width``."""
    from ..core.families.lut_core import LutCoreParams

    b = LUT_ROW_WEIGHT_BITS
    if kind.startswith(("lutctxb", "lutctxmb")):
        b = int(kind.split("_")[0][-1])
    tile_n = 2 if kind.startswith("lutctxm") and kind.split("_")[0].endswith("2") else 1
    if kind.startswith("lutctxw"):
        b, tile_n = 3, LUT_CTX_WIDE_TILE_N
    return LutCoreParams(
        group_size=int(kind[-2]),
        weight_bits=b,
        act_bits=width,
        tile_m=LUT_CTX_DRAIN_TILE_M if kind.startswith("lutctxm") else 1,
        tile_n=tile_n,
        symmetric=kind[-1] == "s",
        max_k=LUT_CTX_NARROW_MAX_K if kind.startswith(("lutctxn", "lutctxmn")) else LUT_CTX_MAX_K,
    )


def ctx_params(kind: str, width: int) -> Any:
    """The systolic parameters of a ``sactx[n|1|21|4]_<os|ws>_<s|u>`` component at ``in_bits =
    width``."""
    from ..core.families.systolic import SystolicParams

    shapes = {"sactx4": CTX_LARGE_SHAPE, "sactx1": CTX_SMALL_SHAPE, "sactx21": CTX_COLUMN_SHAPE}
    rows, cols = shapes.get(kind.split("_")[0], CTX_SHAPE)
    return SystolicParams(
        rows=rows,
        cols=cols,
        dataflow=kind.split("_")[1],
        in_bits=width,
        signed=kind.endswith("_s"),
        max_k=CTX_NARROW_MAX_K if kind.startswith("sactxn") else CTX_MAX_K,
    )


def component(kind: str, width: int) -> tuple[wiring.Component, str]:
    """The component and its top-module name (``cal_<kind><width>``)."""
    if kind.startswith(("sdec_", "smul_", "sslot", "schain")):  # the SIMD lane's blocks
        from .components_simd import simd_component

        return simd_component(kind, width)
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    if kind in PE_KINDS:
        return _Wrapped(kind, width, _pe(kind, width)), f"cal_{kind}{width}"
    if kind in CTX_KINDS:
        from ..hdl.systolic import build

        p = ctx_params(kind, width)
        comp = build(p)
        comp.calib_extra = {"acc_bits": p.acc_bits}  # recorded with the sample
        return comp, f"cal_{kind}{width}"
    if kind in LUT_CTX_KINDS or kind in LUT_VAR_KINDS:
        from ..hdl.lut_core import build as build_lut

        p = lut_ctx_params(kind, width)
        comp = build_lut(p)
        comp.calib_extra = {"acc_bits": p.acc_bits + 1}  # the accumulator (bias bit included)
        return comp, f"cal_{kind}_{width}"
    if kind in PIM_KINDS:
        return pim_component(kind, width)
    if kind in LUT_ROW_KINDS:
        from ..hdl.lut_core import LutRow

        return _Wrapped(kind, width, LutRow(lut_row_params(kind, width))), f"cal_{kind}_{width}"
    return _Registered(kind, width), f"cal_{kind}{width}"


def pe_guard_bits(kind: str) -> int:
    """Accumulator bits beyond ``2 * width`` of a PE component."""
    return PE_NARROW_GUARD_BITS if kind.endswith("n") else MAC_GUARD_BITS
