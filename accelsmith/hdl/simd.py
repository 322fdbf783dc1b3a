"""Mixed-precision SIMD dot-product engine (after XR-NPE, arXiv 2508.13049).

``lanes`` words of ``W = lane_bits`` bits. Each beat's ``mode`` selects one of the configured
modes (``formats[mode]``); a mode of width ``w`` splits every word into ``W / w`` sub-lanes,
each one MAC per cycle (W = 16: 1 x 16-bit, 2 x 8-bit or 4 x 4-bit). Sub-lane ``s`` of word
``l`` feeds accumulator *slot* ``(l, s)``; a word has ``slots = W / w_min`` slots (``w_min``:
the narrowest configured mode), so slot 0 serves every mode and the upper slots only the
narrow ones. All sub-lanes of a word share one reconfigurable significand multiplier made of
4 x 4 sub-multipliers (:class:`~accelsmith.hdl.blocks.submul.SubwordMultiplier`); exponents
and signs are handled per sub-lane; no carry crosses a sub-lane.

Ports (all streams are :mod:`amaranth.lib.stream` valid/ready; a beat transfers in a cycle
where both are high)

``x`` (in, payload ``a``, ``b``: ``lanes`` words of ``W`` bits; ``mode``; ``last``)
    One beat per dot-product step. Sub-lane ``s`` of a width-``w`` mode is bits
    ``[s*w, (s+1)*w)`` of its word; a narrower operand (the mixed mode's FP4 ``b``) sits in the
    low bits of its field. ``last`` marks the final beat of a dot product. ``mode`` may change
    on any beat: a slot sums the products that land in it.
``gate`` (in, ``power_gating`` bits, only if ``power_gating > 0``)
    Sampled with every beat. Group ``g`` (words ``g*lanes/groups`` ...) gated on a beat: its
    operands are forced to 0 at the input register (the decoders and multipliers see no
    activity) and its slots take no product. A result whose last beat had the group gated
    reads 0 (all bits zero) in the group's slots.
``c`` (out, payload ``data``: ``lanes * slots`` results in ``out_format`` (binary32,
    bfloat16, binary16, posit(16,1) or posit(8,0)), slot ``(l, s)`` at index ``l * slots + s``)
    One beat per dot product. ``c.ready`` low stalls the whole engine in place; ``x.ready``
    equals ``~c.valid | c.ready``.

Arithmetic per slot (:mod:`accelsmith.sim.golden.simd` is the reference)
    Products are exact. ``acc = "exact"``: products are summed exactly in a two's-complement
    fixed-point quire (LSB at the smallest product LSB of the slot's modes, carry bits for
    ``max_k`` terms) and rounded once to ``out_format`` (RNE) at readout. ``acc = "fp32"``: a
    binary32 accumulator starting at -0 is updated with a single RNE rounding per product and
    converted to ``out_format`` (RNE) at readout.
    Both: a NaN/NaR operand, Inf x 0 or Inf - Inf gives the quiet NaN (0x7FC00000 in
    binary32, 0x7E00 in binary16, 0x7FC0 in bfloat16; NaR for posit results, as is any Inf);
    Inf products
    (E5M2) give signed Inf; a zero result is -0 only if every product was -0; a slot that
    took no product reads +0.

Cycle count of a dot product of ``K`` beats (from the cycle its first beat transfers to the
cycle its result transfers, both counted; inputs always valid, outputs always ready)::

    K + pipeline + 2

(``pipeline`` stages up to the accumulator, the accumulator, the rounding register). Back
to back, a result leaves every ``K`` cycles; every stalled cycle adds exactly one cycle.
"""

from __future__ import annotations

from typing import Any

from amaranth.hdl import EnableInserter, Module, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..core.families.simd import SimdParams
from ..core.latency.simd import dot_cycles
from .hier import place
from .simd_lane import SimdLane, stage_regs

__all__ = ["SimdEngine", "build", "protocol_summary", "simd_manifest"]


class SimdEngine(wiring.Component):
    """The SIMD MAC engine for ``params`` (see the module docstring for the protocol).

    Members
    -------
    x : In(stream.Signature(StructLayout({"a", "b", "mode", "last"})))
        Operand beats.
    gate : In(power_gating)
        Per-group power gating (only when ``power_gating > 0``).
    c : Out(stream.Signature(StructLayout({"data": ArrayLayout(out_bits, lanes * slots)})))
        Dot-product results, one per slot, in ``out_format``.
    """

    def __init__(self, params: SimdParams) -> None:
        self.params = p = params
        words = data.ArrayLayout(p.lane_bits, p.lanes)
        sig: dict[str, Any] = {
            "x": In(
                stream.Signature(
                    data.StructLayout({"a": words, "b": words, "mode": p.mode_bits, "last": 1})
                )
            ),
            "c": Out(
                stream.Signature(
                    data.StructLayout({"data": data.ArrayLayout(p.out_bits, p.lanes * p.slots)})
                )
            ),
        }
        if p.power_gating:
            sig["gate"] = In(p.power_gating)
        super().__init__(sig)

    def _group_of(self, word: int) -> int:
        p = self.params
        return word // (p.lanes // p.power_gating) if p.power_gating else 0

    # ------------------------------------------------------------------ datapath
    def elaborate(self, platform):
        p = self.params
        m = Module()
        adv = Signal()
        m.d.comb += adv.eq(~self.c.valid | self.c.ready)
        m.d.comb += self.x.ready.eq(adv)
        fire = self.x.valid & self.x.ready

        # stage 1 control (the lanes register their operands beside it)
        ngates = max(p.power_gating, 1)
        ctrl1 = {
            "valid": Signal(name="s1_valid"),
            "last": Signal(name="s1_last"),
            "mode": Signal(p.mode_bits, name="s1_mode"),
            "gate": Signal(ngates, name="s1_gate"),
        }
        m.d.sync += [
            ctrl1["valid"].eq(fire),
            ctrl1["last"].eq(self.x.payload.last),
            ctrl1["mode"].eq(self.x.payload.mode),
            ctrl1["gate"].eq(self.gate if p.power_gating else 0),
        ]
        # the control pipeline follows the lanes' stages: decode | multiply | align | acc
        ctrl2 = stage_regs(m, ctrl1, p.pipeline >= 2, "s2_ctrl")
        ctrl3 = stage_regs(m, ctrl2, p.pipeline >= 3, "s3_ctrl")
        ctrl4 = stage_regs(m, ctrl3, p.pipeline >= 4, "s4_ctrl")
        fin_valid = Signal(name="fin_valid")
        fin_gate = Signal(ngates, name="fin_gate")
        m.d.sync += fin_valid.eq(ctrl4["valid"] & ctrl4["last"])
        with m.If(ctrl4["valid"] & ctrl4["last"]):
            m.d.sync += fin_gate.eq(ctrl4["gate"])

        width = p.slots * p.out_bits
        for w in range(p.lanes):
            g = self._group_of(w)
            lane = place(m, f"lane{w}", SimdLane(p), "lane", p.slug())
            m.d.comb += [
                lane.en.eq(adv),
                lane.a_in.eq(self.x.payload.a[w]),
                lane.b_in.eq(self.x.payload.b[w]),
                lane.off.eq(self.gate[g] if p.power_gating else 0),
                lane.mode1.eq(ctrl1["mode"]),
                lane.valid2.eq(ctrl2["valid"]),
                lane.mode2.eq(ctrl2["mode"]),
                lane.gate2.eq(ctrl2["gate"][g]),
                lane.valid4.eq(ctrl4["valid"]),
                lane.last4.eq(ctrl4["last"]),
                lane.fin_gate.eq(fin_gate[g]),
                self.c.payload.data.as_value()[w * width : (w + 1) * width].eq(lane.res),
            ]

        out_valid = Signal(name="out_valid")
        m.d.sync += out_valid.eq(fin_valid)
        m.d.comb += self.c.valid.eq(out_valid)
        return EnableInserter({"sync": adv})(m)


def build(params: SimdParams) -> SimdEngine:
    """Build the SIMD engine component for ``params``."""
    return SimdEngine(params)


def protocol_summary(params: SimdParams) -> dict[str, str]:
    """Short, manifest-ready description of the port protocol."""
    p = params
    modes = ", ".join(f"{i}={name}" for i, name in enumerate(p.formats))
    out = {
        "clock": "single clock `clk`, synchronous active-high `rst`",
        "streams": "valid/ready: a beat transfers in a cycle where valid and ready are both "
        "high; x.ready = ~c.valid | c.ready",
        "x": f"a, b: {p.lanes} words of {p.lane_bits} bits (word i at bits [i*W, (i+1)*W)); "
        f"mode: {modes}; last: final beat of a dot product",
        "sub_lanes": "a mode of width w splits each word into W/w sub-lanes; sub-lane s is bits "
        "[s*w, (s+1)*w) of the word and accumulates into slot s; a narrower operand sits in the "
        "low bits of its field",
        "c": f"one beat per dot product: data[l*{p.slots} + s] = {p.out_format} result of "
        "word l, "
        "slot s; c.ready low stalls the engine",
        "accumulation": f"exact quire, one RNE rounding to {p.out_format} at readout"
        if p.acc == "exact"
        else "binary32, RNE after every product (fused: products are exact), converted to "
        f"{p.out_format} at readout",
        "specials": "NaN/NaR operand, Inf*0, Inf-Inf -> the quiet NaN; zero result is -0 only if "
        "all products were -0; a slot without products reads +0",
    }
    if p.power_gating:
        out["gate"] = (
            f"{p.power_gating} bits sampled with each beat; group g = words "
            f"[g*{p.lanes // p.power_gating}, (g+1)*{p.lanes // p.power_gating}): inputs "
            "forced to 0, no products; results whose last beat was gated read 0"
        )
    return out


def simd_manifest(params: SimdParams) -> dict[str, Any]:
    """SIMD manifest sections: protocol, modes, slots, quire widths and latency formula."""
    p = params
    return {
        "protocol": protocol_summary(p),
        "modes": {
            name: {
                "code": i,
                "width_bits": p.modes[i].width,
                "macs_per_cycle": p.macs_per_cycle(name),
            }
            for i, name in enumerate(p.formats)
        },
        "slots_per_word": p.slots,
        "result_format": {"name": p.out_format, "bits": p.out_bits},
        "accumulator": {
            "kind": p.acc,
            "quire_bits_per_slot": [p.quire_range(s)[1] for s in range(p.slots)]
            if p.acc == "exact"
            else None,
            "quire_lsb_exponent_per_slot": [p.quire_range(s)[0] for s in range(p.slots)]
            if p.acc == "exact"
            else None,
        },
        "latency": {
            "dot_cycles_formula": "K + pipeline + 2",
            "dot_cycles_definition": "cycles from the first beat's transfer to the result's "
            "transfer, both counted, with no stalls",
            "back_to_back_interval_formula": "K",
            "dot_cycles": {str(k): int(dot_cycles(k, p.pipeline)) for k in (1, 16, 64, 256)},
        },
    }
