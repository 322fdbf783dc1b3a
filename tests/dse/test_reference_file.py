"""Exported reference fronts (`dse reference export`, `--reference FILE.json`): the small files
that let a fresh clone measure against a reference without the runs' storage."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import optuna
import pytest

from accelsmith.cli.main import main
from accelsmith.dse.identity import identity
from accelsmith.dse.pareto import nondominated_mask
from accelsmith.dse.reference import build_reference, load_reference, run_values
from accelsmith.dse.spec import load_spec
from accelsmith.dse.storage import open_storage
from accelsmith.dse.validate import check_spec

from .dse_helpers import TINY_SPACE, write_spec

#: 8 x 8 x 2 x 2 = 256 points: runs of 40 trials find different fronts
SPACE = {
    **TINY_SPACE,
    "rows": {"low": 4, "high": 32, "step": 4},
    "cols": {"low": 4, "high": 32, "step": 4},
}
ROOT = Path(__file__).resolve().parents[2]


def _reference(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = load_spec(write_spec(tmp_path / "spec.yaml", space=SPACE, budget=30))
    url = f"sqlite:///{tmp_path / 'ref.db'}"
    front = build_reference(spec, storage=url, explorers=["random"], seeds=[0, 1], budget=40)
    return spec, url, front


def _one_line_error(capsys, argv, message) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1, err


def test_export_round_trip_and_status_from_the_file(tmp_path, monkeypatch, capsys) -> None:
    spec, url, front = _reference(tmp_path, monkeypatch)
    argv = ["dse", "reference", "export", "spec.yaml", url, "--out", "refs/tiny.json"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "reference campaign tiny.reference (" in out and "-> refs/tiny.json" in out
    doc = json.loads((tmp_path / "refs" / "tiny.json").read_text())
    # the file holds the stored front: same objective vectors, each with its design, the
    # campaign identity and the runs it is the union of
    assert sorted(map(tuple, (p["values"] for p in doc["points"]))) == sorted(
        map(tuple, front.values.tolist())
    )
    assert doc["identity"] == json.loads(json.dumps(identity(spec)))
    assert {(r["explorer"], r["seed"], r["trials"]) for r in doc["runs"]} == {
        ("random", 0, 40),
        ("random", 1, 40),
    }
    # every design re-evaluates to its stored objective vector
    space = spec.build_space()
    res = check_spec(spec).evaluate([space.config(p["params"]) for p in doc["points"]])
    assert np.allclose(res.values, [p["values"] for p in doc["points"]], rtol=1e-12)
    # load_reference reads it like the storage; `dse status` gives the same measures
    ref = load_reference("refs/tiny.json", spec)
    assert ref.description == load_reference(url, spec).description
    assert main(["dse", "run", "spec.yaml", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["dse", "status", "spec.yaml", "--json", "--reference", url]) == 0
    from_db = json.loads(capsys.readouterr().out)
    assert main(["dse", "status", "spec.yaml", "--json", "--reference", "refs/tiny.json"]) == 0
    from_file = json.loads(capsys.readouterr().out)
    assert from_file["explorers"] == from_db["explorers"]
    assert from_file["reference"] == from_db["reference"]
    assert 0 < from_file["explorers"]["random"]["front_recall"] < 1
    assert main(["dse", "reference", "show", "spec.yaml", "refs/tiny.json"]) == 0
    assert "random seed 1: 40 trials" in capsys.readouterr().out
    assert main(["report", "spec.yaml", "-o", "r.html", "--reference", "refs/tiny.json"]) == 0
    assert (
        "Strict measures against the reference campaign tiny.reference ("
        in (tmp_path / "r.html").read_text()
    )


def test_export_joins_other_storages_runs(tmp_path, monkeypatch, capsys) -> None:
    spec, url, _ = _reference(tmp_path, monkeypatch)
    # "ablation" runs of the same campaign in another storage: nsga2, other seeds
    other = f"sqlite:///{tmp_path / 'abl.db'}"
    build_reference(
        spec, storage=other, explorers=["nsga2"], seeds=[3, 4], budget=40, name="tiny.abl"
    )
    argv = ["dse", "reference", "export", "spec.yaml", url, "--out", "j.json", "--join", other]
    assert main(argv) == 0
    assert "nsga2 2x40" in capsys.readouterr().out
    doc = json.loads((tmp_path / "j.json").read_text())
    # the union computed independently: every feasible trial of the four runs
    names = [(url, f"tiny.reference.s{s}@random") for s in (0, 1)]
    names += [(other, f"tiny.abl.s{s}@nsga2") for s in (3, 4)]
    v = np.vstack([run_values(open_storage(u), n) for u, n in names])
    v = v[np.isfinite(v).all(axis=1)]
    want = {tuple(r) for r in v[nondominated_mask(v, spec.directions)]}
    got = [tuple(p["values"]) for p in doc["points"]]
    assert set(got) == want and len(got) == len(want)
    assert {r.get("study") for r in doc["runs"]} >= {n for _, n in names[2:]}
    # each joined point names the run trial it came from, with that trial's design
    for p in doc["points"]:
        study, _, number = p["source"].partition("#")
        st = optuna.load_study(study_name=study, storage=other if "abl" in study else url)
        assert st.trials[int(number)].params == p["params"]
    # a storage without a run of this campaign is refused
    foreign = load_spec(
        write_spec(tmp_path / "f.yaml", space=SPACE, constraints=["area_mm2 <= 0.5"])
    )
    build_reference(foreign, storage=f"sqlite:///{tmp_path / 'f.db'}", explorers=["random"],
                    seeds=[0], budget=5, update=False)  # fmt: skip
    _one_line_error(
        capsys,
        ["dse", "reference", "export", "spec.yaml", url, "--out", "x.json", "--join", "f.db"],
        "--join f.db holds no run of campaign 'tiny'",
    )
    assert not (tmp_path / "x.json").exists()


def test_file_errors_are_one_line_exit_2(tmp_path, monkeypatch, capsys) -> None:
    _, url, _ = _reference(tmp_path, monkeypatch)
    assert main(["dse", "reference", "export", "spec.yaml", url, "--out", "t.json"]) == 0
    assert main(["dse", "run", "spec.yaml", "--quiet"]) == 0
    capsys.readouterr()
    # another campaign identity (constraints): refused, naming what differs
    write_spec(tmp_path / "other.yaml", space=SPACE, constraints=["area_mm2 <= 0.5"], budget=5)
    _one_line_error(
        capsys,
        ["dse", "status", "other.yaml", "--reference", "t.json"],
        "--reference t.json holds the reference front of 'tiny.reference' with a different "
        "constraints: not a front of campaign 'tiny'",
    )
    # another results version: refused with the way out
    doc = json.loads((tmp_path / "t.json").read_text())
    doc["identity"]["contents"]["results_version"] = "1"
    (tmp_path / "old.json").write_text(json.dumps(doc))
    _one_line_error(
        capsys,
        ["dse", "status", "spec.yaml", "--reference", "old.json"],
        "re-cost it: `accelsmith dse reference recost`",
    )
    (tmp_path / "bad.json").write_text("{not json")
    _one_line_error(
        capsys, ["dse", "status", "spec.yaml", "--reference", "bad.json"], "is not a JSON file"
    )
    (tmp_path / "plain.json").write_text('{"a": 1}')
    _one_line_error(
        capsys,
        ["dse", "status", "spec.yaml", "--reference", "plain.json"],
        "is not an accelsmith reference-front file",
    )
    _one_line_error(
        capsys, ["dse", "status", "spec.yaml", "--reference", "nope.json"], "does not exist"
    )
    _one_line_error(
        capsys,
        ["dse", "reference", "export", "spec.yaml", url, "--out", "t.csv"],
        "--out must be a .json file, not 't.csv'",
    )
    _one_line_error(
        capsys,
        ["dse", "reference", "export", "spec.yaml", "nope.db", "--out", "n.json"],
        "does not exist",
    )


def test_recost_from_an_exported_file(tmp_path, monkeypatch, capsys) -> None:
    spec, url, front = _reference(tmp_path, monkeypatch)
    assert main(["dse", "reference", "export", "spec.yaml", url, "--out", "t.json"]) == 0
    # the same front exported under results version "1": re-costed from the file alone
    doc = json.loads((tmp_path / "t.json").read_text())
    doc["identity"]["contents"]["results_version"] = "1"
    (tmp_path / "old.json").write_text(json.dumps(doc))
    capsys.readouterr()
    new = f"sqlite:///{tmp_path / 'new.db'}"
    assert main(["dse", "reference", "recost", "spec.yaml", "old.json", "--storage", new]) == 0
    out = capsys.readouterr().out
    assert f"re-costed {len(front.values)} designs" in out and "0 objective vectors changed" in out
    ref = load_reference(new, spec)
    assert sorted(map(tuple, ref.values.tolist())) == sorted(map(tuple, front.values.tolist()))
    assert "re-costed from results version 1 (front of random 2x40" in ref.description
    # a current file is refused: nothing to re-cost
    _one_line_error(
        capsys,
        ["dse", "reference", "recost", "spec.yaml", "t.json", "--storage", new],
        "is of results version",
    )


@pytest.mark.parametrize(
    "spec_file", ["coexplore-llama3.yaml", "accel-resnet50.yaml"], ids=["coexplore", "accel"]
)
def test_committed_reference_files_are_current(spec_file) -> None:
    """The shipped fronts (bench/references) match today's campaign identity and cost
    models: every design re-evaluates to its stored objective vector, and the points are
    mutually non-dominated and feasible. A results-version change fails here until the
    files are re-costed (`dse reference recost FILE`, then `dse reference export`)."""
    spec = load_spec(ROOT / "examples" / "campaigns" / spec_file)
    path = ROOT / "bench" / "references" / f"{spec.name}.reference.json"
    ref = load_reference(str(path), spec)
    doc = json.loads(path.read_text())
    assert len(ref.values) == len(doc["points"]) >= 20
    assert nondominated_mask(ref.values, spec.directions).all()
    assert len(np.unique(ref.values, axis=0)) == len(ref.values)
    space = spec.build_space()
    res = check_spec(spec).evaluate([space.config(p["params"]) for p in doc["points"]])
    assert np.asarray(res.feasible, dtype=bool).all()
    assert np.allclose(res.values, ref.values, rtol=1e-9, atol=0)
    every = {"nsga2", "random", "tpe", "random-walk", "ppo", "sac", "marl"}
    assert _explorers(doc["runs"]) >= every


def _explorers(runs: list[dict]) -> set[str]:
    """The explorers of the runs a front is the union of; a re-costed front's run
    (``explorer`` ``recosted``) stands for the runs of the front it re-costed
    (``recosted.source_runs``, themselves possibly re-costed)."""
    out: set[str] = set()
    for r in runs:
        if r["explorer"] == "recosted":
            out |= _explorers(r["recosted"]["source_runs"])
        else:
            out.add(r["explorer"])
    return out


def _bench(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_coexplore.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def test_bench_measures_against_the_committed_front_without_the_runs(tmp_path) -> None:
    """A fresh clone's bench: no reference storage; it builds only the asked run and
    measures it against the committed front joined with that run."""
    common = ["--reference", str(tmp_path / "ref.db"), "--out", str(tmp_path / "c.csv")]
    r = _bench("--explorers", "random", "--seeds", "1", "--checkpoints", "60", *common)
    assert r.returncode == 0, r.stderr
    committed = ROOT / "bench" / "references" / "coexplore-llama3.reference.json"
    n = len(json.loads(committed.read_text())["points"])
    assert "union of random 1x60) joined with the exported front " in r.stdout
    assert f"front {committed} ({n} points; " in r.stdout
    rows = [ln for ln in r.stdout.splitlines() if ln.startswith("random ")]
    assert len(rows) == 3 and all(ln.split()[-2:] == ["1", "60"] for ln in rows)
    # the front of another campaign as --reference-file: one line, exit 2
    other = ROOT / "bench" / "references" / "accel-resnet50.reference.json"
    r = _bench("--no-build", "--reference-file", str(other), *common)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "holds the reference front of 'accel-resnet50.reference' with a different" in r.stderr


def test_bench_row_takes_the_uninterrupted_long_run(tmp_path) -> None:
    """An RL explorer's row measures its own '<e>-long' run when that run starts with the
    stored shorter run (same seed): the first trials must be identical (checked by the bench).
    A seed with a long run and no stored shorter run (seed 1 here) joins the row on its long
    run alone, and the bench says so."""
    common = [
        "--reference", str(tmp_path / "ref.db"), "--out", str(tmp_path / "c.csv"),
        "--ablation-storage", str(tmp_path / "abl.db"), "--explorers", "random-walk",
        "--checkpoints", "30", "60", "--rl-budget", "30", "--ablation-budget", "60",
    ]  # fmt: skip
    long = ["--ablations", "rw-long", "--ablation-seeds", "2"]
    assert _bench("--seeds", "1", *long, *common).returncode == 0  # 30-run: seed 0 only
    r = _bench("--no-build", "--seeds", "2", *long, *common)
    assert r.returncode == 0, r.stderr
    assert "random-walk: seeds 0 measured on their uninterrupted rw-long runs" in r.stdout
    assert (
        "random-walk: seeds 1 measured on their rw-long runs alone (no stored 30-run of that "
        "seed); the prefix equals the shorter run on seeds 0"
    ) in r.stdout
    assert "does not start with the stored" not in r.stdout
    table = r.stdout.split("== RL ablations")[0]
    rows = [ln.split() for ln in table.splitlines() if ln.startswith("random-walk ")]
    assert len(rows) == 3 and all(row[-2:] == ["2", "60"] for row in rows)
    assert "random-walk[rw-long]" not in r.stdout  # both long runs are in the row
    v30 = run_values(open_storage(f"sqlite:///{tmp_path / 'ref.db'}"),
                     "coexplore-llama3.reference.s0@random-walk")  # fmt: skip
    v60 = run_values(open_storage(f"sqlite:///{tmp_path / 'abl.db'}"),
                     "coexplore-llama3.ablation-rw-long.s0@random-walk")  # fmt: skip
    assert len(v30) == 30 and len(v60) == 60
    assert np.array_equal(v30, v60[:30], equal_nan=True)
