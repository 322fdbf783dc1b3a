"""Leases: one run at a time for explorers that cannot share a campaign study.

The exhaustive sweep and the RL explorers (``random-walk``, ``ppo``, ``marl`` ...) keep state
in their process (the grid position, the walkers, the policy); two runs on one study would
store the front twice or overshoot the budget. Before such an explorer runs it takes the
campaign's lease, a row in the same storage: an Optuna study named
``accelsmith-lease:<campaign>:<explorer>`` (no ``@``, so it is never read as a campaign
study; study names are unique, so creating it is atomic on every RDB backend). Its system
attribute :data:`OWNER_ATTR` holds the owner (host, boot id, pid, start time, as
:func:`~accelsmith.dse.workers.owner_token`) and a heartbeat (Unix time, refreshed at most
every :data:`HEARTBEAT_S` while the run ticks).

A lease is stale, and taken over, when its owner is a process of this machine that is gone,
or (another machine) when its heartbeat is older than ``stale_after`` seconds. A second run
while the lease is held is refused with one line naming the holder.
"""

from __future__ import annotations

import datetime
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import ConfigError

__all__ = ["HEARTBEAT_S", "LEASE_PREFIX", "OWNER_ATTR", "Lease", "lease_name", "take_lease"]

LEASE_PREFIX = "accelsmith-lease:"
OWNER_ATTR = "accelsmith:lease-owner"
HEARTBEAT_S = 15.0


def lease_name(campaign: str, explorer: str) -> str:
    return f"{LEASE_PREFIX}{campaign}:{explorer}"


class LeaseHeld(ConfigError):
    """Another run holds the lease of a campaign's explorer."""


@dataclass
class Lease:
    """A lease taken by this process; :meth:`beat` keeps it alive, :meth:`release` frees it."""

    storage: Any
    study_id: int
    owner: dict[str, Any]
    last_beat: float = field(default_factory=time.monotonic)

    def beat(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.last_beat >= HEARTBEAT_S:
            self.last_beat = now
            self.owner["heartbeat"] = time.time()
            self.storage.set_study_system_attr(self.study_id, OWNER_ATTR, self.owner)

    def release(self) -> None:
        import contextlib

        with contextlib.suppress(KeyError):  # taken over as stale and deleted meanwhile
            self.storage.delete_study(self.study_id)


def _holder(storage: Any, study_id: int) -> dict[str, Any] | None:
    try:
        return storage.get_study_system_attrs(study_id).get(OWNER_ATTR)
    except KeyError:
        return None


def _stale(owner: dict[str, Any] | None, stale_after: float) -> bool:
    from .workers import _owner_alive

    if owner is None:
        return True
    alive = _owner_alive(owner)
    if alive is not None:
        return not alive
    return time.time() - float(owner.get("heartbeat", 0)) > stale_after


def take_lease(storage: Any, campaign: str, explorer: str, *, stale_after: float = 120.0) -> Lease:
    """Take the lease of ``explorer`` on ``campaign`` in ``storage`` (an Optuna storage).

    Raises
    ------
    ConfigError
        Another live run holds it (the message names its host, pid and start).
    """
    import optuna

    from .workers import owner_token

    name = lease_name(campaign, explorer)
    owner = {
        **owner_token(),
        "since": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "heartbeat": time.time(),
    }
    for attempt in range(5):
        try:
            sid = storage.create_new_study([optuna.study.StudyDirection.MINIMIZE], name)
        except optuna.exceptions.DuplicatedStudyError:
            try:
                sid = storage.get_study_id_from_name(name)
            except KeyError:
                continue  # released meanwhile: try again
            held = _holder(storage, sid)
            if held is None and attempt < 2:  # being taken right now: let it finish
                time.sleep(1.0)
                continue
            if not _stale(held, stale_after):
                where = "" if held.get("host") == socket.gethostname() else f" on {held['host']}"
                raise LeaseHeld(
                    f"campaign {campaign!r} is being explored by {explorer} in another run "
                    f"(pid {held.get('pid')}{where}, since {held.get('since')}); {explorer} "
                    "cannot share a campaign: wait for that run to finish or stop it"
                ) from None
            import contextlib

            with contextlib.suppress(KeyError):  # another process took it over first
                storage.delete_study(sid)
            continue
        lease = Lease(storage=storage, study_id=sid, owner=owner)
        lease.beat(force=True)
        return lease
    raise LeaseHeld(
        f"campaign {campaign!r}: the lease of {explorer} is contended by other runs; try again"
    )
