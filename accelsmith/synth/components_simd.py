"""The SIMD lane's blocks as calibration components (``accelsmith calibrate``).

:class:`accelsmith.hdl.simd_lane.SimdLane` is one word of the SIMD engine; its structure
depends on the whole format set, so the lane is costed from its blocks
(:mod:`accelsmith.models.simd_asic`), each built by the generator's own code with every input
driven from a register (as in the lane, where they come from pipeline registers) and its
result registered where the lane registers it:

``sdec_<format>`` (width: the format's bits)
    The number-format decoder (``hdl/blocks/formats.make_decoder``), outputs registered (in
    the lane they feed the mode multiplexers and the decode-stage registers).
``smul_<w1>_<w2>..`` (width: the word ``W``)
    The lane's reconfigurable multiplier (``hdl/blocks/submul.SubwordMultiplier``, operand
    isolation on) for a format set whose modes have the sub-lane widths ``w1, w2 ..``; built,
    like the lane, with width 4 always present (a 4-bit select tied to 0 when no mode is 4
    bits wide) and the lane's product selection (the used widths' products, one-hot by
    mode), outputs registered.
``sslot_<out>`` (width: the quire bits ``q``)
    One exact accumulator slot built by the lane's own methods (``SimdLane._addend``,
    ``_accumulate_exact``): conditional negation into the quire, quire add and hold, special
    flags, finished copy, and the readout (negation, rounder into ``out``, specials),
    registered result. Alignment range 0 (an integer slot: a ``q - 8``-bit product
    magnitude, 7 carry bits); the quire LSB exponent is ``-q // 3`` (the rounder gets it as a
    constant, as in the lane). The alignment shifter of a float slot is costed apart
    (multiplexer bits per shift stage).
``sslotf_<out>`` (width: the product significand bits)
    One ``fp32`` accumulator slot (``SimdLane._accumulate_fp32``: the binary32 fused adder,
    accumulator, finished copy and, unless ``out`` is fp32, the converter), the product's
    9-bit exponent from a register.
``sslotf<e>_fp32`` (width: the product significand bits; ``e`` = 3, 6)
    ``sslotf_fp32`` with an ``e``-bit product exponent instead of 9: the exponent range a
    pipeline-1/-2 slot's adder sees through the decoders (no register in between).
``sslotfi_<out>`` (width: the product significand bits)
    The same for a slot whose modes are all integers: the product exponent is the constant 0
    (the integer decoders' exponent), which synthesis propagates into the adder's alignment.
``schain<k>`` (width: the quire bits ``q``)
    The lane's multiply-align-accumulate chain synthesized as one block, as it sits in a
    pipeline-1 or -2 lane (no register between the multiplier and the quire): an 8-bit word's
    sub-word multiplier (``SimdMultiplier``, widths 8 and 4), its 16-bit product aligned by a
    ``k``-stage shifter (``SimdLane._addend``: shift amounts ``0 .. 2**k - 1`` from a
    registered exponent; ``k = 0``: an integer slot, no shifter), conditionally negated and
    added into a ``q``-bit quire (``_accumulate_exact`` without its readout, whose period
    the ``sslot`` components measure). Synthesis merges the product's final addition, the
    shifter and the quire add (ABC maps them to carry chains as long as the quire), so the
    chain is not its blocks' delays in series (e.g. ``schain3`` at 24: 8.9 ns, vs. the
    multiplier, 3 shifter stages and a 24-bit add in series: 11.9 ns). The model takes the
    chain's increment over its own multiplier for the lane's pipeline-1 and -2 paths.
``schainr<k>`` (width: the quire bits ``q``)
    The same chain with the slot's flags, finished copy and fp32 readout (the whole slot
    after the multiplier) in one block. Synthesized together, chain and readout are slower
    than either apart (ABC's area recovery relaxes every path up to the block's critical
    one; the readout's ripple chains are mapped less deep) and smaller than the parts: the
    model adds that context to each slot's readout period and scales a pipeline-1/-2 slot's
    area by it (:mod:`accelsmith.models.simd_asic`).
``schainr<k>_<out>`` (width: the quire bits ``q``)
    ``schainr<k>`` with the rounder of the result format ``out`` (bf16, fp16, posit16,
    posit8) instead of binary32, the quire LSB at the exponent the generator gives a slot of
    that class (:func:`class_lsb`): the readout's extra in context depends on its rounder
    (the model takes the slot's own format's).
``schainr<k>m<m>_<out>`` (width: the quire bits ``q``)
    The same block, every result format (binary32 too), with the quire LSB at ``-m``
    instead of the class lane's: the other LSBs the generator gives a slot of class ``k``
    (``models.simd_asic.CHAINR_LSB``: posit4 -8 and posit8 -12 in class 5, FP8 E4M3 +
    posit8 -18 in class 6), at those slots' quire widths. Where the quire's bits sit in the
    result format's exponent range shapes the rounder (a class-5 posit16 block at q = 25:
    LSB -8, 10.3 ns into the results; the FP8 E4M3 lane's blocks at 24 and 38: 9.5 and
    12.4); the model takes the block of the LSB nearest the slot's own.

``schainl<k>`` (width: slot 0's quire bits ``q``; ``max_k`` chosen to give it)
    The lane's pipeline-1 datapath in context: the generator's smallest lane whose widest
    slot has stage class ``k`` (``models.simd_asic.LANE_CTX``: its word and formats), built
    by the lane's own methods (stage-1 operand registers, decoders, mode multiplexers,
    sub-word multiplier, alignment, quire add), the quire registered at its end, no readout.
    Synthesized whole, the decode overlaps the partial products and the product's final
    addition merges with the quire add: the blocks' delays in series overstate the path
    (``schainl3`` at 24: 8.6 ns; the decoder, multiplier and ``schain3`` increment in
    series: 10.4 ns). ``schainl<k>_p2``: the same lane at pipeline 2 (the decode stage's
    registers in between). The variants ``schainl<k>w`` (a 16-bit word) and ``schainl<k>s``
    (fewer modes) are for the leave-one-out choice of the model's form
    (:func:`accelsmith.models.calib_cv.simd_lane_ctx_cv`). ``schainl5p8``, ``schainl5p4``,
    ``schainl5p4i8``, ``schainl5px``, ``schainl5pxi8`` (and ``_p2``): the class-5 lanes of
    posit slots (``models.simd_asic.LANE_CTX_POSIT``: int8 + posit8, int4 + posit4, int8 +
    posit4, int4 + posit8 x FP4, int8 + posit8 x FP4), whose posit decoders and quire
    widths the FP8 E4M3 lane does not stand for (``schainl5p8`` at 30: 16.0 ns,
    ``schainl5`` at 38: 11.6, ``schainl5px`` at 28: 10.3).

``sslot_fp32`` is sampled densely around q = 25: up to it the quire's magnitude fits the
binary32 significand and the readout has no rounding logic (24 / 25 / 26: 7.3 / 7.1 /
9.6 ns), so an interpolation across that step would understate every wider slot's readout;
the binary32 chain-and-readout blocks of the classes whose slots straddle it (0 and 3) are
sampled at 25 and 26 too (``FP32_STEP_WIDTHS``; ``schainr3``'s readout 7.7 / 9.8 ns), and
the model never interpolates a binary32 readout across the step
(``models.simd_asic.FP32_EXACT_Q``).
"""

from __future__ import annotations

from amaranth.hdl import Const, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..core.families.simd import OUT_FORMATS, POSIT_OUTS
from ..core.numformats import FORMATS
from ..hdl.simd_lane import PROD_EXP_BITS
from ..models.simd_asic import (
    CHAIN_STAGES,
    CHAIN_WIDTHS,
    CHAIN_WORD,
    CHAINR_LSB,
    FP32_EXP_SAMPLES,
    LANE_CTX_ALL,
    LANE_CTX_P2,
    class_lsb,
)

__all__ = ["SIMD_KINDS", "SIMD_WIDTHS", "simd_component"]

OUTS = (*OUT_FORMATS, *POSIT_OUTS)
DEC_KINDS = tuple(f"sdec_{name}" for name in FORMATS)
# the sub-lane width sets a format set can use (every mode is 4, 8 or 16 bits wide)
MUL_SETS = ((4,), (8,), (8, 4), (16,), (16, 4), (16, 8), (16, 8, 4))
MUL_KINDS = tuple("smul_" + "_".join(map(str, s)) for s in MUL_SETS)
SLOT_KINDS = tuple(f"sslot_{o}" for o in OUTS)
SLOTF_KINDS = tuple(f"sslotf_{o}" for o in OUTS)
SLOTFI_KINDS = tuple(f"sslotfi_{o}" for o in OUTS)
#: fp32 slots whose product exponent has fewer bits than the 9 of ``sslotf`` (the range
#: synthesis sees at pipeline 1/2, where the exponent comes from the decoders unregistered)
SLOTFE_KINDS = tuple(f"sslotf{e}_fp32" for e in FP32_EXP_SAMPLES)
CHAIN_KINDS = tuple(f"schain{k}" for k in CHAIN_STAGES)
CHAINR_KINDS = tuple(f"schainr{k}" for k in CHAIN_STAGES)
#: the same with each other result format's rounder (``schainr<k>_<out>``)
CHAINR_OUTS = tuple(o for o in OUTS if o != "fp32")
CHAINR_OUT_KINDS = tuple(f"schainr{k}_{o}" for k in CHAIN_STAGES for o in CHAINR_OUTS)
#: the same at another quire LSB of the class, every result format (``schainr<k>m<-lsb>_<out>``)
CHAINR_LSB_KINDS = tuple(
    f"schainr{k}m{-lsb}_{o}" for k, by in CHAINR_LSB.items() for lsb in by for o in OUTS
)
LANE_CTX_KINDS = (*LANE_CTX_ALL, *LANE_CTX_P2)  # pipeline-1 and -2 lanes in context
SIMD_KINDS = (
    *DEC_KINDS, *MUL_KINDS, *SLOT_KINDS, *SLOTF_KINDS, *SLOTFI_KINDS, *CHAIN_KINDS, *CHAINR_KINDS,
    *CHAINR_OUT_KINDS, *CHAINR_LSB_KINDS, *LANE_CTX_KINDS,
)  # fmt: skip
SLOT_CARRY_BITS = 7  # an sslot component's quire: q - 8 magnitude bits + 7 carry + sign

# the chain-and-readout blocks at the chains' widths and inside the range of the quire widths
# the generator's slots of each class have (the in-context lanes' widths below, max_k 2..513):
# the readout in context moves by 1-2 ns between neighbouring widths (ABC's mapping), so a
# lane's width is interpolated from samples around it; class 7 has 120 inside its 116..125
CHAINR_WIDTHS = {
    0: (18, 22, 24, 27, 48), 3: (16, 20, 24, 29, 48), 5: (24, 38, 42, 48, 72),
    6: (64, 70, 80, 120), 7: (120, 150, 200),
}  # fmt: skip
# the in-context lanes' slot-0 quire widths: the narrowest (max_k 2), then 4 and 9 carry
# bits more (max_k 17 and 513; FP8 E4M3 at 10 more), the range the bench's and the DSE
# spaces' max_k give; the variants (another word or mode set) at the upper two
LANE_CTX_WIDTHS = {
    **{"schainl0": (18, 22, 27), "schainl3": (20, 24, 29), "schainl5": (38, 42, 48)},
    **{"schainl6": (66, 70, 76), "schainl7": (116, 120, 125)},
    **{"schainl0w": (22, 27), "schainl0s": (22, 27), "schainl3w": (24, 29)},
    **{"schainl3s": (24, 29), "schainl5w": (42, 47), "schainl5s": (38, 42, 47)},
    # the E4M3 lanes (``models.simd_asic.LANE_CTX_E4M3``), as the E4M3 lane alone: max_k 2,
    # 17, 513
    **{k: (38, 42, 47) for k in ("schainl5f4", "schainl5i4", "schainl5i4f4")},
    **{"schainl6s": (70, 75), "schainl7s": (120, 125)},
    **{"schainl5p4": (20, 24, 29), "schainl5p8": (30, 34, 39)},  # max_k 2, 17, 513
    "schainl5p4i8": (26, 30, 35),
    **{"schainl5px": (19, 23, 28), "schainl5pxi8": (25, 29, 34)},  # max_k 2, 17, 513
}
LANE_CTX_WIDTHS |= {k: LANE_CTX_WIDTHS[k.removesuffix("_p2")] for k in LANE_CTX_P2}
#: quire widths on both sides of binary32's rounding step (``models.simd_asic.FP32_EXACT_Q``)
FP32_STEP_WIDTHS = (25, 26)
#: the binary32 chain-and-readout blocks' extra quire widths: both sides of the rounding
#: step where a class's slots straddle it (classes 0 and 3), and the integer class's
#: narrow quires (int4 slots: q = 10..19, below ``CHAINR_WIDTHS[0]``'s 18)
CHAINR_FP32_EXTRA = {0: (12, 15, *FP32_STEP_WIDTHS), 3: FP32_STEP_WIDTHS}
# widths sampled by `accelsmith calibrate`: every decoder once; each multiplier at the words
# its widths fit in; exact slots at quire widths spanning int4 (~12 bits) to posit16 with
# deep dot products (~150); fp32 slots at the product significands 2..26
SIMD_WIDTHS: dict[str, tuple[int, ...]] = {
    **{f"sdec_{name}": (f.bits,) for name, f in FORMATS.items()},
    **{
        k: tuple(w for w in (4, 8, 16, 32) if w >= s[0])
        for k, s in zip(MUL_KINDS, MUL_SETS, strict=True)
    },
    "sslot_fp32": (12, 24, 25, 26, 32, 40, 48, 96, 150),
    **{f"sslot_{o}": (12, 48, 150) for o in OUTS if o != "fp32"},
    # the fp32 slots down to a posit4 product's 2 significand bits (FP4: 4): below the
    # smallest sample a power law would carry the slope of the significand's own logic into
    # a period the binary32 adder's loop sets
    "sslotf_fp32": (2, 4, 8, 16, 26),
    **{f"sslotf_{o}": (2, 4, 8, 26) for o in OUTS if o != "fp32"},
    **{f"sslotfi_{o}": (8, 16) for o in OUTS},  # int4 and int8 products
    **{k: (2, 4, 8, 16, 26) for k in SLOTFE_KINDS},
    **{f"schain{k}": w for k, w in CHAIN_WIDTHS.items()},
    **{f"schainr{k}": w for k, w in CHAINR_WIDTHS.items()},  # the same, with the readout
    # the binary32 blocks at their extra widths (``CHAINR_FP32_EXTRA``)
    **{f"schainr{k}": tuple(sorted({*CHAINR_WIDTHS[k], *w})) for k, w in CHAINR_FP32_EXTRA.items()},
    **{f"schainr{k}_{o}": w for k, w in CHAINR_WIDTHS.items() for o in CHAINR_OUTS},
    **{
        f"schainr{k}m{-lsb}_{o}": w
        for k, by in CHAINR_LSB.items()
        for lsb, w in by.items()
        for o in OUTS
    },
    **LANE_CTX_WIDTHS,
}


def _input_regs(m: Module, comp: wiring.Component, prefix: str) -> dict[str, Signal]:
    """A register ``<prefix>_<name>`` on every input port of ``comp`` (its harness)."""
    regs = {}
    for name, member in comp.signature.members.items():
        if member.flow == In:
            regs[name] = Signal(member.shape, name=f"{prefix}_{name}")
            m.d.sync += regs[name].eq(getattr(comp, name))
    return regs


def _mul_set(kind: str) -> tuple[int, ...]:
    return tuple(int(x) for x in kind.split("_")[1:])


class SimdMultiplier(wiring.Component):
    """The lane's sub-word multiplier for sub-lane widths ``used`` of a ``word``-bit word
    and its product selection (see the module docstring); combinational.

    Members
    -------
    a, b : In(word)
        Operands.
    sel : In(len(used))
        One-hot width select, widest first.
    y : Out(2 * word)
        The selected width's products (all sub-lanes at their offsets; 0 if none selected).
    """

    def __init__(self, word: int, used: tuple[int, ...]) -> None:
        self.word, self.used = word, tuple(sorted(used, reverse=True))
        self.widths = tuple(sorted(set(used) | {4}, reverse=True))
        super().__init__(
            {"a": In(word), "b": In(word), "sel": In(len(self.used)), "y": Out(2 * word)}
        )

    def elaborate(self, platform: object) -> Module:
        from ..hdl.blocks.submul import SubwordMultiplier

        m = Module()
        m.submodules.mul = mul = SubwordMultiplier(self.word, self.widths, isolate=True)
        m.d.comb += [mul.a.eq(self.a), mul.b.eq(self.b)]
        for k, w in enumerate(self.widths):
            m.d.comb += mul.sel[k].eq(self.sel[self.used.index(w)] if w in self.used else 0)
        y = 0
        for k, w in enumerate(self.used):  # the lane's product multiplexer (by mode)
            y = y | Mux(self.sel[k], getattr(mul, f"p{w}").as_value(), 0)
        m.d.comb += self.y.eq(y)
        return m


class SimdSlot(wiring.Component):
    """One accumulator slot of the lane, by the generator's methods (module docstring).

    Members
    -------
    sig : In(sig_bits)
        Product significand; ``exp`` (``fp32`` only), ``sign``, ``zero``, ``nan``, ``inf``,
        ``term`` the product's fields; ``valid``, ``last`` the accumulator stage's control.
    res : Out(out_bits)
        The registered result.
    """

    def __init__(
        self,
        acc: str,
        out_format: str,
        width: int,
        int_products: bool = False,
        exp_bits: int = PROD_EXP_BITS,
    ) -> None:
        from ..core.families.simd import SimdParams

        self.acc, self.width, self.int_products = acc, width, int_products
        self.quire_lsb = -(width // 3)  # the quire LSB's exponent (a constant of the rounder)
        self.params = SimdParams(
            lane_bits=8, lanes=1, formats=("int8",), acc=acc, out_format=out_format
        )
        self.sig_bits = width - 1 - SLOT_CARRY_BITS if acc == "exact" else width
        ports = {"sig": In(self.sig_bits), "sign": In(1), "zero": In(1), "nan": In(1)}
        ports |= {"inf": In(1), "term": In(1), "valid": In(1), "last": In(1)}
        exp_bits = exp_bits if acc == "fp32" and not int_products else 0
        if exp_bits:
            ports["exp"] = In(signed(exp_bits))
        #: flip-flops the harness adds (its input registers)
        self.wrapper_flops = self.sig_bits + 7 + exp_bits
        super().__init__({**ports, "res": Out(self.params.out_bits)})

    def elaborate(self, platform: object) -> Module:
        from ..hdl.simd_lane import SimdLane

        m = Module()
        lane = SimdLane(self.params)
        lane._MustUse__silence = True  # only its methods are used (they build into ``m``)
        q, lsb = self.width, self.quire_lsb
        lane._quire = lambda s: (lsb, lsb, 0, q)  # an integer slot of this quire width
        regs = _input_regs(m, self, "r")
        pr = {k: regs[k] for k in ("sig", "sign", "zero", "nan", "inf", "term")}
        ctrl = {"valid": regs["valid"], "last": regs["last"]}
        if self.acc == "exact":
            pr["exp"] = Const(0, signed(9))
            res = lane._accumulate_exact(m, ctrl, lane._addend(m, pr, 0, 0), 0, 0)
        else:
            pr["exp"] = Const(0, signed(9)) if self.int_products else regs["exp"]
            res = lane._accumulate_fp32(m, ctrl, pr, 0, 0)
        m.d.sync += self.res.eq(res)
        return m


class SimdChain(wiring.Component):
    """The multiply-align-accumulate chain ``schain<stages>`` of a ``word``-bit lane into a
    ``quire``-bit quire (module docstring); every input registered, the quire is the
    register at its end.

    Members
    -------
    a, b : In(word)
        Operands; ``sel`` one-hot width select (``word``, 4); ``exp`` the shift amount;
        ``sign``, ``term``, ``valid``, ``last`` the product's sign and the control.
    q : Out(quire bits)
        The quire.
    """

    def __init__(
        self,
        quire: int,
        stages: int,
        word: int = CHAIN_WORD,
        readout: bool = False,
        out_format: str = "fp32",
        quire_lsb: int = 0,
    ) -> None:
        from ..core.families.simd import SimdParams

        self.word, self.stages, self.quire, self.readout = word, stages, quire, readout
        self.quire_lsb = quire_lsb  # the quire LSB's exponent (a constant of the rounder)
        self.shift = (1 << stages) - 1
        self.params = SimdParams(lane_bits=8, lanes=1, formats=("int8",), out_format=out_format)
        ports = {"a": In(word), "b": In(word), "sel": In(2), "exp": In(max(stages, 1))}
        ports |= {"sign": In(1), "term": In(1), "valid": In(1), "last": In(1)}
        if readout:
            ports |= {"zero": In(1), "nan": In(1), "inf": In(1)}
            ports["res"] = Out(self.params.out_bits)
        else:
            ports["q"] = Out(signed(self.quire))
        super().__init__(ports)

    def elaborate(self, platform: object) -> Module:
        from ..hdl.simd_lane import SimdLane

        m = Module()
        regs = _input_regs(m, self, "r")
        m.submodules.mul = mul = SimdMultiplier(self.word, tuple({self.word, 4}))
        m.d.comb += [mul.a.eq(regs["a"]), mul.b.eq(regs["b"]), mul.sel.eq(regs["sel"])]
        lane = SimdLane(self.params)
        lane._MustUse__silence = True  # only its methods are used (they build into ``m``)
        q, shift, lsb = self.quire, self.shift, self.quire_lsb
        lane._quire = lambda s: (lsb, lsb, shift, q)  # the quire LSB at the product's LSB
        pr = {"sig": mul.y, "exp": regs["exp"] if self.stages else Const(0, 1)}
        pr |= {"sign": regs["sign"], "term": regs["term"]}
        if self.readout:  # the whole slot: quire, flags, finished copy, fp32 readout
            pr |= {k: regs[k] for k in ("zero", "nan", "inf")}
            ctrl = {"valid": regs["valid"], "last": regs["last"]}
            res = lane._accumulate_exact(m, ctrl, lane._addend(m, pr, 0, 0), 0, 0)
            m.d.sync += self.res.eq(res)
            return m
        t = lane._addend(m, pr, 0, 0)
        acc = Signal(signed(q), name="quire")
        nq = Signal(signed(q), name="quire_next")
        m.d.comb += nq.eq(Mux(t["term"], acc + t["add"], acc))
        with m.If(regs["valid"]):
            m.d.sync += acc.eq(Mux(regs["last"], 0, nq))
        m.d.comb += self.q.eq(acc)
        return m


def simd_component(kind: str, width: int) -> tuple[wiring.Component, str]:
    """The SIMD component ``kind`` at ``width`` and its top-module name."""
    from .components import _Wrapped  # components dispatches here lazily

    top = f"cal_{kind}_{width}"
    if kind in DEC_KINDS:
        from ..hdl.blocks.formats import make_decoder

        return _Wrapped(kind, width, make_decoder(FORMATS[kind[5:]]), True), top
    if kind in MUL_KINDS:
        return _Wrapped(kind, width, SimdMultiplier(width, _mul_set(kind)), True), top
    if kind in SLOT_KINDS:
        return SimdSlot("exact", kind[6:], width), top
    if kind in SLOTF_KINDS:
        return SimdSlot("fp32", kind[7:], width), top
    if kind in SLOTFI_KINDS:
        return SimdSlot("fp32", kind[8:], width, int_products=True), top
    if kind in SLOTFE_KINDS:
        return SimdSlot("fp32", "fp32", width, exp_bits=int(kind[6:].split("_")[0])), top
    if kind in CHAIN_KINDS:
        return SimdChain(width, int(kind[6:])), top
    if kind in CHAINR_KINDS:
        return SimdChain(width, int(kind[7:]), readout=True), top
    if kind in CHAINR_OUT_KINDS:
        k, out = kind[7:].split("_", 1)
        return SimdChain(width, int(k), readout=True, out_format=out, quire_lsb=class_lsb(k)), top
    if kind in CHAINR_LSB_KINDS:
        k_lsb, out = kind[7:].split("_", 1)
        k, m = (int(x) for x in k_lsb.split("m"))
        return SimdChain(width, k, readout=True, out_format=out, quire_lsb=-m), top
    if kind in LANE_CTX_KINDS:
        return SimdLaneCtx(lane_ctx_params(kind, width)), top
    raise ValueError(f"kind must be one of {SIMD_KINDS}, not {kind!r}")


def lane_ctx_params(kind: str, width: int):  # -> SimdParams
    """The lane parameters of an ``schainl*`` component (``models.simd_asic.LANE_CTX``,
    pipeline 1; ``LANE_CTX_P2``, pipeline 2), ``max_k`` chosen so that slot 0's quire is
    ``width`` bits."""
    from ..core.errors import ConfigError
    from ..core.families.simd import SimdParams

    word, formats = {**LANE_CTX_ALL, **LANE_CTX_P2}[kind]
    pipe = 2 if kind in LANE_CTX_P2 else 1
    base = SimdParams(lane_bits=word, lanes=1, formats=formats, pipeline=pipe, max_k=2)
    carry = width - base.quire_range(0)[1] + 1  # quire bits above the products
    if carry < 1:
        raise ConfigError(
            f"width must be at least {base.quire_range(0)[1]} for {kind}, not {width}"
        )
    return SimdParams(
        lane_bits=word, lanes=1, formats=formats, pipeline=pipe, max_k=(1 << (carry - 1)) + 1
    )


class SimdLaneCtx(wiring.Component):
    """The lane's pipeline-1 or -2 datapath in context (``schainl<k>[_p2]``): the
    generator's own stage-1 operand registers, decoders, mode multiplexers (at pipeline 2
    the decode stage's registers), sub-word multiplier, alignment and quire add of every
    slot (``SimdLane._decode_word``, ``_multiply_word``, ``_addend``, ``stage_regs``), the
    quire registered at its end; no readout (its period is the ``sslot`` / ``schainr``
    samples'). Control (mode, valid, last, term gating) from registers, as the engine's.

    Members
    -------
    a, b : In(lane_bits)
        Operands (registered here, as the lane's stage 1).
    mode, valid, last : In
        The stage-1 control.
    q<s> : Out(quire bits of slot s)
        Each slot's quire.
    """

    def __init__(self, params) -> None:
        self.params = p = params
        ports = {"a": In(p.lane_bits), "b": In(p.lane_bits), "mode": In(p.mode_bits)}
        ports |= {"valid": In(1), "last": In(1)}
        ports |= {f"q{s}": Out(signed(p.quire_range(s)[1])) for s in range(p.slots)}
        super().__init__(ports)

    def elaborate(self, platform: object) -> Module:
        from ..hdl.simd_lane import SimdLane, stage_regs

        p = self.params
        m = Module()
        regs = _input_regs(m, self, "s1")
        lane = SimdLane(p)
        lane._MustUse__silence = True  # only its methods are used (they build into ``m``)
        st = {"mode": regs["mode"], "a": [regs["a"]], "b": [regs["b"]]}
        cut = p.pipeline >= 2  # pipeline 2: the decode stage's registers, as in the lane
        words = stage_regs(m, {"w": lane._decode_word(m, st, 0)}, cut, "s2")["w"]
        ctrl = {k: regs[k] for k in ("valid", "mode", "last")}
        ctrl = stage_regs(m, ctrl, cut, "s2_ctrl") | {"gate": Const(0, 1)}
        regs |= {"valid": ctrl["valid"], "last": ctrl["last"]}
        for s, pr in enumerate(lane._multiply_word(m, ctrl, words, 0)):
            t = lane._addend(m, pr, s, 0)
            q = Signal(signed(p.quire_range(s)[1]), name=f"q0_{s}")
            nq = Signal.like(q, name=f"q0_{s}_next")
            m.d.comb += nq.eq(Mux(t["term"], q + t["add"], q))
            with m.If(regs["valid"]):
                m.d.sync += q.eq(Mux(regs["last"], 0, nq))
            m.d.comb += getattr(self, f"q{s}").eq(q)
        return m
