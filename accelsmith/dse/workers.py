"""Trial ownership across worker processes and machines, budget accounting.

Every trial a worker creates carries the system attribute :data:`OWNER_KEY` (host, boot id,
pid and process start time). A RUNNING trial is *stale*, and may be finished by another
worker, when its owner is on this machine and no longer alive, or when it is on another
machine (or unknown) and started more than ``stale_after`` seconds ago.

Budget: a campaign study holds at most ``budget`` trials that count (COMPLETE, FAIL, RUNNING);
a worker that creates a trial beyond the budget (a race between workers) marks it PRUNED with
the user attribute :data:`OVERBUDGET_KEY`; such trials are not design points.
"""

from __future__ import annotations

import datetime
import os
import socket
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import optuna

__all__ = [
    "OVERBUDGET_KEY",
    "OWNER_KEY",
    "counted_trials",
    "is_stale",
    "owner_token",
    "rank_in_budget",
]

OWNER_KEY = "accelsmith:owner"
OVERBUDGET_KEY = "overbudget"


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
