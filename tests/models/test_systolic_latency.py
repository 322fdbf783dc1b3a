"""Latency model of the systolic RTL: closed forms worked by hand, vectorization, errors."""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from accelsmith.core.errors import ConfigError
from accelsmith.models.systolic import (
    full_rate_schedule,
    layer_cycles,
    output_times,
    steady_interval,
    tile_cycles,
)


def test_worked_examples():
    # os 8x8, K=64: 64 beats + 8 rows + 8 cols + 2 (input register, capture) = 82
    assert tile_cycles(8, 8, "os", 64) == 82
    # ws 8x8, K=20: 8 weight rows, 3 folds x 8 beats = 24, + 8 + 8 + 2 = 50
    assert tile_cycles(8, 8, "ws", 20) == 8 + 24 + 8 + 8 + 2
    # ws 8x8, K=3: 3 weight rows, 1 fold of 8 beats: 3 + 8 + 8 + 8 + 2 = 29
    assert tile_cycles(8, 8, "ws", 3) == 29
    assert steady_interval(8, 8, "os", 3) == 8
    assert steady_interval(8, 8, "os", 64) == 64
    assert steady_interval(1, 1, "os", 1) == 2
    assert steady_interval(8, 8, "ws", 20) == 24


def test_vectorized_matches_scalar():
    rng = np.random.default_rng(0)
    r, c, k = rng.integers(1, 257, 1000), rng.integers(1, 257, 1000), rng.integers(1, 5000, 1000)
    df = rng.choice(["os", "ws"], 1000)
    vec = tile_cycles(r, c, df, k)
    for i in range(0, 1000, 37):
        assert vec[i] == tile_cycles(int(r[i]), int(c[i]), str(df[i]), int(k[i]))


@given(st.integers(1, 64), st.integers(1, 64), st.sampled_from(["os", "ws"]), st.integers(1, 500))
def test_single_tile_schedule_equals_closed_form(r, c, df, k):
    (s,) = full_rate_schedule(r, c, df, [k])
    assert s["done"] - s["start"] + 1 == tile_cycles(r, c, df, k)


@given(st.integers(1, 32), st.integers(1, 32), st.sampled_from(["os", "ws"]), st.integers(1, 200))
def test_steady_state_interval(r, c, df, k):
    sched = full_rate_schedule(r, c, df, [k] * 6)
    steady = sched[2:]  # past the pipeline fill
    gaps = {b["done"] - a["done"] for a, b in itertools.pairwise(steady)}
    assert gaps == {int(steady_interval(r, c, df, k))}


@given(st.integers(1, 32), st.integers(1, 32), st.sampled_from(["os", "ws"]), st.integers(1, 300))
def test_larger_k_never_fewer_cycles(r, c, df, k):
    assert tile_cycles(r, c, df, k + 1) >= tile_cycles(r, c, df, k)


def test_output_times_worked_examples():
    # os 2x3: last beats at advance-cycles 10 and 11; drains start at 12 and max(13, 12 + 2)
    assert output_times(2, 3, "os", [[7, 8, 10], [11]]) == [[15, 16], [17, 18]]
    # ws 2x3, one fold each: beat m of the last fold at t gives row m at t + 2 + 3 + 1
    assert output_times(2, 3, "ws", [[4, 5], [6, 9]]) == [[10, 11], [12, 15]]


def test_errors():
    with pytest.raises(ConfigError, match="dataflow must be one of 'os', 'ws', not 'is'"):
        tile_cycles(4, 4, "is", 3)
    with pytest.raises(ConfigError, match="k must be >= 1"):
        tile_cycles(4, 4, "os", 0)


@given(
    st.integers(1, 16),
    st.integers(1, 16),
    st.sampled_from(["os", "ws"]),
    st.integers(1, 40),
    st.integers(1, 40),
    st.integers(1, 60),
)
def test_layer_cycles_is_the_back_to_back_schedule(r, c, df, m, n, k):
    tiles = -(-m // r) * -(-n // c)
    sched = full_rate_schedule(r, c, df, [k] * tiles)
    assert layer_cycles(r, c, df, m, n, k) == sched[-1]["done"] - sched[0]["start"] + 1
