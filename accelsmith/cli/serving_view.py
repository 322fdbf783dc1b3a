"""Printing serving scenarios: the request stream (``workloads --serving``) and the serving
metrics of a ``cost <family> --workload scenario.yaml`` run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _si(x: float, unit: str) -> str:
    for scale, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1, ""),
                          (1e-3, "m"), (1e-6, "u"), (1e-9, "n")):  # fmt: skip
        if abs(x) >= scale:
            return f"{x / scale:.3g} {prefix}{unit}"
    return f"{x:.3g} {unit}"


def print_serving_totals(total: Any) -> None:
    """The serving metrics of one configuration (a totals row) as a small table."""
    from rich.console import Console
    from rich.table import Table

    t = Table(title="serving (continuous batching)", show_header=False)
    t.add_column("metric")
    t.add_column("value", justify="right")
    rows = [
        ("requests / output tokens", f"{int(total.requests)} / {int(total.output_tokens):,}"),
        ("tokens/s", f"{total.tokens_per_s:,.1f}"),
        ("time to first token (mean / p99)", f"{_si(total.ttft_s, 's')} / "
         f"{_si(total.ttft_p99_s, 's')}"),
        ("time per output token (mean / p99)", f"{_si(total.tpot_s, 's')} / "
         f"{_si(total.tpot_p99_s, 's')}"),
        ("energy per output token", _si(total.energy_per_token_j, "J")),
        ("makespan / busy", f"{_si(total.latency_s, 's')} / {_si(total.busy_s, 's')}"),
        ("steps, mean requests per step", f"{int(total.steps)}, {total.mean_batch:.1f}"),
        ("peak KV cache", _si(total.peak_kv_bytes, "B")),
    ]  # fmt: skip
    for k, v in rows:
        t.add_row(k, v)
    Console(width=None if Console().is_terminal else 120).print(t)


def show_serving(path: Path, as_json: bool) -> None:
    """The request stream and server limits of a scenario file."""
    import numpy as np

    from accelsmith.models.workloads import load_workload

    wl = load_workload(path)
    s = getattr(wl, "scenario", None)
    if s is None:
        from accelsmith.core.errors import ConfigError

        raise ConfigError(f"{path.name} is not a serving scenario (no 'serving' key)")

    def stats(x: np.ndarray) -> dict[str, float]:
        return {"min": float(x.min()), "mean": float(x.mean()), "max": float(x.max())}

    info = {
        "name": s.name,
        "model": s.model.name,
        "requests": s.requests,
        "arrival_span_s": float(s.arrival_s.max() - s.arrival_s.min()),
        "prompt_len": stats(s.prompt_len),
        "output_len": stats(s.output_len),
        "max_batch": s.max_batch,
        "token_budget": s.token_budget,
        "kv_block": s.kv_block,
        "kv_capacity_bytes": None if np.isinf(s.kv_capacity_bytes) else s.kv_capacity_bytes,
        "kv_bytes_per_token": s.model.kv_bytes_per_token,
        "attention": s.attention,
        "table_layers": len(wl.layers),
    }
    if as_json:
        info["requests_list"] = [
            {"arrival_s": float(a), "prompt_len": int(p), "output_len": int(o)}
            for a, p, o in zip(s.arrival_s, s.prompt_len, s.output_len, strict=True)
        ]
        print(json.dumps(info, indent=1))
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"serving scenario {s.name}: {wl.description}", show_header=False)
    t.add_column("key")
    t.add_column("value", justify="right")
    for k, v in info.items():
        if isinstance(v, dict):
            v = f"{v['min']:g} / {v['mean']:.1f} / {v['max']:g} (min / mean / max)"
        t.add_row(k, str(v))
    Console(width=None if Console().is_terminal else 120).print(t)


def _config(items: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` items as a configuration (values read as YAML scalars)."""
    import yaml

    from accelsmith.core.errors import ConfigError

    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--config must be KEY=VALUE, not {item!r}")
        out[key.strip()] = yaml.safe_load(value)
    return out


def show_steps(path: Path, family: str, items: list[str], as_json: bool) -> None:
    """The batched steps the server runs for one configuration of ``family``."""
    from accelsmith.models.serving import serving_steps

    steps = serving_steps(family, [_config(items)], path).drop(columns="config")
    if as_json:
        print(json.dumps(steps.to_dict("records"), indent=1))
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"{path.name} on {family}: {len(steps)} batched steps")
    for col in steps.columns:
        t.add_column(col, justify="right")
    for r in steps.itertuples(index=False):
        t.add_row(
            str(r.step),
            _si(r.start_s, "s"),
            _si(r.duration_s, "s"),
            str(r.decode_tokens),
            str(r.prefill_tokens),
            str(r.prefill_requests),
            str(r.running),
            str(r.waiting),
            _si(r.kv_bytes, "B"),
        )
    Console(width=None if Console().is_terminal else 120).print(t)
