"""Random stimulus for the ``accel`` testbench: layer shapes, tensors and output stages."""

from __future__ import annotations

from typing import Any

import numpy as np

from accelsmith.runtime.compiler import Quant
from accelsmith.runtime.shapes import ConvShape

__all__ = [
    "chain",
    "gemm_case",
    "random_conv",
    "random_gemm",
    "random_quant",
    "tensors",
    "workload_case",
]


def random_quant(s: ConvShape, p: Any, rng: np.random.Generator) -> Quant:
    """A random output stage around the scale that keeps outputs near full range."""
    bits = p.in_bits
    # |acc| ~ sqrt(K) * 2^(2 bits - 2); pick scale * 2^-shift to map that to ~2^(bits - 1)
    mag = 0.5 * np.log2(max(s.Kg, 1)) + 2 * bits - 2
    scale_bits = int(rng.integers(1, 16))
    shift = int(
        max(0, min(p.acc_bits + 15, round(mag + scale_bits - bits + 1 + rng.integers(-2, 3))))
    )
    relu = bool(rng.integers(0, 2))
    if rng.integers(0, 2):
        scales = tuple(
            int(v) for v in rng.integers(1 << (scale_bits - 1), 1 << scale_bits, s.k_out)
        )
        return Quant(shift=shift, relu=relu, scale=0, scales=scales)
    return Quant(
        shift=shift, relu=relu, scale=int(rng.integers(1 << (scale_bits - 1), 1 << scale_bits))
    )


def tensors(s: ConvShape, p: Any, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Full-range random input (``h x w x c``) and filters (``r x s x cg x k_out``)."""
    lo, hi = -(1 << (p.in_bits - 1)), (1 << (p.in_bits - 1)) - 1
    x = rng.integers(lo, hi + 1, (s.h, s.w, s.c))
    w = rng.integers(lo, hi + 1, (s.r, s.s, s.cg, s.k_out))
    return x, w


def random_gemm(p: Any, rng: np.random.Generator, i: int) -> tuple:
    """One GEMM with edge tiles: M, N not multiples of the array, K across several K tiles
    for some shapes."""
    M = int(rng.integers(1, 3 * p.rows + 2))
    N = int(rng.integers(1, 3 * p.cols + 2))
    K = int(rng.integers(1, 48))
    s = ConvShape.gemm(f"gemm{i}_{M}x{K}x{N}", M, K, N)
    x, w = tensors(s, p, rng)
    return [s], x, [w], [random_quant(s, p, rng)]


def random_conv(p: Any, rng: np.random.Generator, i: int, *, depthwise: bool = False) -> tuple:
    """A small convolution: random size, kernel 1..3, stride 1..2, padding 0..1, groups."""
    h, w = int(rng.integers(3, 7)), int(rng.integers(3, 7))
    r = int(rng.integers(1, 4))
    stride = int(rng.integers(1, 3))
    pad = int(rng.integers(0, 2)) if r > 1 else 0
    if depthwise:
        c = int(rng.integers(2, 6))
        s = ConvShape(f"dw{i}", h=h, w=w, c=c, k_out=c, r=r, s=r, stride=stride, pad=pad, groups=c)
    else:
        groups = int(rng.integers(1, 3))
        c = groups * int(rng.integers(1, 5))
        k_out = groups * int(rng.integers(1, 6))
        s = ConvShape(
            f"conv{i}", h=h, w=w, c=c, k_out=k_out, r=r, s=r, stride=stride, pad=pad, groups=groups
        )
    x, wt = tensors(s, p, rng)
    return [s], x, [wt], [random_quant(s, p, rng)]


def chain(p: Any, rng: np.random.Generator) -> tuple:
    """Three back-to-back layers: conv 3x3 (padding 1), depthwise 3x3 stride 2, 1x1 GEMM."""
    h, w = int(rng.integers(4, 7)), int(rng.integers(4, 7))
    c0, c1 = int(rng.integers(1, 4)), int(rng.integers(2, 6))
    s1 = ConvShape("conv3x3", h=h, w=w, c=c0, k_out=c1, r=3, s=3, pad=1)
    s2 = ConvShape("dw3x3s2", h=h, w=w, c=c1, k_out=c1, r=3, s=3, stride=2, pad=1, groups=c1)
    s3 = ConvShape("pw1x1", h=s2.out_h, w=s2.out_w, c=c1, k_out=int(rng.integers(1, 7)))
    layers = [s1, s2, s3]
    x, _ = tensors(s1, p, rng)
    ws = [tensors(s, p, rng)[1] for s in layers]
    qs = [random_quant(s, p, rng) for s in layers]
    return layers, x, ws, qs


def workload_case(
    p: Any, rng: np.random.Generator, workload: str, layer: str | None, scale: int = 8
) -> tuple:
    """A layer of a workload (the named one, or the first) with channels divided by
    ``scale`` and the image cut to at most 8 output pixels a side (``scale = 1``: full size),
    on a random input."""
    from accelsmith.models.workloads import load_workload
    from accelsmith.runtime.shapes import reduced, shape_of

    wl = load_workload(workload)
    chosen = [ly for ly in wl.layers if layer is None or ly.name == layer]
    if not chosen:
        from accelsmith.core.errors import ConfigError

        names = ", ".join(ly.name for ly in wl.layers[:8])
        raise ConfigError(f"layer must be a layer of {workload} ({names} ...), not {layer!r}")
    s = shape_of(chosen[0]) if scale == 1 else reduced(shape_of(chosen[0]), factor=scale)
    x, w = tensors(s, p, rng)
    return [s], x, [w], [random_quant(s, p, rng)]


def gemm_case(p: Any, rng: np.random.Generator, spec: str) -> tuple:
    """A GEMM ``MxKxN`` (e.g. ``"64x147x24"``) on random data."""
    from accelsmith.core.errors import ConfigError

    try:
        dims = [int(v) for v in spec.lower().split("x")]
    except ValueError:
        dims = []
    if len(dims) != 3 or min(dims) < 1:
        raise ConfigError(f"gemm must be MxKxN with positive integers, not {spec!r}")
    M, K, N = dims
    s = ConvShape.gemm(f"gemm_{M}x{K}x{N}", M, K, N)
    x, w = tensors(s, p, rng)
    return [s], x, [w], [random_quant(s, p, rng)]


def case_from(p: Any, rng: np.random.Generator, extra: dict) -> tuple | None:
    """The case ``--workload``/``--layer``/``--scale`` or ``--gemm`` ask for (None: neither)."""
    if extra.get("gemm"):
        return gemm_case(p, rng, extra["gemm"])
    if extra.get("workload"):
        return workload_case(
            p, rng, extra["workload"], extra.get("layer"), int(extra.get("scale") or 8)
        )
    return None
