"""``accelsmith generate|verify|cost lut-core``: the LUT-tensor-core family's commands."""

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from accelsmith.core.families.lut_core import LutCoreParams

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
    table = f"{p.table_entries}-entry {'symmetric' if p.symmetric else 'full'} tables"
    if p.symmetric:
        table += f" ({p.negation} negation)"
    out = "A @ W" if p.bias_correction else "A @ Q'"
    return (
        f"K={p.group_size}, W{p.weight_bits} x A{p.act_bits}, {p.tile_m}x{p.tile_n} tile, "
        f"{table}, {p.acc_bits}-bit results ({out})"
    )


def _generate(app: typer.Typer) -> None:
    @family_command(app, "generate", "lut-core", LutCoreParams)
    def lut_core(
        flags: Flags,
        name: ModuleName = None,
        out: OutDir = Path("build"),
    ) -> None:
        """LUT tensor core: low-bit weights x integer activations by table lookup."""

        from accelsmith.cli.generate import print_generated
        from accelsmith.generate import generate

        p = flags.params()
        print_generated(generate(p, out, name), _describe(p))


def _verify(app: typer.Typer) -> None:
    @family_command(app, "verify", "lut-core", LutCoreParams)
    def lut_core(
        flags: Flags,
        tiles: Annotated[
            int, typer.Option("--tiles", help="Random tiles on top of the corner cases.")
        ] = 40,
        seed: Annotated[int, typer.Option("--seed", help="Seed of stimulus, gaps, stalls.")] = 0,
        report: Report = None,
        workdir: Workdir = None,
    ) -> int:
        """LUT tensor core: corner cases, back-to-back tiles and random stalls vs. the models."""

        from accelsmith.cli.verify import run_verify

        return run_verify(
            flags.params(), tiles=tiles, seed=seed, report=report, workdir=workdir, unit="tiles"
        )


_COST_ORDER = (
    "config",
    "arrays",
    "act_kb",
    "weight_kb",
    "node",
    "tech_file",
    "freq_mhz",
    "dram_gbps",
)


def _cost(app: typer.Typer) -> None:
    @family_command(app, "cost", "lut-core", LutCoreParams, _COST_ORDER)
    def lut_core(
        flags: Flags,
        node: Node = 45,
        tech_file: TechFile = None,
        workload: Annotated[
            str, typer.Option("--workload", help="Built-in name or a file.")
        ] = "llama2-7b-decode",
        baseline: Annotated[
            bool, typer.Option("--baseline/--no-baseline", help="Also cost the MAC array.")
        ] = True,
        as_json: AsJson = False,
        as_csv: AsCsv = False,
        pairs: Annotated[
            bool,
            typer.Option(
                "--pairs",
                help="Instead: LUT vs MAC unit for W_INT{1,2,4,8} x A_{FP16,INT8,INT4} "
                "(the paper's comparison) at --node, with --group-size/--tile-m/--tile-n.",
            ),
        ] = False,
        mac_operands: Annotated[
            str,
            typer.Option("--mac-operands", help="With --pairs: native (a x w) or square."),
        ] = "native",
    ) -> None:
        """Per-layer cycles, energy and area of one LUT core on a workload (vs. a MAC array)."""
        from accelsmith.cli.cost import check_formats, cost_frames, machine_output
        from accelsmith.core.params import merge_config
        from accelsmith.models.tech import Tech

        check_formats(as_json, as_csv)
        given = flags.given
        if pairs:
            tech = Tech.at_node(node)
            if tech_file is not None:
                tech = Tech.from_yaml(tech_file, base=tech)
            tile_n = given["tile_n"]
            p = merge_config(  # default: the paper's M2N64K4 unit
                LutCoreParams,
                flags.config,
                {
                    "group_size": given["group_size"],
                    "tile_m": given["tile_m"],
                    "tile_n": 64 if tile_n is None and flags.config is None else tile_n,
                },
            )
            _print_pairs(p, tech, given["freq_mhz"], mac_operands, as_json, as_csv)
            return
        values = flags.params().to_dict() | flags.model
        layers, total = cost_frames("lut-core", values, workload, node, tech_file)
        if machine_output(layers, total, as_json=as_json, as_csv=as_csv):
            return
        _print_cost(layers, total, workload, node, baseline)


def _print_pairs(
    p: Any, tech: Any, freq_mhz: float, mac_operands: str, as_json: bool, as_csv: bool
) -> None:
    from rich.console import Console
    from rich.table import Table

    from accelsmith.cli.cost import jsonable
    from accelsmith.models.lut_vs_mac import dp_comparison

    df = dp_comparison(
        tech,
        group_size=p.group_size,
        tile_m=p.tile_m,
        tile_n=p.tile_n,
        freq_mhz=freq_mhz,
        mac_operands=mac_operands,
    )
    if as_csv:
        df.to_csv(sys.stdout, index=False)
        return
    if as_json:
        print(json.dumps([jsonable(r) for r in df.to_dict("records")], indent=1))
        return
    console = Console(width=None if Console().is_terminal else 120)
    t = Table(
        title=f"LUT vs MAC unit, M{p.tile_m}N{p.tile_n}K{p.group_size}, {tech.node_nm} nm, "
        f"{freq_mhz:g} MHz, MAC operands {mac_operands}"
    )
    for name in (
        "weights",
        "acts",
        "LUT TOPS/mm^2",
        "MAC TOPS/mm^2",
        "density",
        "LUT TOPS/W",
        "MAC TOPS/W",
        "efficiency",
        "best",
    ):
        t.add_column(name, justify="left" if name in ("weights", "acts", "best") else "right")
    for r in df.itertuples():
        t.add_row(
            f"INT{r.weight_bits}",
            r.act.upper(),
            f"{r.lut_tops_mm2:.2f}",
            f"{r.mac_tops_mm2:.2f}",
            f"{r.density_gain:.2f}x",
            f"{r.lut_tops_w:.2f}",
            f"{r.mac_tops_w:.2f}",
            f"{r.efficiency_gain:.2f}x",
            "[green]LUT[/]" if r.lut_wins else "MAC",
        )
    console.print(t)
    console.print(
        f"LUT best in {int(df.lut_wins.sum())} of {len(df)} pairs (paper: 11 of 12, all but "
        "W_INT8 x A_INT4; see accelsmith.models.lut_vs_mac)"
    )


def _print_cost(layers: Any, total: Any, workload: str, node: int, baseline: bool) -> None:
    from rich.console import Console

    console = Console(width=None if Console().is_terminal else 120)
    console.print(_layer_table(layers, workload))
    console.print(_totals_table(total, node, baseline))
    attn = layers[layers.weight_passes != layers.weight_bits]
    if len(attn):
        console.print(
            f"[yellow]note:[/] {', '.join(map(str, attn.layer))} multiply two activation "
            f"operands: costed with {int(total.act_bits)} bit-serial passes (act_bits), a model "
            "extension beyond the generated RTL"
        )
    if bool(total.exceeds_max_k):
        console.print(
            f"[yellow]note:[/] a layer has K = {int(total.max_layer_k)} > max_k = "
            f"{int(total.max_k)}: the {int(total.acc_bits)}-bit results may wrap"
        )


def _layer_table(layers: Any, workload: str) -> Any:
    from rich.table import Table

    from ..cost import _human

    t = Table(title=f"{workload}: per layer (lut-core)")
    for name in (
        "layer",
        "M",
        "N",
        "K",
        "x",
        "cycles",
        "util",
        "stall",
        "energy",
        "MAC-array cycles",
        "MAC-array energy",
    ):
        t.add_column(name, justify="left" if name == "layer" else "right")
    for r in layers.itertuples():
        t.add_row(
            str(r.layer),
            str(r.M),
            str(r.N),
            str(r.K),
            str(r.count),
            f"{r.cycles:,.0f}",
            f"{100 * r.utilization:.1f}%",
            f"{100 * r.stall_cycles / r.cycles:.1f}%",
            _human(r.energy_j, "J"),
            f"{r.mac_cycles:,.0f}",
            _human(r.mac_energy_j, "J"),
        )
    return t


def _totals_table(total: Any, node: int, baseline: bool) -> Any:
    from rich.table import Table

    from ..cost import _human

    s = Table(title=f"totals ({node} nm, {total.freq_mhz:g} MHz)", show_header=False)
    s.add_column("metric")
    s.add_column("value", justify="right")
    parts = (
        "precompute",
        "table",
        "mux",
        "negation",
        "shift_add",
        "accumulator",
        "sram",
        "dram",
        "leak",
    )
    rows = [
        (
            "cycles",
            f"{total.cycles:,.0f} ({100 * total.stall_cycles / total.cycles:.1f}% memory stalls)",
        ),
        ("latency", _human(total.latency_s, "s")),
        ("energy", _human(total.energy_j, "J")),
        (
            "  " + " / ".join(parts),
            " / ".join(f"{100 * total[f'energy_{k}_j'] / total.energy_j:.0f}%" for k in parts),
        ),
        ("power", _human(total.power_w, "W")),
        ("area", f"{total.area_mm2:.4f} mm^2 (compute {total.area_compute_um2 / 1e6:.4f} mm^2)"),
        ("utilization", f"{100 * total.utilization:.1f}%"),
        (
            "throughput",
            f"{total.tops:.3f} TOPS, {total.tops_per_w:.2f} TOPS/W, "
            f"{total.tops_per_mm2:.3f} TOPS/mm^2",
        ),
    ]
    if baseline:
        rows += [
            (
                "MAC array (same tile shape, act x weight multipliers)",
                f"{total.mac_cycles:,.0f} cycles, {_human(total.mac_energy_j, 'J')}, "
                f"{total.mac_area_compute_um2 / 1e6:.4f} mm^2 compute",
            ),
            (
                "LUT vs MAC: compute density / energy efficiency",
                f"{total.density_gain:.2f}x / {total.efficiency_gain:.2f}x",
            ),
        ]
    for k, v in rows:
        s.add_row(k, v)
    return s


def register(kind: str, app: typer.Typer) -> None:
    """Add the ``lut-core`` command to the ``generate``, ``verify`` or ``cost`` group."""
    {"generate": _generate, "verify": _verify, "cost": _cost}.get(kind, lambda _app: None)(app)
