"""Issue 19 item 3 and issue 14 item 6: a run owns its workers; SIGINT, SIGTERM and SIGHUP
stop them all with finished trials intact, one line naming the command that resumes, exit
128 + signal; SIGKILL of the run cannot leave workers running; no stop is ever swallowed."""

from __future__ import annotations

import os
import shlex
import signal
from pathlib import Path

import pytest

from .helpers import (
    BIG_SPACE,
    children,
    count_trials,
    running_workers,
    spec_file,
    start_cli,
    wait_for_trials,
    wait_gone,
)


@pytest.mark.parametrize(
    ("sig", "workers", "start"),
    [
        (signal.SIGTERM, 2, "fork"),
        (signal.SIGINT, 1, "fork"),
        (signal.SIGHUP, 2, "fork"),
        (signal.SIGTERM, 2, "spawn"),
    ],
    ids=["SIGTERM-2-workers", "SIGINT-in-process", "SIGHUP-2-workers", "SIGTERM-2-spawned"],
)
def test_signal_stops_run_and_prints_resume_command(
    tmp_path, monkeypatch, sig, workers, start
) -> None:
    """Workers forked from the run (the default on Linux) and fresh interpreters alike."""
    monkeypatch.setenv("ACCELSMITH_WORKER_START", start)
    spec = spec_file(tmp_path, budget=100000, workers=workers, space=BIG_SPACE)
    db = tmp_path / "tiny.db"
    proc = start_cli("dse", "run", str(spec), "--quiet", cwd=tmp_path)
    try:
        wait_for_trials(db, 3, proc)
        kids = children(proc.pid)
        assert len(kids) == (workers if workers > 1 else 0)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + sig, err
    assert not wait_gone(kids), "workers left running"
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(f"stopped by {signal.Signals(sig).name}: ")
    done = count_trials(db)
    assert f"{done} finished trials kept" in lines[0]
    cmd = lines[0].split("resume with: ", 1)[1]
    assert shlex.split(cmd) == ["accelsmith", "dse", "resume", "runs/tiny/"]
    # the printed command resumes the campaign (here with a small budget: it just finishes)
    from accelsmith.cli.main import main

    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert main([*shlex.split(cmd)[1:], "--budget", str(done + 2), "--quiet"]) == 0
    finally:
        os.chdir(cwd)
    assert count_trials(db) >= done + 1


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_sigkill_of_the_run_stops_its_workers(tmp_path, monkeypatch, start) -> None:
    monkeypatch.setenv("ACCELSMITH_WORKER_START", start)
    spec = spec_file(tmp_path, budget=100000, workers=2, space=BIG_SPACE)
    with running_workers(spec, tmp_path, 3) as (proc, kids):
        fresh = ["accelsmith.dse.worker" in Path(f"/proc/{k}/cmdline").read_text() for k in kids]
        assert fresh == [start == "spawn"] * 2  # forked workers run the run's command line
        proc.kill()
        proc.communicate(timeout=30)
        assert not wait_gone(kids), "workers survived the SIGKILL of their run"


def test_a_swallowed_stop_is_raised_again() -> None:
    """The stop is remembered: if the exception raised by the handler is swallowed (as in a
    weak-reference callback), the next check raises it again, and ctx.stop() reports it."""
    from accelsmith.dse.workers import Stopped, StopSignals

    state = StopSignals()
    state.check()  # nothing received yet
    assert not state()
    state.signum = signal.SIGINT
    assert state()
    with pytest.raises(Stopped) as info:
        state.check()
    assert info.value.exit_code == 130


def test_handler_stop_survives_weakref_callback(tmp_path) -> None:
    """SIGINT delivered while a weakref callback runs is swallowed by Python ("Exception
    ignored in ..."); the run must still stop."""
    import gc
    import weakref

    from accelsmith.dse.workers import Stopped, stop_on_signals

    class Obj:
        pass

    with pytest.raises(Stopped), stop_on_signals() as stop:
        obj = Obj()

        def callback(_ref: object) -> None:
            os.kill(os.getpid(), signal.SIGINT)  # handler raises inside the callback
            for _ in range(1000):  # the signal is handled here, inside the callback
                pass

        ref = weakref.ref(obj, callback)
        del obj
        gc.collect()
        assert ref() is None
        assert stop()  # the exception was swallowed, the stop is not
        stop.check()
