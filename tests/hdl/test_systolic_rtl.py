"""Fast tier: the systolic RTL on Amaranth's simulator against the golden and latency models."""

import numpy as np
import pytest

from accelsmith.core.families.systolic import SystolicParams
from accelsmith.models.systolic import full_rate_schedule, output_times, tile_cycles
from accelsmith.sim.golden.systolic import element_range, golden

from .systolic_harness import run_tiles

CONFIGS = [
    # (rows, cols, dataflow, in_bits, signed, max_k, acc_bits)
    (3, 5, "os", 4, True, 12, None),
    (3, 5, "ws", 4, True, 12, None),
    (1, 4, "os", 2, False, 9, None),
    (4, 1, "ws", 16, True, 6, None),
    (1, 1, "os", 3, True, 5, None),
    (1, 1, "ws", 8, False, 5, None),
    (2, 3, "ws", 8, True, 20, 7),  # narrow accumulator: sums wrap
    (4, 4, "os", 8, False, 20, 9),
]


def _tiles(p, rng, ks):
    lo, hi = element_range(p)
    return [
        (rng.integers(lo, hi + 1, (p.rows, k)), rng.integers(lo, hi + 1, (k, p.cols))) for k in ks
    ]


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: "-".join(map(str, c)))
def test_isolated_tiles_exact(cfg):
    r, c, df, w, s, kmax, acc = cfg
    p = SystolicParams(rows=r, cols=c, dataflow=df, in_bits=w, signed=s, max_k=kmax, acc_bits=acc)
    rng = np.random.default_rng(1)
    for k in sorted({1, 2, r, r + 1, kmax}):
        ((a, b),) = _tiles(p, rng, [k])
        tr = run_tiles(p, [(a, b)])
        np.testing.assert_array_equal(tr.results[0], golden(p, a, b))
        assert tr.done_cycle[0] - tr.start_cycle[0] + 1 == tile_cycles(r, c, df, k)


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: "-".join(map(str, c)))
def test_back_to_back_schedule_exact(cfg):
    r, c, df, w, s, kmax, acc = cfg
    p = SystolicParams(rows=r, cols=c, dataflow=df, in_bits=w, signed=s, max_k=kmax, acc_bits=acc)
    rng = np.random.default_rng(2)
    ks = [int(k) for k in rng.integers(1, kmax + 1, 8)]
    tiles = _tiles(p, rng, ks)
    tr = run_tiles(p, tiles)
    for got, (a, b) in zip(tr.results, tiles, strict=True):
        np.testing.assert_array_equal(got, golden(p, a, b))
    sched = full_rate_schedule(r, c, df, ks)
    assert tr.start_cycle == [s_["start"] for s_ in sched]
    assert tr.row_cycle == [s_["rows_at"] for s_ in sched]
    assert tr.done_pulses == len(tiles)
    assert not tr.busy_when_idle


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: "-".join(map(str, c)))
@pytest.mark.parametrize("seed", [0, 1])
def test_random_stalls_exact(cfg, seed):
    r, c, df, w, s, kmax, acc = cfg
    p = SystolicParams(rows=r, cols=c, dataflow=df, in_bits=w, signed=s, max_k=kmax, acc_bits=acc)
    rng = np.random.default_rng(10 + seed)
    tiles = _tiles(p, rng, [int(k) for k in rng.integers(1, kmax + 1, 6)])
    tr = run_tiles(p, tiles, gap=0.4, stall=0.4, seed=seed)
    for got, (a, b) in zip(tr.results, tiles, strict=True):
        np.testing.assert_array_equal(got, golden(p, a, b))
    assert tr.row_adv == output_times(r, c, df, tr.a_adv)


def test_timing_check_detects_a_wrong_model():
    """The exact-timing check is not vacuous: an off-by-one model would be caught."""
    p = SystolicParams(rows=2, cols=3, dataflow="os", in_bits=4, max_k=8)
    rng = np.random.default_rng(3)
    tiles = _tiles(p, rng, [5, 1, 8])
    tr = run_tiles(p, tiles)
    sched = full_rate_schedule(2, 3, "os", [5, 1, 8])
    assert tr.row_cycle == [s["rows_at"] for s in sched]
    assert tr.row_cycle != [[t + 1 for t in s["rows_at"]] for s in sched]


@pytest.mark.parametrize("df", ["os", "ws"])
def test_whole_layer_cycles_on_rtl(df):
    """A 5x7x3 GEMM tiled onto a 2x3 array: results and total cycles as the model says."""
    from accelsmith.models.systolic import layer_cycles

    p = SystolicParams(rows=2, cols=3, dataflow=df, in_bits=6, signed=True, max_k=8)
    rng = np.random.default_rng(5)
    m, n, k = 5, 7, 3
    a = rng.integers(-32, 32, (m, k))
    b = rng.integers(-32, 32, (k, n))
    ap = np.zeros((6, k), dtype=np.int64)
    ap[:m] = a
    bp = np.zeros((k, 9), dtype=np.int64)
    bp[:, :n] = b
    tiles = [(ap[i : i + 2], bp[:, j : j + 3]) for j in range(0, 9, 3) for i in range(0, 6, 2)]
    tr = run_tiles(p, tiles)
    c = np.zeros((6, 9), dtype=object)
    for (i, j), res in zip(
        [(i, j) for j in range(0, 9, 3) for i in range(0, 6, 2)], tr.results, strict=True
    ):
        c[i : i + 2, j : j + 3] = res
    np.testing.assert_array_equal(c[:m, :n], a @ b)
    assert tr.done_cycle[-1] - tr.start_cycle[0] + 1 == layer_cycles(2, 3, df, m, n, k)
