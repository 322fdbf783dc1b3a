"""PIM cost-model benchmark (``make bench``; not part of the test suite).

(a) Throughput of ``evaluate("pim", ...)`` on Llama-2-7B decode (8 layers): PIM-only and
    heterogeneous NPU + PIM configurations per second (targets: >= 5,000 /s PIM-only,
    >= 500 /s NPU + PIM).
(b) The closed-form job cycles side by side with the command-by-command engine replay
    (:func:`accelsmith.core.latency.pim.engine_schedule`, the RTL's reference): the
    speed-up and the number of differing cycle counts (target 0 without refresh).
(c) The published-figure comparison (HBM-PIM, AiM peaks; achieved GEMV throughput).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import random  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402


def throughput() -> None:
    from accelsmith.models import evaluate

    rng = np.random.default_rng(0)
    n = 5000
    cfg = {
        "precision": rng.choice(["int8", "fp16", "bf16"], n),
        "lanes": rng.choice([4, 8, 16, 32], n),
        "banks": rng.choice([4, 8, 16], n),
        "channels": rng.choice([8, 16, 32], n),
        "timing": rng.choice(["hbm2", "gddr6", "gddr6-aim"], n),
    }
    evaluate("pim", {k: v[:8] for k, v in cfg.items()}, "llama2-7b-decode")
    t = time.perf_counter()
    evaluate("pim", cfg, "llama2-7b-decode")
    pim_rate = n / (time.perf_counter() - t)
    het = {
        **{k: v[:1000] for k, v in cfg.items()},
        "npu_rows": rng.choice([32, 64, 128, 256], 1000),
        "npu_cols": rng.choice([32, 64, 128, 256], 1000),
        "batch": rng.choice([1, 8, 64, 256], 1000),
        "interleave": rng.choice([True, False], 1000),
    }
    t = time.perf_counter()
    evaluate("pim", het, "llama2-7b-decode")
    het_rate = 1000 / (time.perf_counter() - t)
    print(
        f"(a) PIM-only {pim_rate:,.0f} configs/s (target 5,000); NPU+PIM {het_rate:,.0f} "
        "configs/s (target 500)"
    )


def closed_form_vs_replay() -> None:
    from accelsmith.core.families.pim import TIMING_FIELDS, PimParams
    from accelsmith.core.latency.pim import engine_schedule
    from accelsmith.models.pim_cost import job_cycles

    rnd = random.Random(1)
    jobs = []
    for _ in range(100):
        p = PimParams(
            precision="fp16",
            lanes=16,
            banks=rnd.choice([4, 8, 16]),
            rows=65536,
            row_bytes=rnd.choice([256, 1024, 2048]),
            timing=rnd.choice(["hbm2", "gddr6-aim"]),
            t_refi=65535,
        )
        jobs.append((p, rnd.randint(1, 16), rnd.randint(1, 4), rnd.randint(1, p.bursts_per_row)))
    t = time.perf_counter()
    replays = [engine_schedule(p, g, s, nl) for p, g, s, nl in jobs]
    exact = [r["cycles"] for r in replays]
    t_replay = time.perf_counter() - t
    T = {f: np.array([float(getattr(p, f)) for p, *_ in jobs]) for f in TIMING_FIELDS}
    arr = np.array([(g, s, nl, p.bursts_per_row, p.banks) for p, g, s, nl in jobs], dtype=float)
    t = time.perf_counter()
    model = job_cycles(*arr.T, T, refresh=False)
    t_model = time.perf_counter() - t
    no_ref = np.array([r["refreshes"] == 0 for r in replays])
    diff = int((model != np.array(exact))[no_ref].sum())
    print(
        f"(b) {len(jobs)} jobs: replay {t_replay * 1e3:.1f} ms, closed form "
        f"{t_model * 1e3:.2f} ms ({t_replay / t_model:,.0f}x); differing cycle counts "
        f"among the {int(no_ref.sum())} jobs without a refresh: {diff} "
        "(target 0)"
    )


def published() -> None:
    from accelsmith.models import evaluate
    from accelsmith.models.workloads import GEMV, Workload

    hbm = dict(
        precision="fp16",
        lanes=16,
        banks=8,
        channels=16,
        timing="hbm2",
        freq_mhz=300.0,
        t_ccd=1,
        row_bytes=1024,
    )
    aim = dict(precision="bf16", lanes=16, banks=16, channels=2, timing="gddr6-aim", row_bytes=2048)
    wl = Workload(name="g", layers=(GEMV(name="g", N=4096, K=1024),))
    r = evaluate("pim", [hbm, aim], wl)
    for name, pub, row in (("HBM-PIM", 1.2, r.iloc[0]), ("AiM", 1.0, r.iloc[1])):
        print(
            f"(c) {name}: peak {row.peak_tflops:.3f} TFLOPS (published {pub}), 4096x1024 "
            f"GEMV {row.tops:.3f} TFLOPS ({100 * row.utilization:.1f}% of peak)"
        )


if __name__ == "__main__":
    throughput()
    closed_form_vs_replay()
    published()
