"""Gymnasium environment and batched SB3 vector environment over a design space.

The dynamics, observation, action and reward are those of
:mod:`accelsmith.dse.explorers.rl_common` (read its docstring for the choices and their
justification). :class:`DesignEnv` is the single-walker ``gymnasium.Env`` (it passes
``gymnasium.utils.env_checker.check_env``); :class:`DesignVecEnv` is a stable-baselines3
``VecEnv`` whose ``n`` walkers step together and send all their new designs to the cost model
in **one** batched evaluation per step (the analytical models are vectorized, so 8 designs
cost about as much as 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from ...core.errors import ConfigError
from .rl_common import MOVES, WalkCore, _config_key

__all__ = [  # + DesignVecEnv (lazy)
    "ACTION_MODES",
    "JUMP_CODES",
    "JUMP_PRIOR",
    "DesignEnv",
    "Jumps",
    "action_space_for",
    "observation_space_for",
]

#: ``local``: per-parameter moves from the walker's current design (:data:`MOVES`);
#: ``jump``: every step starts from an archive Pareto design and a partner (:class:`Jumps`).
ACTION_MODES = ("local", "jump")
#: Per-parameter codes of ``jump`` mode (as many as :data:`MOVES`, so policy heads and
#: parameter sharing are the same in both modes).
JUMP_CODES = ("keep", "partner", "down", "up", "random")
#: Probabilities of :data:`JUMP_CODES` given to the untrained policy (its initial action
#: logits) and drawn by ``random-walk`` in ``jump`` mode. A design choice, after the defaults
#: of Optuna's NSGA-II that ``nsga2`` uses here: uniform crossover (a parameter comes from
#: either parent with probability 0.5) and about one mutated parameter per child (``down``,
#: ``up`` and ``random`` together 0.1 per parameter: ~1.3 of the 13 coexplore parameters).
JUMP_PRIOR = (0.45, 0.45, 1 / 30, 1 / 30, 1 / 30)


class Jumps:
    """The ``jump`` action mode: parents and partners drawn from the archive's Pareto front.

    Before every step each walker is put on a *parent*, a design of the archive front drawn
    uniformly (a uniformly random design while the archive is empty), and given a *partner*,
    another front design drawn the same way; the observation shows both. Each parameter then
    takes one code of :data:`JUMP_CODES`: keep the parent's value, take the partner's, one
    grid step down or up (:meth:`WalkSpace.apply_moves`) or a uniformly random level. An
    agent thus acts like a learned crossover-and-mutation operator on the front (the way a
    design agent edits the best designs found so far) instead of walking locally: one step
    reaches any design that mixes two front members. Every step is a one-step episode.

    Parameters
    ----------
    core : WalkCore
    seed : int
        Seed of the parent, partner and ``random``-level draws.
    """

    def __init__(self, core: WalkCore, seed: int) -> None:
        self.core = core
        self.rng = np.random.default_rng(seed)
        self.partner = np.zeros_like(core.idx)
        self.partner_known = np.zeros(core.n, dtype=bool)
        self.partner_y = np.zeros((core.n, core.n_obj))

    @property
    def extra_dim(self) -> int:
        """Observation features added to the core's: the partner's design and objectives."""
        return len(self.core.space.names) + self.core.n_obj

    def _front_rows(self, k: int) -> tuple[np.ndarray, list[Any] | None]:
        core = self.core
        keys = core.archive.front_keys
        if not keys:
            return core.space.sample(self.rng, k), None
        pick = [keys[int(j)] for j in self.rng.integers(len(keys), size=k)]
        return np.array([core.rows_of[key] for key in pick]), pick

    def draw(self, rows: Any = None) -> None:
        """Put walkers ``rows`` (default all) on new parents and give them new partners."""
        core = self.core
        rows = np.arange(core.n) if rows is None else np.asarray(rows, dtype=np.int64)
        if not rows.size:
            return
        parents, pkeys = self._front_rows(len(rows))
        partners, qkeys = self._front_rows(len(rows))
        for j, i in enumerate(rows):
            core.idx[i] = parents[j]
            key = pkeys[j] if pkeys else _config_key(core.space.configs(parents[j : j + 1])[0])
            hit = core.cache.get(key)
            core.known[i] = hit is not None and hit[3]
            core.y[i] = hit[0] if core.known[i] else 0.0
            core.feas[i] = bool(hit[1]) if core.known[i] else False
            core.t[i] = 0
            self.partner[i] = partners[j]
            self.partner_known[i] = qkeys is not None
            self.partner_y[i] = core.cache[qkeys[j]][0] if qkeys else 0.0

    def observe(self, rows: Any = None) -> np.ndarray:
        """The core's observation plus the partner's normalized design and objectives."""
        core = self.core
        rows = np.arange(core.n) if rows is None else np.asarray(rows)
        u = core.space.normalized(self.partner[rows])
        f = np.where(
            self.partner_known[rows, None], core.archive.features(self.partner_y[rows]), 0.0
        )
        extra = np.clip(np.hstack([u, f]), 0.0, 1.0).astype(np.float32)
        return np.hstack([core.observe(rows), extra])

    def apply(self, rows: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """New index rows of walkers ``rows`` after per-parameter :data:`JUMP_CODES`."""
        space = self.core.space
        idx = self.core.idx[rows]
        codes = np.asarray(codes, dtype=np.int64)
        new = np.where(codes == 1, self.partner[rows], idx)
        step = np.where(codes == 2, 1, np.where(codes == 3, 3, 2))  # MOVES: -1, +1, stay
        new = space.apply_moves(new, step)
        rand = space.sample(self.rng, len(rows))
        return np.where(codes == 4, rand, new)


def check_actions(value: Any) -> str:
    """The ``actions`` option, checked (one line naming the allowed values)."""
    if value not in ACTION_MODES:
        raise ConfigError(
            f"explorer.actions must be one of {', '.join(ACTION_MODES)}, not {value!r}"
        )
    return str(value)


def observation_space_for(core: WalkCore) -> spaces.Box:
    """``Box(0, 1, (obs_dim,), float32)`` of a walker core."""
    return spaces.Box(0.0, 1.0, shape=(core.obs_dim,), dtype=np.float32)


def action_space_for(n_params: int, *, continuous: bool = False) -> spaces.Space[Any]:
    """Per-parameter moves: ``MultiDiscrete([5] * n)`` or the relaxed ``Box(-1, 1, (n,))``."""
    if continuous:
        return spaces.Box(-1.0, 1.0, shape=(n_params,), dtype=np.float32)
    return spaces.MultiDiscrete([len(MOVES)] * n_params)


def _move(core: WalkCore, rows: np.ndarray, actions: np.ndarray, continuous: bool) -> np.ndarray:
    if continuous:
        return core.space.apply_continuous(core.idx[rows], np.asarray(actions, dtype=np.float64))
    return core.space.apply_moves(core.idx[rows], np.asarray(actions))


class DesignEnv(gym.Env):
    """One walker on a design space (see :mod:`accelsmith.dse.explorers.rl_common`).

    Parameters
    ----------
    core : WalkCore
        A core with ``n == 1`` (its budget, evaluator and archive are shared state).
    continuous : bool
        Relaxed ``Box`` moves (SAC) instead of ``MultiDiscrete`` moves.

    Notes
    -----
    ``reset(seed=s)`` restarts the search memory (:meth:`WalkCore.restart`), so a seeded
    reset is reproducible as gymnasium requires; explorers seed only their first reset.
    ``terminated`` is always False (a design space has no terminal state); ``truncated``
    becomes True after ``episode_length`` steps or once the evaluation budget is spent
    (``info["budget_exhausted"]``). ``info["evaluated"]`` tells whether the step evaluated a
    new design.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": []}
    render_mode = None

    def __init__(self, core: WalkCore, *, continuous: bool = False) -> None:
        if core.n != 1:
            raise ValueError(f"core.n must be 1 for DesignEnv, not {core.n}")
        self.core = core
        self.continuous = continuous
        self.observation_space = observation_space_for(core)
        self.action_space = action_space_for(len(core.space.names), continuous=continuous)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        if seed is not None:
            self.core.restart(seed)
        self.core.reset_rows([0])
        return self.core.observe()[0], {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        rows = np.array([0])
        new = _move(self.core, rows, np.asarray(action)[None, :], self.continuous)
        rewards, truncated, evaluated = self.core.step_to(new)
        exhausted = self.core.exhausted
        info = {"evaluated": bool(evaluated[0]), "budget_exhausted": exhausted}
        obs = self.core.observe()[0]
        return obs, float(rewards[0]), False, bool(truncated[0] or exhausted), info


def __getattr__(name: str) -> Any:
    # DesignVecEnv subclasses stable-baselines3's VecEnv, whose import pulls torch in (~3 s):
    # the class is made on first use so that listing explorers stays fast (PEP 562).
    if name == "DesignVecEnv":
        cls = _make_vec_env_class()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _make_vec_env_class() -> type:
    from stable_baselines3.common.vec_env.base_vec_env import VecEnv

    class DesignVecEnv(VecEnv):
        """``core.n`` walkers stepping together through one batched evaluation per step.

        Finished episodes reset automatically (SB3 convention): the returned observation is the
        new episode's, ``infos[i]["terminal_observation"]`` the last one of the old episode and
        ``infos[i]["TimeLimit.truncated"]`` is True (episodes end by time limit only, so learners
        bootstrap from the value of the terminal observation).
        """

        def __init__(
            self,
            core: WalkCore,
            *,
            continuous: bool = False,
            actions: str = "local",
            seed: int = 0,
        ) -> None:
            self.core = core
            self.continuous = continuous
            self.actions = check_actions(actions)
            if self.actions == "jump" and continuous:
                raise ConfigError("explorer.actions 'jump' needs discrete actions (not sac)")
            self.jumps = Jumps(core, seed) if self.actions == "jump" else None
            self.render_mode = None
            obs_space = observation_space_for(core)
            if self.jumps is not None:
                obs_space = spaces.Box(
                    0.0, 1.0, shape=(core.obs_dim + self.jumps.extra_dim,), dtype=np.float32
                )
            super().__init__(
                core.n,
                obs_space,
                action_space_for(len(core.space.names), continuous=continuous),
            )
            self._actions: np.ndarray | None = None

        def _observe(self, rows: Any = None) -> np.ndarray:
            if self.jumps is not None:
                return self.jumps.observe(rows)
            return self.core.observe(rows)

        def reset(self) -> np.ndarray:
            seed = self._seeds[0] if self._seeds and self._seeds[0] is not None else None
            if seed is not None:
                self.core.restart(seed)
            self._reset_seeds()
            self.core.reset_rows(range(self.num_envs))
            if self.jumps is not None:
                self.jumps.draw()
            return self._observe()

        def step_async(self, actions: np.ndarray) -> None:
            self._actions = np.asarray(actions)

        def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
            assert self._actions is not None, "step_async must be called before step_wait"
            rows = np.arange(self.num_envs)
            if self.jumps is not None:
                # one-step episodes: the child is evaluated, the walker goes to a new parent;
                # the episode ends (terminal: nothing to bootstrap, the next parent does not
                # depend on the action)
                new = self.jumps.apply(rows, self._actions)
                rewards, _, evaluated = self.core.step_to(new)
                obs = self._observe()
                infos = [
                    {"evaluated": bool(e), "terminal_observation": obs[i].copy()}
                    for i, e in enumerate(evaluated)
                ]
                self.jumps.draw()
                self._actions = None
                return self._observe(), rewards.astype(np.float32), np.ones(len(rows), bool), infos
            new = _move(self.core, rows, self._actions, self.continuous)
            rewards, truncated, evaluated = self.core.step_to(new)
            obs = self.core.observe()
            infos: list[dict[str, Any]] = [{"evaluated": bool(e)} for e in evaluated]
            done_rows = np.flatnonzero(truncated)
            for i in done_rows:
                infos[i]["terminal_observation"] = obs[i].copy()
                infos[i]["TimeLimit.truncated"] = True
            if done_rows.size:
                self.core.reset_rows(done_rows)
                obs[done_rows] = self.core.observe(done_rows)
            self._actions = None
            return obs, rewards.astype(np.float32), truncated.copy(), infos

        def close(self) -> None:
            return None

        def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
            return [getattr(self, attr_name)] * len(self._get_indices(indices))

        def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
            setattr(self, attr_name, value)

        def env_method(
            self, method_name: str, *method_args: Any, indices: Any = None, **method_kwargs: Any
        ) -> list[Any]:
            fn = getattr(self, method_name)
            return [fn(*method_args, **method_kwargs) for _ in self._get_indices(indices)]

        def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
            return [False] * len(self._get_indices(indices))

        def _get_indices(self, indices: Any) -> Sequence[int]:
            if indices is None:
                return range(self.num_envs)
            if isinstance(indices, int):
                return [indices]
            return list(indices)

    return DesignVecEnv
