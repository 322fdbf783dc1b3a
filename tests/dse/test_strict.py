"""Strict quality measures: front recall, normalized IGD+, log HV ratio, trials to 95 %."""

from __future__ import annotations

import math

import numpy as np
import pytest

from accelsmith.dse import pareto as P
from accelsmith.dse.pareto.strict import RECALL_RTOL

DIRS = ["minimize", "minimize"]


def test_front_recall_hand_computed() -> None:
    ref = np.array([[1.0, 4.0], [2.0, 2.0], [4.0, 1.0]])
    found = np.array([[1.0, 4.0], [4.0, 1.0], [3.0, 3.0], [np.nan, np.nan]])
    assert P.front_recall(found, ref) == pytest.approx(2 / 3)
    # equal within the relative tolerance counts, beyond it does not
    near = ref * (1 + RECALL_RTOL / 10)
    far = ref * (1 + 1e-6)
    assert P.front_recall(near, ref) == 1.0
    assert P.front_recall(far, ref) == 0.0
    assert P.front_recall(np.empty((0, 2)), ref) == 0.0


def test_trials_to_reach_is_the_first_true_prefix() -> None:
    flags = [False] * 37 + [True] * 63
    assert P.trials_to_reach(100, lambda k: flags[k - 1]) == 38
    assert math.isnan(P.trials_to_reach(100, lambda k: False))
    assert P.trials_to_reach(100, lambda k: True) == 1


def _brute_first(n: int, ok) -> float:
    return next((float(k) for k in range(1, n + 1) if ok(k)), float("nan"))


def test_strict_measures_match_brute_force_prefixes(rng: np.random.Generator) -> None:
    # a reference front on a curve spanning three decades, found gradually among random points
    t = np.linspace(0.0, 1.0, 25)
    front = np.column_stack([10 ** (3 * t), 10 ** (3 * (1 - t))])
    noise = front[rng.integers(0, 25, 300)] * (1 + rng.uniform(0.01, 2.0, (300, 1)))
    values = np.concatenate([noise, front[rng.permutation(25)]])
    values = values[rng.permutation(len(values))]
    m = P.strict_measures(values, front, DIRS)
    assert m["front_recall"] == 1.0 and m["igd_plus_norm"] == pytest.approx(0.0, abs=1e-12)
    assert m["hv_ratio_log"] == pytest.approx(1.0) and m["hv_ratio_linear"] == pytest.approx(1.0)
    n = len(values)

    def recall(k: int) -> float:
        return P.front_recall(values[:k], front)

    lognorm = P.Normalization.from_points(front, DIRS, log=True)
    ref_hv = P.hypervolume(front, lognorm)
    assert m["trials_to_95_recall"] == _brute_first(n, lambda k: recall(k) >= 0.95)
    assert m["trials_to_95_hv_log"] == _brute_first(
        n, lambda k: P.hypervolume(values[:k], lognorm) / ref_hv >= 0.95
    )
    # the log HV ratio is stricter than the linear one on a front spanning decades
    half = values[: n // 3]
    part = P.strict_measures(half, front, DIRS)
    assert part["hv_ratio_log"] <= part["hv_ratio_linear"] + 1e-12


def test_strict_summary_on_frames(make_trials_frame) -> None:
    front = np.array([[1.0, 4.0], [2.0, 2.0], [4.0, 1.0]])
    exact = make_trials_frame(front, ["a", "b"], explorer="exhaustive")
    good = make_trials_frame(np.array([[5.0, 5.0], [1.0, 4.0], [2.0, 2.0]]), ["a", "b"])
    objs = [("a", "minimize"), ("b", "minimize")]
    s = P.strict_summary({"exhaustive": exact, "random": good}, objs)
    assert list(s.columns[: len(P.STRICT_COLUMNS)]) == list(P.STRICT_COLUMNS)
    assert s.loc["random", "front_recall"] == pytest.approx(2 / 3)
    assert s.loc["random", "reference"].startswith("exact front (exhaustive, 3 points)")
    assert math.isnan(s.loc["exhaustive", "front_recall"])  # the reference itself
    # without an exact front: the combined front of the explorers
    s2 = P.strict_summary({"random": good}, objs)
    assert s2.loc["random", "front_recall"] == 1.0
    assert s2.loc["random", "reference"].startswith("combined front")


def test_strict_at_equals_strict_measures_of_each_prefix(rng: np.random.Generator) -> None:
    t = np.linspace(0.0, 1.0, 15)
    front = np.column_stack([10 ** (2 * t), 10 ** (2 * (1 - t))])
    values = np.concatenate(
        [front[rng.integers(0, 15, 80)] * (1 + rng.uniform(0, 1, (80, 1))), front]
    )
    values = values[rng.permutation(len(values))]
    rows = P.strict_at(values, front, DIRS, [10, 50, 95, 200])
    assert [r["checkpoint"] for r in rows] == [10, 50, 95, 200]
    whole = P.strict_measures(values[:95], front, DIRS)  # trials to 95 % within the largest run
    for r in rows[:3]:
        m = P.strict_measures(values[: r["checkpoint"]], front, DIRS)
        for c in ("front_recall", "igd_plus_norm", "hv_ratio_log", "hv_ratio_linear"):
            assert r[c] == pytest.approx(m[c], nan_ok=True)
        assert r["trials_to_95_hv_log"] == pytest.approx(whole["trials_to_95_hv_log"], nan_ok=True)
    assert math.isnan(rows[3]["front_recall"])  # beyond the 95 rows
