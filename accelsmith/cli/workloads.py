"""``accelsmith workloads``: the built-in workloads (or a file's layers) with their sizes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

#: options that only mean something beside another one (option -> the one it needs)
_NEEDS = {
    "phase": "--from-hf",
    "seq_len": "--from-hf",
    "batch": "--from-hf",
    "kv_len": "--from-hf",
    "attention": "--from-hf",
    "routing": "--from-hf",
    "steps": "--serving",
    "config": "--steps",
}


def _refuse_orphans(ctx: typer.Context, given: dict[str, bool]) -> None:
    """An option given without the one it applies to is an error, not silently ignored."""
    from accelsmith.core.errors import ConfigError

    for name, needs in _NEEDS.items():
        if given[needs]:
            continue
        source = ctx.get_parameter_source(name)  # typer's own click: compare by name
        if source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT"):
            flag = "--" + name.replace("_", "-")
            raise ConfigError(f"{flag} applies with {needs} only")


def workloads_command(
    ctx: typer.Context,
    workload: Annotated[
        str | None,
        typer.Argument(help="Show this workload's layers (built-in name or file) instead."),
    ] = None,
    from_hf: Annotated[
        str | None,
        typer.Option(
            "--from-hf",
            help="Show the layers of a Hugging Face config.json (a path, or a shipped model: "
            "llama3-8b, mistral-7b, mixtral-8x7b, qwen2.5-0.5b, phi-3-mini).",
        ),
    ] = None,
    phase: Annotated[
        str, typer.Option(help="With --from-hf: prefill (seq-len new tokens) or decode.")
    ] = "decode",
    seq_len: Annotated[
        int, typer.Option("--seq-len", help="With --from-hf: prompt length / default context.")
    ] = 2048,
    batch: Annotated[int, typer.Option(help="With --from-hf: requests in the step.")] = 1,
    kv_len: Annotated[
        int | None,
        typer.Option("--kv-len", help="With --from-hf: keys attended (default: --seq-len)."),
    ] = None,
    attention: Annotated[
        str, typer.Option(help="With --from-hf: unfused (scores via DRAM) or fused.")
    ] = "unfused",
    routing: Annotated[
        str,
        typer.Option(help="With --from-hf, MoE: uniform, zipf:S or comma-separated weights."),
    ] = "uniform",
    serving: Annotated[
        Path | None,
        typer.Option(
            "--serving",
            help="Show a serving scenario YAML (request stream, scheduler limits) instead; "
            "cost it with `accelsmith cost <family> --workload scenario.yaml`.",
        ),
    ] = None,
    steps: Annotated[
        str | None,
        typer.Option(
            "--steps",
            help="With --serving: print the batched steps the server runs on this family "
            "(configured with --config).",
        ),
    ] = None,
    config: Annotated[
        list[str] | None,
        typer.Option("--config", help="With --steps: a configuration value KEY=VALUE (repeat)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the built-in workloads with MACs, weight and KV-cache bytes, or one workload's
    layers (a built-in, a file, or ``--from-hf config.json``)."""
    _refuse_orphans(
        ctx,
        {
            "--from-hf": from_hf is not None,
            "--serving": serving is not None,
            "--steps": steps is not None,
        },
    )
    if serving is not None:
        _show_serving_option(serving, steps, config, as_json)
    elif from_hf is not None:
        hf = {"phase": phase, "seq_len": seq_len, "batch": batch, "kv_len": kv_len}
        _show_from_hf(from_hf, {**hf, "attention": attention, "routing": routing}, as_json)
    elif workload is not None:
        _show_workload(workload, as_json)
    else:
        _list_builtins(as_json)


def _show_serving_option(
    serving: Path, steps: str | None, config: list[str] | None, as_json: bool
) -> None:
    """``--serving``: the scenario's request stream, or with ``--steps`` the server's steps."""
    from .serving_view import show_serving, show_steps

    if steps is not None:
        show_steps(serving, steps, config or [], as_json)
    else:
        show_serving(serving, as_json)


def _show_from_hf(from_hf: str, options: dict, as_json: bool) -> None:
    """``--from-hf``: the layers of one step of a Hugging Face model."""
    from accelsmith.models.llm import llm_workload

    _show_layers(llm_workload(from_hf, **options), as_json)


def _show_workload(workload: str, as_json: bool) -> None:
    """One workload's layers (a built-in or a file; a serving scenario: its stream)."""
    from accelsmith.models.workloads import load_workload

    wl = load_workload(workload)
    if getattr(wl, "scenario", None) is not None:  # a serving scenario: its stream
        from .serving_view import show_serving

        show_serving(Path(workload), as_json)
        return
    _show_layers(wl, as_json)


def _list_builtins(as_json: bool) -> None:
    """The built-in workloads with their sizes (a table, or JSON)."""
    from accelsmith.models.networks import builtin, builtin_names

    entries = []
    for name in builtin_names():
        wl = builtin(name)
        entries.append(
            {
                "name": name,
                "layers": len(wl.layers),
                "instances": wl.instances,
                "macs": wl.total_macs,
                "weight_bytes": 2 * wl.weight_elems,
                "kv_bytes_per_token": wl.kv_bytes_per_token,
                "description": wl.description,
                "source": wl.source,
            }
        )
    if as_json:
        print(json.dumps(entries, indent=1))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="built-in workloads (batch 1; bytes at 16 bits per element)")
    cols = ("name", "layers", "instances", "GMACs", "weights MB", "KV B/token", "description")
    for col in cols:
        table.add_column(col, justify="left" if col in ("name", "description") else "right")
    for e in entries:
        table.add_row(
            e["name"],
            str(e["layers"]),
            str(e["instances"]),
            f"{e['macs'] / 1e9:,.3f}",
            f"{e['weight_bytes'] / 1e6:,.1f}",
            f"{e['kv_bytes_per_token']:,}" if e["kv_bytes_per_token"] else "-",
            e["description"],
        )
    Console(width=None if Console().is_terminal else 150).print(table)


def _show_layers(wl, as_json: bool) -> None:
    g = wl.to_gemms()
    rows = [
        {
            "layer": str(g["names"][i]),
            "kind": str(g["kind"][i]),
            "layer_kind": str(g["layer_kind"][i]),
            "role": str(g["role"][i]),
            "M": int(g["M"][i]),
            "N": int(g["N"][i]),
            "K": int(g["K"][i]),
            "count": int(g["count"][i]),
            "macs": int(g["M"][i] * g["N"][i] * g["K"][i] * g["count"][i]),
        }
        for i in range(len(g["names"]))
    ]
    if as_json:
        print(
            json.dumps(
                {
                    "name": wl.name,
                    "macs": wl.total_macs,
                    "weight_bytes": 2 * wl.weight_elems,
                    "kv_bytes_per_token": wl.kv_bytes_per_token,
                    "layers": rows,
                },
                indent=1,
            )
        )
        return
    from rich.console import Console
    from rich.table import Table

    kv = f", KV cache {wl.kv_bytes_per_token:,} B/token" if wl.kv_bytes_per_token else ""
    table = Table(
        title=f"{wl.name}: {len(rows)} layers, {wl.instances} instances, "
        f"{wl.total_macs / 1e9:,.3f} GMACs, weights {2 * wl.weight_elems / 1e6:,.1f} MB{kv}"
    )
    for col in ("layer", "kind", "layer kind", "role", "M", "N", "K", "count", "MMACs"):
        table.add_column(
            col, justify="left" if col in ("layer", "kind", "layer kind", "role") else "right"
        )
    for r in rows:
        table.add_row(
            r["layer"],
            r["kind"],
            r["layer_kind"],
            r["role"],
            str(r["M"]),
            str(r["N"]),
            str(r["K"]),
            str(r["count"]),
            f"{r['macs'] / 1e6:,.2f}",
        )
    Console(width=None if Console().is_terminal else 130).print(table)
