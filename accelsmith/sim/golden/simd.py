"""Bit-exact reference of the SIMD engine, written from the specification in
:mod:`accelsmith.hdl.simd` (never from the RTL).

A stream is a sequence of beats; beat ``t`` has ``a[t]``, ``b[t]`` (``lanes`` words),
``mode[t]`` (index into ``params.formats``), ``last[t]`` and ``gate[t]`` (``power_gating``
bits). :func:`golden` returns one result vector (``lanes * slots`` results, as unsigned bits
of ``params.out_format``) per dot product. Products are exact (Python integers); ``exact``
sums them exactly and rounds once, ``fp32`` rounds after every product (and converts at
readout). :func:`single_products` is the vectorized shortcut for one-beat dot products (a
product of two <= 16-bit codes is exact in float64, so :func:`round_values` rounds it once,
exactly).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ...core.families.simd import SimdParams
from ...core.numformats import MODES
from ...core.numformats.codec import decode, encode, encode_exact, get_format, round_to_float_bits

__all__ = [
    "FP32_NAN",
    "Beat",
    "golden",
    "out_nan",
    "product_terms",
    "round_values",
    "single_products",
]

FP32_NAN = 0x7FC00000
NEG_ZERO = 0x80000000
_SCALE = -400  # exact sums are kept as integers in units of 2**_SCALE


@dataclass(frozen=True)
class Beat:
    """One input beat (``a``/``b``: word values; ``gate``: group bits)."""

    a: Sequence[int]
    b: Sequence[int]
    mode: int
    last: bool
    gate: int = 0


def product_terms(mode: str, a_codes: np.ndarray, b_codes: np.ndarray) -> dict[str, np.ndarray]:
    """Exact products of code arrays: ``sign``, ``sig``, ``exp``, ``zero``, ``nan``, ``inf``."""
    md = MODES[mode]
    da, db = decode(md.a, a_codes), decode(md.b, b_codes)
    nan = da["nan"] | db["nan"] | (da["inf"] & db["zero"]) | (db["inf"] & da["zero"])
    return {
        "sign": da["sign"] ^ db["sign"],
        "sig": da["sig"] * db["sig"],
        "exp": da["exp"] + db["exp"],
        "zero": da["zero"] | db["zero"],
        "nan": nan,
        "inf": (da["inf"] | db["inf"]) & ~nan,
    }


def round_values(val: np.ndarray, ebits: int = 8, mbits: int = 23) -> np.ndarray:
    """Bits (uint32) of the IEEE-style float nearest (RNE) to each float64 ``val``.

    Exact for every float64 (the scaling by a power of two is exact and ``np.rint`` rounds
    half to even); overflow gives Inf, tiny values a signed zero, NaN the quiet NaN.
    """
    val = np.asarray(val, dtype=np.float64)
    bias = (1 << (ebits - 1)) - 1
    emax = (1 << ebits) - 1
    sign = np.signbit(val).astype(np.int64) << (ebits + mbits)
    mag = np.abs(val)
    fin = np.isfinite(mag) & (mag > 0)
    safe = np.where(fin, mag, 1.0)
    top = np.frexp(safe)[1] - 1
    e_unb = np.maximum(top, 1 - bias)
    q = np.rint(np.ldexp(safe, mbits - e_unb)).astype(np.int64)
    carry = q >> (mbits + 1)
    e_unb = e_unb + carry
    q = q >> carry
    biased = np.where(q >> mbits == 0, 0, e_unb + bias)
    word = np.where(biased >= emax, emax << mbits, (biased << mbits) | (q & ((1 << mbits) - 1)))
    word = np.where(fin, word, np.where(mag == 0, 0, emax << mbits))
    nan = (emax << mbits) | (1 << (mbits - 1))
    out = np.where(np.isnan(val), nan, word | np.where(np.isnan(val), 0, sign))
    return out.astype(np.uint32)


def out_nan(params: SimdParams) -> int:
    """The quiet NaN of ``params.out_format``."""
    eb, mb = params.out_fields
    return (((1 << eb) - 1) << mb) | (1 << (mb - 1))


def single_products(
    mode: str, a_codes: np.ndarray, b_codes: np.ndarray, params: SimdParams | None = None
) -> np.ndarray:
    """Result bits (uint32) of one-product dot products (binary32 when ``params`` is None)."""
    t = product_terms(mode, a_codes, b_codes)
    mag = np.ldexp(t["sig"].astype(np.float64), t["exp"])
    val = np.where(t["sign"] == 1, -mag, mag)  # exact; zeros keep their sign
    val = np.where(t["inf"], np.where(t["sign"] == 1, -np.inf, np.inf), val)
    val = np.where(t["nan"], np.nan, val)
    if params is None or params.out_format == "fp32":
        return round_values(val)
    if params.acc == "fp32":  # binary32 accumulator, then the readout conversion
        val = round_values(val).view(np.float32).astype(np.float64)
    if params.out_posit is not None:
        n = params.out_posit[0]
        codes = encode(params.out_format, np.where(np.isinf(val), np.nan, val))  # Inf: NaR
        return codes.astype(np.uint32) & ((1 << n) - 1)
    eb, mb = params.out_fields
    return round_values(val, eb, mb)


def _fp32_parts(bits: int) -> tuple[int, int, int]:
    s, e, m = bits >> 31, (bits >> 23) & 0xFF, bits & 0x7FFFFF
    return s, (m | (1 << 23)) if e else m, (e if e else 1) - 150


def _fp32_add(acc: int, sign: int, sig: int, exp: int, zero: bool) -> int:
    """RNE binary32 of ``acc + (-1)**sign * sig * 2**exp`` (finite acc and product)."""
    sa, ma, ea = _fp32_parts(acc)
    if ma == 0 and (zero or sig == 0):
        return NEG_ZERO if (sa and sign) else 0
    lo = min(ea, exp)
    total = (-1) ** sa * (ma << (ea - lo)) + (-1) ** sign * (sig << (exp - lo))
    if total == 0:
        return 0
    return round_to_float_bits(int(total < 0), abs(total), lo)


class _Slot:
    """Accumulator state of one slot."""

    def __init__(self, acc: str) -> None:
        self.acc = acc
        self.q = 0
        self.fp = NEG_ZERO
        self.nan = self.pinf = self.ninf = False
        self.negz = True
        self.any = False

    def add(self, sign: int, sig: int, exp: int, zero: bool, nan: bool, inf: bool) -> None:
        self.any = True
        if self.acc == "exact":
            self.nan |= nan
            self.pinf |= inf and not sign
            self.ninf |= inf and bool(sign)
            self.negz &= zero and bool(sign) and not nan
            if not (nan or inf or zero):
                v = sig << (exp - _SCALE)
                self.q += -v if sign else v
            return
        e_acc = (self.fp >> 23) & 0xFF
        acc_nan = e_acc == 0xFF and self.fp & 0x7FFFFF
        acc_inf = e_acc == 0xFF and not self.fp & 0x7FFFFF
        acc_sign = self.fp >> 31
        if acc_nan or nan or (acc_inf and inf and acc_sign != sign):
            self.fp = FP32_NAN
        elif acc_inf:
            pass
        elif inf:
            self.fp = (sign << 31) | 0x7F800000
        else:
            self.fp = _fp32_add(self.fp, sign, sig, exp, zero)

    def result_posit(self, fmt: str) -> int:
        """The slot's result as a posit code (NaN and Inf give NaR, zero gives 0)."""
        nar = 1 << (get_format(fmt).bits - 1)
        if not self.any:
            return 0
        if self.acc == "fp32":
            if (self.fp >> 23) & 0xFF == 0xFF:
                return nar
            s, sig, exp = _fp32_parts(self.fp)
            return encode_exact(fmt, s, sig, exp)
        if self.nan or self.pinf or self.ninf:
            return nar
        return encode_exact(fmt, int(self.q < 0), abs(self.q), _SCALE)

    def result(self, ebits: int = 8, mbits: int = 23) -> int:
        """The slot's result in the IEEE-style format ``(ebits, mbits)``."""
        emax = (1 << ebits) - 1
        nan, inf, neg = (emax << mbits) | (1 << (mbits - 1)), emax << mbits, 1 << (ebits + mbits)
        if not self.any:
            return 0
        if self.acc == "fp32":
            if (ebits, mbits) == (8, 23):
                return self.fp
            s, e, m = self.fp >> 31, (self.fp >> 23) & 0xFF, self.fp & 0x7FFFFF
            if e == 0xFF:
                return nan if m else inf | (neg if s else 0)
            _, sig, exp = _fp32_parts(self.fp)
            return round_to_float_bits(s, sig, exp, ebits=ebits, mbits=mbits)
        if self.nan or (self.pinf and self.ninf):
            return nan
        if self.pinf:
            return inf
        if self.ninf:
            return inf | neg
        if self.q == 0:
            return neg if self.negz else 0
        return round_to_float_bits(int(self.q < 0), abs(self.q), _SCALE, ebits=ebits, mbits=mbits)


def golden(
    params: SimdParams, beats: Sequence[Beat], *, vectorize: bool = True
) -> list[np.ndarray]:
    """Result vectors (uint32, ``lanes * slots``) of every dot product ended by a ``last``.

    Parameters
    ----------
    params : SimdParams
    beats : sequence of Beat
        In stream order. Beats after the final ``last`` are ignored (no result yet).
    vectorize : bool
        Compute whole one-product dot products with :func:`single_products` (the default);
        False runs every beat through the exact integer path.
    """
    p = params
    W, S = p.lane_bits, p.slots
    groups = max(p.power_gating, 1)
    per_group = p.lanes // groups
    slots = [_Slot(p.acc) for _ in range(p.lanes * S)]
    out: list[np.ndarray] = []
    alone = _standalone(beats) & vectorize
    fast = _single_beat_results(p, beats, alone)
    for i, beat in enumerate(beats):
        if alone[i]:
            out.append(fast[i])
            continue
        md = p.modes[beat.mode]
        name = p.formats[beat.mode]
        n_sub = W // md.width
        for w in range(p.lanes):
            gated = p.power_gating and (beat.gate >> (w // per_group)) & 1
            if gated:
                continue
            fa = [(beat.a[w] >> (s * md.width)) & ((1 << md.a.bits) - 1) for s in range(n_sub)]
            fb = [(beat.b[w] >> (s * md.width)) & ((1 << md.b.bits) - 1) for s in range(n_sub)]
            t = product_terms(name, np.array(fa), np.array(fb))
            for s in range(n_sub):
                slots[w * S + s].add(
                    int(t["sign"][s]),
                    int(t["sig"][s]),
                    int(t["exp"][s]),
                    bool(t["zero"][s]),
                    bool(t["nan"][s]),
                    bool(t["inf"][s]),
                )
        if beat.last:
            if p.out_posit is not None:
                res = np.array([sl.result_posit(p.out_format) for sl in slots], dtype=np.uint32)
            else:
                res = np.array([sl.result(*p.out_fields) for sl in slots], dtype=np.uint32)
            if p.power_gating:
                for w in range(p.lanes):
                    if (beat.gate >> (w // per_group)) & 1:
                        res[w * S : (w + 1) * S] = 0
            out.append(res)
            slots = [_Slot(p.acc) for _ in range(p.lanes * S)]
    return out


def _standalone(beats: Sequence[Beat]) -> np.ndarray:
    """Beats that are a whole one-product dot product without gating."""
    last = np.array([b.last for b in beats], dtype=bool)
    prev_last = np.concatenate([[True], last[:-1]])
    gate = np.array([b.gate for b in beats], dtype=np.int64)
    return last & prev_last & (gate == 0)


def _single_beat_results(
    p: SimdParams, beats: Sequence[Beat], alone: np.ndarray
) -> dict[int, np.ndarray]:
    """Results of the standalone beats, vectorized per mode (:func:`single_products`)."""
    out: dict[int, np.ndarray] = {}
    if not alone.any():
        return out
    modes = np.array([b.mode for b in beats], dtype=np.int64)
    for i, md in enumerate(p.modes):
        idx = np.flatnonzero(alone & (modes == i))
        if idx.size == 0:
            continue
        n_sub = p.lane_bits // md.width
        a = np.array([beats[j].a for j in idx], dtype=np.int64)  # (n, lanes)
        b = np.array([beats[j].b for j in idx], dtype=np.int64)
        shifts = np.arange(n_sub, dtype=np.int64) * md.width
        fa = (a[:, :, None] >> shifts) & ((1 << md.a.bits) - 1)
        fb = (b[:, :, None] >> shifts) & ((1 << md.b.bits) - 1)
        bits = single_products(p.formats[i], fa.reshape(-1), fb.reshape(-1), p)
        res = np.zeros((idx.size, p.lanes, p.slots), dtype=np.uint32)
        res[:, :, :n_sub] = bits.reshape(idx.size, p.lanes, n_sub)
        res = res.reshape(idx.size, -1)
        for row, j in enumerate(idx):
            out[int(j)] = res[row]
    return out
