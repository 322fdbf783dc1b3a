"""``accelsmith generate <family>``: write Verilog, a JSON manifest and a FuseSoC core."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from . import options as o
from .families import register_all

app = typer.Typer(help="Generate Verilog for an accelerator configuration.", no_args_is_help=True)


@app.command("systolic")
def systolic(
    rows: o.Rows = None,
    cols: o.Cols = None,
    dataflow: o.Dataflow = None,
    in_bits: o.InBits = None,
    signed: o.Signed = None,
    acc_bits: o.AccBits = None,
    max_k: o.MaxK = None,
    config: o.Config = None,
    name: Annotated[str | None, typer.Option("--name", help="Top module and file name.")] = None,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("build"),
) -> None:
    """Systolic array (output- or weight-stationary) computing one rows x cols tile."""

    from accelsmith.generate import generate

    params = o.systolic_params(
        config,
        rows=rows,
        cols=cols,
        dataflow=dataflow,
        in_bits=in_bits,
        signed=signed,
        acc_bits=acc_bits,
        max_k=max_k,
    )
    emitted = generate(params, out, name)
    print_generated(
        emitted,
        f"{params.rows}x{params.cols} {params.dataflow.upper()}, "
        f"{'s' if params.signed else 'u'}{params.in_bits} inputs, "
        f"{params.acc_bits}-bit accumulators",
    )


def print_generated(emitted: Any, description: str) -> None:
    """The module name, a one-line description and the files ``generate`` wrote."""
    from rich.console import Console

    console = Console()
    console.print(f"[bold]{emitted.verilog.stem}[/]: {description}")
    for path in (emitted.verilog, emitted.manifest, emitted.core):
        console.print(f"  wrote {path}")


# family plug-ins add their commands after the systolic one
register_all("generate", app)
