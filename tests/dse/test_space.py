"""Typed spaces: parsing, Optuna distributions, grid enumeration, normalization, hashing."""

from __future__ import annotations

import itertools

import numpy as np
import optuna
import pytest

from accelsmith.core.errors import ConfigError
from accelsmith.dse.space import Space


def test_kinds_and_distributions() -> None:
    s = Space.from_spec(
        {
            "a": {"low": 1, "high": 64, "log": True},
            "b": {"low": 0.5, "high": 2.0, "step": 0.5},
            "c": {"low": 0.1, "high": 1.0},
            "d": {"choices": ["x", "y"]},
            "e": 7,
            "f": {"value": True},
        }
    )
    assert [d.kind for d in s.dims] == ["int", "float", "float", "categorical", "fixed", "fixed"]
    dists = s.distributions()
    assert dists["a"] == optuna.distributions.IntDistribution(1, 64, log=True)
    assert dists["b"] == optuna.distributions.FloatDistribution(0.5, 2.0, step=0.5)
    assert set(dists) == {"a", "b", "c", "d"}
    assert s.size() == float("inf") and not s.enumerable
    with pytest.raises(ConfigError, match=r"space\.c is a continuous range; exhaustive"):
        next(s.grid_batches())


def test_grid_matches_itertools_product_and_batches() -> None:
    entries = {
        "r": {"low": 2, "high": 10, "step": 4},
        "f": {"choices": ["os", "ws"]},
        "g": {"low": 0.25, "high": 0.75, "step": 0.25},
        "k": 3,
    }
    s = Space.from_spec(entries)
    rows = [
        tuple(r) for b in s.grid_batches(5) for r in b[["r", "f", "g", "k"]].itertuples(index=False)
    ]
    expected = list(itertools.product([2, 6, 10], ["os", "ws"], [0.25, 0.5, 0.75], [3]))
    assert rows == expected
    assert s.size() == len(expected) == s.grid_product()


def test_conditional_parameters_drop_duplicates_and_suggest() -> None:
    s = Space.from_spec(
        {
            "acc": {"low": 16, "high": 24, "step": 8, "when": {"mode": "wide"}},
            "mode": {"choices": ["narrow", "wide"]},
        }
    )
    assert s.names == ("mode", "acc")  # conditions come after what they depend on
    grid = next(s.grid_batches())
    assert grid.to_dict("records") == [
        {"mode": "narrow", "acc": None},
        {"mode": "wide", "acc": 16},
        {"mode": "wide", "acc": 24},
    ]
    assert s.size() == 3
    assert s.config({"mode": "narrow", "acc": 16}) == {"mode": "narrow"}
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    seen = set()
    for _ in range(30):
        t = study.ask()
        c = s.suggest(t)
        assert ("acc" in c) == (c["mode"] == "wide") and set(t.params) == set(c)
        seen.add(tuple(sorted(c.items())))
    assert len(seen) == 3


def test_conditional_cycles_and_unknown_references_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"^space: conditions form a cycle: a -> b -> a$"):
        Space.from_spec(
            {"a": {"choices": [1, 2], "when": {"b": 1}}, "b": {"choices": [1, 2], "when": {"a": 1}}}
        )
    with pytest.raises(
        ConfigError, match=r"^space.a.when.z: no parameter 'z' in the space; allowed: a, b$"
    ):
        Space.from_spec({"a": {"choices": [1, 2], "when": {"z": 1}}, "b": 1})


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"low": 4}, "space.x: a range needs both 'low' and 'high' (missing 'high')"),
        ({"low": 8, "high": 4}, "space.x.high must be >= low (8), not 4"),
        ({"low": 0, "high": 4, "log": True}, "space.x.low must be > 0 with log: true, not 0"),
        (
            {"low": 1, "high": 9, "step": 2, "log": True},
            "space.x: log: true cannot be combined with step 2",
        ),
        ({"choices": []}, "space.x.choices must be a non-empty list, not []"),
        ({"choices": [1, 1]}, "space.x.choices must not repeat a value, not [1, 1]"),
        ({"choices": [1], "low": 1}, "space.x: 'choices' cannot be combined with low"),
        ({"low": "a", "high": 3}, "space.x.low must be a finite number, not 'a'"),
        (
            [1, 2],
            "space.x must be a value, {low, high, step?, log?} or {choices: [...]}, not [1, 2]",
        ),
    ],
)
def test_dimension_errors(entry: object, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        Space.from_spec({"x": entry, "y": {"choices": [1, 2]}})
    assert str(info.value) == message


def test_space_needs_a_varying_parameter() -> None:
    with pytest.raises(ConfigError, match="at least one varying parameter"):
        Space.from_spec({"a": 1})


def test_normalize_round_trip_and_sampling() -> None:
    s = Space.from_spec(
        {
            "rows": {"low": 4, "high": 128, "step": 4},
            "lr": {"low": 1e-3, "high": 1.0, "log": True},
            "df": {"choices": ["os", "ws", "is"]},
            "bits": 8,
        }
    )
    rng = np.random.default_rng(0)
    for _ in range(50):
        c = s.sample(rng)
        u = s.normalize(c)
        assert ((u >= 0) & (u <= 1)).all() and len(u) == 3
        back = s.denormalize(u)
        assert back["rows"] == c["rows"] and back["df"] == c["df"] and back["bits"] == 8
        assert back["lr"] == pytest.approx(c["lr"])
    assert s.denormalize([0, 0, 0]) == {"rows": 4, "lr": 1e-3, "df": "os", "bits": 8}
    assert s.denormalize([1, 1, 1])["rows"] == 128
    assert s.denormalize([0.5, 0.5, 0.5])["lr"] == pytest.approx(10**-1.5)


def test_hash_is_stable_order_independent_and_sensitive() -> None:
    a = Space.from_spec({"x": {"low": 1, "high": 3}, "y": {"choices": [1, 2]}})
    b = Space.from_spec({"y": {"choices": [1, 2]}, "x": {"low": 1, "high": 3, "step": 1}})
    c = Space.from_spec({"x": {"low": 1, "high": 4}, "y": {"choices": [1, 2]}})
    assert a.hash() == b.hash() != c.hash()
    assert Space.from_spec(a.to_dict()).hash() == a.hash()


def test_config_validates_values() -> None:
    s = Space.from_spec({"r": {"low": 4, "high": 16, "step": 4}, "d": {"choices": [True, False]}})
    assert s.config({"r": 8, "d": False}) == {"r": 8, "d": False}
    with pytest.raises(ConfigError, match=r"params: r must be an integer in 4..16 step 4, not 6"):
        s.config({"r": 6, "d": True})
    with pytest.raises(ConfigError, match=r"params: d must be one of True, False, not 1"):
        s.config({"r": 4, "d": 1})
