"""PIM cost model: exact engine cycles, hand-computed small cases, NPU + PIM schedule, errors."""

import random

import numpy as np
import pytest

from accelsmith.core.errors import ConfigError
from accelsmith.core.families.pim import TIMING_FIELDS, PimParams
from accelsmith.core.latency.pim import engine_schedule
from accelsmith.models import evaluate
from accelsmith.models.pim import interleaved_latency
from accelsmith.models.pim_cost import job_cycles
from accelsmith.models.workloads import GEMV, Workload


def _T(p):
    return {f: np.array([float(getattr(p, f))]) for f in TIMING_FIELDS}


def _cycles(p, g, s, nl, refresh=False):
    return job_cycles(
        np.array([g]),
        np.array([s]),
        np.array([nl]),
        np.array([p.bursts_per_row]),
        np.array([p.banks]),
        _T(p),
        refresh=refresh,
    )[0]


def test_job_cycles_equal_the_engine_schedule():
    """The closed form equals the engine replay for presets and random timings (no refresh)."""
    rng = random.Random(0)
    checked = 0
    while checked < 150:
        if checked < 30:
            timing = {"timing": rng.choice(["hbm2", "gddr6", "gddr6-aim"])}
        else:
            t = {f: rng.randint(1, 24) for f in TIMING_FIELDS}
            t["t_faw"] = rng.randint(1, 45)
            if t["t_faw"] > t["t_ras"] + t["t_rp"] + t["t_rrd"] or t["t_rcd"] < t["t_ccd"]:
                continue
            timing = {"timing": "custom", **t}
        timing["t_refi"] = 65535
        timing.setdefault("t_rfc", 100)
        p = PimParams(
            precision="int8",
            lanes=4,
            banks=rng.randint(1, 9),
            rows=256,
            row_bytes=4 * rng.randint(1, 6),
            **timing,
        )
        g, s = rng.randint(1, 5), rng.randint(1, 4)
        nl = rng.randint(1, p.bursts_per_row)
        assert _cycles(p, g, s, nl) == engine_schedule(p, g, s, nl)["cycles"], (p, g, s, nl)
        checked += 1


def test_refresh_overhead_close_to_the_engine():
    p = PimParams(precision="fp16", lanes=16, banks=16, rows=4096, row_bytes=1024)
    exact = engine_schedule(p, 64, 8, 32)
    assert exact["refreshes"] >= 10
    model = _cycles(p, 64, 8, 32, refresh=True)
    assert abs(model - exact["cycles"]) / exact["cycles"] < 0.01


def test_small_gemv_by_hand():
    """N=4, K=16, int8, 4 lanes, 8-byte rows (2 bursts), 2 banks, 1 channel: 2 groups, 2
    segments, 2 bursts in the last; cycles = the engine replay; energy parts positive."""
    wl = Workload(name="t", layers=(GEMV(name="g", N=4, K=16),))
    cfg = dict(precision="int8", lanes=4, banks=2, row_bytes=8, channels=1, timing="hbm2")
    r = evaluate("pim", [cfg], wl).iloc[0]
    p = PimParams(precision="int8", lanes=4, banks=2, row_bytes=8, rows=16)
    assert r.cycles == engine_schedule(p, 2, 2, 2)["cycles"]
    assert r.macs == 64 and r.row_activations == 2 * 2 * 2
    assert r.latency_s == pytest.approx(r.cycles / 1e9)
    for part in ("act", "column", "mac", "io"):
        assert r[f"energy_{part}_j"] > 0
    assert r.energy_refresh_j == 0 and r.energy_npu_j == 0


def test_channels_split_rows_and_run_independent_gemvs():
    p = PimParams(precision="int8", lanes=4, banks=4, row_bytes=8, rows=64)
    # 64 outputs over 4 channels x 4 banks: 4 groups per channel
    wl = Workload(name="t", layers=(GEMV(name="g", N=64, K=8),))
    cfg = dict(precision="int8", lanes=4, banks=4, row_bytes=8, channels=4)
    assert evaluate("pim", [cfg], wl).cycles[0] == engine_schedule(p, 4, 1, 2)["cycles"]
    # 8 independent 4-output GEMVs use one channel each: 2 waves over 4 channels
    wl = Workload(name="t", layers=(GEMV(name="g", N=4, K=8, count=8),))
    assert evaluate("pim", [cfg], wl).cycles[0] == 2 * engine_schedule(p, 1, 1, 2)["cycles"]
    # batch multiplies the GEMVs
    two = evaluate("pim", [{**cfg, "batch": 2}], wl).cycles[0]
    assert two == 4 * engine_schedule(p, 1, 1, 2)["cycles"]


def _llm():
    return Workload(
        name="tiny",
        layers=(
            GEMV(name="qkv", N=96, K=32, count=2, role="qkv"),
            GEMV(name="qk", N=64, K=16, count=4, role="attn_qk"),
            GEMV(name="av", N=16, K=64, count=4, role="attn_av"),
            GEMV(name="out", N=32, K=32, count=2, role="out_proj"),
            GEMV(name="head", N=100, K=32, count=1, role="lm_head"),
        ),
    )


def test_npu_plus_pim_serial_by_hand():
    """Serial NPU + PIM latency = systolic latency of the NPU layers (M = batch) + PIM
    latency of the attention layers (count x batch GEMVs)."""
    base = dict(precision="int8", lanes=4, banks=4, row_bytes=16, channels=2)
    het = {**base, "npu_rows": 8, "npu_cols": 8, "batch": 4}
    r = evaluate("pim", [het], _llm(), per_layer=True)
    total = evaluate("pim", [het], _llm()).iloc[0]
    assert list(r.engine) == ["npu", "pim", "pim", "npu", "npu"]
    sys_wl = [(4, 96, 32), (4, 32, 32), (4, 100, 32)]
    sys_cfg = dict(rows=8, cols=8, dataflow="ws", in_bits=8, max_k=4096, dram_gbps=64.0)
    npu = evaluate("systolic", [sys_cfg], sys_wl, per_layer=True)
    counts = np.array([2, 2, 1])
    npu_s = (npu.latency_s.to_numpy() / npu["count"].to_numpy() * counts).sum()
    pim_only = evaluate("pim", [{**base, "batch": 4}], _llm(), per_layer=True)
    pim_s = pim_only.latency_s[1] + pim_only.latency_s[2]
    assert total.latency_s == pytest.approx(npu_s + pim_s, rel=1e-12)
    assert total.tokens_per_s == pytest.approx(4 / total.latency_s)


def test_interleaved_schedule_by_hand():
    one = [np.array([1.0])] * 2
    two = [np.array([2.0])] * 2
    assert interleaved_latency(one, two, one, 1)[0] == 6.0
    assert interleaved_latency(one, two, one, 2)[0] == 10.0
    # interleaving never loses to the serial order for the tiny model
    base = dict(precision="fp16", lanes=4, banks=4, row_bytes=32, channels=2)
    cfgs = [
        {**base, "npu_rows": 8, "npu_cols": 8, "batch": 8, "interleave": False},
        {**base, "npu_rows": 8, "npu_cols": 8, "batch": 8, "interleave": True},
    ]
    r = evaluate("pim", cfgs, _llm())
    assert r.latency_s[1] <= r.latency_s[0]
    # ... but its two sub-batches stream the NPU weights twice
    assert r.energy_npu_j[1] > r.energy_npu_j[0]
    assert r.energy_j[1] - r.energy_j[0] == pytest.approx(r.energy_npu_j[1] - r.energy_npu_j[0])


@pytest.mark.parametrize(
    "cfg, message",
    [
        ({"precision": "fp8"}, "configs row 0: precision must be one of"),
        ({"lanes": 16, "burst_bits": 128}, "configs row 0: burst_bits must be lanes"),
        ({"row_bytes": 40}, r"configs row 0: row_bytes must be a multiple of the burst \(32"),
        ({"npu_rows": 8}, "npu_rows and npu_cols must both be 0"),
        ({"timing": "ddr3"}, "configs row 0: timing must be one of"),
        ({"banks": 0}, r"configs row 0: banks must be an integer in 1\.\.64, not 0"),
    ],
)
def test_bad_configs(cfg, message):
    with pytest.raises(ConfigError, match=message):
        evaluate("pim", [cfg], "llama2-7b-decode")


def test_convention_refused():
    with pytest.raises(ConfigError, match="convention must be 'rtl' for the pim family"):
        evaluate("pim", [{}], "llama2-7b-decode", convention="scalesim")


def test_vectorized_over_many_configs():
    rng = np.random.default_rng(0)
    n = 2000
    cfgs = {
        "precision": rng.choice(["int8", "fp16", "bf16"], n),
        "lanes": rng.choice([4, 8, 16], n),
        "banks": rng.choice([4, 8, 16], n),
        "channels": rng.choice([8, 16, 32], n),
        "timing": rng.choice(["hbm2", "gddr6", "gddr6-aim"], n),
    }
    r = evaluate("pim", cfgs, "llama2-7b-decode")
    assert len(r) == n and np.isfinite(r.latency_s).all() and (r.utilization <= 1).all()
