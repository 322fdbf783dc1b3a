"""Bit-exact numerics of the PIM bank family: lane MACs, RD_MAC words, the GEMV ``y = W x``.

Values travel as raw bit patterns (``uint16`` for FP16/BF16, two's-complement bytes for INT8)
so that NaNs, signed zeros and subnormals compare exactly. Every NaN the hardware produces is
the canonical quiet NaN of its format (FP16 ``0x7E00``, BF16 ``0x7FC0``, FP32 ``0x7FC00000``).

Per MAC command (one column burst of ``lanes`` weights ``w`` against the matching global
buffer burst ``x``), for every bank:

``int8``
    ``acc[l] = wrap32(acc[l] + w[l] * x[l])`` (signed 8-bit operands, 32-bit lanes).
``fp16`` (HBM-PIM ``PIMBlock::mac``, reference §3.2)
    ``acc[l] = fp16(fp16(w[l] * x[l]) + acc[l])``: unfused, two round-to-nearest-even steps,
    IEEE overflow to infinity, subnormals kept.
``bf16`` (AiM-style default of reference §3.2)
    ``p[l] = fp32(w[l] * x[l])`` (exact unless it over/underflows FP32), a fixed-order pairwise
    FP32 tree over the lanes (pairs ``(0,1), (2,3) ...`` per level, an odd last element passes
    up unchanged), then ``acc = fp32(acc + tree)``; RD_MAC returns ``bf16_rne(acc)``.

Accumulators start at +0 and RD_MAC clears them (read-and-clear).

GEMV layout (AiM / reference §3.2): output row ``i`` lives in bank ``i mod banks`` (group
``g = i // banks``); the input is cut into segments of one page (``row_elems`` elements), and
the slice of weight row ``i`` for segment ``s`` is stored contiguously in DRAM row
``g * segs + s`` of its bank. The engine runs, for each segment ``s``: load the segment of
``x`` into the global buffer; then for each group ``g``: activate, one all-bank MAC per burst,
precharge, RD_MAC. Zero padding fills partial bursts, partial segments and unused banks.

Host reduction (``y``): ``int8`` exact integer sum of every lane of every segment; ``fp16``
FP32 pairwise tree over the lanes of each RD_MAC word, then FP32 accumulation over segments
in order; ``bf16`` FP32 accumulation of the BF16 segment results in order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...core.families.pim import PimParams

__all__ = [
    "BF16_NAN",
    "FP16_NAN",
    "GemvLayout",
    "bf16_bits",
    "bits_to_f32",
    "f32_bits",
    "gemv",
    "layout",
    "mac_burst",
    "read_mac",
]

FP16_NAN = 0x7E00
BF16_NAN = 0x7FC0
FP32_NAN = 0x7FC00000


# ----------------------------------------------------------------------------- conversions
def f32_bits(v: np.ndarray) -> np.ndarray:
    """FP32 values -> uint32 patterns (NaNs canonical)."""
    v = np.asarray(v, dtype=np.float32)
    out = v.view(np.uint32).copy()
    out[np.isnan(v)] = FP32_NAN
    return out


def bits_to_f32(u: np.ndarray) -> np.ndarray:
    return np.asarray(u, dtype=np.uint32).view(np.float32)


def bf16_to_f32(u: np.ndarray) -> np.ndarray:
    """BF16 patterns -> FP32 values (exact)."""
    return (np.asarray(u, dtype=np.uint32) << 16).view(np.float32)


def bf16_bits(v: np.ndarray) -> np.ndarray:
    """FP32 values -> BF16 patterns, round to nearest even, overflow to infinity."""
    u = f32_bits(v).astype(np.uint64)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    r[np.isnan(np.asarray(v, dtype=np.float32))] = BF16_NAN
    return r


def fp16_bits(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float16)
    out = v.view(np.uint16).copy()
    out[np.isnan(v)] = FP16_NAN
    return out


def to_signed(u: np.ndarray, bits: int) -> np.ndarray:
    u = np.asarray(u, dtype=np.int64) & ((1 << bits) - 1)
    return np.where(u >= 1 << (bits - 1), u - (1 << bits), u)


# ----------------------------------------------------------------------------- one MAC
def zero_acc(p: PimParams) -> np.ndarray:
    """The cleared accumulator state of one bank (patterns; shape (lanes,) or (1,))."""
    return np.zeros(1 if p.precision == "bf16" else p.lanes, dtype=np.int64)


def _tree_f32(v: np.ndarray) -> np.float32:
    level = list(np.asarray(v, dtype=np.float32))
    while len(level) > 1:
        nxt = [np.float32(level[i] + level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return np.float32(level[0])


def mac_burst(p: PimParams, acc: np.ndarray, w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """One MAC command on one bank: new accumulator patterns from weight/input bursts.

    ``w`` and ``x`` hold ``lanes`` element patterns (unsigned ints); ``acc`` as from
    :func:`zero_acc`.
    """
    w = np.asarray(w, dtype=np.int64)
    x = np.asarray(x, dtype=np.int64)
    with np.errstate(all="ignore"):
        if p.precision == "int8":
            s = to_signed(acc, 32) + to_signed(w, 8) * to_signed(x, 8)
            return s & 0xFFFFFFFF
        if p.precision == "fp16":
            wf = w.astype(np.uint16).view(np.float16)
            xf = x.astype(np.uint16).view(np.float16)
            af = np.asarray(acc, dtype=np.uint16).view(np.float16)
            prod = (wf * xf).astype(np.float16)  # one RNE rounding of the exact product
            return fp16_bits((prod + af).astype(np.float16)).astype(np.int64)
        prods = (bf16_to_f32(w).astype(np.float64) * bf16_to_f32(x).astype(np.float64)).astype(
            np.float32
        )
        tree = _tree_f32(prods)
        total = np.float32(bits_to_f32(np.asarray(acc, dtype=np.uint32))[0] + tree)
        return f32_bits(np.array([total])).astype(np.int64)


def read_mac(p: PimParams, acc: np.ndarray) -> np.ndarray:
    """RD_MAC value patterns of one bank (``lanes`` values, or one BF16 for ``bf16``)."""
    if p.precision == "bf16":
        return bf16_bits(bits_to_f32(np.asarray(acc, dtype=np.uint32))).astype(np.int64)
    return np.asarray(acc, dtype=np.int64)


# ----------------------------------------------------------------------------- layout
@dataclass(frozen=True)
class GemvLayout:
    """Where a GEMV's operands live and the engine job that computes it.

    Attributes
    ----------
    groups, segs, last_bursts : int
        Engine job: output-row groups (``ceil(out_dim / banks)``), input segments
        (``ceil(in_dim / row_elems)``) and bursts in the last segment.
    rows : dict
        ``(bank, dram_row) -> list of element patterns`` (``row_elems`` each, zero padded).
    x_bursts : list of list of list of int
        Per segment, the bursts (``lanes`` element patterns each) loaded into the global buffer.
    """

    groups: int
    segs: int
    last_bursts: int
    rows: dict[tuple[int, int], list[int]]
    x_bursts: list[list[list[int]]]


def _patterns(p: PimParams, a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    if p.precision == "int8":
        return np.asarray(a, dtype=np.int64) & 0xFF
    return np.asarray(a, dtype=np.int64) & 0xFFFF


def layout(p: PimParams, w: np.ndarray, x: np.ndarray) -> GemvLayout:
    """Map ``W`` (``out_dim x in_dim`` element patterns) and ``x`` onto banks, rows and bursts.

    INT8 elements are given as signed integers or byte patterns; FP16/BF16 as uint16 patterns.
    """
    w = _patterns(p, w)
    x = _patterns(p, x).reshape(-1)
    out_dim, in_dim = w.shape
    if x.size != in_dim:
        raise ValueError(f"x has {x.size} elements, W has {in_dim} columns")
    re, bpr = p.row_elems, p.bursts_per_row
    groups = -(-out_dim // p.banks)
    segs = -(-in_dim // re)
    last = -(-(in_dim - (segs - 1) * re) // p.lanes)
    if groups * segs > p.rows:
        raise ValueError(
            f"the GEMV needs {groups * segs} rows per bank, the bank has {p.rows} (rows)"
        )
    rows: dict[tuple[int, int], list[int]] = {}
    for i in range(groups * p.banks):
        g, b = divmod(i, p.banks)
        for s in range(segs):
            seg = np.zeros(re, dtype=np.int64)
            if i < out_dim:
                part = w[i, s * re : (s + 1) * re]
                seg[: part.size] = part
            rows[(b, g * segs + s)] = [int(v) for v in seg]
    xb = []
    for s in range(segs):
        seg = np.zeros(re, dtype=np.int64)
        part = x[s * re : (s + 1) * re]
        seg[: part.size] = part
        n = last if s == segs - 1 else bpr
        xb.append([[int(v) for v in seg[c * p.lanes : (c + 1) * p.lanes]] for c in range(n)])
    return GemvLayout(groups, segs, last, rows, xb)


# ----------------------------------------------------------------------------- GEMV
def gemv(p: PimParams, w: np.ndarray, x: np.ndarray) -> dict[str, np.ndarray]:
    """Golden GEMV: every RD_MAC word the engine returns, and the host-reduced ``y``.

    Returns
    -------
    dict
        ``raw``: array ``(segs * groups, banks, n)`` of RD_MAC value patterns in engine order
        (segment outer, group inner; ``n = lanes``, or 1 for ``bf16``); ``y``: ``out_dim``
        results (int64 for ``int8``, float32 otherwise); ``layout``: the :class:`GemvLayout`.
    """
    lay = layout(p, w, x)
    out_dim = np.asarray(w).shape[0]
    raw = []
    for s in range(lay.segs):
        for g in range(lay.groups):
            word = []
            for b in range(p.banks):
                acc = zero_acc(p)
                row = lay.rows[(b, g * lay.segs + s)]
                for c, xburst in enumerate(lay.x_bursts[s]):
                    acc = mac_burst(p, acc, row[c * p.lanes : (c + 1) * p.lanes], xburst)
                word.append(read_mac(p, acc))
            raw.append(word)
    raw_a = np.asarray(raw, dtype=np.int64)
    return {"raw": raw_a, "y": host_reduce(p, raw_a, lay, out_dim), "layout": lay}


def host_reduce(p: PimParams, raw: np.ndarray, lay: GemvLayout, out_dim: int) -> np.ndarray:
    """``y`` from the RD_MAC words (see the module docstring for the order)."""
    groups, segs = lay.groups, lay.segs
    per = raw.reshape(segs, groups, p.banks, -1)
    if p.precision == "int8":
        y = to_signed(per, 32).sum(axis=(0, 3)).reshape(-1)
        return y[:out_dim]
    y = np.zeros(groups * p.banks, dtype=np.float32)
    with np.errstate(all="ignore"):
        for s in range(segs):
            for g in range(groups):
                for b in range(p.banks):
                    word = per[s, g, b]
                    if p.precision == "fp16":
                        vals = word.astype(np.uint16).view(np.float16).astype(np.float32)
                        part = _tree_f32(vals)
                    else:
                        part = bf16_to_f32(word)[0]
                    i = g * p.banks + b
                    y[i] = np.float32(y[i] + part)
    return y[:out_dim]
