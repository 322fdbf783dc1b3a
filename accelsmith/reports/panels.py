"""Pieces of the dashboard that do not depend on Dash callbacks: filters, the scatter and
hypervolume panels, a design's details, and its Verilog files (tested without a browser)."""

from __future__ import annotations

import tempfile
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.errors import ConfigError
from .extract import STATUS_DOMINATED, STATUS_INFEASIBLE, STATUS_PARETO, config_of, design_row
from .figures import STYLE, axis_label, breakdown_columns, layer_labels
from .live import Hub, LiveCampaign

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

__all__ = [
    "design_details",
    "filter_frame",
    "hv_panel",
    "numeric_metrics",
    "scatter_figure",
    "verilog_files",
]

_META = ("number", "state", "explorer", "feasible", "datetime_complete", "design", "status")


def numeric_metrics(camp: Any) -> list[str]:
    """Objectives first, then every other numeric column of the trials (axis choices)."""
    t = camp.trials
    skip = set(_META) | {"eval_seconds"}
    cols = [c for c in t.columns if c not in skip and t[c].dtype.kind in "biuf"]
    return camp.objective_names + [c for c in cols if c not in camp.objective_names]


def filter_frame(
    frame: pd.DataFrame,
    *,
    flags: list[str],
    limits: dict[str, tuple[str, float | None]],
    ranges: dict[str, tuple[float, float]],
    choices: dict[str, list[str]],
) -> pd.DataFrame:
    """Rows of ``frame`` passing the dashboard filters (all vectorized)."""
    if not len(frame):
        return frame
    mask = np.ones(len(frame), dtype=bool)
    if "feasible" in flags:
        mask &= frame["feasible"].to_numpy(bool)
    if "pareto" in flags:
        mask &= (frame["status"] == STATUS_PARETO).to_numpy()
    for m, (op, bound) in limits.items():
        if bound is None or m not in frame:
            continue
        v = frame[m].to_numpy(float)
        mask &= (v <= bound) if op == "<=" else (v >= bound)
    for p, (lo, hi) in ranges.items():
        if p in frame and frame[p].dtype.kind in "biuf":
            v = frame[p].to_numpy(float)
            mask &= (v >= lo) & (v <= hi)
    for p, allowed in choices.items():
        if p in frame:
            mask &= frame[p].astype(str).isin(allowed).to_numpy()
    return frame[mask]


def _trial_traces(
    key: str, frame: pd.DataFrame, x: str, y: str, color: str, *, colorbar: bool
) -> list[go.Scattergl]:
    """The trials of one campaign: a trace per status, or one coloured by a metric."""
    import plotly.graph_objects as go

    groups = (
        [(s, frame[frame["status"] == s]) for s in (STATUS_INFEASIBLE, STATUS_DOMINATED)]
        + [(STATUS_PARETO, frame[frame["status"] == STATUS_PARETO])]
        if color == "status"
        else [("all", frame)]
    )
    traces = []
    for status, sub in groups:
        if not len(sub):
            continue
        marker: dict[str, Any]
        if status == "all":
            marker = {
                "color": sub[color].to_numpy(float),
                "colorscale": "Viridis",
                "size": 6,
                "showscale": colorbar,
                "colorbar": {"title": {"text": color}},
            }
            name = f"{key}"
        else:
            st = STYLE[status]
            marker = {"color": st["color"], "size": st["size"] + 1, "symbol": st["symbol"]}
            name = f"{key}: {st['name']} ({len(sub)})"
        traces.append(
            go.Scattergl(
                x=sub[x].to_numpy(),
                y=sub[y].to_numpy(),
                mode="markers",
                name=name,
                marker=marker,
                customdata=np.column_stack(
                    [sub["design"].to_numpy(), np.full(len(sub), key, dtype=object)]
                ),
                hovertemplate="%{customdata[0]}<br>"
                + f"{x}=%{{x:.4g}}<br>{y}=%{{y:.4g}}<extra>{key}</extra>",
            )
        )
    return traces


def _exact_front_trace(key: str, ex: pd.DataFrame, x: str, y: str) -> go.Scattergl:
    """The exact front an exhaustive sweep recorded (open diamonds)."""
    import plotly.graph_objects as go

    return go.Scattergl(
        x=ex[x],
        y=ex[y],
        mode="markers",
        name=f"{key}: exact front ({len(ex)})",
        marker={"color": "#000", "size": 6, "symbol": "diamond-open"},
        customdata=np.column_stack([ex["design"].to_numpy(), np.full(len(ex), key, dtype=object)]),
        hovertemplate="%{customdata[0]} (exact front)<extra></extra>",
    )


def scatter_figure(
    panels: list[tuple[str, Any, pd.DataFrame]], x: str, y: str, color: str
) -> go.Figure:
    """One WebGL scatter panel per campaign (shared axes), coloured by status or a metric."""
    from plotly.subplots import make_subplots

    n = max(1, len(panels))
    fig = make_subplots(
        rows=1,
        cols=n,
        shared_xaxes=True,
        shared_yaxes=True,
        horizontal_spacing=0.03,
        subplot_titles=[f"{k} ({len(f)} shown)" for k, _, f in panels] or None,
    )
    for i, (key, camp, frame) in enumerate(panels):
        if x not in frame or y not in frame:
            continue
        for trace in _trial_traces(key, frame, x, y, color, colorbar=i == 0):
            fig.add_trace(trace, row=1, col=i + 1)
        ex = camp.exhaustive
        if ex is not None and x in ex and y in ex:
            fig.add_trace(_exact_front_trace(key, ex, x, y), row=1, col=i + 1)
    dirs: dict[str, str] = {}
    for _, camp, _ in panels:
        dirs.update(dict(camp.objectives))
    fig.update_xaxes(title_text=axis_label(x, dirs.get(x)), matches="x")  # same scale per panel
    fig.update_yaxes(title_text=axis_label(y, dirs.get(y)), col=1)
    fig.update_layout(
        template="plotly_white",
        uirevision=f"{x}|{y}|{len(panels)}",
        legend={"orientation": "h", "y": -0.18},
        margin={"l": 60, "r": 20, "t": 40, "b": 40},
        height=560,
        clickmode="event",
    )
    return fig


def hv_panel(hub: Hub, keys: list[str]) -> go.Figure:
    """Hypervolume vs trials of every explorer of the selected campaigns."""
    import plotly.graph_objects as go

    fig = go.Figure()
    strict: list[str] = []  # speed's hook: the strict measures of each explorer
    for key in keys:
        if len(hub.campaigns[key].campaign.objectives) < 2:
            continue  # one objective: the best value per trial is the quality curve
        q = hub.campaigns[key].quality()
        if q is None or not len(q.history):
            continue
        if "front_recall" in q.summary.columns:
            for explorer, r in q.summary.iterrows():
                if r["front_recall"] == r["front_recall"]:  # not the reference itself
                    strict.append(  # <= 60 characters a line: the panel is narrow
                        f"{str(explorer)[:12]}: recall {r['front_recall']:.2f}, IGD+ "
                        f"{r['igd_plus_norm']:.3f}, HV log {r['hv_ratio_log']:.2f}"
                    )
        for explorer, sub in q.history.groupby("explorer", sort=False):
            fig.add_trace(
                go.Scatter(
                    x=sub["trials"],
                    y=sub["hypervolume"],
                    mode="lines",
                    name=f"{key}: {explorer}",
                )
            )
    fig.update_layout(
        title="Hypervolume vs trials<br><sup>normalized on each campaign's own front; "
        "reference point 1.1" + "".join("<br>" + line for line in strict[:3]) + "</sup>",
        template="plotly_white",
        height=300,
        margin={"l": 60, "r": 20, "t": 60, "b": 40},
        xaxis_title="trials",
        uirevision="hv",
    )
    return fig


def verilog_files(camp: Any, design: str) -> dict[str, bytes]:
    """Files ``accelsmith generate`` writes for a design (Verilog, manifest, FuseSoC core).

    Calls :func:`accelsmith.generate.generate` with the design's parameters and the default
    module name, exactly as ``accelsmith generate <family> <flags>`` does.
    """
    from ..generate import generate, params_from_config

    row = design_row(camp, design)
    if row is None:
        raise ConfigError(f"design {design!r} is not in campaign {camp.name!r}")
    params = params_from_config(camp.family, config_of(camp, row))
    with tempfile.TemporaryDirectory(prefix="accelsmith-dash-") as tmp:
        emitted = generate(params, tmp)
        return {p.name: p.read_bytes() for p in (emitted.verilog, emitted.manifest, emitted.core)}


def design_details(lc: LiveCampaign, design: str) -> tuple[Any, list[go.Figure]]:
    """(HTML table rows, breakdown figures) of one design."""
    import pandas as pd
    import plotly.graph_objects as go
    from dash import html

    from ..core.commands import generate_command
    from .extract import layer_breakdown

    camp = lc.campaign
    row = design_row(camp, design)
    if row is None:
        return html.P(f"{design}: not found in {lc.key}"), []
    config = config_of(camp, row)
    cmd = generate_command(camp.family, config)
    items = [("design", design), ("campaign", lc.key), ("status", row.get("status", "exact"))]
    items += [(k, v) for k, v in config.items()]
    items += [(m, row[m]) for m in numeric_metrics(camp) if m in row.index and m not in config]
    items += [
        (f"constraint {m} {op} {b:g}", row.get(f"constraint_{i}"))
        for i, (m, op, b) in enumerate(camp.constraints)
    ]

    def fmt(v: Any) -> str:
        return f"{v:.5g}" if isinstance(v, (float, np.floating)) else str(v)

    table = html.Table(
        [html.Tr([html.Td(html.B(k)), html.Td(fmt(v))]) for k, v in items],
        className="details",
        style={"fontSize": "12px"},
    )
    figs = []
    for prefix, suffix, title in (("energy_", "_j", "energy [J]"), ("area_", "_um2", "area [µm²]")):
        parts = breakdown_columns(row.index, prefix, suffix)
        vals = [float(row[c]) for c in parts]
        fig = go.Figure(go.Bar(x=[c[len(prefix) : -len(suffix)] for c in parts], y=vals))
        fig.update_layout(title=title, height=260, margin={"l": 50, "r": 10, "t": 40, "b": 40})
        figs.append(fig)
    layers = layer_breakdown(camp, pd.DataFrame([row]))
    if len(layers):
        fig = go.Figure(go.Bar(x=layer_labels(layers), y=layers["latency_s"].to_numpy(float)))
        fig.update_layout(
            title=f"per-layer latency [s] ({', '.join(layers['workload'].unique())})",
            height=280,
            margin={"l": 50, "r": 10, "t": 40, "b": 80},
        )
        figs.append(fig)
    body = html.Div(
        [
            html.H4(design, id="details-title"),
            html.Code(cmd, id="details-command", style={"fontSize": "11px"}),
            table,
        ]
    )
    return body, figs
