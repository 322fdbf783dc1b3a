"""Commands of a family that has no CLI plug-in of its own: built from its registry record.

A new family gets ``accelsmith generate|verify|cost <family>`` from its parameter declarations
alone (options, ``--config``, help from the params class docstring); a plug-in module in this
package replaces these with richer output (descriptions, per-family tables) when it wants.
"""

from pathlib import Path
from typing import Annotated, Any

import typer

from accelsmith.core.registry import Family

from ..options import (
    AsCsv,
    AsJson,
    Flags,
    ModuleName,
    Node,
    OutDir,
    Report,
    TechFile,
    Workdir,
    family_command,
)

# no `from __future__ import annotations`: the commands' option types are evaluated where
# they are defined (family_command reads the signature)

__all__ = ["describe", "register_generic"]


def describe(p: Any) -> str:
    """One line about a design: the params' own ``describe()`` or its parameter values."""
    own = getattr(p, "describe", None)
    if callable(own):
        return str(own())
    return ", ".join(f"{k}={v}" for k, v in p.to_dict().items())


def _summary(cls: type) -> str:
    doc = (cls.__doc__ or "").strip().splitlines()
    return doc[0] if doc else cls.__name__


def _generate(app: typer.Typer, fam: Family) -> None:
    cls = fam.params_class()

    def generate(
        flags: Flags,
        name: ModuleName = None,
        out: OutDir = Path("build"),
    ) -> None:
        from accelsmith.cli.generate import print_generated
        from accelsmith.generate import generate

        p = flags.params()
        print_generated(generate(p, out, name), describe(p))

    generate.__doc__ = _summary(cls)
    family_command(app, "generate", fam.name, cls)(generate)


def _verify(app: typer.Typer, fam: Family) -> None:
    cls = fam.params_class()

    def verify(
        flags: Flags,
        tiles: Annotated[
            int, typer.Option("--tiles", help="Random cases on top of the corner cases.")
        ] = 16,
        seed: Annotated[int, typer.Option("--seed", help="Seed of the stimulus.")] = 0,
        report: Report = None,
        workdir: Workdir = None,
    ) -> int:
        from accelsmith.cli.verify import run_verify

        return run_verify(
            flags.params(), tiles=tiles, seed=seed, report=report, workdir=workdir, unit="cases"
        )

    verify.__doc__ = f"{_summary(cls)} Bit-exact checks on Verilator vs. the golden model."
    family_command(app, "verify", fam.name, cls)(verify)


def _cost(app: typer.Typer, fam: Family) -> None:
    cls = fam.params_class()

    def cost(
        flags: Flags,
        node: Node = 45,
        tech_file: TechFile = None,
        workload: Annotated[
            str, typer.Option("--workload", help="Built-in name or a file.")
        ] = "resnet50",
        as_json: AsJson = False,
        as_csv: AsCsv = False,
    ) -> None:
        from accelsmith.cli.cost import check_formats, cost_frames, machine_output

        check_formats(as_json, as_csv)
        values = flags.params().to_config() | flags.model
        layers, total = cost_frames(fam.name, values, workload, node, tech_file)
        if machine_output(layers, total, as_json=as_json, as_csv=as_csv):
            return
        print_cost(fam.name, layers, total, workload, node)

    cost.__doc__ = f"Per-layer cycles and energy, and totals, of one {fam.name} design."
    family_command(app, "cost", fam.name, cls)(cost)


def print_cost(family: str, layers: Any, total: Any, workload: str, node: int) -> None:
    """Per-layer table and totals from the columns every cost model reports."""
    from rich.console import Console
    from rich.table import Table

    from ..cost import _human

    console = Console(width=None if Console().is_terminal else 120)
    t = Table(title=f"{workload}: per layer ({family})")
    for name in ("layer", "M", "N", "K", "x", "cycles", "energy"):
        t.add_column(name, justify="left" if name == "layer" else "right")
    for r in layers.itertuples():
        t.add_row(
            str(r.layer),
            str(r.M),
            str(r.N),
            str(r.K),
            str(r.count),
            f"{r.cycles:,.0f}",
            _human(r.energy_j, "J"),
        )
    console.print(t)
    s = Table(title=f"totals ({node} nm)", show_header=False)
    s.add_column("metric")
    s.add_column("value", justify="right")
    for k, v in (
        ("cycles", f"{total.cycles:,.0f}"),
        ("latency", _human(total.latency_s, "s")),
        ("energy", _human(total.energy_j, "J")),
        ("power", _human(total.power_w, "W")),
        ("area", f"{total.area_mm2:.4f} mm^2"),
        ("throughput", f"{total.tops:.4f} TOPS, {total.tops_per_w:.3f} TOPS/W"),
    ):
        s.add_row(k, v)
    console.print(s)


def register_generic(kind: str, app: typer.Typer, fam: Family) -> None:
    """Add the generic ``kind`` command (``generate``, ``verify`` or ``cost``) of ``fam``."""
    {"generate": _generate, "verify": _verify, "cost": _cost}[kind](app, fam)
