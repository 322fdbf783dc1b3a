"""Throughput of the ``accel`` family's cost model (``make bench``; not part of the test suite).

Random configurations from the family's default DSE space (1.1e8 points) x a workload's
layers (ResNet-50 by default), one ``accelsmith.models.evaluate("accel", ...)`` call per
repeat, per-configuration totals and per-layer rows. Reported in (configuration, layer)
evaluations per CPU second on one core (target >= 1e5), with the wall time and the machine
load (``os.getloadavg``) beside it. ``--scalar N`` also times the scalar reference on N
configurations: the mapper's candidates each costed by the sampled command simulation
(``runtime.timing.layer_cycles``), i.e. what the cost model did before the closed form.

Usage: ``python bench/bench_accel_cost.py [--configs 2000] [--workload resnet50] [--scalar 2]``
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from accelsmith.core.families.accel import DEFAULT_SPACE, AccelParams  # noqa: E402
from accelsmith.models import evaluate  # noqa: E402
from accelsmith.models.workloads import load_workload  # noqa: E402


def cpu_s() -> float:
    return time.process_time()


def random_configs(n: int, seed: int) -> pd.DataFrame:
    """``n`` configurations drawn uniformly from the default space."""
    rng = np.random.default_rng(seed)
    cols = {}
    for name, dim in DEFAULT_SPACE.items():
        if "choices" in dim:
            cols[name] = rng.choice(np.array(dim["choices"], dtype=object), n)
        else:
            values = np.arange(dim["low"], dim["high"] + 1, dim["step"])
            cols[name] = rng.choice(values, n)
    df = pd.DataFrame(cols)
    for name in df.columns:
        if name != "dataflow":
            df[name] = df[name].astype(np.int64)
    return df


def scalar_reference(configs: pd.DataFrame, workload) -> tuple[float, int]:
    """CPU seconds of the old scalar costing (every least-traffic candidate simulated by
    ``layer_cycles``, as the mapper did) and the points done."""
    from accelsmith.models.accel_cost import _shapes
    from accelsmith.runtime.mapper import candidates, traffic_bytes
    from accelsmith.runtime.timing import layer_cycles

    shapes = _shapes(workload)
    t0, done = cpu_s(), 0
    for rec in configs.to_dict("records"):
        p = AccelParams.from_dict(rec)
        for _, s, _ in shapes:
            cands = candidates(p, s)
            least = min(traffic_bytes(p, s, c) for c in cands)
            min(layer_cycles(p, s, c, 8) for c in cands if traffic_bytes(p, s, c) == least)
            done += 1
    return cpu_s() - t0, done


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", type=int, default=2000)
    ap.add_argument("--workload", default="resnet50")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--scalar", type=int, default=0, help="configurations for the scalar path")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    wl = load_workload(args.workload)
    L = len(wl.layers)
    configs = random_configs(args.configs, args.seed)
    evaluate("accel", configs.head(4), wl)  # imports, caches
    print(f"accel cost model: {args.configs} configurations x {args.workload} ({L} layers)")
    print("| rows | evals | CPU s (best) | wall s | evals / CPU s | load 1m/5m | target |")
    print("|---|---|---|---|---|---|---|")
    for per_layer in (False, True):
        best_cpu, wall = float("inf"), 0.0
        for _ in range(args.repeats):
            load = os.getloadavg()
            c0, w0 = cpu_s(), time.perf_counter()
            out = evaluate("accel", configs, wl, per_layer=per_layer)
            c1, w1 = cpu_s(), time.perf_counter()
            if c1 - c0 < best_cpu:
                best_cpu, wall = c1 - c0, w1 - w0
        assert np.isfinite(out["cycles"]).all()
        n = args.configs * L
        what = "per layer" if per_layer else "totals"
        print(
            f"| {what} | {n:,} | {best_cpu:.2f} | {wall:.2f} | {n / best_cpu:,.0f} | "
            f"{load[0]:.1f}/{load[1]:.1f} | >= 1e5 |"
        )
    if args.scalar:
        load = os.getloadavg()
        cpu, done = scalar_reference(configs.head(args.scalar), wl)
        print(
            f"| scalar reference | {done:,} | {cpu:.2f} | - | {done / cpu:,.1f} | "
            f"{load[0]:.1f}/{load[1]:.1f} | |"
        )


if __name__ == "__main__":
    main()
