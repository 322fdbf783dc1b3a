"""Layer shapes the ``accel`` compiler runs: convolutions (GEMMs and GEMVs are 1x1
convolutions over a ``1 x M`` image), with stride, zero padding and groups."""

from __future__ import annotations

import dataclasses
from typing import Any

from ..core.errors import ConfigError

__all__ = ["ConvShape", "shape_of"]


@dataclasses.dataclass(frozen=True)
class ConvShape:
    """An NHWC convolution ``out[oy, ox, n] = sum in[oy*s+dy-p, ox*s+dx-p, c] w[dy, dx, c, n]``.

    Lowered per group ``g`` to ``C_g[M x Ng] = A_g[M x Kg] @ B_g[Kg x Ng]`` with
    ``M = out_h * out_w`` (pixel ``m = oy * out_w + ox``), ``Kg = r * s * cg`` (index
    ``k = (dy * s + dx) * cg + c``) and ``Ng = k_out / groups``.
    """

    name: str
    h: int
    w: int
    c: int
    k_out: int
    r: int = 1
    s: int = 1
    stride: int = 1
    pad: int = 0
    groups: int = 1

    def __post_init__(self) -> None:
        where = f"layer {self.name!r}: "
        for f in ("h", "w", "c", "k_out", "r", "s", "stride", "groups"):
            v = getattr(self, f)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ConfigError(f"{where}{f} must be an integer >= 1, not {v!r}")
        if isinstance(self.pad, bool) or not isinstance(self.pad, int) or self.pad < 0:
            raise ConfigError(f"{where}pad must be an integer >= 0, not {self.pad!r}")
        if self.c % self.groups or self.k_out % self.groups:
            raise ConfigError(f"{where}groups must divide c and k_out, not {self.groups}")
        if self.out_h < 1 or self.out_w < 1:
            raise ConfigError(f"{where}the {self.r}x{self.s} filter must fit the padded input")

    @property
    def out_h(self) -> int:
        return (self.h + 2 * self.pad - self.r) // self.stride + 1

    @property
    def out_w(self) -> int:
        return (self.w + 2 * self.pad - self.s) // self.stride + 1

    @property
    def cg(self) -> int:
        return self.c // self.groups

    @property
    def ng(self) -> int:
        return self.k_out // self.groups

    @property
    def M(self) -> int:
        return self.out_h * self.out_w

    @property
    def Kg(self) -> int:
        return self.r * self.s * self.cg

    @property
    def macs(self) -> int:
        return self.M * self.Kg * self.ng * self.groups

    @classmethod
    def gemm(cls, name: str, M: int, K: int, N: int) -> ConvShape:
        """``C[M x N] = A[M x K] @ B[K x N]`` as a 1x1 convolution on a ``1 x M`` image."""
        return cls(name=name, h=1, w=M, c=K, k_out=N)


def shape_of(layer: Any) -> ConvShape:
    """The :class:`ConvShape` of a workload layer (:mod:`accelsmith.models.workloads`).

    Square strides and paddings only, no dilation, batch 1 (``count`` repeats are run once).
    """
    kind = getattr(layer, "kind", "")
    if kind == "gemm":
        return ConvShape.gemm(layer.name, layer.M, layer.K, layer.N)
    if kind == "gemv":
        return ConvShape.gemm(layer.name, 1, layer.K, layer.N)
    if kind == "conv":
        where = f"layer {layer.name!r}: "
        if layer.stride_h != layer.stride_w or layer.pad_h != layer.pad_w:
            raise ConfigError(f"{where}the accel compiler needs equal strides and paddings")
        if layer.dil_h != 1 or layer.dil_w != 1 or layer.batch != 1 or layer.ceil_mode:
            raise ConfigError(f"{where}the accel compiler needs dilation 1, batch 1, no ceil_mode")
        return ConvShape(
            name=layer.name,
            h=layer.in_h,
            w=layer.in_w,
            c=layer.in_ch,
            k_out=layer.out_ch,
            r=layer.kernel_h,
            s=layer.kernel_w,
            stride=layer.stride_h,
            pad=layer.pad_h,
            groups=layer.groups,
        )
    raise ConfigError(f"layer kind must be gemm, gemv or conv, not {kind!r}")


def reduced(s: ConvShape, factor: int = 8, max_pixels: int = 8) -> ConvShape:
    """``s`` at simulation size: channels divided by ``factor`` (keeping the group
    structure), the image cut so the output is at most ``max_pixels`` per side."""
    g = s.groups
    depthwise = g == s.c and g > 1
    cg = max(1, s.cg // factor) if not depthwise else 1
    groups = max(1, g // factor) if g > 1 else 1
    c = cg * groups
    k_out = max(1, (s.ng // factor if not depthwise else s.ng)) * groups
    span = (max_pixels - 1) * s.stride + s.r
    h = min(s.h, max(span - 2 * s.pad, s.r))
    w = min(s.w, max((max_pixels - 1) * s.stride + s.s - 2 * s.pad, s.s))
    return ConvShape(
        name=f"{s.name}_reduced",
        h=h,
        w=w,
        c=c,
        k_out=k_out,
        r=s.r,
        s=s.s,
        stride=s.stride,
        pad=s.pad,
        groups=groups,
    )
