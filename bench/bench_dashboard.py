"""Dashboard and report responsiveness on a 20,000-trial campaign (prints measured times).

Writes (once, then reuses) a 20,000-trial, 3-objective campaign with real systolic cost-model
results to ``build/bench/dash20k.log`` (an Optuna journal), then measures side by side:

- the first load of the campaign (storage -> frame, Pareto classification);
- an idle poll (no new trial) and a poll after 25 new trials (incremental read) versus a full
  re-read of the storage, as the ratio the incremental design buys;
- building the WebGL scatter and its JSON size, filtering, the HV history;
- writing the HTML report.

Run: ``.venv/bin/python bench/bench_dashboard.py [N]``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _timed(fn, *a, **kw):
    t = time.perf_counter()
    out = fn(*a, **kw)
    return out, time.perf_counter() - t


def main(n: int = 20_000) -> None:
    import optuna

    from accelsmith.reports.dashboard import filter_frame, scatter_figure
    from accelsmith.reports.extract import load_campaign, resolve_target
    from accelsmith.reports.html import build_report, write_report
    from accelsmith.reports.live import Hub
    from tests.reports.ledger_fixtures import (
        _configs,
        _rows,
        add_trials,
        journal_storage,
        write_campaign,
    )

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    objectives = [("latency_s", "minimize"), ("energy_j", "minimize"), ("area_mm2", "minimize")]
    constraints = [("power_w", "<=", 6.0)]
    path = ROOT / "build" / "bench" / f"dash{n // 1000}k.log"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        _, dt = _timed(
            write_campaign,
            journal_storage(path),
            "bench",
            objectives=objectives,
            constraints=constraints,
            explorers={"nsga2": n},
            exhaustive=True,
        )
        print(f"wrote {n} trials to {path} in {dt:.1f} s (once)")
    work = path.with_suffix(".work.log")
    work.write_bytes(path.read_bytes())  # the live part appends trials; keep the cache clean

    hub, t_load = _timed(Hub, [str(work)])
    lc = hub.campaigns["bench"]
    camp = lc.campaign
    print(f"trials: {len(camp.trials)}, Pareto-optimal: {len(camp.pareto)}")
    print(f"first load (storage -> frame -> Pareto status): {t_load:.2f} s")
    _, t_idle = _timed(hub.refresh)
    study = optuna.load_study(study_name="bench@nsga2", storage=journal_storage(work))
    rows = _rows(_configs(np.random.default_rng(1), 25), objectives, constraints)
    add_trials(study, rows, "nsga2")
    changed, t_new = _timed(hub.refresh)
    assert changed and len(lc.campaign.trials) == n + 25
    _, t_full = _timed(load_campaign, resolve_target(str(work)))
    print(f"poll, nothing new: {t_idle * 1e3:.1f} ms")
    print(f"poll, 25 new trials (incremental): {t_new * 1e3:.0f} ms")
    print(f"full re-read of the storage: {t_full * 1e3:.0f} ms  -> ratio {t_full / t_new:.1f}x")
    q, t_q = _timed(lc.quality)
    print(f"HV history + summary: {t_q * 1e3:.0f} ms ({len(q.history)} history points)")
    kw = {"limits": {"power_w": ("<=", 5.0)}, "ranges": {"rows": (8, 48)}, "choices": {}}
    _, t_f = _timed(filter_frame, lc.campaign.trials, flags=["feasible"], **kw)
    print(f"filter (constraint + parameter range): {t_f * 1e3:.1f} ms")
    fig, t_fig = _timed(
        scatter_figure,
        [("bench", lc.campaign, lc.campaign.trials)],
        "latency_s",
        "energy_j",
        "status",
    )
    js, t_js = _timed(fig.to_json)
    print(
        f"scatter figure: build {t_fig * 1e3:.0f} ms, JSON {t_js * 1e3:.0f} ms, "
        f"{len(js) / 1e6:.2f} MB sent to the browser"
    )
    rep, t_rep = _timed(build_report, lc.campaign)
    _, t_w = _timed(write_report, rep, lc.campaign, path.with_suffix(".html"))
    size = path.with_suffix(".html").stat().st_size / 1e6
    print(f"HTML report: build {t_rep:.1f} s, write {t_w:.1f} s, {size:.1f} MB")
    work.unlink()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
