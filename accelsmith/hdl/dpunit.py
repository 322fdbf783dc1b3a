"""MAC dot-product unit: ``length`` multipliers, an adder tree and an accumulator, registered.

The baseline of the LUT-vs-MAC comparison (``bench/bench_lutmac.py``): the multiplier-based
unit a LUT unit of the same length replaces. Exact semantics in
:mod:`accelsmith.sim.golden.dpunit`.

Datapath (two register stages)::

    in beat --> length signed products --> balanced adder tree --> [sum, flags]   stage 1
            --> acc = (first ? 0 : acc) + sum                     --> [acc]        stage 2
                at a ``last`` beat the new sum is also captured   --> [out]

Port protocol (:mod:`amaranth.lib.stream` valid/ready; a beat transfers in a cycle where both
are high; ``ready`` may depend on ``valid``, never the reverse):

``inp`` (in, payload ``a`` (``length`` signed ``act_bits``), ``w`` (``length`` signed
``weight_bits``), ``first``, ``last``)
    One beat per ``length``-element slice of a dot product. ``first`` starts a new sum (the
    accumulator is not added); ``last`` ends it: its result leaves on ``out``. A beat with both
    flags is a whole dot product of ``length`` elements.
``out`` (out, payload signed ``acc_bits``)
    One beat per dot product, two cycles after its ``last`` input beat when nothing stalls.
    ``out.ready`` low with ``out.valid`` high freezes the whole unit (``inp.ready`` is low),
    like the LUT core's ``c`` stream, so both units pay for the same back-pressure.

Throughput: ``length`` multiply-accumulates per cycle. Results wrap modulo ``2**acc_bits``.
"""

from __future__ import annotations

from typing import Any

from amaranth.hdl import EnableInserter, Module, Mux, Signal, Value, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..core.dpunit import DpUnitParams

__all__ = ["DpUnit", "adder_tree", "build"]


def adder_tree(m: Module, terms: list[Value], width: int, name: str) -> Value:
    """Balanced binary sum of ``terms`` (signed, ``width`` bits), built in ``m``'s comb domain."""
    level = 0
    while len(terms) > 1:
        nxt = []
        for i in range(0, len(terms) - 1, 2):
            s = Signal(signed(width), name=f"{name}_l{level}_{i // 2}")
            m.d.comb += s.eq(terms[i] + terms[i + 1])
            nxt.append(s)
        if len(terms) % 2:
            nxt.append(terms[-1])
        terms, level = nxt, level + 1
    return terms[0]


class DpUnit(wiring.Component):
    """A registered ``length``-wide signed-integer MAC dot-product unit (see module docstring).

    Parameters
    ----------
    params : DpUnitParams
        Validated parameters.

    Members
    -------
    inp : In(stream.Signature(StructLayout({"a": ArrayLayout(signed(act_bits), length),
        "w": ArrayLayout(signed(weight_bits), length), "first": 1, "last": 1})))
    out : Out(stream.Signature(signed(acc_bits)))
    """

    def __init__(self, params: DpUnitParams) -> None:
        self.params = p = params
        assert p.acc_bits is not None
        layout = data.StructLayout(
            {
                "a": data.ArrayLayout(signed(p.act_bits), p.length),
                "w": data.ArrayLayout(signed(p.weight_bits), p.length),
                "first": 1,
                "last": 1,
            }
        )
        super().__init__(
            {"inp": In(stream.Signature(layout)), "out": Out(stream.Signature(signed(p.acc_bits)))}
        )

    def elaborate(self, platform: Any) -> Module:
        p = self.params
        assert p.acc_bits is not None
        m = Module()
        adv = Signal()  # the whole unit advances only when the output can move
        m.d.comb += [adv.eq(~self.out.valid | self.out.ready), self.inp.ready.eq(adv)]
        fire = self.inp.valid & adv

        pay = self.inp.payload
        # a sum of `length` products needs product_bits + ceil(log2 length) bits
        tree_w = p.product_bits + max(0, (p.length - 1).bit_length())
        prods = []
        for i in range(p.length):
            pr = Signal(signed(p.product_bits), name=f"prod{i}")
            m.d.comb += pr.eq(pay.a[i] * pay.w[i])
            prods.append(pr)
        total = adder_tree(m, prods, tree_w, "tree")

        s1 = Signal(signed(tree_w))
        v1, f1, l1 = Signal(), Signal(), Signal()
        m.d.sync += v1.eq(fire)
        with m.If(fire):
            m.d.sync += [s1.eq(total), f1.eq(pay.first), l1.eq(pay.last)]

        acc = Signal(signed(p.acc_bits))
        nxt = Signal(signed(p.acc_bits))
        m.d.comb += nxt.eq(Mux(f1, 0, acc) + s1)
        with m.If(v1):
            m.d.sync += acc.eq(nxt)
        with m.If(v1 & l1):
            m.d.sync += [self.out.payload.eq(nxt), self.out.valid.eq(1)]
        with m.Else():  # advancing means the held result (if any) transfers now
            m.d.sync += self.out.valid.eq(0)
        return EnableInserter({"sync": adv})(m)


def build(params: DpUnitParams) -> DpUnit:
    """Build the MAC dot-product unit for ``params``."""
    return DpUnit(params)
