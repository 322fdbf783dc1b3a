"""``accelsmith dse reference``: build and inspect stored reference fronts (issue 17 item 4).

See :mod:`accelsmith.dse.reference` for the layout of a reference campaign.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

app = typer.Typer(
    help="Reference fronts for spaces too large to enumerate: the union of long runs of "
    "several explorers and seeds, stored as a campaign of its own.",
    no_args_is_help=True,
)


def _explorer_list(text: str) -> list[str]:
    from accelsmith.core.errors import ConfigError
    from accelsmith.dse.explorers import explorer_names

    names = [n.strip() for n in text.split(",") if n.strip()]
    known = explorer_names()
    for n in names:
        if n not in known:
            raise ConfigError(
                f"--explorers must be a comma-separated list of {', '.join(known)}, not {n!r}"
            )
    if not names:
        raise ConfigError(f"--explorers must name at least one of {', '.join(known)}")
    return list(dict.fromkeys(names))


@app.command("build")
def build_command(
    spec: Annotated[str, typer.Argument(help="Campaign spec YAML (or its run folder).")],
    explorers: Annotated[
        str, typer.Option("--explorers", help="Comma-separated explorers to run.")
    ] = "nsga2,random",
    seeds: Annotated[int, typer.Option("--seeds", min=1, help="Seeds per explorer.")] = 5,
    first_seed: Annotated[int, typer.Option("--first-seed", min=0, help="First seed.")] = 0,
    budget: Annotated[
        int, typer.Option("--budget", min=1, help="Trials per run (runs already longer stay).")
    ] = 10_000,
    storage: Annotated[
        str | None,
        typer.Option(
            "--storage",
            help="Storage of the reference campaign (default sqlite:///runs/<name>/study.db).",
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--name", help="Reference campaign name (default <campaign>.reference)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="Only the final line.")] = False,
) -> None:
    """Run each explorer with each seed up to --budget trials (resuming runs already stored)
    and store the union of their fronts as the reference front `<name>@reference`."""
    from pathlib import Path

    from accelsmith.core.errors import ConfigError
    from accelsmith.dse.campaign import resolve_target
    from accelsmith.dse.reference import build_reference, reference_name
    from accelsmith.dse.spec import NAME_RE
    from accelsmith.dse.workers import Stopped, stop_on_signals

    names = _explorer_list(explorers)
    camp_spec, _ = resolve_target(spec, None)
    ref = name or reference_name(camp_spec)
    if not NAME_RE.match(ref):
        raise ConfigError(
            "--name must start with a letter or digit and hold only letters, digits, '.', '_' "
            f"and '-', not {ref!r}"
        )
    url = storage or f"sqlite:///{Path('runs') / ref / 'study.db'}"

    def on_run(e: str, seed: int, n: int, seconds: float) -> None:
        if not quiet:
            typer.echo(f"{e} seed {seed}: {n} trials ({seconds:.1f} s)")

    try:
        with stop_on_signals() as stop:
            front = build_reference(
                camp_spec,
                storage=url,
                explorers=names,
                seeds=range(first_seed, first_seed + seeds),
                budget=budget,
                name=ref,
                on_run=on_run,
                stop=stop,
                tick=lambda **_: stop.check(),
            )
    except Stopped as exc:
        typer.echo(
            f"stopped by {exc.signal_name}: finished trials kept; run the same command again "
            "to continue",
            err=True,
        )
        raise typer.Exit(exc.exit_code) from None
    assert front is not None  # update=True: the stored front is returned
    typer.echo(f"{front.description}; stored in {url} as study {ref}@reference")
    typer.echo(f"use: accelsmith dse status {spec} --reference {url}")


@app.command("recost")
def recost_command(
    spec: Annotated[str, typer.Argument(help="Campaign spec YAML (or its run folder).")],
    source: Annotated[
        str,
        typer.Argument(
            help="Storage URL, SQLite file or folder holding the campaign's reference front "
            "of an older results version."
        ),
    ],
    storage: Annotated[
        str | None,
        typer.Option(
            "--storage",
            help="Storage of the re-costed reference (default sqlite:///runs/<name>/study.db); "
            "must differ from the source's.",
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--name", help="Reference campaign name (default: the source's)."),
    ] = None,
) -> None:
    """Re-evaluate the designs of a reference front stored under an older results version
    with the current cost models and store them as the current version's reference (the
    front of --storage); say whether any value changed. New runs built in --storage
    (`dse reference build --storage`) join that front."""
    from pathlib import Path

    from accelsmith.core.errors import ConfigError
    from accelsmith.dse.campaign import resolve_target
    from accelsmith.dse.reference import recost_reference, reference_name
    from accelsmith.dse.spec import NAME_RE

    camp_spec, _ = resolve_target(spec, None)
    if name is not None and not NAME_RE.match(name):
        raise ConfigError(
            "--name must start with a letter or digit and hold only letters, digits, '.', '_' "
            f"and '-', not {name!r}"
        )
    ref = name or reference_name(camp_spec)
    url = storage or f"sqlite:///{Path('runs') / ref / 'study.db'}"
    front, meta = recost_reference(camp_spec, source, storage=url, name=name)
    typer.echo(
        f"re-costed {meta['designs']} designs of {meta['source']['study']} (results version "
        f"{meta['from_version']} -> {meta['to_version']}): {meta['changed']} objective vectors "
        f"changed (max relative change {meta['max_rel_change']:.3g}), {meta['infeasible']} now "
        f"infeasible, {meta['failed']} failed"
    )
    typer.echo(f"{front.description}; stored in {url} as study {front.name}@reference")
    typer.echo(f"use: accelsmith dse status {spec} --reference {url}")


@app.command("export")
def export_command(
    spec: Annotated[str, typer.Argument(help="Campaign spec YAML (or its run folder).")],
    source: Annotated[
        str, typer.Argument(help="Storage URL, SQLite file or folder of the reference campaign.")
    ],
    out: Annotated[str, typer.Option("--out", help="The .json file to write.")],
    join: Annotated[
        list[str] | None,
        typer.Option(
            "--join",
            help="Another storage whose runs of this campaign (e.g. a bench's ablation runs) "
            "join the union; repeatable.",
        ),
    ] = None,
) -> None:
    """Write the reference front of SPEC's campaign (its designs, objective vectors, the
    campaign identity and the runs it is the union of) to a small JSON file that `dse status
    --reference FILE`, `report --reference FILE`, `dse reference show` and the coexplore
    bench read without the runs' storage."""
    import numpy as np

    from accelsmith.dse.campaign import resolve_target
    from accelsmith.dse.reference import ReferenceFront
    from accelsmith.dse.reference_file import export_reference, write_reference_file

    camp_spec, _ = resolve_target(spec, None)
    doc = export_reference(camp_spec, source, join=join or ())
    path = write_reference_file(doc, out)
    front = ReferenceFront(
        values=np.array([p["values"] for p in doc["points"]], dtype=np.float64),
        name=doc["campaign"],
        storage=str(path),
        runs=doc["runs"],
    )
    typer.echo(f"{front.description} -> {path} ({path.stat().st_size / 1024:.0f} KiB)")
    typer.echo(f"use: accelsmith dse status {spec} --reference {path}")


@app.command("show")
def show_command(
    spec: Annotated[str, typer.Argument(help="Campaign spec YAML (or its run folder).")],
    reference: Annotated[
        str,
        typer.Argument(
            help="Storage URL, SQLite file or folder of the reference campaign, or its exported "
            ".json file."
        ),
    ],
    as_csv: Annotated[bool, typer.Option("--csv", help="Print the front's points as CSV.")] = False,
) -> None:
    """Which runs the stored reference front of SPEC's campaign is the union of, and its size."""
    from accelsmith.dse.campaign import resolve_target
    from accelsmith.dse.reference import load_reference

    camp_spec, _ = resolve_target(spec, None)
    front = load_reference(reference, camp_spec, label="reference")
    if as_csv:
        typer.echo(",".join(camp_spec.metric_names))
        for row in front.values:
            typer.echo(",".join(f"{v:.10g}" for v in row))
        return
    from accelsmith.dse.reference import recost_summary

    typer.echo(front.description)
    for r in front.runs:
        if "recosted" in r:
            typer.echo(f"  {recost_summary(r['recosted'])}")
        else:
            typer.echo(f"  {r['explorer']} seed {r['seed']}: {r['trials']} trials")


def reference_option() -> Any:
    """The ``--reference`` option of ``dse status`` (declared once here)."""
    return typer.Option(
        "--reference",
        help="Stored reference front (storage URL, SQLite file or folder; `dse reference "
        "build`), or a .json file of one (`dse reference export`), to measure recall / IGD+ / "
        "log HV against when there is no exact front.",
    )
