"""``accelsmith cost <family>``: the analytical cost of one configuration on a workload."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from . import options as o
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


@app.command("systolic")
def systolic(
    rows: o.Rows = None,
    cols: o.Cols = None,
    dataflow: Annotated[
        str | None, typer.Option("--dataflow", help="os, ws (or is with --convention scalesim).")
    ] = None,
    in_bits: o.InBits = None,
    signed: o.Signed = None,
    acc_bits: o.AccBits = None,
    max_k: o.MaxK = None,
    config: o.Config = None,
    ifmap_kb: Annotated[Kb, typer.Option("--ifmap-kb", help="Activation buffer (KiB).")] = None,
    filter_kb: Annotated[Kb, typer.Option("--filter-kb", help="Weight buffer (KiB).")] = None,
    ofmap_kb: Annotated[Kb, typer.Option("--ofmap-kb", help="Output buffer (KiB).")] = None,
    node: Annotated[int, typer.Option("--node", help="Technology node in nm.")] = 45,
    tech_file: Annotated[
        Path | None, typer.Option("--tech", help="YAML overriding the technology table.")
    ] = None,
    freq_mhz: Annotated[float, typer.Option("--freq-mhz", help="Clock (MHz).")] = 1000.0,
    dram_gbps: Annotated[float, typer.Option("--dram-gbps", help="DRAM bandwidth (GB/s).")] = 25.6,
    workload: Workload = "resnet50",
    convention: Annotated[str, typer.Option("--convention", help="rtl or scalesim.")] = "rtl",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (totals and layers).")
    ] = False,
    as_csv: Annotated[
        bool, typer.Option("--csv", help="Print the per-layer table as CSV.")
    ] = False,
) -> None:
    """Per-layer cycles, utilization, energy and traffic, and totals, for one array."""
    from accelsmith.core.errors import ConfigError

    if as_json and as_csv:
        raise ConfigError("--json and --csv cannot be combined: choose one output format")
    if dataflow == "is":  # input-stationary exists only in the SCALE-Sim convention
        values = o.systolic_params(
            config,
            rows=rows,
            cols=cols,
            dataflow="os",
            in_bits=in_bits,
            signed=signed,
            acc_bits=acc_bits,
            max_k=max_k,
        ).to_dict() | {"dataflow": "is"}
    else:
        values = o.systolic_params(
            config,
            rows=rows,
            cols=cols,
            dataflow=dataflow,
            in_bits=in_bits,
            signed=signed,
            acc_bits=acc_bits,
            max_k=max_k,
        ).to_dict()
    # Without --max-k (flag or --config) the model sizes the accumulator for the workload's
    # deepest layer, so it is exact everywhere; an explicit --acc-bits is kept as given.
    in_file = o.config_keys(config)
    if max_k is None and "max_k" not in in_file:
        values.pop("max_k")
        if acc_bits is None and "acc_bits" not in in_file:
            values.pop("acc_bits")
    for key, v in (("ifmap_kb", ifmap_kb), ("filter_kb", filter_kb), ("ofmap_kb", ofmap_kb)):
        if v is not None:
            values[key] = v
    values |= {"freq_mhz": freq_mhz, "dram_gbps": dram_gbps}
    layers, total = cost_frames("systolic", values, workload, node, tech_file, convention)
    if machine_output(layers, total, as_json=as_json, as_csv=as_csv):
        return
    _print_tables(layers, total, workload, node, convention)


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
    return False


def _print_tables(layers, total, workload: str, node: int, convention: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if Console().is_terminal else 120)
    t = Table(title=f"{workload}: per layer ({convention} convention)")
    for name in ("layer", "M", "N", "K", "x", "cycles", "util", "stall", "energy", "DRAM"):
        t.add_column(name, justify="left" if name == "layer" else "right")
    for r in layers.itertuples():
        stall = r.stall_cycles / r.cycles if r.cycles else 0.0
        t.add_row(
            str(r.layer),
            str(r.M),
            str(r.N),
            str(r.K),
            str(r.count),
            f"{r.cycles:,.0f}",
            f"{100 * r.utilization:.1f}%",
            f"{100 * stall:.1f}%",
            _human(r.energy_j, "J"),
            _human(r.dram_bytes, "B"),
        )
    console.print(t)
    s = Table(
        title=f"totals ({int(total.rows)}x{int(total.cols)} {total.dataflow}, "
        f"{node} nm, {total.freq_mhz:g} MHz)",
        show_header=False,
    )
    s.add_column("metric")
    s.add_column("value", justify="right")
    rows = [
        (
            "cycles",
            f"{total.cycles:,.0f} ({100 * total.stall_cycles / total.cycles:.1f}% memory stalls)",
        ),
        ("latency", _human(total.latency_s, "s")),
        ("energy", _human(total.energy_j, "J")),
        (
            "  MAC / registers / SRAM / DRAM / leakage",
            " / ".join(
                f"{100 * total[k] / total.energy_j:.0f}%"
                for k in (
                    "energy_mac_j",
                    "energy_reg_j",
                    "energy_sram_j",
                    "energy_dram_j",
                    "energy_leak_j",
                )
            ),
        ),
        ("power", _human(total.power_w, "W")),
        ("area", f"{total.area_mm2:.3f} mm^2"),
        (
            "  array / skew / control / SRAM",
            " / ".join(
                f"{100 * total[k] / total.area_um2:.0f}%"
                for k in ("area_array_um2", "area_skew_um2", "area_control_um2", "area_sram_um2")
            ),
        ),
        (
            "utilization",
            f"{100 * total.utilization:.1f}% (mapping {100 * total.mapping_efficiency:.1f}%)",
        ),
        (
            "throughput",
            f"{total.tops:.3f} TOPS, {total.tops_per_w:.2f} TOPS/W, "
            f"{total.tops_per_mm2:.3f} TOPS/mm^2",
        ),
        ("DRAM traffic", _human(total.dram_bytes, "B")),
    ]
    for k, v in rows:
        s.add_row(k, v)
    console.print(s)
    if bool(total.exceeds_max_k):
        console.print(
            f"[yellow]note:[/] a layer has K = {int(total.max_layer_k)} > max_k = "
            f"{int(total.max_k)}: the {int(total.acc_bits)}-bit accumulator may wrap"
        )


# family plug-ins add their commands after the systolic one
register_all("cost", app)
