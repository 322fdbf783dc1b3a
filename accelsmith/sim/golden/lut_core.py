"""Golden model of the LUT tensor core: tables, indices, symmetric lookup, bit-serial sums.

Integer and exact, written from ``shared/reference/accelerators.md`` §1.2 (after T-MAC and the
LUT Tensor Core RTL). Shapes follow the project convention ``C = A @ W``: activations ``A`` are
``M x Kd``, weight codes ``Q`` are ``Kd x N`` (unsigned, ``0 <= Q < 2**B``).

Weight reinterpretation
    Bit-plane ``i`` of a code is ``b_i = (Q >> i) & 1``, read as ``2 b_i - 1`` in ``{-1, +1}``,
    so the code represents the odd integer ``Q' = sum_i 2**i (2 b_i - 1) = 2Q - (2**B - 1)``.
    A signed ``B``-bit weight ``W`` is stored offset binary, ``Q = W + 2**(B-1)`` (its two's
    complement with the top bit flipped), so ``Q' = 2W + 1`` and

    ``A @ W = (A @ Q' - sum_k A[:, k]) / 2``  (the bias correction; always an exact division).
Index and tables
    For group ``g`` (activations ``gK .. gK+K-1``) and plane ``i`` the index of column ``n`` is
    ``c = sum_k b_i[gK+k, n] << k`` (bit ``k`` <-> activation ``k``, little-endian). The full
    table of row ``m`` is ``LUT[c] = sum_k (2 c_k - 1) a[m, gK+k]``; it is odd-symmetric,
    ``LUT[c] = -LUT[c ^ (2**K - 1)]``, so the symmetric table keeps ``T[j] = LUT[j << 1]``.
Symmetric lookup
    ``offline``: indices are transformed once, ``c' = c ^ (2**K - 2)`` if ``c & 1`` else ``c``;
    the hardware reads ``neg = c' & 1``, ``idx = c' >> 1`` and returns ``-T[idx]`` if ``neg``.
    ``hardware``: the raw ``c`` is used with ``neg = c & 1`` and ``idx = (c >> 1) ^ (neg ?
    2**(K-1) - 1 : 0)``. Both give ``LUT[c]``.
Bit-serial accumulation
    ``O = sum_g sum_i lookup(g, i) * 2**i = A @ Q'``. A reduction length ``Kd`` that ``K`` does
    not divide is padded with zero **activations** (padding weights then contribute nothing).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ...core.errors import ConfigError
from ...core.families.lut_core import LutCoreParams
from .systolic import wrap

__all__ = [
    "act_range",
    "bipolar",
    "full_table",
    "golden",
    "group_indices",
    "lmma",
    "lookup",
    "offline_transform",
    "offset_codes",
    "pad_groups",
    "symmetric_table",
    "weight_values",
]


def act_range(params: LutCoreParams) -> tuple[int, int]:
    """Smallest and largest activation value."""
    w = params.act_bits
    return -(1 << (w - 1)), (1 << (w - 1)) - 1


def offset_codes(w: ArrayLike, bits: int) -> np.ndarray:
    """Codes of signed ``bits``-bit weights in offset binary: ``Q = W + 2**(bits-1)``."""
    w = np.asarray(w, dtype=np.int64)
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if w.size and (w.min() < lo or w.max() > hi):
        raise ConfigError(f"weights must be in {lo}..{hi} for {bits}-bit codes")
    return w + (1 << (bits - 1))


def bipolar(q: ArrayLike, bits: int) -> np.ndarray:
    """The odd integer a code represents when every plane bit reads as -1/+1."""
    return 2 * np.asarray(q, dtype=np.int64) - ((1 << bits) - 1)


def weight_values(params: LutCoreParams, q: ArrayLike) -> np.ndarray:
    """The integer weights the core's results multiply: ``W = Q - 2**(B-1)`` with
    ``bias_correction``, else the bipolar ``Q'``."""
    q = np.asarray(q, dtype=np.int64)
    b = params.weight_bits
    return q - (1 << (b - 1)) if params.bias_correction else bipolar(q, b)


def pad_groups(a: np.ndarray, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Pad the reduction axis to a multiple of ``k``: activations with 0, codes with 0."""
    kd = a.shape[1]
    pad = -kd % k
    if pad:
        a = np.concatenate([a, np.zeros((a.shape[0], pad), dtype=np.int64)], axis=1)
        q = np.concatenate([q, np.zeros((pad, q.shape[1]), dtype=np.int64)], axis=0)
    return a, q


def group_indices(q: ArrayLike, k: int, bits: int) -> np.ndarray:
    """Indices ``c[i, g, n]`` (plane, group, column) of codes ``q`` (``G*k x N``)."""
    q = np.asarray(q, dtype=np.int64)
    g = q.shape[0] // k
    planes = np.stack([(q >> i) & 1 for i in range(bits)])  # (B, Kd, N)
    planes = planes.reshape(bits, g, k, q.shape[1])
    weights = (1 << np.arange(k, dtype=np.int64)).reshape(1, 1, k, 1)
    return (planes * weights).sum(axis=2)


def full_table(a: ArrayLike, k: int) -> np.ndarray:
    """``LUT[m, g, c] = sum_k (2 c_k - 1) a[m, g*k + k']`` for every ``c < 2**k``."""
    a = np.asarray(a, dtype=np.int64)
    ag = a.reshape(a.shape[0], -1, k)  # (M, G, K)
    c = np.arange(1 << k, dtype=np.int64)
    signs = 2 * ((c[:, None] >> np.arange(k)) & 1) - 1  # (2**K, K)
    return np.einsum("mgk,ck->mgc", ag, signs)


def symmetric_table(a: ArrayLike, k: int) -> np.ndarray:
    """``T[m, g, j] = LUT[m, g, j << 1]`` for ``j < 2**(k-1)`` (entries with bit 0 clear)."""
    return full_table(a, k)[:, :, 0::2]


def offline_transform(c: ArrayLike, k: int) -> np.ndarray:
    """Negation-elimination transform: ``c ^ (2**k - 2)`` where bit 0 is set, else ``c``."""
    c = np.asarray(c, dtype=np.int64)
    return np.where(c & 1, c ^ ((1 << k) - 2), c)


def lookup(table: np.ndarray, c: np.ndarray, k: int, symmetric: bool, negation: str) -> np.ndarray:
    """Table values for indices ``c`` (one table per row: ``table[m, t]``, ``c[n]``).

    ``table`` is the full table (``symmetric=False``) or the symmetric one; with ``symmetric``
    and ``negation == "offline"`` the indices must already be transformed.
    Returns ``(M, N)``.
    """
    c = np.asarray(c, dtype=np.int64)
    if not symmetric:
        return table[:, c]
    neg = c & 1
    flip = 0 if negation == "offline" else np.where(neg == 1, (1 << (k - 1)) - 1, 0)
    idx = (c >> 1) ^ flip
    vals = table[:, idx]
    return np.where(neg[None, :] == 1, -vals, vals)


def lmma(
    a: ArrayLike,
    q: ArrayLike,
    k: int,
    bits: int,
    *,
    symmetric: bool = True,
    negation: str = "offline",
) -> np.ndarray:
    """``A @ Q'`` computed the LUT way: tables per group, bit-serial lookups, shift-and-add.

    Parameters
    ----------
    a : array_like, shape (M, Kd)
        Integer activations.
    q : array_like, shape (Kd, N)
        Weight codes in ``[0, 2**bits)``.
    """
    a = np.asarray(a, dtype=np.int64)
    q = np.asarray(q, dtype=np.int64)
    a, q = pad_groups(a, q, k)
    c = group_indices(q, k, bits)  # (B, G, N)
    if symmetric and negation == "offline":
        c = offline_transform(c, k)
    tables = symmetric_table(a, k) if symmetric else full_table(a, k)  # (M, G, E)
    out = np.zeros((a.shape[0], q.shape[1]), dtype=np.int64)
    for g in range(c.shape[1]):
        for i in range(bits):  # one bit-plane per cycle in the hardware
            out += lookup(tables[:, g, :], c[i, g], k, symmetric, negation) << i
    return out


def golden(params: LutCoreParams, a: ArrayLike, q: ArrayLike) -> np.ndarray:
    """Result tile as the RTL produces it.

    Parameters
    ----------
    params : LutCoreParams
    a : array_like, shape (tile_m, Kd)
        Activations in the ``act_bits`` signed range.
    q : array_like, shape (Kd, tile_n)
        Weight codes in ``[0, 2**weight_bits)`` (offset binary of signed weights when
        ``bias_correction``; see :func:`offset_codes`).

    Returns
    -------
    numpy.ndarray of int64, shape (tile_m, tile_n)
        ``A @ W`` (``bias_correction``) or ``A @ Q'``, reduced to ``acc_bits`` two's complement.
    """
    a = np.asarray(a, dtype=np.int64)
    q = np.asarray(q, dtype=np.int64)
    p = params
    if a.ndim != 2 or q.ndim != 2 or a.shape[1] != q.shape[0] or a.shape[1] < 1:
        raise ConfigError(
            f"a and q must be (tile_m, Kd) and (Kd, tile_n) with Kd >= 1, not {a.shape} and "
            f"{q.shape}"
        )
    if a.shape[0] != p.tile_m or q.shape[1] != p.tile_n:
        raise ConfigError(
            f"a must have {p.tile_m} rows and q {p.tile_n} columns, not {a.shape[0]} and "
            f"{q.shape[1]}"
        )
    if a.shape[1] > p.max_k:
        raise ConfigError(
            f"the reduction length must be at most max_k = {p.max_k}, not {a.shape[1]}"
        )
    lo, hi = act_range(p)
    if a.min() < lo or a.max() > hi:
        raise ConfigError(f"activations must be in {lo}..{hi}")
    if q.min() < 0 or q.max() >= 1 << p.weight_bits:
        raise ConfigError(f"weight codes must be in 0..{(1 << p.weight_bits) - 1}")
    o = lmma(a, q, p.group_size, p.weight_bits, symmetric=p.symmetric, negation=p.negation)
    if p.bias_correction:
        diff = o - a.sum(axis=1, keepdims=True)
        assert not (diff & 1).any()  # A @ Q' - sum(A) = 2 A @ W
        o = diff >> 1
    assert p.acc_bits is not None
    return wrap(o, p.acc_bits, True)
