"""The non-domination levels kept across TPE's asks (issue 17): Optuna's rank array, exactly."""

from __future__ import annotations

import numpy as np
import pytest
from optuna.study._multi_objective import _fast_non_domination_rank

from accelsmith.dse.explorers.tpe_rank import Levels


def _loss(rng: np.random.Generator, n: int, m: int, kind: str) -> np.ndarray:
    if kind == "grid":  # ties and copies of vectors: many levels, equal coordinates
        return rng.integers(0, 6, (n, m)).astype(float)
    if kind == "signed-zero":  # 0.0 and -0.0 are one vector (np.unique's equality)
        return rng.choice([-0.0, 0.0, 1.0, -1.0], (n, m))
    return np.round(rng.lognormal(size=(n, m)), 1)  # a front of many points, deep levels


@pytest.mark.parametrize("m", [2, 3, 4])
@pytest.mark.parametrize("kind", ["grid", "signed-zero", "lognormal"])
def test_the_kept_levels_give_optunas_rank_array(m: int, kind: str) -> None:
    # rows added one at a time, in an order where later vectors dominate earlier ones (so
    # vectors move down levels, in cascades), then a smaller set (rebuilt), then grown
    # again: after every step the rank array equals Optuna's for every n_below
    rng = np.random.default_rng(m)
    n = 160
    loss = _loss(rng, n, m, kind)
    loss = loss[np.argsort(-loss.sum(axis=1), kind="stable")]  # worst first: cascades
    levels = Levels(m)
    steps = [np.arange(k) for k in range(1, n + 1)]
    steps += [np.arange(0, n, 3), np.arange(n), rng.permutation(n)[: n // 2]]
    for rows in steps:
        sub = loss[rows]
        for n_below in sorted({1, 2, -(-rows.size // 10), rows.size // 2 or 1, rows.size}):
            want = _fast_non_domination_rank(sub, n_below=n_below)
            got = levels.ranks(rows, sub, n_below)
            assert got.dtype == want.dtype and np.array_equal(got, want), (rows.size, n_below)
        levels.check()
    assert levels.n_rows == n // 2


def test_a_wrong_level_is_caught_by_the_comparison() -> None:
    # the comparison above can fail: one vector put a level too deep changes the array
    loss = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 3.0]])
    levels = Levels(2)
    rows = np.arange(4)
    assert np.array_equal(levels.ranks(rows, loss, 4), [0, 0, 1, 2])
    levels.level[levels.uid[1]] += 1
    assert not np.array_equal(levels.ranks(rows, loss, 4), _fast_non_domination_rank(loss))
    with pytest.raises(AssertionError):
        levels.fronts[0], levels.fronts[1] = levels.fronts[1], levels.fronts[0]
        levels.check()
