"""``accelsmith dashboard``: a Dash app over one or more campaign storages.

Live (interval polling of :class:`~accelsmith.reports.live.Hub`), objective per axis, filters
by constraints and parameter ranges, click a point for its details and breakdowns, several
campaigns side by side, and a button that writes the selected design's Verilog through
:func:`accelsmith.generate.generate` (the code path of ``accelsmith generate``) for download.
Points are drawn with WebGL (``Scattergl``) and carry only their design id, so 20,000-trial
campaigns stay responsive.
"""

from __future__ import annotations

import io
import json
import signal
import threading
import time
import uuid
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .draws import Draws
from .live import Hub
from .panels import (
    design_details,
    extend_scatter,
    filter_frame,
    grow_ranges,
    hv_panel,
    numeric_metrics,
    set_ranges,
    verilog_files,
)

if TYPE_CHECKING:
    import dash

__all__ = ["create_app", "filter_frame", "serve", "verilog_files"]

_SIDEBAR = {"width": "290px", "padding": "10px", "background": "#f4f6f9", "fontSize": "13px"}
#: the static layer: exactly under the Pareto plot's drawing, never under the mouse
_BASE_LAYER = {"position": "absolute", "top": 0, "left": 0, "zIndex": 0, "pointerEvents": "none"}


def _axis_options(hub: Hub) -> list[str]:
    seen: dict[str, None] = {}
    for lc in hub.campaigns.values():
        for m in numeric_metrics(lc.campaign):
            seen.setdefault(m)
    return ["number", *seen]


def _param_specs(hub: Hub) -> dict[str, dict[str, Any]]:
    """Parameter -> {"kind": "range", "min", "max"} or {"kind": "choice", "values"}; with
    ``"space": True`` when taken from the design space (every trial lies inside)."""
    specs: dict[str, dict[str, Any]] = {}
    for lc in hub.campaigns.values():
        camp = lc.campaign
        space = camp.info.get("space") or {}
        for p in camp.params:
            dim = space.get(p) if isinstance(space.get(p), dict) else None
            if dim and "choices" in dim:
                vals = [str(v) for v in dim["choices"]]
                specs.setdefault(p, {"kind": "choice", "values": vals, "space": True})
            elif dim and "low" in dim:
                rng = {"kind": "range", "min": dim["low"], "max": dim["high"], "space": True}
                specs.setdefault(p, rng)
            elif p in camp.trials and len(camp.trials):
                v = camp.trials[p]
                if v.dtype.kind in "biuf":
                    specs.setdefault(p, {"kind": "range", "min": v.min(), "max": v.max()})
                else:
                    specs.setdefault(
                        p, {"kind": "choice", "values": sorted(v.astype(str).unique())}
                    )
    return specs


def _constraint_specs(hub: Hub) -> dict[str, tuple[str, float]]:
    out: dict[str, tuple[str, float]] = {}
    for lc in hub.campaigns.values():
        for m, op, b in lc.campaign.constraints:
            out.setdefault(m, (op, b))
    return out


def create_app(hub: Hub, *, interval: float = 2.0) -> dash.Dash:
    """The Dash application over ``hub`` (not started): the layout, then its callbacks."""
    from dash import Dash

    app = Dash(__name__, title="accelsmith dashboard", update_title=None)
    app.layout = lambda: layout(hub, interval=interval)  # a client id per page load
    app.index_string = app.index_string.replace("{%css%}", _preloads(app) + "{%css%}")
    scatters = _layer_route(app, hub)
    _live_callbacks(app, hub, scatters, interval)
    _design_callbacks(app, hub)
    return app


#: the static layer's payloads (``<prefix>_accelsmith/layer/<key>``; ``default``: the newest
#: draw of the default view, which the page script fetches before the figure arrives)
LAYER_ROUTE = "_accelsmith/layer/"


def _preloads(app: dash.Dash) -> str:
    """``<link rel="preload">`` tags: the browser fetches, while it reads the page scripts,
    the default view's static layer (``assets/static_layer.js`` takes it from there) and
    plotly.js (4.8 MB), which Dash requests (at this URL, without a fingerprint) only once
    the layout has been rendered."""
    prefix = app.config.requests_pathname_prefix
    plotly_js = f"{prefix}_dash-component-suites/plotly/package_data/plotly.min.js"
    layer = prefix + LAYER_ROUTE + "default"
    return (
        f'<link rel="preload" href="{layer}" as="fetch" crossorigin="anonymous">'
        f'<link rel="preload" href="{plotly_js}" as="script">'
    )


def _default_view(hub: Hub, cspecs: dict[str, tuple[str, float]]) -> _View:
    """The view of a freshly loaded page (the controls' initial values, see :func:`layout`)."""
    keys = list(hub.campaigns)
    objs = hub.campaigns[keys[0]].campaign.objective_names
    x0, y0 = (objs[0], objs[1]) if len(objs) > 1 else ("number", objs[0])
    pspecs = _param_specs(hub)
    ranges = {
        p: [float(s["min"]), float(s["max"])] for p, s in pspecs.items() if s["kind"] == "range"
    }
    choices = {p: s["values"] for p, s in pspecs.items() if s["kind"] == "choice"}
    values = [keys[:1], x0, y0, "status", [], [None] * len(cspecs), list(ranges.values())]
    values.append(list(choices.values()))
    specs: list[Any] = [[] for _ in _VIEW]
    for names in (list(cspecs), list(ranges), list(choices)):
        specs.append([{"id": {"name": n}} for n in names])
    return _View(hub, cspecs, values, specs, pspecs)


def _layer_route(app: dash.Dash, hub: Hub) -> Draws:
    """Serve the static layer's payloads; build the default view's draw now, so that the
    first page load finds it ready (see :mod:`accelsmith.reports.draws`)."""
    from flask import Response

    draws = Draws(hub, app.config.requests_pathname_prefix + LAYER_ROUTE)
    default = _default_view(hub, _constraint_specs(hub))
    draws.get(default)

    @app.server.route(app.config.routes_pathname_prefix + LAYER_ROUTE + "<key>")
    def _layer(key: str) -> Any:
        draw = draws.get(default) if key == "default" else draws.find(key)
        if draw is None:  # dropped (many views since): the page asks for a new full draw
            return Response(f"no static layer {key!r}: draw anew", status=404)
        return Response(
            draw.layer,
            mimetype="application/octet-stream",
            headers={"X-Accelsmith-Layer": draw.src, "Cache-Control": "no-store"},
        )

    return draws


# ------------------------------------------------------------------------------ layout


def layout(hub: Hub, *, interval: float = 2.0) -> Any:
    """The page: campaign, axis and filter controls | Pareto plot, HV, table | one design."""
    from dash import dcc, html

    return html.Div(
        [
            # re-armed by each poll's answer (max_intervals = n + 1): one poll in flight at most
            dcc.Interval(id="poll", interval=int(interval * 1000), max_intervals=1),
            dcc.Store(id="version", data=hub.versions()),
            dcc.Store(id="selected"),
            dcc.Store(id="drawn"),  # what the scatter on this page shows (see _live_callbacks)
            dcc.Store(id="redraw", data=0),
            dcc.Store(id="client", data=uuid.uuid4().hex),
            html.Div([_sidebar(hub), _main_pane(), _details_pane()], style={"display": "flex"}),
        ],
        style={"fontFamily": "system-ui, sans-serif"},
    )


def _filter_controls(hub: Hub) -> list[Any]:
    """Constraint limits, then a range slider or checklist per design parameter."""
    from dash import dcc, html

    controls: list[Any] = [html.H4("constraints")]
    for m, (op, b) in _constraint_specs(hub).items():
        controls += [
            html.Label(f"{m} {op}"),
            dcc.Input(
                id={"type": "limit", "name": m},
                type="number",
                value=None,
                placeholder=f"{b:g} (campaign bound)",
                debounce=True,
            ),
        ]
    controls.append(html.H4("parameters"))
    for p, spec in _param_specs(hub).items():
        if spec["kind"] == "range":
            lo, hi = float(spec["min"]), float(spec["max"])
            control = dcc.RangeSlider(
                id={"type": "prange", "name": p},
                min=lo,
                max=hi,
                value=[lo, hi],
                tooltip={"placement": "bottom"},
                marks=None,
            )
        else:
            control = dcc.Checklist(
                id={"type": "pchoice", "name": p},
                options=spec["values"],
                value=spec["values"],
                inline=True,
            )
        controls += [html.Label(p), control]
    return controls


def _sidebar(hub: Hub) -> Any:
    from dash import dcc, html

    keys = list(hub.campaigns)
    objs = hub.campaigns[keys[0]].campaign.objective_names
    axis_opts = _axis_options(hub)
    x0, y0 = (objs[0], objs[1]) if len(objs) > 1 else ("number", objs[0])
    return html.Div(
        [
            html.H3("accelsmith", style={"margin": "0 0 8px"}),
            html.Label("campaigns (several: side by side)"),
            dcc.Dropdown(id="campaigns", options=keys, value=keys[:1], multi=True),
            html.Label("x axis"),
            dcc.Dropdown(id="x-axis", options=axis_opts, value=x0, clearable=False),
            html.Label("y axis"),
            dcc.Dropdown(id="y-axis", options=axis_opts, value=y0, clearable=False),
            html.Label("colour"),
            dcc.Dropdown(id="color", options=["status", *axis_opts[1:]], value="status"),
            dcc.Checklist(
                id="flags",
                options=[
                    {"label": " feasible only", "value": "feasible"},
                    {"label": " Pareto-optimal only", "value": "pareto"},
                ],
                value=[],
            ),
            *_filter_controls(hub),
        ],
        style=_SIDEBAR,
    )


def _main_pane() -> Any:
    from dash import dash_table, dcc, html

    return html.Div(
        [
            html.Div(id="status-line", style={"fontSize": "13px", "color": "#444"}),
            html.Div(  # the static layer under the plot (see assets/static_layer.js)
                [
                    html.Div(id="pareto-base", style=_BASE_LAYER),
                    dcc.Graph(
                        id="pareto",
                        config={"displaylogo": False},
                        style={"position": "relative", "zIndex": 1},
                    ),
                ],
                style={"position": "relative"},
            ),
            dcc.Graph(id="hv", config={"displaylogo": False}),
            html.H4("Pareto-optimal designs shown (click a row for its details)"),
            dash_table.DataTable(
                id="pareto-table",
                page_size=12,
                sort_action="native",
                filter_action="native",
                style_table={"overflowX": "auto"},
                style_cell={"fontSize": "12px", "padding": "2px 6px"},
            ),
        ],
        style={"flex": "1", "minWidth": "0", "padding": "0 10px"},
    )


def _details_pane() -> Any:
    from dash import dcc, html

    return html.Div(
        [
            html.H3("selected design"),
            html.Div("Click a point to see its details.", id="details", style={"fontSize": "13px"}),
            html.Button("Download Verilog (.v)", id="verilog-button", disabled=True),
            html.Button(
                "Download bundle (.zip)",
                id="bundle-button",
                disabled=True,
                style={"marginLeft": "6px"},
            ),
            html.Div(id="download-status", style={"fontSize": "12px"}),
            dcc.Download(id="download"),
            html.Div(id="details-figures"),
        ],
        style={"width": "430px", "padding": "10px", "overflowY": "auto"},
    )


# ------------------------------------------------------------------------------ callbacks


_VIEW = [
    ("campaigns", "value"),
    ("x-axis", "value"),
    ("y-axis", "value"),
    ("color", "value"),
    ("flags", "value"),
]
_FILTERS = [("limit", "value"), ("prange", "value"), ("pchoice", "value")]


def _view_inputs(cls: Any) -> list[Any]:
    """The controls that define what the scatter shows, as ``cls`` (Input or State)."""
    from dash import ALL

    return [cls(i, p) for i, p in _VIEW] + [cls({"type": t, "name": ALL}, p) for t, p in _FILTERS]


class _View:
    """One client's view (selected campaigns, axes, colour, filters), JSON-comparable."""

    def __init__(
        self,
        hub: Hub,
        cspecs: dict[str, tuple[str, float]],
        values: list[Any],
        specs: list[Any],
        pspecs: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        """``values``: the controls' values in :func:`_view_inputs` order; ``specs``: Dash's
        ``inputs_list`` / ``states_list`` entries of the same controls (the filters' ids);
        ``pspecs``: :func:`_param_specs` (a filter spanning its whole space dimension passes
        every trial, so it is not applied)."""
        sel, x, y, color, flags, limit_vals, prange_vals, pchoice_vals = values
        keys = list(hub.campaigns)
        self.sel = [k for k in (sel or []) if k in hub.campaigns] or keys[:1]
        self.x, self.y, self.color, self.flags = x, y, color or "status", flags or []
        names = [[i["id"]["name"] for i in spec] for spec in specs[len(_VIEW) :]]
        full = pspecs or {}
        self.limits = {m: (cspecs[m][0], v) for m, v in zip(names[0], limit_vals, strict=True)}
        self.ranges = {
            p: tuple(v)
            for p, v in zip(names[1], prange_vals, strict=True)
            if v and not _whole_range(full.get(p), v)
        }
        self.choices = {
            p: v or []
            for p, v in zip(names[2], pchoice_vals, strict=True)
            if not _whole_choice(full.get(p), v)
        }
        self.signature = [
            self.sel,
            x,
            y,
            self.color,
            self.flags,
            limit_vals,
            prange_vals,
            pchoice_vals,
        ]

    def filter(self, frame: Any) -> Any:
        return filter_frame(
            frame, flags=self.flags, limits=self.limits, ranges=self.ranges, choices=self.choices
        )


#: the longest a poll waits for a commit when there is nothing new [s] (local storage files
#: only: :meth:`~accelsmith.reports.live.Hub.wait_for_commit`; at least the interval)
LONG_POLL_S = 1.0
#: after a storage file changed, a poll reads again every COMMIT_RETRY_S for up to
#: COMMIT_SETTLE_S until the commit shows (then it answers at once) [s]
COMMIT_SETTLE_S = 0.5
COMMIT_RETRY_S = 0.01


def _news(hub: Hub, sel: list[str], drawn: dict[str, Any]) -> bool:
    """A campaign on show has data or a layout the page's figure does not."""
    for k in sel:
        lc, (_, v0, g0) = hub.campaigns[k], drawn["at"][k]
        if lc.version != v0 or lc.generation != g0:
            return True
    return False


def _whole_range(spec: dict[str, Any] | None, value: list[float]) -> bool:
    return bool(spec and spec.get("space") and spec["kind"] == "range") and (
        value[0] <= spec["min"] and value[1] >= spec["max"]
    )


def _whole_choice(spec: dict[str, Any] | None, value: list[str] | None) -> bool:
    return bool(spec and spec.get("space") and spec["kind"] == "choice") and set(
        spec["values"]
    ) <= set(value or [])


def _status_line(hub: Hub, sel: list[str]) -> str:
    parts = []
    for k in sel:
        lc = hub.campaigns[k]
        parts.append(
            f"{k}: {lc.n} trials, {lc.n_feasible} feasible, {lc.front_size} Pareto-optimal"
        )
    return " · ".join(parts) + " · every point drawn (WebGL)"


def _live_callbacks(app: dash.Dash, hub: Hub, scatters: Draws, interval: float = 2.0) -> None:
    """The scatter, status line and Pareto table: drawn whole when the view changes, then
    kept current by polls that send only what changed (a Dash ``Patch``).

    The ``drawn`` store of a page records what its figure shows: the view signature, the
    trace slots and their point counts, and per campaign ``[rows drawn, version,
    generation]``. A poll answers with a patch from there; a full draw replaces figure and
    store together. A full draw that started after a poll began makes that poll's patch void
    (``draws``: full draws started per page), so a late patch never lands on a new figure.
    """
    from dash import Input, Output, Patch, State, ctx, no_update

    cspecs = _constraint_specs(hub)
    pspecs = _param_specs(hub)
    draws: dict[str, int] = {}
    lock = threading.Lock()
    tables: dict[str, Any] = {}  # the Pareto table per view and fronts (see table())

    def table(view: _View) -> tuple[list[dict], list[dict]]:
        """:func:`pareto_rows` of ``view``, built once per change of a front shown."""
        stamp = json.dumps([view.signature, [hub.campaigns[k].front_stamp for k in view.sel]])
        with lock:
            got = tables.get(stamp)
        if got is None:
            got = pareto_rows([(k, hub.campaigns[k], view) for k in view.sel])
            with lock:
                if len(tables) >= 16:
                    tables.pop(next(iter(tables)))
                tables[stamp] = got
        return got

    @app.callback(
        Output("pareto", "figure"),
        Output("status-line", "children"),
        Output("pareto-table", "data"),
        Output("pareto-table", "columns"),
        Output("drawn", "data"),
        *_view_inputs(Input),
        Input("redraw", "data"),
        State("client", "data"),
    )
    def _draw(*args: Any) -> Any:
        *values, _redraw, client = args
        with lock:
            draws[client] = draws.get(client, 0) + 1
            draw = f"{client}:{draws[client]}"  # names this full draw (layout.meta.draw)
        view = _View(hub, cspecs, values, ctx.inputs_list[: len(_VIEW) + 3], pspecs)
        # built once per view and campaign state (see draws.py); a redraw asked by a poll
        # (the rows were laid out anew, or points must leave) or by the page is built anew
        kept = scatters.get(view, fresh=ctx.triggered_id == "redraw")
        fig = kept.figure_named(draw)
        drawn = kept.drawn(view.signature)
        rows, columns = table(view)
        return fig, _status_line(hub, view.sel), rows, columns, drawn

    @app.callback(
        Output("poll", "max_intervals"),
        Output("version", "data"),
        Output("pareto", "figure", allow_duplicate=True),
        Output("drawn", "data", allow_duplicate=True),
        Output("status-line", "children", allow_duplicate=True),
        Output("pareto-table", "data", allow_duplicate=True),
        Output("redraw", "data", allow_duplicate=True),
        Input("poll", "n_intervals"),
        State("version", "data"),
        State("drawn", "data"),
        State("redraw", "data"),
        State("client", "data"),
        *_view_inputs(State),
        prevent_initial_call=True,
    )
    def _poll(n: int | None, current: Any, drawn: Any, redraw: int, client: str, *values):
        rearm = (n or 0) + 1
        nothing = (rearm, no_update, no_update, no_update, no_update, no_update, no_update)
        with lock:  # a full draw started from here on makes this poll's patch void
            token = draws.get(client, 0)
        view = _View(hub, cspecs, values, ctx.states_list[4:], pspecs)
        stale = drawn is None or drawn["view"] != view.signature  # a full draw is on its way
        # a long poll: with nothing new, wait (up to a hold) for the next commit and answer
        # as soon as it is read, instead of after the next interval
        end = time.monotonic() + max(interval, LONG_POLL_S)
        min_age, seen = interval / 2, None
        while True:
            try:
                hub.refresh(min_age=min_age)
            except Exception as exc:  # storage gone or locked: keep the page, say so
                return (
                    rearm,
                    no_update,
                    no_update,
                    no_update,
                    f"poll failed: {exc}",
                    no_update,
                    no_update,
                )
            versions = hub.versions()
            if stale or versions != current or _news(hub, view.sel, drawn):
                break
            now = time.monotonic()
            if seen is not None and now - seen < COMMIT_SETTLE_S:
                # a file changed: the commit becomes visible to readers a little after its
                # last write (SQLite updates the WAL index, which stat does not see)
                time.sleep(COMMIT_RETRY_S)
                continue
            if now >= end or not hub.wait_for_commit(end - now):
                break
            min_age, seen = 0.0, time.monotonic()  # a commit: read it now
        version = no_update if versions == current else versions
        if stale:
            return (rearm, version, *nothing[2:])
        patch, changed, front_moved = Patch(), False, False
        added: list[Any] = []  # the frames drawn anew: the axis ranges must hold them
        for k in view.sel:
            lc = hub.campaigns[k]
            n0, v0, g0 = drawn["at"][k]
            if lc.generation != g0:
                return (rearm, version, *nothing[2:6], redraw + 1)
            if lc.version == v0:
                continue
            d = lc.delta(n0, v0)
            parts = {"new": view.filter(d.new), "demoted": view.filter(d.demoted)}
            if d.front is not None:
                parts["front"] = view.filter(d.front)
                front_moved = True
            if view.color != "status" and "pareto" in view.flags and len(parts["demoted"]):
                return (rearm, version, *nothing[2:6], redraw + 1)  # points must go: redraw
            extend_scatter(
                patch, drawn["slots"], drawn["counts"], k, parts, view.x, view.y, view.color
            )
            added += parts.values()
            drawn["at"][k] = [d.n, d.version, d.generation]
            i = view.sel.index(k)
            shown = sum(
                c
                for (kk, kind, _), c in zip(drawn["slots"], drawn["counts"], strict=True)
                if kk == k and kind != "exact"
            )
            patch["layout"]["annotations"][i]["text"] = f"{k} ({shown} shown)"
            changed = True
        if not changed:
            return (rearm, version, *nothing[2:])
        grown = grow_ranges(drawn["ranges"], added, view.x, view.y)
        if grown is not None:  # rare (a new extreme): the page redraws every point once
            set_ranges(patch["layout"], grown, len(view.sel))
            drawn["ranges"] = grown
        with lock:
            if draws.get(client, 0) != token:  # a full draw started meanwhile: it wins
                return (rearm, version, *nothing[2:])
        rows = table(view)[0] if front_moved else no_update
        return rearm, version, patch, drawn, _status_line(hub, view.sel), rows, no_update

    @app.callback(
        Output("hv", "figure"),
        Input("version", "data"),
        Input("drawn", "data"),
        State("campaigns", "value"),
    )
    def _hv(_v: Any, drawn: Any, sel: list[str] | None) -> Any:
        if drawn is None:  # after the scatter: the first render does not wait for it
            return no_update
        keys = [k for k in (sel or []) if k in hub.campaigns] or list(hub.campaigns)[:1]
        return hv_panel(hub, keys, wait=False)


def _design_callbacks(app: dash.Dash, hub: Hub) -> None:
    """Selecting a design (plot point or table row): its details and its downloads."""
    from dash import Input, Output, State, ctx, dcc, no_update

    @app.callback(
        Output("selected", "data"),
        Output("details", "children"),
        Output("details-figures", "children"),
        Output("verilog-button", "disabled"),
        Output("bundle-button", "disabled"),
        Output("download-status", "children", allow_duplicate=True),
        Input("pareto", "clickData"),
        Input("pareto-table", "active_cell"),
        State("drawn", "data"),
        prevent_initial_call=True,
    )
    def _click(click: dict | None, cell: dict | None, drawn: dict | None) -> Any:
        if ctx.triggered_id == "pareto-table":
            if not cell or "row_id" not in cell:
                return (no_update,) * 6
            key, _, design = str(cell["row_id"]).rpartition("|")
        elif click and click.get("points") and click["points"][0].get("customdata") and drawn:
            point = click["points"][0]  # customdata: the design; the trace: the campaign
            design, key = point["customdata"], drawn["slots"][point["curveNumber"]][0]
        else:
            return (no_update,) * 6
        if key not in hub.campaigns:
            return (no_update,) * 6
        body, figs = design_details(hub.campaigns[key], design)
        graphs = [dcc.Graph(figure=f, config={"displaylogo": False}) for f in figs]
        return {"key": key, "design": design}, body, graphs, False, False, ""

    @app.callback(
        Output("download", "data"),
        Output("download-status", "children"),
        Input("verilog-button", "n_clicks"),
        Input("bundle-button", "n_clicks"),
        State("selected", "data"),
        prevent_initial_call=True,
    )
    def _download(_a: int | None, _b: int | None, selected: dict | None) -> Any:
        if not selected:
            return no_update, "select a design first"
        camp = hub.campaigns[selected["key"]].campaign
        try:
            files = verilog_files(camp, selected["design"])
        except Exception as exc:  # shown in the page, the server keeps running
            return no_update, f"error: {exc}"
        verilog = next(n for n in files if n.endswith(".v"))
        if ctx.triggered_id == "verilog-button":
            return dcc.send_bytes(files[verilog], verilog), f"wrote {verilog}"
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in files.items():
                zf.writestr(name, data)
        stem = Path(verilog).stem
        return dcc.send_bytes(buf.getvalue(), f"{stem}.zip"), f"wrote {stem}.zip"


def pareto_rows(panels: list[tuple[str, Any, Any]]) -> tuple[list[dict], list[dict]]:
    """Table rows (``id`` = ``<campaign>|<design>``) of the Pareto designs on show.

    ``panels``: ``(key, live campaign, view or None)``; the front is the campaign's (small,
    kept incrementally), filtered by the view."""
    rows: list[dict] = []
    cols: dict[str, None] = {"campaign": None, "design": None}
    for key, lc, view in panels:
        front = lc.front() if view is None else view.filter(lc.front())
        if not len(front):
            continue
        objectives = [m for m, _ in lc.objectives]  # not lc.campaign: no O(campaign) work
        show = [c for c in (*lc.params(front), *objectives) if c in front.columns]
        cols.update(dict.fromkeys(show))
        for rec in front[["design", *show]].to_dict("records"):
            rows.append({"id": f"{key}|{rec['design']}", "campaign": key, **rec})
    columns = [{"name": c, "id": c} for c in cols]
    for r in rows:
        for c, v in r.items():
            if isinstance(v, float):
                r[c] = float(f"{v:.5g}")
    return rows, columns


def check_address(host: str, port: int) -> None:
    """Raise a one-line :class:`ConfigError` unless the server can listen on ``host:port``.

    Checked before the (slow) campaign reads; the server binds the same way (SO_REUSEADDR,
    as werkzeug does), so a port in TIME_WAIT is not refused.
    """
    import errno
    import socket

    from ..core.errors import ConfigError

    try:
        family, kind, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(
            f"--host must be a local interface name or address (127.0.0.1, 0.0.0.0, ...), "
            f"not {host!r} ({reason})"
        ) from None
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                raise ConfigError(
                    f"--port {port} cannot be used on {host} ({exc.strerror}); "
                    "choose another port (1..65535, above 1023 without root)"
                ) from None
            raise ConfigError(
                f"--host must be the address of a local interface (127.0.0.1, 0.0.0.0, ...), "
                f"not {host!r} ({exc.strerror})"
            ) from None


def serve(
    targets: list[str],
    *,
    host: str = "127.0.0.1",
    port: int = 8050,
    interval: float = 2.0,
    campaign: str | None = None,
) -> None:
    """Load the campaigns and serve the dashboard until interrupted (blocking)."""

    check_address(host, port)
    t0 = time.perf_counter()
    print(f"reading {', '.join(targets)} ...", flush=True)
    hub = Hub(list(targets), campaign)
    for lc in hub.campaigns.values():  # assembled now, not by the first page load
        lc.campaign  # noqa: B018
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main else None
    try:
        app = create_app(hub, interval=interval)
        n = sum(len(c.campaign.trials) for c in hub.campaigns.values())
        print(
            f"accelsmith dashboard on http://{host}:{port}/ ({', '.join(hub.campaigns)}: {n} "
            f"trials read in {time.perf_counter() - t0:.1f} s; polling every {interval:g} s)",
            flush=True,
        )
        app.run(host=host, port=port, debug=False)
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)
        hub.close()


def _terminate(signum: int, _frame: Any) -> None:
    """SIGTERM ends the server like Ctrl-C does, so the storages are closed on the way out."""
    raise SystemExit(128 + signum)
