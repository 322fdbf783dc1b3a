"""Stimulus for the SIMD engine (no cocotb import): beat lists for every test, and packing.

Each generator returns a list of :class:`~accelsmith.sim.golden.simd.Beat`; the testbench
drives them and checks the results against :func:`accelsmith.sim.golden.simd.golden`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ...core.families.simd import SimdParams
from ...core.numformats import MODES
from ...core.numformats.codec import encode
from ..golden.simd import Beat

__all__ = [
    "dot_product_beats",
    "exhaustive_beats",
    "gated_beats",
    "isolation_beats",
    "mode_switch_beats",
    "pack_words",
    "random_product_beats",
    "special_beats",
]


def pack_words(values: Iterable[int], bits: int) -> int:
    """Pack words (word 0 in the least significant bits) into one integer."""
    word, mask = 0, (1 << bits) - 1
    for i, v in enumerate(values):
        word |= (int(v) & mask) << (i * bits)
    return word


def _beats_from_pairs(
    p: SimdParams, mode: int, a: np.ndarray, b: np.ndarray, k: int = 1
) -> list[Beat]:
    """Spread code pairs over every sub-lane of every word; ``last`` every ``k`` beats."""
    md = p.modes[mode]
    n_sub = p.lane_bits // md.width
    per_beat = p.lanes * n_sub
    n = len(a)
    pad = (-n) % per_beat
    a = np.concatenate([a, np.zeros(pad, dtype=np.int64)]).reshape(-1, p.lanes, n_sub)
    b = np.concatenate([b, np.zeros(pad, dtype=np.int64)]).reshape(-1, p.lanes, n_sub)
    shifts = np.arange(n_sub, dtype=np.int64) * md.width
    aw = (a << shifts).sum(axis=2)
    bw = (b << shifts).sum(axis=2)
    beats = []
    for t in range(aw.shape[0]):
        beats.append(Beat(aw[t].tolist(), bw[t].tolist(), mode, (t + 1) % k == 0))
    if beats and not beats[-1].last:
        last = beats[-1]
        beats[-1] = Beat(last.a, last.b, last.mode, True)
    return beats


def exhaustive_beats(p: SimdParams, max_bits: int = 8) -> dict[str, list[Beat]]:
    """Every code pair of every mode whose operands are at most ``max_bits`` wide, and every
    posit16/other 16-bit code times 1.0 (an exhaustive decode check through the engine)."""
    out = {}
    for i, md in enumerate(p.modes):
        na, nb = 1 << md.a.bits, 1 << md.b.bits
        if md.width <= max_bits:
            a, b = np.meshgrid(np.arange(na), np.arange(nb), indexing="ij")
            out[md.name] = _beats_from_pairs(p, i, a.reshape(-1), b.reshape(-1))
        else:
            one = int(encode(md.b, np.array([1.0]))[0])
            a = np.arange(na)
            out[f"{md.name} x 1"] = _beats_from_pairs(p, i, a, np.full(na, one))
    return out


def random_product_beats(p: SimdParams, rng: np.random.Generator, n: int) -> list[Beat]:
    """``n`` random code pairs per mode (one-product dot products)."""
    beats = []
    for i, md in enumerate(p.modes):
        a = rng.integers(0, 1 << md.a.bits, n)
        b = rng.integers(0, 1 << md.b.bits, n)
        beats += _beats_from_pairs(p, i, a, b)
    return beats


def _codes(fmt, xs) -> list[int]:
    return [int(c) for c in encode(fmt, np.array(xs, dtype=np.float64), saturate=True)]


def special_beats(p: SimdParams) -> list[Beat]:
    """Reference §2.5 cases per mode: NaR/NaN/Inf propagation, signed zeros, extremes."""
    pairs_by_mode = []
    for i, md in enumerate(p.modes):
        fa, fb = md.a, md.b
        nar_a = 1 << (fa.bits - 1) if fa.kind == "posit" else None
        maxa = _codes(fa, [1e30])[0]
        maxb = _codes(fb, [1e30])[0]
        mina = _codes(fa, [1e-30])[0] if fa.kind == "posit" else 1
        minb = _codes(fb, [1e-30])[0] if fb.kind == "posit" else 1
        negz_a = 1 << (fa.bits - 1) if fa.kind == "fp" else 0
        one_b = _codes(fb, [1.0])[0]
        negone_b = _codes(fb, [-1.0])[0]
        pairs = [
            (maxa, maxb),  # maxpos x maxpos: exact, no saturation or NaR
            (mina, minb),  # minpos x minpos: never 0
            (0, one_b),
            (negz_a, one_b),  # -0 x 1 = -0 (FP)
            (negz_a, negone_b),  # -0 x -1 = +0
            (maxa, negone_b),
        ]
        if nar_a is not None:
            pairs += [(nar_a, one_b), (nar_a, 0), (one_b if fa == fb else 1, nar_a)]
        if fa.kind == "fp" and fa.nan != "none":
            nan = (
                (1 << (fa.bits - 1)) - 1
                if fa.nan == "fn"
                else (((1 << fa.ebits) - 1) << fa.mbits) | 1
            )
            pairs += [(nan, one_b), (nan | (1 << (fa.bits - 1)), 0)]
        if fa.kind == "fp" and fa.inf:
            inf = ((1 << fa.ebits) - 1) << fa.mbits
            pairs += [(inf, 0), (inf, one_b), (inf | (1 << (fa.bits - 1)), negone_b)]
        a = np.array([x for x, _ in pairs])
        b = np.array([y & ((1 << fb.bits) - 1) for _, y in pairs])
        pairs_by_mode.append(_beats_from_pairs(p, i, a, b))
        # dot products: exact cancellation (+x - x = +0), all -0 terms (-0), Inf - Inf (NaN)
        sub = p.lane_bits // md.width
        two = _codes(fa, [2.0])[0]
        m2 = _codes(fa, [-2.0])[0]
        seqs = [[(two, one_b), (m2, one_b)], [(negz_a, one_b), (negz_a, one_b)]]
        if fa.kind == "fp" and fa.inf:
            inf = ((1 << fa.ebits) - 1) << fa.mbits
            seqs.append([(inf, one_b), (inf | (1 << (fa.bits - 1)), one_b)])
        for seq in seqs:
            for j, (x, y) in enumerate(seq):
                word_a = pack_words([x] * sub, md.width)
                word_b = pack_words([y] * sub, md.width)
                pairs_by_mode[-1].append(
                    Beat([word_a] * p.lanes, [word_b] * p.lanes, i, j == len(seq) - 1)
                )
    return [b for group in pairs_by_mode for b in group]


def isolation_beats(p: SimdParams) -> list[Beat]:
    """Operands where a carry or borrow crossing a sub-lane would change the result: every
    sub-lane at its largest / most negative / all-ones code, and alternating patterns."""
    beats = []
    for i, md in enumerate(p.modes):
        sub = p.lane_bits // md.width
        ma = [(1 << md.a.bits) - 1, (1 << (md.a.bits - 1)) - 1, 1 << (md.a.bits - 1)]
        mb = [(1 << md.b.bits) - 1, (1 << (md.b.bits - 1)) - 1, 1 << (md.b.bits - 1)]
        for x in ma:
            for y in mb:
                a = [pack_words([x] * sub, md.width)] * p.lanes
                b = [pack_words([y] * sub, md.width)] * p.lanes
                beats.append(Beat(a, b, i, True))
                # neighbours differ: large next to small
                alt_a = pack_words([x if s % 2 else 1 for s in range(sub)], md.width)
                alt_b = pack_words([y if s % 2 == 0 else 1 for s in range(sub)], md.width)
                beats.append(Beat([alt_a] * p.lanes, [alt_b] * p.lanes, i, True))
        # accumulate the largest products many times: sums must stay per slot
        a = [pack_words([ma[1]] * sub, md.width)] * p.lanes
        b = [pack_words([mb[1]] * sub, md.width)] * p.lanes
        beats += [Beat(a, b, i, j == 15) for j in range(16)]
    return beats


def _random_operands(md, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes of normally distributed values (realistic dot products: few specials)."""
    xa = rng.normal(0, 1, n) * 2.0 ** rng.integers(-3, 3)
    xb = rng.normal(0, 1, n) * 2.0 ** rng.integers(-3, 3)
    if md.a.kind == "int":
        xa *= 1 << (md.a.bits - 2)
    if md.b.kind == "int":
        xb *= 1 << (md.b.bits - 2)
    return encode(md.a, xa, saturate=True), encode(md.b, xb, saturate=True)


def dot_product_beats(
    p: SimdParams, rng: np.random.Generator, count: int, max_k: int = 48
) -> list[Beat]:
    """``count`` dot products of random depth 1..max_k, each in a random mode."""
    beats = []
    for _ in range(count):
        i = int(rng.integers(len(p.modes)))
        md = p.modes[i]
        k = int(rng.integers(1, max_k + 1))
        n = k * p.lanes * (p.lane_bits // md.width)
        a, b = _random_operands(md, rng, n)
        beats += _beats_from_pairs(p, i, a, b, k=k)
    return beats


def mode_switch_beats(p: SimdParams, rng: np.random.Generator, count: int) -> list[Beat]:
    """Dot products whose every beat takes a random mode (switches inside and between)."""
    beats = []
    for _ in range(count):
        k = int(rng.integers(1, 12))
        for j in range(k):
            i = int(rng.integers(len(p.modes)))
            md = p.modes[i]
            sub = p.lane_bits // md.width
            a, b = _random_operands(md, rng, p.lanes * sub)
            aw = [pack_words(a[w * sub : (w + 1) * sub], md.width) for w in range(p.lanes)]
            bw = [pack_words(b[w * sub : (w + 1) * sub], md.width) for w in range(p.lanes)]
            beats.append(Beat(aw, bw, i, j == k - 1))
    return beats


def gated_beats(p: SimdParams, rng: np.random.Generator, count: int) -> list[Beat]:
    """Dot products with a random gate pattern on every beat."""
    beats = []
    for beat in dot_product_beats(p, rng, count, max_k=8):
        gate = int(rng.integers(0, 1 << p.power_gating)) if p.power_gating else 0
        beats.append(Beat(beat.a, beat.b, beat.mode, beat.last, gate))
    return beats


def mode_names(p: SimdParams) -> list[str]:
    return [MODES[f].name for f in p.formats]
