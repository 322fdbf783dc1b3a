"""Parameters -> Verilog, manifest and FuseSoC core: the one code path behind
``accelsmith generate`` (the CLI, the dashboard and notebooks all call :func:`generate`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .core.params import ParamsBase
from .core.registry import get_family
from .hdl.emit import Emitted, check_name, emit

__all__ = ["generate", "params_from_config"]


def _plain(value: Any) -> Any:
    """numpy/pandas scalars as Python values; integral floats as ints (tables store 256.0)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def params_from_config(family: str, config: Mapping[str, Any]) -> ParamsBase:
    """The validated params object of a design found by a campaign or read from a table.

    Keys that are not parameters of ``family`` (metrics, buffers, clock ...) and missing
    values (None, NaN) are ignored, so any row of a trials table can be passed.
    """
    cls = get_family(family).params_class()
    fields = set(cls.field_names())
    values = {}
    for key, value in config.items():
        if key not in fields or value is None or (isinstance(value, float) and value != value):
            continue
        values[key] = _plain(value)
    return cls.from_dict(values, source="configuration")


def generate(params: ParamsBase, out_dir: str | Path, name: str | None = None) -> Emitted:
    """Build the component for ``params`` and write its Verilog, manifest and core file."""
    name = check_name(name if name is not None else params.default_name())  # type: ignore[attr-defined]
    family = get_family(params.family)
    component = family.build()(params)
    return emit(component, params, name, out_dir, family.manifest_extras(params))
