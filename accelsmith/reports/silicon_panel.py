"""The report's "Silicon check" section: what ``accelsmith dse verify-front`` measured.

Reads the records stored in the campaign storage (:func:`accelsmith.dse.silicon.
silicon_records`); the section is absent when the front was never checked. A table gives, per
checked design, verification, Fmax, model vs. measured value and error per objective, and
whether the measured numbers move it off the front; a figure draws each measured point next
to its modelled one on the first two objectives.
"""

from __future__ import annotations

import html
from typing import Any

__all__ = ["silicon_section"]


def _num(v: Any) -> str:
    return "" if v is None else f"{float(v):.4g}"


def silicon_section(rep: Any, camp: Any) -> str | None:
    """HTML of the section for ``camp`` (a :class:`~accelsmith.reports.extract.Campaign`),
    or None if no design was checked."""
    from accelsmith.core.errors import ConfigError
    from accelsmith.dse.silicon import silicon_records
    from accelsmith.dse.storage import close_storage

    from .extract import open_storage, resolve_target

    # an optional panel never fails a report: unreadable storage -> no section
    try:  # the campaign keeps the target as the user gave it (spec, run folder or URL)
        store = open_storage(resolve_target(camp.storage).storage)
    except (ConfigError, OSError, ValueError):
        return None
    try:
        records = silicon_records(store, camp.name)
    except (ConfigError, OSError, KeyError, ValueError):
        records = {}
    finally:
        close_storage(store)  # read-only: leave no connection or -wal/-shm behind
    if not records:
        return None
    rows = []
    for key, r in sorted(records.items()):
        ok = r["verified"] and r["cycles_match"]
        cells = [
            html.escape(f"{key} {r['design']}"),
            "pass" if ok else "<b>FAIL</b>",
            html.escape(r["target"]),
            _num(r.get("fmax_mhz")),
            _num(r.get("model_fmax_mhz")),
        ]
        moves = "<br>".join(
            html.escape(f"{m}: {_num(r['model'].get(m))} -> {_num(v)}")
            + (f" ({r['error_pct'][m]:+.1f} %)" if m in r["error_pct"] else "")
            for m, v in r["measured"].items()
        )
        cells.append(moves or "not comparable (node differs)")
        cells.append("<b>off the front</b>" if r["off_front"] else "stays")
        rows.append("<tr>" + "".join(f"<td class='text'>{c}</td>" for c in cells) + "</tr>")
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "design",
            "verified",
            "target",
            "Fmax MHz (measured)",
            "Fmax MHz (model)",
            "model -> measured (model error)",
            "front",
        )
    )
    table = (
        f"<div class='scroll'><table class='data' id='silicon'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )
    note = (
        "<p>Measured by <code>accelsmith dse verify-front</code>: each design generated, "
        "verified on Verilator and synthesized (sky130hd: Yosys + OpenSTA, pre-layout; ecp5: "
        "nextpnr out of context). Areas add the model's SRAM buffers to the synthesized logic; "
        "latency uses the measured Fmax. A design 'off the front' is dominated once its "
        "measured numbers replace the model's.</p>"
    )
    figure = _figure(rep, camp, records)
    return note + table + figure


def _figure(rep: Any, camp: Any, records: dict[str, Any]) -> str:
    objs = [m for m, _ in camp.objectives][:2]
    pts = (
        [
            (
                r,
                r["model"].get(objs[0]),
                r["model"].get(objs[1]),
                r["measured"].get(objs[0]),
                r["measured"].get(objs[1]),
            )
            for r in records.values()
        ]
        if len(objs) == 2
        else []
    )
    pts = [p for p in pts if None not in (p[1], p[2])]
    if not pts:
        return ""
    import plotly.graph_objects as go

    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[p[1] for p in pts],
            y=[p[2] for p in pts],
            mode="markers",
            name="model",
            marker={"symbol": "circle-open", "size": 11},
            text=[p[0]["design"] for p in pts],
        )
    )
    mx = [p[3] if p[3] is not None else p[1] for p in pts]
    my = [p[4] if p[4] is not None else p[2] for p in pts]
    fig.add_trace(
        go.Scatter(
            x=mx,
            y=my,
            mode="markers",
            name="measured",
            marker={"symbol": "x", "size": 10},
            text=[p[0]["design"] for p in pts],
        )
    )
    for p, x, y in zip(pts, mx, my, strict=True):
        fig.add_trace(
            go.Scatter(
                x=[p[1], x],
                y=[p[2], y],
                mode="lines",
                showlegend=False,
                line={"width": 1, "dash": "dot"},
                hoverinfo="skip",
            )
        )
    fig.update_layout(
        title="silicon check: modelled vs measured", xaxis_title=objs[0], yaxis_title=objs[1]
    )
    return rep.figure("silicon", fig, height=420)
