"""``accelsmith workloads``: the built-in workloads (or a file's layers) with their sizes."""

from __future__ import annotations

import json
from typing import Annotated

import typer


def workloads_command(
    workload: Annotated[
        str | None,
        typer.Argument(help="Show this workload's layers (built-in name or file) instead."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the built-in workloads with layer counts and total MACs, or one workload's layers."""
    from accelsmith.models.networks import builtin, builtin_names
    from accelsmith.models.workloads import load_workload

    if workload is not None:
        _show_layers(load_workload(workload), as_json)
        return
    entries = []
    for name in builtin_names():
        wl = builtin(name)
        entries.append(
            {
                "name": name,
                "layers": len(wl.layers),
                "instances": wl.instances,
                "macs": wl.total_macs,
                "description": wl.description,
                "source": wl.source,
            }
        )
    if as_json:
        print(json.dumps(entries, indent=1))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="built-in workloads (batch 1)")
    for col in ("name", "layers", "instances", "GMACs", "description"):
        table.add_column(
            col, justify="right" if col in ("layers", "instances", "GMACs") else "left"
        )
    for e in entries:
        table.add_row(
            e["name"],
            str(e["layers"]),
            str(e["instances"]),
            f"{e['macs'] / 1e9:,.3f}",
            e["description"],
        )
    Console(width=None if Console().is_terminal else 130).print(table)


def _show_layers(wl, as_json: bool) -> None:
    g = wl.to_gemms()
    rows = [
        {
            "layer": str(g["names"][i]),
            "kind": str(g["kind"][i]),
            "role": str(g["role"][i]),
            "M": int(g["M"][i]),
            "N": int(g["N"][i]),
            "K": int(g["K"][i]),
            "count": int(g["count"][i]),
            "macs": int(g["M"][i] * g["N"][i] * g["K"][i] * g["count"][i]),
        }
        for i in range(len(g["names"]))
    ]
    if as_json:
        print(json.dumps({"name": wl.name, "macs": wl.total_macs, "layers": rows}, indent=1))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"{wl.name}: {len(rows)} layers, {wl.instances} instances, "
        f"{wl.total_macs / 1e9:,.3f} GMACs"
    )
    for col in ("layer", "kind", "role", "M", "N", "K", "count", "MMACs"):
        table.add_column(col, justify="left" if col in ("layer", "kind", "role") else "right")
    for r in rows:
        table.add_row(
            r["layer"],
            r["kind"],
            r["role"],
            str(r["M"]),
            str(r["N"]),
            str(r["K"]),
            str(r["count"]),
            f"{r['macs'] / 1e6:,.2f}",
        )
    Console(width=None if Console().is_terminal else 130).print(table)
