"""``accelsmith synth <family>``: synthesize a configuration (sky130hd or ECP5) and report.

Each family's sub-command takes exactly the parameter flags of ``accelsmith generate
<family>`` (copied from that command, so the two never drift apart) plus the synthesis
options. Exit codes: 0 done, 2 bad input, 3 missing tool, 1 a tool failed or timed out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["app", "params_for"]

_SKIP = {"out", "config", "name", "help"}
_PARAMS_FN = {
    "systolic": ("accelsmith.cli.options", "systolic_params"),
    "lut-core": ("accelsmith.cli.families.lut_core", "lut_params"),
    "pim": ("accelsmith.cli.families.pim", "pim_params"),
    "simd": ("accelsmith.cli.families.simd", "simd_params"),
}


def params_for(family: str, config: Path | None, flags: dict[str, Any]) -> Any:
    """The validated params object from ``--config`` and the family flags (flags win)."""
    import importlib

    spec = _PARAMS_FN.get(family)
    if spec is not None:
        fn = getattr(importlib.import_module(spec[0]), spec[1], None)
        if fn is not None:
            return fn(config, **flags)
    import yaml

    from accelsmith.core.registry import get_family

    cls = get_family(family).params_class()
    values: dict[str, Any] = {}
    if config is not None:
        cls.from_yaml(config)
        values = dict(yaml.safe_load(Path(config).read_text()) or {})
    values.update({k: v for k, v in flags.items() if v is not None})
    return cls.from_dict(values, source="parameters")


def _print(report: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if Console().is_terminal else 110)
    d = report
    title = f"{d.design['name']}: {d.target}" + (f" (LFE5U-{d.device.upper()})" if d.device else "")
    fmax = f"{d.fmax_mhz:.1f} MHz" if d.fmax_mhz else "n/a"
    console.print(f"[bold]{title}[/]  Fmax {fmax}  (clock constraint {d.clock_ns:g} ns)")
    if d.target == "sky130hd":
        t = Table(title="area and cells")
        for col in ("class", "cells", "area um^2", "share"):
            t.add_column(col, justify="left" if col == "class" else "right")
        total = d.area["total"] or 1.0
        for cls in ("sequential", "combinational", "buffer", "memory"):
            t.add_row(cls, str(d.cells[cls]), f"{d.area[cls]:,.1f}", f"{d.area[cls] / total:.1%}")
        t.add_row("total", str(d.cells["total"]), f"{d.area['total']:,.1f}", "100.0%")
        console.print(t)
        p = Table(title="worst paths (pre-layout)")
        for col in ("kind", "from", "to", "arrival ns", "needs ns"):
            p.add_column(col, justify="left" if col in ("kind", "from", "to") else "right")
        for kind, path in d.timing.items():
            if path is None:
                p.add_row(kind, "-", "-", "-", "-")
            else:
                p.add_row(
                    kind,
                    path["startpoint"],
                    path["endpoint"],
                    f"{path['arrival_ns']:.3f}",
                    f"{path['min_period_ns']:.3f}",
                )
        console.print(p, markup=False)
        w = d.power
        console.print(
            f"power at {1000 / d.clock_ns:g} MHz, activity {d.activity:g}: total "
            f"{w['total_w'] * 1e3:.4f} mW (internal {w['internal_w'] * 1e3:.4f}, switching "
            f"{w['switching_w'] * 1e3:.4f}, leakage {w['leakage_w'] * 1e6:.4f} uW)"
        )
        for m in d.memories:
            console.print(
                f"memory {m['instance']}: {m['depth']}x{m['width']} macro "
                f"{m['area_um2']:,.0f} um^2",
                markup=False,
            )
    else:
        r = d.cells
        fits = "fits" if d.fits else "does NOT fit"
        console.print(
            f"LUT4 {r['LUT4']}  FF {r['FF']}  MULT18X18D {r['MULT18X18D']}  DP16KD {r['DP16KD']}"
            f"  -> {fits} the LFE5U-{d.device.upper()}"
        )
    for tool, version in d.tools.items():
        console.print(f"{tool}: {version}", markup=False, style="dim")
    for note in d.notes:
        console.print(f"note: {note}", markup=False, style="dim")
    cached = "reused from the cache" if d.cached else f"ran in {d.seconds:.1f} s"
    console.print(f"{cached}; netlist {d.netlist}", markup=False)


def _run(family: str, **kwargs: Any) -> int:
    from accelsmith.core.errors import ConfigError
    from accelsmith.synth import export, synthesize

    opts = {
        k: kwargs.pop(k)
        for k in (
            "target",
            "device",
            "clock_ns",
            "activity",
            "json_out",
            "out",
            "timeout",
            "name",
            "config",
            "hierarchical",
            "seed",
        )
    }
    config = Path(opts["config"]) if opts["config"] is not None else None
    params = params_for(family, config, kwargs)
    if opts["target"] not in ("sky130hd", "ecp5"):
        raise ConfigError(f"--target must be sky130hd or ecp5, not {opts['target']!r}")
    if opts["device"] is not None and opts["device"] not in ("25k", "45k", "85k"):
        raise ConfigError(f"--device must be 25k, 45k or 85k, not {opts['device']!r}")
    if opts["target"] != "ecp5" and opts["device"] is not None:
        raise ConfigError("--device applies to --target ecp5 only")
    if opts["target"] == "ecp5" and opts["activity"] is not None:
        raise ConfigError("--activity applies to --target sky130hd only")
    if opts["target"] != "ecp5" and opts["seed"] is not None:
        raise ConfigError("--seed applies to --target ecp5 only")
    if opts["seed"] is not None and opts["seed"] < 1:
        raise ConfigError(f"--seed must be a positive integer, not {opts['seed']}")
    if opts["timeout"] is not None and opts["timeout"] <= 0:
        raise ConfigError(f"timeout must be > 0 s, not {opts['timeout']!r}")
    report = synthesize(
        params,
        target=opts["target"],
        clock_ns=opts["clock_ns"],
        activity=opts["activity"],
        device=opts["device"] or "85k",
        name=opts["name"],
        hierarchical=opts["hierarchical"],
        seed=opts["seed"],
        **({"timeout_s": opts["timeout"]} if opts["timeout"] else {}),
    )
    if opts["out"] is not None:
        export(report, opts["out"])
    if opts["json_out"]:
        typer.echo(json.dumps(report.to_dict(), indent=1))
    else:
        _print(report)
        if opts["out"] is not None:
            typer.echo(f"report written to {Path(opts['out']) / 'report.json'}")
    return 0


Target = Annotated[
    str, typer.Option("--target", help="sky130hd (Yosys + OpenSTA) or ecp5 (Yosys + nextpnr).")
]
Device = Annotated[
    str | None, typer.Option("--device", help="ECP5 device 25k, 45k or 85k (default 85k).")
]
ClockNs = Annotated[
    float | None, typer.Option("--clock-ns", help="Clock period constraint, ns (default 10).")
]
Activity = Annotated[
    float | None,
    typer.Option("--activity", help="sky130hd power: toggles per cycle of every net (0.1)."),
]
Timeout = Annotated[
    float | None, typer.Option("--timeout", help="Wall-clock limit per tool run, s (1800).")
]
JsonOut = Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]
Out = Annotated[
    Path | None,
    typer.Option("--out", help="Also copy report.json, the netlist and logs into this folder."),
]
Hierarchical = Annotated[
    bool | None,
    typer.Option(
        "--hierarchical/--flat",
        help="Keep the module hierarchy. sky130hd: map each repeated module (PE, column) once "
        "and time the instance tree (large arrays); default flat. ecp5: map each module on its "
        "own (synth_ecp5 -noflatten); default hierarchical for pim, flat for the others.",
        show_default=False,
    ),
]
Seed = Annotated[
    int | None,
    typer.Option("--seed", help="ecp5: nextpnr placement seed (default 1)."),
]
_OWN = {
    "target": (Target, "sky130hd"),
    "device": (Device, None),
    "clock_ns": (ClockNs, None),
    "activity": (Activity, None),
    "timeout": (Timeout, None),
    "json_out": (JsonOut, False),
    "out": (Out, None),
    "hierarchical": (Hierarchical, None),
    "seed": (Seed, None),
}


def _family_command(family: str, generate_callback: Any) -> Any:
    """A function whose signature is the generate command's flags plus the synthesis options
    (typer builds the command from it)."""
    import inspect
    import typing

    hints = typing.get_type_hints(generate_callback, include_extras=True)
    params = []
    for p in inspect.signature(generate_callback).parameters.values():
        if p.name == "out":
            continue
        params.append(p.replace(annotation=hints.get(p.name, p.annotation)))
    for pname, (ann, default) in _OWN.items():
        params.append(
            inspect.Parameter(
                pname, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=ann
            )
        )
    params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in params]

    def command(**kwargs: Any) -> int:
        return _run(family, **kwargs)

    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__doc__ = (
        f"Synthesize a {family} configuration (the flags of `accelsmith generate {family}`): "
        "sky130hd area, Fmax and power, or ECP5 resources and Fmax."
    )
    return command


app = typer.Typer(
    help="Synthesize a design: sky130hd area/Fmax/power (default) or ECP5 resources/Fmax.",
    no_args_is_help=True,
)


def _register() -> None:
    from .generate import app as generate_app

    for info in generate_app.registered_commands:
        family = info.name or info.callback.__name__
        app.command(family)(_family_command(family, info.callback))


_register()
