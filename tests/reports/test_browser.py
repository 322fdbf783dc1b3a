"""The report and the running dashboard in headless Chromium (Playwright, Debian's browser).

Screenshots are saved in each test's temporary folder (``report.png``, ``dashboard.png``).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from accelsmith.cli.main import main
from accelsmith.reports.extract import config_of, load_campaign, resolve_target

from .ledger_fixtures import _configs, _rows, add_trials, journal_storage, write_campaign
from .server import dashboard, free_port

# pixel position of point ``index`` of the first trace whose name starts with ``prefix``
POINT_JS = """([sel, prefix, design]) => {
  const gd = document.querySelector(sel);
  const i = gd._fullData.findIndex(t => (t.name || '').startsWith(prefix));
  const t = gd._fullData[i];
  let k = 0;
  const id = (c) => (Array.isArray(c) ? c[0] : c);  // report: [design]; dashboard: design
  for (; k < t.customdata.length; k++) { if (id(t.customdata[k]) === design) break; }
  const xa = gd._fullLayout[(t.xaxis || 'x').replace('x', 'xaxis')];
  const ya = gd._fullLayout[(t.yaxis || 'y').replace('y', 'yaxis')];
  const r = gd.getBoundingClientRect();
  return {found: k < t.customdata.length, x: r.left + xa._offset + xa.c2p(t.x[k]),
          y: r.top + ya._offset + ya.c2p(t.y[k])};
}"""


@pytest.fixture
def browser_page(chromium_launch_kwargs: dict):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(**chromium_launch_kwargs)
        page = browser.new_page(viewport={"width": 1500, "height": 1000}, accept_downloads=True)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.errors = errors
        yield page
        browser.close()


def _smallest_pareto(camp) -> str:
    """The smallest Pareto design (fast to generate) not drawn under an exact-front marker."""
    front = camp.pareto
    if camp.exhaustive is not None:
        exact = set(zip(camp.exhaustive["latency_s"], camp.exhaustive["energy_j"], strict=True))
        keys = zip(front["latency_s"], front["energy_j"], strict=True)
        front = front[[k not in exact for k in keys]]
    return str(front.loc[(front["rows"] * front["cols"]).idxmin(), "design"])


def test_report_in_browser(campaign_journal: Path, tmp_path: Path, browser_page) -> None:
    page = browser_page
    out = tmp_path / "report.html"
    assert main(["report", str(campaign_journal), "-o", str(out)]) == 0
    camp = load_campaign(resolve_target(str(campaign_journal)))
    page.goto(out.as_uri())
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 8")
    # every trial and every exact-front point is drawn in each pairwise plot
    sel = "#fig-pareto-latency_s-energy_j"
    n_points = page.evaluate(f"document.querySelectorAll('{sel} .scatterlayer .point').length")
    assert n_points == len(camp.trials) + len(camp.exhaustive)
    n_front = page.evaluate(
        f"document.querySelector('{sel}')._fullData.filter(t => t.meta === 'pareto')[0].x.length"
    )
    assert n_front == len(camp.pareto)
    # 3-D, parallel coordinates and HV plots have data
    for fig in ("#fig-pareto-3d", "#fig-parallel", "#fig-hypervolume", "#fig-layers"):
        assert page.evaluate(f"document.querySelector('{fig}')._fullData.length") > 0
    # click a Pareto point: its details appear and its table row is highlighted
    design = _smallest_pareto(camp)
    page.locator(sel).scroll_into_view_if_needed()
    pt = page.evaluate(POINT_JS, [sel, "Pareto-optimal", design])
    assert pt["found"]
    page.mouse.move(pt["x"], pt["y"])
    page.mouse.click(pt["x"], pt["y"])
    page.wait_for_selector("#design-details-title")
    assert page.inner_text("#design-details-title") == design
    assert "accelsmith generate systolic" in page.inner_text("#design-details")
    assert page.evaluate("document.querySelector('tr.selected').dataset.design") == design
    # sortable table: click the latency header twice -> descending
    page.click("#pareto-table th:nth-child(6)")
    page.click("#pareto-table th:nth-child(6)")
    vals = page.evaluate(
        "Array.from(document.querySelectorAll('#pareto-table tbody tr'))"
        ".map(r => parseFloat(r.cells[5].dataset.v))"
    )
    assert vals == sorted(vals, reverse=True)
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert page.errors == []


# [id, card width, figure width] of every figure whose drawing is wider than its card
OVERFLOW_JS = """Array.from(document.querySelectorAll('.card .js-plotly-plot'))
  .map(gd => [gd.id, gd.closest('.card').clientWidth, gd._fullLayout.width])
  .filter(([id, card, fig]) => fig > card)"""


def test_report_figures_fit_their_cards(campaign_journal: Path, tmp_path: Path, browser_page):
    # the first figure of each two-column grid was drawn while the grid held only it (full
    # width) and stayed that wide, cut off by its card: every figure must fit its card
    page = browser_page
    out = tmp_path / "report.html"
    assert main(["report", str(campaign_journal), "-o", str(out)]) == 0
    page.goto(out.as_uri())
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 8")
    page.wait_for_timeout(1000)
    assert page.evaluate(OVERFLOW_JS) == []
    page.set_viewport_size({"width": 1100, "height": 900})  # one column: figures follow
    page.wait_for_timeout(1000)
    assert page.evaluate(OVERFLOW_JS) == []
    assert page.errors == []


def test_dashboard_in_browser(campaign_journal: Path, tmp_path: Path, browser_page) -> None:
    import optuna

    page = browser_page
    store = tmp_path / "journal.log"
    shutil.copy(campaign_journal, store)
    other = tmp_path / "other.log"
    write_campaign(journal_storage(other), "sa-other", explorers={"random": 50}, seed=3)
    camp = load_campaign(resolve_target(str(store)))
    graph = "#pareto .js-plotly-plot"
    count_js = (  # the plot's traces but legend entries, and the static layer's under it
        f"[...document.querySelector('{graph}')._fullData, "
        "...(document.getElementById('pareto-base')._fullData || [])]"
        ".filter(t => t.name.startsWith('sa-three') && t.meta.layer !== 'legend')"
        ".reduce((n, t) => n + t.x.length, 0)"
    )
    with dashboard(
        [str(store), str(other), "--interval", "1"], free_port(), tmp_path / "dash.log"
    ) as url:
        page.goto(url)
        n_all = len(camp.trials) + len(camp.exhaustive)
        page.wait_for_function(
            f"document.querySelector('{graph}') && {count_js} >= {n_all}", timeout=30000
        )
        assert page.evaluate(count_js) == n_all
        # plotly.js (preloaded by the page's head) and the static layer are fetched once
        fetched = page.evaluate(
            "performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)"
        )
        assert sum(p.endswith("plotly.min.js") for p in fetched) == 1
        assert sum("/_accelsmith/layer/" in p for p in fetched) == 1
        assert "sa-three: 180 trials" in page.inner_text("#status-line")
        # live: trials written by a running campaign show up within a few seconds
        study = optuna.load_study(study_name="sa-three@nsga2", storage=journal_storage(store))
        rows = _rows(_configs(np.random.default_rng(11), 5), camp.objectives, camp.constraints)
        t0 = time.monotonic()
        add_trials(study, rows, "nsga2")
        page.wait_for_function(
            "document.querySelector('#status-line').innerText.includes('sa-three: 185 trials')",
            timeout=8000,
        )
        assert time.monotonic() - t0 < 8
        camp = load_campaign(resolve_target(str(store)))  # the front may have moved
        # click a Pareto point -> its details; the Verilog button -> the generate output
        design = _smallest_pareto(camp)
        page.wait_for_timeout(500)
        pt = page.evaluate(POINT_JS, [graph, "sa-three: Pareto-optimal", design])
        assert pt["found"]
        page.mouse.move(pt["x"], pt["y"])
        page.mouse.click(pt["x"], pt["y"])
        page.wait_for_function(
            f"document.querySelector('#details-title')?.innerText === '{design}'", timeout=15000
        )
        with page.expect_download(timeout=60000) as dl:
            page.click("#verilog-button")
        got = tmp_path / "download" / dl.value.suggested_filename
        dl.value.save_as(got)
        row = camp.trials[camp.trials["design"] == design].iloc[0]
        from accelsmith.cli.commands import generate_argv

        cli = tmp_path / "cli"
        assert main(generate_argv("systolic", config_of(camp, row), out=str(cli))) == 0
        assert got.read_bytes() == (cli / got.name).read_bytes()
        # the table of Pareto designs: a click on a row shows that design
        n_rows = page.locator("#pareto-table td[data-dash-column='design']").count()
        assert n_rows == min(12, len(camp.pareto))  # first page
        cell = page.locator("#pareto-table td[data-dash-column='design']").nth(1)
        picked = cell.inner_text().strip()
        assert picked in set(camp.pareto["design"])
        cell.click()
        page.wait_for_function(
            f"document.querySelector('#details-title')?.innerText === '{picked}'", timeout=15000
        )
        # objective per axis, and the Pareto-only filter
        page.click("#y-axis")
        page.get_by_text("area_mm2", exact=True).first.click()
        page.wait_for_function(
            f"document.querySelector('{graph}')._fullLayout.yaxis.title.text.startsWith('area')",
            timeout=15000,
        )
        page.click("text=Pareto-optimal only")
        n_front = len(camp.pareto) + len(camp.exhaustive)
        page.wait_for_function(f"{count_js} === {n_front}", timeout=15000)
        # compare campaigns side by side: add the second campaign to the selection
        page.click("#campaigns")
        page.get_by_text("sa-other", exact=True).click()
        page.keyboard.press("Escape")
        page.wait_for_function(
            f"document.querySelector('{graph}')._fullLayout.xaxis2 !== undefined", timeout=10000
        )
        assert "sa-other: 50 trials" in page.inner_text("#status-line")
        page.wait_for_timeout(500)
        page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    assert page.errors == []
