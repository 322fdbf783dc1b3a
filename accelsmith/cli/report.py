"""``accelsmith report`` and ``accelsmith dashboard``: look at what a campaign found."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from .dse_reference import reference_option

Target = Annotated[
    str,
    typer.Argument(
        help="Campaign spec YAML, run folder (runs/<name>/), storage file or storage URL.",
        show_default=False,
    ),
]
CampaignOpt = Annotated[
    str | None,
    typer.Option("--campaign", help="Campaign to show when the storage holds several."),
]


def report_command(
    target: Target,
    out: Annotated[
        Path | None,
        typer.Option("-o", "--out", help="HTML file to write (default <run folder>/report.html)."),
    ] = None,
    png: Annotated[
        Path | None,
        typer.Option("--png", help="Also write every figure as a PNG into this folder."),
    ] = None,
    campaign: CampaignOpt = None,
    storage: Annotated[
        str | None,
        typer.Option(
            "--storage",
            help="Optuna storage URL of the campaign (as for the dse commands; default: the "
            "target's).",
        ),
    ] = None,
    reference: Annotated[str | None, reference_option()] = None,
) -> None:
    """Write a self-contained HTML report (Pareto fronts, hypervolume, designs, breakdowns)."""
    from accelsmith.reports.extract import load_campaign, resolve_target
    from accelsmith.reports.html import build_report, prepare_pngs, write_pngs, write_report

    source = resolve_target(target, campaign, storage=storage)
    camp = load_campaign(source)
    if reference:  # ref-rl's hook: a stored reference front for the strict measures
        camp = _with_reference(camp, reference)
    rep = build_report(camp)
    if png is not None:  # a bad --png folder or no Chromium: refused before the HTML is written
        prepare_pngs(png)
    if out is None:
        out = _default_out(source.storage, camp.name)
    path = write_report(rep, camp, out)
    print(f"report: {path.resolve()}")
    if png is not None:
        paths = write_pngs(rep, png)
        print(f"figures: {len(paths)} PNG files in {Path(png).resolve()}")


def _with_reference(camp: Any, reference: str) -> Any:
    import dataclasses

    from accelsmith.dse.reference import load_reference
    from accelsmith.dse.spec import parse_spec

    spec = parse_spec(camp.info.get("spec", {}), source=f"campaign {camp.name}")
    return dataclasses.replace(camp, reference=load_reference(reference, spec).as_reference())


def _default_out(storage: str, name: str) -> Path:
    for prefix in ("sqlite:///", "journal:"):
        if storage.startswith(prefix):
            return Path(storage[len(prefix) :]).parent / "report.html"
    return Path(f"{name}-report.html")


def dashboard_command(
    targets: Annotated[
        list[str],
        typer.Argument(
            help="One or more campaign specs, run folders, storage files or URLs (several: "
            "compare campaigns side by side).",
            show_default=False,
        ),
    ],
    port: Annotated[int, typer.Option("--port", help="TCP port.", min=1, max=65535)] = 8050,
    host: Annotated[
        str,
        typer.Option("--host", help="Interface to bind (default loopback only; 0.0.0.0: all)."),
    ] = "127.0.0.1",
    interval: Annotated[
        float,
        typer.Option(
            "--interval", help="Seconds between storage polls (live updates).", min=0.1, max=86400
        ),
    ] = 2.0,
    campaign: CampaignOpt = None,
) -> None:
    """Serve the interactive dashboard (live while a campaign runs)."""
    from accelsmith.reports.dashboard import serve

    serve(targets, host=host, port=port, interval=interval, campaign=campaign)
