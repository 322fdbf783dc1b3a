"""A run stopped by its explorer's own rule (known proposals in a row) is told from stored
facts (accelsmith.dse.reference.rule_stop), and bench_coexplore shows its final front at the
checkpoints it did not reach; a run merely short of its budget (killed, smaller budget) is
not shown there."""

from __future__ import annotations

import importlib.util
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import optuna
import pytest

from accelsmith.dse.campaign import open_campaign, run_worker
from accelsmith.dse.reference import rule_stop, run_values
from accelsmith.dse.spec import parse_spec

from .dse_helpers import tiny_spec_dict

ROOT = Path(__file__).resolve().parents[2]


def _bench():
    spec = importlib.util.spec_from_file_location(
        "bench_coexplore_t", ROOT / "bench" / "bench_coexplore.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _tpe(folder: Path, budget: int):
    folder.mkdir()
    spec = parse_spec(
        tiny_spec_dict(
            explorer={"name": "tpe", "options": {"n_startup_trials": 3}},
            budget=budget,
            storage=f"sqlite:///{folder / 'study.db'}",
        )
    )
    c = open_campaign(spec)
    run_worker(c)
    return c.study


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """TPE on the 64-point space as if it could not be enumerated (the exhaustion checks
    off): budget 100, so it stops by the miss rule after its 64th design; and the same seed
    at budget 40 (stopped by its budget). Built once for the module."""
    from accelsmith.dse import campaign
    from accelsmith.dse.explorers import optuna_samplers

    tmp = tmp_path_factory.mktemp("stops")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp)
        mp.setattr(optuna_samplers, "_exhausted", lambda ctx, writer: False)
        mp.setattr(campaign, "_stop_when_exhausted", lambda study, space, budget, stop: stop)
        return _tpe(tmp / "rule", 100), _tpe(tmp / "short", 40), tmp


def test_a_run_stopped_by_the_miss_rule_is_told_from_storage(runs) -> None:
    rule, short, tmp = runs
    assert len(rule.trials) == 64  # every design, then 200 known proposals in a row
    assert rule_stop(rule._storage, rule.study_name) == 64
    assert len(short.trials) == 40
    assert rule_stop(short._storage, short.study_name) is None  # its budget stopped it
    # a run killed before the rule fired: its last repeat entries are missing (on a copy)
    (tmp / "killed").mkdir()
    shutil.copy(tmp / "rule" / "study.db", tmp / "killed" / "study.db")
    con = sqlite3.connect(tmp / "killed" / "study.db")
    (key,) = con.execute(
        "select key from study_system_attributes where key like 'accelsmith:repeats:%' "
        "order by key desc limit 1"
    ).fetchone()
    con.execute("delete from study_system_attributes where key = ?", (key,))
    con.commit()
    con.close()
    killed = optuna.storages.RDBStorage(f"sqlite:///{tmp / 'killed' / 'study.db'}")
    assert rule_stop(killed, rule.study_name) is None
    killed.engine.dispose()


def test_the_bench_shows_a_stopped_runs_final_front_at_later_checkpoints(runs) -> None:
    rule, short, _ = runs
    b = _bench()
    v = run_values(rule._storage, rule.study_name)
    w = run_values(short._storage, short.study_name)
    ref = np.vstack([v[np.isfinite(v).all(axis=1)]])
    dirs = ["minimize"] * 3
    cps = [30, 80, 200]
    stopped = b.measure_run(v, ref, dirs, cps, 100, rule_stop(rule._storage, rule.study_name) == 64)
    final = b.measure(v, ref, dirs, [64])[0]
    assert [r["final_front"] for r in stopped] == [False, True, False]
    for col in b.COLUMNS:
        assert stopped[1][col] == final[col]  # the final front, at 80 <= budget 100
        assert np.isnan(stopped[2][col])  # 200 is beyond the run's budget
    assert stopped[1]["front_recall"] == 1.0
    # the run stopped by its budget of 40 is not shown at 80, nor is a run not stopped
    short_rows = b.measure_run(w, ref, dirs, cps, 40, False)
    assert [np.isnan(r["front_recall"]) for r in short_rows] == [False, True, True]
    plain = b.measure_run(v, ref, dirs, cps, 100, False)
    assert np.isnan(plain[1]["front_recall"]) and not any(r["final_front"] for r in plain)
    # the table marks the cell and the note names the seed and its designs
    import pandas as pd

    df = pd.DataFrame(
        [{"explorer": "tpe", "seed": 0, **r} for r in stopped]
        + [{"explorer": "tpe", "seed": 1, **r} for r in short_rows]
        + [{"explorer": "random", "seed": 0, **r} for r in plain]
    )
    text = b.table(df, cps, "t")
    tpe_recall = next(ln for ln in text.splitlines() if ln.startswith("tpe"))
    cells = tpe_recall.split()
    assert not cells[1].endswith(b.FINAL_MARK)  # both seeds reached 30
    assert cells[2] == f"1.000{b.FINAL_MARK}"  # seed 0's final front; seed 1 has none
    assert b.FINAL_MARK not in next(ln for ln in text.splitlines() if ln.startswith("random"))
    note = b.stop_note({("tpe", 0): 64, ("tpe", 1): None}, {"tpe": 100})
    assert "tpe: seeds 0 at 64 designs of budget 100: stopped by the explorer's rule" in note
