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

from .rl_common import MOVES, WalkCore

__all__ = ["DesignEnv", "action_space_for", "observation_space_for"]  # + DesignVecEnv (lazy)


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

        def __init__(self, core: WalkCore, *, continuous: bool = False) -> None:
            self.core = core
            self.continuous = continuous
            self.render_mode = None
            super().__init__(
                core.n,
                observation_space_for(core),
                action_space_for(len(core.space.names), continuous=continuous),
            )
            self._actions: np.ndarray | None = None

        def reset(self) -> np.ndarray:
            seed = self._seeds[0] if self._seeds and self._seeds[0] is not None else None
            if seed is not None:
                self.core.restart(seed)
            self._reset_seeds()
            self.core.reset_rows(range(self.num_envs))
            return self.core.observe()

        def step_async(self, actions: np.ndarray) -> None:
            self._actions = np.asarray(actions)

        def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
            assert self._actions is not None, "step_async must be called before step_wait"
            rows = np.arange(self.num_envs)
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
