"""``accelsmith generate|verify|cost pim``: the processing-in-memory family's commands."""

from pathlib import Path
from typing import Annotated, Any

import typer

from accelsmith.core.families.pim import PimParams

from ..options import AsJson, Flags, ModuleName, OutDir, Report, TechFile, Workdir, family_command

# no `from __future__ import annotations`: the commands' option types are evaluated where
# they are defined (family_command reads the signature)


def pim_params(config: Path | None, **flags: Any) -> Any:
    """Merge ``--config`` (if any) with the flags given (flags win); ``--timing FILE`` loads
    custom timing from YAML."""
    import yaml

    from accelsmith.core.families.pim import TIMING_FIELDS, TIMINGS, load_timing

    values: dict[str, Any] = {}
    if config is not None:
        PimParams.from_yaml(config)  # validates the file on its own
        values = dict(yaml.safe_load(config.read_text()) or {})
    timing = flags.pop("timing", None)
    if timing is not None and timing not in TIMINGS:
        values.update(load_timing(timing))
        values["timing"] = "custom"
    elif timing is not None:
        values["timing"] = timing
        if timing != "custom":  # a preset replaces file timing values not given as flags
            for f in TIMING_FIELDS:
                values.pop(f, None)
    values.update({k: v for k, v in flags.items() if v is not None})
    return PimParams.from_dict(values, source="parameters")


def _describe(p: Any) -> str:
    return (
        f"{p.banks} banks x {p.lanes} {p.precision} lanes, {p.rows} rows x {p.row_bytes} B "
        f"pages ({p.bursts_per_row} bursts of {p.burst_bits} b), timing {p.timing} "
        f"(tRCD {p.t_rcd}, tRP {p.t_rp}, tRAS {p.t_ras}, tCCD {p.t_ccd}, tFAW {p.t_faw})"
    )


def _generate(app: typer.Typer) -> None:
    @family_command(app, "generate", "pim", PimParams)
    def pim(
        flags: Flags,
        name: ModuleName = None,
        out: OutDir = Path("build"),
    ) -> None:
        """PIM channel: DRAM banks with MAC lanes, a timing checker and a GEMV engine."""
        from accelsmith.cli.generate import print_generated
        from accelsmith.generate import generate

        p = pim_params(flags.config, **flags.generator)
        print_generated(generate(p, out, name), _describe(p))


def _verify(app: typer.Typer) -> None:
    @family_command(app, "verify", "pim", PimParams)
    def pim(
        flags: Flags,
        tiles: Annotated[int, typer.Option("--tiles", help="Random GEMVs back to back.")] = 8,
        seed: Annotated[int, typer.Option("--seed", help="Seed of the stimulus.")] = 0,
        report: Report = None,
        workdir: Workdir = None,
    ) -> int:
        """PIM channel: timing rules, GEMV results and cycles, partial tiles, refresh, FP
        specials vs. the golden model and the command schedule."""
        from accelsmith.cli.verify import run_verify

        p = pim_params(flags.config, **flags.generator)
        return run_verify(
            p, tiles=tiles, seed=seed, report=report, workdir=workdir, unit="jobs/probes"
        )


#: the cost model's defaults of a real device, where the generator's are simulation-sized
_DEVICE = ("rows", "row_bytes", "banks")


def _cost(app: typer.Typer) -> None:
    order = (
        *(s.name for s in PimParams.model_params),
        "workload",
        "node",
        "tech_file",
        "config",
    )

    @family_command(app, "cost", "pim", PimParams, order)
    def pim(
        flags: Flags,
        workload: Annotated[
            str, typer.Option("--workload", help="Built-in name or a file.")
        ] = "llama2-7b-decode",
        node: Annotated[int, typer.Option("--node", help="Logic node (nm).")] = 45,
        tech_file: TechFile = None,
        as_json: AsJson = False,
        as_csv: Annotated[bool, typer.Option("--csv", help="Per-layer CSV.")] = False,
    ) -> None:
        """PIM (or NPU + PIM) latency, energy, area and throughput on a workload."""
        from accelsmith.cli.cost import check_formats, cost_frames, machine_output
        from accelsmith.models.pim import PIM_COLUMNS

        check_formats(as_json, as_csv)
        given = flags.generator
        in_file = flags.config_keys()
        for key in _DEVICE:  # not given (flag or --config): the cost model's device default
            if given[key] is None and key not in in_file:
                given[key] = PIM_COLUMNS[key][0]
        p = pim_params(flags.config, **given)
        values = p.to_dict() | flags.model
        if values["timing"] == "custom":  # the cost model takes a preset plus overrides
            values["timing"] = "hbm2"
        layers, total = cost_frames("pim", values, workload, node, tech_file)
        if machine_output(layers, total, as_json=as_json, as_csv=as_csv):
            return
        _print(layers, total, workload, p)


def _print(layers: Any, total: Any, workload: str, p: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    from ..cost import _human

    console = Console(width=None if Console().is_terminal else 120)
    t = Table(title=f"{workload}: per layer (batch {int(total.batch)})")
    for name in ("layer", "N", "K", "x", "engine", "time", "util", "energy"):
        t.add_column(name, justify="left" if name in ("layer", "engine") else "right")
    for r in layers.itertuples():
        t.add_row(
            str(r.layer),
            str(r.N),
            str(r.K),
            str(r.count),
            r.engine,
            _human(r.latency_s, "s"),
            f"{100 * r.utilization:.1f}%",
            _human(r.energy_j, "J"),
        )
    console.print(t)
    s = Table(title=f"totals ({_describe(p)}, {int(total.channels)} channels)", show_header=False)
    s.add_column("metric")
    s.add_column("value", justify="right")
    parts = ("act", "column", "mac", "io", "refresh", "npu")
    for k, v in (
        ("latency", _human(total.latency_s, "s")),
        (
            "  PIM / NPU busy",
            f"{_human(total.pim_seconds, 's')} / {_human(total.npu_seconds, 's')}",
        ),
        ("tokens/s", f"{total.tokens_per_s:.1f}"),
        ("energy", _human(total.energy_j, "J")),
        (
            "  " + " / ".join(parts),
            " / ".join(f"{100 * total[f'energy_{q}_j'] / total.energy_j:.0f}%" for q in parts),
        ),
        *_area_rows(total),
        ("PIM peak", f"{total.peak_tflops:.3f} TFLOPS"),
        ("throughput", f"{total.tops:.3f} TOPS ({100 * total.utilization:.1f}% of peak)"),
    ):
        s.add_row(k, v)
    console.print(s)


def _area_rows(total: Any) -> list[tuple[str, str]]:
    """The area lines: PIM logic + NPU; at 130 nm the bank arrays are costed as the flow's
    SRAM macros (``area_memory_um2``) and are in ``area_mm2``, so they are named apart."""
    memory = total.get("area_memory_um2") if hasattr(total, "get") else None
    if memory is None:
        return [("area (PIM logic + NPU)", f"{total.area_mm2:.3f} mm^2")]
    return [
        ("area (PIM logic + bank macros + NPU)", f"{total.area_mm2:.3f} mm^2"),
        ("  bank arrays as SRAM macros", f"{memory / 1e6:.3f} mm^2"),
    ]


def register(kind: str, app: typer.Typer) -> None:
    """Add ``pim`` to the ``generate``, ``verify`` or ``cost`` group."""
    {"generate": _generate, "verify": _verify, "cost": _cost}[kind](app)
