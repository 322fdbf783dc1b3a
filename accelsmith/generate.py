"""Parameters -> Verilog, manifest and FuseSoC core: the one code path behind
``accelsmith generate`` (the CLI, the dashboard and notebooks all call :func:`generate`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .core.families.systolic import SystolicParams
from .core.params import ParamsBase
from .core.registry import get_family
from .hdl.emit import Emitted, check_name, emit

__all__ = ["generate", "params_from_config", "systolic_manifest"]

SAMPLE_K = (1, 16, 64, 256)


def systolic_manifest(params: SystolicParams) -> dict[str, Any]:
    """Systolic manifest sections: protocol summary and tile-latency formula."""
    from .core.latency.systolic import (
        INTERVAL_FORMULA,
        TILE_CYCLES_FORMULA,
        steady_interval,
        tile_cycles,
    )
    from .hdl.systolic import protocol_summary

    ks = sorted({k for k in (*SAMPLE_K, params.rows, params.max_k) if k <= params.max_k})
    formula = TILE_CYCLES_FORMULA[params.dataflow]
    interval = INTERVAL_FORMULA[params.dataflow]
    r, c, df = params.rows, params.cols, params.dataflow
    return {
        "protocol": protocol_summary(params),
        "latency": {
            "tile_cycles_formula": formula,
            "tile_cycles_definition": "cycles from the start transfer to the last result "
            "row transfer, both counted, with no stalls",
            "back_to_back_interval_formula": interval,
            "tile_cycles": {str(k): int(tile_cycles(r, c, df, k)) for k in ks},
            "back_to_back_interval": {str(k): int(steady_interval(r, c, df, k)) for k in ks},
        },
        "accumulator": {
            "acc_bits": params.acc_bits,
            "exact_acc_bits": params.exact_acc_bits,
            "wraps_before_max_k": params.wraps,
        },
    }


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
