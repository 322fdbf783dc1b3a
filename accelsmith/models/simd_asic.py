"""The SIMD engine at 130 nm: flip-flop inventory, logic area, Fmax and power from components.

:mod:`accelsmith.hdl.simd` places ``lanes`` identical :class:`~accelsmith.hdl.simd_lane.
SimdLane` words; a lane's structure depends on the whole format set (which decoders exist,
how many modes each accumulator slot serves, the quire width of each slot). The lane is
therefore costed from the generator's own blocks synthesized one by one
(:mod:`accelsmith.synth.components_simd`, run by ``accelsmith calibrate``), never from whole
lanes or engines:

- ``sdec_<format>``: each number-format decoder (``hdl/blocks`` ``make_decoder``), one per
  ``(format, operand side, sub-lane offset)`` the lane instantiates;
- ``smul_<widths>`` at ``W``: the reconfigurable sub-word multiplier of a ``W``-bit word
  (``SubwordMultiplier``) with the sub-lane widths the format set uses, operand isolation on;
  its area scales with the partial products whose operand bits some mode drives (the rest
  are constant 0 and synthesis removes them);
- ``sslot_<out>`` at the quire width ``q``: one exact accumulator slot of the lane, built by
  the generator's own methods (alignment shifter, conditional negation, quire add and hold,
  flags, readout negation and the rounder into ``out``), at a sampled alignment range; the
  slot's actual alignment range is corrected with ``sshift`` (the shifter alone, per
  alignment stage);
- the mode multiplexers between them (decoded fields and significands per slot, products per
  slot: ``mux`` per bit and per extra mode), the product exponent adder (``add``), the
  registers (``reg``: one flip-flop; every flip-flop's enable: ``fan``).

The flip-flop count mirrors the RTL line by line (:func:`simd_lane_inventory`; what Yosys
removes or merges is said next to each term) and is checked against synthesized netlists
(``tests/synth/test_calib_simd.py``). Fmax is the slowest of the sampled components'
register-to-register periods as they sit in the lane, plus the fan-out of the stall/advance
enable over every flip-flop of the engine (``fan``): at pipeline 1 an exact slot's decode,
multiply, align and quire add are the lane of its stage class synthesized whole
(``schainl<k>``, moved by the slot's multiplier difference); at pipeline 2 the multiplier,
shifter and quire add are one merged chain (``schain<k>``), and every slot's readout gets
the extra that the chain beside it costs when both are synthesized as one block
(``schainr<k>`` with the binary32 rounder, ``schainr<k>_<out>`` with the slot's own result
format's), and ``schainr<k>`` also gives the area a merged pipeline-1/-2 slot saves. An
``fp32`` slot whose modes are all integers uses ``sslotfi_<out>`` (the product exponent
is the constant 0). Power is the flow's clock + activity model
(:func:`accelsmith.models.calib.flow_power_w`).

The structure of a format set is computed once per distinct group of configurations (Python
over slots and modes, at most 8 x 9); everything per configuration is numpy.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..core.errors import ConfigError
from ..core.families.simd import SimdParams
from ..core.numformats import Format

__all__ = [
    "CHAINR_LSB",
    "CHAIN_STAGES",
    "CHAIN_WIDTHS",
    "CHAIN_WORD",
    "FP32_EXP_SAMPLES",
    "LANE_CTX",
    "LANE_CTX_ALL",
    "LANE_CTX_E4M3",
    "LANE_CTX_P2",
    "LANE_CTX_POSIT",
    "class_lsb",
    "lane_structure",
    "signed_bits",
    "simd_engine_flops",
]

#: alignment stages of the ``schain<k>`` / ``schainr<k>`` calibration components
#: (:mod:`accelsmith.synth.components_simd`): integer slots (0), FP4 (3), FP8 E4M3, posit4
#: and posit8 (5), FP8 E5M2 (6), posit16 (7)
CHAIN_STAGES = (0, 3, 5, 6, 7)
CHAIN_WORD = 8  # the chain components' word (their multiplier: smul_8_4 at 8)
#: the chains' quire widths, from about the narrowest a slot of that alignment range has to
# the deepest dot products (a quire narrower than the 16-bit product keeps its low bits: the
# carry chain is what sets the period)
CHAIN_WIDTHS = {
    0: (18, 24, 48), 3: (16, 24, 48), 5: (24, 48, 72), 6: (64, 80, 120), 7: (120, 150, 200)
}  # fmt: skip
#: product-exponent bits of the narrow ``sslotf<e>_fp32`` calibration components
FP32_EXP_SAMPLES = (3, 6)
#: the lanes of the ``schainl<k>`` calibration components (the pipeline-1 datapath in
#: context): (word bits, formats) of the generator's smallest lane whose widest slot has
#: stage class ``k`` (integers; int + FP4, the mixed slot; int8 + FP8 E4M3; int8 + FP8 E5M2;
#: int4 + posit16, which needs a 16-bit word). The model uses these; the variants with
#: another word (``w``) or fewer modes (``s``) of the same class are there for the
#: leave-one-out choice of how a lane that differs from them is moved
#: (:func:`accelsmith.models.calib_cv.simd_lane_ctx_cv`)
LANE_CTX = {
    "schainl0": (8, ("int4", "int8")),
    "schainl3": (8, ("int4", "int8", "fp4_e2m1")),
    "schainl5": (8, ("int8", "fp8_e4m3")),
    "schainl6": (8, ("int8", "fp8_e5m2")),
    "schainl7": (16, ("int4", "posit16_1")),
    "schainl0w": (16, ("int4", "int8")),
    "schainl0s": (8, ("int8",)),
    "schainl3w": (16, ("int4", "int8", "fp4_e2m1")),
    "schainl3s": (8, ("int8", "fp4_e2m1")),
    "schainl5w": (16, ("int8", "fp8_e4m3")),
    "schainl5s": (8, ("fp8_e4m3",)),
    "schainl6s": (8, ("fp8_e5m2",)),
    "schainl7s": (16, ("posit16_1",)),
}
#: the class-5 lanes of posit slots (``schainl5p4``: int4 + posit4, ``schainl5p4i8``: int8 +
#: posit4, ``schainl5px``: int4 + posit8 x FP4, ``schainl5pxi8``: int8 + posit8 x FP4,
#: ``schainl5p8``: int8 + posit8): a posit decoder (regime count and shift) in place
#: of the FP8 E4M3 lane's, their significands (posit8: 7 bits, E4M3: 4) and their quire
#: widths (posit4 q 20..35, posit8 28..39, below the E4M3 lane's 38..47); an exact class-5
#: slot with a posit mode takes its pipeline-1/-2 path from them (:func:`_lane_ctx_kind`)
LANE_CTX_POSIT = {
    "schainl5p4": (8, ("int4", "posit4_1")),
    "schainl5p4i8": (8, ("int8", "posit4_1")),
    "schainl5px": (8, ("int4", "posit8_0xfp4_e2m1")),
    "schainl5pxi8": (8, ("int8", "posit8_0xfp4_e2m1")),
    "schainl5p8": (8, ("int8", "posit8_0")),
}
#: the class-5 lanes of FP8 E4M3 slots without an 8-bit integer mode (``schainl5s``, E4M3
#: alone, is in ``LANE_CTX``): ``schainl5f4``: FP4 + E4M3, ``schainl5i4``: int4 + E4M3,
#: ``schainl5i4f4``: int4 + FP4 + E4M3. The slot's own product is E4M3's 4 x 4 bits, but the
#: lane's sub-word multiplier is one array of 4 x 4 nibble products per 8-bit sub-lane
#: (``hdl/blocks/submul``) whose upper nibbles FP4's or int4's second sub-lane drives, so
#: how much of the int8 + E4M3 class lane's 8 x 8 path is left depends on the modes beside
#: E4M3, not on the slot's product bits (``_live_mul_ns``, which gives all of them the same
#: 2.0 ns below the class lane). Calibrated against this project's RTL (``accelsmith
#: calibrate --kinds`` of these lanes, 2026-12-07, session 13), pipeline 2 at q = 38 / 42 /
#: 47: E4M3 alone 9.9 / 10.9 / 9.9 ns, + FP4 11.2 / 11.9 / 11.2, + int4 12.1 / 12.2 / 11.6,
#: + both 10.2 / 11.3 / 11.7; the class lane 12.0 / 13.2 at 38 / 42. Where it stops: an
#: E4M3 slot with int8 or a posit mode keeps the class lane; 16- and 32-bit words are moved
#: from these 8-bit lanes by the multiplier's word term, as every lane is
LANE_CTX_E4M3 = {
    "schainl5f4": (8, ("fp4_e2m1", "fp8_e4m3")),
    "schainl5i4": (8, ("int4", "fp8_e4m3")),
    "schainl5i4f4": (8, ("int4", "fp4_e2m1", "fp8_e4m3")),
}
#: every lane in context (the class lanes and their variants, the posit lanes, the E4M3 lanes)
LANE_CTX_ALL = {**LANE_CTX, **LANE_CTX_POSIT, **LANE_CTX_E4M3}
#: the same lanes at pipeline 2 (the decode stage registered): ``schainl<k>[w|s|p4|p8]_p2``
LANE_CTX_P2 = {f"{k}_p2": v for k, v in LANE_CTX_ALL.items()}
#: quire LSB exponents, beside the class's own (:func:`class_lsb`), at which the
#: chain-and-readout blocks are also sampled (``schainr<k>m<-lsb>_<out>``, every result
#: format), with their quire widths: the LSBs the generator gives a slot of that class whose
#: lowest-exponent mode is not the class lane's (class 5: posit4 -8, also posit8 x FP4 -7,
#: q = 19..35 with int8 beside; posit8 -12, q = 28..39; class 6: FP8 E4M3 + posit8 -18,
#: q = 38..47). The rounder's underflow, saturation and exponent logic follow the LSB.
CHAINR_LSB = {5: {-8: (20, 25, 30, 35), -12: (28, 33, 38)}, 6: {-18: (38, 42, 48)}}


def class_lsb(stages: int | str) -> int:
    """The quire LSB exponent of the ``schainl<stages>`` lane's slot 0 (``LANE_CTX``; it
    does not depend on ``max_k``): the constant an ``schainr<k>_<out>`` component's rounder
    gets, as the generator's slot of that class gives it (integers 0, FP4 -2, FP8 E4M3 -18,
    E5M2 -32, posit16 -56): below and above the result format's range (fp16, posits) the
    rounder's underflow and saturation logic depends on it (other LSBs of a class:
    ``CHAINR_LSB``)."""
    word, formats = LANE_CTX[f"schainl{stages}"]
    return SimdParams(lane_bits=word, lanes=1, formats=formats, max_k=2).quire_range(0)[0]


def signed_bits(lo: int, hi: int) -> int:
    """Bits of a two's-complement signal holding every value in ``lo .. hi`` (0 if the range
    is the constant 0: synthesis removes the register)."""
    if lo == 0 and hi == 0:
        return 0
    n = 1
    while not (-(1 << (n - 1)) <= lo and hi <= (1 << (n - 1)) - 1):
        n += 1
    return n


def _exp_bits(f: Format) -> int:
    """Distinct bits of a decoder's ``exp`` output that synthesis keeps (the rest are copies
    of its sign and merge): integers 0 (constant); floats ``ebits + 1`` (the biased field
    minus a constant) except when the format has no special codes, where synthesis finds the
    narrower range of the actual values (FP4 E2M1: -1..1, 2 bits); posits the signed range
    of their exponents (0 included: zero and NaR give 0). Checked against netlists (FP4,
    FP8 E4M3 / E5M2, posit4/8) in ``tests/synth/test_calib_simd.py``."""
    if f.kind == "int":
        return 0
    functional = signed_bits(min(f.hw_exp_min, 0), max(f.hw_exp_max, 0))
    if f.kind == "fp" and f.nan != "none":
        return f.ebits + 1
    return functional


def _has_nan(f: Format) -> bool:
    return f.kind == "posit" or f.nan != "none"


@functools.lru_cache(maxsize=512)
def lane_structure(
    formats: str, lane_bits: int, acc: str, pipeline: int, max_k: int, out_format: str,
    gated: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """One lane's flip-flops and datapath blocks (see the module docstring).

    Returns a dict with ``flops`` (the lane's flip-flops synthesis keeps), ``decoders``
    (list of format names, one per decoder instance), ``mul_kind`` (``smul_<widths>``),
    ``mul_live`` (the fraction of that multiplier's partial products whose operand bits
    some mode drives: the others are constant 0 and synthesis removes them),
    ``slots`` (per slot: ``modes``, ``q`` quire bits, ``shift`` alignment range, ``sig``
    product bits, ``stages`` alignment shifter stages, ``exp_bits`` product exponent bits),
    ``mux_bits`` (2:1 multiplexer bits of the mode selection: per extra mode, every decoded
    field and significand bit; the products' selection is inside the ``smul`` component).
    """
    try:
        p = SimdParams(
            lane_bits=lane_bits, lanes=1, formats=formats, acc=acc, pipeline=pipeline,
            max_k=max_k, out_format=out_format,
        )  # fmt: skip
    except ConfigError as exc:
        raise ConfigError(f"configs: {exc}") from None
    W, modes = p.lane_bits, p.modes
    # ---- stage 1: the operand words (bits no decoder reads are removed: the mixed mode's
    # FP4 b sits in the low 4 bits of an 8-bit field)
    used = {"a": set(), "b": set()}
    decoders: dict[tuple[str, str, int], str] = {}
    for md in modes:
        for s in range(W // md.width):
            for side, f in (("a", md.a), ("b", md.b)):
                used[side].update(range(s * md.width, s * md.width + f.bits))
                decoders[(f.name, side, s * md.width)] = f.name
    flops = len(used["a"]) + len(used["b"])
    # ---- decode stage registers (pipeline >= 2): per slot the muxed fields, slot 0 also the
    # multiplier operands (significands at their sub-lane offsets; bits no mode drives are 0)
    slots = []
    mux_bits = 0
    sig_pos = {"a": set(), "b": set()}
    for md in modes:
        for s in range(W // md.width):
            sig_pos["a"].update(range(s * md.width, s * md.width + md.a.sig_bits))
            sig_pos["b"].update(range(s * md.width, s * md.width + md.b.sig_bits))
    s2 = len(sig_pos["a"]) + len(sig_pos["b"])
    # the multiplier's partial products synthesis keeps: operand bits no mode drives are
    # constant 0 (e.g. an FP8 E4M3 mode drives 4 of 8 bits: 16 of 64 products), within the
    # blocks of the widest sub-lane width (narrower sub-lanes are parts of those blocks)
    wmax = max(md.width for md in modes)
    live_pp = sum(
        len([i for i in sig_pos["a"] if k <= i < k + wmax])
        * len([j for j in sig_pos["b"] if k <= j < k + wmax])
        for k in range(0, W, wmax)
    )
    mux_bits += (len(modes) - 1) * (len(sig_pos["a"]) + len(sig_pos["b"]))
    for s in range(p.slots):
        ms = [modes[i] for i in p.slot_modes(s)]
        nan = {side: any(_has_nan(getattr(m, side)) for m in ms) for side in "ab"}
        inf = {side: any(getattr(m, side).inf for m in ms) for side in "ab"}
        # the mode multiplexer's output: bits beyond every input's width are one net
        eb = {side: max(_exp_bits(getattr(m, side)) for m in ms) for side in "ab"}
        fields = 4 + sum(nan.values()) + sum(inf.values()) + eb["a"] + eb["b"]
        s2 += fields
        # the slot's Switch(mode): one input per slot mode plus the idle default (0)
        mux_bits += fields * len(ms) if len(ms) < len(modes) else fields * (len(ms) - 1)
        sig = max(m.a.sig_bits + m.b.sig_bits for m in ms)
        lsb, q = p.quire_range(s)
        hw_lsb = min(m.a.hw_exp_min + m.b.hw_exp_min for m in ms)
        hw_max = max(m.a.hw_exp_max + m.b.hw_exp_max for m in ms)
        elo = min(min(m.a.hw_exp_min, 0) + min(m.b.hw_exp_min, 0) for m in ms)
        ehi = max(max(m.a.hw_exp_max, 0) + max(m.b.hw_exp_max, 0) for m in ms)
        slot_nan = any(nan.values()) or any(inf.values())
        slot_inf = any(inf.values())
        slots.append(
            {
                "modes": len(ms),
                "q": q,
                "lsb": lsb,
                "shift": hw_max - hw_lsb,
                "stages": (hw_max - hw_lsb).bit_length(),
                "sig": sig,
                "exp_bits": signed_bits(elo, ehi),
                "nan": slot_nan,
                "inf": slot_inf,
                # the signed addend: the shifted significand above the quire LSB, + sign
                "add_bits": min(q, sig + hw_max - hw_lsb - (lsb - hw_lsb) + 1),
                "widths": sorted({m.width for m in ms}),
                "formats": sorted({m.a.name for m in ms} | {m.b.name for m in ms}),
                "mode_names": sorted(m.name for m in ms),
            }
        )
    flops += s2 if p.pipeline >= 2 else 0
    # ---- multiplier stage registers (pipeline >= 3): per slot the product (sig bits), its
    # term, sign, zero flags, exponent sum, nan / inf when a slot mode can make them
    # (exact: only the exponent bits the shifter's amount uses; none in an integer slot).
    # The term registers are counted apart (``terms``): a slot's term depends only on the
    # mode, the valid and the gate, so the terms of slots with the same modes, in every
    # lane, are one register per stage.
    for sl in slots:
        exp = min(sl["exp_bits"], sl["stages"]) if acc == "exact" else sl["exp_bits"]
        prod = sl["sig"] + 2 + exp + sl["nan"] + sl["inf"]
        if p.pipeline >= 3:
            flops += prod
        if p.pipeline >= 4:  # align stage: exact keeps the signed addend, not sig / exp
            flops += (sl["add_bits"] + 2 + sl["nan"] + sl["inf"]) if acc == "exact" else prod
    terms = len({p.slot_modes(s) for s in range(p.slots)}) * max(min(p.pipeline, 4) - 2, 0)
    # ---- accumulators and readout
    for sl in slots:
        flags = 2 + sl["nan"] + 2 * sl["inf"]  # any, negz (+ nan, pinf, ninf)
        if acc == "exact":
            flops += 2 * (sl["q"] + flags)  # running quire + finished copy, with their flags
        else:
            flops += 2 * (32 + 1)  # binary32 accumulator + finished copy, "any" flags
    flops += p.slots * p.out_bits  # result registers (the c payload)
    widths = sorted({m.width for m in modes}, reverse=True)
    # the stage-2 mode drives something only if the multiplier's width select, a product
    # multiplexer or a slot's term depends on it: several widths, unused mode codes (the
    # Default branch), or a slot that some modes leave idle
    all_codes = (1 << p.mode_bits) == len(modes)
    mode2 = int(len(widths) > 1 or not all_codes or any(sl["modes"] < len(modes) for sl in slots))
    return {
        "flops": flops,
        "terms": terms,
        "mode2": mode2,
        # slot 0 serves every mode: with every code used its term is the stage's valid, so
        # the control's valid registers of stages 3 and 4 merge with the slot's term registers
        "term_is_valid": int(all_codes),
        "decoders": sorted(decoders.values()),
        "mul_kind": "smul_" + "_".join(str(w) for w in widths),
        "mul_live": live_pp / ((W // wmax) * wmax * wmax),
        "slots": slots,
        "nslots": p.slots,
        "mux_bits": mux_bits,
        "mode_bits": p.mode_bits,
        "out_bits": p.out_bits,
    }


def simd_engine_flops(
    lane_flops: ArrayLike, lanes: ArrayLike, pipeline: ArrayLike, mode_bits: ArrayLike,
    power_gating: ArrayLike, mode2: ArrayLike = 1, term_is_valid: ArrayLike = 0,
    terms: ArrayLike = 0,
) -> np.ndarray:  # fmt: skip
    """Flip-flops of a whole engine: ``lanes`` lanes plus the control pipeline of
    :class:`accelsmith.hdl.simd.SimdEngine` (valid, last and mode at stage 1; valid, last,
    mode at stage 2 -- the mode only if ``mode2``, see :func:`lane_structure`; valid and last
    at stages 3 and 4 -- their mode drives nothing and is removed, their valid merges with
    the lanes' slot-0 term register when ``term_is_valid`` and no power gating; the gate
    bits of each stage with power gating; the finished valid and the output valid) plus the
    slots' term registers of stages 3 and 4 (``terms`` of :func:`lane_structure`), which
    every lane of a power-gating group shares (they depend only on the mode, the valid and
    the group's gate)."""
    p = np.asarray(pipeline, dtype=np.int64)
    mb = np.asarray(mode_bits, dtype=np.int64)
    g = np.asarray(power_gating, dtype=np.int64)
    merged = np.asarray(term_is_valid, dtype=np.int64) * (g == 0)
    ctrl = (
        (2 + mb + g)
        + (p >= 2) * (2 + np.asarray(mode2, dtype=np.int64) * mb + g)
        + (p >= 3) * (2 + g - merged)
        + (p >= 4) * (2 + g - merged)
        + 2  # fin_valid, out_valid
        + g  # fin_gate
    )
    shared = np.asarray(terms, dtype=np.int64) * np.maximum(g, 1)
    return (
        np.asarray(lanes, dtype=np.int64) * np.asarray(lane_flops, dtype=np.int64) + ctrl + shared
    )


# ---------------------------------------------------------------- calibrated costs


def _s(kind: str, key: str, width: ArrayLike) -> np.ndarray:
    """A SIMD component's ``key`` at ``width`` (``simd_samples`` of the calibration data,
    interpolated like every component: :func:`accelsmith.models.calib._loglog`)."""
    from . import calib

    if kind not in calib.load().get("simd_samples", {}):
        raise ConfigError(
            f"node_nm: the 130 nm SIMD model has no calibrated component {kind!r} for this "
            "configuration (run accelsmith calibrate)"
        )
    return calib._loglog(kind, key, width, table="simd_samples")


def has_samples() -> bool:
    """Whether the packaged calibration data holds the SIMD components."""
    from . import calib

    return bool(calib.load().get("simd_samples"))


def _shifter_bits(sig: int, shift: int) -> int:
    """2:1 multiplexer bits of the alignment shifter ``sig << sh`` (``sh`` in ``0..shift``):
    stage ``k`` moves by ``2**k`` and outputs ``sig + 2**(k+1) - 1`` bits (at most
    ``sig + shift``)."""
    return sum(min(sig + (2 << k) - 1, sig + shift) for k in range(shift.bit_length()))


def _levels(n: int) -> int:
    """2:1 multiplexer levels of an ``n``-input choice."""
    return max(n - 1, 0).bit_length()


@functools.lru_cache(maxsize=512)
def lane_cost(
    formats: str, lane_bits: int, acc: str, pipeline: int, max_k: int, out_format: str
) -> dict[str, float]:
    """Logic area (um^2) of one lane by part, its flip-flops, and its path delays (ns).

    Area parts: ``decoders`` (``sdec_*`` components, one per decoder instance),
    ``multiplier`` (``smul_*`` at ``lane_bits``, times the fraction of its partial products
    that have live operand bits: ``mul_live`` of :func:`lane_structure`), ``accumulators``
    (``sslot_<out>`` at each slot's quire width, or ``sslotf_<out>`` / ``sslotfi_<out>`` at
    its product significand; plus the alignment shifter: ``mux`` bits per shift stage),
    ``glue`` (the mode multiplexers of decoded fields and significands: ``mux`` bits; the
    product exponent adder: ``add``).
    ``slot_flops``: flip-flops inside the slot components (quire, finished copy, flags,
    results), whose reset and enable logic the components include; the lane's other
    flip-flops get theirs from the engine (:func:`engine_cost`).

    Timing: ``t_path`` is the longest register-to-register path through the pipeline for
    this ``pipeline`` depth, per slot: decode (the slot's slowest decoder plus the mode
    multiplexer levels), multiply (the single-width multiplier component ``smul_<w>`` of the
    slot's widest mode: the path to that width's products; the product exponent sum, which
    sets the shift amount, runs beside it), align (the shifter's stages) and accumulate (the
    quire add; in an integer slot it merges with the product's final addition, costed as the
    ``mac`` component minus the ``mul``), chained as ``pipeline`` cuts them (1: all four in
    one cycle, for an exact slot the lane in context, :func:`_lane_ctx_path_ns`; 2: decode
    | the rest; 3: decode | multiply | align + accumulate; 4: each alone). ``t_slot`` is the
    slot component's own period (its readout rounder or its accumulate loop).
    """
    from . import calib

    st = lane_structure(formats, lane_bits, acc, pipeline, max_k, out_format)
    pipe = calib.pipe_period_ns()
    mux_bit = float(calib.logic_um2("mux", 8)) / 8.0
    d_mux = float(calib.op_period_ns("mux", 8)) - pipe
    dec_area = sum(
        float(_s(f"sdec_{name}", "logic_um2", _format_bits(name))) for name in st["decoders"]
    )
    # the sampled multiplier has every operand bit live; synthesis removes the partial
    # products of bits no mode drives (an FP8 E4M3-only 8-bit lane: a 4 x 4 array)
    mul = float(_s(st["mul_kind"], "logic_um2", lane_bits)) * st["mul_live"]
    d_exp = float(calib.op_period_ns("add", 9)) - pipe  # the product exponent sum
    acc_area, t_slot, t_path, adders, slot_flops, t_near = 0.0, 0.0, 0.0, 0.0, 0, 0.0
    n_modes = len(formats.split(","))
    for sl in st["slots"]:
        d0, d1 = _slot_delays(sl, n_modes, lane_bits)
        d2, d_e, shifter = 0.0, 0.0, 0.0
        narrow = dict.fromkeys(KEYS, 1.0)
        if acc == "exact":
            kind, w = f"sslot_{out_format}", sl["q"]
            flags = 2 + sl["nan"] + 2 * sl["inf"]
            slot_flops += 2 * (sl["q"] + flags)
            shifter = _shifter_bits(sl["sig"], sl["shift"]) * mux_bit
            if sl["shift"]:  # the shifter's stages, then the quire add; the shift amount
                # (the exponent sum) is computed beside the multiplier
                d2, d_e = sl["stages"] * d_mux, d_exp
                d3 = float(calib.op_period_ns("add", sl["q"])) - pipe
            else:  # integer slot: the quire add merges with the product's final addition
                d3 = _mac_increment_ns((sl["q"] - calib.MAC_GUARD_BITS) / 2)
        else:  # integer-only slot: the product exponent is 0 (sslotfi)
            kind = f"sslotf{'' if sl['exp_bits'] else 'i'}_{out_format}"
            w = sl["sig"]
            slot_flops += 2 * 33
            if sl["exp_bits"] and pipeline <= 2:  # the exponent's range, unregistered
                narrow = {k: _narrow_exponent(sl["exp_bits"], w, k) for k in KEYS}
            d3 = float(_s(kind, "period_ns", w)) * narrow["period_ns"] - pipe
        d1 = max(d1, d_e)
        # pipeline 1 and 2: no register between the multiplier and the quire; synthesis
        # merges the product's final addition, the shifter and the quire add (``schain``)
        d_chain = _chain_increment_ns(sl["stages"], sl["q"]) if acc == "exact" else d2 + d3
        # pipeline 1 and 2, exact: the lane in context (``schainl<k>[_p2]``)
        p1, p2 = d0 + d1 + d_chain, d1 + d_chain
        if acc == "exact":
            p1, p2 = (_lane_ctx_path_ns(sl, d1, n) - pipe for n in (1, 2))
        segs = {
            1: (p1,),
            2: (d0, p2),
            3: (d0, d1, d2 + d3),
            4: (d0, d1, d2, d3),
        }[pipeline]
        t_path = max(t_path, pipe + max(segs))
        slot_area = float(_s(kind, "logic_um2", w)) * narrow["logic_um2"] + shifter
        if acc == "exact" and pipeline <= 2:  # no register between multiplier and quire
            slot_area *= _merged_fraction(sl["stages"], sl["q"])
        acc_area += slot_area
        if acc == "exact":
            own = _readout_s(kind, "period_ns", w, out_format)
            t_own = _readout_in_context_ns(sl["stages"], sl["q"], own, out_format, sl["lsb"])
        else:
            t_own = float(_s(kind, "period_ns", w)) * narrow["period_ns"]
        t_slot = max(t_slot, t_own)
        if acc == "exact" and pipeline <= 2:  # the chain and the readout side by side
            ends = sorted((pipe + max(segs), t_own))
            if ends[0] >= NEAR_CRITICAL * ends[1]:
                t_near = max(t_near, ends[1])
        if sl["exp_bits"]:
            adders += float(calib.logic_um2("add", sl["exp_bits"]))
    slot_flops += st["nslots"] * st["out_bits"]
    return {
        "flops": st["flops"],
        "terms": st["terms"],
        "mode2": st["mode2"],
        "term_is_valid": st["term_is_valid"],
        "slot_flops": slot_flops,
        "mode_bits": st["mode_bits"],
        "area_decoders": dec_area,
        "area_multiplier": mul,
        "area_accumulators": acc_area,
        "area_glue": st["mux_bits"] * mux_bit + adders,
        "t_path": t_path,
        "t_slot": t_slot,
        "t_near": t_near,
        "io_bits": 2 * lane_bits + st["nslots"] * st["out_bits"],
    }


KEYS = ("logic_um2", "period_ns")
#: an exact slot at pipeline 1 or 2 whose lane chain and readout periods are within this
#: ratio of each other (see :func:`engine_cost`)
NEAR_CRITICAL = 0.85
#: what each lane beyond the first adds to such a slot's period (fraction; see
#: :func:`engine_cost`)
LANE_SIZING = 0.03


def _slot_delays(sl: dict[str, Any], n_modes: int, lane_bits: int) -> tuple[float, float]:
    """A slot's decode delay (its slowest decoder, ``sdec_*``, plus the levels of the mode
    multiplexer that places the significands on the multiplier, ``mux``) and multiply delay
    (``smul_<w>`` at ``lane_bits`` of its widest mode), each over one register's own delay
    (``pipe``). The multiplexer has one input per mode, plus the ``Default`` (0) when some
    mode codes are unused: one mode is an AND gate, two modes one 2:1 level."""
    from . import calib

    pipe = calib.pipe_period_ns()
    d_mux = float(calib.op_period_ns("mux", 8)) - pipe
    d_dec = max(
        float(_s(f"sdec_{f}", "period_ns", _format_bits(f))) for f in sl["formats"]
    )  # fmt: skip
    unused = (1 << max(1, (n_modes - 1).bit_length())) > n_modes  # the Default input
    d0 = d_dec - pipe + _levels(n_modes + unused) * d_mux
    d1 = max(float(_s(f"smul_{w}", "period_ns", lane_bits)) for w in sl["widths"]) - pipe
    return d0, d1


def _live_mul_ns(sl: dict[str, Any]) -> float:
    """What the multiplier's unused operand bits save on a slot's path: the ``mul``
    component's period at the slot's widest significand (``sig / 2``) minus at its widest
    mode's width (0 for integers; an FP8 E4M3-only slot multiplies 4 x 4 bits of its 8-bit
    sub-lane, and synthesis removes the rest: ``lane_structure``'s ``mul_live``)."""
    from . import calib

    wmax = max(sl["widths"])
    return float(
        calib.op_period_ns("mul", min(sl["sig"] / 2, wmax)) - calib.op_period_ns("mul", wmax)
    )


@functools.lru_cache(maxsize=16)
def _lane_ctx_delays(kind: str) -> tuple[float, float]:
    """:func:`_slot_delays` of slot 0 of the ``schainl*`` component ``kind``'s lane."""
    word, fmts = LANE_CTX_ALL[kind]
    st = lane_structure(",".join(fmts), word, "exact", 1, 2, "fp32")
    return _slot_delays(st["slots"][0], len(fmts), word)


def _lane_ctx_path_ns(sl: dict[str, Any], d1: float, pipeline: int = 1) -> float:
    """An exact slot's pipeline-1 period (decode, multiply, align and quire add in one
    cycle; at ``pipeline`` 2 the decode registered: ``schainl<k>_p2``) in context: the
    ``schainl<k>`` component of its stage class at its quire width
    (the generator's smallest lane of that class synthesized whole, the quire registered at
    its end; interpolated in ``q``), moved by the difference of the slot's multiply delay
    (``d1``: :func:`_slot_delays`, the word and the sub-lane widths) and of what its unused
    operand bits save (:func:`_live_mul_ns`) from that lane's slot 0.

    Synthesized together, ABC merges the multiplier's final addition, the alignment and the
    quire add into one carry chain and overlaps the decode with the partial products, so
    the blocks' delays in series overstate the path (the mixed int/FP4 slot by about 2 ns:
    ``schainl3`` at 24 is 8.6 ns, the blocks in series 10.4 ns), and the decode's mode
    multiplexer costs nothing apparent (``schainl0s``, int8 alone, is as slow as int4 +
    int8). Which form predicts an unseen in-context lane best (this one: ``ctx_live``) is
    decided by leave-one-out over the ``schainl*`` samples and their variants
    (:func:`accelsmith.models.calib_cv.simd_lane_ctx_cv`; at pipeline 2 too, where the
    multiplier plus the ``schain`` increment understates the lanes by 12 % on average)."""
    kind = _lane_ctx_kind(sl)
    _, c1 = _lane_ctx_delays(kind)
    word, fmts = LANE_CTX_ALL[kind]
    c0 = lane_structure(",".join(fmts), word, "exact", 1, 2, "fp32")["slots"][0]
    live = _live_mul_ns(sl) - _live_mul_ns(c0)
    sample = kind if pipeline == 1 else f"{kind}_p2"
    return float(_s(sample, "period_ns", sl["q"])) + (d1 - c1) + live


def _lane_ctx_kind(sl: dict[str, Any]) -> str:
    """The ``schainl*`` lane an exact slot's pipeline-1/-2 path comes from: its stage
    class's (``LANE_CTX``), or for a class-5 slot with a posit mode a posit lane
    (``LANE_CTX_POSIT``): with a posit8 x posit8 mode the int8 + posit8 lane
    (``schainl5p8``: its decoder, 16.0 ns at q = 30 at pipeline 1, where the E4M3 lane
    extrapolates to ~9; posit8 x FP4 alone: see below), else with posit4 the posit4 lane
    of its multiplier's width
    (``schainl5p4i8`` when an 8-bit mode is there, else ``schainl5p4``); a slot with an FP8
    E4M3 mode keeps the class lane (which is that lane: its quire widths). Chosen on the
    development engines of ``bench/bench_simd_readout_dev.py --posit`` (seeds 8 and 9, 20
    engines; Fmax error mean/worst: the class lane 10.7/40.6 %, the posit8 lane only
    5.0/15.5, posit8 + the int4 posit4 lane for every posit4 slot 5.2/15.2, posit8 + the
    posit4 lane by width 4.0/14.2).

    A slot whose posit8 operand comes only with the posit8 x FP4 mode (no posit8 x posit8
    mode) takes the posit8 x FP4 lane of its multiplier's width (``schainl5pxi8`` with int8
    beside it, else ``schainl5px``): one posit decoder, an 8-bit product and quires of 19-28
    bits (int8 beside: 25-34), below the posit8 lane's 30-39, from which a power law
    understated it: the held-out seed-3141 engine simd8x2_exact_3f_p1_k7_i4f4px (int4 + FP4
    + posit8 x FP4, q = 21, pipeline 1) measured 10.0 ns where the posit8 lane extrapolated
    to 14.4 (model 12.45 ns, Fmax -19.7 %); ``schainl5px`` at 19 / 23 / 28 is 10.3 / 10.2 /
    10.3 ns (``accelsmith calibrate``, 2026-12-07, session 12).

    A class-5 slot with an FP8 E4M3 mode and no other 8-bit mode (int8, posits) takes the
    E4M3 lane of the narrow modes beside it (:func:`_e4m3_lane`)."""
    k = _chain_class(sl["stages"])
    if k == 5 and "fp8_e4m3" in sl["formats"]:  # E4M3: by the narrow modes beside it
        return _e4m3_lane(set(sl["formats"]))
    if k != 5:
        return f"schainl{k}"
    if "posit8_0" in sl["mode_names"]:
        return "schainl5p8"
    if "posit8_0xfp4_e2m1" in sl["mode_names"]:
        return "schainl5pxi8" if "int8" in sl["formats"] else "schainl5px"
    if "posit4_1" in sl["formats"]:
        return "schainl5p4i8" if max(sl["widths"]) >= 8 else "schainl5p4"
    return f"schainl{k}"


def _e4m3_lane(formats: set[str]) -> str:
    """The lane in context of a class-5 slot with an FP8 E4M3 mode whose formats are
    ``formats``: with an 8-bit integer or a posit mode the class lane (``schainl5``, int8 +
    E4M3: the full 8 x 8 array); else the lane of E4M3 with the same narrow modes
    (``LANE_CTX_E4M3``; E4M3 alone: ``schainl5s``)."""
    narrow = formats - {"fp8_e4m3"}
    if not narrow <= {"int4", "fp4_e2m1"}:
        return "schainl5"
    return {
        frozenset(): "schainl5s",
        frozenset({"fp4_e2m1"}): "schainl5f4",
        frozenset({"int4"}): "schainl5i4",
        frozenset({"int4", "fp4_e2m1"}): "schainl5i4f4",
    }[frozenset(narrow)]


def _narrow_exponent(exp_bits: int, sig: int, key: str) -> float:
    """An ``fp32`` slot's ``key`` with a product exponent of ``exp_bits`` bits relative to
    the sampled slot's 9 (``sslotf<e>_fp32`` / ``sslotf_fp32`` at product width ``sig``,
    linear in ``e`` between the sampled 3, 6 and 9; at most 1). At pipeline 1 and 2 the
    exponent reaches the binary32 adder from the decoders without a register between, and
    synthesis sizes the exponent compare and the alignment to its range (sslotf_fp32 at 8:
    9 / 6 / 3 exponent bits: 15,122 / 13,794 / 13,564 um2, 24.0 / 21.9 / 21.9 ns); at
    pipeline 3 and 4 the registered exponent keeps 7-9 bits and the 9-bit slot is used."""
    es = (*FP32_EXP_SAMPLES, 9)
    full = float(_s("sslotf_fp32", key, sig))
    ratios = [float(_s(f"sslotf{e}_fp32", key, sig)) / full for e in FP32_EXP_SAMPLES] + [1.0]
    return min(float(np.interp(exp_bits, es, ratios)), 1.0)


def _chain_class(stages: int) -> int:
    """The ``schain`` stage class of a slot: the smallest sampled class with ``stages``."""
    return next((k for k in CHAIN_STAGES if k >= stages), CHAIN_STAGES[-1])


def _chain_increment_ns(stages: int, q: int) -> float:
    """What the merged align-accumulate chain adds to the multiplier's path: the
    ``schain<k>`` period at quire width ``q`` minus its own multiplier's (``smul_8_4`` at
    8; the slot's own multiplier is costed apart)."""
    k = _chain_class(stages)
    chain = float(_s(f"schain{k}", "period_ns", q))
    return chain - float(_s("smul_8_4", "period_ns", CHAIN_WORD))


def _merged_fraction(stages: int, q: int) -> float:
    """What is left of the multiplier, the alignment shifter and the slot when synthesized
    as one block (``schainr<k>`` at quire width ``q``) against the same blocks apart
    (``smul_8_4`` at 8, the shifter's ``mux`` bits, ``sslot_fp32``): 0.86-0.96 over the
    sampled classes and widths (ABC shares the product's final addition, the negation and
    the quire add). At pipeline 1 and 2 the lane's slot sits in one such block. The block's
    area is taken at the chains' widths (``CHAIN_WIDTHS``) only: its samples at the denser
    readout widths (``components_simd.CHAINR_WIDTHS``) gave a larger area error on the
    development set of ``bench/bench_simd_readout_dev.py`` (6.6 % mean against 5.8 %)."""
    from . import calib
    from .calib_cv import _loglog_rows

    k = _chain_class(stages)
    mux_bit = float(calib.logic_um2("mux", 8)) / 8.0
    apart = (
        float(_s("smul_8_4", "logic_um2", CHAIN_WORD))
        + _shifter_bits(2 * CHAIN_WORD, (1 << k) - 1) * mux_bit
        + float(_s("sslot_fp32", "logic_um2", q))
    )
    gate = calib.reset_gate_um2()
    block = [
        (float(r["width"]), r["op_area_um2"] - calib._harness_flops(r) * gate)
        for r in calib.load()["simd_samples"][f"schainr{k}"]
        if r["width"] in CHAIN_WIDTHS[k]
    ]
    return min(_loglog_rows(block, q) / apart, 1.0)


def _readout_block(stages: int, out: str, lsb: int | None = None) -> str:
    """The chain-and-readout component of a slot's stage class with the result format
    ``out``'s rounder whose quire LSB is nearest the slot's ``lsb`` (the class's own on a
    tie, or when ``lsb`` is None): ``schainr<k>_<out>`` (the class lane's LSB,
    :func:`class_lsb`; binary32: ``schainr<k>``) or ``schainr<k>m<-lsb>_<out>`` (the other
    LSBs of the class, ``CHAINR_LSB``). The binary32 class blocks were sampled at LSB 0;
    they stand for the class lane's slots all the same: every LSB the generator gives lies
    deep inside binary32's exponent range, so its rounder has no underflow or saturation
    logic to change with it (the LSB moves one constant of the exponent)."""
    k = _chain_class(stages)
    own = f"schainr{k}" if out == "fp32" else f"schainr{k}_{out}"
    if lsb is None:
        return own
    blocks = [(class_lsb(k), own), *((b, f"schainr{k}m{-b}_{out}") for b in CHAINR_LSB.get(k, {}))]
    return min(blocks, key=lambda b: abs(b[0] - lsb))[1]


#: the widest exact quire whose binary32 readout never rounds: a ``q``-bit two's-complement
#: quire's magnitude is at most ``2**(q-1)``; up to q = 25 it fits binary32's 24-bit
#: significand (the one 25-bit magnitude, ``2**24``, has zero low bits: the guard bit is
#: constant, and synthesis removes the rounding increment and its carry into the exponent);
#: from q = 26 on the readout rounds. Measured on both sides (``accelsmith calibrate``,
#: 2026-12-07): ``sslot_fp32`` 7.3 / 7.1 / 9.6 ns at q = 24 / 25 / 26, ``schainr3``'s
#: readout 8.4 / 7.7 / 9.8, ``schainr0``'s 7.9 / 8.2 / 10.2
FP32_EXACT_Q = 25


def _readout_s(kind: str, key: str, q: int, out: str) -> float:
    """An exact slot's readout component ``kind`` (``sslot_<out>``, a ``schainr*`` block)
    at quire width ``q``: a binary32 readout is interpolated only from the samples on its
    own side of the rounding step (``FP32_EXACT_Q``), never across it: a block sampled at
    25 and 30 (the posit4 slot's class-5 block at LSB -8) would give a slot at 27 a readout
    between the rounding-free one and the rounding one. Other formats round at every quire
    width the generator gives (8-11 significand bits; posits fewer) and take every
    sample."""
    from . import calib

    if out != "fp32":
        return float(_s(kind, key, q))
    rows = [
        r
        for r in calib.load()["simd_samples"][kind]
        if (r["width"] <= FP32_EXACT_Q) == (q <= FP32_EXACT_Q)
    ]
    if not rows:
        return float(_s(kind, key, q))
    from .calib_cv import _loglog_rows

    return _loglog_rows([(float(r["width"]), float(r[key])) for r in rows], float(q))


def _readout_in_context_ns(
    stages: int, q: int, own: float, out: str = "fp32", lsb: int | None = None
) -> float:
    """The slot's readout period as it sits in a lane (the finished quire's negation and the
    rounder into ``out``, beside the lane's multiply-align-accumulate chain): the worst path
    into the result registers of the chain-and-readout block of its stage class with that
    format's rounder and the quire LSB nearest the slot's own ``lsb``
    (:func:`_readout_block`; its ``readout_ns``, interpolated in the quire width ``q``),
    never below its own component's period (``own``: ``sslot_<out>`` at ``q``).
    Synthesized as one block, the readout is slower than alone: ABC recovers area on every
    path up to the block's critical one, and the readout's two ripple chains (the
    negation's borrow and the rounding increment) are mapped less deep; how much depends on
    the rounder (at q = 24 in class 3: bf16 alone ~8.5 ns, in the block 10.0 ns; binary32,
    which needs no rounding below q = 26, 7.3 and 8.4) and on where the quire's bits sit in
    the result format's exponent range (the LSB: a class-5 posit16 block at q = 25 and
    LSB -8, the posit4 slot's, against the FP8 E4M3 lane's -18). Leave-one-out over those
    blocks chose the readout path over the block's period in excess of its parts
    (:func:`accelsmith.models.calib_cv.simd_readout_ctx_cv`); the development engines of
    ``bench/bench_simd_readout_dev.py --posit`` chose the nearest LSB over the class's."""
    ro = _readout_s(_readout_block(stages, out, lsb), "readout_ns", q, out)
    return max(own, ro)


def _mac_increment_ns(width: float) -> float:
    """What accumulating a ``width x width`` product adds to the multiplier's path: the
    ``mac`` component's period (``acc <= acc + a * b``, ABC merges the additions) minus the
    ``mul`` component's, interpolated at ``width``."""
    from . import calib

    w = max(float(width), 2.0)
    return float(calib.op_period_ns("mac", w) - calib.op_period_ns("mul", w))


def _format_bits(name: str) -> int:
    from ..core.numformats import FORMATS

    return FORMATS[name].bits


def engine_cost(
    t: dict[str, np.ndarray], lanes: ArrayLike, pipeline: ArrayLike, power_gating: ArrayLike
) -> dict[str, np.ndarray]:
    """Area (um^2), flip-flops, logic and Fmax of whole engines, vectorized.

    ``t`` holds :func:`lane_cost` of one format set at each pipeline depth 1..4 as arrays
    of shape ``(4,)``; ``lanes``, ``pipeline``, ``power_gating`` are arrays of the
    configurations. Area = flip-flops x one flip-flop (``reg``) + lanes x the lane's logic +
    every flip-flop outside the slot components with its enable and reset (``fan`` at the
    engine's flip-flop count: the advance net gates them all) + with power gating, one gate
    per operand and result bit (the forcing multiplexers; costed as one reset gate each).
    Period = the lane's longest pipeline path (``t_path``), the slot component's own period
    (``t_slot``), the near-critical slot's period in an engine of ``lanes`` lanes, or the
    advance net's fan-out over every flip-flop (``fan``), whichever is slowest.

    Near-critical slots (``t_near`` of :func:`lane_cost`): an exact slot at pipeline 1 or 2
    whose lane chain and readout are within ``NEAR_CRITICAL`` of each other is
    ``1 + LANE_SIZING`` slower per lane beyond the first. The likely mechanism: after
    mapping, ABC sizes the gates of the paths within a window of the worst (``upsize``: a
    fraction of the critical nodes per iteration, stopping after 50 iterations without a
    better worst delay), then downsizes the others up to it; a lane with both its chain
    and its readout near the worst has two large path sets to speed up, and every lane
    copies them. In one pair of netlists the slower readout is mapped with smaller cells
    (or4_1 chains where the faster one has or4_4: the 2612 draw's 3-lane simd8x3_exact_3f,
    16.1 ns, against the 1-lane simd8x1_exact_4f, 14.0 ns, the same slot and quire width),
    and every lane's readout is as slow (simd16x3_exact_3f: its six FP8 E4M3 readouts
    15.2-15.5 ns). A slot whose chain is far below its readout shows no such trend. The
    constants are calibrated against this project's synthesis (Yosys 0.23 + its ABC,
    OpenSTA 2.0.17, sky130_fd_sc_hd tt 1.8 V, 2026-12-07) on development engines only,
    measured / modelled period of the near-critical ones (1 / 2 / 3 lanes: 0.97 / 1.03 /
    1.04, 52 engines; far ones 0.99 / 1.01 / 0.94): ``bench/bench_silicon.py --families
    simd --n 40 --seed 77002``, the 2612 draw (used as development data) and the sets of
    ``bench/bench_simd_readout_dev.py`` (seeds 7, 8, 9); a grid of both constants on them
    (Fmax error mean 5.0 -> 4.7 %); then confirmed on an unseen draw (seed 77003, 15
    engines: 4.8 / 10.9 % -> 3.7 / 7.9 %). Results file
    ``bench/results/silicon_asic_simd_2026-12-07h.txt``.
    """
    from . import calib

    p = np.asarray(pipeline, dtype=np.int64)
    i = p - 1
    n = np.asarray(lanes, dtype=np.float64)
    g = np.asarray(power_gating, dtype=np.int64)
    pick = {k: np.asarray(v)[i] for k, v in t.items()}
    flops = simd_engine_flops(
        pick["flops"],
        lanes,
        p,
        pick["mode_bits"],
        g,
        pick["mode2"],
        pick["term_is_valid"],
        pick["terms"],
    )
    outside = flops - n * pick["slot_flops"]
    en = calib.enable_um2_per_flop(flops)
    parts = {
        "decoders": n * pick["area_decoders"],
        "multipliers": n * pick["area_multiplier"],
        "accumulators": n * pick["area_accumulators"],
        "glue": n * pick["area_glue"] + (g > 0) * n * pick["io_bits"] * calib.reset_gate_um2(),
        "enables": outside * en,
    }
    logic = sum(parts.values())
    seq = flops * calib.flop_area_um2()
    # an exact slot whose chain and readout are both near its period, in every lane
    near = pick["t_near"] * (1.0 + LANE_SIZING * (n - 1.0))
    period = np.maximum.reduce(
        [pick["t_path"], pick["t_slot"], near, calib.fanout_period_ns(flops)]
    )
    return {
        "flops": flops,
        "logic_um2": logic,
        "area_um2": seq + logic,
        "seq_um2": seq,
        "parts": parts,
        "fmax_mhz": 1000.0 / period,
    }


def logic_energy_j_per_um2() -> float:
    """Energy per cycle per um^2 of the SIMD components' logic at the calibration's activity
    (combinational-group power over combinational + buffer area, all SIMD samples pooled)."""
    from . import calib

    rows = [r for v in calib.load()["simd_samples"].values() for r in v]
    return float(sum(r["energy_j"] for r in rows) / sum(r["op_area_um2"] for r in rows))


def flow_power_w(
    flops: ArrayLike, logic_um2: ArrayLike, freq_mhz: ArrayLike, activity: ArrayLike
) -> np.ndarray:
    """Power as ``accelsmith synth`` reports it (:func:`accelsmith.models.calib.flow_power_w`:
    every flip-flop's clock energy per cycle plus data parts linear in the activity), with
    the logic's energy density of the SIMD components themselves."""
    from . import calib

    scale = logic_energy_j_per_um2() / calib.logic_energy_j_per_um2()
    return calib.flow_power_w(flops, np.asarray(logic_um2) * scale, freq_mhz, activity)
