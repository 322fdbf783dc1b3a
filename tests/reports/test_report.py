"""``accelsmith report``: HTML content for 1-4 objectives, message pages, CLI errors."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest

from accelsmith.cli.main import main
from accelsmith.reports.extract import campaign_quality, load_campaign, resolve_target

from .conftest import POWER_LIMIT
from .ledger_fixtures import journal_storage, write_campaign

OBJECTIVES = [
    ("latency_s", "minimize"),
    ("energy_j", "minimize"),
    ("area_mm2", "minimize"),
    ("tops_per_w", "maximize"),
]


def _figure_ids(text: str) -> list[str]:
    return re.findall(r'data-figure="([^"]+)"', text)


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_report_for_k_objectives(tmp_path: Path, k: int, capsys: pytest.CaptureFixture) -> None:
    store = tmp_path / "journal.log"
    objs = OBJECTIVES[:k]
    write_campaign(journal_storage(store), f"k{k}", objectives=objs, explorers={"tpe": 40})
    out = tmp_path / "r.html"
    assert main(["report", str(store), "-o", str(out)]) == 0
    assert str(out.resolve()) in capsys.readouterr().out
    text = out.read_text()
    figs = _figure_ids(text)
    pairs = [f"pareto-{x}-{y}" for (x, _), (y, _) in itertools.combinations(objs, 2)]
    assert [f for f in figs if f.startswith("pareto-") and f != "pareto-3d"] == pairs
    assert ("pareto-3d" in figs) == (k >= 3)
    assert ("objective" in figs) == (k == 1)
    assert ("hypervolume" in figs) == (k >= 2)
    for f in ("parallel", "energy-breakdown", "area-breakdown", "layers"):
        assert f in figs
    # offline: plotly.js embedded, nothing fetched from a CDN
    assert "<script src=" not in text and "<link " not in text
    assert len(text) > 3_000_000
    camp = load_campaign(resolve_target(str(store)))
    table = text[text.index("id='pareto-table'") :]
    table = table[: table.index("</table>")]
    assert table.count("<tr data-design=") == len(camp.pareto) > 0
    assert table.count("accelsmith generate systolic --rows") == len(camp.pareto)
    assert "Reproducibility" in text and "seed" in text and "resnet50" in text


def test_report_exact_front_and_hv_ratio(campaign_journal: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    assert main(["report", str(campaign_journal), "-o", str(out)]) == 0
    text = out.read_text()
    assert "exact front (" in text  # the exhaustive front is overlaid
    assert "HV ratio = HV / HV(exact front of the exhaustive explorer)" in text
    camp = load_campaign(resolve_target(str(campaign_journal)))
    assert camp.exhaustive is not None and len(camp.exhaustive) > 5
    q = campaign_quality(camp)
    ratio = q.summary["hv_ratio"]
    assert ratio["exhaustive"] == pytest.approx(1.0)
    assert 0.3 < ratio["nsga2"] <= 1.0 + 1e-12 and 0.3 < ratio["random"] <= 1.0 + 1e-12
    for explorer in ("nsga2", "random"):  # the table shows each explorer's HV ratio
        assert f"{ratio[explorer]:.4g}" in text
    # trials to 90% HV: the first history point at or above 0.9, per explorer
    h = q.history[q.history["explorer"] == "nsga2"]
    first = int(h.loc[h["hv_ratio"] >= 0.9, "trials"].iloc[0])
    assert first == int(np.flatnonzero(h["hv_ratio"].to_numpy() >= 0.9)[0]) + 1  # every trial
    quality_table = text[text.index("id='quality-table'") :].split("</table>")[0]
    assert "trials to 90% HV" in quality_table
    row = quality_table[quality_table.index("<tr data-design='nsga2'>") :].split("</tr>")[0]
    assert f">{first}</td>" in row
    # the strict measures head the table: recall is the share of the exact front found
    assert "front_recall" in quality_table and "hv_ratio_log" in quality_table
    from accelsmith.dse.pareto import front_recall, objective_values

    exact = objective_values(camp.frames["exhaustive"], camp.objectives)
    found = objective_values(camp.frames["nsga2"], camp.objectives)
    assert q.summary.loc["nsga2", "front_recall"] == pytest.approx(front_recall(found, exact))
    assert 0 < q.summary.loc["nsga2", "hv_ratio_log"] <= 1.0 + 1e-12
    # Pareto designs are feasible and non-dominated; infeasible designs violate the limit
    t = camp.trials
    assert (t.loc[t["status"] == "infeasible", "power_w"] > POWER_LIMIT[0][2]).all()
    assert (t.loc[t["status"] != "infeasible", "power_w"] <= POWER_LIMIT[0][2]).all()


def test_per_layer_breakdown_sums_to_design_totals(campaign_journal: Path) -> None:
    from accelsmith.reports.extract import layer_breakdown

    camp = load_campaign(resolve_target(str(campaign_journal)))
    front = camp.pareto.head(5)
    layers = layer_breakdown(camp, front)
    assert set(layers["design"]) == set(front["design"])
    total = layers.groupby("design")[["latency_s", "energy_j"]].sum()
    for _, row in front.iterrows():
        assert total.loc[row["design"], "latency_s"] == pytest.approx(row["latency_s"], rel=1e-9)
        assert total.loc[row["design"], "energy_j"] == pytest.approx(row["energy_j"], rel=1e-9)


def test_empty_campaign_message(tmp_path: Path) -> None:
    store = tmp_path / "journal.log"
    write_campaign(journal_storage(store), "empty", explorers={"nsga2": 0})
    out = tmp_path / "r.html"
    assert main(["report", str(store), "-o", str(out)]) == 0
    text = out.read_text()
    assert "No completed trials yet." in text
    assert not [f for f in _figure_ids(text) if f.startswith("pareto")]


def test_all_infeasible_campaign_message(tmp_path: Path) -> None:
    store = tmp_path / "journal.log"
    write_campaign(
        journal_storage(store),
        "tight",
        constraints=[("power_w", "<=", 0.01)],
        explorers={"nsga2": 20},
    )
    out = tmp_path / "r.html"
    assert main(["report", str(store), "-o", str(out)]) == 0
    text = out.read_text()
    assert "No feasible design." in text
    assert "power_w &lt;= 0.01</code>: satisfied by 0 of 20 trials" in text
    assert not _figure_ids(text)


@pytest.mark.parametrize(
    "target",
    ["{tmp}/nowhere", "sqlite:///{tmp}/nowhere/study.db", "{tmp}/missing.yaml", "{tmp}"],
)
def test_missing_storage_one_line_error(
    tmp_path: Path, target: str, capsys: pytest.CaptureFixture
) -> None:
    target = target.format(tmp=tmp_path)
    assert main(["report", target]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert target in err or str(tmp_path) in err
    assert not (tmp_path / "nowhere").exists()  # nothing created by looking


def test_several_campaigns_need_a_choice(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    store = tmp_path / "journal.log"
    write_campaign(journal_storage(store), "one", explorers={"nsga2": 10})
    write_campaign(journal_storage(store), "two", explorers={"random": 10})
    assert main(["report", str(store), "-o", str(tmp_path / "x.html")]) == 2
    err = capsys.readouterr().err
    assert "several campaigns (one, two)" in err and "--campaign" in err
    out = tmp_path / "two.html"
    assert main(["report", str(store), "--campaign", "two", "-o", str(out)]) == 0
    assert "campaign report: two" in out.read_text()
    assert main(["report", str(store), "--campaign", "three"]) == 2
    assert "campaign 'three' not found" in capsys.readouterr().err


def test_sqlite_run_folder_default_output(tmp_path: Path) -> None:
    run = tmp_path / "runs" / "sq"
    run.mkdir(parents=True)
    write_campaign(f"sqlite:///{run}/study.db", "sq", explorers={"nsga2": 15})
    assert main(["report", str(run)]) == 0
    assert (run / "report.html").is_file()
    assert main(["report", f"sqlite:///{run}/study.db", "-o", str(tmp_path / "u.html")]) == 0


def test_png_export(
    tmp_path: Path,
    chromium_executable: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BROWSER_PATH", chromium_executable)
    store = tmp_path / "journal.log"
    write_campaign(journal_storage(store), "png", explorers={"nsga2": 30})
    png = tmp_path / "png"
    assert main(["report", str(store), "-o", str(tmp_path / "r.html"), "--png", str(png)]) == 0
    files = sorted(p.name for p in png.glob("*.png"))
    assert "pareto-latency_s-energy_j.png" in files and "hypervolume.png" in files
    for p in png.glob("*.png"):
        data = p.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_breakdown_components_add_up_to_totals(campaign_journal: Path) -> None:
    from accelsmith.reports.figures import breakdown_columns

    camp = load_campaign(resolve_target(str(campaign_journal)))
    t = camp.trials
    for prefix, suffix, total in (("energy_", "_j", "energy_j"), ("area_", "_um2", "area_um2")):
        cols = breakdown_columns(t.columns, prefix, suffix)
        assert len(cols) >= 3 and f"{prefix}per_mac{suffix}" not in cols
        np.testing.assert_allclose(t[cols].sum(axis=1), t[total], rtol=1e-9)


def test_sample_keeps_every_marked_row_and_caps_the_rest() -> None:
    import pandas as pd

    from accelsmith.reports.figures import sample

    frame = pd.DataFrame({"v": np.arange(10_000)})
    keep = frame["v"] % 7 == 0
    out = sample(frame, 3000, keep=keep)
    assert len(out) == 3000 and keep[out.index].sum() == keep.sum()
    assert out.index.is_monotonic_increasing
    assert out.equals(sample(frame, 3000, keep=keep))  # seeded: same rows every report
    assert sample(frame, 20_000) is frame


def test_exhaustive_only_campaign_reports_its_exact_front(tmp_path: Path) -> None:
    store = tmp_path / "journal.log"
    write_campaign(journal_storage(store), "exact", explorers={}, exhaustive=True)
    out = tmp_path / "r.html"
    assert main(["report", str(store), "-o", str(out)]) == 0
    text = out.read_text()
    camp = load_campaign(resolve_target(str(store)))
    assert len(camp.trials) == len(camp.exhaustive) == len(camp.pareto) > 3
    assert f"Pareto-optimal designs ({len(camp.pareto)})" in text
    assert "No completed trials" not in text and 'data-figure="hypervolume"' not in text


@pytest.mark.parametrize("n_parts", [3, 11, 26])
def test_breakdown_components_have_distinct_colours(n_parts: int) -> None:
    # the LUT core has 11 energy components: with Plotly's 10-colour cycle the 11th (leak)
    # was drawn in the first one's colour (compute)
    import pandas as pd

    from accelsmith.reports.figures import breakdown_figure

    frame = pd.DataFrame(
        {"design": ["a", "b"], "energy_j": [2.0 * n_parts] * 2}
        | {f"energy_p{i}_j": [1.0, 2.0] for i in range(n_parts)}
    )
    fig = breakdown_figure(frame, "energy_", "_j", "t")
    colours = [t.marker.color for t in fig.data]
    assert len(colours) == n_parts and None not in colours
    assert len(set(colours)) == n_parts


def test_duplicate_pareto_configurations_are_counted(tmp_path: Path) -> None:
    # an explorer that evaluates a Pareto configuration again adds a second Pareto trial:
    # the heading says how many distinct configurations the rows are (`dse pareto` lists
    # each once)
    import optuna

    from .ledger_fixtures import _rows, add_trials

    store = tmp_path / "journal.log"
    write_campaign(journal_storage(store), "dups", explorers={"tpe": 30})
    camp = load_campaign(resolve_target(str(store)))
    keys = ("rows", "cols", "dataflow", "in_bits", "signed", "ifmap_kb")
    again = [
        {k: r[k].item() if hasattr(r[k], "item") else r[k] for k in keys}
        for _, r in camp.pareto.head(2).iterrows()
    ]
    study = optuna.load_study(study_name="dups@tpe", storage=journal_storage(store))
    add_trials(
        study, _rows(again, [("latency_s", "minimize"), ("energy_j", "minimize")], []), "tpe"
    )
    camp = load_campaign(resolve_target(str(store)))
    distinct = len(camp.pareto.drop_duplicates(subset=list(keys)))
    assert len(camp.pareto) > distinct
    out = tmp_path / "r.html"
    assert main(["report", str(store), "-o", str(out)]) == 0
    text = out.read_text()
    assert f"Pareto-optimal designs ({len(camp.pareto)} trials, {distinct} distinct" in text


def test_unwritable_png_folder_writes_no_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--png`` that cannot be created is refused before the HTML is written (it used to
    write r.html, then fail with exit 2)."""
    store = tmp_path / "journal.log"
    write_campaign(journal_storage(store), "pngbad", explorers={"nsga2": 6})
    (tmp_path / "afile").write_text("x")
    capsys.readouterr()
    html_out = tmp_path / "r.html"
    code = main(["report", str(store), "-o", str(html_out), "--png", str(tmp_path / "afile/png")])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--png" in err and "cannot be created" in err, err
    assert not html_out.exists()
