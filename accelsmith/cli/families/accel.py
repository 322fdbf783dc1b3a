"""``accelsmith generate|verify|cost accel``: the complete accelerator family's commands."""

from pathlib import Path
from typing import Annotated, Any

import typer

from accelsmith.core.families.accel import AccelParams

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

#: listed after the bare-array families (systolic, lut-core, pim, simd): the complete
#: accelerator builds on them (see the package docstring for ORDER)
ORDER = 200

# no `from __future__ import annotations`: the commands' option types are evaluated where
# they are defined (family_command reads the signature)

Workload = Annotated[
    str | None,
    typer.Option("--workload", help="Run layers of this built-in workload (reduced sizes)."),
]
Layer = Annotated[
    str | None, typer.Option("--layer", help="With --workload: the layer to run (name).")
]
Latency = Annotated[
    int, typer.Option("--latency", help="DRAM read latency of the testbench (cycles).")
]
Stall = Annotated[
    float,
    typer.Option("--stall", help="Random AXI back-pressure probability per channel (0..0.9)."),
]


def _check_dram(latency: int, stall: float) -> None:
    """The testbench DRAM of ``verify``/``run``: one-line errors for --latency and --stall."""
    from accelsmith.core.errors import ConfigError

    if not 0 <= latency <= 1000:
        raise ConfigError(f"latency must be an integer in 0..1000, not {latency}")
    if not 0.0 <= stall <= 0.9:
        raise ConfigError(f"stall must be a number in 0..0.9, not {stall}")


def describe(p: Any) -> str:
    return (
        f"{p.rows}x{p.cols} {p.dataflow.upper()} s{p.in_bits} array, acc {p.acc_bits} bits, "
        f"A/B/acc {p.a_kib}/{p.b_kib}/{p.acc_kib} KiB (2 banks each), AXI4 {p.bus_bits}-bit "
        f"(bursts <= {p.burst_len}, {p.dma_outstanding} in flight), queue {p.queue_depth}"
    )


def _generate(app: typer.Typer) -> None:
    @family_command(app, "generate", "accel", AccelParams)
    def accel(
        flags: Flags,
        name: ModuleName = None,
        out: OutDir = Path("build"),
    ) -> None:
        """Complete accelerator: array, scratchpads, accumulator, AXI4 DMA, AXI4-Lite, queue."""
        from accelsmith.cli.generate import print_generated
        from accelsmith.generate import generate

        p = flags.params()
        print_generated(generate(p, out, name), describe(p))


def _verify(app: typer.Typer) -> None:
    @family_command(app, "verify", "accel", AccelParams)
    def accel(
        flags: Flags,
        tiles: Annotated[
            int, typer.Option("--tiles", help="Random GEMMs (and convolutions) per test.")
        ] = 6,
        seed: Annotated[int, typer.Option("--seed", help="Seed of shapes, data, stalls.")] = 0,
        workload: Workload = None,
        layer: Layer = None,
        latency: Latency = 8,
        stall: Stall = 0.0,
        report: Report = None,
        workdir: Workdir = None,
    ) -> int:
        """Accelerator: GEMMs, convolutions, layer chains, illegal commands; cycles vs model."""
        import json
        import tempfile

        from accelsmith.cli.verify import run_verify
        from accelsmith.core.errors import ConfigError

        p = flags.params()
        _check_dram(latency, stall)
        if layer is not None and workload is None:
            raise ConfigError("--layer needs --workload")
        if workload is not None:
            import numpy as np

            from accelsmith.sim.benches.accel_cases import workload_case

            workload_case(p, np.random.default_rng(0), workload, layer)  # bad names fail now
        extra = {"latency": latency, "stall": stall, "workload": workload, "layer": layer}
        path = report or Path(tempfile.mkdtemp(prefix="accelsmith-")) / "report.json"
        code = run_verify(
            p, tiles=tiles, seed=seed, report=path, workdir=workdir, unit="programs", extra=extra
        )
        doc = json.loads(Path(path).read_text())
        print_layer_cycles(doc, exact=stall == 0)
        timing = [e for t in doc["tests"] for e in t.get("timing", [])]
        print_layer_energy(p, timing, latency=latency, stall=stall)
        return code


def print_layer_cycles(report: dict, *, exact: bool) -> None:
    """Per layer: measured and modelled cycles and their difference."""
    from rich.console import Console
    from rich.table import Table

    t = Table(title="cycles per layer: measured vs model (runtime.timing)")
    for c in ("test", "layer", "measured", "model", "difference"):
        t.add_column(c, justify="left" if c in ("test", "layer") else "right")
    for test in report["tests"]:
        for e in test.get("timing", []):
            diff = (e["measured"] - e["predicted"]) / max(e["predicted"], 1)
            t.add_row(
                test["name"],
                str(e["what"]),
                str(e["measured"]),
                str(e["predicted"]),
                f"{100 * diff:+.2f}%",
            )
    Console(width=None if Console().is_terminal else 110).print(t)
    rule = (
        "exact expected (fixed latency, no back-pressure)"
        if exact
        else "random back-pressure: within 5 % of the model with the same pause probability"
    )
    Console().print(f"cycle check: {rule}; see the wrong-timings column above")


def _energy_rows(p: Any, timing: list[dict], latency: int, stall: float) -> list[dict]:
    from accelsmith.runtime.shapes import ConvShape
    from accelsmith.sim.accel_energy import layer_energy

    freq = {s.name: s.default for s in AccelParams.model_params}["freq_mhz"]
    shapes = [ConvShape(**e["shape"]) for e in timing if "shape" in e]
    return layer_energy(
        p, shapes, timing, node=ENERGY_NODE, freq_mhz=freq, latency=latency, stall=stall
    )


#: technology node of the energies printed by ``verify accel`` and ``run accel``
ENERGY_NODE = 45


def print_layer_energy(p: Any, timing: list[dict], *, latency: int, stall: float) -> None:
    """Per layer: event-count energy measured on the RTL vs the cost model's, by part."""
    from rich.console import Console
    from rich.table import Table

    from accelsmith.sim.accel_energy import PARTS

    from ..cost import _human

    rows = _energy_rows(p, timing, latency, stall)
    if not rows:
        return
    t = Table(
        title=f"energy per layer ({ENERGY_NODE} nm): measured (RTL event counters x the cost "
        "model's per-event energies) / cost model"
    )
    for c in ("layer", *PARTS, "total", "difference"):
        t.add_column(c, justify="left" if c == "layer" else "right")
    for r in rows:
        mea, mod = r["measured"], r["model"]
        cells = [f"{_human(mea[k], 'J')} / {_human(mod[k], 'J')}" for k in PARTS]
        diff = (mea["total"] - mod["total"]) / max(mod["total"], 1e-30)
        t.add_row(
            r["layer"],
            *cells,
            f"{_human(mea['total'], 'J')} / {_human(mod['total'], 'J')}",
            f"{100 * diff:+.1f}%",
        )
    Console(width=None if Console().is_terminal else 160).print(t)
    Console().print(
        "event-count energy (like Accelergy action counts), not a power simulation; "
        "parts: array = MAC slots, sram = scratchpad/accumulator accesses, dram = bus beats"
    )


def print_layer_events(timing: list[dict]) -> None:
    """Per layer: the performance counters vs the compiler's expected event counts."""
    from rich.console import Console
    from rich.table import Table

    from accelsmith.core import accel_isa as isa

    entries = [e for e in timing if "events" in e]
    if not entries:
        return
    t = Table(title="performance counters (RTL) vs expected from the command stream")
    t.add_column("counter", justify="left")
    for e in entries:
        t.add_column(f"{e['what']} RTL", justify="right")
        t.add_column("expected", justify="right")
    for name, key, _ in isa.COUNTERS:
        cells = []
        for e in entries:
            cells += [f"{e['events'][key]:,}", f"{e['expected_events'][key]:,}"]
        t.add_row(name, *cells)
    Console(width=None if Console().is_terminal else 120).print(t)


def _cost(app: typer.Typer) -> None:
    @family_command(app, "cost", "accel", AccelParams)
    def accel(
        flags: Flags,
        node: Node = 45,
        tech_file: TechFile = None,
        workload: Annotated[
            str, typer.Option("--workload", help="Built-in name or a file.")
        ] = "resnet50",
        as_json: AsJson = False,
        as_csv: AsCsv = False,
    ) -> None:
        """Per-layer cycles (the compiler's schedule), DRAM traffic, energy; area and totals."""
        from accelsmith.cli.cost import check_formats, cost_frames, machine_output

        check_formats(as_json, as_csv)
        values = flags.params().to_config() | flags.model
        layers, total = cost_frames("accel", values, workload, node, tech_file)
        if machine_output(layers, total, as_json=as_json, as_csv=as_csv):
            return
        _print_cost(layers, total, workload, node)


def _print_cost(layers: Any, total: Any, workload: str, node: int) -> None:
    from rich.console import Console
    from rich.table import Table

    from ..cost import _human

    console = Console(width=None if Console().is_terminal else 120)
    t = Table(title=f"{workload}: per layer (accel)")
    for name in ("layer", "M", "N", "K", "x", "cycles", "DRAM bytes", "energy"):
        t.add_column(name, justify="left" if name == "layer" else "right")
    for r in layers.itertuples():
        t.add_row(
            str(r.layer),
            str(r.M),
            str(r.N),
            str(r.K),
            str(r.count),
            f"{r.cycles:,.0f}",
            f"{r.dram_bytes:,.0f}",
            _human(r.energy_j, "J"),
        )
    console.print(t)
    s = Table(title=f"totals ({node} nm, {total.freq_mhz:g} MHz)", show_header=False)
    s.add_column("metric")
    s.add_column("value", justify="right")
    e = total.energy_j
    parts = (
        "energy_array_j",
        "energy_sram_j",
        "energy_dram_j",
        "energy_output_stage_j",
        "energy_leak_j",
    )
    a = total.area_um2
    aparts = ("area_array_um2", "area_sram_um2", "area_output_stage_um2", "area_dma_control_um2")
    rows = [
        ("cycles", f"{total.cycles:,.0f}"),
        ("latency", _human(total.latency_s, "s")),
        ("energy", _human(e, "J")),
        (
            "  array / SRAM / DRAM / output / leakage",
            " / ".join(f"{100 * total[k] / e:.0f}%" for k in parts),
        ),
        ("DRAM traffic", f"{total.dram_bytes:,.0f} bytes"),
        ("power", _human(total.power_w, "W")),
        ("area", f"{total.area_mm2:.4f} mm^2"),
        (
            "  array / SRAM / output stage / DMA+control",
            " / ".join(f"{100 * total[k] / a:.0f}%" for k in aparts),
        ),
        ("utilization of peak", f"{100 * total.utilization:.1f}%"),
        ("throughput", f"{total.tops:.4f} TOPS, {total.tops_per_w:.3f} TOPS/W"),
    ]
    for k, v in rows:
        s.add_row(k, v)
    console.print(s)


Gemm = Annotated[
    str | None, typer.Option("--gemm", help="A GEMM MxKxN instead of a workload layer.")
]
Scale = Annotated[
    int,
    typer.Option(
        "--scale",
        help="Divide the layer's channels by this (1: full size; >1 also "
        "cuts the image to at most 8 output pixels a side).",
    ),
]


def _case(
    p: Any, workload: str | None, layer: str | None, gemm: str | None, scale: int, seed: int
) -> tuple:
    import numpy as np

    from accelsmith.core.errors import ConfigError
    from accelsmith.sim.benches.accel_cases import case_from

    if (workload is None) == (gemm is None):
        raise ConfigError("give either --workload (with --layer) or --gemm")
    if layer is not None and workload is None:
        raise ConfigError("--layer needs --workload")
    if not 1 <= scale <= 1024:
        raise ConfigError(f"scale must be an integer in 1..1024, not {scale}")
    extra = {"workload": workload, "layer": layer, "gemm": gemm, "scale": scale}
    case = case_from(p, np.random.default_rng(seed), extra)
    assert case is not None
    return case, extra


def compile_command(app: typer.Typer) -> None:
    """Register ``accelsmith compile`` (the accel family's compiler) on the root app."""

    @family_command(app, "verify", "compile", AccelParams)
    def compile_(
        flags: Flags,
        workload: Annotated[
            str | None, typer.Option("--workload", help="Built-in workload or a file.")
        ] = None,
        layer: Annotated[
            str | None, typer.Option("--layer", help="Layer of --workload (default: first).")
        ] = None,
        gemm: Gemm = None,
        scale: Scale = 1,
        seed: Annotated[int, typer.Option("--seed", help="Seed of the random tensors.")] = 0,
        out: OutDir = Path("build"),
    ) -> None:
        """Compile a layer for an accel configuration: command stream and DRAM image."""
        from rich.console import Console

        from accelsmith.runtime import compile_layers

        p = flags.params()
        (layers, x, ws, qs), _ = _case(p, workload, layer, gemm, scale, seed)
        prog = compile_layers(p, layers, x, ws, qs)
        _write_program(p, prog, out)
        console = Console(width=None if Console().is_terminal else 140)
        console.print(_program_table(p, prog))
        for name in ("program.json", "commands.hex", "image.bin"):
            console.print(f"  wrote {out / name}")


def _write_program(p: AccelParams, prog: Any, out: Path) -> None:
    """``image.bin``, ``commands.hex`` and ``program.json`` of a compiled program."""
    import json

    from accelsmith.core.errors import OutputError

    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "image.bin").write_bytes(prog.image.tobytes())
        (out / "commands.hex").write_text("".join(f"{w:032x}\n" for w in prog.words()))
        doc = {
            "parameters": p.to_dict(),
            "layers": [vars(s) for s in prog.layers],
            "mappings": [vars(m) for m in prog.mappings],
            "quant": [
                {
                    "shift": q.shift,
                    "relu": q.relu,
                    "scale": q.scale,
                    "scales": list(q.scales) if q.scales is not None else None,
                }
                for q in prog.quants
            ],
            "regions": {k: {"offset": o, "bytes": n} for k, (o, n) in prog.regions.items()},
            "dram_size": prog.dram_size,
            "commands": [{"op": c.op, **c.fields} for c in prog.commands],
        }
        (out / "program.json").write_text(json.dumps(doc, indent=1) + "\n")
    except OSError as exc:
        raise OutputError(f"--out {out} cannot be written: {exc.strerror}") from None


def _program_table(p: AccelParams, prog: Any):
    """One row per layer: shape, mapping, command count, DRAM traffic, model cycles."""
    from rich.table import Table

    from accelsmith.runtime.timing import layer_cycles

    t = Table(title=f"{describe(p)}")
    for c in (
        "layer",
        "shape",
        "tk",
        "order",
        "tiles m x n x k",
        "commands",
        "DRAM bytes",
        "model cycles",
    ):
        t.add_column(c, justify="left" if c in ("layer", "shape", "order") else "right")
    for i, (s, mp) in enumerate(zip(prog.layers, prog.mappings, strict=True)):
        n = sum(1 for c in prog.commands if c.layer == i)
        t.add_row(
            s.name,
            f"{s.h}x{s.w}x{s.c} -> {s.out_h}x{s.out_w}x{s.k_out} ({s.r}x{s.s}/"
            f"{s.stride}, pad {s.pad}, groups {s.groups})",
            str(mp.tk),
            mp.order,
            f"{mp.m_tiles} x {mp.n_tiles} x {mp.k_tiles}",
            str(n),
            f"{mp.dram_bytes:,}",
            f"{layer_cycles(p, s, mp, 8):,}",
        )
    return t


def _run(app: typer.Typer) -> None:
    @family_command(app, "verify", "accel", AccelParams)
    def accel(
        flags: Flags,
        workload: Workload = None,
        layer: Layer = None,
        gemm: Gemm = None,
        scale: Scale = 8,
        seed: Annotated[int, typer.Option("--seed", help="Seed of the random tensors.")] = 0,
        latency: Latency = 8,
        stall: Stall = 0.0,
        workdir: Workdir = None,
    ) -> int:
        """Compile a layer and run it on the generated accelerator in Verilator."""
        from rich.console import Console

        from accelsmith.sim.verify import verify

        p = flags.params()
        _check_dram(latency, stall)
        (layers, *_), extra = _case(p, workload, layer, gemm, scale, seed)
        console = Console()
        with console.status(f"building and simulating {p.default_name()} ..."):
            rep = verify(
                p,
                tiles=1,
                seed=seed,
                workdir=workdir,
                extra=extra | {"latency": latency, "stall": stall},
            )
        build = "reused" if rep.build_cached else f"built in {rep.build_seconds:.1f} s"
        console.print(f"{p.default_name()}: {describe(p)}")
        console.print(f"simulator {build}; simulation {rep.sim_seconds:.1f} s")
        for t in rep.tests:
            for e in t.timing:
                s = layers[0]
                diff = (e["measured"] - e["predicted"]) / max(e["predicted"], 1)
                ok = "bit-exact" if t.mismatches == 0 and not t.errors else "WRONG"
                console.print(
                    f"{e['what']}: {s.h}x{s.w}x{s.c} -> {s.out_h}x{s.out_w}x{s.k_out}, "
                    f"{s.macs:,} MACs; outputs {ok} vs numpy; cycles measured "
                    f"{e['measured']:,}, modelled {e['predicted']:,} ({100 * diff:+.2f}%)"
                )
            for err in t.errors[:5]:
                console.print(err, style="red", markup=False)
        timing = [e for t in rep.tests for e in t.timing]
        print_layer_events(timing)
        print_layer_energy(p, timing, latency=latency, stall=stall)
        if rep.passed:
            console.print("[bold green]PASS[/]")
            return 0
        console.print("[bold red]FAIL[/]")
        return 1


def register(kind: str, app: typer.Typer) -> None:
    """Add the ``accel`` command to the ``generate``, ``verify``, ``cost`` or ``run`` group."""
    {"generate": _generate, "verify": _verify, "cost": _cost, "run": _run}.get(
        kind, lambda _app: None
    )(app)
