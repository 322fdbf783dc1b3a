"""A run's workers forked from it (:func:`accelsmith.dse.workers.fork_worker`): they record the
campaign's trials, a failing one's error line reaches the run, and no
database connection of the run crosses the fork (the run releases its engine's connections
first, :func:`accelsmith.dse.campaign.release_connections`). That they stop with the run:
``tests/reliability/test_signals.py`` (every test there runs forked and spawned workers)."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from accelsmith.dse import campaign as campaign_mod
from accelsmith.dse.campaign import open_campaign, release_connections, run_campaign
from accelsmith.dse.spec import parse_spec
from accelsmith.dse.workers import START_ENV, WorkerFailed, fork_available, fork_worker

from ..reliability.helpers import BIG_SPACE, children
from .dse_helpers import tiny_spec_dict

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork: Linux only")


def _campaign(storage: str, budget: int, space: dict | None = None):
    data = tiny_spec_dict(budget=budget, storage=storage, workers=2)
    if space is not None:
        data["space"] = space
    return open_campaign(parse_spec(data))


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]
    except OSError:
        return []


def _watch_children() -> tuple[dict[int, list[str]], object]:
    """A run's ``tick`` that records each child process's command line, and the record."""
    seen: dict[int, list[str]] = {}

    def tick(**_: object) -> None:
        for pid in children(os.getpid()):
            seen.setdefault(pid, _cmdline(pid))

    return seen, tick


def _sockets(pid: int | str = "self") -> set[str]:
    """The socket inodes (``socket:[N]``) among ``pid``'s file descriptors."""
    out = set()
    folder = Path(f"/proc/{pid}/fd")
    try:
        fds = list(folder.iterdir())
    except OSError:
        return out
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:"):
            out.add(target)
    return out


def test_forked_workers_record_the_campaign_without_a_fresh_interpreter(
    tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(START_ENV, raising=False)
    assert fork_available()
    c = _campaign(f"sqlite:///{tmp_path / 'study.db'}", budget=400, space=BIG_SPACE)
    seen, tick = _watch_children()
    run_campaign(c, workers=2, tick=tick, poll=0.02)
    trials = c.study.get_trials(deepcopy=False)
    assert len(trials) == 400
    assert sorted(t.number for t in trials) == list(range(400))
    assert len({t.user_attrs["design"] for t in trials}) == 400
    owners = {t.system_attrs["accelsmith:owner"]["pid"] for t in trials}
    assert owners <= set(seen) and len(owners) == 2, (owners, seen)
    # forked: each worker runs this very interpreter's command line, not a new one
    for pid in owners:
        assert seen[pid] == _cmdline(os.getpid()), seen[pid]
        assert "accelsmith.dse.worker" not in seen[pid]


def test_spawn_starts_fresh_worker_interpreters(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(START_ENV, "spawn")
    assert not fork_available()
    c = _campaign(f"sqlite:///{tmp_path / 'study.db'}", budget=200, space=BIG_SPACE)
    seen, tick = _watch_children()
    run_campaign(c, workers=2, tick=tick, poll=0.02)
    assert len(c.study.get_trials()) == 200
    assert len(seen) == 2  # (the first to start may store every trial before the other)
    assert all("accelsmith.dse.worker" in v for v in seen.values()), seen


def test_a_wrong_start_method_is_refused(monkeypatch) -> None:
    from accelsmith.core.errors import ConfigError

    monkeypatch.setenv(START_ENV, "forkserver")
    with pytest.raises(ConfigError, match=f"{START_ENV} must be 'fork' or 'spawn', not "):
        fork_available()


def test_a_failing_forked_worker_is_a_failed_run_with_its_error(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(START_ENV, raising=False)
    c = _campaign(f"sqlite:///{tmp_path / 'study.db'}", budget=50)

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("injected forked-worker crash")

    monkeypatch.setattr(campaign_mod, "run_worker", crash)  # the forked child inherits it
    with pytest.raises(WorkerFailed) as info:
        run_campaign(c, workers=2, poll=0.02)
    assert str(info.value) == (
        "2 of 2 workers failed (exit 1): worker crashed: RuntimeError: injected forked-worker crash"
    )
    assert info.value.exit_code == 1


def test_a_forked_child_always_exits_never_returns(monkeypatch) -> None:
    """Whatever ``run`` does (returns a code, raises, is stopped), the child ends with that
    code and its error line; the caller's frames never run in the child."""

    def boom(argv: list[str]) -> int:
        raise ValueError("x" * 3 + " in the child")

    p = fork_worker(boom, [])
    assert p.wait(timeout=30) == 1
    assert p.stderr.read() == "error: worker crashed: ValueError: xxx in the child\n"
    monkeypatch.setenv("ACCELSMITH_DEBUG", "1")  # the traceback too (as a spawned worker's)
    p = fork_worker(boom, [])
    monkeypatch.delenv("ACCELSMITH_DEBUG")
    assert p.wait(timeout=30) == 1
    err = p.stderr.read()
    assert err.startswith("Traceback") and "raise ValueError" in err, err
    assert err.endswith("error: worker crashed: ValueError: xxx in the child\n")
    p = fork_worker(lambda argv: int(argv[0]), ["7"])
    assert p.wait(timeout=30) == 7 and p.stderr.read() == ""

    def sleeper(argv: list[str]) -> int:
        time.sleep(60)
        return 0

    p = fork_worker(sleeper, [])
    assert os.getpgid(p.pid) == p.pid  # its own process group
    os.killpg(p.pid, signal.SIGKILL)
    assert p.wait(timeout=30) == -signal.SIGKILL


def test_no_postgresql_connection_crosses_the_fork(postgres_url, tmp_path, monkeypatch) -> None:
    """The run's pooled connections are closed before it forks: no socket the run had open
    when it started its workers is open in a worker."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(START_ENV, raising=False)
    before = _sockets()
    c = _campaign(postgres_url, budget=3000, space=BIG_SPACE)
    c.study.get_trials()  # the engine's pool holds a connection now
    mine = _sockets() - before
    assert mine, "the campaign's engine holds no connection to check"
    crossed: set[str] = set()
    looked: set[int] = set()

    def tick(**_: object) -> None:
        for pid in children(os.getpid()):
            looked.add(pid)
            crossed.update(_sockets(pid) & mine)

    run_campaign(c, workers=2, tick=tick, poll=0.02)
    assert looked, "no worker was seen"
    assert not crossed, f"the run's connections {sorted(crossed)} are open in a worker"
    assert len(c.study.get_trials()) == 3000  # the run's engine works after the forks


def test_a_connection_in_use_is_not_forked(tmp_path, monkeypatch) -> None:
    """A connection checked out of the campaign's pool cannot be closed: the run then starts
    fresh interpreters instead of forking."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(START_ENV, raising=False)
    c = _campaign(f"sqlite:///{tmp_path / 'study.db'}", budget=100, space=BIG_SPACE)
    from accelsmith.dse.ledger_bulk import rdb_backend

    engine = rdb_backend(c.study).engine
    with engine.connect():
        assert not release_connections(c)
        seen, tick = _watch_children()
        run_campaign(c, workers=2, tick=tick, poll=0.02)
    assert seen and all("accelsmith.dse.worker" in v for v in seen.values()), seen
    assert release_connections(c)
    assert engine.pool.checkedin() == 0
    assert len(c.study.get_trials()) == 100


def test_kill_9_of_a_run_and_its_forked_workers_loses_and_repeats_nothing(tmp_path) -> None:
    """SIGKILL of the run and of both its forked workers at once, mid-run; the same command
    again finishes the campaign: every trial stored before the kill kept, numbers 0..budget-1,
    every design once."""
    import sqlite3

    from ..reliability.helpers import cli, running_workers, spec_file

    budget = 1000
    spec = spec_file(
        tmp_path,
        budget=budget,
        workers=2,
        space=BIG_SPACE,
        explorer={"name": "random", "options": {"batch": 16}},
    )
    db = tmp_path / "tiny.db"
    with running_workers(spec, tmp_path, 64) as (proc, kids):
        for pid in [proc.pid, *kids]:
            os.kill(pid, signal.SIGKILL)
        proc.communicate(timeout=30)

    def stored() -> dict[int, str]:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
        try:
            rows = con.execute(
                "SELECT t.number, a.value_json FROM trials t JOIN trial_user_attributes a "
                "ON a.trial_id = t.trial_id AND a.key = 'design'"
            ).fetchall()
        finally:
            con.close()
        return dict(rows)

    before = stored()
    assert 64 <= len(before) < budget, len(before)
    r = cli("dse", "run", str(spec), "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    after = stored()
    assert sorted(after) == list(range(budget))
    assert len(set(after.values())) == budget
    assert all(after[n] == d for n, d in before.items())
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        states = con.execute("SELECT state, count(*) FROM trials GROUP BY state").fetchall()
    finally:
        con.close()
    assert states == [("COMPLETE", budget)]
