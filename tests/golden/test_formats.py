"""Number formats of the SIMD family: every code decoded, encoding checked against references.

References: ml_dtypes (FP8 E4M3/E5M2, FP4 E2M1, int4), softposit (posit8 = posit(8,0),
posit16 = posit(16,1)), and the hand-derived posit(4,1) table of reference §2.3.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
import softposit as sp

from accelsmith.core.numformats import codec as F

ML = {
    "fp4_e2m1": ml_dtypes.float4_e2m1fn,
    "fp8_e4m3": ml_dtypes.float8_e4m3fn,
    "fp8_e5m2": ml_dtypes.float8_e5m2,
}

# reference §2.3, derived by hand from the posit rules
P4E1 = [0, 1 / 16, 1 / 4, 1 / 2, 1, 2, 4, 16, None, -16, -4, -2, -1, -1 / 2, -1 / 4, -1 / 16]


def _ml_values(name: str) -> np.ndarray:
    codes = np.arange(1 << F.get_format(name).bits, dtype=np.uint8)
    return codes.view(ML[name]).astype(np.float64)


@pytest.mark.parametrize("name", sorted(ML))
def test_float_decode_every_code_matches_ml_dtypes(name: str) -> None:
    codes = np.arange(1 << F.get_format(name).bits)
    got = F.values(name, codes)
    want = _ml_values(name)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    ok = ~np.isnan(want)
    np.testing.assert_array_equal(got[ok], want[ok])
    np.testing.assert_array_equal(np.signbit(got[ok]), np.signbit(want[ok]))  # -0 included


def test_int_decode_every_code() -> None:
    got4 = F.values("int4", np.arange(16))
    want4 = np.arange(16, dtype=np.uint8).view(ml_dtypes.int4).astype(np.int64)
    np.testing.assert_array_equal(got4, want4)
    np.testing.assert_array_equal(
        np.array([-8, 7, -1], dtype=ml_dtypes.int4).view(np.uint8) & 15,
        F.encode("int4", [-8, 7, -1]),
    )
    got8 = F.values("int8", np.arange(256))
    np.testing.assert_array_equal(got8, np.arange(256, dtype=np.uint8).view(np.int8))


def test_posit4_1_matches_hand_table() -> None:
    d = F.decode("posit4_1", np.arange(16))
    for code, want in enumerate(P4E1):
        if want is None:
            assert d["nan"][code]
        else:
            assert d["value"][code] == want, code
    # no fraction bits: every significand is the hidden bit alone
    assert set(d["sig"][~d["zero"] & ~d["nan"]].tolist()) == {1}


@pytest.mark.parametrize(
    ("name", "ctor", "bits"), [("posit8_0", sp.posit8, 8), ("posit16_1", sp.posit16, 16)]
)
def test_posit_decode_every_code_matches_softposit(name: str, ctor, bits: int) -> None:
    codes = np.arange(1 << bits)
    got = F.values(name, codes)
    nar = 1 << (bits - 1)
    want = np.array([np.nan if c == nar else float(ctor(bits=int(c))) for c in codes])
    np.testing.assert_array_equal(np.isnan(got), codes == nar)
    np.testing.assert_array_equal(got[codes != nar], want[codes != nar])


def _probe_values(name: str, rng: np.random.Generator) -> np.ndarray:
    """Every code value, every tie point, values just around them, and random magnitudes."""
    f = F.get_format(name)
    _, vals, ties, over = F._lattice(name)
    pts = np.concatenate([vals, ties, [over] if np.isfinite(over) else []])
    pts = np.concatenate([pts, np.nextafter(pts, np.inf), np.nextafter(pts, -np.inf)])
    lo, hi = np.log2(vals[vals > 0].min()) - 3, np.log2(vals.max()) + 3
    rand = np.exp2(rng.uniform(lo, hi, 4000))
    x = np.concatenate([pts, rand, [0.0, np.inf, 1e300, 1e-300]])
    x = np.concatenate([x, -x])
    assert f.bits <= 16
    return x


@pytest.mark.parametrize("name", sorted(ML))
def test_float_encode_matches_ml_dtypes(name: str) -> None:
    # ml_dtypes narrows float64 through float32 (so a float64 just above a tie can round like
    # the tie): compare on float32-representable inputs, where its rounding is single
    x = _probe_values(name, np.random.default_rng(1)).astype(np.float32)
    x = np.concatenate(
        [x, np.nextafter(x, np.float32(np.inf)), np.nextafter(x, np.float32(-np.inf))]
    )
    x = np.concatenate([x.astype(np.float64), [np.nan]])
    got = F.encode(name, x)
    want = x.astype(ML[name]).view(np.uint8).astype(np.int64)
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, [(x[i], got[i], want[i]) for i in bad[:5]]


@pytest.mark.parametrize(
    ("name", "conv", "bits"), [("posit8_0", sp.posit8, 8), ("posit16_1", sp.posit16, 16)]
)
def test_posit_encode_matches_softposit(name: str, conv, bits: int) -> None:
    x = _probe_values(name, np.random.default_rng(2))
    got = F.encode(name, x)
    want = np.array([conv(float(v)).v.v if np.isfinite(v) else 1 << (bits - 1) for v in x])
    # softposit maps +-inf to NaR; we do too only for NaN (infinities saturate)
    fin = np.isfinite(x)
    bad = np.flatnonzero((got != want) & fin)
    assert bad.size == 0, [(x[i], hex(got[i]), hex(want[i])) for i in bad[:5]]


def test_encoding_vectors_of_reference() -> None:
    e = F.encode
    assert e("posit8_0", [1.015625, 1.0234375, 48, 96, 1 / 200, -1 / 200, 0.1, 3.0]).tolist() == [
        0x40,
        0x41,
        0x7E,
        0x7F,
        0x01,
        0xFF,
        0x06,
        0x68,
    ]
    assert e("posit16_1", [1.015625, 1 / 200, -1 / 200, 0.1]).tolist() == [
        0x4040,
        0x048F,
        0xFB71,
        0x14CD,
    ]
    assert e("posit4_1", [0.1, 3.0]).tolist() == [0x1, 0x6]
    assert e("posit4_1", [1e-9, -1e-9, 1e9, np.nan, 0.0]).tolist() == [0x1, 0xF, 0x7, 0x8, 0x0]
    assert F.values("posit16_1", np.array([0x7FFE, 0x0001, 0xFFFF])).tolist() == [
        2.0**26,
        2.0**-28,
        -(2.0**-28),
    ]


def test_posit4_1_encode_every_tie() -> None:
    # ties on the bit string: between codes c and c+1 lies the 5-bit code 2c+1
    for c in range(1, 7):
        t = F.posit_tie_value(c, 4, 1)
        even = c if c % 2 == 0 else c + 1
        assert F.encode("posit4_1", [t]).tolist() == [even]
        assert F.encode("posit4_1", [np.nextafter(t, 0)]).tolist() == [c]
        assert F.encode("posit4_1", [np.nextafter(t, np.inf)]).tolist() == [c + 1]


def test_saturating_float_encode() -> None:
    assert F.encode("fp8_e4m3", [1000.0, -1e9], saturate=True).tolist() == [0x7E, 0xFE]
    assert F.encode("fp8_e5m2", [1e9], saturate=True).tolist() == [0x7B]


@pytest.mark.parametrize("name", sorted(F.FORMATS))
def test_round_trip_every_code(name: str) -> None:
    f = F.get_format(name)
    codes = np.arange(1 << f.bits)
    d = F.decode(name, codes)
    keep = ~d["nan"]
    back = F.encode(name, d["value"][keep])
    np.testing.assert_array_equal(back, codes[keep])


def test_round_to_float_bits_matches_numpy() -> None:
    rng = np.random.default_rng(3)
    for _ in range(3000):
        sig = int(rng.integers(0, 1 << 40))
        exp = int(rng.integers(-190, 100))
        sign = int(rng.integers(0, 2))
        v = np.ldexp(float(sig), exp)  # exact only when sig < 2**53: it is
        want = np.array([-v if sign else v], dtype=np.float64).astype(np.float32)
        if abs(want[0]) < 2.0**-100 and sig.bit_length() > 24:
            continue  # double rounding in the reference: float64 subnormal boundary is fine
        got = F.round_to_float_bits(sign, sig, exp)
        assert got == int(want.view(np.uint32)[0]), (sign, sig, exp)


@pytest.mark.parametrize("name", sorted(F.FORMATS))
def test_spec_ranges_match_every_code(name: str) -> None:
    """The analytic ranges the RTL sizes its datapath with cover exactly the decoded codes."""
    f = F.get_format(name)
    d = F.decode(name, np.arange(1 << f.bits))
    fin = ~(d["nan"] | d["inf"] | d["zero"])
    sig, exp = d["sig"][fin], d["exp"][fin]
    lsb = [int(e) + (int(s) & -int(s)).bit_length() - 1 for s, e in zip(sig, exp, strict=True)]
    top = [int(e) + int(s).bit_length() - 1 for s, e in zip(sig, exp, strict=True)]
    assert min(lsb) == f.lsb_min
    assert max(top) == f.top_max
    assert max(int(s).bit_length() for s in sig) <= f.sig_bits


@pytest.mark.parametrize(("n", "es"), [(4, 1), (4, 0), (8, 0), (8, 2), (16, 1), (9, 1), (12, 1)])
def test_vectorized_posit_decoder_equals_the_rule_by_rule_one(n: int, es: int) -> None:
    codes = np.arange(1 << n)
    d = F._decode_posits(codes, n, es)
    for c in codes.tolist():
        s, sig, exp, zero, nar = F._decode_posit(c, n, es)
        assert (d["sign"][c], d["sig"][c], d["exp"][c], d["zero"][c], d["nan"][c]) == (
            s if not zero else 0,
            sig,
            exp,
            zero,
            nar,
        ), c


@pytest.mark.parametrize(("ebits", "mbits"), [(8, 23), (5, 10), (8, 7)])
def test_vectorized_rounding_matches_exact_rounding(ebits: int, mbits: int) -> None:
    from accelsmith.sim.golden.simd import round_values

    rng = np.random.default_rng(9)
    sig = rng.integers(0, 1 << 30, 3000)
    exp = rng.integers(-170, 140, 3000)
    sign = rng.integers(0, 2, 3000)
    val = np.ldexp(sig.astype(np.float64), exp) * np.where(sign == 1, -1.0, 1.0)
    got = round_values(val, ebits, mbits)
    want = [F.round_to_float_bits(int(s), int(m), int(e), ebits=ebits, mbits=mbits)
            for s, m, e in zip(sign, sig, exp, strict=True)]  # fmt: skip
    assert got.tolist() == want
    if (ebits, mbits) == (5, 10):  # numpy's float64 -> float16 cast rounds once, RNE
        np.testing.assert_array_equal(got, val.astype(np.float16).view(np.uint16))
    if (ebits, mbits) == (8, 23):
        np.testing.assert_array_equal(got, val.astype(np.float32).view(np.uint32))


@pytest.mark.parametrize(("mode", "quire", "ctor", "bits"), [
    ("posit8_0", sp.quire8, sp.posit8, 8), ("posit16_1", sp.quire16, sp.posit16, 16),
])  # fmt: skip
def test_exact_accumulation_equals_softposit_quire(mode, quire, ctor, bits) -> None:
    """The exact mode's quire semantics: the exact sum of exact products, rounded once.

    softposit's quire (``qma``, then ``toPosit``) against the golden's products summed exactly
    and encoded with :func:`encode`. Posit16 operands are drawn from [1/16, 16] so that the
    exact sum fits a double (the encoder's input); posit8 sums always do.
    """
    from accelsmith.sim.golden.simd import product_terms

    rng = np.random.default_rng(11)
    lo, hi = (1, (1 << (bits - 1)) - 1)
    if bits == 16:
        lo, hi = int(F.encode(mode, [1 / 16])[0]), int(F.encode(mode, [16.0])[0])
    for _ in range(300):
        k = int(rng.integers(1, 40))
        a = rng.integers(lo, hi + 1, k) * 1
        b = rng.integers(lo, hi + 1, k) * 1
        a = np.where(rng.random(k) < 0.5, (-a) & ((1 << bits) - 1), a)  # negatives
        q = quire()
        for x, y in zip(a.tolist(), b.tolist(), strict=True):
            q.qma(ctor(bits=x), ctor(bits=y))
        want = q.toPosit().v.v
        t = product_terms(mode, a, b)
        scale = int(t["exp"].min())
        total = sum(
            (-1) ** int(s) * (int(m) << int(e - scale))
            for s, m, e in zip(t["sign"], t["sig"], t["exp"], strict=True)
        )
        assert abs(total).bit_length() <= 53
        got = int(F.encode(mode, [float(np.ldexp(float(total), scale))])[0])
        assert got == want, (a.tolist(), b.tolist())


@pytest.mark.parametrize("name", ["posit4_1", "posit8_0", "posit16_1"])
def test_exact_posit_encoder_agrees_with_float_encoder(name: str) -> None:
    rng = np.random.default_rng(13)
    x = _probe_values(name, rng)
    x = x[np.isfinite(x)]
    if x.size > 20000:  # posit16: a random fifth of its probes (the float path covers all)
        x = rng.choice(x, 20000, replace=False)
    want = F.encode(name, x)
    for v, w in zip(x.tolist(), want.tolist(), strict=True):
        mant, ex = np.frexp(v)
        got = F.encode_exact(name, int(v < 0), abs(int(np.ldexp(mant, 53))), int(ex) - 53)
        assert got == w, (v, hex(got), hex(w))
