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
    "BASE",
    "LEGEND",
    "LIVE",
    "axis_ranges",
    "design_details",
    "detach_layer",
    "extend_scatter",
    "filter_frame",
    "grow_ranges",
    "hv_panel",
    "numeric_metrics",
    "read_layer",
    "scatter_figure",
    "set_ranges",
    "slot_counts",
    "trace_slots",
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
    return frame if mask.all() else frame[mask]  # no filter: no copy of every row


#: trace kinds of one campaign panel, in order (coloured by status, or by a metric)
STATUS_KINDS = (STATUS_INFEASIBLE, STATUS_DOMINATED, STATUS_PARETO)
#: kinds with many points: drawn once in the static layer, new points in a live trace
BULK_KINDS = (STATUS_INFEASIBLE, STATUS_DOMINATED, "all")
#: layers of a trace (the third element of a slot)
BASE, LEGEND, LIVE = "base", "legend", "live"


def trace_slots(panels: list[tuple[str, Any, pd.DataFrame]], x: str, y: str, color: str):
    """``[campaign key, kind, layer]`` of every trace of :func:`scatter_figure`: the plot's
    traces in figure order, then the static layer's.

    Every trace exists even when empty, so that a live update can address a trace by its
    index (:func:`extend_scatter`). Kinds: the statuses, ``all`` (coloured by a metric) and
    ``exact`` (the exhaustive sweep's front). A bulk kind (:data:`BULK_KINDS`) has three
    traces: its points at the full draw (layer ``base``: not in the plot's data; the page
    draws them once in the static layer under the plot), the points that arrived since
    (``live``), and its legend entry (``legend``: no point; an empty trace would have none).
    The other kinds have one ``live`` trace. A point clicked in the static layer is reported
    with its slot's index (the plot's traces first)."""
    per: list[tuple[str, list[str]]] = []
    for key, camp, frame in panels:
        if x not in frame or y not in frame:
            continue
        kinds = list(STATUS_KINDS) if color == "status" else ["all"]
        ex = camp.exhaustive
        if ex is not None and x in ex and y in ex:
            kinds.append("exact")
        per.append((key, kinds))
    slots = [[key, k, LEGEND] for key, kinds in per for k in kinds if k in BULK_KINDS]
    slots += [[key, k, LIVE] for key, kinds in per for k in kinds]
    return slots + [[key, k, BASE] for key, kinds in per for k in kinds if k in BULK_KINDS]


def _trace_name(key: str, kind: str, count: int) -> str:
    if kind == "all":
        return key
    if kind == "exact":
        return f"{key}: exact front ({count})"
    return f"{key}: {STYLE[kind]['name']} ({count})"


def _points(
    sub: pd.DataFrame, x: str, y: str, color: str | None, layer: bool = False
) -> dict[str, Any]:
    """Trace data: numpy arrays (``layer``: a base trace, never extended, sent to the page
    as binary by :func:`detach_layer`) or plain lists (JSON arrays, so that a ``Patch`` can
    extend them). ``customdata`` is the design id."""
    cols = {"x": x, "y": y} | ({"marker.color": color} if color is not None else {})
    out: dict[str, Any] = {}
    for attr, col in cols.items():
        v = sub[col].to_numpy(float)
        out[attr] = v if layer else v.tolist()
    out["customdata"] = sub["design"].astype(str).tolist()
    return out


def _color_range(frames: list[pd.DataFrame], color: str) -> tuple[float, float] | None:
    """The colour scale's range over every point drawn (shared by the base and live traces
    of every panel, so a colour means the same value everywhere)."""
    vals = [f[color].to_numpy(float) for f in frames if color in f and len(f)]
    v = np.concatenate(vals) if vals else np.zeros(0)
    v = v[np.isfinite(v)]
    return (float(v.min()), float(v.max())) if len(v) else None


def _trace(
    slot: list[str],
    sub: pd.DataFrame | None,
    x: str,
    y: str,
    color: str,
    panel: int,
    crange: tuple[float, float] | None,
    name: str,
) -> dict[str, Any]:
    """A ``scattergl`` trace as a plain dict (plotly's per-element validation of 100,000-point
    lists is skipped: the values come straight from the ledger's numeric columns).

    ``base``: numpy arrays (the static layer's, see :func:`scatter_figure`); ``legend``: one
    empty point (``sub`` None) that carries the kind's legend entry, count and colour bar;
    ``live``: plain lists that patches extend (a bulk kind's live trace has no legend entry
    of its own: the legend trace's toggles its group)."""
    key, kind, layer = slot
    if layer == LEGEND:
        pts: dict[str, Any] = {"x": [None], "y": [None]}
        if kind == "all":
            pts["marker.color"] = [crange[0] if crange else 0.0]
    else:
        assert sub is not None
        pts = _points(sub, x, y, color if kind == "all" else None, layer=layer == BASE)
    if kind == "all":
        marker = {
            "color": pts.pop("marker.color"),
            "colorscale": "Viridis",
            "size": 6,
            "showscale": panel == 0 and layer == LEGEND,
            "colorbar": {"title": {"text": color}},
        }
        if crange is not None:
            marker |= {"cmin": crange[0], "cmax": crange[1]}
    elif kind == "exact":
        marker = {"color": "#000", "size": 6, "symbol": "diamond-open"}
    else:
        st = STYLE[kind]
        marker = {"color": st["color"], "size": st["size"] + 1, "symbol": st["symbol"]}
    extra = " (exact front)" if kind == "exact" else ""
    axis = "" if panel == 0 else str(panel + 1)
    trace = {
        "type": "scattergl",
        "mode": "markers",
        "name": name,
        "legendgroup": f"{key}|{kind}",
        "showlegend": layer == LEGEND or kind not in BULK_KINDS,
        "marker": marker,
        "meta": {"campaign": key, "kind": kind, "layer": layer},
        "hovertemplate": "%{customdata}"
        + extra
        + "<br>"
        + f"{x}=%{{x:.4g}}<br>{y}=%{{y:.4g}}<extra>{key}</extra>",
        "xaxis": f"x{axis}",
        "yaxis": f"y{axis}",
        **pts,
    }
    if layer == LEGEND:
        trace["hoverinfo"] = "skip"
        del trace["hovertemplate"]
    return trace


#: margin of an axis range beyond the points at a full draw, and beyond a new extreme when a
#: live update grows the range (fractions of the span): ranges move rarely, and every move
#: redraws the static layer
RANGE_PAD = 0.05
RANGE_SLACK = 0.15


def _extent(values: list[np.ndarray]) -> tuple[float, float] | None:
    v = np.concatenate([np.asarray(a, dtype=float) for a in values]) if values else np.zeros(0)
    v = v[np.isfinite(v)]
    return (float(v.min()), float(v.max())) if len(v) else None


def _padded(lo: float, hi: float, pad: float) -> list[float]:
    span = hi - lo if hi > lo else (abs(hi) or 1.0)
    return [lo - pad * span, hi + pad * span]


def axis_ranges(frames: list[pd.DataFrame], x: str, y: str) -> list[list[float] | None]:
    """``[x range, y range]`` covering every point of ``frames``, padded (None: no points).

    The scatter's axes are given these ranges instead of plotly's autorange, which would
    move with every new extreme point and make the page redraw every point."""
    out: list[list[float] | None] = []
    for col in (x, y):
        ext = _extent([f[col].to_numpy(float) for f in frames if col in f and len(f)])
        out.append(_padded(*ext, RANGE_PAD) if ext is not None else None)
    return out


def grow_ranges(
    ranges: list[list[float] | None], frames: list[pd.DataFrame], x: str, y: str
) -> list[list[float] | None] | None:
    """The ranges grown to hold the points of ``frames`` (with slack), or None if they fit."""
    grown, moved = [], False
    for r, col in zip(ranges, (x, y), strict=True):
        ext = _extent([f[col].to_numpy(float) for f in frames if col in f and len(f)])
        if ext is None or (r is not None and r[0] <= ext[0] and ext[1] <= r[1]):
            grown.append(r)
            continue
        if r is None:
            grown.append(_padded(*ext, RANGE_SLACK))
        else:  # only the side that a point passed moves
            lo, hi = _padded(min(r[0], ext[0]), max(r[1], ext[1]), RANGE_SLACK)
            grown.append([lo if ext[0] < r[0] else r[0], hi if ext[1] > r[1] else r[1]])
        moved = True
    return grown if moved else None


def set_ranges(layout: Any, ranges: list[list[float] | None], n_panels: int) -> None:
    """Put ``ranges`` on every panel's axes of a figure layout (a dict or a ``Patch``)."""
    for i in range(max(1, n_panels)):
        suffix = "" if i == 0 else str(i + 1)
        for axis, r in zip(("xaxis", "yaxis"), ranges, strict=True):
            if r is not None:
                layout[f"{axis}{suffix}"]["range"] = r
                layout[f"{axis}{suffix}"]["autorange"] = False


def _slot_rows(camp: Any, frame: pd.DataFrame, kind: str, layer: str) -> pd.DataFrame | None:
    """The rows of one trace at a full draw (a live trace of a bulk kind starts empty; a
    legend trace has none)."""
    if layer == LEGEND:
        return None
    if kind == "exact":
        return camp.exhaustive
    if layer == LIVE and kind in BULK_KINDS:
        return frame.iloc[:0]
    return frame if kind == "all" else frame[frame["status"] == kind]


def scatter_figure(
    panels: list[tuple[str, Any, pd.DataFrame]],
    x: str,
    y: str,
    color: str,
    draw: str = "",
) -> dict[str, Any]:
    """One WebGL scatter panel per campaign (shared axes), coloured by status or a metric,
    as a plotly figure dict (``data``, ``layout``) for ``dcc.Graph``.

    Every point of ``panels`` is drawn (nothing is thinned: the front is always complete);
    ``customdata`` of a point is its design id. Traces are :func:`trace_slots`: the bulk of
    the points is in the base traces, which are not in ``data`` but in ``layout.meta.layer``
    (their data as numpy arrays here; :func:`detach_layer` takes them out of the figure
    into a binary payload that the page fetches on its own): plotly.js recomputes and
    redraws every trace of a plot whenever any trace's data changes (most of a second at
    100,000 points in software WebGL), so the dashboard's page script
    (``assets/static_layer.js``) draws them once in a second plot under this one, and a
    live update, a patch of the small live traces, never touches them.
    ``layout.meta.draw`` names this full draw: the page redraws that layer for a new full
    draw, or when the plot area or the axis ranges move, never for a live update."""
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
    slots = trace_slots(panels, x, y, color)
    crange = _color_range([f for _, _, f in panels], color) if color != "status" else None
    index = {key: i for i, (key, _, _) in enumerate(panels)}
    frames = {key: (camp, frame) for key, camp, frame in panels}
    rows = {(k, kind, layer): _slot_rows(*frames[k], kind, layer) for k, kind, layer in slots}
    data, layer = [], []
    for slot in slots:
        key, kind, where = slot
        sub = rows[key, kind, BASE if kind in BULK_KINDS else LIVE]
        name = _trace_name(key, kind, len(sub) if sub is not None else 0)
        tr = _trace(slot, rows[key, kind, where], x, y, color, index[key], crange, name)
        (layer if where == BASE else data).append(tr)
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
        # transparent: the static layer (the base traces' points) shows through
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
    )
    out = fig.to_plotly_json()["layout"]
    out["meta"] = {"draw": draw, "layer": layer}
    extents = [f for _, _, f in panels]
    extents += [c.exhaustive for _, c, _ in panels if c.exhaustive is not None]
    set_ranges(out, axis_ranges(extents, x, y), len(panels))
    return {"data": data, "layout": out}


def slot_counts(fig: dict[str, Any]) -> list[int]:
    """Points per slot of a :func:`scatter_figure` (plot traces, then the static layer's;
    a detached layer trace says its count in ``n``)."""
    traces = [*fig["data"], *fig["layout"]["meta"]["layer"]]
    return [t["n"] if "n" in t else len(t.get("customdata", ())) for t in traces]


#: first bytes of a static-layer payload (format version 1)
LAYER_MAGIC = b"ASL1"
_LAYER_ARRAYS = ("x", "y", "marker.color")


def detach_layer(fig: dict[str, Any], src: str) -> bytes:
    """Take the base traces' data out of a :func:`scatter_figure` figure (in place) and
    return it as one binary payload, served at ``src`` (``layout.meta.src``).

    The figure keeps each base trace's style, with its point count in ``n``; the page
    (``assets/static_layer.js``) fetches ``src`` and reads the numbers as typed arrays
    (no JSON parsing of 100,000 numbers, no base64 text). Format, little-endian:
    ``b"ASL1"``, uint32 header length, the JSON header (``{"traces": [{"n", "arrays"}],
    "designs": bytes}``, space-padded to a multiple of 8 bytes from the start), then per
    trace its arrays (``x``, ``y``, optionally ``marker.color``) as float64, then every
    trace's design ids in trace order, UTF-8, joined by newlines. :func:`read_layer`
    reads it back."""
    import json
    import struct

    meta = fig["layout"]["meta"]
    header, blobs, designs = [], [], []
    for tr in meta["layer"]:
        arrays = {"x": tr.pop("x"), "y": tr.pop("y")}
        color = tr["marker"].get("color")
        if isinstance(color, np.ndarray):
            arrays["marker.color"] = tr["marker"].pop("color")
        ids = tr.pop("customdata")
        if any("\n" in d for d in ids):
            raise ConfigError("design ids must not contain a newline")
        tr["n"] = len(ids)
        header.append({"n": len(ids), "arrays": list(arrays)})
        blobs += [np.ascontiguousarray(a, dtype="<f8").tobytes() for a in arrays.values()]
        designs += ids
    text = "\n".join(designs).encode()
    head = json.dumps({"traces": header, "designs": len(text)}).encode()
    head += b" " * (-(8 + len(head)) % 8)  # the float64 arrays start 8-byte aligned
    meta["src"] = src
    return b"".join([LAYER_MAGIC, struct.pack("<I", len(head)), head, *blobs, text])


def read_layer(payload: bytes) -> list[dict[str, Any]]:
    """The base traces' data of a :func:`detach_layer` payload: per trace its arrays
    (float64) and ``customdata`` (design ids)."""
    import json
    import struct

    if payload[:4] != LAYER_MAGIC:
        raise ValueError("not a static-layer payload (missing ASL1 magic)")
    (size,) = struct.unpack_from("<I", payload, 4)
    head = json.loads(payload[8 : 8 + size])
    off, out = 8 + size, []
    for spec in head["traces"]:
        arrays = {}
        for attr in spec["arrays"]:
            if attr not in _LAYER_ARRAYS:
                raise ValueError(f"static-layer array must be one of {_LAYER_ARRAYS}, not {attr}")
            arrays[attr] = np.frombuffer(payload, dtype="<f8", count=spec["n"], offset=off)
            off += 8 * spec["n"]
        out.append(arrays)
    text = payload[off : off + head["designs"]].decode()
    ids = text.split("\n") if text else []
    start = 0
    for spec, arrays in zip(head["traces"], out, strict=True):
        arrays["customdata"] = ids[start : start + spec["n"]]
        start += spec["n"]
    return out


def extend_scatter(
    patch: Any,
    slots: list[list[str]],
    counts: list[int],
    key: str,
    parts: dict[str, pd.DataFrame],
    x: str,
    y: str,
    color: str,
) -> None:
    """Add a campaign's changes to a Dash ``Patch`` of :func:`scatter_figure` (in place).

    ``parts``: ``new`` (new rows, current status), ``demoted`` (rows drawn as Pareto-optimal
    that are dominated now) and ``front`` (the whole current front, or absent when it did
    not change), each already filtered. New and demoted points are appended to the live
    traces of their kinds (the base traces, drawn once, are never touched); the front trace
    (small) is replaced. ``counts`` (points per slot) is updated, and so is the legend
    entry (the legend trace's name: base and live points of the kind)."""
    new = parts["new"]
    where = {(k, kind, layer): i for i, (k, kind, layer) in enumerate(slots)}
    for i, (k, kind, layer) in enumerate(slots):
        if k != key or layer != LIVE:
            continue
        if kind == "all":
            add = new
        elif kind == STATUS_DOMINATED:
            add = _concat([new[new["status"] == kind], parts["demoted"]])
        elif kind == STATUS_INFEASIBLE:
            add = new[new["status"] == kind]
        elif kind == STATUS_PARETO and parts.get("front") is not None:
            pts = _points(parts["front"], x, y, None)
            for attr, values in pts.items():
                patch["data"][i][attr] = values
            counts[i] = len(parts["front"])
            patch["data"][i]["name"] = _trace_name(key, kind, counts[i])
            continue
        else:
            continue
        if not len(add):
            continue
        pts = _points(add, x, y, color if kind == "all" else None)
        for attr, values in pts.items():
            target = patch["data"][i]["marker"]["color"] if attr == "marker.color" else None
            (target if target is not None else patch["data"][i][attr]).extend(values)
        counts[i] += len(add)
        total = counts[i] + counts[where[key, kind, BASE]]
        patch["data"][where[key, kind, LEGEND]]["name"] = _trace_name(key, kind, total)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    import pandas as pd

    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=["design"])
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def hv_panel(hub: Hub, keys: list[str], *, wait: bool = True) -> go.Figure:
    """Hypervolume vs trials of every explorer of the selected campaigns.

    ``wait=False`` (the live dashboard): use the quality numbers computed last and let a
    throttled background job bring them up to date (:meth:`LiveCampaign.quality_later`);
    the title says how many trials they are of."""
    import plotly.graph_objects as go

    fig = go.Figure()
    strict: list[str] = []  # speed's hook: the strict measures of each explorer
    asof: list[str] = []
    for key in keys:
        lc = hub.campaigns[key]
        if len(lc.objectives) < 2:
            continue  # one objective: the best value per trial is the quality curve
        if wait:
            q, n = lc.quality(), lc.n
        else:
            q, n = lc.quality_later()
        if n != lc.n:
            asof.append(f"{key}: as of {n} of {lc.n} trials (updating)")
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
    lines = strict[:3] + asof[:1]
    fig.update_layout(
        title="Hypervolume vs trials<br><sup>normalized on each campaign's own front; "
        "reference point 1.1" + "".join("<br>" + line for line in lines) + "</sup>",
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
