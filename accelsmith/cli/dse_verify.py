"""``accelsmith dse verify-front``: generate, verify and synthesize a campaign's best Pareto
designs (issue 15 item 4).

In its own module, beside the ``dse`` group that registers it, so that the ``dse`` commands
(a campaign worker's ``accelsmith dse worker`` among them) do not load the ``synth``
command group and the ``generate`` families it is built from; everything the command runs
is imported when it runs.
"""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["verify_front_command"]


def verify_front_command(
    target: Annotated[str, typer.Argument(help="Campaign spec YAML or run folder.")],
    top: Annotated[int, typer.Option("--top", help="Best Pareto designs to check.")] = 3,
    synth_target: Annotated[
        str, typer.Option("--target", help="sky130hd (default) or ecp5.")
    ] = "sky130hd",
    storage: Annotated[
        str | None, typer.Option("--storage", help="Storage URL (default: the campaign's).")
    ] = None,
    explorer: Annotated[
        str | None, typer.Option("--explorer", help="Front of one explorer (default: all).")
    ] = None,
    tiles: Annotated[int, typer.Option("--tiles", help="Random tiles per verification.")] = 4,
    seed: Annotated[int, typer.Option("--seed", help="Verification seed.")] = 0,
) -> int:
    """Generate, verify on Verilator and synthesize the best Pareto designs; store the measured
    numbers beside the model's in the campaign storage and flag designs that leave the front."""
    from rich.console import Console
    from rich.table import Table

    from accelsmith.core.errors import ConfigError
    from accelsmith.dse.campaign import make_storage, resolve_target
    from accelsmith.dse.silicon import verify_front
    from accelsmith.dse.storage import close_storage, open_storage

    if synth_target not in ("sky130hd", "ecp5"):
        raise ConfigError(f"--target must be sky130hd or ecp5, not {synth_target!r}")
    if top < 1:
        raise ConfigError(f"--top must be >= 1, not {top!r}")
    spec, url = resolve_target(target, storage)
    # a missing or foreign storage is refused read-only first: the write opening creates it
    close_storage(open_storage(url))
    store = make_storage(url)
    console = Console(width=None if Console().is_terminal else 140)
    with console.status("checking the front ...") as status:
        records = verify_front(
            store,
            spec,
            top=top,
            target=synth_target,
            explorer=explorer,
            tiles=tiles,
            seed=seed,
            progress=lambda m: status.update(m),
        )
    table = Table(title=f"silicon check of {spec.name} ({synth_target})")
    for col in ("design", "verified", "Fmax MHz", "model -> measured", "error", "front"):
        table.add_column(col)
    failed = False
    for r in records:
        moves = "; ".join(
            f"{m} {r['model'][m]:.4g} -> {v:.4g}"
            for m, v in r["measured"].items()
            if m in r["model"]
        )
        errs = "; ".join(f"{m} {e:+.1f}%" for m, e in r["error_pct"].items())
        ok = r["verified"] and r["cycles_match"]
        failed |= not ok
        table.add_row(
            f"{r['explorer']}#{r['number']} {r['design']}",
            "pass" if ok else "FAIL",
            "-" if r["fmax_mhz"] is None else f"{r['fmax_mhz']:.1f}",
            moves or "-",
            errs or "-",
            "OFF the front" if r["off_front"] else "stays",
        )
    console.print(table)
    if any(r["node_differs"] for r in records):
        console.print(
            f"note: the campaign's node is {getattr(spec, 'node_nm', 45)} nm, silicon is "
            "sky130 (130 nm): areas are reported, not compared (run the campaign at node_nm: "
            "130 to compare)"
        )
    console.print(f"stored in {url} (study user attribute 'silicon_check')", markup=False)
    return 1 if failed else 0
