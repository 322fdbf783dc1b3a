"""Golden model of the LUT tensor core against plain numpy matmul, and its parameters."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsmith.core.errors import ConfigError
from accelsmith.core.families.lut_core import LutCoreParams, entry_bits, exact_acc_bits
from accelsmith.sim.golden.lut_core import (
    bipolar,
    full_table,
    golden,
    group_indices,
    lmma,
    lookup,
    offline_transform,
    offset_codes,
    symmetric_table,
    weight_values,
)

# ----------------------------------------------------------------------------- identities


def test_reference_vector():
    """accelerators.md §1.4: a = [3, -7, 11, 5] gives LUT[0]=-12, [15]=12, [1]=-6, [14]=6."""
    lut = full_table(np.array([[3, -7, 11, 5]]), 4)[0, 0]
    assert lut[[0, 15, 1, 14]].tolist() == [-12, 12, -6, 6]
    t = symmetric_table(np.array([[3, -7, 11, 5]]), 4)[0, 0]
    assert t.tolist() == lut[0::2].tolist() and len(t) == 8


@settings(max_examples=60, deadline=None)
@given(
    k=st.integers(2, 6),
    seed=st.integers(0, 2**32 - 1),
    negation=st.sampled_from(["offline", "hardware"]),
)
def test_symmetric_lookup_equals_full_table(k, seed, negation):
    rng = np.random.default_rng(seed)
    a = rng.integers(-128, 128, (3, k))
    full = full_table(a, k)[:, 0, :]
    sym = symmetric_table(a, k)[:, 0, :]
    c = np.arange(1 << k)
    assert (full == -full[:, c ^ ((1 << k) - 1)]).all()  # odd symmetry
    cc = offline_transform(c, k) if negation == "offline" else c
    assert (lookup(sym, cc, k, True, negation) == full).all()
    assert (lookup(full_table(a, k)[:, 0, :], c, k, False, "offline") == full).all()


@settings(max_examples=80, deadline=None)
@given(
    k=st.integers(2, 6),
    bits=st.integers(1, 4),
    m=st.integers(1, 4),
    n=st.integers(1, 5),
    kd=st.integers(1, 40),
    symmetric=st.booleans(),
    negation=st.sampled_from(["offline", "hardware"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_lmma_is_bipolar_matmul(k, bits, m, n, kd, symmetric, negation, seed):
    """Tables + bit-serial lookups == A @ (2Q - (2^B - 1)), for any K (padding included)."""
    rng = np.random.default_rng(seed)
    a = rng.integers(-(2**15), 2**15, (m, kd))
    q = rng.integers(0, 1 << bits, (kd, n))
    got = lmma(a, q, k, bits, symmetric=symmetric, negation=negation)
    assert (got == a @ bipolar(q, bits)).all()


@settings(max_examples=60, deadline=None)
@given(bits=st.integers(1, 4), kd=st.integers(1, 33), seed=st.integers(0, 2**32 - 1))
def test_offset_binary_identity(bits, kd, seed):
    """2 A @ W = A @ Q' - sum(A) for Q = W + 2^(B-1) (the bias correction)."""
    rng = np.random.default_rng(seed)
    a = rng.integers(-128, 128, (3, kd))
    w = rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), (kd, 4))
    q = offset_codes(w, bits)
    assert (2 * (a @ w) == a @ bipolar(q, bits) - a.sum(axis=1, keepdims=True)).all()
    # the code is the two's complement with the top bit flipped
    assert (q == ((w & ((1 << bits) - 1)) ^ (1 << (bits - 1)))).all()


def test_group_indices_little_endian():
    q = np.array([[1], [0], [1], [1], [2], [3], [0], [2]])  # Kd = 8, one column, B = 2
    c = group_indices(q, 4, 2)
    assert c[0, :, 0].tolist() == [0b1101, 0b0010]  # plane 0, groups 0 and 1
    assert c[1, :, 0].tolist() == [0b0000, 0b1011]  # plane 1


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("symmetric", [True, False])
def test_golden_matches_numpy(bias, symmetric):
    rng = np.random.default_rng(3)
    p = LutCoreParams(
        group_size=3,
        weight_bits=3,
        act_bits=8,
        tile_m=3,
        tile_n=5,
        symmetric=symmetric,
        bias_correction=bias,
        max_k=64,
    )
    for kd in (1, 2, 3, 7, 64):
        a = rng.integers(-128, 128, (3, kd))
        q = rng.integers(0, 8, (kd, 5))
        assert (golden(p, a, q) == a @ weight_values(p, q)).all()


def test_golden_extremes_are_exact():
    """All activations at the minimum with every weight extreme: the widest results fit."""
    for bias in (True, False):
        for bits in (1, 4):
            p = LutCoreParams(
                group_size=4,
                weight_bits=bits,
                act_bits=16,
                tile_m=1,
                tile_n=2,
                bias_correction=bias,
                max_k=1000,
            )
            a = np.full((1, 1000), -(2**15))
            q = np.array([[0, (1 << bits) - 1]] * 1000)
            want = a @ weight_values(p, q)
            assert (golden(p, a, q) == want).all()
            assert max(abs(int(want.min())), int(want.max())) < 2 ** (p.acc_bits - 1)


def test_golden_wraps_to_acc_bits():
    p = LutCoreParams(group_size=2, weight_bits=2, act_bits=8, tile_m=1, tile_n=1, acc_bits=6)
    a = np.array([[100, 100]])
    q = np.array([[3], [3]])  # W = 1, 1: 200 = 3 * 64 + 8 wraps to 8 in 6 bits
    assert golden(p, a, q).tolist() == [[8]]


def test_golden_rejects_bad_inputs():
    p = LutCoreParams(tile_m=2, tile_n=3, weight_bits=2, max_k=8)
    a, q = np.zeros((2, 4), dtype=int), np.zeros((4, 3), dtype=int)
    with pytest.raises(ConfigError, match=r"weight codes must be in 0..3"):
        golden(p, a, q + 4)
    with pytest.raises(ConfigError, match=r"activations must be in -128..127"):
        golden(p, a - 129, q)
    with pytest.raises(ConfigError, match=r"a must have 2 rows and q 3 columns"):
        golden(p, a[:1], q)
    with pytest.raises(ConfigError, match=r"at most max_k = 8"):
        golden(p, np.zeros((2, 9), dtype=int), np.zeros((9, 3), dtype=int))


# ----------------------------------------------------------------------------- parameters


def test_widths():
    assert entry_bits(4, 8) == 11  # +-512 needs 11 bits (reference §1.2 says 10: one short)
    assert entry_bits(2, 4) == 6  # +-16
    assert exact_acc_bits(1, 8, 1, False) == 9  # -128 * -1 = 128
    assert exact_acc_bits(2, 8, 1, True) == 10  # -128 * -2 = 256
    assert LutCoreParams(max_k=4096).acc_bits == exact_acc_bits(2, 8, 4096, True)
    assert not LutCoreParams().wraps and LutCoreParams(acc_bits=8).wraps


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"group_size": 7}, "group_size must be an integer in 2..6, not 7"),
        ({"group_size": 1}, "group_size must be an integer in 2..6, not 1"),
        ({"weight_bits": 0}, "weight_bits must be an integer in 1..4, not 0"),
        ({"weight_bits": 8}, "weight_bits must be an integer in 1..4, not 8"),
        ({"act_bits": 3}, "act_bits must be an integer in 4..16, not 3"),
        ({"tile_m": 0}, "tile_m must be an integer in 1..16, not 0"),
        ({"tile_n": 257}, "tile_n must be an integer in 1..256, not 257"),
        ({"tile_n": 2.0}, "tile_n must be an integer in 1..256, not 2.0"),
        ({"symmetric": "yes"}, "symmetric must be true or false, not 'yes'"),
        ({"negation": "xor"}, "negation must be one of 'offline', 'hardware', not 'xor'"),
        (
            {"symmetric": False, "negation": "hardware"},
            "negation must be 'offline' when symmetric is false",
        ),
        ({"bias_correction": 1}, "bias_correction must be true or false, not 1"),
        ({"max_k": 0}, "max_k must be an integer in 1..1048576, not 0"),
        ({"acc_bits": 3}, "acc_bits must be an integer in 4..64, not 3"),
    ],
)
def test_params_errors(kwargs, message):
    with pytest.raises(ConfigError) as err:
        LutCoreParams(**kwargs)
    assert str(err.value).startswith(message)


def test_params_round_trip_and_names():
    p = LutCoreParams(group_size=3, symmetric=False, bias_correction=False)
    assert LutCoreParams.from_dict(p.to_dict()) == p
    assert p.default_name() == "lut_k3_w2a8_2x16_full_bip"
    assert LutCoreParams(negation="hardware").default_name() == "lut_k4_w2a8_2x16_symx"
    assert p.table_entries == 8 and LutCoreParams().table_entries == 8
    with pytest.raises(ConfigError, match="unknown key 'K'"):
        LutCoreParams.from_dict({"K": 4})
