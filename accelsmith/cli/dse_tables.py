"""Printing for ``accelsmith dse status`` and ``accelsmith dse pareto``: columns, JSON, tables."""

from __future__ import annotations

import json
import math
from typing import Any

import typer

_STATUS_COLUMNS = [
    "trials",
    "failed",
    "feasible",
    "pareto_points",
    # strict measures first (accelsmith.dse.pareto.strict), the linear HV ratio after
    "front_recall",
    "igd_plus_norm",
    "hv_ratio_log",
    "trials_to_95_recall",
    "trials_to_95_hv_log",
    "hypervolume",
    "hv_ratio",
    "igd_plus",
    "sampler_ms",
    "points_evaluated",
]
_JSON_COUNTS = ("trials", "failed", "feasible", "pareto_points", "points_evaluated")
_TABLE_INTS = (
    "trials",
    "failed",
    "feasible",
    "pareto_points",
    "points_evaluated",
    "trials_to_95_recall",
    "trials_to_95_hv_log",
)
_SHORT = {  # the strict measures' headers, kept short so the table fits
    "front_recall": "recall",
    "igd_plus_norm": "igd+ norm",
    "hv_ratio_log": "hv log",
    "trials_to_95_recall": "n95 recall",
    "trials_to_95_hv_log": "n95 hv log",
    "pareto_points": "front",
    "points_evaluated": "points",
}


def fmt(v: Any) -> str:
    if isinstance(v, float):
        if math.isnan(v):
            return "-"
        return f"{v:.4g}"
    return str(v)


def status_columns(st: Any) -> list[str]:
    """The status columns present in ``st.table``, in display order."""
    return [c for c in _STATUS_COLUMNS if c in st.table.columns]


def _plain(c: str, v: Any) -> Any:
    v = v.item() if hasattr(v, "item") else v
    if isinstance(v, float) and math.isnan(v):
        return None
    return int(v) if c in _JSON_COUNTS else v


def echo_status_json(spec: Any, st: Any, cols: list[str]) -> None:
    rows = {e: {c: _plain(c, v) for c, v in r[cols].items()} for e, r in st.table.iterrows()}
    ref = st.table["reference"].dropna() if "reference" in st.table.columns else []
    typer.echo(
        json.dumps(
            {
                "campaign": spec.name,
                "explorers": rows,
                "normalization": st.normalization,
                # which front the strict measures are taken against (exact, stored, combined)
                "reference": ref.iloc[0] if len(ref) else None,
            },
            indent=2,
            default=str,
        )
    )


def status_table(spec: Any, st: Any, cols: list[str]) -> Any:
    """The rich table of ``dse status`` (hypervolume and igd_plus stay JSON-only)."""
    from rich.table import Table

    table = Table(
        title=f"campaign {spec.name} ({spec.family}, "
        + ", ".join(f"{m} {d[:3]}" for m, d in spec.objectives)
        + ")"
    )
    table.add_column("explorer", no_wrap=True)
    text_cols = [c for c in cols if c not in ("hypervolume", "igd_plus")]  # JSON keeps them
    for c in text_cols:
        table.add_column(_SHORT.get(c, c.replace("_", " ")), justify="right")
    for e, r in st.table.iterrows():
        table.add_row(
            str(e),
            *[fmt(int(r[c]) if c in _TABLE_INTS and r[c] == r[c] else r[c]) for c in text_cols],
        )
    return table


def print_status_notes(console: Any, st: Any) -> None:
    """The lines under the status table explaining normalization and the strict measures."""
    if st.normalization:
        n = st.normalization
        console.print(
            f"HV on objectives normalized to [0,1] by the {n['source']}; reference point "
            f"{n['reference_point']} per axis. HV ratio = HV / HV(exact front); IGD+ "
            "(Ishibuchi et al. 2015) against the exact front, else the combined front."
        )
    ref = st.table["reference"].dropna() if "reference" in st.table.columns else []
    if len(ref):
        console.print(
            f"Strict measures against the {ref.iloc[0]}: front recall = share of its points "
            "found; IGD+ norm on its ideal..nadir; HV ratio log = HV ratio on log10 "
            "objectives; trials to 95 % of recall and of the log HV ratio."
        )


def print_pareto(spec: Any, front: Any, limit: int, as_csv: bool) -> None:
    """The Pareto-optimal designs as CSV (all rows) or a rich table (``limit`` rows)."""
    from rich.console import Console
    from rich.table import Table

    space_cols = [d.name for d in spec.build_space().varying if d.name in front.columns]
    cols = ["explorer", "number", *spec.metric_names, *space_cols, "command"]
    if as_csv:
        typer.echo(front[cols].to_csv(index=False), nl=False)
        return
    table = Table(title=f"{len(front)} Pareto-optimal designs of {spec.name}")
    for c in cols:
        table.add_column(c, overflow="fold")
    for _, r in front.head(limit).iterrows():
        table.add_row(*[fmt(r[c]) for c in cols])
    Console(width=max(160, Console().width)).print(table)
    if len(front) > limit:
        typer.echo(f"... {len(front) - limit} more (--limit, --csv)")
