"""``python -m accelsmith.dse.worker``: one worker process of a campaign, without the CLI.

``dse run --workers N`` starts N of these on the campaign's storage (see
:func:`accelsmith.dse.campaign.run_campaign`); ``accelsmith dse worker`` is the same for a user
joining a campaign from another shell or machine. Arguments::

    --storage URL --campaign NAME [--explorer E] [--budget N] [--dask-scheduler ADDR]
    [--stale-after SECONDS] [--parent PID]

``--parent PID``: stop (SIGTERM to itself) when that process dies, even by SIGKILL.

Exit codes: 0 done, 2 bad input, 1 failure (the error is one line on stderr, ``error: ...``;
``ACCELSMITH_DEBUG=1`` shows the traceback), 128 + signal number when stopped by SIGINT,
SIGTERM or SIGHUP (finished trials stay in the storage; the run can be resumed).
"""

from __future__ import annotations

import argparse
import os
import sys

from .startup import paused_start_up

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m accelsmith.dse.worker", description=__doc__)
    p.add_argument("--storage", required=True, help="storage URL of the campaign")
    p.add_argument("--campaign", required=True, help="campaign name")
    p.add_argument("--explorer", default=None, help="explorer (default: the campaign's)")
    p.add_argument("--budget", type=int, default=None, help="total trials")
    p.add_argument("--dask-scheduler", default=None, help="Dask scheduler address")
    p.add_argument("--stale-after", type=float, default=3600.0, help="seconds")
    p.add_argument("--parent", type=int, default=None, help="stop when this process dies")
    return p


@paused_start_up  # the garbage collector paused until the explorer starts
def main(argv: list[str] | None = None) -> int:
    """Run one worker; returns the exit code."""
    from ..core.errors import AccelsmithError
    from .workers import Stopped, stop_on_signals, watch_parent

    args = _parser().parse_args(argv)
    if args.parent is not None:
        watch_parent(args.parent)
    try:
        with stop_on_signals() as stop:
            from .campaign import join_campaign

            join_campaign(
                args.storage,
                args.campaign,
                explorer=args.explorer,
                budget=args.budget,
                dask_scheduler=args.dask_scheduler,
                stale_after=args.stale_after,
                stop=stop,
                tick=lambda **_: stop.check(),
            )
            stop.check()
    except Stopped as exc:
        return exc.exit_code
    except AccelsmithError as exc:
        if os.environ.get("ACCELSMITH_DEBUG") == "1":
            raise
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # a crash: one line for the run that started this worker
        if os.environ.get("ACCELSMITH_DEBUG") == "1":
            raise
        text = " ".join(str(exc).split())[:500]
        print(f"error: worker crashed: {type(exc).__name__}: {text}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
