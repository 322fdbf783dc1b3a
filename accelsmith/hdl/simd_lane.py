"""One word lane of the SIMD engine (:mod:`accelsmith.hdl.simd`): decode, multiply, align,
accumulate and read out, for every slot of the word.

The engine places ``lanes`` identical lanes with :func:`accelsmith.hdl.hier.place`, so
hierarchical Verilog holds the lane (with its decoders, sub-word multiplier and rounders) once.
The engine keeps the control pipeline (valid, last, mode, gate) and hands each lane the stage
signals it needs; a lane sees only its own power-gating group's bit.
"""

from __future__ import annotations

from typing import Any

from amaranth.hdl import Cat, EnableInserter, Module, Mux, Signal, Value, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import bits_for

from ..core.families.simd import SimdParams
from .blocks.formats import make_decoder
from .blocks.minifloat import FloatRound, Fp32Add
from .blocks.posit import PositEncoder
from .blocks.submul import SubwordMultiplier

__all__ = ["PROD_EXP_BITS", "SimdLane", "stage_regs"]

PROD_EXP_BITS = 9


def stage_regs(m: Module, values: dict, cut: bool, tag: str) -> dict:
    """Register every value of ``values`` (nested dicts and lists) when ``cut``, else pass."""
    if not cut:
        return values
    out: dict = {}
    for k, v in values.items():
        if isinstance(v, list):
            regs = stage_regs(m, dict(enumerate(v)), True, f"{tag}_{k}")
            out[k] = [regs[i] for i in range(len(v))]
        elif isinstance(v, dict):
            out[k] = stage_regs(m, v, True, f"{tag}_{k}")
        else:
            r = Signal(Value.cast(v).shape(), name=f"{tag}_{k}")
            m.d.sync += r.eq(v)
            out[k] = r
    return out


class SimdLane(wiring.Component):
    """One ``lane_bits`` word: ``slots`` accumulators and their result registers.

    Members
    -------
    en : In(1)
        Advance.
    a_in, b_in : In(lane_bits)
        The word's operands on the ``x`` stream (registered here at stage 1) ...
    off : In(1)
        ... forced to 0 when the lane's power-gating group is gated on this beat.
    mode1 : In(mode_bits)
        Stage-1 mode (selects the decoders).
    valid2, mode2, gate2 : In
        Multiplier-stage control: beat valid, its mode, the lane's group gated.
    valid4, last4 : In(1)
        Accumulator-stage control: beat valid, last beat of the dot product.
    fin_gate : In(1)
        The lane's group was gated on the finished dot product's last beat (reads 0).
    res : Out(slots * out_bits)
        Result registers, slot ``s`` at bits ``[s*out_bits, (s+1)*out_bits)``.
    """

    def __init__(self, params: SimdParams) -> None:
        self.params = p = params
        super().__init__(
            {
                "en": In(1),
                "a_in": In(p.lane_bits),
                "b_in": In(p.lane_bits),
                "off": In(1),
                "mode1": In(p.mode_bits),
                "valid2": In(1),
                "mode2": In(p.mode_bits),
                "gate2": In(1),
                "valid4": In(1),
                "last4": In(1),
                "fin_gate": In(1),
                "res": Out(p.slots * p.out_bits),
            }
        )

    def elaborate(self, platform: Any) -> Module:
        p = self.params
        m = Module()
        st = {
            "mode": self.mode1,
            "a": [Signal(p.lane_bits, name="s1_a")],
            "b": [Signal(p.lane_bits, name="s1_b")],
        }
        m.d.sync += [
            st["a"][0].eq(Mux(self.off, 0, self.a_in)),
            st["b"][0].eq(Mux(self.off, 0, self.b_in)),
        ]
        words = stage_regs(m, {"w": self._decode_word(m, st, 0)}, p.pipeline >= 2, "s2")["w"]
        ctrl2 = {"valid": self.valid2, "mode": self.mode2, "gate": self.gate2}
        mul = self._multiply_word(m, ctrl2, words, 0)
        mul = stage_regs(m, {"w": mul}, p.pipeline >= 3, "s3")["w"]
        if p.acc == "exact":  # align: the quire addend
            mul = [self._addend(m, mul[s], s, 0) for s in range(p.slots)]
        acc_in = stage_regs(m, {"w": mul}, p.pipeline >= 4, "s4")["w"]
        ctrl4 = {"valid": self.valid4, "last": self.last4}
        for s in range(p.slots):
            if p.acc == "exact":
                res = self._accumulate_exact(m, ctrl4, acc_in[s], s, 0)
            else:
                res = self._accumulate_fp32(m, ctrl4, acc_in[s], s, 0)
            gated = self.fin_gate if p.power_gating else 0
            reg = self.res[s * p.out_bits : (s + 1) * p.out_bits]
            m.d.sync += reg.eq(Mux(gated, 0, res))
        return EnableInserter({"sync": self.en})(m)

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
        gated = ctrl["gate"] if p.power_gating else 0
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
        wide = Signal(len(pr["sig"]) + max_shift, name=f"al{w}_{s}_wide")
        if max_shift:
            sh = Signal(range(max_shift + 1), name=f"al{w}_{s}_sh")
            m.d.comb += sh.eq(pr["exp"] - hw_lsb)
            m.d.comb += wide.eq(pr["sig"] << sh)
        else:  # integer-only slot: no alignment (a 0-bit shift is ``wire [-1:0]``, ASCRANGE)
            m.d.comb += wide.eq(pr["sig"])
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
