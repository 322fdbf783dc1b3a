"""``accelsmith generate|verify|cost systolic``: the systolic-array family's commands.

Parameter options come from the declarations of
:class:`~accelsmith.core.families.systolic.SystolicParams` (see :mod:`accelsmith.cli.options`).
"""

# no `from __future__ import annotations`: the commands' option types are evaluated where
# they are defined (family_command reads the signature)
from pathlib import Path
from typing import Annotated, Any

import typer

from accelsmith.core.families.systolic import SystolicParams

from ..options import Flags, ModuleName, Node, OutDir, TechFile, family_command

#: listed first among the families (`accelsmith generate --help`, usage errors)
ORDER = 0


def _describe(p: Any) -> str:
    return (
        f"{p.rows}x{p.cols} {p.dataflow.upper()}, "
        f"{'s' if p.signed else 'u'}{p.in_bits} inputs, "
        f"{p.acc_bits}-bit accumulators"
    )


def _generate(app: typer.Typer) -> None:
    @family_command(app, "generate", "systolic", SystolicParams)
    def systolic(
        flags: Flags,
        name: ModuleName = None,
        out: OutDir = Path("build"),
    ) -> None:
        """Systolic array (output- or weight-stationary) computing one rows x cols tile."""
        from accelsmith.cli.generate import print_generated
        from accelsmith.generate import generate

        params = flags.params()
        print_generated(generate(params, out, name), _describe(params))


def _verify(app: typer.Typer) -> None:
    from ..options import Report, Workdir
    from ..verify import Seed, Tiles

    @family_command(app, "verify", "systolic", SystolicParams)
    def systolic(
        flags: Flags,
        tiles: Tiles = 40,
        seed: Seed = 0,
        report: Report = None,
        workdir: Workdir = None,
    ) -> int:
        """Systolic array: corner cases, back-to-back tiles and random stalls vs. the models."""
        from accelsmith.cli.verify import run_verify

        return run_verify(
            flags.params(), tiles=tiles, seed=seed, report=report, workdir=workdir, unit="tiles"
        )


def _cost(app: typer.Typer) -> None:
    from ..cost import Workload

    order = ("config", "ifmap_kb", "filter_kb", "ofmap_kb", "node", "tech_file", "freq_mhz")

    @family_command(app, "cost", "systolic", SystolicParams, order)
    def systolic(
        flags: Flags,
        node: Node = 45,
        tech_file: TechFile = None,
        workload: Workload = "resnet50",
        convention: Annotated[str, typer.Option("--convention", help="rtl or scalesim.")] = "rtl",
        as_json: Annotated[
            bool, typer.Option("--json", help="Print JSON (totals and layers).")
        ] = False,
        as_csv: Annotated[
            bool, typer.Option("--csv", help="Print the per-layer table as CSV.")
        ] = False,
    ) -> None:
        """Per-layer cycles, utilization, energy and traffic, and totals, for one array."""
        from accelsmith.cli.cost import check_formats, cost_frames, machine_output

        check_formats(as_json, as_csv)
        given = flags.given
        if given["dataflow"] == "is":  # input-stationary exists only in the SCALE-Sim convention
            values = flags.params(dataflow="os").to_dict() | {"dataflow": "is"}
        else:
            values = flags.params().to_dict()
        # Without --max-k (flag or --config) the model sizes the accumulator for the workload's
        # deepest layer, so it is exact everywhere; an explicit --acc-bits is kept as given.
        in_file = flags.config_keys()
        if given["max_k"] is None and "max_k" not in in_file:
            values.pop("max_k")
            if given["acc_bits"] is None and "acc_bits" not in in_file:
                values.pop("acc_bits")
        values |= flags.model
        layers, total = cost_frames("systolic", values, workload, node, tech_file, convention)
        if machine_output(layers, total, as_json=as_json, as_csv=as_csv):
            return
        _print_tables(layers, total, workload, node, convention)


def _print_tables(layers: Any, total: Any, workload: str, node: int, convention: str) -> None:
    from rich.console import Console
    from rich.table import Table

    from ..cost import _human

    console = Console(width=None if Console().is_terminal else 120)
    t = Table(title=f"{workload}: per layer ({convention} convention)")
    for name in ("layer", "M", "N", "K", "x", "cycles", "util", "stall", "energy", "DRAM"):
        t.add_column(name, justify="left" if name == "layer" else "right")
    for r in layers.itertuples():
        stall = r.stall_cycles / r.cycles if r.cycles else 0.0
        t.add_row(
            str(r.layer),
            str(r.M),
            str(r.N),
            str(r.K),
            str(r.count),
            f"{r.cycles:,.0f}",
            f"{100 * r.utilization:.1f}%",
            f"{100 * stall:.1f}%",
            _human(r.energy_j, "J"),
            _human(r.dram_bytes, "B"),
        )
    console.print(t)
    s = Table(
        title=f"totals ({int(total.rows)}x{int(total.cols)} {total.dataflow}, "
        f"{node} nm, {total.freq_mhz:g} MHz)",
        show_header=False,
    )
    s.add_column("metric")
    s.add_column("value", justify="right")
    rows = [
        (
            "cycles",
            f"{total.cycles:,.0f} ({100 * total.stall_cycles / total.cycles:.1f}% memory stalls)",
        ),
        ("latency", _human(total.latency_s, "s")),
        ("energy", _human(total.energy_j, "J")),
        (
            "  MAC / registers / SRAM / DRAM / leakage",
            " / ".join(
                f"{100 * total[k] / total.energy_j:.0f}%"
                for k in (
                    "energy_mac_j",
                    "energy_reg_j",
                    "energy_sram_j",
                    "energy_dram_j",
                    "energy_leak_j",
                )
            ),
        ),
        ("power", _human(total.power_w, "W")),
        ("area", f"{total.area_mm2:.3f} mm^2"),
        (
            "  array / skew / control / SRAM",
            " / ".join(
                f"{100 * total[k] / total.area_um2:.0f}%"
                for k in ("area_array_um2", "area_skew_um2", "area_control_um2", "area_sram_um2")
            ),
        ),
        (
            "utilization",
            f"{100 * total.utilization:.1f}% (mapping {100 * total.mapping_efficiency:.1f}%)",
        ),
        (
            "throughput",
            f"{total.tops:.3f} TOPS, {total.tops_per_w:.2f} TOPS/W, "
            f"{total.tops_per_mm2:.3f} TOPS/mm^2",
        ),
        ("DRAM traffic", _human(total.dram_bytes, "B")),
    ]
    for k, v in rows:
        s.add_row(k, v)
    console.print(s)
    if bool(total.exceeds_max_k):
        console.print(
            f"[yellow]note:[/] a layer has K = {int(total.max_layer_k)} > max_k = "
            f"{int(total.max_k)}: the {int(total.acc_bits)}-bit accumulator may wrap"
        )


def register(kind: str, app: typer.Typer) -> None:
    """Add the ``systolic`` command to the ``generate``, ``verify`` or ``cost`` group."""
    {"generate": _generate, "verify": _verify, "cost": _cost}.get(kind, lambda _app: None)(app)
