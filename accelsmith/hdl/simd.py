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

from amaranth.hdl import Cat, EnableInserter, Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import bits_for

from ..core.families.simd import SimdParams
from ..core.latency.simd import dot_cycles
from .blocks.formats import make_decoder
from .blocks.minifloat import FloatRound, Fp32Add
from .blocks.posit import PositEncoder
from .blocks.submul import SubwordMultiplier

__all__ = ["SimdEngine", "build", "protocol_summary", "simd_manifest"]

PROD_EXP_BITS = 9


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

    # ------------------------------------------------------------------ helpers
    def _stage(self, m: Module, values: dict, cut: bool, tag: str) -> dict:
        """Register every value of ``values`` when ``cut`` (a pipeline stage), else pass."""
        if not cut:
            return values
        out = {}
        for k, v in values.items():
            if isinstance(v, list):
                out[k] = self._stage(m, dict(enumerate(v)), True, f"{tag}_{k}")
                out[k] = [out[k][i] for i in range(len(v))]
            elif isinstance(v, dict):
                out[k] = self._stage(m, v, True, f"{tag}_{k}")
            else:
                r = Signal.like(v, name=f"{tag}_{k}") if isinstance(v, Signal) else None
                if r is None:
                    from amaranth.hdl import Value

                    r = Signal(Value.cast(v).shape(), name=f"{tag}_{k}")
                m.d.sync += r.eq(v)
                out[k] = r
        return out

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

        # stage 1: input registers (gated groups forced to zero)
        ngates = max(p.power_gating, 1)
        gate_in = self.gate if p.power_gating else 0
        st: dict[str, Any] = {
            "valid": Signal(name="s1_valid"),
            "last": Signal(name="s1_last"),
            "mode": Signal(p.mode_bits, name="s1_mode"),
            "gate": Signal(ngates, name="s1_gate"),
            "a": [Signal(p.lane_bits, name=f"s1_a{i}") for i in range(p.lanes)],
            "b": [Signal(p.lane_bits, name=f"s1_b{i}") for i in range(p.lanes)],
        }
        m.d.sync += [
            st["valid"].eq(fire),
            st["last"].eq(self.x.payload.last),
            st["mode"].eq(self.x.payload.mode),
            st["gate"].eq(gate_in),
        ]
        for w in range(p.lanes):
            off = self.gate[self._group_of(w)] if p.power_gating else 0
            m.d.sync += [
                st["a"][w].eq(Mux(off, 0, self.x.payload.a[w])),
                st["b"][w].eq(Mux(off, 0, self.x.payload.b[w])),
            ]

        # decode, per word and slot
        ctrl = {k: st[k] for k in ("valid", "last", "mode", "gate")}
        dec = {"ctrl": ctrl, "words": [self._decode_word(m, st, w) for w in range(p.lanes)]}
        dec = self._stage(m, dec, p.pipeline >= 2, "s2")

        # multiply
        mul = {"ctrl": dec["ctrl"], "words": []}
        for w in range(p.lanes):
            mul["words"].append(self._multiply_word(m, dec["ctrl"], dec["words"][w], w))
        mul = self._stage(m, mul, p.pipeline >= 3, "s3")

        # align (exact: the quire addend)
        if p.acc == "exact":
            mul["words"] = [
                [self._addend(m, mul["words"][w][s], s, w) for s in range(p.slots)]
                for w in range(p.lanes)
            ]
        acc_in = self._stage(m, mul, p.pipeline >= 4, "s4")

        # accumulate; on the last beat, hand the total to the readout register
        ctrl = acc_in["ctrl"]
        fin_valid = Signal(name="fin_valid")
        fin_gate = Signal(ngates, name="fin_gate")
        m.d.sync += fin_valid.eq(ctrl["valid"] & ctrl["last"])
        with m.If(ctrl["valid"] & ctrl["last"]):
            m.d.sync += fin_gate.eq(ctrl["gate"])
        results = []
        for w in range(p.lanes):
            for s in range(p.slots):
                term = acc_in["words"][w][s]
                if p.acc == "exact":
                    res = self._accumulate_exact(m, ctrl, term, s, w)
                else:
                    res = self._accumulate_fp32(m, ctrl, term, s, w)
                gated = fin_gate[self._group_of(w)] if p.power_gating else 0
                results.append(Mux(gated, 0, res))

        out_valid = Signal(name="out_valid")
        m.d.sync += out_valid.eq(fin_valid)
        m.d.comb += self.c.valid.eq(out_valid)
        for i, r in enumerate(results):
            reg = Signal(p.out_bits, name=f"out_{i}")
            m.d.sync += reg.eq(r)
            m.d.comb += self.c.payload.data[i].eq(reg)
        return EnableInserter({"sync": adv})(m)

    def _decode_word(self, m: Module, st: dict, w: int) -> list[dict]:
        """Per slot: decoded a and b fields muxed by mode, and the multiplier operands."""
        p = self.params
        a_word, b_word = st["a"][w], st["b"][w]
        decoders: dict[tuple[str, str, int], Any] = {}

        def dec(fmt, word, side, offset):
            key = (fmt.name, side, offset)
            if key not in decoders:
                d = make_decoder(fmt)
                m.submodules[f"dec_{side}_{fmt.name}_{w}_{offset}"] = d
                m.d.comb += d.code.eq(word[offset : offset + fmt.bits])
                decoders[key] = d
            return decoders[key]

        for md in p.modes:  # every decoder exists (and is driven) before the mode muxes
            for s in range(p.lane_bits // md.width):
                dec(md.a, a_word, "a", s * md.width)
                dec(md.b, b_word, "b", s * md.width)

        mode = st["mode"]
        a_ops = Signal(p.lane_bits, name=f"mul_a{w}")
        b_ops = Signal(p.lane_bits, name=f"mul_b{w}")
        slots = []
        for s in range(p.slots):
            f = {
                k: Signal(shape, name=f"d{w}_{s}_{k}")
                for k, shape in (
                    ("sa", 1), ("sb", 1), ("ea", signed(8)), ("eb", signed(8)),
                    ("za", 1), ("zb", 1), ("na", 1), ("nb", 1), ("ia", 1), ("ib", 1),
                )
            }  # fmt: skip
            with m.Switch(mode):
                for i in p.slot_modes(s):
                    md = p.modes[i]
                    with m.Case(i):
                        da = dec(md.a, a_word, "a", s * md.width)
                        db = dec(md.b, b_word, "b", s * md.width)
                        m.d.comb += [
                            f["sa"].eq(da.sign), f["sb"].eq(db.sign),
                            f["ea"].eq(da.exp), f["eb"].eq(db.exp),
                            f["za"].eq(da.zero), f["zb"].eq(db.zero),
                            f["na"].eq(da.nan), f["nb"].eq(db.nan),
                            f["ia"].eq(da.inf), f["ib"].eq(db.inf),
                        ]  # fmt: skip
                with m.Default():  # modes that leave this slot idle
                    m.d.comb += [v.eq(0) for v in f.values()]
            slots.append(f)
        # significands placed at their sub-lane offsets of the shared multiplier
        with m.Switch(mode):
            for i, md in enumerate(p.modes):
                with m.Case(i):
                    va, vb = [], []
                    for s in range(p.lane_bits // md.width):
                        da = dec(md.a, a_word, "a", s * md.width)
                        db = dec(md.b, b_word, "b", s * md.width)
                        va.append(da.sig << (s * md.width))
                        vb.append(db.sig << (s * md.width))
                    m.d.comb += [a_ops.eq(_or_all(va)), b_ops.eq(_or_all(vb))]
            with m.Default():
                m.d.comb += [a_ops.eq(0), b_ops.eq(0)]
        slots[0]["mul_a"] = a_ops
        slots[0]["mul_b"] = b_ops
        return slots

    def _multiply_word(self, m: Module, ctrl: dict, slots: list[dict], w: int) -> list[dict]:
        p = self.params
        widths = sorted({md.width for md in p.modes} | {4}, reverse=True)
        widths = [x for x in widths if x >= 4 and p.lane_bits % x == 0]
        mul = SubwordMultiplier(p.lane_bits, widths, isolate=True)
        m.submodules[f"mul{w}"] = mul
        m.d.comb += [mul.a.eq(slots[0]["mul_a"]), mul.b.eq(slots[0]["mul_b"])]
        for k, width in enumerate(mul.widths):  # one-hot: the sub-lane width of this beat
            hit = [i for i, md in enumerate(p.modes) if max(md.width, 4) == width]
            m.d.comb += mul.sel[k].eq(_or_all([ctrl["mode"] == i for i in hit]) if hit else 0)
        gated = ctrl["gate"][self._group_of(w)] if p.power_gating else 0
        out = []
        for s in range(p.slots):
            f = slots[s]
            modes = p.slot_modes(s)
            sig_w = max(p.modes[i].a.sig_bits + p.modes[i].b.sig_bits for i in modes)
            prod = Signal(sig_w, name=f"p{w}_{s}_sig")
            term = Signal(name=f"p{w}_{s}_term")
            with m.Switch(ctrl["mode"]):
                for i in modes:
                    with m.Case(i):
                        width = max(p.modes[i].width, 4)
                        m.d.comb += [prod.eq(getattr(mul, f"p{width}")[s]), term.eq(1)]
                with m.Default():
                    m.d.comb += [prod.eq(0), term.eq(0)]
            nan = f["na"] | f["nb"] | (f["ia"] & f["zb"]) | (f["ib"] & f["za"])
            exprs = {
                "term": term & ctrl["valid"] & ~gated,
                "sign": f["sa"] ^ f["sb"],
                "exp": f["ea"] + f["eb"],
                "zero": f["za"] | f["zb"],
                "nan": nan,
                "inf": (f["ia"] | f["ib"]) & ~nan,
            }
            pr = {"sig": prod}
            for k, e in exprs.items():  # named: each is used more than once downstream
                shape = signed(PROD_EXP_BITS) if k == "exp" else 1
                pr[k] = Signal(shape, name=f"p{w}_{s}_{k}")
                m.d.comb += pr[k].eq(e)
            out.append(pr)
        return out

    def _quire(self, s: int) -> tuple[int, int, int, int]:
        """(true LSB, hardware LSB, max shift, width) of slot ``s``'s quire."""
        p = self.params
        modes = [p.modes[i] for i in p.slot_modes(s)]
        lsb, width = p.quire_range(s)
        hw_lsb = min(md.a.hw_exp_min + md.b.hw_exp_min for md in modes)
        hw_max = max(md.a.hw_exp_max + md.b.hw_exp_max for md in modes)
        return lsb, hw_lsb, hw_max - hw_lsb, width

    def _addend(self, m: Module, pr: dict, s: int, w: int) -> dict:
        lsb, hw_lsb, max_shift, width = self._quire(s)
        sh = Signal(range(max_shift + 1), name=f"al{w}_{s}_sh")
        m.d.comb += sh.eq(pr["exp"] - hw_lsb)
        wide = Signal(len(pr["sig"]) + max_shift, name=f"al{w}_{s}_wide")
        m.d.comb += wide.eq(pr["sig"] << sh)
        mag = wide[lsb - hw_lsb :]  # bits below the true LSB are always zero
        add = Signal(signed(width), name=f"al{w}_{s}_add")
        m.d.comb += add.eq(Mux(pr["sign"], -mag, mag))
        return {k: v for k, v in pr.items() if k not in ("sig", "exp")} | {"add": add}

    def _accumulate_exact(self, m: Module, ctrl: dict, t: dict, s: int, w: int):
        lsb, _, _, width = self._quire(s)
        q = Signal(signed(width), name=f"q{w}_{s}")
        flags = ("nan", "pinf", "ninf", "negz", "any")
        st = {k: Signal(name=f"q{w}_{s}_{k}", init=int(k == "negz")) for k in flags}
        on = t["term"]
        nq = Signal(signed(width), name=f"q{w}_{s}_next")
        m.d.comb += nq.eq(Mux(on, q + t["add"], q))
        nexts = {
            "nan": st["nan"] | (on & t["nan"]),
            "pinf": st["pinf"] | (on & t["inf"] & ~t["sign"]),
            "ninf": st["ninf"] | (on & t["inf"] & t["sign"]),
            "negz": st["negz"] & (~on | (t["zero"] & t["sign"] & ~t["nan"])),
            "any": st["any"] | on,
        }
        new = {}
        for k, e in nexts.items():
            new[k] = Signal(name=f"q{w}_{s}_{k}_next")
            m.d.comb += new[k].eq(e)
        fq = Signal(signed(width), name=f"fin_q{w}_{s}")
        ff = {k: Signal(name=f"fin_{w}_{s}_{k}") for k in flags}
        with m.If(ctrl["valid"]):
            with m.If(ctrl["last"]):
                m.d.sync += [fq.eq(nq), *(ff[k].eq(new[k]) for k in flags)]
                m.d.sync += [q.eq(0), *(st[k].eq(int(k == "negz")) for k in flags)]
            with m.Else():
                m.d.sync += [q.eq(nq), *(st[k].eq(new[k]) for k in flags)]
        rnd = self._rounder(width, bits_for(abs(lsb)) + 1)
        m.submodules[f"round{w}_{s}"] = rnd
        neg = Signal(name=f"fin_q{w}_{s}_neg")
        m.d.comb += neg.eq(fq < 0)
        m.d.comb += [
            rnd.sign.eq(Mux(fq == 0, ff["negz"], neg)),
            rnd.mag.eq(Mux(neg, -fq, fq)),
            rnd.exp_lsb.eq(lsb),
        ]
        nan, inf, ninf = self._specials()
        res = Signal(self.params.out_bits, name=f"res{w}_{s}")
        with m.If(ff["nan"] | (ff["pinf"] & ff["ninf"])):
            m.d.comb += res.eq(nan)
        with m.Elif(ff["pinf"]):
            m.d.comb += res.eq(inf)
        with m.Elif(ff["ninf"]):
            m.d.comb += res.eq(ninf)
        with m.Elif(~ff["any"]):
            m.d.comb += res.eq(0)
        with m.Else():
            m.d.comb += res.eq(rnd.result)
        return res

    def _specials(self) -> tuple[int, int, int]:
        """(canonical quiet NaN, +Inf, -Inf) of the result format (posits: NaR for all)."""
        if self.params.out_posit is not None:
            nar = 1 << (self.params.out_posit[0] - 1)
            return nar, nar, nar
        eb, mb = self.params.out_fields
        inf = ((1 << eb) - 1) << mb
        return inf | (1 << (mb - 1)), inf, inf | (1 << (eb + mb))

    def _rounder(self, width: int, exp_bits: int):
        """The readout rounder into the result format (IEEE-style or posit)."""
        if self.params.out_posit is not None:
            n, es = self.params.out_posit
            return PositEncoder(width, exp_bits, n, es)
        eb, mb = self.params.out_fields
        return FloatRound(width, exp_bits, eb, mb)

    def _accumulate_fp32(self, m: Module, ctrl: dict, t: dict, s: int, w: int):
        acc = Signal(32, name=f"acc{w}_{s}", init=0x80000000)
        anyt = Signal(name=f"acc{w}_{s}_any")
        add = Fp32Add(len(t["sig"]), PROD_EXP_BITS)
        m.submodules[f"fadd{w}_{s}"] = add
        m.d.comb += [
            add.acc.eq(acc),
            add.sign.eq(t["sign"]),
            add.sig.eq(t["sig"]),
            add.exp.eq(t["exp"]),
            add.zero.eq(t["zero"]),
            add.nan.eq(t["nan"]),
            add.inf.eq(t["inf"]),
        ]
        on = t["term"]
        nacc = Signal(32, name=f"acc{w}_{s}_next")
        m.d.comb += nacc.eq(Mux(on, add.result, acc))
        fin = Signal(32, name=f"fin_acc{w}_{s}")
        fany = Signal(name=f"fin_any{w}_{s}")
        with m.If(ctrl["valid"]):
            with m.If(ctrl["last"]):
                m.d.sync += [fin.eq(nacc), fany.eq(anyt | on), acc.eq(0x80000000), anyt.eq(0)]
            with m.Else():
                m.d.sync += [acc.eq(nacc), anyt.eq(anyt | on)]
        if self.params.out_format == "fp32":
            return Mux(fany, fin, 0)
        # readout: binary32 -> the result format (a second RNE rounding)
        conv = self._rounder(24, 10)
        m.submodules[f"cvt{w}_{s}"] = conv
        fe, fm = fin[23:31], fin[:23]
        m.d.comb += [
            conv.sign.eq(fin[31]),
            conv.mag.eq(Cat(fm, fe != 0)),
            conv.exp_lsb.eq(Mux(fe == 0, 1, fe) - 150),
        ]
        nan, inf, ninf = self._specials()
        res = Signal(self.params.out_bits, name=f"cvt{w}_{s}_res")
        with m.If(~fany):
            m.d.comb += res.eq(0)
        with m.Elif((fe == 0xFF) & (fm != 0)):
            m.d.comb += res.eq(nan)
        with m.Elif(fe == 0xFF):
            m.d.comb += res.eq(Mux(fin[31], ninf, inf))
        with m.Else():
            m.d.comb += res.eq(conv.result)
        return res


def _or_all(values: list):
    out = values[0]
    for v in values[1:]:
        out = out | v
    return out


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
