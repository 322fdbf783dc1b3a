"""``accelsmith generate|verify|cost pim``: the processing-in-memory family's commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from .. import options as o

Int = int | None
Rows = Annotated[Int, typer.Option("--rows", help="DRAM rows per bank.")]
RowBytes = Annotated[Int, typer.Option("--row-bytes", help="Row buffer (page) bytes.")]
Lanes = Annotated[Int, typer.Option("--lanes", help="MAC lanes per bank (1..64).")]
Precision = Annotated[str | None, typer.Option("--precision", help="int8, fp16 or bf16.")]
BurstBits = Annotated[Int, typer.Option("--burst-bits", help="Column burst bits (lanes x w).")]
Banks = Annotated[Int, typer.Option("--banks", help="Banks per channel (1..64).")]
Timing = Annotated[
    str | None,
    typer.Option("--timing", help="hbm2, gddr6, gddr6-aim, or a YAML file (tRCD: 14 ...)."),
]


def _t(flag: str, what: str) -> Any:
    return Annotated[Int, typer.Option(flag, help=f"{what} (cycles; overrides the preset).")]


TRcd = _t("--t-rcd", "ACT to column command")
TRp = _t("--t-rp", "PRE to ACT")
TRas = _t("--t-ras", "ACT to PRE")
TCcd = _t("--t-ccd", "column to column")
TRrd = _t("--t-rrd", "ACT to ACT")
TFaw = _t("--t-faw", "four-activation window")
TRtp = _t("--t-rtp", "RD/MAC to PRE")
TWr = _t("--t-wr", "WR to PRE")
TRfc = _t("--t-rfc", "REF to ACT/REF")
TRefi = _t("--t-refi", "refresh interval")
TCl = _t("--t-cl", "read latency")


def pim_params(config: Path | None, **flags: Any) -> Any:
    """Merge ``--config`` (if any) with the flags given (flags win); ``--timing FILE`` loads
    custom timing from YAML."""
    import yaml

    from accelsmith.core.families.pim import TIMING_FIELDS, TIMINGS, PimParams, load_timing

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
    @app.command("pim")
    def pim(
        rows: Rows = None,
        row_bytes: RowBytes = None,
        lanes: Lanes = None,
        precision: Precision = None,
        burst_bits: BurstBits = None,
        banks: Banks = None,
        timing: Timing = None,
        t_rcd: TRcd = None,
        t_rp: TRp = None,
        t_ras: TRas = None,
        t_ccd: TCcd = None,
        t_rrd: TRrd = None,
        t_faw: TFaw = None,
        t_rtp: TRtp = None,
        t_wr: TWr = None,
        t_rfc: TRfc = None,
        t_refi: TRefi = None,
        t_cl: TCl = None,
        config: o.Config = None,
        name: Annotated[
            str | None, typer.Option("--name", help="Top module and file name.")
        ] = None,
        out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("build"),
    ) -> None:
        """PIM channel: DRAM banks with MAC lanes, a timing checker and a GEMV engine."""
        flags = dict(locals())

        from accelsmith.cli.generate import print_generated
        from accelsmith.generate import generate

        for k in ("config", "name", "out"):
            flags.pop(k)
        p = pim_params(config, **flags)
        emitted = generate(p, out, name)
        print_generated(emitted, _describe(p))


def _verify(app: typer.Typer) -> None:
    @app.command("pim")
    def pim(
        rows: Rows = None,
        row_bytes: RowBytes = None,
        lanes: Lanes = None,
        precision: Precision = None,
        burst_bits: BurstBits = None,
        banks: Banks = None,
        timing: Timing = None,
        t_rcd: TRcd = None,
        t_rp: TRp = None,
        t_ras: TRas = None,
        t_ccd: TCcd = None,
        t_rrd: TRrd = None,
        t_faw: TFaw = None,
        t_rtp: TRtp = None,
        t_wr: TWr = None,
        t_rfc: TRfc = None,
        t_refi: TRefi = None,
        t_cl: TCl = None,
        config: o.Config = None,
        tiles: Annotated[int, typer.Option("--tiles", help="Random GEMVs back to back.")] = 8,
        seed: Annotated[int, typer.Option("--seed", help="Seed of the stimulus.")] = 0,
        report: Annotated[
            Path | None, typer.Option("--report", help="Also write the report as JSON.")
        ] = None,
        workdir: Annotated[
            Path | None, typer.Option("--workdir", help="Keep configuration, logs and waves.")
        ] = None,
    ) -> int:
        """PIM channel: timing rules, GEMV results and cycles, partial tiles, refresh, FP
        specials vs. the golden model and the command schedule."""
        flags = dict(locals())

        from accelsmith.cli.verify import run_verify

        for k in ("config", "tiles", "seed", "report", "workdir"):
            flags.pop(k)
        p = pim_params(config, **flags)
        return run_verify(
            p, tiles=tiles, seed=seed, report=report, workdir=workdir, unit="jobs/probes"
        )


def _cost(app: typer.Typer) -> None:
    @app.command("pim")
    def pim(
        rows: Rows = None,
        row_bytes: RowBytes = None,
        lanes: Lanes = None,
        precision: Precision = None,
        banks: Banks = None,
        timing: Timing = None,
        t_rcd: TRcd = None,
        t_rp: TRp = None,
        t_ras: TRas = None,
        t_ccd: TCcd = None,
        t_rrd: TRrd = None,
        t_faw: TFaw = None,
        t_rtp: TRtp = None,
        t_wr: TWr = None,
        t_rfc: TRfc = None,
        t_refi: TRefi = None,
        t_cl: TCl = None,
        channels: Annotated[int, typer.Option("--channels", help="PIM channels.")] = 16,
        freq_mhz: Annotated[
            float, typer.Option("--freq-mhz", help="DRAM clock (MHz); 0: the preset's.")
        ] = 0.0,
        batch: Annotated[int, typer.Option("--batch", help="Requests decoded together.")] = 1,
        interleave: Annotated[
            bool, typer.Option("--interleave/--no-interleave", help="NeuPIMs sub-batches.")
        ] = False,
        npu_rows: Annotated[
            int, typer.Option("--npu-rows", help="Systolic NPU rows (0: PIM only).")
        ] = 0,
        npu_cols: Annotated[int, typer.Option("--npu-cols", help="Systolic NPU columns.")] = 0,
        npu_dataflow: Annotated[str, typer.Option("--npu-dataflow", help="os or ws.")] = "ws",
        npu_freq_mhz: Annotated[float, typer.Option("--npu-freq-mhz", help="NPU MHz.")] = 1000.0,
        npu_dram_gbps: Annotated[
            float, typer.Option("--npu-dram-gbps", help="NPU bandwidth; 0: the channels'.")
        ] = 0.0,
        workload: Annotated[
            str, typer.Option("--workload", help="Built-in name or a file.")
        ] = "llama2-7b-decode",
        node: Annotated[int, typer.Option("--node", help="Logic node (nm).")] = 45,
        tech_file: Annotated[
            Path | None, typer.Option("--tech", help="YAML overriding the technology table.")
        ] = None,
        config: o.Config = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        as_csv: Annotated[bool, typer.Option("--csv", help="Per-layer CSV.")] = False,
    ) -> None:
        """PIM (or NPU + PIM) latency, energy, area and throughput on a workload."""
        from accelsmith.cli.cost import cost_frames, machine_output
        from accelsmith.core.errors import ConfigError

        if as_json and as_csv:
            raise ConfigError("--json and --csv cannot be combined: choose one output format")
        flags = {
            "rows": rows if rows is not None else 32768,
            "row_bytes": row_bytes if row_bytes is not None else 1024,
            "lanes": lanes,
            "precision": precision,
            "banks": banks if banks is not None else 16,
            "timing": timing,
            "t_rcd": t_rcd,
            "t_rp": t_rp,
            "t_ras": t_ras,
            "t_ccd": t_ccd,
            "t_rrd": t_rrd,
            "t_faw": t_faw,
            "t_rtp": t_rtp,
            "t_wr": t_wr,
            "t_rfc": t_rfc,
            "t_refi": t_refi,
            "t_cl": t_cl,
        }
        p = pim_params(config, **flags)
        values = p.to_dict() | {
            "channels": channels,
            "freq_mhz": freq_mhz,
            "batch": batch,
            "interleave": interleave,
            "npu_rows": npu_rows,
            "npu_cols": npu_cols,
            "npu_dataflow": npu_dataflow,
            "npu_freq_mhz": npu_freq_mhz,
            "npu_dram_gbps": npu_dram_gbps,
        }
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
        ("area (PIM logic + NPU)", f"{total.area_mm2:.3f} mm^2"),
        ("PIM peak", f"{total.peak_tflops:.3f} TFLOPS"),
        ("throughput", f"{total.tops:.3f} TOPS ({100 * total.utilization:.1f}% of peak)"),
    ):
        s.add_row(k, v)
    console.print(s)


def register(kind: str, app: typer.Typer) -> None:
    """Add ``pim`` to the ``generate``, ``verify`` or ``cost`` group."""
    {"generate": _generate, "verify": _verify, "cost": _cost}[kind](app)
