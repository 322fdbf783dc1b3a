"""Workload files and item lists: SCALE-Sim topology CSV, YAML layer lists, GEMM tuples.

The public entry point is :func:`accelsmith.models.workloads.load_workload`, which calls
these; they are also importable from :mod:`accelsmith.models.workloads`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import ConfigError
from ..core.files import safe_load_file
from .workloads import GEMM, GEMV, Conv, Layer, Workload

__all__ = ["layers_from_items", "load_scalesim_csv", "load_yaml"]


def layers_from_items(items: Sequence[Any], where: str) -> list[Layer]:
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
        data = safe_load_file(path)  # duplicate keys and binary files refused (core/files)
    except OSError as exc:
        raise ConfigError(f"{where} cannot be read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where} is not valid YAML: {' '.join(str(exc).split())}") from None
    name, description = path.stem, f"GEMM list from {path.name}"
    if isinstance(data, Mapping) and "serving" in data:  # a serving scenario
        from .serving import load_serving

        return load_serving(path, data)
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
    layers = layers_from_items(data, where)
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


#: largest layer dimension a CSV cell may hold (larger ones overflow the models' int64 math)
_MAX_CELL = 1 << 31


def _int_field(where: str, field: str, text: str) -> int:
    cell = text.strip()
    shown = cell if len(cell) <= 24 else f"{cell[:12]}...({len(cell)} characters)"
    try:
        value = int(cell)
    except ValueError:
        raise ConfigError(f"{where}: {field} must be an integer, not {shown!r}") from None
    if not 1 <= value <= _MAX_CELL:
        raise ConfigError(f"{where}: {field} must be an integer in 1..{_MAX_CELL}, not {shown}")
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
    lines = _csv_lines(path, where)
    header = [h.lower() for h in _csv_fields(lines[0][1])]
    gemm_mode = [h.strip() for h in header[1:4]] == ["m", "n", "k"]
    if not gemm_mode and len(header) < 8:
        raise ConfigError(
            f"{where}: header must name the SCALE-Sim columns ({', '.join(_CONV_HEADER)}) or "
            f"Layer, M, N, K; got {', '.join(header) or 'nothing'}"
        )
    layers: list[Layer] = []
    for lineno, line in lines[1:]:
        layers.append(
            _scalesim_row(f"{where}, line {lineno}", _csv_fields(line), gemm_mode, len(layers))
        )
    desc = f"SCALE-Sim {'GEMM' if gemm_mode else 'topology'} file {path.name}"
    return Workload(name=path.stem, layers=tuple(layers), description=desc, source=str(path))


def _csv_lines(path: Path, where: str) -> list[tuple[int, str]]:
    """The non-blank lines of a CSV file with their line numbers (header and one row at
    least)."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{where} cannot be read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{where} is not a text CSV file") from None
    lines = [(i + 1, line.strip()) for i, line in enumerate(text.splitlines()) if line.strip()]
    if len(lines) < 2:
        raise ConfigError(f"{where} must have a header line and at least one layer row")
    return lines


def _csv_fields(line: str) -> list[str]:
    """The cells of one CSV line, stripped, without SCALE-Sim's trailing empty cells."""
    import csv  # quoted cells may hold commas ("conv, 3x3")

    parts = [p.strip() for p in next(csv.reader([line], skipinitialspace=True), [])]
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def _scalesim_row(at: str, row: list[str], gemm_mode: bool, index: int) -> Layer:
    """One SCALE-Sim row as a layer (a GEMM in GEMM mode, else a convolution; ``index``:
    the layer's position, naming an unnamed row)."""
    want = 4 if gemm_mode else 8
    if len(row) not in (want, want + 1):
        raise ConfigError(
            f"{at}: expected {want} columns (plus an optional N:M sparsity), got {len(row)}"
        )
    name = row[0] or f"layer{index}"
    if len(row) == want + 1:
        _check_sparsity(at, row[want])
    if gemm_mode:
        m, n, k = (_int_field(at, f, v) for f, v in zip("MNK", row[1:4], strict=True))
        return GEMM(name=name, M=m, N=n, K=k)
    h, w, r, s, c, f, stride = (
        _int_field(at, label, v) for label, v in zip(_CONV_HEADER[1:], row[1:8], strict=True)
    )
    if r > h or s > w:
        raise ConfigError(
            f"{at}: the filter ({r}x{s}) must fit the IFMAP ({h}x{w}); SCALE-Sim IFMAP "
            "sizes include the padding"
        )
    depthwise = "DP" in name  # SCALE-Sim's depthwise convention: `c` one-channel convolutions
    return Conv(
        name=name,
        in_h=h,
        in_w=w,
        in_ch=c,
        out_ch=c * f if depthwise else f,
        kernel_h=r,
        kernel_w=s,
        stride_h=stride,
        stride_w=stride,
        **({"groups": c} if depthwise else {}),
        ceil_mode=True,
    )
