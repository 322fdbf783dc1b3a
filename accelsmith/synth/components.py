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
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["KINDS", "component"]

KINDS = ("mul", "add", "mux", "reg", "pipe", "fan", "mac")
MAC_GUARD_BITS = 8  # accumulator of a "mac" component: 2 * width + 8 bits


class _Registered(wiring.Component):
    def __init__(self, kind: str, width: int) -> None:
        self.kind, self.width = kind, width
        w = width
        out_w = {"mul": 2 * w, "add": w + 1, "mux": w}.get(kind, w)
        sig = {"a": In(signed(w)), "b": In(signed(w)), "s": In(1), "y": Out(signed(out_w))}
        if kind in ("reg", "pipe"):
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
        if self.kind == "reg":
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
        else:
            m.d.sync += self.y.eq(Mux(rs, ra, rb))
        return m


def component(kind: str, width: int) -> tuple[wiring.Component, str]:
    """The component and its top-module name (``cal_<kind><width>``)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    return _Registered(kind, width), f"cal_{kind}{width}"
