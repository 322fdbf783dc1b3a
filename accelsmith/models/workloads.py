"""Workloads: GEMM, convolution and GEMV layers, the built-in networks, and file loaders.

Every layer lowers to one GEMM ``C[M x N] = A[M x K] @ B[K x N]`` repeated ``count`` times:
``A`` holds the activations, ``B`` the weights (or, for attention, the second activation
operand), ``C`` the outputs.

Convolution lowering (the im2col view, as SCALE-Sim and Gemmini use it)
    An input of ``in_h x in_w x in_ch`` with ``out_ch`` filters of ``kernel_h x kernel_w``,
    stride ``(stride_h, stride_w)``, zero padding ``(pad_h, pad_w)`` on each side, dilation
    ``(dil_h, dil_w)``, ``groups`` groups and batch ``batch`` produces
    ``out_h = floor((in_h + 2 pad_h - dil_h (kernel_h - 1) - 1) / stride_h) + 1`` (same for
    ``out_w``; ``ceil`` instead of ``floor`` with ``ceil_mode``, SCALE-Sim's rule) and
    lowers to, per group::

        M = batch * out_h * out_w        (one row per output pixel)
        N = out_ch / groups              (one column per filter of the group)
        K = (in_ch / groups) * kernel_h * kernel_w   (one filter window)

    with ``count = groups``: the groups are independent GEMMs of the same shape. A depthwise
    convolution (``groups = in_ch``) is ``in_ch`` GEMMs with ``N = out_ch / in_ch`` (usually 1)
    and ``K = kernel_h * kernel_w``.
GEMV
    ``y[1 x N] = x[1 x K] @ W[K x N]``: a GEMM with ``M = 1`` (decode-time LLM layers).

Sources
    Built-in networks are in :mod:`accelsmith.models.networks` (shapes from the papers and
    reference implementations cited there). Files: a SCALE-Sim topology CSV (convolution or
    GEMM mode, :func:`load_scalesim_csv`) or a YAML list of layers (:func:`load_yaml`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..core.errors import ConfigError

__all__ = [
    "GEMM",
    "GEMV",
    "LAYER_KINDS",
    "ROLES",
    "Conv",
    "Layer",
    "Workload",
    "load_scalesim_csv",
    "load_workload",
    "load_yaml",
]

#: role tags of transformer layers ("" for everything else)
ROLES = (
    "",
    "qkv",
    "attn_qk",
    "attn_av",
    "out_proj",
    "ffn_up",
    "ffn_gate",
    "ffn_down",
    "lm_head",
    "router",
)
#: what a layer does (see :mod:`accelsmith.models.llm`); ``""`` derives it: ``attention`` for
#: the attention roles, ``conv`` for convolutions, ``dense`` otherwise
LAYER_KINDS = ("", "dense", "conv", "attention", "kv_read", "router", "expert")
#: layer kinds whose ``B`` operand is activations or the KV cache, not weights
ACTIVATION_KINDS = ("attention", "kv_read")

#: most multiply-accumulates one layer entry (``M N K count``) may hold: 2^53 is the largest
#: count float64 represents exactly (the cost models compute in float64; larger shapes also
#: overflow the int64 arrays of :meth:`Workload.to_gemms`). Llama-2-7B's largest prefill entry
#: is ~3e12.
MAX_LAYER_MACS = 2**53


def _check_pos_int(where: str, field: str, value: Any, low: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ConfigError(f"{where}{field} must be an integer >= {low}, not {value!r}")


def _check_common(obj: Any) -> None:
    where = f"layer {obj.name!r}: " if obj.name else ""
    if not isinstance(obj.name, str):
        raise ConfigError(f"layer name must be a string, not {obj.name!r}")
    _check_pos_int(where, "count", obj.count)
    if obj.role not in ROLES:
        allowed = ", ".join(repr(r) for r in ROLES)
        raise ConfigError(f"{where}role must be one of {allowed}, not {obj.role!r}")
    if obj.layer_kind not in LAYER_KINDS:
        allowed = ", ".join(repr(r) for r in LAYER_KINDS)
        raise ConfigError(f"{where}layer_kind must be one of {allowed}, not {obj.layer_kind!r}")
    for flag in ("read_a", "write_c"):
        if not isinstance(getattr(obj, flag, True), bool):
            raise ConfigError(f"{where}{flag} must be true or false, not {getattr(obj, flag)!r}")


def _layer_kind(layer: Any) -> str:
    if layer.layer_kind:
        return layer.layer_kind
    if layer.role in ("attn_qk", "attn_av"):
        return "attention"
    return "conv" if isinstance(layer, Conv) else "dense"


@dataclasses.dataclass(frozen=True, kw_only=True)
class GEMM:
    """``C[M x N] = A[M x K] @ B[K x N]``, ``count`` identical times.

    Parameters
    ----------
    name : str
        Layer name.
    M, N, K : int
        Output rows, output columns and reduction depth (>= 1).
    count : int
        Identical repeats (e.g. transformer blocks, attention heads).
    role : str
        Transformer role tag (one of :data:`ROLES`).
    layer_kind : str
        What the layer does (one of :data:`LAYER_KINDS`; ``""``: derived from the role).
    read_a, write_c : bool
        Whether ``A`` is read from and ``C`` written to DRAM (false for the attention scores
        of a fused attention kernel, which stay on chip).
    """

    kind: ClassVar[str] = "gemm"
    name: str
    M: int
    N: int
    K: int
    count: int = 1
    role: str = ""
    layer_kind: str = ""
    read_a: bool = True
    write_c: bool = True

    def __post_init__(self) -> None:
        _check_common(self)
        for f in ("M", "N", "K"):
            _check_pos_int(f"layer {self.name!r}: ", f, getattr(self, f))

    def gemm(self) -> tuple[int, int, int, int]:
        """``(M, N, K, count)`` of the lowered GEMM."""
        return self.M, self.N, self.K, self.count

    @property
    def ifmap_elems(self) -> int:
        """Distinct elements of ``A`` one instance reads (``M K``)."""
        return self.M * self.K


@dataclasses.dataclass(frozen=True, kw_only=True)
class GEMV:
    """``y[1 x N] = x[1 x K] @ W[K x N]``, ``count`` identical times (a GEMM with ``M = 1``;
    the fields are :class:`GEMM`'s)."""

    kind: ClassVar[str] = "gemv"
    name: str
    N: int
    K: int
    count: int = 1
    role: str = ""
    layer_kind: str = ""
    read_a: bool = True
    write_c: bool = True

    def __post_init__(self) -> None:
        _check_common(self)
        for f in ("N", "K"):
            _check_pos_int(f"layer {self.name!r}: ", f, getattr(self, f))

    def gemm(self) -> tuple[int, int, int, int]:
        """``(1, N, K, count)``."""
        return 1, self.N, self.K, self.count

    @property
    def ifmap_elems(self) -> int:
        """Distinct elements of ``x`` one instance reads (``K``)."""
        return self.K


@dataclasses.dataclass(frozen=True, kw_only=True)
class Conv:
    """A 2-D convolution, lowered to ``groups x count`` GEMMs (see the module docstring).

    Parameters
    ----------
    name : str
        Layer name.
    in_h, in_w, in_ch : int
        Input feature map height, width and channels.
    out_ch : int
        Filters (output channels).
    kernel_h, kernel_w : int
        Filter height and width.
    stride_h, stride_w, pad_h, pad_w, dil_h, dil_w : int
        Stride, zero padding on each side and dilation.
    groups : int
        Channel groups (``in_ch`` for depthwise); divides ``in_ch`` and ``out_ch``.
    batch : int
        Images per inference (folded into ``M``).
    count : int
        Identical repeats of the whole layer.
    role : str
        Role tag (see :data:`ROLES`), normally ``""``.
    layer_kind : str
        See :class:`GEMM` (``""``: ``conv``).
    ceil_mode : bool
        Round the output size up instead of down (SCALE-Sim's ``ceil((H - R + s) / s)``).
    """

    kind: ClassVar[str] = "conv"
    name: str
    in_h: int
    in_w: int
    in_ch: int
    out_ch: int
    kernel_h: int
    kernel_w: int
    stride_h: int = 1
    stride_w: int = 1
    pad_h: int = 0
    pad_w: int = 0
    dil_h: int = 1
    dil_w: int = 1
    groups: int = 1
    batch: int = 1
    count: int = 1
    role: str = ""
    ceil_mode: bool = False
    layer_kind: str = ""

    def __post_init__(self) -> None:
        _check_common(self)
        where = f"layer {self.name!r}: "
        if not isinstance(self.ceil_mode, bool):
            raise ConfigError(f"{where}ceil_mode must be true or false, not {self.ceil_mode!r}")
        for f in ("in_h", "in_w", "in_ch", "out_ch", "kernel_h", "kernel_w", "stride_h"):
            _check_pos_int(where, f, getattr(self, f))
        for f in ("stride_w", "dil_h", "dil_w", "groups", "batch"):
            _check_pos_int(where, f, getattr(self, f))
        for f in ("pad_h", "pad_w"):
            _check_pos_int(where, f, getattr(self, f), low=0)
        for f in ("in_ch", "out_ch"):
            if getattr(self, f) % self.groups:
                raise ConfigError(
                    f"{where}groups must divide {f} ({getattr(self, f)}), not {self.groups}"
                )
        if self.out_h < 1 or self.out_w < 1:
            raise ConfigError(
                f"{where}the filter ({self.kernel_h}x{self.kernel_w}, dilation "
                f"{self.dil_h}x{self.dil_w}) must fit the padded input "
                f"({self.in_h + 2 * self.pad_h}x{self.in_w + 2 * self.pad_w})"
            )

    def _out(self, size: int, pad: int, kernel: int, dil: int, stride: int) -> int:
        reach = size + 2 * pad - (dil * (kernel - 1) + 1)
        if reach < 0:
            return 0
        return (-(-reach // stride) if self.ceil_mode else reach // stride) + 1

    @property
    def out_h(self) -> int:
        """Output height (rounded down, or up with ``ceil_mode`` as SCALE-Sim does)."""
        return self._out(self.in_h, self.pad_h, self.kernel_h, self.dil_h, self.stride_h)

    @property
    def out_w(self) -> int:
        """Output width (rounded down, or up with ``ceil_mode``)."""
        return self._out(self.in_w, self.pad_w, self.kernel_w, self.dil_w, self.stride_w)

    def gemm(self) -> tuple[int, int, int, int]:
        """``(M, N, K, count)`` of the im2col lowering, ``count`` including the groups."""
        m = self.batch * self.out_h * self.out_w
        n = self.out_ch // self.groups
        k = (self.in_ch // self.groups) * self.kernel_h * self.kernel_w
        return m, n, k, self.groups * self.count

    @property
    def ifmap_elems(self) -> int:
        """Distinct input elements one group reads: the unpadded input of its channels.

        The im2col matrix ``A`` (``M x K``) repeats each input pixel up to ``kernel_h x
        kernel_w`` times; a buffer fetches it once. Capped at ``M K`` (a strided 1x1
        convolution skips pixels).
        """
        m, _, k, _ = self.gemm()
        return min(m * k, self.batch * self.in_h * self.in_w * (self.in_ch // self.groups))


Layer = GEMM | Conv | GEMV


@dataclasses.dataclass(frozen=True, kw_only=True)
class Workload:
    """A named list of layers.

    Parameters
    ----------
    name : str
        Workload name (the built-in name or the file stem).
    layers : tuple of Layer
        The layers, in execution order.
    description : str
        One line for listings.
    source : str
        Where the shapes come from (paper, reference implementation or file path).
    kv_bytes_per_token : int
        KV-cache bytes one token adds (LLM workloads; 0 when not applicable).
    requests : int
        Requests one pass serves (an LLM step's batch; 1 otherwise).
    """

    name: str
    layers: tuple[Layer, ...]
    description: str = ""
    source: str = ""
    kv_bytes_per_token: int = 0
    requests: int = 1

    def __post_init__(self) -> None:
        if not self.layers:
            raise ConfigError(f"workload {self.name!r} must have at least one layer")
        for layer in self.layers:
            if not isinstance(layer, (GEMM, Conv, GEMV)):
                raise ConfigError(
                    f"workload {self.name!r}: layers must be GEMM, Conv or GEMV, not {layer!r}"
                )
            m, n, k, c = layer.gemm()
            if m * n * k * c > MAX_LAYER_MACS:
                raise ConfigError(
                    f"layer {layer.name!r}: M x N x K x count must be at most 2^53 "
                    f"({MAX_LAYER_MACS:.3g}) multiply-accumulates, not {m}x{n}x{k}x{c} "
                    f"= {m * n * k * c:.3g}"
                )
        object.__setattr__(self, "layers", tuple(self.layers))

    def to_gemms(self) -> dict[str, np.ndarray]:
        """The lowered GEMMs as arrays, one entry per layer.

        Returns
        -------
        dict of numpy arrays
            ``names`` (object), ``M``, ``N``, ``K``, ``count`` (int64), ``kind``
            (``"gemm" | "conv" | "gemv"``), ``role`` (see :data:`ROLES`), ``layer_kind``
            (see :data:`LAYER_KINDS`, never empty), ``ifmap_elems`` (int64: distinct
            activation elements one instance reads from DRAM, ``M K`` except for
            convolutions, whose im2col copies are fetched once, and 0 when ``read_a`` is
            false) and ``ofmap_elems`` (results written to DRAM: ``M N``, 0 when ``write_c``
            is false).
        """
        shapes = np.array([layer.gemm() for layer in self.layers], dtype=np.int64).reshape(-1, 4)
        return {
            "names": np.array([layer.name for layer in self.layers], dtype=object),
            "M": shapes[:, 0].copy(),
            "N": shapes[:, 1].copy(),
            "K": shapes[:, 2].copy(),
            "count": shapes[:, 3].copy(),
            "kind": np.array([layer.kind for layer in self.layers], dtype=object),
            "role": np.array([layer.role for layer in self.layers], dtype=object),
            "layer_kind": np.array([_layer_kind(layer) for layer in self.layers], dtype=object),
            "ifmap_elems": np.array(
                [layer.ifmap_elems * getattr(layer, "read_a", True) for layer in self.layers],
                dtype=np.int64,
            ),
            "ofmap_elems": shapes[:, 0]
            * shapes[:, 1]
            * np.array([getattr(layer, "write_c", True) for layer in self.layers], dtype=np.int64),
        }

    @property
    def instances(self) -> int:
        """Layer instances, counting repeats (``sum(count)``)."""
        return int(sum(layer.gemm()[3] for layer in self.layers))

    @property
    def weight_elems(self) -> int:
        """Weight elements the workload reads (``K N count`` of every layer whose ``B`` operand
        is weights, i.e. not attention / KV-cache products)."""
        return int(
            sum(
                layer.gemm()[1] * layer.gemm()[2] * layer.gemm()[3]
                for layer in self.layers
                if _layer_kind(layer) not in ACTIVATION_KINDS
            )
        )

    @property
    def total_macs(self) -> int:
        """Multiply-accumulates of one inference (exact integer)."""
        return int(sum(m * n * k * c for m, n, k, c in (layer.gemm() for layer in self.layers)))


# ---------------------------------------------------------------- loading


def load_workload(workload: Any) -> Workload:
    """A :class:`Workload` from a built-in name, a file, GEMM tuples or layers.

    Parameters
    ----------
    workload : str, Path, Workload or sequence
        A built-in name (see :func:`accelsmith.models.networks.builtin_names`), a path to a
        SCALE-Sim topology ``.csv`` or a GEMM ``.yaml``/``.yml`` file, a :class:`Workload`, or a
        sequence whose items are ``(M, N, K)`` / ``(M, N, K, count)`` tuples, layers or
        mappings with the YAML keys.

    Raises
    ------
    ConfigError
        Unknown name, missing or malformed file, or a bad layer (the message names it).
    """
    from .networks import builtin, builtin_names

    if isinstance(workload, Workload):
        return workload
    if isinstance(workload, (GEMM, Conv, GEMV)):
        return Workload(name=workload.name or "layer", layers=(workload,))
    if isinstance(workload, str) and workload.strip().lower() in builtin_names():
        return builtin(workload.strip().lower())
    if isinstance(workload, (str, Path)):
        path = Path(workload)
        if path.suffix.lower() in (".csv", ".yaml", ".yml") and path.is_file():
            from .workload_files import load_scalesim_csv, load_yaml

            if path.suffix.lower() == ".csv":
                return load_scalesim_csv(path)
            return load_yaml(path)
        if path.suffix.lower() in (".csv", ".yaml", ".yml") and not path.exists():
            raise ConfigError(f"workload file {str(path)!r} does not exist")
        raise ConfigError(
            f"workload must be a built-in name ({', '.join(builtin_names())}) or a .csv "
            f"(SCALE-Sim topology) or .yaml (GEMM list) file, not {str(workload)!r}"
        )
    if isinstance(workload, Iterable) and not isinstance(workload, (bytes, Mapping)):
        from .workload_files import layers_from_items

        return Workload(name="gemms", layers=tuple(layers_from_items(list(workload), "gemms")))
    raise ConfigError(
        "workload must be a built-in name, a file path, a Workload or a list of (M, N, K) "
        f"tuples, not {workload!r}"
    )


def load_yaml(path: str | Path) -> Workload:
    """A workload from a YAML layer list (see :func:`.workload_files.load_yaml`)."""
    from .workload_files import load_yaml as load

    return load(path)


def load_scalesim_csv(path: str | Path) -> Workload:
    """A workload from a SCALE-Sim topology CSV (see :func:`.workload_files.load_scalesim_csv`)."""
    from .workload_files import load_scalesim_csv as load

    return load(path)
