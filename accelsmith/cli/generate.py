"""``accelsmith generate <family>``: write Verilog, a JSON manifest and a FuseSoC core."""

from __future__ import annotations

from typing import Any

import typer

from .families import register_all

app = typer.Typer(help="Generate Verilog for an accelerator configuration.", no_args_is_help=True)


def print_generated(emitted: Any, description: str) -> None:
    """The module name, a one-line description and the files ``generate`` wrote."""
    from rich.console import Console

    console = Console()
    console.print(f"[bold]{emitted.verilog.stem}[/]: {description}")
    for path in (emitted.verilog, emitted.manifest, emitted.core):
        console.print(f"  wrote {path}")


# every family plug-in (accelsmith/cli/families/) adds its command
register_all("generate", app)
