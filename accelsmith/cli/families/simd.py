"""``accelsmith generate|verify|cost simd``: the mixed-precision SIMD family's commands."""

from pathlib import Path
from typing import Annotated, Any

import typer

from accelsmith.core.families.simd import SimdParams

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


def _describe(p: Any) -> str:
    modes = ", ".join(f"{f} ({p.macs_per_cycle(f)} MAC/cycle)" for f in p.formats)
    gate = f", {p.power_gating} gated groups" if p.power_gating else ""
    return (
        f"{p.lanes} x {p.lane_bits}-bit words, {p.acc} accumulation, {p.out_format} results, "
        f"pipeline {p.pipeline}{gate}; modes {modes}"
    )


def _generate(app: typer.Typer) -> None:
    @family_command(app, "generate", "simd", SimdParams)
    def simd(
        flags: Flags,
        name: ModuleName = None,
        out: OutDir = Path("build"),
    ) -> None:
        """Mixed-precision SIMD MAC engine (INT, OCP FP8/FP4, posit) with lane splitting."""

        from accelsmith.cli.generate import print_generated
        from accelsmith.generate import generate

        p = flags.params()
        print_generated(generate(p, out, name), _describe(p))


def _verify(app: typer.Typer) -> None:
    @family_command(app, "verify", "simd", SimdParams)
    def simd(
        flags: Flags,
        tiles: Annotated[
            int, typer.Option("--tiles", help="Random dot products per test (products x 50).")
        ] = 24,
        seed: Annotated[int, typer.Option("--seed", help="Seed of stimulus, gaps, stalls.")] = 0,
        report: Report = None,
        workdir: Workdir = None,
    ) -> int:
        """SIMD engine: exhaustive products, specials, lanes, dot products, gating vs. models."""

        from accelsmith.cli.verify import run_verify

        return run_verify(
            flags.params(),
            tiles=tiles,
            seed=seed,
            report=report,
            workdir=workdir,
            unit="dot products",
        )


_COST_ORDER = (
    "config",
    "layer_formats",
    "min_sqnr_db",
    "tensors",
    "buffer_kb",
    "node",
    "tech_file",
    "freq_mhz",
)


def _cost(app: typer.Typer) -> None:
    @family_command(app, "cost", "simd", SimdParams, _COST_ORDER)
    def simd(
        flags: Flags,
        tensors: Annotated[
            Path | None,
            typer.Option("--tensors", help="Folder of <layer>_weights.npy / <layer>_acts.npy."),
        ] = None,
        node: Node = 45,
        tech_file: TechFile = None,
        workload: Annotated[
            str, typer.Option("--workload", help="Built-in name or a file.")
        ] = "resnet50",
        as_json: AsJson = False,
        as_csv: AsCsv = False,
    ) -> None:
        """Per-layer mode, cycles, energy and SQNR, and totals, for one SIMD engine."""
        from accelsmith.cli.cost import check_formats, cost_frames, machine_output

        check_formats(as_json, as_csv)
        values = flags.params().to_config() | flags.model
        values["tensors"] = str(tensors) if tensors is not None else ""
        layers, total = cost_frames("simd", values, workload, node, tech_file)
        if machine_output(layers, total, as_json=as_json, as_csv=as_csv):
            return
        _print_cost(layers, total, workload, node)


def _print_cost(layers: Any, total: Any, workload: str, node: int) -> None:
    from rich.console import Console
    from rich.table import Table

    from ..cost import _human

    console = Console(width=None if Console().is_terminal else 120)
    t = Table(title=f"{workload}: per layer (simd)")
    for name in ("layer", "M", "N", "K", "x", "mode", "SQNR dB", "cycles", "energy"):
        t.add_column(name, justify="left" if name in ("layer", "mode") else "right")
    for r in layers.itertuples():
        t.add_row(
            str(r.layer),
            str(r.M),
            str(r.N),
            str(r.K),
            str(r.count),
            str(r.layer_format),
            f"{r.sqnr_db:.1f}",
            f"{r.cycles:,.0f}",
            _human(r.energy_j, "J"),
        )
    console.print(t)
    s = Table(title=f"totals ({node} nm, {total.freq_mhz:g} MHz)", show_header=False)
    s.add_column("metric")
    s.add_column("value", justify="right")
    e = total.energy_j
    rows = [
        ("cycles", f"{total.cycles:,.0f}"),
        ("latency", _human(total.latency_s, "s")),
        ("energy", _human(e, "J")),
        (
            "  compute / SRAM / leakage",
            " / ".join(
                f"{100 * total[k] / e:.0f}%"
                for k in ("energy_compute_j", "energy_sram_j", "energy_leak_j")
            ),
        ),
        ("power", _human(total.power_w, "W")),
        ("area", f"{total.area_mm2:.4f} mm^2"),
        (
            "  decoders / multipliers / accumulators / registers / SRAM",
            " / ".join(
                f"{100 * total[k] / total.area_um2:.0f}%"
                for k in (
                    "area_decoders_um2",
                    "area_multipliers_um2",
                    "area_accumulators_um2",
                    "area_registers_um2",
                    "area_sram_um2",
                )
            ),
        ),
        ("utilization of peak", f"{100 * total.utilization:.1f}%"),
        ("throughput", f"{total.tops:.4f} TOPS, {total.tops_per_w:.3f} TOPS/W"),
        ("SQNR worst / MAC-weighted", f"{total.sqnr_db:.1f} / {total.sqnr_mean_db:.1f} dB"),
        ("modes used (layers)", str(total.layer_format_mix)),
    ]
    for k, v in rows:
        s.add_row(k, v)
    console.print(s)


def register(kind: str, app: typer.Typer) -> None:
    """Add the ``simd`` command to the ``generate``, ``verify`` or ``cost`` group."""
    {"generate": _generate, "verify": _verify, "cost": _cost}.get(kind, lambda _app: None)(app)
