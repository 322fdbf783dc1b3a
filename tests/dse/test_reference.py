"""Stored reference fronts (issue 17 item 4): build, resume, load, `dse status --reference`."""

from __future__ import annotations

import json

import numpy as np
import optuna
import pytest

from accelsmith.cli.main import main
from accelsmith.core.errors import ConfigError
from accelsmith.dse.ledger import trials_frame
from accelsmith.dse.pareto import front_recall, nondominated_mask, objective_values
from accelsmith.dse.reference import build_reference, load_reference, run_values
from accelsmith.dse.spec import load_spec

from .dse_helpers import TINY_SPACE, write_spec

#: 8 x 8 x 2 x 2 = 256 points: runs of 40 trials find different fronts
SPACE = {
    **TINY_SPACE,
    "rows": {"low": 4, "high": 32, "step": 4},
    "cols": {"low": 4, "high": 32, "step": 4},
}


def _union_front(url: str, names: list[str], dirs: list[str]) -> set[tuple[float, ...]]:
    """The union front computed independently (Optuna's ORM reads, not run_values)."""
    parts = []
    for n in names:
        study = optuna.load_study(study_name=n, storage=url)
        f = trials_frame(study)
        parts.append(
            objective_values(
                f,
                [(m, d) for m, d in zip(["latency_s", "energy_j", "area_um2"], dirs, strict=True)],
            )
        )
    v = np.concatenate(parts)
    v = v[np.isfinite(v).all(axis=1)]
    return {tuple(r) for r in v[nondominated_mask(v, dirs)]}


def test_build_resume_and_load(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    spec = load_spec(write_spec(tmp_path / "spec.yaml", space=SPACE))
    url = f"sqlite:///{tmp_path / 'ref.db'}"
    seen = []
    front = build_reference(
        spec,
        storage=url,
        explorers=["random", "nsga2"],
        seeds=[0, 1],
        budget=40,
        on_run=lambda e, s, n, t: seen.append((e, s, n)),
    )
    assert seen == [("random", 0, 40), ("nsga2", 0, 40), ("random", 1, 40), ("nsga2", 1, 40)]
    names = [f"tiny.reference.s{s}@{e}" for s in (0, 1) for e in ("random", "nsga2")]
    want = _union_front(url, names, spec.directions)
    assert {tuple(r) for r in front.values} == want and len(front.values) == len(want)
    # runs differ (else the union would say nothing): at least two distinct fronts
    assert (
        len(
            {
                frozenset(map(tuple, run_values(optuna.storages.RDBStorage(url), n)[:5].tolist()))
                for n in names
            }
        )
        > 1
    )
    # stored: the front study holds one trial per point, each naming its source run trial
    study = optuna.load_study(study_name="tiny.reference@reference", storage=url)
    assert {tuple(t.values) for t in study.trials} == want
    assert all(t.user_attrs["reference_source"].split("#")[0] in names for t in study.trials)
    assert all("rows" in t.params for t in study.trials)
    # loaded back through the identity check
    ref = load_reference(str(tmp_path / "ref.db"), spec)
    assert {tuple(r) for r in ref.values} == want
    assert "nsga2 2x40" in ref.description and "random 2x40" in ref.description
    assert f"({len(want)} points;" in ref.description
    # building again is a resume: finished runs stay, a larger budget extends them
    seen.clear()
    build_reference(
        spec,
        storage=url,
        explorers=["random"],
        seeds=[0],
        budget=60,
        on_run=lambda e, s, n, t: seen.append((e, s, n)),
    )
    assert seen == [("random", 0, 60)]
    ref = load_reference(url, spec)
    assert {(r["explorer"], r["seed"], r["trials"]) for r in ref.runs} == {
        ("random", 0, 60),
        ("random", 1, 40),
        ("nsga2", 0, 40),
        ("nsga2", 1, 40),
    }
    # a campaign with another identity is refused, saying what differs
    other = load_spec(
        write_spec(tmp_path / "other.yaml", space=SPACE, constraints=["area_mm2 <= 0.5"])
    )
    with pytest.raises(
        ConfigError, match=r"holds no reference front of campaign 'tiny'.*a different constraints"
    ):
        load_reference(url, other)


def test_cli_build_and_status_against_the_reference(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    spec = write_spec(tmp_path / "spec.yaml", space=SPACE, budget=30)
    argv = [
        "dse",
        "reference",
        "build",
        str(spec),
        "--explorers",
        "nsga2,random",
        "--seeds",
        "2",
        "--budget",
        "50",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert (
        "nsga2 seed 1: 50 trials" in out
        and "stored in sqlite:///runs/tiny.reference/study.db" in out
    )
    ref_url = f"sqlite:///{tmp_path / 'runs' / 'tiny.reference' / 'study.db'}"
    ref_front = {
        tuple(t.values)
        for t in optuna.load_study(study_name="tiny.reference@reference", storage=ref_url).trials
    }
    # the campaign itself: random, 30 trials, seed 0 (a prefix of the reference's random run 0)
    assert main(["dse", "run", str(spec), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["dse", "status", str(spec), "--json", "--reference", "runs/tiny.reference/"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["reference"].startswith("reference campaign tiny.reference (")
    found = {
        tuple(t.values)
        for t in optuna.load_study(
            study_name="tiny@random", storage=f"sqlite:///{tmp_path / 'study.db'}"
        ).trials
        if t.user_attrs["feasible"]
    }
    rnd = st["explorers"]["random"]
    assert rnd["front_recall"] == pytest.approx(len(ref_front & found) / len(ref_front))
    assert rnd["front_recall"] == pytest.approx(
        front_recall(np.array(sorted(found)), np.array(sorted(ref_front)))
    )
    # without --reference the combined front of the campaign is the reference (recall 1 here)
    assert main(["dse", "status", str(spec), "--json"]) == 0
    st2 = json.loads(capsys.readouterr().out)
    assert (
        st2["reference"].startswith("combined front")
        and st2["explorers"]["random"]["front_recall"] == 1.0
    )
    assert rnd["front_recall"] < 1.0  # the reference holds points this run did not find
    assert main(["dse", "status", str(spec), "--reference", "runs/tiny.reference/"]) == 0
    assert (
        "Strict measures against the reference campaign tiny.reference"
        in capsys.readouterr().out.replace("\n", " ")
    )
    # the report's quality table: the same recall, and the reference named under it
    assert main(["report", str(spec), "-o", "r.html", "--reference", "runs/tiny.reference"]) == 0
    html = (tmp_path / "r.html").read_text()
    assert "Strict measures against the reference campaign tiny.reference (" in html
    assert main(["report", str(spec), "-o", "r2.html"]) == 0
    assert "Strict measures against the combined front" in (tmp_path / "r2.html").read_text()
    assert main(["dse", "reference", "show", str(spec), ref_url]) == 0
    assert "random seed 1: 50 trials" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--explorers", "nsga2,foo"], "error: --explorers must be a comma-separated list of "),
        (["--explorers", "exhaustive"], "error: --explorers: 'exhaustive' gives an exact front"),
        (["--name", "a b"], "error: --name must start with a letter or digit"),
    ],
)
def test_build_bad_input_is_one_line_exit_2(tmp_path, monkeypatch, capsys, argv, message) -> None:
    monkeypatch.chdir(tmp_path)
    spec = write_spec(tmp_path / "spec.yaml")
    assert main(["dse", "reference", "build", str(spec), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1
    assert not (tmp_path / "runs" / "tiny.reference").exists()


def test_status_reference_errors_exit_2(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    spec = write_spec(tmp_path / "spec.yaml", budget=5)
    assert main(["dse", "run", str(spec), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["dse", "status", str(spec), "--reference", "nope.db"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --reference must be a storage URL") and err.count("\n") == 1
    # a storage without a reference front (the campaign's own)
    assert main(["dse", "status", str(spec), "--reference", "study.db"]) == 2
    err = capsys.readouterr().err
    assert "holds no reference front" in err and err.count("\n") == 1
