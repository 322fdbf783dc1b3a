"""``accelsmith cost <family>``: the analytical cost of one configuration on a workload."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from accelsmith.core.errors import ConfigError

from .families import register_all

app = typer.Typer(help="Cost a configuration with the analytical models.", no_args_is_help=True)

Workload = Annotated[
    str, typer.Option("--workload", help="Built-in name (see `accelsmith workloads`) or a file.")
]
Kb = float | None


def _human(value: float, unit: str) -> str:
    for scale, prefix in (
        (1e12, "T"),
        (1e9, "G"),
        (1e6, "M"),
        (1e3, "k"),
        (1.0, ""),
        (1e-3, "m"),
        (1e-6, "u"),
        (1e-9, "n"),
        (1e-12, "p"),
    ):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}"


def cost_frames(
    family: str,
    values: dict[str, Any],
    workload: str,
    node: int,
    tech_file: Path | None,
    convention: str = "rtl",
) -> tuple[Any, Any]:
    """Per-layer rows and totals of one configuration, at ``node`` (``--tech`` overrides)."""
    from accelsmith.models.evaluate import evaluate
    from accelsmith.models.tech import Tech

    tech = Tech.at_node(node)
    if tech_file is not None:
        tech = Tech.from_yaml(tech_file, base=tech)
    kw = {"convention": convention, "tech": tech}
    layers = evaluate(family, [values], workload, per_layer=True, **kw)
    return layers, evaluate(family, [values], workload, **kw).iloc[0]


def jsonable(d: dict[str, Any]) -> dict[str, Any]:
    """A record with numpy scalars as plain Python values and NaN as null (strict JSON)."""
    out = {}
    for k, v in d.items():
        v = v.item() if hasattr(v, "item") else v
        out[k] = None if isinstance(v, float) and v != v else v
    return out


def check_formats(as_json: bool, as_csv: bool) -> None:
    """Refuse ``--json`` with ``--csv`` (before anything is computed)."""
    if as_json and as_csv:
        raise ConfigError("--json and --csv cannot be combined: choose one output format")


def machine_output(layers: Any, total: Any, *, as_json: bool, as_csv: bool) -> bool:
    """Print the per-layer table as CSV, or totals and layers as JSON; False if neither.

    Shared by every family's ``cost`` command (``--csv`` / ``--json``).
    """
    if as_csv:
        layers.to_csv(sys.stdout, index=False)
        return True
    if as_json:
        records = [jsonable(r) for r in layers.to_dict("records")]
        print(json.dumps({"totals": jsonable(total.to_dict()), "layers": records}, indent=1))
        return True
    if "ttft_s" in total:  # a serving scenario (accelsmith.models.serving): its metrics first
        from .serving_view import print_serving_totals

        print_serving_totals(total)
    return False


register_all("cost", app)
