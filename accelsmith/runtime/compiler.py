"""Compile layers for an ``accel`` configuration: DRAM layout, memory image, command stream.

Tiling (per group ``g`` of a :class:`~accelsmith.runtime.shapes.ConvShape`): output tiles of
``rows`` pixels x ``cols`` channels (the array's tile), reduction in K tiles of ``tk`` (from
the :mod:`mapper <accelsmith.runtime.mapper>`). For each output tile and K tile the stream is
``load A``, ``load B``, ``compute``; after the last K tile a ``store`` (preceded by a scale
``load`` in per-channel mode). Banks alternate (A and B per new tile, the accumulator per
output tile), so the DMA fetches the next tile while the array computes, and an operand that
the loop order keeps (``kt == 1``) is not fetched again.

im2col needs no host copy: a K tile's activations are 2-D strided DMA rows straight from the
NHWC input (one row per output pixel of an output-image row, stride ``stride * C`` elements);
rows that fall in the zero padding read a zero region with stride 0. ``os`` arrays take the
activations transposed (pixel -> lane), ``ws`` arrays row by row (pixel -> entry).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core import accel_isa as isa
from ..core.errors import ConfigError
from .mapper import Mapping, choose_mapping
from .shapes import ConvShape

__all__ = ["Cmd", "Program", "Quant", "compile_layers", "layer_commands"]

ALIGN = 64


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


@dataclasses.dataclass(frozen=True)
class Quant:
    """Output stage of a layer: ``sat(relu((acc * scale + round) >> shift))``."""

    shift: int = 0
    relu: bool = False
    scale: int = 1
    scales: tuple[int, ...] | None = None  # per output channel (per-channel mode)

    @property
    def per_channel(self) -> bool:
        return self.scales is not None


@dataclasses.dataclass(frozen=True)
class Cmd:
    """One command: opcode, fields, the layer it belongs to."""

    op: str
    fields: dict[str, int]
    layer: int

    def encode(self) -> int:
        return isa.encode(self.op, **self.fields)


@dataclasses.dataclass
class Program:
    """Everything a host needs to run layers on an ``accel`` instance."""

    params: Any
    layers: list[ConvShape]
    mappings: list[Mapping]
    quants: list[Quant]
    commands: list[Cmd]
    image: np.ndarray  # uint8, the DRAM contents before the run
    regions: dict[str, tuple[int, int]]  # name -> (byte offset, bytes)

    @property
    def dram_size(self) -> int:
        return int(self.image.size)

    def words(self) -> list[int]:
        return [c.encode() for c in self.commands]

    def output_region(self, i: int) -> tuple[int, int]:
        return self.regions[f"out{i}"]

    def read_output(self, dram: np.ndarray, i: int) -> np.ndarray:
        """Layer ``i``'s output (``out_h x out_w x k_out``) from a DRAM dump."""
        s = self.layers[i]
        off, n = self.output_region(i)
        return _decode(dram[off : off + n], self.params.in_bits).reshape(s.out_h, s.out_w, s.k_out)


def _encode(values: np.ndarray, bits: int) -> np.ndarray:
    dt = np.int8 if bits == 8 else np.dtype("<i2")
    return np.ascontiguousarray(values.astype(dt)).view(np.uint8).ravel()


def _decode(raw: np.ndarray, bits: int) -> np.ndarray:
    dt = np.int8 if bits == 8 else np.dtype("<i2")
    return np.ascontiguousarray(raw).view(dt).astype(np.int64)


def layer_commands(
    p: Any,
    s: ConvShape,
    mp: Mapping,
    q: Quant,
    *,
    layer: int,
    in_base: int,
    w_base: int,
    sc_base: int,
    out_base: int,
    zero_base: int,
    banks: dict[str, int] | None = None,
    limit: int | None = None,
) -> list[Cmd]:
    """The commands of one layer (``config`` first; no trailing fence).

    ``limit`` keeps only the first ``limit`` output tiles in loop order (a sample for the
    cycle model of large layers).
    """
    bank = banks if banks is not None else {"a": 1, "b": 1, "acc": 1}
    key = {"a": None, "b": None, "s": None}
    out: list[Cmd] = []

    def emit(op: str, **f: int) -> None:
        out.append(Cmd(op, f, layer))

    emit(
        "config",
        shift=q.shift,
        relu=int(q.relu),
        per_channel=int(q.per_channel),
        scale=q.scale if not q.per_channel else 0,
    )
    bases = _Bases(in_base, w_base, sc_base, out_base, zero_base)
    tiles = 0
    for g in range(s.groups):
        for mi, ni in _orders(mp):
            if limit is not None and tiles == limit:
                return out
            tiles += 1
            _tile_commands(p, s, mp, q, emit, bank, key, bases, g, mi, ni)
    return out


@dataclasses.dataclass(frozen=True)
class _Bases:
    """DRAM byte addresses of one layer's tensors."""

    in_base: int
    w_base: int
    sc_base: int
    out_base: int
    zero_base: int


def _tile_commands(
    p: Any,
    s: ConvShape,
    mp: Mapping,
    q: Quant,
    emit: Callable[..., None],
    bank: dict[str, int],
    key: dict[str, Any],
    bases: _Bases,
    g: int,
    mi: int,
    ni: int,
) -> None:
    """One output tile: A/B loads (skipped when the scratchpad already holds them), one
    compute per K tile, the per-channel scales, then the store."""
    eb = p.in_bits // 8
    R, Cc = p.rows, p.cols
    M, Kg, Ng = s.M, s.Kg, s.ng
    tk = mp.tk
    m0, n0 = mi * R, ni * Cc
    nv = min(Cc, Ng - n0)
    for ki in range(mp.k_tiles):
        k0, k1 = ki * tk, min(Kg, (ki + 1) * tk)
        if key["a"] != (g, mi, ki):
            bank["a"] ^= 1
            key["a"] = (g, mi, ki)
            _load_a(p, s, emit, bank["a"], bases, g, m0, k0, k1)
        if key["b"] != (g, ni, ki):
            bank["b"] ^= 1
            key["b"] = (g, ni, ki)
            emit(
                "load",
                target=1,
                bank=bank["b"],
                spad_addr=0,
                dram_addr=bases.w_base + (g * Kg * Ng + k0 * Ng + n0) * eb,
                n_rows=k1 - k0,
                row_elems=nv,
                stride=Ng * eb,
            )
        if ki == 0:
            bank["acc"] ^= 1
        emit(
            "compute",
            a_bank=bank["a"],
            b_bank=bank["b"],
            acc_bank=bank["acc"],
            accumulate=int(ki > 0),
            k=k1 - k0,
            a_addr=0,
            b_addr=0,
            acc_addr=0,
        )
    if q.per_channel and key["s"] != (g, ni):
        key["s"] = (g, ni)
        emit(
            "load",
            target=2,
            spad_addr=0,
            n_rows=1,
            row_elems=nv,
            dram_addr=bases.sc_base + (g * Ng + n0) * 2,
            stride=0,
        )
    emit(
        "store",
        bank=bank["acc"],
        acc_addr=0,
        scale_addr=0,
        dram_addr=bases.out_base + (m0 * s.k_out + g * Ng + n0) * eb,
        n_rows=min(R, M - m0),
        row_elems=nv,
        stride=s.k_out * eb,
    )


def _a_pieces(p: Any, kl: int, c_lo: int, length: int) -> list[tuple[int, int, int]]:
    """(local k, channel offset, length) pieces of one filter tap's K range: one piece for
    ``os``; ``ws`` splits where the K index crosses a multiple of ``rows``."""
    if p.dataflow == "os":
        return [(kl, c_lo, length)]
    R = p.rows
    pieces = []
    k, c = kl, c_lo
    left = length
    while left:
        n = min(left, R - k % R)
        pieces.append((k, c, n))
        k, c, left = k + n, c + n, left - n
    return pieces


def _pixel_runs(
    s: ConvShape, oy: int, ox: int, ox_end: int, dy: int, dx: int
) -> tuple[int, list[tuple[int, int, bool]]]:
    """Input row ``iy`` and the runs ``(first ox, end ox, inside the input)`` of output
    pixels ``ox .. ox_end`` of row ``oy`` for filter tap ``(dy, dx)``."""
    iy = oy * s.stride + dy - s.pad
    # valid ox: 0 <= ox * stride + dx - pad < w
    v_lo = max(ox, -(-(s.pad - dx) // s.stride))
    v_hi = min(ox_end, (s.w - 1 + s.pad - dx) // s.stride + 1)
    runs = []
    if not 0 <= iy < s.h or v_lo >= v_hi:
        runs.append((ox, ox_end, False))
    else:
        if v_lo > ox:
            runs.append((ox, v_lo, False))
        runs.append((v_lo, v_hi, True))
        if v_hi < ox_end:
            runs.append((v_hi, ox_end, False))
    return iy, runs


def _load_a(
    p: Any,
    s: ConvShape,
    emit: Callable[..., None],
    bank_a: int,
    bases: _Bases,
    g: int,
    m0: int,
    k0: int,
    k1: int,
) -> None:
    """The A loads of pixels ``m0 ..`` and K range ``k0 .. k1`` (im2col on the fly: padding
    reads the zero region)."""
    eb = p.in_bits // 8
    R = p.rows
    cg, OW = s.cg, s.out_w
    mv = min(R, s.M - m0)
    for qd in range(s.r * s.s):
        lo, hi = max(k0, qd * cg), min(k1, (qd + 1) * cg)
        if lo >= hi:
            continue
        dy, dx = divmod(qd, s.s)
        pieces = _a_pieces(p, lo - k0, lo - qd * cg, hi - lo)
        m = m0
        while m < m0 + mv:
            oy, ox = divmod(m, OW)
            run_end = min(m0 + mv, (oy + 1) * OW)  # pixels of this output row
            ox_end = ox + (run_end - m)
            iy, runs = _pixel_runs(s, oy, ox, ox_end, dy, dx)
            for a, b, valid in runs:
                ml = oy * OW + a - m0
                for kk, c, n in pieces:
                    if valid:
                        ix = a * s.stride + dx - s.pad
                        addr = bases.in_base + ((iy * s.w + ix) * s.c + g * cg + c) * eb
                        stride = s.stride * s.c * eb
                    else:
                        addr, stride = bases.zero_base, 0
                    os_ = p.dataflow == "os"
                    emit(
                        "load",
                        target=0,
                        transpose=1 if os_ else 0,
                        bank=bank_a,
                        lane=ml if os_ else kk % R,
                        spad_addr=kk if os_ else (kk // R) * R + ml,
                        dram_addr=addr,
                        n_rows=b - a,
                        row_elems=n,
                        stride=stride,
                    )
            m = run_end


def _orders(mp: Mapping):
    mt, nt = mp.m_tiles, mp.n_tiles
    if mp.order == "nm":
        return ((mi, ni) for ni in range(nt) for mi in range(mt))
    return ((mi, ni) for mi in range(mt) for ni in range(nt))


def compile_layers(
    p: Any,
    layers: Sequence[ConvShape],
    x: np.ndarray,
    weights: Sequence[np.ndarray],
    quants: Sequence[Quant],
    *,
    fences: bool = True,
) -> Program:
    """Compile back-to-back layers (layer ``i + 1`` reads layer ``i``'s output).

    ``x`` is the first input (``h x w x c`` integers), ``weights[i]`` layer ``i``'s filters
    (``r x s x cg x k_out``), ``quants[i]`` its output stage. A fence follows every layer.
    """
    _check_chain(layers)
    mappings = [choose_mapping(p, s) for s in layers]
    regions, size = _layout(p, layers, weights, mappings)
    image = np.zeros(size, dtype=np.uint8)
    _put(image, regions, "in", _encode(x.reshape(-1), p.in_bits))
    commands: list[Cmd] = []
    banks = {"a": 1, "b": 1, "acc": 1}
    for i, (s, w, q, mp) in enumerate(zip(layers, weights, quants, mappings, strict=True)):
        # B_g[k, n] = w[dy, dx, c, g * ng + n], k = (dy * s + dx) * cg + c
        bmat = w.reshape(s.Kg, s.groups, s.ng).transpose(1, 0, 2)
        _put(image, regions, f"w{i}", _encode(bmat.reshape(-1), p.in_bits))
        if q.scales is not None:
            sc = np.asarray(q.scales, dtype="<u2")
            _put(image, regions, f"sc{i}", sc.view(np.uint8))
        commands += layer_commands(
            p,
            s,
            mp,
            q,
            layer=i,
            in_base=regions["in" if i == 0 else f"out{i - 1}"][0],
            w_base=regions[f"w{i}"][0],
            sc_base=regions[f"sc{i}"][0],
            out_base=regions[f"out{i}"][0],
            zero_base=0,
            banks=banks,
        )
        if fences:
            commands.append(Cmd("fence", {}, i))
    return Program(
        params=p,
        layers=list(layers),
        mappings=mappings,
        quants=list(quants),
        commands=commands,
        image=image,
        regions=regions,
    )


def _check_chain(layers: Sequence[ConvShape]) -> None:
    """At least one layer, and each layer's input is the previous layer's output."""
    if not layers:
        raise ConfigError("layers must not be empty")
    for a, b in itertools.pairwise(layers):
        if (b.h, b.w, b.c) != (a.out_h, a.out_w, a.k_out):
            raise ConfigError(
                f"layer {b.name!r}: input {b.h}x{b.w}x{b.c} must equal the previous output "
                f"{a.out_h}x{a.out_w}x{a.k_out}"
            )


def _layout(
    p: Any,
    layers: Sequence[ConvShape],
    weights: Sequence[np.ndarray],
    mappings: Sequence[Mapping],
) -> tuple[dict[str, tuple[int, int]], int]:
    """DRAM regions ``name -> (offset, bytes)`` (zero region, input, then weights, scales
    and output of every layer) and the aligned image size; checks the weight shapes."""
    eb = p.in_bits // 8
    zero = _align(max(max(mp.tk, p.rows, p.cols) * eb for mp in mappings) + ALIGN)
    regions: dict[str, tuple[int, int]] = {"zero": (0, zero)}
    top = zero

    def alloc(name: str, nbytes: int) -> int:
        nonlocal top
        regions[name] = (top, nbytes)
        top = _align(top + nbytes)
        return regions[name][0]

    s0 = layers[0]
    alloc("in", s0.h * s0.w * s0.c * eb)
    for i, (s, w) in enumerate(zip(layers, weights, strict=True)):
        if w.shape != (s.r, s.s, s.cg, s.k_out):
            raise ConfigError(
                f"layer {s.name!r}: weights must have shape {(s.r, s.s, s.cg, s.k_out)}, "
                f"not {w.shape}"
            )
        alloc(f"w{i}", s.groups * s.Kg * s.ng * eb)
        alloc(f"sc{i}", max(2 * s.k_out, 2))
        alloc(f"out{i}", s.M * s.k_out * eb)
    return regions, _align(top)


def _put(image: np.ndarray, regions: dict[str, tuple[int, int]], name: str, raw) -> None:
    off, n = regions[name]
    assert raw.size == n, (name, raw.size, n)
    image[off : off + n] = raw


def auto_quant(s: ConvShape, in_bits: int, *, relu: bool = False) -> Quant:
    """A per-tensor output stage that keeps random full-range inputs mostly unsaturated:
    ``shift ~ log2(sqrt(Kg)) + in_bits - 1``."""
    shift = round(math.log2(max(1.0, math.sqrt(s.Kg)))) + in_bits - 1
    return Quant(shift=shift, relu=relu, scale=1)
