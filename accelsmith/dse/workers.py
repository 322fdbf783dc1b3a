"""Worker processes: trial ownership across processes and machines, budget accounting,
signals and process supervision.

Every trial a worker creates carries the system attribute :data:`OWNER_KEY` (host, boot id,
pid and process start time). A RUNNING trial is *stale*, and may be finished by another
worker, when its owner is on this machine and no longer alive, or when it is on another
machine (or unknown) and started more than ``stale_after`` seconds ago.

Budget: a campaign study holds at most ``budget`` trials that count (COMPLETE, FAIL, RUNNING);
a worker that creates a trial beyond the budget (a race between workers) marks it PRUNED with
the user attribute :data:`OVERBUDGET_KEY`; such trials are not design points.

Supervision: ``dse run`` with several workers starts each in its own process group
(:func:`fork_worker`, or :func:`start_worker` where fork is not used) and stops them all
(:func:`stop_workers`) on SIGINT, SIGTERM or SIGHUP (:func:`stop_on_signals`); each worker
watches its parent (:func:`watch_parent`), so even a SIGKILL of the run cannot leave workers
running.

Forked workers (Linux; :func:`fork_available`): the run has already imported everything a
worker needs (numpy, pandas, Optuna, SQLAlchemy, the driver, the cost models), so a worker
forked from it skips the interpreter start and the imports, ~0.8 s of CPU per worker (a
fresh ``python -m accelsmith.dse.worker``: 1.05-1.16 s to start, measured on this project's
2-core machine, bench/results/throughput_postgres_idle_session9.txt). No database connection
may cross the fork (a SQLAlchemy pool or a psycopg2 / SQLite connection used by two
processes corrupts both sides' protocol state): the caller closes its engines' connections
first (:func:`accelsmith.dse.campaign.run_campaign`), and the child opens its own storage.
``ACCELSMITH_WORKER_START=spawn`` starts fresh interpreters instead (as where fork is not
used).
"""

from __future__ import annotations

import contextlib
import datetime
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from ..core.errors import AccelsmithError

if TYPE_CHECKING:
    import optuna

__all__ = [
    "OVERBUDGET_KEY",
    "OWNER_KEY",
    "ForkedWorker",
    "StopSignals",
    "Stopped",
    "WorkerFailed",
    "counted_trials",
    "fork_available",
    "fork_worker",
    "is_stale",
    "owner_token",
    "rank_in_budget",
    "start_worker",
    "stop_on_signals",
    "stop_workers",
    "watch_parent",
]

OWNER_KEY = "accelsmith:owner"
OVERBUDGET_KEY = "overbudget"
#: environment variable: ``spawn`` starts a run's workers as fresh interpreters, ``fork``
#: (default on Linux) forks them from the run (see the module docstring)
START_ENV = "ACCELSMITH_WORKER_START"


def _proc_start(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    return text.rpartition(")")[2].split()[19]  # field 22: starttime (clock ticks)


@cache
def _boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            return f.read().strip()
    except OSError:
        return ""


def owner_token() -> dict[str, Any]:
    """Identity of this process (stored with every trial it creates)."""
    pid = os.getpid()
    return {
        "host": socket.gethostname(),
        "boot": _boot_id(),
        "pid": pid,
        "start": _proc_start(pid),
    }


def _owner_alive(owner: dict[str, Any]) -> bool | None:
    """True/False for a process on this machine; None when it cannot be told."""
    if owner.get("host") != socket.gethostname() or owner.get("boot") != _boot_id():
        return None
    start = _proc_start(int(owner.get("pid", -1)))
    if start is None:
        return False
    return owner.get("start") is None or start == owner.get("start")


def is_stale(trial: optuna.trial.FrozenTrial, stale_after: float) -> bool:
    """True for a RUNNING trial whose worker is gone (see the module docstring)."""
    owner = trial.system_attrs.get(OWNER_KEY)
    if owner is not None:
        alive = _owner_alive(owner)
        if alive is not None:
            return not alive
        if owner == owner_token():
            return False
    start = trial.datetime_start
    if start is None:
        return True
    now = datetime.datetime.now(start.tzinfo)
    return (now - start).total_seconds() > stale_after


def counted_trials(study: optuna.Study) -> int:
    """Trials that count against the budget (all but PRUNED)."""
    import optuna

    states = (
        optuna.trial.TrialState.COMPLETE,
        optuna.trial.TrialState.FAIL,
        optuna.trial.TrialState.RUNNING,
    )
    return len(study.get_trials(deepcopy=False, states=states))


def rank_in_budget(study: optuna.Study, number: int) -> int:
    """0-based position of trial ``number`` among the counted trials (pruned ones skipped)."""
    import optuna

    pruned = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.PRUNED,))
    return number - sum(1 for t in pruned if t.number < number)


# ------------------------------------------------------------------- signals and processes
class Stopped(KeyboardInterrupt):
    """Raised in the main thread when SIGINT, SIGTERM or SIGHUP arrives during a run.

    A ``KeyboardInterrupt`` (a ``BaseException``), so that no ``except Exception`` in a library
    swallows it; :attr:`exit_code` is ``128 + signum`` (130, 143, 129).
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def signal_name(self) -> str:
        import signal

        return signal.Signals(self.signum).name


class WorkerFailed(AccelsmithError):
    """A worker process of a run crashed or failed: a failed run (exit 1), not bad input."""

    exit_code = 1


class StopSignals:
    """The signal a run received (first one wins); see :func:`stop_on_signals`.

    The handler both raises :class:`Stopped` and remembers the signal, so that a stop can
    never be lost: an exception raised while Python runs a weak-reference callback or a
    ``__del__`` (SQLAlchemy's connection-pool finalizers, for example) is printed as
    "Exception ignored" and dropped, and the run would go on. :meth:`check` (called by every
    progress tick, and once more when the run returns) raises it again.
    """

    def __init__(self) -> None:
        self.signum: int | None = None

    def __call__(self) -> bool:
        """True once a stop signal arrived (an explorer's ``ctx.stop``)."""
        return self.signum is not None

    def check(self) -> None:
        if self.signum is not None:
            raise Stopped(self.signum)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[StopSignals]:
    """Turn SIGINT, SIGTERM and SIGHUP into :class:`Stopped` inside the ``with`` block.

    In a thread other than the main one, or when the signals cannot be set, nothing is
    installed (the returned object then never reports a stop).
    """
    import signal
    import threading

    state = StopSignals()
    if threading.current_thread() is not threading.main_thread():
        yield state
        return

    def handler(signum: int, _frame: Any) -> None:
        if state.signum is None:
            state.signum = signum
        raise Stopped(state.signum)

    sigs = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    old = {s: signal.signal(s, handler) for s in sigs}
    try:
        yield state
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def watch_parent(parent: int, interval: float = 1.0) -> None:
    """Stop this process (SIGTERM to itself) when ``parent`` is no longer its parent.

    Linux: ``prctl(PR_SET_PDEATHSIG, SIGTERM)`` makes the kernel send it at once when the
    parent dies, even by SIGKILL; elsewhere (and as a second line) a daemon thread polls
    ``os.getppid()`` every ``interval`` seconds (an orphan is re-parented).
    """
    import signal
    import threading
    import time

    with contextlib.suppress(Exception):  # not Linux, no libc: the polling thread remains
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGTERM), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)

    def poll() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=poll, name="accelsmith-parent-watch", daemon=True).start()


def start_worker(cmd: list[str]) -> subprocess.Popen[str]:
    """Start a worker process in its own process group (stderr captured as text).

    Its own group keeps a terminal's Ctrl-C from reaching it directly: the run that owns it
    decides (:func:`stop_workers`), so every worker stops the same way.
    """
    return subprocess.Popen(
        cmd, stderr=subprocess.PIPE, text=True, env=os.environ.copy(), process_group=0
    )


def fork_available() -> bool:
    """True when a run forks its workers (Linux, unless ``ACCELSMITH_WORKER_START=spawn``)."""
    how = os.environ.get(START_ENV, "fork")
    if how not in ("fork", "spawn"):
        from ..core.errors import ConfigError

        raise ConfigError(f"{START_ENV} must be 'fork' or 'spawn', not {how!r}")
    return how == "fork" and sys.platform.startswith("linux") and hasattr(os, "fork")


class ForkedWorker:
    """A worker forked by :func:`fork_worker`, with what the run uses of
    :class:`subprocess.Popen`: ``pid``, ``returncode``, ``stderr`` (text), ``poll``, ``wait``.
    """

    def __init__(self, pid: int, stderr: Any) -> None:
        self.pid = pid
        self.stderr = stderr
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere (a SIGCHLD handler): status unknown
                self.returncode = 1
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.001
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout or 0.0)
            time.sleep(delay)
            delay = min(0.05, delay * 2)
        return code


def fork_worker(run: Callable[[list[str]], int], argv: list[str]) -> ForkedWorker:
    """Fork a worker that returns ``os._exit(run(argv))``, in its own process group, its
    stderr a pipe the returned :class:`ForkedWorker` reads (as :func:`start_worker`'s).

    The caller must hold no database connection (see the module docstring) and should fork
    before it starts threads of its own (a lock another thread holds at the fork stays held in
    the child: the child makes new ``sys.stdout`` / ``sys.stderr`` objects and uses nothing
    else of the parent's but its imported modules). The child never returns into the
    caller's frames: whatever happens, it ends with ``os._exit`` (no ``atexit`` handler, no
    finalizer of the parent's objects runs in it); a stop signal that arrives before ``run``
    installs its own handlers is exit ``128 + signal``, as ``run``'s would be.
    """
    r, w = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(r)
        os.close(w)
        raise
    if pid == 0:  # the child
        code = 1
        try:
            os.close(r)
            os.setpgid(0, 0)
            os.dup2(w, 2)
            os.close(w)
            sys.stderr = open(2, "w", buffering=1, errors="backslashreplace", closefd=False)  # noqa: SIM115
            sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
            code = run(argv)
        except Stopped as exc:
            code = exc.exit_code
        except SystemExit as exc:  # argparse's refusal (its message is on stderr already)
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException as exc:  # the child must reach os._exit
            with contextlib.suppress(BaseException):
                if os.environ.get("ACCELSMITH_DEBUG") == "1":  # as a spawned worker would
                    import traceback

                    traceback.print_exc()
                text = " ".join(str(exc).split())[:500]
                print(f"error: worker crashed: {type(exc).__name__}: {text}", file=sys.stderr)
        finally:
            with contextlib.suppress(BaseException):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)
    os.close(w)
    with contextlib.suppress(OSError):  # the child does it too; whichever runs first wins
        os.setpgid(pid, pid)
    return ForkedWorker(pid, os.fdopen(r, "r", errors="replace"))


def stop_workers(procs: list[Any], grace: float = 10.0) -> None:
    """SIGTERM every worker's process group, then SIGKILL what is left after ``grace`` s."""
    import signal
    import time

    for p in procs:
        if p.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for p in procs:
        try:
            p.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()
