"""Fixtures shared by the DSE tests (data only; no test lives here)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator, so every random test case is reproducible."""
    return np.random.default_rng(20260101)


@pytest.fixture
def make_trials_frame() -> Callable[..., object]:
    """Factory of ledger-shaped trials frames (as ``accelsmith.dse.ledger.trials_frame`` gives).

    ``make_trials_frame(values, names, feasible=None, explorer="random")`` -> DataFrame with
    ``number``, ``state``, ``explorer``, ``feasible`` and one column per objective name.
    """
    import pandas as pd

    def make(
        values: np.ndarray,
        names: Sequence[str],
        feasible: Sequence[bool] | None = None,
        explorer: str = "random",
    ) -> pd.DataFrame:
        values = np.asarray(values, dtype=float)
        n = values.shape[0]
        frame = pd.DataFrame(
            {
                "number": np.arange(n),
                "state": ["COMPLETE"] * n,
                "explorer": [explorer] * n,
                "feasible": np.ones(n, bool) if feasible is None else np.asarray(feasible),
            }
        )
        for j, name in enumerate(names):
            frame[name] = values[:, j]
        return frame

    return make
