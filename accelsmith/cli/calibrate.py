"""``accelsmith calibrate``: re-synthesize the datapath components and rewrite the 130 nm
calibration data (``accelsmith/models/calib_sky130.json`` unless ``--out``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def calibrate_command(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Data file to write (default: the packaged calib_<target>.json)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the data as JSON.")] = False,
    synth_target: Annotated[
        str,
        typer.Option(
            "--target",
            help="sky130hd (default; calib_sky130.json) or ecp5 (calib_ecp5.json: LUT4/FF/"
            "MULT18X18D/DP16KD and placed-and-routed Fmax of the components).",
        ),
    ] = "sky130hd",
    kinds: Annotated[
        str | None,
        typer.Option(
            "--kinds",
            help="Re-run only these components (comma-separated names or patterns, e.g. "
            "'lutctxm_*,pimchan_*'; ecp5: 'bank_*,lkcore_*') and update their samples in the "
            "existing data file, keeping every other sample.",
        ),
    ] = None,
    new_widths: Annotated[
        bool,
        typer.Option(
            "--new-widths",
            help="With --kinds (sky130hd): synthesize only the widths the data file has no "
            "sample of yet and keep its existing samples (a width added to the calibration).",
        ),
    ] = False,
) -> int:
    """Synthesize multipliers, adders, muxes, registers and enable fan-outs on sky130hd at the
    widths the families use (cached), and write the samples the 130 nm cost model uses;
    ``--target ecp5``: the ECP5 component samples of :mod:`accelsmith.models.ecp5`."""
    if synth_target not in ("sky130hd", "ecp5"):
        from accelsmith.core.errors import ConfigError

        raise ConfigError(f"--target must be sky130hd or ecp5, not {synth_target!r}")
    if new_widths and (kinds is None or synth_target != "sky130hd"):
        from accelsmith.core.errors import ConfigError

        raise ConfigError("--new-widths needs --kinds and --target sky130hd")
    if synth_target == "ecp5":
        from .calibrate_ecp5 import calibrate_ecp5_command

        return calibrate_ecp5_command(out, as_json, kinds)
    from rich.console import Console
    from rich.table import Table

    from accelsmith.synth.calibrate import DEFAULT_OUT, calibrate, select_kinds, update

    target = Path(out) if out is not None else DEFAULT_OUT
    if not target.parent.is_dir():
        from accelsmith.core.errors import OutputError

        raise OutputError(f"--out {target}: folder {target.parent} does not exist")
    chosen = select_kinds(kinds) if kinds is not None else None
    console = Console()
    before = target.read_bytes() if new_widths and target.is_file() else None
    with console.status("synthesizing components on sky130hd ..."):
        data = (
            calibrate(target) if chosen is None else update(chosen, target, new_widths=new_widths)
        )
    if before is not None and not as_json and target.read_bytes() == before:
        typer.echo(f"nothing to synthesize: {target} has every width of {', '.join(chosen)}")
        return 0
    if chosen is not None:  # print the components that were re-run, from every table
        tables = ("samples", "ctx_samples", "pim_samples", "simd_samples")
        data = {
            **data,
            "samples": {
                k: rows for t in tables for k, rows in data.get(t, {}).items() if k in chosen
            },
        }
    if as_json:
        typer.echo(json.dumps(data, indent=1))
        return 0
    table = Table(title="sky130hd components (pre-layout, typical corner)")
    for col in ("component", "width", "op area um^2", "flops", "energy/op pJ", "period ns"):
        table.add_column(col, justify="left" if col == "component" else "right")
    for kind, rows in data["samples"].items():
        for r in rows:
            period = "-" if r["period_ns"] is None else f"{r['period_ns']:.3f}"
            table.add_row(
                kind,
                str(r["width"]),
                f"{r['op_area_um2']:.1f}",
                str(r["flops"]),
                f"{r['energy_j'] * 1e12:.4f}",
                period,
            )
    console.print(table)
    prov = data["provenance"]
    console.print(f"tools: {prov['tools']}", markup=False, style="dim")
    console.print(f"written {target} ({prov['date']})")
    return 0
