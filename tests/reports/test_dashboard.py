"""Dashboard data layer (incremental reads, filters), Verilog download, loopback binding."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from accelsmith.reports import live
from accelsmith.reports.dashboard import filter_frame, verilog_files
from accelsmith.reports.live import Hub

from .ledger_fixtures import _configs, _rows, add_trials, journal_storage
from .server import dashboard, free_port, listening_addresses


def _live_copy(campaign_journal: Path, tmp_path: Path) -> tuple[Path, Hub, live.LiveCampaign]:
    """A copy of the test campaign's journal, a Hub on it and its live campaign."""
    store = tmp_path / "journal.log"
    shutil.copy(campaign_journal, store)
    hub = Hub([str(store)])
    return store, hub, hub.campaigns["sa-three"]


def test_hub_reads_only_new_trials(
    campaign_journal: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import optuna

    store, hub, lc = _live_copy(campaign_journal, tmp_path)
    n0, v0 = len(lc.campaign.trials), lc.version
    assert n0 == 180 and len(lc.campaign.exhaustive) > 5
    converted: list[int] = []
    real = live.ledger.frame_of_trials
    monkeypatch.setattr(
        live.ledger,
        "frame_of_trials",
        lambda trials: converted.append(len(trials)) or real(trials),
    )
    assert hub.refresh() is False and lc.version == v0 and converted == []
    camp = lc.campaign
    study = optuna.load_study(study_name="sa-three@nsga2", storage=journal_storage(store))
    rng = np.random.default_rng(7)
    add_trials(study, _rows(_configs(rng, 7), camp.objectives, camp.constraints), "nsga2")
    assert hub.refresh() is True
    assert converted == [7]  # only the new trials were converted
    assert len(lc.campaign.trials) == n0 + 7 and lc.version == v0 + 1
    assert lc.campaign.trials["design"].is_unique
    q = lc.quality()
    assert q is not None and q.history["trials"].max() == 127


def test_filters(campaign_journal: Path) -> None:
    camp = Hub([str(campaign_journal)]).campaigns["sa-three"].campaign
    t = camp.trials
    kw = {"limits": {}, "ranges": {}, "choices": {}}
    assert len(filter_frame(t, flags=[], **kw)) == len(t)
    assert filter_frame(t, flags=["feasible"], **kw)["feasible"].all()
    assert (filter_frame(t, flags=["pareto"], **kw)["status"] == "pareto").all()
    sub = filter_frame(
        t,
        flags=[],
        limits={"power_w": ("<=", 5.0)},
        ranges={"rows": (8, 32)},
        choices={"dataflow": ["ws"]},
    )
    expect = t[(t.power_w <= 5.0) & t.rows.between(8, 32) & (t.dataflow == "ws")]
    assert len(sub) == len(expect) > 0 and set(sub["design"]) == set(expect["design"])


def test_verilog_download_equals_generate_cli(campaign_journal: Path, tmp_path: Path) -> None:
    from accelsmith.cli.commands import generate_argv
    from accelsmith.cli.main import main
    from accelsmith.reports.extract import config_of

    camp = Hub([str(campaign_journal)]).campaigns["sa-three"].campaign
    front = camp.pareto
    row = front.loc[(front["rows"] * front["cols"]).idxmin()]  # smallest: fast to generate
    files = verilog_files(camp, row["design"])
    out = tmp_path / "cli"
    assert main(generate_argv("systolic", config_of(camp, row), out=str(out))) == 0
    written = {p.name: p.read_bytes() for p in out.iterdir()}
    assert files == written
    assert any(n.endswith(".v") for n in files)


@pytest.mark.parametrize(("host", "expect"), [(None, "127.0.0.1"), ("0.0.0.0", "0.0.0.0")])
def test_dashboard_binds_loopback_unless_host(
    campaign_journal: Path, tmp_path: Path, host: str | None, expect: str
) -> None:
    import urllib.request

    port = free_port()
    args = [str(campaign_journal)] + (["--host", host] if host else [])
    with dashboard(args, port, tmp_path / "log.txt") as url:
        assert listening_addresses(port) == {expect}
        page = urllib.request.urlopen(url, timeout=10).read().decode()
        assert "accelsmith dashboard" in page


def test_dashboard_missing_storage_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from accelsmith.cli.main import main

    assert main(["dashboard", str(tmp_path / "none"), "--port", str(free_port())]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: storage") and err.count("\n") == 1


@pytest.mark.parametrize(
    ("host", "field"),
    [("127.0.0.1", "--port"), ("999.1.1.1", "--host"), ("192.0.2.1", "--host")],
)
def test_dashboard_unusable_address_one_line(
    campaign_journal: Path, capsys: pytest.CaptureFixture, host: str, field: str
) -> None:
    # a port already in use, a host name that does not resolve, an address of no local
    # interface: one line naming the option and exit code 2 (was werkzeug's exit 1 or a
    # socket.gaierror traceback)
    import socket

    from accelsmith.cli.main import main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        args = ["dashboard", str(campaign_journal), "--host", host, "--port", str(port)]
        assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {field} ") and err.count("\n") == 1
    assert (str(port) if field == "--port" else host) in err


def test_hub_live_on_sqlite(tmp_path: Path) -> None:
    """The RDB path (Optuna's cached storage): trials added by another process's storage."""
    import threading
    import time

    import optuna

    from .ledger_fixtures import write_campaign

    url = f"sqlite:///{tmp_path / 'study.db'}"
    write_campaign(url, "sq", explorers={"nsga2": 12})
    hub = Hub([str(tmp_path)])
    lc = hub.campaigns["sq"]
    assert len(lc.campaign.trials) == 12 and hub.refresh() is False
    writer = optuna.load_study(study_name="sq@nsga2", storage=url)
    camp = lc.campaign
    rows = _rows(_configs(np.random.default_rng(5), 3), camp.objectives, camp.constraints)
    # a long poll waits for a commit: none within the timeout, then one from another thread
    assert hub.files and hub.wait_for_commit(0.3) is False
    later = threading.Timer(0.3, add_trials, (writer, rows, "nsga2"))
    later.start()
    t0 = time.monotonic()
    assert hub.wait_for_commit(20.0) is True
    assert 0.25 < time.monotonic() - t0 < 19.0
    later.join()
    assert hub.refresh() is True
    assert sorted(lc.campaign.trials["number"]) == list(range(15))
    write_campaign(url, "sq-two", explorers={"random": 2})  # another campaign: not mixed in
    assert hub.refresh() is False and len(lc.campaign.trials) == 15
    write_campaign(url, "sq", explorers={"random": 4})  # a second explorer started later
    assert hub.refresh() is True
    assert lc.campaign.explorers == ["nsga2", "random"] and len(lc.campaign.trials) == 19


def test_hv_panel_title_fits_its_panel(campaign_journal: Path) -> None:
    # the panel is ~550 px wide next to the details column: a 90-character one-line title
    # (Plotly's 17 px font: ~8 px a character) was cut off; every line must fit
    import re

    from accelsmith.reports.panels import hv_panel

    hub = Hub([str(campaign_journal)])
    fig = hv_panel(hub, list(hub.campaigns))
    lines = re.split(r"<br>", fig.layout.title.text)
    assert max(len(re.sub(r"<[^>]+>", "", line)) for line in lines) <= 60
    assert "normalized" in fig.layout.title.text  # the caveat is still said


def _decoded(values) -> np.ndarray:
    """A trace array as numbers (a static-layer float64 array or a plain list)."""
    return np.asarray(values, dtype=float)


@pytest.mark.parametrize("color", ["status", "energy_j"])
def test_scatter_figure_base_and_live_traces(campaign_journal: Path, color: str) -> None:
    from accelsmith.reports.panels import (
        BASE,
        LEGEND,
        LIVE,
        detach_layer,
        extend_scatter,
        grow_ranges,
        read_layer,
        scatter_figure,
        slot_counts,
        trace_slots,
    )

    camp = Hub([str(campaign_journal)]).campaigns["sa-three"].campaign
    t = camp.trials
    panels = [("sa-three", camp, t)]
    fig = scatter_figure(panels, "latency_s", "energy_j", color, draw="c:1")
    slots = trace_slots(panels, "latency_s", "energy_j", color)
    meta = fig["layout"]["meta"]
    assert meta["draw"] == "c:1"
    counts = slot_counts(fig)
    # the static layer's data leaves the figure as one binary payload, read back exactly
    payload = detach_layer(fig, "/_accelsmith/layer/k1")
    assert meta["src"] == "/_accelsmith/layer/k1" and slot_counts(fig) == counts
    assert all(not {"x", "y", "customdata"} & set(tr) for tr in meta["layer"])
    assert all(isinstance(tr["marker"].get("color", ""), str) for tr in meta["layer"])
    assert len(json.dumps(fig)) < len(json.dumps(fig["data"])) + 20_000  # plain JSON, small
    arrays = read_layer(payload)
    assert [len(a["customdata"]) for a in arrays] == [tr["n"] for tr in meta["layer"]]
    layer_traces = [
        {**tr, **a, "marker": {**tr["marker"], "color": a["marker.color"]}}
        if "marker.color" in a
        else {**tr, **a}
        for tr, a in zip(meta["layer"], arrays, strict=True)
    ]
    with pytest.raises(ValueError, match="ASL1"):
        read_layer(b"nope" + payload[4:])
    traces = [*fig["data"], *layer_traces]  # the plot's, then the static layer's
    assert len(slots) == len(traces) and len(fig["data"]) == len(slots) - len(meta["layer"])
    by_design = t.set_index("design")
    designs: list[str] = []
    for (_, kind, layer), tr in zip(slots, traces, strict=True):
        assert tr["meta"] == {"campaign": "sa-three", "kind": kind, "layer": layer}
        if layer == BASE:  # float64 arrays, drawn by the page under the plot
            assert isinstance(tr["x"], np.ndarray) and tr["x"].dtype == "<f8"
            assert len(tr["customdata"]) == tr["n"] > 0
        elif layer == LEGEND:  # one empty point: the legend entry of the kind
            assert tr["x"] == [None] and tr["showlegend"] is True and "customdata" not in tr
            continue
        elif kind in ("all", "dominated", "infeasible"):  # live: empty until an update
            assert tr["x"] == [] and tr["showlegend"] is False
        if kind != "exact":
            designs += tr["customdata"]
            rows = by_design.loc[tr["customdata"]]
            assert np.array_equal(_decoded(tr["x"]), rows["latency_s"].to_numpy(float))
            assert np.array_equal(_decoded(tr["y"]), rows["energy_j"].to_numpy(float))
            if kind == "all":
                assert np.array_equal(_decoded(tr["marker"]["color"]), rows[color].to_numpy())
                assert tr["marker"]["cmin"] == t[color].min()  # one scale for base and live
                assert tr["marker"]["cmax"] == t[color].max()
    assert sorted(designs) == sorted(t["design"])  # every trial drawn once
    # the axis ranges hold every point (the exact front too); points inside do not move them
    xr, yr = fig["layout"]["xaxis"]["range"], fig["layout"]["yaxis"]["range"]
    for frame in (t, camp.exhaustive):
        assert xr[0] < frame["latency_s"].min() and frame["latency_s"].max() < xr[1]
        assert yr[0] < frame["energy_j"].min() and frame["energy_j"].max() < yr[1]
    assert grow_ranges([xr, yr], [t.head(20)], "latency_s", "energy_j") is None
    far = t.head(1).assign(latency_s=10 * xr[1])
    grown = grow_ranges([xr, yr], [far], "latency_s", "energy_j")
    assert grown is not None and grown[1] == yr and grown[0][0] == xr[0]
    assert grown[0][1] > 10 * xr[1]
    # a live update appends to the live trace of the kind, never to a base trace
    from dash import Patch

    patch = Patch()
    kind = "all" if color != "status" else "dominated"
    new = t[t["status"] == "dominated"].head(3)
    parts = {"new": new, "demoted": new.iloc[:0]}
    extend_scatter(patch, slots, counts, "sa-three", parts, "latency_s", "energy_j", color)
    ops = patch.to_plotly_json()["operations"]
    live = slots.index(["sa-three", kind, LIVE])
    legend = slots.index(["sa-three", kind, LEGEND])
    assert {op["location"][1] for op in ops} == {live, legend}  # never a base trace
    assert counts[live] == 3
    base = slots.index(["sa-three", kind, BASE])
    name = next(op["params"]["value"] for op in ops if op["location"][1] == legend)
    # the legend entry (the live trace's name) counts base and live points of the kind
    assert name == "sa-three" if kind == "all" else name.endswith(f"({counts[base] + 3})")


def test_static_layer_route_and_kept_draws(
    campaign_journal: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import re

    import optuna

    from accelsmith.reports.dashboard import create_app
    from accelsmith.reports.draws import Draws
    from accelsmith.reports.panels import read_layer

    store, hub, lc = _live_copy(campaign_journal, tmp_path)
    client = create_app(hub, interval=1.0).server.test_client()
    # the page preloads plotly.js (the URL Dash serves it at) and the default view's layer
    hrefs = re.findall(r'<link rel="preload" href="([^"]+)"', client.get("/").get_data(True))
    assert len(hrefs) == 2 and any("plotly" in h and h.endswith(".js") for h in hrefs)
    assert all(client.get(h).status_code == 200 for h in hrefs)
    first = client.get("/_accelsmith/layer/default")
    src = first.headers["X-Accelsmith-Layer"]
    # status colours: every trial but the Pareto-optimal ones (a live trace) is in the layer
    designs = [d for t in read_layer(first.data) for d in t["customdata"]]
    assert len(designs) == len(set(designs)) == lc.n - lc.front_size
    assert client.get(src).data == first.data
    assert client.get("/_accelsmith/layer/0123456789abcdef").status_code == 404
    # a few new trials: the kept draw is reused (the page's first poll patches them in)
    study = optuna.load_study(study_name="sa-three@nsga2", storage=journal_storage(store))
    camp = lc.campaign
    rows = _rows(_configs(np.random.default_rng(5), 4), camp.objectives, camp.constraints)
    add_trials(study, rows, "nsga2")
    assert hub.refresh() is True
    assert client.get("/_accelsmith/layer/default").headers["X-Accelsmith-Layer"] == src
    # beyond the reuse limit: built anew, with the new trials
    monkeypatch.setattr(Draws, "REUSE_ROWS", 3)
    again = client.get("/_accelsmith/layer/default")
    assert again.headers["X-Accelsmith-Layer"] != src
    designs = [d for t in read_layer(again.data) for d in t["customdata"]]
    assert len(designs) == len(set(designs)) == lc.n - lc.front_size
