"""Re-costing a stored reference front under a new results version (`dse reference recost`)."""

from __future__ import annotations

import numpy as np
import optuna
import pytest

from accelsmith.cli.main import main
from accelsmith.core.errors import ConfigError
from accelsmith.dse import evaluator as evaluator_mod
from accelsmith.dse.pareto import nondominated_mask
from accelsmith.dse.reference import (
    build_reference,
    load_reference,
    recost_reference,
    update_front,
)
from accelsmith.dse.spec import load_spec
from accelsmith.dse.storage import open_storage
from accelsmith.dse.validate import check_spec

from .dse_helpers import TINY_SPACE, write_spec

#: 8 x 8 x 2 x 2 = 256 points
SPACE = {
    **TINY_SPACE,
    "rows": {"low": 4, "high": 32, "step": 4},
    "cols": {"low": 4, "high": 32, "step": 4},
}


def _old_reference(tmp_path, monkeypatch):
    """A reference built under results version "1" (random + nsga2, 2 seeds x 40)."""
    monkeypatch.chdir(tmp_path)
    spec = load_spec(write_spec(tmp_path / "spec.yaml", space=SPACE))
    monkeypatch.setattr("accelsmith.dse.identity.RESULTS_VERSION", "1")
    old = f"sqlite:///{tmp_path / 'old.db'}"
    front = build_reference(
        spec, storage=old, explorers=["random", "nsga2"], seeds=[0, 1], budget=40
    )
    monkeypatch.setattr("accelsmith.dse.identity.RESULTS_VERSION", "2")
    return spec, old, front


def test_recost_detects_changes_and_new_runs_join_the_front(tmp_path, monkeypatch) -> None:
    spec, old, old_front = _old_reference(tmp_path, monkeypatch)
    # under version 2 the old front is refused (with the way out), and so are its runs
    with pytest.raises(ConfigError, match=r"results version 1 \(now 2\).*reference recost"):
        load_reference(old, spec)
    with pytest.raises(ConfigError, match=r"was recorded with accelsmith results version 1"):
        update_front(open_storage(old, write=True), spec, "tiny.reference")
    # "version 2" changes the model: arrays of 16+ rows are 1.5x slower
    model = evaluator_mod.Evaluator._model

    def slower(self, df):
        out = model(self, df)
        out["latency_s"] = out["latency_s"] * np.where(out["rows"].to_numpy() >= 16, 1.5, 1.0)
        return out

    monkeypatch.setattr(evaluator_mod.Evaluator, "_model", slower)
    old_study = optuna.load_study(study_name="tiny.reference@reference", storage=old)
    rows16 = sum(t.params["rows"] >= 16 for t in old_study.trials)
    assert 0 < rows16 < len(old_study.trials)  # both kinds on the old front
    new = f"sqlite:///{tmp_path / 'new.db'}"
    front, meta = recost_reference(spec, str(tmp_path / "old.db"), storage=new)
    assert meta["from_version"] == "1" and meta["to_version"] == "2"
    assert meta["designs"] == len(old_front.values) and meta["changed"] == rows16
    assert meta["max_rel_change"] == pytest.approx(0.5)
    assert meta["source"]["study"] == "tiny.reference@reference"
    assert {r["explorer"] for r in meta["source_runs"]} == {"random", "nsga2"}
    # the stored front: the non-dominated re-costed designs, computed here independently
    space = spec.build_space()
    res = check_spec(spec).evaluate([space.config(t.params) for t in old_study.trials])
    v = np.asarray(res.values)[np.asarray(res.feasible, dtype=bool)]
    want = {tuple(r) for r in v[nondominated_mask(v, spec.directions)]}
    assert {tuple(r) for r in front.values} == want
    assert "re-costed from results version 1" in front.description
    assert f"{rows16} changed, max relative change 0.5" in front.description
    loaded = load_reference(new, spec)
    assert {tuple(r) for r in loaded.values} == want
    # the re-costed designs are ledger trials of the current identity, naming their source
    rc = optuna.load_study(study_name="tiny.reference.recosted@from-v1", storage=new)
    assert len(rc.trials) == meta["designs"]
    assert all(t.user_attrs["reference_source"].startswith("tiny.reference.s") for t in rc.trials)
    # a new run built beside it joins the union
    both = build_reference(spec, storage=new, explorers=["random"], seeds=[5], budget=60)
    assert "random 1x60" in both.description and "re-costed" in both.description
    run = optuna.load_study(study_name="tiny.reference.s5@random", storage=new)
    u = np.vstack(
        [front.values, np.array([t.values for t in run.trials if t.user_attrs["feasible"]])]
    )
    assert {tuple(r) for r in both.values} == {
        tuple(r) for r in u[nondominated_mask(u, spec.directions)]
    }


def test_recost_without_change_keeps_the_front(tmp_path, monkeypatch, capsys) -> None:
    spec, _, old_front = _old_reference(tmp_path, monkeypatch)
    argv = ["dse", "reference", "recost", str(tmp_path / "spec.yaml"), str(tmp_path / "old.db")]
    assert main([*argv, "--storage", f"sqlite:///{tmp_path / 'new.db'}"]) == 0
    out = capsys.readouterr().out
    n = len(old_front.values)
    assert out.startswith(
        f"re-costed {n} designs of tiny.reference@reference (results version 1 -> 2): "
        "0 objective vectors changed (max relative change 0), 0 now infeasible, 0 failed"
    )
    assert "no objective changed" in out
    assert {tuple(r) for r in load_reference(str(tmp_path / "new.db"), spec).values} == {
        tuple(r) for r in old_front.values
    }
    # default storage runs/<name>/study.db; show lists the re-costed part
    assert main(argv) == 0
    capsys.readouterr()
    assert main(["dse", "reference", "show", argv[3], "runs/tiny.reference/study.db"]) == 0
    assert f"  {n} designs re-costed from results version 1 (front of nsga2 2x40, random 2x40" in (
        capsys.readouterr().out
    )


def test_recost_bad_input_is_one_line_exit_2(tmp_path, monkeypatch, capsys) -> None:
    _, old, _ = _old_reference(tmp_path, monkeypatch)
    path = str(tmp_path / "spec.yaml")
    cases = [
        (["nope.db"], "error: reference must be a storage URL, an SQLite file or a folder"),
        ([old, "--storage", old], "error: --storage must differ from the source storage"),
        ([old, "--name", "a b"], "error: --name must start with a letter or digit"),
    ]
    for args, message in cases:
        assert main(["dse", "reference", "recost", path, *args]) == 2
        err = capsys.readouterr().err
        assert err.startswith(message) and err.count("\n") == 1, err
    # a front of the current version: nothing to re-cost
    new = f"sqlite:///{tmp_path / 'new.db'}"
    assert main(["dse", "reference", "recost", path, old, "--storage", new]) == 0
    capsys.readouterr()
    assert main(["dse", "reference", "recost", path, new, "--storage", "sqlite:///x.db"]) == 2
    err = capsys.readouterr().err
    assert "is of results version 2 already: nothing to re-cost" in err and err.count("\n") == 1
    # another campaign (other constraints): refused naming the difference
    other = write_spec(tmp_path / "other.yaml", space=SPACE, constraints=["area_mm2 <= 0.5"])
    assert main(["dse", "reference", "recost", str(other), old, "--storage", new]) == 2
    err = capsys.readouterr().err
    assert "a different constraints" in err and err.count("\n") == 1
