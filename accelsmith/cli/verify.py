"""``accelsmith verify <family>``: build (or reuse) the simulator and check the design."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from .families import register_all

app = typer.Typer(help="Verify a generated design bit-exactly on Verilator.", no_args_is_help=True)

Tiles = Annotated[int, typer.Option("--tiles", help="Random tiles on top of the corner cases.")]
Seed = Annotated[int, typer.Option("--seed", help="Seed of stimulus, gaps and back-pressure.")]


def _check_output(path: Path, option: str, *, folder: bool) -> None:
    """Fail now, not after minutes of building and simulating, if ``path`` cannot be written.

    The folder (and a report's parent folders) are created; a report file is opened for
    appending and removed again unless it existed.
    """
    import errno
    import os

    from accelsmith.core.errors import OutputError

    try:
        if folder:
            path.mkdir(parents=True, exist_ok=True)
        else:
            if path.is_dir():
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
            path.parent.mkdir(parents=True, exist_ok=True)
            existed = path.exists()
            with path.open("a"):
                pass
            if not existed:
                path.unlink()
    except OSError as exc:
        what = "created" if folder else "written"
        raise OutputError(f"{option} {path} cannot be {what}: {exc.strerror}") from None


def run_verify(
    params: Any,
    *,
    tiles: int,
    seed: int,
    report: Path | None,
    workdir: Path | None,
    unit: str = "tiles",
    extra: dict[str, Any] | None = None,
) -> int:
    """Build (or reuse) and simulate ``params``, print the per-test table; the exit code.

    Shared by every family's ``verify`` command; ``unit`` names what ``tiles`` counts for the
    family (tiles, dot products, GEMV jobs ...).
    """
    from rich.console import Console
    from rich.table import Table

    from accelsmith.sim.verify import verify

    if report is not None:
        _check_output(Path(report), "--report", folder=False)
    if workdir is not None:
        _check_output(Path(workdir), "--workdir", folder=True)
    console = Console(width=None if Console().is_terminal else 100)
    with console.status(f"building and simulating {params.default_name()} ..."):
        result = verify(params, tiles=tiles, seed=seed, workdir=workdir, extra=extra)
    table = Table(title=f"{result.name}: verification (seed {seed})")
    heads = ("test", unit, "wrong results", "wrong timings", "cycles measured", "cycles predicted")
    for col in (*heads, "result"):
        table.add_column(
            col, justify="left" if col in ("test", "result") else "right", no_wrap=col == "test"
        )
    for t in result.tests:
        table.add_row(
            t.name,
            str(t.tiles),
            str(t.mismatches),
            str(t.timing_mismatches),
            str(t.measured_cycles),
            str(t.predicted_cycles),
            "[green]pass[/]" if t.passed else "[red]FAIL[/]",
        )
    console.print(table)
    build = "reused" if result.build_cached else f"built in {result.build_seconds:.1f} s"
    console.print(
        f"simulator {build} (Verilator {result.verilator}); simulation {result.sim_seconds:.1f} s"
    )
    for t in result.tests:
        for err in t.errors[:5]:
            console.print(f"{t.name}: {err}", markup=False, style="red")
    if report is not None:
        result.write(report)
        console.print(f"report written to {report}")
    if result.passed:
        console.print("[bold green]PASS[/]")
        return 0
    console.print("[bold red]FAIL[/]")
    return 1


# every family plug-in (accelsmith/cli/families/) adds its command
register_all("verify", app)
