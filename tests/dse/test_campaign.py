"""Campaigns: resume, identity checks, kill -9, workers on SQLite and PostgreSQL, Dask."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
import yaml

from accelsmith.core.errors import ConfigError
from accelsmith.dse import ledger
from accelsmith.dse.campaign import open_campaign, run_worker
from accelsmith.dse.ledger_bulk import WORKERS_KEY
from accelsmith.dse.spec import parse_spec
from accelsmith.dse.workers import OWNER_KEY

from .dse_helpers import kill_9_after, tiny_spec_dict, write_spec

TPE = {"name": "tpe", "options": {"n_startup_trials": 5}}


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "accelsmith.cli.main", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _states(study: optuna.Study) -> list[str]:
    return [t.state.name for t in study.get_trials(deepcopy=False)]


def test_run_again_resumes_and_budget_counts_done_trials(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    data = tiny_spec_dict(budget=8, explorer=TPE, storage=f"sqlite:///{tmp_path / 's.db'}")
    c = open_campaign(parse_spec(data))
    run_worker(c)
    first = [t.params for t in c.study.trials]
    c = open_campaign(parse_spec(data))  # same spec: nothing left to do
    run_worker(c)
    assert len(c.study.trials) == 8
    run_worker(c, budget=12)  # a larger budget continues the same study
    assert _states(c.study) == ["COMPLETE"] * 12
    assert [t.params for t in c.study.trials[:8]] == first
    # the continued run equals one uninterrupted run of 12 with the same seed
    data12 = dict(data, budget=12, storage=f"sqlite:///{tmp_path / 'u.db'}")
    u = open_campaign(parse_spec(data12))
    run_worker(u)
    assert [t.params for t in u.study.trials] == [t.params for t in c.study.trials]


def test_changed_space_is_refused_unless_force_new(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    data = tiny_spec_dict(budget=4, storage=f"sqlite:///{tmp_path / 's.db'}")
    run_worker(open_campaign(parse_spec(data)))
    space = dict(data["space"], rows={"low": 4, "high": 32, "step": 4})
    changed = parse_spec(dict(data, space=space))
    with pytest.raises(ConfigError) as info:
        open_campaign(changed)
    msg = str(info.value)
    assert (
        msg.startswith("campaign 'tiny' in sqlite:///") and "was run with a different space" in msg
    )
    assert msg.endswith("use --force-new to archive it and start a new one, or another name")
    with pytest.raises(ConfigError, match="different objectives"):
        open_campaign(
            parse_spec(dict(data, objectives={"latency_s": "minimize", "area_um2": "minimize"}))
        )
    c = open_campaign(changed, force_new=True)
    assert len(c.study.trials) == 0
    names = ledger.campaign_studies(f"sqlite:///{tmp_path / 's.db'}")
    archived = [n for n in names if n.startswith("tiny.archived-")]
    assert names["tiny"] == ["random"] and len(archived) == 1
    old = optuna.load_study(
        study_name=f"{archived[0]}@random", storage=f"sqlite:///{tmp_path / 's.db'}"
    )
    assert len(old.trials) == 4  # nothing computed is lost


def test_a_joining_worker_does_not_probe_again_but_is_still_checked(tmp_path, monkeypatch) -> None:
    """The creator probes the space; a worker joining the stored campaign (create=False)
    skips the probe (its identity, cost-model versions included, is checked instead), so a
    changed spec is still refused and a new campaign is still probed."""
    from accelsmith.dse import campaign as campaign_mod
    from accelsmith.dse import validate

    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 's.db'}"
    data = tiny_spec_dict(budget=4, storage=url)
    calls: list[str] = []
    real = validate.probe
    monkeypatch.setattr(
        validate, "probe", lambda spec, ev=None: calls.append(spec.name) or real(spec, ev)
    )
    run_worker(open_campaign(parse_spec(data)))
    assert calls == ["tiny"]  # created: probed
    spec, explorer = campaign_mod.spec_from_storage(url, "tiny", None)
    c = open_campaign(spec, storage=url, explorer=explorer, create=False)
    run_worker(c, budget=6)
    assert calls == ["tiny"] and len(c.study.trials) == 6  # joined: not probed, ran
    space = dict(data["space"], rows={"low": 4, "high": 32, "step": 4})
    with pytest.raises(ConfigError, match="was run with a different space"):
        open_campaign(parse_spec(dict(data, space=space)), storage=url, create=False)
    assert calls == ["tiny"]
    # a spec the model refuses is refused when it creates a campaign (the probe runs)
    bad = tiny_spec_dict(budget=4, storage=f"sqlite:///{tmp_path / 'b.db'}")
    bad["space"] = dict(bad["space"], no_such_column={"choices": [1, 2]})
    with pytest.raises(ConfigError, match="unknown column 'no_such_column'"):
        open_campaign(parse_spec(bad))
    assert calls == ["tiny", "tiny"] and not (tmp_path / "b.db").exists()


def _complete(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=30) as con:
            return con.execute("select count(*) from trials where state='COMPLETE'").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_kill_9_then_run_again_loses_and_duplicates_nothing(tmp_path) -> None:
    budget = 40
    spec = write_spec(tmp_path / "spec.yaml", budget=budget, explorer=TPE)
    db = tmp_path / "study.db"
    cmd = [sys.executable, "-m", "accelsmith.cli.main", "dse", "run", str(spec), "--quiet"]
    killed_at = kill_9_after(cmd, tmp_path, lambda: _complete(db), 10)
    assert 10 <= killed_at < budget
    r = _cli("dse", "run", str(spec), "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    study = optuna.load_study(study_name="tiny@tpe", storage=f"sqlite:///{db}")
    trials = study.get_trials()
    assert [t.number for t in trials] == list(range(budget))
    assert _states(study) == ["COMPLETE"] * budget
    # same seed, same trials as an uninterrupted run
    (tmp_path / "u").mkdir()
    ref = write_spec(tmp_path / "u" / "spec.yaml", budget=budget, explorer=TPE)
    u = open_campaign(parse_spec(yaml.safe_load(ref.read_text())))
    run_worker(u)
    assert [t.params for t in u.study.trials] == [t.params for t in trials]
    assert [t.values for t in u.study.trials] == [t.values for t in trials]


def _check_shared_run(study: optuna.Study, budget: int) -> set[int]:
    trials = study.get_trials()
    done = [t for t in trials if t.state.name in ("COMPLETE", "FAIL")]
    assert len(done) == budget  # the budget holds globally
    assert not [t for t in trials if t.state.name == "RUNNING"]
    # extra trials created by a race for the last slots are PRUNED and flagged, never counted
    assert all(t.user_attrs.get("overbudget") for t in trials if t.state.name == "PRUNED")
    assert len({t.number for t in trials}) == len(trials)
    return {t.system_attrs[OWNER_KEY]["pid"] for t in done}


def test_three_workers_share_one_sqlite_campaign(tmp_path) -> None:
    budget = 30
    spec = write_spec(
        tmp_path / "spec.yaml", budget=budget, explorer={"name": "random", "options": {"batch": 1}}
    )
    r = _cli("dse", "run", str(spec), "--workers", "3", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    study = optuna.load_study(
        study_name="tiny@random", storage=f"sqlite:///{tmp_path / 'study.db'}"
    )
    pids = _check_shared_run(study, budget)
    assert len(pids) >= 2 and os.getpid() not in pids
    # the three workers held three distinct slots (so three distinct random streams)
    slots = _slots(study)
    assert len(slots) == 3 and pids <= {s["pid"] for s in slots}
    assert len({s["pid"] for s in slots}) == 3


def _slots(study: optuna.Study) -> list:
    return study._storage.get_study_system_attrs(study._study_id)[WORKERS_KEY]


_TOKEN = (
    "import json; from accelsmith.dse.workers import owner_token; "
    "print(json.dumps(owner_token()), flush=True)"
)


def test_a_worker_takes_the_lowest_free_slot_and_draws_its_own_stream(
    tmp_path, monkeypatch
) -> None:
    import json

    monkeypatch.chdir(tmp_path)
    dead = json.loads(
        subprocess.run([sys.executable, "-c", _TOKEN], capture_output=True, text=True).stdout
    )
    live = subprocess.Popen(
        [sys.executable, "-c", _TOKEN + "; import time; time.sleep(120)"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        alive = json.loads(live.stdout.readline())
        explorer = {"name": "random", "options": {"batch": 8}}

        def run(db: str, slots: list | None) -> optuna.Study:
            data = tiny_spec_dict(budget=8, explorer=explorer, storage=f"sqlite:///{tmp_path / db}")
            c = open_campaign(parse_spec(data))
            if slots is not None:  # slot 0 held by a live process, slot 1 by a dead one
                c.study._storage.set_study_system_attr(c.study._study_id, WORKERS_KEY, slots)
            run_worker(c)
            return c.study

        alone = run("alone.db", None)
        me = _slots(alone)
        assert len(me) == 1 and me[0]["pid"] == os.getpid()  # one worker: slot 0
        second = run("second.db", [alive, dead])
        assert _slots(second) == [alive, me[0]]  # the dead one's slot
        again = run("again.db", [alive, dead])
        params = [t.params for t in second.trials]
        assert params == [t.params for t in again.trials]  # same seed and slot: same trials
        assert params != [t.params for t in alone.trials]  # another slot: another stream
    finally:
        live.kill()
        live.wait()


def test_three_workers_share_one_postgresql_campaign(tmp_path, postgres_url: str) -> None:
    budget = 30
    spec = write_spec(
        tmp_path / "spec.yaml",
        budget=budget,
        storage=postgres_url,
        explorer={"name": "random", "options": {"batch": 1}},
    )
    r = _cli("dse", "run", str(spec), "--quiet", "--budget", "5", cwd=tmp_path)
    assert r.returncode == 0, r.stderr  # creates the campaign (5 trials)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "accelsmith.cli.main",
                "dse",
                "worker",
                "--storage",
                postgres_url,
                "--campaign",
                "tiny",
                "--quiet",
            ],
            cwd=tmp_path,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
    study = optuna.load_study(study_name="tiny@random", storage=postgres_url)
    pids = _check_shared_run(study, budget)
    assert len(pids) >= 3  # the first run's process plus at least two workers
    # started together, the three workers claimed three distinct slots under the study lock
    # (the first run's slot 0 was free again): a lost update would leave fewer
    slots = _slots(study)
    assert len(slots) == 3 and len({s["pid"] for s in slots}) == 3
    assert {s["pid"] for s in slots} == {p.pid for p in procs}


def test_dask_fan_out_gives_the_same_results(tmp_path, monkeypatch) -> None:
    from distributed import LocalCluster

    monkeypatch.chdir(tmp_path)
    base = tiny_spec_dict(explorer={"name": "random", "options": {"batch": 8}}, budget=16)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        d = open_campaign(parse_spec(dict(base, storage=f"sqlite:///{tmp_path / 'd.db'}")))
        run_worker(d, dask_scheduler=cluster.scheduler_address)
    p = open_campaign(parse_spec(dict(base, storage=f"sqlite:///{tmp_path / 'p.db'}")))
    run_worker(p)
    assert [t.values for t in d.study.trials] == [t.values for t in p.study.trials]
    assert len(d.study.trials) == 16


def test_worker_needs_an_existing_campaign(tmp_path) -> None:
    r = _cli(
        "dse",
        "worker",
        "--storage",
        f"sqlite:///{tmp_path / 'none.db'}",
        "--campaign",
        "nope",
        cwd=tmp_path,
    )
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        f"error: no campaign 'nope' in sqlite:///{tmp_path / 'none.db'} (start it with `dse run`)"
    ]
