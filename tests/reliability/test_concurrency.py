"""Issue 19 items 4 and 7 (budget on a tiny space): explorers that cannot share a campaign
take a lease (a second run is refused in one line; a dead holder's lease is taken over);
those that can share never exceed the budget; a huge budget on a 2-point space stops when
the space is exhausted."""

from __future__ import annotations

import time

import optuna
import pytest

from accelsmith.cli.main import main
from accelsmith.core.errors import ConfigError
from accelsmith.dse.campaign import make_storage
from accelsmith.dse.workers import counted_trials

from .helpers import spec_file, start_cli, wait_for_trials

TWO_POINTS = {
    "rows": {"choices": [4, 8]},
    "cols": 8,
    "dataflow": "os",
    "ifmap_kb": 16,
    "filter_kb": 16,
    "ofmap_kb": 16,
}


@pytest.mark.parametrize("explorer", ["random-walk", "exhaustive"])
def test_second_run_of_an_unshareable_explorer_is_refused(tmp_path, explorer, capsys) -> None:
    from accelsmith.dse.lease import lease_name

    spec = spec_file(
        tmp_path,
        budget=100000,
        explorer=explorer,
        space={"rows": {"low": 1, "high": 256}, "cols": {"low": 1, "high": 256}}
        if explorer == "random-walk"
        else None,
    )
    first = start_cli("dse", "run", str(spec), "--quiet", cwd=tmp_path)
    try:
        store = make_storage(f"sqlite:///{tmp_path / 'tiny.db'}")
        deadline = time.monotonic() + 120
        name = lease_name("tiny", explorer)
        while name not in optuna.study.get_all_study_names(storage=store):
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.2)
        import os

        cwd = os.getcwd()
        os.chdir(tmp_path)
        try:
            assert main(["dse", "run", str(spec), "--quiet"]) == 2
        finally:
            os.chdir(cwd)
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert f"is being explored by {explorer} in another run (pid {first.pid}" in err
    finally:
        first.kill()
        first.communicate()


def test_lease_of_a_dead_run_is_taken_over(tmp_path) -> None:
    from accelsmith.dse.lease import OWNER_ATTR, lease_name, take_lease

    store = make_storage(f"sqlite:///{tmp_path / 'l.db'}")
    lease = take_lease(store, "c", "exhaustive")
    with pytest.raises(ConfigError, match="is being explored by exhaustive"):
        take_lease(store, "c", "exhaustive")
    # the holder died (a pid that is not running)
    owner = dict(lease.owner, pid=2**22 + 7, start="1")
    store.set_study_system_attr(lease.study_id, OWNER_ATTR, owner)
    again = take_lease(store, "c", "exhaustive")
    again.release()
    lease.release()  # already taken over: nothing to do, no error
    assert lease_name("c", "exhaustive") not in optuna.study.get_all_study_names(storage=store)


def test_lease_of_another_machine_expires_without_heartbeat(tmp_path) -> None:
    from accelsmith.dse.lease import OWNER_ATTR, take_lease

    store = make_storage(f"sqlite:///{tmp_path / 'l.db'}")
    lease = take_lease(store, "c", "ppo")
    far = dict(lease.owner, host="elsewhere", heartbeat=time.time() - 10)
    store.set_study_system_attr(lease.study_id, OWNER_ATTR, far)
    with pytest.raises(ConfigError, match="on elsewhere"):
        take_lease(store, "c", "ppo", stale_after=60)
    store.set_study_system_attr(lease.study_id, OWNER_ATTR, dict(far, heartbeat=0))
    take_lease(store, "c", "ppo", stale_after=60).release()


def test_two_runs_of_a_shareable_explorer_keep_the_budget(tmp_path) -> None:
    spec = spec_file(
        tmp_path,
        budget=40,
        explorer={"name": "random"},
        space={"rows": {"low": 1, "high": 256}, "cols": {"low": 1, "high": 256}},
    )
    a = start_cli("dse", "run", str(spec), "--quiet", cwd=tmp_path)
    wait_for_trials(tmp_path / "tiny.db", 1, a)
    b = start_cli("dse", "run", str(spec), "--quiet", cwd=tmp_path)
    assert a.wait(timeout=300) == 0 and b.wait(timeout=300) == 0, (a.stderr.read(), b.stderr.read())
    store = make_storage(f"sqlite:///{tmp_path / 'tiny.db'}")
    study = optuna.load_study(study_name="tiny@random", storage=store)
    assert counted_trials(study) == 40


def test_huge_budget_on_a_two_point_space_stops_when_exhausted(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    spec = spec_file(tmp_path, budget=10**9, space=TWO_POINTS)
    assert main(["dse", "run", str(spec), "--quiet"]) == 0
    store = make_storage(f"sqlite:///{tmp_path / 'tiny.db'}")
    study = optuna.load_study(study_name="tiny@random", storage=store)
    assert {t.params["rows"] for t in study.trials} == {4, 8}
    assert len(study.trials) < 100
