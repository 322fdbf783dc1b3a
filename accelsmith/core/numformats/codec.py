"""Bit-exact number formats of the SIMD family: decode, encode (RNE) and exact arithmetic.

Formats (``shared/reference/accelerators.md`` §2.3; defined from the standards, not from the
XR-NPE scripts):

========== ===== ==========================================================================
name       bits  definition
========== ===== ==========================================================================
int4       4     two's complement, -8 .. 7
int8       8     two's complement, -128 .. 127
fp4_e2m1   4     OCP MX v1.0 E2M1: bias 1, subnormals, no Inf/NaN (max 6)
fp8_e4m3   8     OCP FP8 E4M3 ("fn"): bias 7, subnormals, no Inf, NaN = S.1111.111 (max 448)
fp8_e5m2   8     OCP FP8 E5M2: bias 15, subnormals, IEEE-style Inf and NaN (max 57344)
posit4_1   4     posit(4, 1), 2017/2018 rules (es free): useed 4, minpos 1/16, maxpos 16
posit8_0   8     posit(8, 0): minpos 2^-6, maxpos 64 (softposit ``posit8``)
posit16_1  16    posit(16, 1): minpos 2^-28, maxpos 2^28 (softposit ``posit16``)
========== ===== ==========================================================================

Every code decodes exactly to ``(-1)**sign * sig * 2**exp`` with integer ``sig >= 0``, or to a
special (posit NaR, FP NaN, FP Inf). Encoding rounds to nearest, ties to even:

* floats: ties between two codes go to the code with an even mantissa; a value whose rounding
  would exceed the largest finite value overflows (``saturate=False``, ml_dtypes' behaviour:
  E4M3 gives NaN, E5M2 gives Inf, E2M1 always saturates because it has neither) or saturates;
* posits: round to nearest even **on the bit string**: the tie point between codes ``c`` and
  ``c + 1`` is the value of the ``(n + 1)``-bit code ``2c + 1``. Nothing rounds to 0 or NaR:
  ``|x| < minpos`` gives minpos and ``|x| > maxpos`` gives maxpos. NaN gives NaR;
* integers: RNE to an integer, saturating at the range ends.

All tables are built once per format (at most 65,536 codes) and cached.

This codec sits in ``core`` (below ``models`` and ``sim``) because both the SQNR model
(:mod:`accelsmith.models.simd_sqnr`) and the golden models and benches use it; it is the one
``core`` module that needs numpy, so :mod:`accelsmith.core.numformats` does not import it.
"""

from __future__ import annotations

import functools
from fractions import Fraction

import numpy as np

from . import FORMATS as _SPECS
from . import Format

__all__ = [
    "FORMATS",
    "Format",
    "decode",
    "encode",
    "encode_exact",
    "fp32_bits_to_float",
    "get_format",
    "posit_tie_value",
    "round_to_float_bits",
    "values",
]


FORMATS: dict[str, Format] = dict(_SPECS)


def get_format(name: str) -> Format:
    """Look a format up by name (``ValueError`` naming the allowed ones)."""
    if name not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(map(repr, FORMATS))}, not {name!r}")
    return FORMATS[name]


# ------------------------------------------------------------------------------ decoding


def _decode_posit(code: int, n: int, es: int) -> tuple[int, int, int, bool, bool]:
    """(sign, sig, exp, zero, nar) of one posit code, exactly per the 2017/2018 rules."""
    mask = (1 << n) - 1
    if code == 0:
        return 0, 0, 0, True, False
    if code == 1 << (n - 1):
        return 1, 0, 0, False, True
    sign = code >> (n - 1)
    if sign:
        code = (-code) & mask  # two's complement of the whole word
    pos = n - 2
    r = (code >> pos) & 1
    m = 0
    while pos >= 0 and ((code >> pos) & 1) == r:
        m += 1
        pos -= 1
    k = m - 1 if r else -m
    pos -= 1  # skip the terminating bit (if any)
    rem = max(pos + 1, 0)  # bits left after the regime and its terminator
    e_avail = min(es, rem)
    e = (code >> (rem - e_avail)) & ((1 << e_avail) - 1) if e_avail else 0
    e <<= es - e_avail  # truncated exponent bits are 0
    nf = rem - e_avail
    f = code & ((1 << nf) - 1)
    sig = (1 << nf) | f
    exp = k * (1 << es) + e - nf
    return sign, sig, exp, False, False


def _decode_one(fmt: Format, code: int) -> tuple[int, int, int, bool, bool, bool]:
    """(sign, sig, exp, zero, nan, inf) of one code."""
    n = fmt.bits
    if fmt.kind == "int":
        v = code - (1 << n) if code >> (n - 1) else code
        return int(v < 0), abs(v), 0, v == 0, False, False
    if fmt.kind == "posit":
        s, sig, exp, zero, nar = _decode_posit(code, n, fmt.es)
        return s, sig, exp, zero, nar, False
    sign = code >> (n - 1)
    e = (code >> fmt.mbits) & ((1 << fmt.ebits) - 1)
    m = code & ((1 << fmt.mbits) - 1)
    emax_field = (1 << fmt.ebits) - 1
    if e == emax_field:
        if fmt.nan == "ieee":
            return sign, 0, 0, False, m != 0, m == 0 and fmt.inf
        if fmt.nan == "fn" and m == (1 << fmt.mbits) - 1:
            return sign, 0, 0, False, True, False
    if e == 0:
        return sign, m, 1 - fmt.bias - fmt.mbits, m == 0, False, False
    return sign, m | (1 << fmt.mbits), e - fmt.bias - fmt.mbits, False, False, False


def _decode_posits(codes: np.ndarray, n: int, es: int) -> dict[str, np.ndarray]:
    """Vectorized :func:`_decode_posit` (same rules, checked equal on every code in tests)."""
    c = np.asarray(codes, dtype=np.int64)
    mask = (1 << n) - 1
    sign = (c >> (n - 1)) & 1
    x = np.where(sign == 1, (-c) & mask, c)
    body = x & ((1 << (n - 1)) - 1)
    r = (body >> (n - 2)) & 1
    runs = np.where(r == 1, ~body & ((1 << (n - 1)) - 1), body)
    run = (n - 1) - np.frexp(runs.astype(np.float64))[1]  # leading zeros in n - 1 bits
    k = np.where(r == 1, run - 1, -run)
    rem = np.maximum(n - 2 - run, 0)
    e_avail = np.minimum(es, rem)
    e = ((x >> (rem - e_avail)) & ((1 << e_avail) - 1)) << (es - e_avail)
    nf = rem - e_avail
    f = x & ((1 << nf) - 1)
    zero = c == 0
    nar = c == (1 << (n - 1))
    special = zero | nar
    return {
        "sign": np.where(zero, 0, sign),
        "sig": np.where(special, 0, (1 << nf) | f),
        "exp": np.where(special, 0, k * (1 << es) + e - nf),
        "zero": zero,
        "nan": nar,
        "inf": np.zeros(c.shape, dtype=bool),
    }


@functools.cache
def _table(name: str) -> dict[str, np.ndarray]:
    fmt = get_format(name)
    if fmt.kind == "posit":
        out = _decode_posits(np.arange(1 << fmt.bits), fmt.bits, fmt.es)
    else:
        rows = [_decode_one(fmt, c) for c in range(1 << fmt.bits)]
        cols = list(zip(*rows, strict=True))
        out = {
            "sign": np.array(cols[0], dtype=np.int64),
            "sig": np.array(cols[1], dtype=np.int64),
            "exp": np.array(cols[2], dtype=np.int64),
            "zero": np.array(cols[3], dtype=bool),
            "nan": np.array(cols[4], dtype=bool),
            "inf": np.array(cols[5], dtype=bool),
        }
    val = np.ldexp(out["sig"].astype(np.float64), out["exp"])
    val = np.where(out["sign"] == 1, -val, val)
    val = np.where(out["inf"], np.where(out["sign"] == 1, -np.inf, np.inf), val)
    out["value"] = np.where(out["nan"], np.nan, val)
    for v in out.values():
        v.setflags(write=False)
    return out


def decode(fmt: str | Format, codes: np.ndarray) -> dict[str, np.ndarray]:
    """Decode codes (any integer array; only the low ``bits`` bits are used).

    Returns
    -------
    dict of arrays
        ``sign`` (0/1), ``sig`` (unsigned significand, hidden bit included), ``exp`` (the
        value is ``(-1)**sign * sig * 2**exp``), ``zero``, ``nan`` (NaN or posit NaR), ``inf``
        and ``value`` (float64, exact: every value of these formats fits a double).
    """
    f = fmt if isinstance(fmt, Format) else get_format(fmt)
    idx = np.asarray(codes, dtype=np.int64) & ((1 << f.bits) - 1)
    return {k: v[idx] for k, v in _table(f.name).items()}


def values(fmt: str | Format, codes: np.ndarray) -> np.ndarray:
    """Exact float64 values of ``codes`` (NaN for NaN/NaR, +-inf for Inf)."""
    return decode(fmt, codes)["value"]


# ------------------------------------------------------------------------------ encoding


def posit_tie_value(code: int, n: int, es: int) -> float:
    """Value of the ``(n + 1)``-bit posit code ``2 * code + 1``: the tie between ``code`` and
    ``code + 1`` (positive codes)."""
    s, sig, exp, _, _ = _decode_posit(2 * code + 1, n + 1, es)
    assert s == 0
    return float(np.ldexp(float(sig), exp))


@functools.cache
def _lattice(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Positive magnitudes: (codes ascending by value, their values, tie points, overflow).

    ``ties[i]`` separates ``values[i]`` and ``values[i+1]``. ``overflow`` (floats) is the tie
    between the largest finite value and the next value of the unbounded format.
    """
    f = get_format(name)
    t = _table(name)
    half = 1 << (f.bits - 1)
    if f.kind == "posit":
        codes = np.arange(1, half, dtype=np.int64)
        d = _decode_posits(2 * codes[:-1] + 1, f.bits + 1, f.es)  # the (n+1)-bit tie codes
        ties = np.ldexp(d["sig"].astype(np.float64), d["exp"])
        return codes, t["value"][codes], ties, np.inf
    codes = np.arange(0, half, dtype=np.int64)
    codes = codes[~(t["nan"][codes] | t["inf"][codes])]
    vals = t["value"][codes]
    ties = (vals[:-1] + vals[1:]) / 2.0  # exact: adjacent values share a binade's ulp
    top_ulp = vals[-1] - vals[-2]
    return codes, vals, ties, float(vals[-1] + top_ulp / 2.0)


def encode(fmt: str | Format, x: np.ndarray, *, saturate: bool | None = None) -> np.ndarray:
    """Round float64 values to codes (int64 array of unsigned codes), RNE.

    Parameters
    ----------
    fmt : str or Format
    x : array of float64
    saturate : bool, optional
        Floats only: clamp overflow to the largest finite magnitude instead of NaN (E4M3) or
        Inf (E5M2). The default (None) follows ml_dtypes: saturation only for E2M1, which has
        no special values. Posits and integers always saturate.
    """
    f = fmt if isinstance(fmt, Format) else get_format(fmt)
    x = np.asarray(x, dtype=np.float64)
    n = f.bits
    mask = (1 << n) - 1
    if f.kind == "int":
        lo, hi = -(1 << (n - 1)), (1 << (n - 1)) - 1
        r = np.clip(np.rint(np.nan_to_num(x, nan=0.0, posinf=hi, neginf=lo)), lo, hi)
        return r.astype(np.int64) & mask
    codes, _, ties, overflow = _lattice(f.name)
    mag = np.abs(x)
    p = np.searchsorted(ties, mag, side="left")  # ties strictly below |x|
    p_clip = np.minimum(p, len(ties) - 1)
    on_tie = (p < len(ties)) & (ties[p_clip] == mag)
    up = codes[np.minimum(p + 1, len(codes) - 1)]
    lo_code = codes[p]
    pick = np.where(on_tie & (lo_code % 2 == 1), up, lo_code)
    neg = np.signbit(x)
    if f.kind == "posit":
        out = np.where(neg, (-pick) & mask, pick)
        out = np.where(mag == 0, 0, out)
        return np.where(np.isnan(x), 1 << (n - 1), out).astype(np.int64)
    sat = f.nan == "none" if saturate is None else saturate
    top = codes[-1]
    over = (mag > overflow) | ((mag == overflow) & (top % 2 == 1))
    if not sat:
        special = _nan_code(f) if not f.inf else _inf_code(f)
        pick = np.where(over, special, pick)
    else:
        pick = np.where(over, top, pick)
    out = pick | np.where(neg, 1 << (n - 1), 0)
    if f.nan != "none":
        out = np.where(np.isnan(x), _nan_code(f) | np.where(neg, 1 << (n - 1), 0), out)
    else:  # no NaN code: like ml_dtypes, NaN gives -0 (and a negative NaN +0)
        out = np.where(np.isnan(x), np.where(neg, 0, 1 << (n - 1)), out)
    return out.astype(np.int64)


def _nan_code(f: Format) -> int:
    if f.nan == "fn":
        return (1 << (f.bits - 1)) - 1
    return (((1 << f.ebits) - 1) << f.mbits) | (1 << (f.mbits - 1))


def _inf_code(f: Format) -> int:
    return ((1 << f.ebits) - 1) << f.mbits


# ------------------------------------------------------------------------------ float32 results


def round_to_float_bits(sign: int, sig: int, exp: int, *, ebits: int = 8, mbits: int = 23) -> int:
    """Bits of the IEEE-style float nearest (RNE) to ``(-1)**sign * sig * 2**exp``.

    Exact for any Python integers (``sig >= 0``): subnormal results, and overflow to Inf
    (round to nearest never saturates). ``sig == 0`` gives a zero with the given sign.
    """
    bias = (1 << (ebits - 1)) - 1
    sbit = sign << (ebits + mbits)
    if sig == 0:
        return sbit
    top = sig.bit_length() - 1 + exp  # exponent of the leading 1
    e_unb = max(top, 1 - bias)  # subnormals share the smallest exponent
    lsb = e_unb - mbits  # exponent of the result's LSB
    shift = lsb - exp
    if shift > 0:
        q, r = divmod(sig, 1 << shift)
        half = 1 << (shift - 1)
        if r > half or (r == half and q & 1):
            q += 1
    else:
        q = sig << (-shift)
    if q >> (mbits + 1):  # rounding carried into a new binade
        q >>= 1
        e_unb += 1
    biased = 0 if q >> mbits == 0 else e_unb + bias  # 0: subnormal (q > 0 here)
    if biased >= (1 << ebits) - 1:
        return sbit | (((1 << ebits) - 1) << mbits)
    return sbit | (biased << mbits) | (q & ((1 << mbits) - 1))


@functools.cache
def _exact_ties(name: str) -> tuple[np.ndarray, list[Fraction]]:
    codes, _, ties, _ = _lattice(name)
    return codes, [Fraction(float(t)) for t in ties]


def encode_exact(fmt: str | Format, sign: int, sig: int, exp: int) -> int:
    """Posit code nearest (RNE on the bit string) to ``(-1)**sign * sig * 2**exp``, exactly.

    For values a double cannot hold (wide exact sums): the tie points are compared as exact
    fractions. ``sig == 0`` gives 0; saturation as in :func:`encode`.
    """
    import bisect

    f = fmt if isinstance(fmt, Format) else get_format(fmt)
    if f.kind != "posit":
        raise ValueError(f"fmt must be a posit format, not {f.name!r}")
    if sig == 0:
        return 0
    codes, ties = _exact_ties(f.name)
    x = Fraction(sig) * Fraction(2) ** exp
    p = bisect.bisect_left(ties, x)  # ties strictly below x
    code = int(codes[p])
    if p < len(ties) and ties[p] == x and code % 2 == 1:
        code = int(codes[p + 1])
    return (-code) & ((1 << f.bits) - 1) if sign else code


def fp32_bits_to_float(bits: np.ndarray) -> np.ndarray:
    """Reinterpret uint32 words as float32 values (as float64)."""
    return np.asarray(bits, dtype=np.uint32).view(np.float32).astype(np.float64)


def exact_value(sign: int, sig: int, exp: int) -> Fraction:
    """``(-1)**sign * sig * 2**exp`` as a Fraction (for checks)."""
    v = Fraction(sig) * (Fraction(2) ** exp)
    return -v if sign else v
