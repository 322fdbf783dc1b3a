"""A worker's start-up without the cyclic garbage collector.

Why
    Python's cyclic collector runs every 700 net allocations of container objects, and every
    tenth and hundredth of those runs walks older generations too. A worker's start-up builds
    hundreds of thousands of long-lived objects (the modules, classes and functions of numpy,
    pandas, Optuna, SQLAlchemy, ... and, joining a campaign, one entry per stored design) and
    each full collection walks all of them again. Measured on this project's 2-core machine
    (2026-12-07, PostgreSQL 15, ``accelsmith dse worker`` joining a systolic/ResNet-50
    ``random`` campaign, load ~10): the CPU up to the end of the first written batch
    1.59 -> 1.32 s median of 6 with the collector paused (``/tmp/pg8/first_gc.py``); a
    keys-only read of 20,000 stored trials 0.19 -> 0.05 s.
What
    :func:`pause_for_startup` turns the collector off (when it was on) until
    :func:`startup_done`, which moves every object alive then into the permanent generation
    (``gc.freeze``: the objects of the start-up are never walked again; they live as long as
    the process anyway) and turns the collector back on. Nothing is freed late but reference
    cycles made during start-up. :func:`gc_paused` pauses it around one bulk read that makes
    no cycles (plain records, dicts, tuples).

The entry points that start a worker (``accelsmith dse worker``, ``dse run``,
``python -m accelsmith.dse.worker``) pause (:func:`paused_start_up`);
:func:`accelsmith.dse.campaign.run_worker` and :func:`accelsmith.dse.campaign.run_campaign`
end the start-up when the explorer (or the watching of the workers) begins; the entry points
end it in any case when they return.
"""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

__all__ = ["gc_paused", "pause_for_startup", "paused_start_up", "startup_done"]

F = TypeVar("F", bound=Callable[..., Any])

_paused = False


def pause_for_startup() -> None:
    """Turn the cyclic garbage collector off until :func:`startup_done` (no-op when it is
    already off: then this process's owner manages it)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def startup_done() -> None:
    """End a pause of :func:`pause_for_startup`: freeze what start-up built and turn the
    collector back on (no-op without a pause)."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


def paused_start_up(func: F) -> F:
    """``func`` (an entry point that starts a worker) run with the collector paused from its
    call until :func:`startup_done`, which is called on its return in any case."""

    @functools.wraps(func)
    def entry(*args: Any, **kwargs: Any) -> Any:
        pause_for_startup()
        try:
            return func(*args, **kwargs)
        finally:
            startup_done()

    return entry  # type: ignore[return-value]


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off inside the block (restored as it was)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
