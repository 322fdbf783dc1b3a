"""``accelsmith calibrate --target ecp5``: map the datapath components to ECP5 (and place and
route the timing ones) and rewrite ``accelsmith/models/calib_ecp5.json`` (unless ``--out``)."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def calibrate_ecp5_command(out: Path | None, as_json: bool, kinds: str | None = None) -> int:
    """Run :func:`accelsmith.synth.calibrate_ecp5.calibrate_ecp5` (``kinds``: only those
    components, :func:`~accelsmith.synth.calibrate_ecp5.update_ecp5`) and print its samples."""
    from rich.console import Console
    from rich.table import Table

    from accelsmith.synth.calibrate_ecp5 import (
        DEFAULT_OUT,
        calibrate_ecp5,
        select_names,
        update_ecp5,
    )

    target = Path(out) if out is not None else DEFAULT_OUT
    if not target.parent.is_dir():
        from accelsmith.core.errors import OutputError

        raise OutputError(f"--out {target}: folder {target.parent} does not exist")
    chosen = select_names(kinds) if kinds is not None else None
    console = Console(stderr=as_json)
    with console.status("mapping components to ECP5 (synth_ecp5, nextpnr-ecp5) ..."):
        data = calibrate_ecp5(target) if chosen is None else update_ecp5(chosen, target)
    if chosen is not None:  # print the components that were re-run
        data = {**data, "samples": [r for r in data["samples"] if r["name"] in chosen]}
    if as_json:
        typer.echo(json.dumps(data, indent=1))
        return 0
    table = Table(title=f"ECP5 components ({data['provenance']['device']}, out of context)")
    for col in ("component", "LUT4", "FF", "MULT18X18D", "DP16KD", "DPR16X4", "Fmax MHz"):
        table.add_column(col, justify="left" if col == "component" else "right")
    for r in data["samples"]:
        fmax = r.get("fmax_mhz")
        table.add_row(
            r["name"],
            *(str(r[k]) for k in ("LUT4", "FF", "MULT18X18D", "DP16KD", "TRELLIS_DPR16X4")),
            "-" if fmax is None else f"{fmax:.1f}",
        )
    console.print(table)
    prov = data["provenance"]
    console.print(f"tools: {prov['tools']}", markup=False, style="dim")
    console.print(f"written {target} ({prov['date']})")
    return 0
