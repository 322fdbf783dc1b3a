"""Plotly figures of a campaign (:class:`~accelsmith.reports.extract.Campaign`).

Shared by the HTML report and the dashboard. Every point carries its design id
(``<explorer>#<trial>``) as ``customdata[0]`` so a click can be traced back to the trial.
About 510 lines: one builder per report figure (fronts, HV history, parallel coordinates,
breakdowns, layers), none longer than a screen; splitting them would only scatter the shared
styles.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import numpy as np

from .extract import STATUS_DOMINATED, STATUS_INFEASIBLE, STATUS_PARETO, Campaign, Quality

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

__all__ = [
    "STYLE",
    "axis_label",
    "breakdown_columns",
    "breakdown_figure",
    "hv_figure",
    "layer_figure",
    "layer_labels",
    "parallel_figure",
    "pareto_3d_figure",
    "pareto_pair_figure",
    "single_objective_figure",
]

#: Marker style per status: feasible non-dominated, feasible dominated, infeasible.
STYLE: dict[str, dict[str, Any]] = {
    STATUS_PARETO: {"color": "#d62728", "size": 9, "symbol": "circle", "name": "Pareto-optimal"},
    STATUS_DOMINATED: {"color": "#6baed6", "size": 5, "symbol": "circle", "name": "dominated"},
    STATUS_INFEASIBLE: {"color": "#bdbdbd", "size": 5, "symbol": "x", "name": "infeasible"},
}
EXACT_STYLE = {"color": "#000000", "size": 6, "symbol": "diamond-open", "name": "exact front"}
#: Above this many points a 2-D scatter uses WebGL (and short hover labels).
GL_THRESHOLD = 4000
#: Dominated designs drawn in the 3-D view and lines in parallel coordinates at most (a seeded
#: sample beyond; every Pareto-optimal design is always drawn). Titles say when sampled.
MAX_3D = 4000
MAX_PARALLEL = 5000

_UNITS = {"_s": "s", "_j": "J", "_um2": "µm²", "_mm2": "mm²", "_w": "W", "_kb": "KiB"}


def axis_label(metric: str, direction: str | None = None) -> str:
    """``latency_s`` -> ``latency [s] (min)``."""
    label = metric
    for suffix, unit in _UNITS.items():
        if metric.endswith(suffix):
            label = f"{metric[: -len(suffix)]} [{unit}]"
            break
    if direction:
        label += " ↓" if direction == "minimize" else " ↑"
    return label


def hover_text(frame: pd.DataFrame, params: list[str], objectives: list[str]) -> list[str]:
    """One hover line block per row: design id, objectives, parameters."""
    cols = [c for c in (*objectives, *params) if c in frame.columns]
    parts = [frame["design"].astype(str)]
    for c in cols:
        v = frame[c]
        txt = v.map(lambda x: f"{x:.4g}") if v.dtype.kind == "f" else v.astype(str)
        parts.append(f"{c}=" + txt)
    out = parts[0]
    for p in parts[1:]:
        out = out + "<br>" + p
    return out.tolist()


def _scatter(
    frame: pd.DataFrame, x: str, y: str, status: str, camp: Campaign, gl: bool
) -> go.BaseTraceType:
    import plotly.graph_objects as go

    style = STYLE[status]
    cls = go.Scattergl if gl else go.Scatter
    sub = frame[frame["status"] == status]
    return cls(
        x=sub[x].to_numpy(),
        y=sub[y].to_numpy(),
        mode="markers",
        name=f"{style['name']} ({len(sub)})",
        legendgroup=status,
        marker={
            "color": style["color"],
            "size": style["size"],
            "symbol": style["symbol"],
            "line": {"width": 0.5, "color": "#333"} if status == STATUS_PARETO else {"width": 0},
        },
        customdata=np.stack([sub["design"].to_numpy()], axis=1) if len(sub) else None,
        meta=status,
        **_hover(sub, camp, f"{x}=%{{x:.4g}}<br>{y}=%{{y:.4g}}"),
    )


def _hover(sub: pd.DataFrame, camp: Campaign, values: str) -> dict[str, Any]:
    """Full hover text (objectives and parameters) for up to :data:`GL_THRESHOLD` points;
    past that only the design id and the plotted values, to keep large reports light."""
    if len(sub) <= GL_THRESHOLD:
        return {
            "hovertext": hover_text(sub, camp.params, camp.objective_names),
            "hoverinfo": "text",
        }
    return {"hovertemplate": "%{customdata[0]}<br>" + values + "<extra></extra>"}


def sample(frame: pd.DataFrame, n: int, keep: Any = None) -> pd.DataFrame:
    """At most ``n`` rows of ``frame`` (all rows where ``keep`` is True, plus a seeded random
    sample of the others), in the original order."""
    if len(frame) <= n:
        return frame
    keep = np.zeros(len(frame), dtype=bool) if keep is None else np.asarray(keep, dtype=bool)
    rest = np.flatnonzero(~keep)
    take = max(0, n - int(keep.sum()))
    rng = np.random.default_rng(0)
    chosen = np.zeros(len(frame), dtype=bool)
    chosen[keep] = True
    chosen[rng.choice(rest, size=min(take, len(rest)), replace=False)] = True
    return frame[chosen]


def pareto_pair_figure(
    camp: Campaign,
    x: str,
    y: str,
    *,
    frame: pd.DataFrame | None = None,
    gl: bool | None = None,
    title: str | None = None,
) -> go.Figure:
    """2-D scatter of ``x`` vs ``y``: Pareto, dominated and infeasible styled apart.

    The dashed staircase is the non-dominated front of this projection (over feasible
    designs); the exact front of an exhaustive run is overlaid as black diamonds.
    """
    import plotly.graph_objects as go

    from ..dse.pareto import nondominated_mask

    frame = camp.trials if frame is None else frame
    gl = len(frame) > GL_THRESHOLD if gl is None else gl
    fig = go.Figure()
    directions = dict(camp.objectives)
    for status in (STATUS_INFEASIBLE, STATUS_DOMINATED, STATUS_PARETO):
        if len(frame) and (frame["status"] == status).any():
            fig.add_trace(_scatter(frame, x, y, status, camp, gl))
    feas = frame[frame["status"] != STATUS_INFEASIBLE] if len(frame) else frame
    if len(feas) and x in directions and y in directions:
        pts = feas[[x, y]].to_numpy(float)
        xmin = directions[x] == "minimize"
        front = feas[nondominated_mask(pts, [directions[x], directions[y]])]
        front = front.sort_values(x, ascending=xmin)  # best x first
        # the attainment staircase: from the worst y above the first point, through the
        # front, to the worst x beside the last point (bounds the dominated region)
        xbad = feas[x].max() if xmin else feas[x].min()
        ybad = feas[y].max() if directions[y] == "minimize" else feas[y].min()
        fx = np.concatenate([[front[x].iloc[0]], front[x].to_numpy(float), [xbad]])
        fy = np.concatenate([[ybad], front[y].to_numpy(float), [front[y].iloc[-1]]])
        fig.add_trace(
            go.Scatter(
                x=fx,
                y=fy,
                mode="lines",
                line={"shape": "hv", "dash": "dash", "color": "#d62728"},
                name="2-D front of this pair",
                hoverinfo="skip",
            )
        )
    ex = camp.exhaustive
    if ex is not None and x in ex.columns and y in ex.columns:
        fig.add_trace(
            go.Scatter(
                x=ex[x],
                y=ex[y],
                mode="markers",
                name=f"{EXACT_STYLE['name']} ({len(ex)})",
                marker={k: EXACT_STYLE[k] for k in ("color", "size", "symbol")},
                customdata=np.stack([ex["design"].to_numpy()], axis=1),
                hovertext=hover_text(ex, camp.params, camp.objective_names),
                hoverinfo="text",
                meta="exact",
            )
        )
    fig.update_layout(
        title=title or f"{axis_label(y)} vs {axis_label(x)}",
        xaxis_title=axis_label(x, directions.get(x)),
        yaxis_title=axis_label(y, directions.get(y)),
        template="plotly_white",
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 60, "r": 20, "t": 50, "b": 60},
        clickmode="event+select",
    )
    for axis, metric in ((fig.update_xaxes, x), (fig.update_yaxes, y)):
        vals = frame[metric].to_numpy(float) if len(frame) and metric in frame else np.zeros(0)
        vals = vals[np.isfinite(vals)]
        if len(vals) and vals.min() > 0 and vals.max() / vals.min() > 100:
            axis(type="log")
    return fig


def pair_list(camp: Campaign) -> list[tuple[str, str]]:
    """Every unordered pair of objectives, in objective order."""
    return list(itertools.combinations(camp.objective_names, 2))


def pareto_3d_figure(camp: Campaign) -> go.Figure:
    """3-D scatter of the first three objectives (feasible designs; Pareto ones highlighted)."""
    import plotly.graph_objects as go

    x, y, z = camp.objective_names[:3]
    fig = go.Figure()
    for status in (STATUS_DOMINATED, STATUS_PARETO):
        full = camp.trials[camp.trials["status"] == status]
        if not len(full):
            continue
        sub = sample(full, MAX_3D) if status == STATUS_DOMINATED else full
        st = STYLE[status]
        shown = f"{len(sub)}" if len(sub) == len(full) else f"sample of {len(sub)} of {len(full)}"
        fig.add_trace(
            go.Scatter3d(
                x=sub[x],
                y=sub[y],
                z=sub[z],
                mode="markers",
                name=f"{st['name']} ({shown})",
                marker={
                    "size": 4 if status == STATUS_PARETO else 2,
                    "color": st["color"],
                    "opacity": 1.0 if status == STATUS_PARETO else 0.35,
                },
                customdata=np.stack([sub["design"].to_numpy()], axis=1),
                hovertext=hover_text(sub, camp.params, camp.objective_names),
                hoverinfo="text",
            )
        )
    ex = camp.exhaustive
    if ex is not None:
        fig.add_trace(
            go.Scatter3d(
                x=ex[x],
                y=ex[y],
                z=ex[z],
                mode="markers",
                name=f"exact front ({len(ex)})",
                marker={"size": 3, "color": "#000", "symbol": "diamond-open"},
            )
        )
    d = dict(camp.objectives)
    fig.update_layout(
        title="Feasible designs in the first three objectives",
        template="plotly_white",
        scene={
            "xaxis_title": axis_label(x, d[x]),
            "yaxis_title": axis_label(y, d[y]),
            "zaxis_title": axis_label(z, d[z]),
        },
        margin={"l": 0, "r": 0, "t": 50, "b": 0},
        height=600,
    )
    return fig


def single_objective_figure(camp: Campaign) -> go.Figure:
    """One objective: value per trial for every explorer, with the best so far as a line."""
    import plotly.graph_objects as go

    (metric, direction) = camp.objectives[0]
    fig = go.Figure()
    for explorer, sub in camp.trials.groupby("explorer", sort=False):
        for status in (STATUS_INFEASIBLE, STATUS_DOMINATED, STATUS_PARETO):
            part = sub[sub["status"] == status]
            if not len(part):
                continue
            st = STYLE[status]
            fig.add_trace(
                go.Scatter(
                    x=part["number"],
                    y=part[metric],
                    mode="markers",
                    name=f"{explorer}: {'best' if status == STATUS_PARETO else st['name']}",
                    marker={"color": st["color"], "size": st["size"], "symbol": st["symbol"]},
                    customdata=np.stack([part["design"].to_numpy()], axis=1),
                    hovertext=hover_text(part, camp.params, camp.objective_names),
                    hoverinfo="text",
                )
            )
        feas = sub[sub["feasible"]]
        if len(feas):
            best = feas[metric].cummin() if direction == "minimize" else feas[metric].cummax()
            fig.add_trace(
                go.Scatter(x=feas["number"], y=best, mode="lines", name=f"{explorer}: best so far")
            )
    fig.update_layout(
        title=f"{metric} per trial",
        xaxis_title="trial",
        yaxis_title=axis_label(metric, direction),
        template="plotly_white",
    )
    return fig


def hv_figure(quality: Quality) -> go.Figure:
    """Hypervolume (and HV ratio to the exact front when it exists) versus trials."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    hist = quality.history
    has_ratio = bool(len(hist)) and bool(np.isfinite(hist["hv_ratio"].to_numpy(float)).any())
    fig = make_subplots(
        rows=2 if has_ratio else 1,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.1,
        subplot_titles=("hypervolume", "HV ratio = HV / HV(exact front)") if has_ratio else None,
    )
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
    for i, (explorer, sub) in enumerate(hist.groupby("explorer", sort=False)):
        c = colors[i % len(colors)]
        fig.add_trace(
            go.Scatter(
                x=sub["trials"],
                y=sub["hypervolume"],
                mode="lines",
                name=str(explorer),
                legendgroup=str(explorer),
                line={"color": c},
            ),
            row=1,
            col=1,
        )
        if has_ratio:
            fig.add_trace(
                go.Scatter(
                    x=sub["trials"],
                    y=sub["hv_ratio"],
                    mode="lines",
                    name=f"{explorer} (ratio)",
                    legendgroup=str(explorer),
                    showlegend=False,
                    line={"color": c},
                ),
                row=2,
                col=1,
            )
    if has_ratio:
        fig.add_hline(y=1.0, line_dash="dot", row=2, col=1)
    norm = quality.normalization
    fig.update_layout(
        title="Hypervolume vs trials (normalized objectives, reference point "
        f"{norm.get('reference_point')}; bounds: {norm.get('source')})",
        title_font_size=13,
        template="plotly_white",
        height=560 if has_ratio else 380,
    )
    fig.update_xaxes(title_text="trials", row=2 if has_ratio else 1, col=1)
    return fig


def parallel_figure(camp: Campaign, color_by: str | None = None) -> go.Figure:
    """Parallel coordinates of the parameters and objectives, coloured by an objective."""
    import plotly.graph_objects as go

    full = camp.feasible if len(camp.feasible) else camp.trials
    frame = sample(full, MAX_PARALLEL, keep=full["status"] == STATUS_PARETO)
    color_by = color_by or camp.objective_names[0]
    dims = []
    for c in [*camp.params, *camp.objective_names]:
        if c not in frame.columns:
            continue
        v = frame[c]
        if v.dtype.kind in "biuf":
            dims.append({"label": c, "values": v.to_numpy(float)})
        else:
            cats = sorted(v.astype(str).unique())
            codes = v.astype(str).map({k: i for i, k in enumerate(cats)}).to_numpy()
            dims.append(
                {
                    "label": c,
                    "values": codes,
                    "tickvals": list(range(len(cats))),
                    "ticktext": cats,
                }
            )
    fig = go.Figure(
        go.Parcoords(
            line={
                "color": frame[color_by].to_numpy(float),
                "colorscale": "Viridis",
                "showscale": True,
                "colorbar": {"title": {"text": color_by}},
            },
            dimensions=dims,
        )
    )
    fig.update_layout(
        title=f"Parameters and objectives of {len(frame)} feasible designs"
        + (f" (all Pareto-optimal + a sample, of {len(full)})" if len(frame) < len(full) else "")
        + f", coloured by {color_by}",
        template="plotly_white",
        margin={"l": 60, "r": 60, "t": 90, "b": 30},
    )
    return fig


def breakdown_figure(frame: pd.DataFrame, prefix: str, suffix: str, title: str) -> go.Figure:
    """Stacked bars of the ``<prefix>*<suffix>`` columns (e.g. energy by component) per design."""
    import plotly.graph_objects as go
    from plotly.colors import qualitative

    parts = breakdown_columns(frame.columns, prefix, suffix)
    # one colour per component: Plotly's 10 colours cycle, so more parts take 26 (Alphabet)
    palette = qualitative.Plotly if len(parts) <= len(qualitative.Plotly) else qualitative.Alphabet
    fig = go.Figure()
    for i, c in enumerate(parts):
        fig.add_trace(
            go.Bar(
                x=frame["design"].astype(str),
                y=frame[c].to_numpy(float),
                name=c[len(prefix) : -len(suffix)],
                marker_color=palette[i % len(palette)],
            )
        )
    fig.update_layout(
        barmode="stack",
        title=title,
        template="plotly_white",
        yaxis_title=axis_label(f"x{suffix}").lstrip("x "),
        xaxis_title="design",
    )
    return fig


def breakdown_columns(columns: Any, prefix: str, suffix: str) -> list[str]:
    """The finest component columns of a total (``energy_<part>_j`` of ``energy_j``).

    Derived ratios (``energy_per_mac_j``) are not components, and a part that has
    sub-parts (``energy_sram_j`` with ``energy_sram_ifmap_j`` ...) is replaced by them, so
    the stacked parts add up to the total once.
    """
    total = f"{prefix[:-1]}{suffix}"
    parts = [
        c[len(prefix) : -len(suffix)]
        for c in columns
        if c.startswith(prefix)
        and c.endswith(suffix)
        and c != total
        and not c[len(prefix) :].startswith("per_")
    ]
    leaves = [p for p in parts if not any(q.startswith(p + "_") for q in parts)]
    return [f"{prefix}{p}{suffix}" for p in leaves]


def layer_labels(layers: pd.DataFrame) -> list[str]:
    """Layer names with their kind (``qkv [dense]``), prefixed ``<workload>/`` when the
    campaign weighs several workloads."""
    names = layers["layer"].astype(str)
    if "layer_kind" in layers:  # what the layer does: attention, kv_read, router, expert ...
        names = names + " [" + layers["layer_kind"].astype(str) + "]"
    if "workload" in layers and layers["workload"].nunique() > 1:
        names = layers["workload"].astype(str) + "/" + names
    return names.tolist()


def layer_figure(layers: pd.DataFrame, designs: list[str]) -> go.Figure:
    """Per-layer latency of each design (one design shown at a time; a menu switches)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, d in enumerate(designs):
        sub = layers[layers["design"] == d]
        fig.add_trace(
            go.Bar(
                x=layer_labels(sub),
                y=sub["latency_s"].to_numpy(float),
                name=d,
                visible=i == 0,
                customdata=np.stack([sub["utilization"].to_numpy(float)], axis=1)
                if "utilization" in sub
                else None,
                hovertemplate="%{x}: %{y:.3g} s<br>utilization %{customdata[0]:.2f}<extra></extra>"
                if "utilization" in sub
                else None,
            )
        )
    buttons = [
        {
            "label": d,
            "method": "update",
            "args": [{"visible": [j == i for j in range(len(designs))]}, {"title": f"{d}"}],
        }
        for i, d in enumerate(designs)
    ]
    fig.update_layout(
        title="Per-layer latency (choose a design)"
        + (
            "; each workload on its own, not weighted"
            if "workload" in layers and layers["workload"].nunique() > 1
            else ""
        ),
        template="plotly_white",
        yaxis_title="latency [s]",
        updatemenus=[{"buttons": buttons, "x": 1.0, "xanchor": "right", "y": 1.18}]
        if len(designs) > 1
        else [],
        height=420,
    )
    return fig
