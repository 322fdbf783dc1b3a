"""The self-contained HTML report of a campaign (plotly's JavaScript embedded: opens offline).

:func:`build_report` collects the figures and tables; :func:`write_report` writes the file and,
optionally, static PNGs of every figure (kaleido driving a local Chrome/Chromium).
"""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.errors import OutputError
from ..core.files import atomic_write
from . import figures as F
from .extract import Campaign, campaign_quality, config_of, layer_breakdown
from .png import find_chrome, prepare_pngs, write_pngs  # re-exported: the report's PNGs

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

__all__ = ["Report", "build_report", "find_chrome", "prepare_pngs", "write_pngs", "write_report"]

#: Pareto designs that get per-design breakdown figures (the table lists them all).
MAX_BREAKDOWN = 40
_ID_COLUMNS = ("number", "state", "explorer", "feasible", "datetime_complete", "design")

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222}
header{background:#1f3b57;color:#fff;padding:14px 24px}
header h1{margin:0;font-size:22px} header p{margin:4px 0 0;opacity:.85;font-size:13px}
main{padding:10px 24px 40px} h2{border-bottom:2px solid #1f3b57;padding-bottom:4px;margin-top:32px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:12px}
.card{border:1px solid #ddd;border-radius:6px;padding:6px;background:#fff}
.message{border:2px solid #c0392b;background:#fdecea;padding:16px 20px;border-radius:6px;
 font-size:16px} .message b{color:#c0392b}
table.data{border-collapse:collapse;font-size:12px;white-space:nowrap}
table.data th,table.data td{border:1px solid #ddd;padding:3px 6px;text-align:right}
table.data th{background:#eef2f6;cursor:pointer;position:sticky;top:0;user-select:none}
table.data th.sorted-asc::after{content:" ▲"} table.data th.sorted-desc::after{content:" ▼"}
table.data td.text{text-align:left} table.data tr:hover td{background:#fff8e1}
.scroll{overflow:auto;max-height:620px;border:1px solid #ddd}
code.cmd{font-size:11px;background:#f4f4f4;padding:1px 4px;display:inline-block}
pre{background:#f6f8fa;padding:10px;overflow:auto;font-size:12px;border:1px solid #ddd}
.kv td{padding:2px 10px 2px 0;font-size:13px;vertical-align:top} .muted{color:#666;font-size:12px}
tr.selected td{background:#ffe08a !important}
#design-details{display:none;position:fixed;right:16px;top:16px;width:420px;max-height:85vh;
 overflow:auto;background:#fff;border:2px solid #1f3b57;border-radius:6px;padding:8px 12px;
 box-shadow:0 4px 16px rgba(0,0,0,.25);z-index:10;font-size:12px}
#design-details .kv td{font-size:12px}
"""

_CLICK_JS = """
function showDesign(id, hover){
  var box=document.getElementById('design-details');
  var table=document.getElementById('pareto-table');
  document.querySelectorAll('tr.selected').forEach(function(r){r.classList.remove('selected')});
  var row=table?table.querySelector('tr[data-design="'+id+'"]'):null;
  var html='<a href="#" style="float:right" onclick="this.parentNode.style.display=\\'none\\';'+
    'return false">close</a><h3 id="design-details-title">'+id+'</h3>';
  if(row){
    row.classList.add('selected');
    var heads=table.querySelectorAll('thead th');
    html+='<table class="kv">';
    for(var i=0;i<row.cells.length;i++){
      html+='<tr><td><b>'+heads[i].textContent+'</b></td><td>'+row.cells[i].innerHTML+'</td></tr>'}
    html+='</table>';
  } else {
    html+='<p>Not Pareto-optimal (not in the table of Pareto designs).</p><p>'+(hover||'')+'</p>';
  }
  box.innerHTML=html; box.style.display='block';
}
document.querySelectorAll('.js-plotly-plot').forEach(function(gd){
  if(!gd.on) return;
  gd.on('plotly_click',function(ev){
    var p=ev.points&&ev.points[0]; if(!p||p.customdata===undefined) return;
    var d=Array.isArray(p.customdata)?p.customdata[0]:p.customdata;
    showDesign(String(d), p.hovertext);
  });
});
"""

# A figure takes its card's width when its inline script runs, while the page is still being
# parsed: the first card of a two-column grid is then alone in it and spans the full width,
# and Plotly's "responsive" redraws only on window resizes. Redraw every figure once the page
# (this script is at its end) is complete.
_RESIZE_JS = """
if(window.Plotly){document.querySelectorAll('.js-plotly-plot').forEach(function(gd){
  Plotly.Plots.resize(gd)})}
"""

_SORT_JS = """
document.querySelectorAll('table.sortable').forEach(function(t){
  t.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){
    var asc=!th.classList.contains('sorted-asc');
    t.querySelectorAll('th').forEach(function(h){h.classList.remove('sorted-asc','sorted-desc')});
    th.classList.add(asc?'sorted-asc':'sorted-desc');
    var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);
    rows.sort(function(a,b){
      var x=a.cells[i].dataset.v!==undefined?a.cells[i].dataset.v:a.cells[i].textContent;
      var y=b.cells[i].dataset.v!==undefined?b.cells[i].dataset.v:b.cells[i].textContent;
      var nx=parseFloat(x),ny=parseFloat(y),r;
      if(!isNaN(nx)&&!isNaN(ny)){r=nx-ny}else{r=String(x).localeCompare(String(y))}
      return asc?r:-r});
    rows.forEach(function(r){body.appendChild(r)});
  })})});
"""


class Report:
    """A report being assembled: ordered sections of HTML and the figures (for PNG export)."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.sections: list[str] = []
        self.figures: dict[str, go.Figure] = {}

    def figure(self, key: str, fig: go.Figure, height: int | None = None) -> str:
        """HTML of ``fig`` (no JavaScript library: it is embedded once) and remember it."""
        self.figures[key] = fig
        if height is not None:
            fig.update_layout(height=height)
        div = fig.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=f"fig-{key}",
            config={"displaylogo": False, "responsive": True},
        )
        return f'<div class="card" data-figure="{html.escape(key)}">{div}</div>'

    def add(self, heading: str | None, body: str, anchor: str | None = None) -> None:
        head = f'<h2 id="{anchor}">{html.escape(heading)}</h2>' if heading else ""
        self.sections.append(head + body)

    def render(self, subtitle: str) -> str:
        from plotly.offline import get_plotlyjs

        return (
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(self.title)}</title>"
            "<meta name='viewport' content='width=device-width,initial-scale=1'>"
            f"<style>{_CSS}</style><script type='text/javascript'>{get_plotlyjs()}</script>"
            f"</head><body><header><h1>{html.escape(self.title)}</h1><p>{subtitle}</p></header>"
            f"<main>{''.join(self.sections)}</main>"
            "<div id='design-details'></div>"
            f"<script>{_RESIZE_JS}{_SORT_JS}{_CLICK_JS}</script></body></html>"
        )


def _fmt(v: Any) -> tuple[str, str]:
    """(display text, sort key) of a table cell."""
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "", ""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v)), str(int(bool(v)))
    if isinstance(v, (int, np.integer)):
        return str(int(v)), str(int(v))
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.4g}", repr(float(v))
    return str(v), str(v)


def table_html(frame: pd.DataFrame, columns: list[str], *, table_id: str) -> str:
    """A sortable HTML table (click a header) of ``columns`` of ``frame``."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    rows = []
    keep = list(dict.fromkeys([*columns, *(["design"] if "design" in frame else [])]))
    for r in frame[keep].to_dict("records"):
        cells = []
        for c in columns:
            text, key = _fmt(r.get(c))
            cls = "" if isinstance(r.get(c), (int, float, np.number)) else " class='text'"
            if c == "generate command":
                cells.append(f"<td class='text'><code class='cmd'>{html.escape(text)}</code></td>")
            else:
                cells.append(f"<td{cls} data-v='{html.escape(key)}'>{html.escape(text)}</td>")
        design = html.escape(str(r.get("design", "")))
        rows.append(f"<tr data-design='{design}'>{''.join(cells)}</tr>")
    return (
        f"<div class='scroll'><table class='data sortable' id='{table_id}'><thead><tr>{head}"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _kv(pairs: list[tuple[str, Any]]) -> str:
    rows = "".join(
        f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(str(v))}</td></tr>" for k, v in pairs
    )
    return f"<table class='kv'>{rows}</table>"


def _metric_columns(camp: Campaign, frame: pd.DataFrame) -> list[str]:
    skip = set(_ID_COLUMNS) | set(camp.config_keys) | {"status", "eval_seconds"}
    skip |= {c for c in frame.columns if c.startswith("constraint_")}
    objectives = camp.objective_names
    rest = [
        c
        for c in frame.columns
        if c not in skip and c not in objectives and frame[c].dtype.kind in "biuf"
    ]
    return objectives + rest


def _infeasible_message(camp: Campaign) -> str:
    t = camp.trials
    lines = []
    for i, (m, op, b) in enumerate(camp.constraints):
        col = f"constraint_{i}"
        if col in t and m in t:
            ok = int((t[col] <= 0).sum())
            best = t[m].min() if op == "<=" else t[m].max()
            lines.append(
                f"<li><code>{html.escape(f'{m} {op} {b:g}')}</code>: satisfied by {ok} of {len(t)} "
                f"trials; best value seen {best:.4g}</li>"
            )
    return (
        f"<div class='message'><b>No feasible design.</b> All {len(t)} trials of campaign "
        f"<code>{html.escape(camp.name)}</code> violate at least one constraint, so there is no "
        f"Pareto front to show. Relax the constraints or widen the space.<ul>{''.join(lines)}"
        "</ul></div>"
    )


def _reproducibility(camp: Campaign, quality_norm: dict[str, Any] | None) -> str:
    import yaml

    from .. import __version__

    info = camp.info
    versions = info.get("versions") or {}
    pairs: list[tuple[str, Any]] = [
        ("campaign", camp.name),
        ("family", camp.family),
        ("storage", camp.storage),
        ("seed", info.get("seed")),
        ("campaign created", info.get("created")),
        ("space hash", info.get("space_hash")),
        ("report written", dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
        ("report tool", f"accelsmith {__version__}"),
    ]
    pairs += [(f"version: {k}", v) for k, v in sorted(versions.items())]
    for e, ei in camp.explorer_info.items():
        extra = {k: v for k, v in ei.items() if k in ("seed", "points_evaluated", "created")}
        pairs.append((f"explorer {e}", ", ".join(f"{k}={v}" for k, v in extra.items()) or "-"))
    if quality_norm:
        pairs.append(("HV normalization", json.dumps(quality_norm)))
    spec = yaml.safe_dump(camp.spec, sort_keys=False, default_flow_style=None) if camp.spec else ""
    return _kv(pairs) + (f"<h3>Campaign spec</h3><pre>{html.escape(spec)}</pre>" if spec else "")


def _pareto_table(camp: Campaign, front: pd.DataFrame) -> str:
    from ..core.commands import generate_command

    front = front.copy()
    commands = [
        generate_command(
            camp.family,
            config_of(camp, row),
            out="build/" + str(row["design"]).replace("#", "_"),
        )
        for _, row in front.iterrows()
    ]
    front["generate command"] = commands
    cols = ["design", *camp.params, *_metric_columns(camp, front), "generate command"]
    cols = list(dict.fromkeys(c for c in cols if c in front.columns))
    return table_html(front, cols, table_id="pareto-table")


def _breakdowns(rep: Report, camp: Campaign, front: pd.DataFrame) -> str:
    shown = front.head(MAX_BREAKDOWN)
    note = (
        f"<p class='muted'>The first {len(shown)} of {len(front)} Pareto designs (by "
        f"{camp.objective_names[0]}); the table above lists all of them.</p>"
        if len(front) > len(shown)
        else ""
    )
    parts = [note, "<div class='grid'>"]
    parts.append(
        rep.figure(
            "energy-breakdown",
            F.breakdown_figure(shown, "energy_", "_j", "Energy by component (workload total)"),
        )
    )
    parts.append(
        rep.figure(
            "area-breakdown", F.breakdown_figure(shown, "area_", "_um2", "Area by component")
        )
    )
    parts.append("</div>")
    layers = layer_breakdown(camp, shown)
    if len(layers):
        parts.append(rep.figure("layers", F.layer_figure(layers, list(shown["design"]))))
    return "".join(parts)


def build_report(camp: Campaign) -> Report:
    """Assemble every section of a campaign's report (figures kept for PNG export)."""
    rep = Report(f"accelsmith campaign report: {camp.name}")
    objs = ", ".join(f"{m} ({'min' if d == 'minimize' else 'max'})" for m, d in camp.objectives)
    cons = ", ".join(f"{m} {op} {b:g}" for m, op, b in camp.constraints) or "none"
    t = camp.trials
    n_feas = int(t["feasible"].sum()) if len(t) else 0
    rep.add(
        None,
        _kv(
            [
                ("objectives", objs),
                ("constraints", cons),
                ("explorers", ", ".join(camp.explorers)),
                ("trials", f"{len(t)} ({n_feas} feasible, {len(camp.pareto)} Pareto-optimal)"),
                ("parameters varied", ", ".join(camp.params)),
            ]
        ),
    )
    quality = None
    if not len(t):
        rep.add(
            "No results",
            f"<div class='message'><b>No completed trials yet.</b> Campaign "
            f"<code>{html.escape(camp.name)}</code> has {len(camp.explorers)} explorer "
            "study(ies) but no completed trial. Run <code>accelsmith dse run</code> (or wait "
            "for the running campaign) and write the report again.</div>",
            "message",
        )
    elif n_feas == 0:
        rep.add("No feasible design", _infeasible_message(camp), "message")
    else:
        quality = campaign_quality(camp)
        _results(rep, camp, quality)
    from .silicon_panel import silicon_section  # issue 15 item 4 (helper synth's panel)

    silicon = silicon_section(rep, camp) if len(t) else None
    if silicon:
        rep.add("Silicon check", silicon, "silicon")
    rep.add(
        "Reproducibility",
        _reproducibility(camp, quality.normalization if quality else None),
        "repro",
    )
    return rep


#: HV-ratio levels whose first reaching trial count the quality table reports.
REACH_LEVELS = (0.90, 0.95, 0.99)


def trials_to_ratio(history: pd.DataFrame) -> list[tuple[str, dict[str, int | None]]]:
    """``[(column, {explorer: trials})]``: per level of :data:`REACH_LEVELS`, the first trial
    count whose ``hv_ratio`` reaches it (None: never); empty without an exact front.

    The history is evaluated at every trial up to 256 trials and at ~256 checkpoints beyond
    (see :func:`accelsmith.dse.pareto.trial_checkpoints`), so counts past 256 trials are the
    first checkpoint that reaches the level.
    """
    if not len(history) or not np.isfinite(history["hv_ratio"].to_numpy(float)).any():
        return []
    out = []
    for level in REACH_LEVELS:
        first: dict[str, int | None] = {}
        for explorer, sub in history.groupby("explorer", sort=False):
            hit = sub[sub["hv_ratio"] >= level]
            first[str(explorer)] = int(hit["trials"].iloc[0]) if len(hit) else None
        out.append((f"trials to {level:.0%} HV", first))
    return out


def _strict_reference(quality: Any) -> str:
    """Which front the strict measures were taken against (exact, stored or combined)."""
    ref = quality.summary.get("reference")
    ref = ref.dropna() if ref is not None else []
    return f" Strict measures against the {html.escape(str(ref.iloc[0]))}." if len(ref) else ""


def _results(rep: Report, camp: Campaign, quality: Any) -> None:
    k = len(camp.objectives)
    if quality is not None and k >= 2:
        summary = quality.summary.reset_index()
        summary["design"] = summary["explorer"]
        cols = ["explorer", "trials", "feasible", "pareto_points"]
        # strict measures first (accelsmith.dse.pareto.strict), the linear HV ratio after
        cols += [c for c in ("front_recall", "igd_plus_norm", "hv_ratio_log") if c in summary]
        cols += [c for c in ("trials_to_95_recall", "trials_to_95_hv_log") if c in summary]
        cols += ["hypervolume", "hv_ratio", "igd_plus", "igd_plus_reference"]
        for col, first in trials_to_ratio(quality.history):
            summary[col] = [first.get(e) for e in summary["explorer"]]
            cols.append(col)
        rep.add(
            "Search quality",
            table_html(summary, cols, table_id="quality-table")
            + "<p class='muted'>Hypervolume on objectives normalized to [0, 1] (ideal 0, nadir "
            f"1; bounds from the {html.escape(str(quality.normalization.get('source')))}), "
            f"reference point {quality.normalization.get('reference_point')} on every axis. HV "
            'ratio = HV / HV(exact front of the exhaustive explorer); "trials to 95% HV": '
            "the first trial count whose HV ratio reaches 0.95 (empty: never). IGD+ "
            "(Ishibuchi et al. 2015): mean over the reference front of the distance to the "
            "nearest found point, counting only the objectives where the found point is worse. "
            "Strict measures (against the exact front, else the front of all explorers "
            "together): front_recall = share of the reference front's designs found; "
            "igd_plus_norm = IGD+ on objectives normalized by the reference front; "
            "hv_ratio_log = HV ratio on log10 objectives; trials_to_95_*: the first trial "
            "count where recall, or the log HV ratio, reaches 0.95."
            + _strict_reference(quality)
            + "</p>"
            + (rep.figure("hypervolume", F.hv_figure(quality)) if len(quality.history) else ""),
            "quality",
        )
    if k == 1:
        body = rep.figure("objective", F.single_objective_figure(camp))
        rep.add("Best design per trial", body, "front")
    else:
        cards = [
            rep.figure(f"pareto-{x}-{y}", F.pareto_pair_figure(camp, x, y))
            for x, y in F.pair_list(camp)
        ]
        if k >= 3:
            cards.append(rep.figure("pareto-3d", F.pareto_3d_figure(camp)))
        exact = (
            " Black diamonds: the exact front of the exhaustive explorer."
            if camp.exhaustive is not None
            else ""
        )
        rep.add(
            "Pareto fronts",
            "<p class='muted'>Red: designs non-dominated in all objectives (feasible); blue: "
            "feasible but dominated; grey crosses: infeasible. The dashed line is the front of "
            f"the two objectives shown.{exact}</p><div class='grid'>{''.join(cards)}</div>",
            "front",
        )
    rep.add("Parameters", rep.figure("parallel", F.parallel_figure(camp)), "parallel")
    front = camp.pareto
    keys = [k for k in camp.config_keys if k in front.columns]
    distinct = len(front.drop_duplicates(subset=keys)) if keys else len(front)
    count = (
        f"{len(front)}"
        if distinct == len(front)
        else f"{len(front)} trials, {distinct} distinct configurations"
    )
    same = (
        " Rows with the same configuration are trials that evaluated one design again."
        if distinct < len(front)
        else ""
    )
    rep.add(
        f"Pareto-optimal designs ({count})",
        "<p class='muted'>Click a column header to sort. Each row ends with the command that "
        f"writes the design's Verilog.{same}</p>" + _pareto_table(camp, front),
        "designs",
    )
    rep.add("Breakdowns of the Pareto designs", _breakdowns(rep, camp, front), "breakdowns")


def write_report(rep: Report, camp: Campaign, out: str | Path) -> Path:
    """Write the report HTML to ``out`` (parents created)."""
    out = Path(out)
    sub = (
        f"family {html.escape(camp.family)} · storage {html.escape(camp.storage)} · "
        f"written {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(out, rep.render(sub))  # whole or not at all (core/files.py)
    except OSError as exc:
        raise OutputError(f"-o {out} cannot be written: {exc.strerror}") from None
    return out
