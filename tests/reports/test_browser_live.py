"""Live updates of a large campaign in headless Chromium: patches, never the whole figure.

A 4,000-trial SQLite campaign (``dse run``, random, the systolic space) is served; batches of
new trials are written the way the batched explorers write them. Every figure update after
the first draw must reach the page as a Dash patch, the figure must hold every trial, and
its Pareto trace must be exactly the campaign's front (nothing thinned, nothing stale).
The full benchmark at 100,000 trials is ``bench/bench_dashboard.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from accelsmith.reports.extract import load_campaign, resolve_target

from .ledger_fixtures import ledger_batch
from .server import dashboard, free_port

N = 4000
GRAPH = "#pareto .js-plotly-plot"
# points drawn: the plot's traces (not its legend entries) and the static layer's
COUNT_JS = f"""() => {{
  const gd = document.querySelector('{GRAPH}'), base = document.getElementById('pareto-base');
  if (!gd || !gd._fullData || !base || !base._fullData) return -1;
  const n = (ts) => ts.reduce((k, t) => k + (t.x ? t.x.length : 0), 0);
  return n(gd._fullData.filter(t => t.meta.layer !== 'legend')) + n(base._fullData);
}}"""
DESIGNS_JS = f"""() => [...document.querySelector('{GRAPH}')._fullData
    .filter(t => t.meta.layer !== 'legend'), ...document.getElementById('pareto-base')._fullData]
  .flatMap(t => Array.from(t.customdata))"""
FRONT_JS = f"""() => Array.from(document.querySelector('{GRAPH}')._fullData
  .find(t => t.name.includes('Pareto-optimal')).customdata)"""
# the static layer under the plot: its state, and how it lines up with the plot
LAYER_JS = f"""() => {{
  const gd = document.querySelector('{GRAPH}'), base = document.getElementById('pareto-base');
  const n = (ts) => ts.reduce((k, t) => k + (t.x ? t.x.length : 0), 0);
  const box = (el) => {{ const r = el.getBoundingClientRect(); return [r.left, r.top]; }};
  const fl = gd._fullLayout, bl = base._fullLayout;
  return {{
    draw: gd.layout.meta.draw, layerDraw: base._accelsmith.draw,
    proxies: gd.layout.meta.layer.reduce((k, t) => k + t.n, 0),
    inPlot: gd._fullData.filter(t => t.meta.layer === 'base').length,
    layerPoints: n(base._fullData),
    size: [fl._size.l, fl._size.t, fl._size.w, fl._size.h],
    layerSize: [bl._size.l, bl._size.t, bl._size.w, bl._size.h],
    ranges: [fl.xaxis.range, fl.yaxis.range], layerRanges: [bl.xaxis.range, bl.yaxis.range],
    corner: box(gd), layerCorner: box(base),
  }};
}}"""


# the most isolated point of the static layer: its design and its position on the page
ISOLATED_JS = """() => {
  const base = document.getElementById('pareto-base'), fl = base._fullLayout;
  const r = base.getBoundingClientRect(), pts = [];
  base._fullData.forEach(t => {
    const xa = fl[t.xaxis.replace('x', 'xaxis')], ya = fl[t.yaxis.replace('y', 'yaxis')];
    for (let i = 0; i < t.x.length; i++)
      pts.push([r.left + xa._offset + xa.c2p(t.x[i]), r.top + ya._offset + ya.c2p(t.y[i]),
                t.customdata[i]]);
  });
  const gd = document.querySelector('#pareto .js-plotly-plot'), g = gd._fullLayout;
  const rt = gd.getBoundingClientRect();
  gd._fullData.filter(t => t.meta.layer !== 'legend').forEach(t => {
    const xa = g[t.xaxis.replace('x', 'xaxis')], ya = g[t.yaxis.replace('y', 'yaxis')];
    for (let i = 0; i < t.x.length; i++)
      pts.push([rt.left + xa._offset + xa.c2p(t.x[i]), rt.top + ya._offset + ya.c2p(t.y[i]),
                null]);
  });
  let best = null, far = -1;
  for (const p of pts) {
    if (p[2] === null) continue;
    let d = Infinity;
    for (const q of pts) if (q !== p) d = Math.min(d, Math.hypot(p[0] - q[0], p[1] - q[1]));
    if (d > far) { far = d; best = p; }
  }
  return {x: best[0], y: best[1], design: best[2], gap: far};
}"""


def _check_layer(page) -> dict:
    """The static layer shows the plot's full draw: the base traces' points, exactly under
    the plot (same corner, plot area and ranges); the plot does not hold them."""
    st = page.evaluate(LAYER_JS)
    assert st["layerDraw"] == st["draw"]
    assert st["layerPoints"] == st["proxies"] > 0 and st["inPlot"] == 0
    assert st["layerSize"] == st["size"] and st["layerCorner"] == st["corner"]
    assert st["layerRanges"] == st["ranges"]
    return st


@pytest.fixture(scope="module")
def big_campaign(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from accelsmith.dse.campaign import open_campaign, run_campaign
    from accelsmith.dse.spec import parse_spec

    folder = tmp_path_factory.mktemp("big")
    data = {
        "name": "big",
        "family": "systolic",
        "workload": "resnet50",
        "objectives": {"latency_s": "minimize", "energy_j": "minimize", "area_um2": "minimize"},
        "explorer": {"name": "random"},
        "budget": N,
        "seed": 0,
        "storage": f"sqlite:///{folder / 'study.db'}",
    }
    (folder / "spec.yaml").write_text(yaml.safe_dump(data))
    run_campaign(open_campaign(parse_spec(data)))
    return folder


@pytest.fixture
def browser_page(chromium_launch_kwargs: dict):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(**chromium_launch_kwargs)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.errors = errors
        yield page
        browser.close()


@pytest.mark.slow
def test_live_updates_are_patches_and_front_stays_exact(
    big_campaign: Path, tmp_path: Path, browser_page
) -> None:
    page = browser_page
    url_db = f"sqlite:///{big_campaign / 'study.db'}"
    figures: list[dict] = []  # the figure outputs of the callbacks, in arrival order

    def on_response(resp) -> None:
        if "_dash-update-component" in resp.url and resp.status == 200:
            try:
                out = json.loads(resp.body())["response"]
            except Exception:  # closed page, no JSON
                return
            if "figure" in out.get("pareto", {}):
                figures.append(out["pareto"]["figure"])

    page.on("response", on_response)
    args = [str(big_campaign), "--interval", "0.2"]
    with dashboard(args, free_port(), tmp_path / "d.log") as url:
        page.goto(url)
        page.wait_for_function(f"({COUNT_JS})() === {N}", timeout=60_000)
        camp = load_campaign(resolve_target(str(big_campaign)))
        assert set(page.evaluate(FRONT_JS)) == set(camp.pareto["design"])
        assert len(figures) == 1 and "__dash_patch_update" not in figures[0]  # the first draw
        page.wait_for_function("document.getElementById('pareto-base')._accelsmith !== undefined")
        first = _check_layer(page)
        page.evaluate("window.__layer = document.getElementById('pareto-base')._accelsmith")
        total = N
        for seed in (1, 2):
            added = ledger_batch(url_db, "big", "random", 150, seed)
            assert added > 100
            total += added
            page.wait_for_function(f"({COUNT_JS})() === {total}", timeout=20_000)
            page.wait_for_function(
                f"document.querySelector('#status-line').innerText.includes('big: {total} trials')",
                timeout=10_000,
            )
        page.wait_for_timeout(1000)  # any late update would show up
        assert len(figures) >= 3
        patches = figures[1:]
        assert all("__dash_patch_update" in f for f in patches)
        ops = [op["operation"] for f in patches for op in f["operations"]]
        assert "Extend" in ops  # new points appended to their traces
        # a full draw sends the figure and the static layer's payload (its own route)
        src = figures[0]["layout"]["meta"]["src"]
        layer_bytes = page.evaluate(
            f"fetch('{src}').then(r => r.arrayBuffer()).then(b => b.byteLength)"
        )
        full = len(json.dumps(figures[0])) + layer_bytes
        assert max(len(json.dumps(f)) for f in patches) < full / 5
        camp = load_campaign(resolve_target(str(big_campaign)))
        assert len(camp.trials) == total == page.evaluate(f"({COUNT_JS})()")
        assert set(page.evaluate(FRONT_JS)) == set(camp.pareto["design"])
        designs = page.evaluate(DESIGNS_JS)
        assert len(designs) == len(set(designs)) == total  # each trial drawn once
        after = _check_layer(page)  # live points went to the plot, not to the static layer
        assert after["proxies"] == first["proxies"]
        redrawn = page.evaluate(
            "window.__layer !== document.getElementById('pareto-base')._accelsmith"
        )
        moved = after["ranges"] != first["ranges"] or after["size"] != first["size"]
        assert redrawn == moved  # redrawn only when the axes grew or the plot area moved
        # hover and click reach the static layer's points through the plot above it
        pt = page.evaluate(ISOLATED_JS)
        assert pt["gap"] > 3
        page.mouse.move(pt["x"] + 1, pt["y"])
        page.mouse.move(pt["x"], pt["y"])
        page.wait_for_function(
            "document.getElementById('pareto-base')._hoverdata?.[0]?.customdata === "
            f"'{pt['design']}'",
            timeout=10_000,
        )
        assert pt["design"] in page.text_content("#pareto-base .hoverlayer")
        page.mouse.click(pt["x"], pt["y"])
        page.wait_for_function(
            f"document.querySelector('#details-title')?.innerText === '{pt['design']}'",
            timeout=20_000,
        )
    assert page.errors == []
