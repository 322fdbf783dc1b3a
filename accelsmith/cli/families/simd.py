"""``accelsmith generate|verify|cost simd``: the mixed-precision SIMD family's commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from .. import options as o

LaneBits = Annotated[
    int | None, typer.Option("--lane-bits", help="Word width W: 4, 8, 16 or 32 bits.")
]
Lanes = Annotated[int | None, typer.Option("--lanes", help="Words per beat (1..64).")]
Formats = Annotated[
    str | None,
    typer.Option(
        "--formats",
        help="Comma-separated modes, in mode-code order: int4, int8, fp4_e2m1, fp8_e4m3, "
        "fp8_e5m2, posit4_1, posit8_0, posit16_1, posit8_0xfp4_e2m1.",
    ),
]
Acc = Annotated[
    str | None, typer.Option("--acc", help="exact (quire, one rounding) or fp32 (RNE per MAC).")
]
Pipeline = Annotated[int | None, typer.Option("--pipeline", help="Stages before the accumulator.")]
PowerGating = Annotated[
    int | None, typer.Option("--power-gating", help="Gated lane groups (0: none; divides lanes).")
]
MaxK = Annotated[
    int | None, typer.Option("--max-k", help="Deepest exact dot product of the quire.")
]

OutFormat = Annotated[
    str | None,
    typer.Option("--out-format", help="Result format: fp32, bf16, fp16, posit16_1 or posit8_0."),
]

_FLAGS = (
    "lane_bits",
    "lanes",
    "formats",
    "acc",
    "pipeline",
    "power_gating",
    "max_k",
    "out_format",
)


def simd_params(config: Path | None, **flags: Any) -> Any:
    """Merge ``--config`` (if any) with the flags given; flags win."""
    from accelsmith.core.families.simd import SimdParams

    values: dict[str, Any] = {}
    if config is not None:
        values = SimdParams.from_yaml(config).to_dict()
    values.update({k: v for k, v in flags.items() if v is not None})
    return SimdParams.from_dict(values, source="parameters")


def _describe(p: Any) -> str:
    modes = ", ".join(f"{f} ({p.macs_per_cycle(f)} MAC/cycle)" for f in p.formats)
    gate = f", {p.power_gating} gated groups" if p.power_gating else ""
    return (
        f"{p.lanes} x {p.lane_bits}-bit words, {p.acc} accumulation, {p.out_format} results, "
        f"pipeline {p.pipeline}{gate}; modes {modes}"
    )


def _generate(app: typer.Typer) -> None:
    @app.command("simd")
    def simd(
        lane_bits: LaneBits = None,
        lanes: Lanes = None,
        formats: Formats = None,
        acc: Acc = None,
        pipeline: Pipeline = None,
        power_gating: PowerGating = None,
        max_k: MaxK = None,
        out_format: OutFormat = None,
        config: o.Config = None,
        name: Annotated[
            str | None, typer.Option("--name", help="Top module and file name.")
        ] = None,
        out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("build"),
    ) -> None:
        """Mixed-precision SIMD MAC engine (INT, OCP FP8/FP4, posit) with lane splitting."""

        from accelsmith.cli.generate import print_generated
        from accelsmith.generate import generate

        p = simd_params(config, **_pick(locals()))
        emitted = generate(p, out, name)
        print_generated(emitted, _describe(p))


def _pick(scope: dict[str, Any]) -> dict[str, Any]:
    return {k: scope[k] for k in _FLAGS}


def _verify(app: typer.Typer) -> None:
    @app.command("simd")
    def simd(
        lane_bits: LaneBits = None,
        lanes: Lanes = None,
        formats: Formats = None,
        acc: Acc = None,
        pipeline: Pipeline = None,
        power_gating: PowerGating = None,
        max_k: MaxK = None,
        out_format: OutFormat = None,
        config: o.Config = None,
        tiles: Annotated[
            int, typer.Option("--tiles", help="Random dot products per test (products x 50).")
        ] = 24,
        seed: Annotated[int, typer.Option("--seed", help="Seed of stimulus, gaps, stalls.")] = 0,
        report: Annotated[
            Path | None, typer.Option("--report", help="Also write the report as JSON.")
        ] = None,
        workdir: Annotated[
            Path | None, typer.Option("--workdir", help="Keep configuration, logs and waves.")
        ] = None,
    ) -> int:
        """SIMD engine: exhaustive products, specials, lanes, dot products, gating vs. models."""

        from accelsmith.cli.verify import run_verify

        p = simd_params(config, **_pick(locals()))
        return run_verify(
            p, tiles=tiles, seed=seed, report=report, workdir=workdir, unit="dot products"
        )


def _cost(app: typer.Typer) -> None:
    @app.command("simd")
    def simd(
        lane_bits: LaneBits = None,
        lanes: Lanes = None,
        formats: Formats = None,
        acc: Acc = None,
        pipeline: Pipeline = None,
        power_gating: PowerGating = None,
        max_k: MaxK = None,
        out_format: OutFormat = None,
        config: o.Config = None,
        layer_formats: Annotated[
            str,
            typer.Option(
                "--layer-formats",
                help="auto (cheapest mode meeting --min-sqnr-db), widest, narrowest, one mode, "
                "or one mode per layer (comma-separated).",
            ),
        ] = "auto",
        min_sqnr_db: Annotated[
            float, typer.Option("--min-sqnr-db", help="SQNR a layer needs under auto (dB).")
        ] = 20.0,
        tensors: Annotated[
            Path | None,
            typer.Option("--tensors", help="Folder of <layer>_weights.npy / <layer>_acts.npy."),
        ] = None,
        buffer_kb: Annotated[
            float, typer.Option("--buffer-kb", help="Each operand/result buffer (KiB).")
        ] = 64.0,
        node: Annotated[int, typer.Option("--node", help="Technology node in nm.")] = 45,
        tech_file: Annotated[
            Path | None, typer.Option("--tech", help="YAML overriding the technology table.")
        ] = None,
        freq_mhz: Annotated[float, typer.Option("--freq-mhz", help="Clock (MHz).")] = 1000.0,
        workload: Annotated[
            str, typer.Option("--workload", help="Built-in name or a file.")
        ] = "resnet50",
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        as_csv: Annotated[bool, typer.Option("--csv", help="Print per-layer CSV.")] = False,
    ) -> None:
        """Per-layer mode, cycles, energy and SQNR, and totals, for one SIMD engine."""
        from accelsmith.cli.cost import cost_frames, machine_output
        from accelsmith.core.errors import ConfigError

        if as_json and as_csv:
            raise ConfigError("--json and --csv cannot be combined: choose one output format")
        p = simd_params(config, **_pick(locals()))
        values = p.to_dict() | {
            "formats": ",".join(p.formats),
            "layer_formats": layer_formats,
            "min_sqnr_db": min_sqnr_db,
            "tensors": str(tensors) if tensors is not None else "",
            "buffer_kb": buffer_kb,
            "freq_mhz": freq_mhz,
        }
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
