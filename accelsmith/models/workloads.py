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
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..core.errors import ConfigError

__all__ = [
    "GEMM",
    "GEMV",
    "ROLES",
    "Conv",
    "Layer",
    "Workload",
    "load_scalesim_csv",
    "load_workload",
    "load_yaml",
]

#: role tags of transformer layers ("" for everything else)
ROLES = ("", "qkv", "attn_qk", "attn_av", "out_proj", "ffn_up", "ffn_gate", "ffn_down", "lm_head")


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
    """

    kind: ClassVar[str] = "gemm"
    name: str
    M: int
    N: int
    K: int
    count: int = 1
    role: str = ""

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
    """``y[1 x N] = x[1 x K] @ W[K x N]``, ``count`` identical times (a GEMM with ``M = 1``)."""

    kind: ClassVar[str] = "gemv"
    name: str
    N: int
    K: int
    count: int = 1
    role: str = ""

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
    """

    name: str
    layers: tuple[Layer, ...]
    description: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        if not self.layers:
            raise ConfigError(f"workload {self.name!r} must have at least one layer")
        for layer in self.layers:
            if not isinstance(layer, (GEMM, Conv, GEMV)):
                raise ConfigError(
                    f"workload {self.name!r}: layers must be GEMM, Conv or GEMV, not {layer!r}"
                )
        object.__setattr__(self, "layers", tuple(self.layers))

    def to_gemms(self) -> dict[str, np.ndarray]:
        """The lowered GEMMs as arrays, one entry per layer.

        Returns
        -------
        dict of numpy arrays
            ``names`` (object), ``M``, ``N``, ``K``, ``count`` (int64), ``kind``
            (``"gemm" | "conv" | "gemv"``), ``role`` (see :data:`ROLES`) and
            ``ifmap_elems`` (int64: distinct activation elements one instance reads, ``M K``
            except for convolutions, whose im2col copies are fetched once).
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
            "ifmap_elems": np.array([layer.ifmap_elems for layer in self.layers], dtype=np.int64),
        }

    @property
    def instances(self) -> int:
        """Layer instances, counting repeats (``sum(count)``)."""
        return int(sum(layer.gemm()[3] for layer in self.layers))

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
        return Workload(name="gemms", layers=tuple(_layers_from_items(list(workload), "gemms")))
    raise ConfigError(
        "workload must be a built-in name, a file path, a Workload or a list of (M, N, K) "
        f"tuples, not {workload!r}"
    )


def _layers_from_items(items: Sequence[Any], where: str) -> list[Layer]:
    layers: list[Layer] = []
    for i, item in enumerate(items):
        if isinstance(item, (GEMM, Conv, GEMV)):
            layers.append(item)
        elif isinstance(item, Mapping):
            layers.append(_layer_from_mapping(item, f"{where}, entry {i}", i))
        elif isinstance(item, (tuple, list, np.ndarray)) and len(item) in (3, 4):
            values = [v.item() if isinstance(v, np.generic) else v for v in item]
            m, n, k = values[:3]
            count = values[3] if len(values) == 4 else 1
            try:
                layers.append(GEMM(name=f"gemm{i}", M=m, N=n, K=k, count=count))
            except ConfigError as exc:
                raise ConfigError(f"{where}, entry {i}: {exc}") from None
        else:
            raise ConfigError(
                f"{where}, entry {i} must be an (M, N, K) or (M, N, K, count) tuple, a layer "
                f"or a mapping, not {item!r}"
            )
    if not layers:
        raise ConfigError(f"{where} must have at least one layer")
    return layers


_TYPES: dict[str, type] = {"gemm": GEMM, "conv": Conv, "gemv": GEMV}
# YAML shorthands for a convolution: one value for both dimensions
_CONV_PAIRS = {
    "kernel": ("kernel_h", "kernel_w"),
    "stride": ("stride_h", "stride_w"),
    "padding": ("pad_h", "pad_w"),
    "dilation": ("dil_h", "dil_w"),
}


def _layer_from_mapping(entry: Mapping[str, Any], where: str, index: int) -> Layer:
    entry = dict(entry)
    kind = str(entry.pop("type", "gemm" if "M" in entry else "")).lower()
    if kind not in _TYPES:
        raise ConfigError(
            f"{where}: type must be one of 'gemm', 'conv', 'gemv', not {kind or None!r}"
        )
    cls = _TYPES[kind]
    if kind == "conv":
        for short, (fh, fw) in _CONV_PAIRS.items():
            if short in entry:
                value = entry.pop(short)
                pair = value if isinstance(value, (list, tuple)) else (value, value)
                if len(pair) != 2:
                    raise ConfigError(f"{where}: {short} must be one value or [h, w], not {value}")
                entry.setdefault(fh, pair[0])
                entry.setdefault(fw, pair[1])
    fields = [f.name for f in dataclasses.fields(cls)]
    entry.setdefault("name", f"{kind}{index}")
    unknown = [k for k in entry if k not in fields]
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r} for a {kind}; allowed keys are "
            f"{', '.join(['type', *fields, *(_CONV_PAIRS if kind == 'conv' else ())])}"
        )
    required = [f.name for f in dataclasses.fields(cls) if f.default is dataclasses.MISSING]
    missing = [k for k in required if k not in entry]
    if missing:
        raise ConfigError(f"{where}: a {kind} needs {', '.join(required)}; missing {missing[0]}")
    entry["name"] = str(entry["name"])
    try:
        return cls(**entry)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def load_yaml(path: str | Path) -> Workload:
    """A workload from a YAML file: a list of layers, or a mapping with ``name`` and ``layers``.

    Each layer is a mapping. GEMMs: ``{name, M, N, K, count?, role?}`` (``type: gemm`` is
    implied by ``M``); GEMVs: ``{type: gemv, name, N, K, count?, role?}``; convolutions:
    ``{type: conv, name, in_h, in_w, in_ch, out_ch, kernel, stride?, padding?, dilation?,
    groups?, batch?, count?}`` where ``kernel``, ``stride``, ``padding`` and ``dilation`` are
    one integer or ``[h, w]`` (or the ``*_h``/``*_w`` fields themselves).
    """
    import yaml

    path = Path(path)
    where = f"workload file {path.name}"
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise ConfigError(f"{where} cannot be read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where} is not valid YAML: {' '.join(str(exc).split())}") from None
    name, description = path.stem, f"GEMM list from {path.name}"
    if isinstance(data, Mapping):
        name = str(data.get("name", name))
        description = str(data.get("description", description))
        extra = [k for k in data if k not in ("name", "description", "layers")]
        if extra:
            raise ConfigError(
                f"{where}: unknown key {extra[0]!r}; allowed keys are name, description, layers"
            )
        data = data.get("layers")
    if not isinstance(data, list) or not data:
        raise ConfigError(f"{where} must hold a non-empty list of layers (or a 'layers' list)")
    bad = next((i for i, e in enumerate(data) if not isinstance(e, Mapping)), None)
    if bad is not None:
        raise ConfigError(f"{where}, entry {bad} must be a mapping, not {data[bad]!r}")
    layers = _layers_from_items(data, where)
    return Workload(name=name, layers=tuple(layers), description=description, source=str(path))


_CONV_HEADER = (
    "layer name",
    "ifmap height",
    "ifmap width",
    "filter height",
    "filter width",
    "channels",
    "num filter",
    "strides",
)


def _int_field(where: str, field: str, text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ConfigError(f"{where}: {field} must be an integer, not {text.strip()!r}") from None
    if value < 1:
        raise ConfigError(f"{where}: {field} must be an integer >= 1, not {value}")
    return value


def _check_sparsity(where: str, text: str) -> None:
    parts = text.strip().split(":")
    if len(parts) != 2 or parts[0].strip() != parts[1].strip():
        raise ConfigError(
            f"{where}: sparsity ratio must be dense (N:N, e.g. 1:1), not {text.strip()!r}: "
            "structured sparsity is not modelled"
        )


def load_scalesim_csv(path: str | Path) -> Workload:
    """A workload from a SCALE-Sim (v2/v3) topology CSV.

    Convolution mode: a header line, then ``Layer name, IFMAP Height, IFMAP Width, Filter
    Height, Filter Width, Channels, Num Filter, Strides[, N:M sparsity]`` per row (SCALE-Sim
    writes a trailing comma). As in SCALE-Sim: the IFMAP size already includes any padding,
    the stride applies to both dimensions, the output is ``ceil((H - R + s) / s)`` and a layer
    whose name contains ``DP`` is depthwise (``Channels`` independent one-channel
    convolutions). GEMM mode (SCALE-Sim's ``-i gemm``) is recognised by a header whose
    columns after the name are ``M, N, K``: rows ``name, M, N, K[, N:M]`` with SCALE-Sim's
    meaning (``M`` ofmap rows, ``N`` filters, ``K`` reduction), the same as ours.
    """
    path = Path(path)
    where = f"workload file {path.name}"
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{where} cannot be read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{where} is not a text CSV file") from None
    lines = [(i + 1, line.strip()) for i, line in enumerate(text.splitlines()) if line.strip()]
    if len(lines) < 2:
        raise ConfigError(f"{where} must have a header line and at least one layer row")

    def fields(line: str) -> list[str]:
        parts = [p.strip() for p in line.split(",")]
        while parts and parts[-1] == "":
            parts.pop()
        return parts

    header = [h.lower() for h in fields(lines[0][1])]
    gemm_mode = [h.strip() for h in header[1:4]] == ["m", "n", "k"]
    if not gemm_mode and len(header) < 8:
        raise ConfigError(
            f"{where}: header must name the SCALE-Sim columns ({', '.join(_CONV_HEADER)}) or "
            f"Layer, M, N, K; got {', '.join(header) or 'nothing'}"
        )
    layers: list[Layer] = []
    for lineno, line in lines[1:]:
        row = fields(line)
        at = f"{where}, line {lineno}"
        want = 4 if gemm_mode else 8
        if len(row) not in (want, want + 1):
            raise ConfigError(
                f"{at}: expected {want} columns (plus an optional N:M sparsity), got {len(row)}"
            )
        name = row[0] or f"layer{len(layers)}"
        if len(row) == want + 1:
            _check_sparsity(at, row[want])
        if gemm_mode:
            m, n, k = (_int_field(at, f, v) for f, v in zip("MNK", row[1:4], strict=True))
            layers.append(GEMM(name=name, M=m, N=n, K=k))
            continue
        h, w, r, s, c, f, stride = (
            _int_field(at, label, v) for label, v in zip(_CONV_HEADER[1:], row[1:8], strict=True)
        )
        if r > h or s > w:
            raise ConfigError(
                f"{at}: the filter ({r}x{s}) must fit the IFMAP ({h}x{w}); SCALE-Sim IFMAP "
                "sizes include the padding"
            )
        if "DP" in name:  # SCALE-Sim's depthwise convention: `c` one-channel convolutions
            layers.append(
                Conv(
                    name=name,
                    in_h=h,
                    in_w=w,
                    in_ch=c,
                    out_ch=c * f,
                    kernel_h=r,
                    kernel_w=s,
                    stride_h=stride,
                    stride_w=stride,
                    groups=c,
                    ceil_mode=True,
                )
            )
        else:
            layers.append(
                Conv(
                    name=name,
                    in_h=h,
                    in_w=w,
                    in_ch=c,
                    out_ch=f,
                    kernel_h=r,
                    kernel_w=s,
                    stride_h=stride,
                    stride_w=stride,
                    ceil_mode=True,
                )
            )
    desc = f"SCALE-Sim {'GEMM' if gemm_mode else 'topology'} file {path.name}"
    return Workload(name=path.stem, layers=tuple(layers), description=desc, source=str(path))
