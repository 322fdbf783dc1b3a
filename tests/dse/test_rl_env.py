"""The RL environment: walk space, moves, archive rewards, budget, gymnasium and SB3 APIs."""

from __future__ import annotations

import numpy as np
import pytest

from accelsmith.core.errors import ConfigError
from accelsmith.dse.explorers.rl_common import (
    Archive,
    BatchOutcome,
    EnvOptions,
    WalkCore,
    WalkSpace,
    walk_space,
)
from accelsmith.dse.space import Space


def toy_space() -> WalkSpace:
    return walk_space(
        Space.from_spec(
            {
                "a": {"low": 1, "high": 16},
                "b": {"low": 1, "high": 8},
                "c": {"choices": ["x", "y", "z"]},
            }
        )
    )


class ToyModel:
    """Two objectives trading off ``a * b`` against ``100 / (a * b)``; ``a * b < 100``."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def __call__(self, configs: list[dict]) -> BatchOutcome:
        self.calls.append(len(configs))
        p = np.array([c["a"] * c["b"] for c in configs], dtype=float)
        bump = np.array([{"x": 0.0, "y": 1.0, "z": 2.0}[c["c"]] for c in configs])
        y = np.stack([p, 100.0 / p + bump], axis=1)
        feas = p < 100
        return BatchOutcome(y, feas, np.where(feas, 0.0, (p - 100) / 100), np.ones(len(p), bool))


def test_walk_space_levels_orders_and_conditions() -> None:
    space = Space.from_spec(
        {
            "rows": {"low": 4, "high": 16, "step": 4},
            "f": {"low": 0.1, "high": 10.0, "log": True},
            "kb": {"choices": [16, 32, 64]},
            "df": {"choices": ["os", "ws"]},
            "acc": {"low": 16, "high": 20, "when": {"df": "ws"}},
            "fixed": 8,
        }
    )
    ws = walk_space(space)
    assert ws.names == ("rows", "f", "kb", "df", "acc")
    assert ws.levels[0] == (4, 8, 12, 16)
    assert len(ws.levels[1]) == 33 and ws.levels[1][0] == pytest.approx(0.1)
    assert ws.levels[1][16] == pytest.approx(1.0)  # log-spaced: the middle is the geometric mean
    assert ws.ordered == (True, True, True, False, True)
    # an inactive conditional parameter is dropped and the fixed one added
    (cfg,) = ws.configs(np.array([[1, 0, 2, 0, 3]]))
    assert cfg == {"rows": 8, "f": pytest.approx(0.1), "kb": 64, "df": "os", "fixed": 8}


def test_moves_clip_ordered_and_cycle_choices() -> None:
    ws = toy_space()
    # codes index MOVES = (-big, -1, 0, +1, +big); big = max(2, round(levels / 8))
    assert list(ws.big_steps) == [2, 2, 2]
    idx = np.array([[0, 7, 2], [15, 0, 0]])
    assert ws.apply_moves(idx, np.array([[0, 4, 3], [4, 1, 1]])).tolist() == [
        [0, 7, 0],  # clipped at both ends of a range; the choice cycles z -> x
        [15, 0, 2],  # x - 1 cycles to z
    ]
    assert ws.apply_moves(idx, np.array([[3, 1, 2], [1, 3, 2]])).tolist() == [[1, 6, 2], [14, 1, 0]]
    relaxed = ws.apply_continuous(np.array([[5, 5, 1]]), np.array([[1.0, -0.4, -1.0]]))
    assert relaxed.tolist() == [[7, 4, 2]]  # rint(a * big): +2, -1 (rint(-0.8)), -2 -> cycles


def test_archive_hypervolume_gain_by_hand() -> None:
    arc = Archive(2)
    arc.add(np.array([0.0, 2.0]), "p")
    arc.add(np.array([2.0, 0.0]), "q")
    # normalized box [0, 2]^2 -> [0, 1]^2, reference 1.1: front HV = 2 * 1.1 * 0.1 + 0.01... :
    # HV({(0,1),(1,0)}) = 1.1*0.1 + 0.1*1.1 - 0.1*0.1 = 0.21; adding (0.5, 0.5) adds 0.25
    assert arc.hv_gain(np.array([1.0, 1.0])) == pytest.approx(0.25)
    assert arc.hv_gain(np.array([2.0, 2.0])) == 0.0  # dominated
    assert arc.hv_gain(np.array([0.0, 2.0])) == 0.0  # a duplicate adds nothing
    arc.add(np.array([1.0, 1.0]), "r")
    assert arc.front_keys == ["p", "q", "r"]
    arc.add(np.array([0.5, 0.5]), "s")  # dominates r only
    assert arc.front_keys == ["p", "q", "s"]
    w = np.array([0.5, 0.5])
    assert arc.chebyshev(np.array([0.5, 0.5]), w)[0] == pytest.approx(0.125)


def test_core_batches_counts_budget_and_rewards() -> None:
    model = ToyModel()
    core = WalkCore(toy_space(), 2, model, budget=5, n=4, seed=0)
    core.reset_rows(range(4))
    target = np.array([[0, 0, 0], [0, 0, 0], [3, 3, 1], [15, 7, 0]])
    rewards, trunc, evaluated = core.step_to(target)
    assert model.calls == [3]  # one batch, duplicates evaluated once
    assert evaluated.tolist() == [True, False, True, True]
    assert rewards[1] == pytest.approx(-core.options.revisit_penalty)
    assert rewards[3] < 0  # 16 * 8 >= 100 violates the constraint
    assert rewards[0] > 0 and rewards[2] > 0
    assert not trunc.any()
    rewards, _, evaluated = core.step_to(np.array([[1, 0, 0], [2, 0, 0], [4, 0, 0], [0, 0, 0]]))
    assert model.calls == [3, 2] and core.evaluated == 5 and core.exhausted
    assert evaluated.tolist() == [True, True, False, False]  # truncated at the budget


def test_options_are_validated() -> None:
    with pytest.raises(ConfigError, match=r"explorer\.episode_length must be an integer >= 1"):
        EnvOptions(episode_length=0)
    with pytest.raises(ConfigError, match=r"explorer\.reward must be one of"):
        EnvOptions(reward="target")


@pytest.mark.parametrize(
    ("continuous", "reward"), [(False, "hv"), (True, "hv"), (False, "scalarized")]
)
def test_gymnasium_check_env(continuous: bool, reward: str) -> None:
    from gymnasium.utils.env_checker import check_env

    from accelsmith.dse.explorers.env import DesignEnv

    core = WalkCore(toy_space(), 2, ToyModel(), budget=10_000, options=EnvOptions(reward=reward))
    env = DesignEnv(core, continuous=continuous)
    check_env(env, skip_render_check=True)
    obs, _ = env.reset(seed=3)
    assert env.observation_space.contains(obs)
    for _ in range(core.options.episode_length):
        obs, _, term, trunc, _ = env.step(env.action_space.sample())
        assert env.observation_space.contains(obs) and not term
    assert trunc  # episodes end by time limit


def test_vec_env_one_batched_evaluation_per_step() -> None:
    from accelsmith.dse.explorers.env import DesignVecEnv

    model = ToyModel()
    core = WalkCore(toy_space(), 2, model, budget=1000, n=6, seed=1)
    vec = DesignVecEnv(core)
    obs = vec.reset()
    assert obs.shape == (6, core.obs_dim)
    rng = np.random.default_rng(0)
    for step in range(1, core.options.episode_length + 1):
        obs, _, dones, infos = vec.step(rng.integers(0, 5, (6, 3)))
        assert len(model.calls) <= step and all(c <= 6 for c in model.calls)
    assert dones.all()  # every walker hit the time limit together and was reset
    assert all(i["TimeLimit.truncated"] and "terminal_observation" in i for i in infos)
    assert (core.t == 0).all()


def test_jump_mode_edits_front_designs_with_a_partner() -> None:
    from accelsmith.dse.explorers.env import DesignVecEnv, Jumps

    model = ToyModel()
    core = WalkCore(toy_space(), 2, model, budget=1000, n=4, seed=2)
    jumps = Jumps(core, seed=5)
    jumps.draw()  # empty archive: random parents, unknown
    assert not core.known.any() and not jumps.partner_known.any()
    core.step_to(np.array([[1, 3, 0], [3, 1, 1], [7, 1, 2], [15, 7, 0]]))  # a*b 8, 8, 16, 128
    front_rows = {tuple(core.rows_of[k]) for k in core.archive.front_keys}
    assert len(front_rows) >= 2
    for _ in range(5):
        jumps.draw()
        assert {tuple(r) for r in core.idx} <= front_rows and core.known.all()
        assert {tuple(r) for r in jumps.partner} <= front_rows and jumps.partner_known.all()
    rows = np.arange(4)
    parent, partner = core.idx.copy(), jumps.partner.copy()
    keep = jumps.apply(rows, np.zeros((4, 3), int))
    assert (keep == parent).all()
    assert (jumps.apply(rows, np.ones((4, 3), int)) == partner).all()
    mixed = jumps.apply(rows, np.tile([0, 1, 0], (4, 1)))
    assert (mixed[:, [0, 2]] == parent[:, [0, 2]]).all() and (mixed[:, 1] == partner[:, 1]).all()
    down = jumps.apply(rows, np.full((4, 3), 2))
    up = jumps.apply(rows, np.full((4, 3), 3))
    assert (down[:, :2] == np.maximum(parent[:, :2] - 1, 0)).all()  # ordered: clipped
    assert (up[:, :2] == np.minimum(parent[:, :2] + 1, [15, 7])).all()
    assert (down[:, 2] == (parent[:, 2] - 1) % 3).all()  # choices cycle
    rand = np.vstack([jumps.apply(rows, np.full((4, 3), 4)) for _ in range(20)])
    assert (rand >= 0).all() and (rand < [16, 8, 3]).all() and len({tuple(r) for r in rand}) > 10
    # the vector env: observation = core's + partner (design, objectives); one-step episodes
    vec = DesignVecEnv(core, actions="jump", seed=1)
    obs = vec.reset()
    assert obs.shape == (4, core.obs_dim + 3 + 2)
    assert all(vec.observation_space.contains(o) for o in obs)
    n0 = core.evaluated
    obs, _, dones, infos = vec.step(np.full((4, 3), 4))
    assert dones.all() and not any(i.get("TimeLimit.truncated") for i in infos)
    assert core.evaluated > n0 and {tuple(r) for r in core.idx} <= {
        tuple(core.rows_of[k]) for k in core.archive.front_keys
    }
    with pytest.raises(ConfigError, match=r"explorer\.actions must be one of local, jump"):
        DesignVecEnv(core, actions="teleport")
