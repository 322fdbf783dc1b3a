"""``sac``: single-agent Soft Actor-Critic on a continuous relaxation of the space.

The action is a vector in ``[-1, 1]`` per varying parameter: a relaxed move of up to one big
step along the parameter's grid (``rint(a * big)`` levels; unordered choices cycle), see
:meth:`~accelsmith.dse.explorers.rl_common.WalkSpace.apply_continuous`. Observation, reward,
episodes and batching are those of every RL explorer (:mod:`accelsmith.dse.explorers.rl_common`).
Training is stable-baselines3's ``SAC.learn`` on the batched
:class:`~accelsmith.dse.explorers.env.DesignVecEnv` (``n_envs`` walkers, one evaluation per
step, one gradient step per vector step), stopped as soon as the budget is spent.
(Single-agent ``ppo`` lives with ``marl`` in :mod:`accelsmith.dse.explorers.marl`.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from ...core.errors import ConfigError
from . import register_explorer
from .base import Option
from .rl_base import ENV_OPTIONS, POLICY_OPTIONS, RLExplorer
from .rl_common import WalkCore

__all__ = ["SACExplorer"]


class SACExplorer(RLExplorer):
    """``sac``: SB3 SAC with relaxed moves in ``[-1, 1]`` per parameter."""

    name = "sac"
    options: ClassVar[dict[str, Option]] = {
        **ENV_OPTIONS,
        "learning_rate": Option((float,), 1e-3, "Adam learning rate", low=0.0, high=1.0),
        "gamma": Option((float,), 0.9, "discount factor", low=0.0, high=1.0),
        "batch_size": Option((int,), 64, "minibatch size", low=1),
        "learning_starts": Option((int,), 64, "transitions before the first update", low=0),
        "tau": Option((float,), 0.02, "target-network soft update rate", low=0.0, high=1.0),
        "net_arch": Option((list,), [64, 64], "hidden layer sizes of actor and critics"),
        **POLICY_OPTIONS,
    }

    def train(self, core: WalkCore, max_steps: int) -> None:
        from stable_baselines3 import SAC
        from stable_baselines3.common.callbacks import BaseCallback
        from stable_baselines3.common.logger import Logger

        from .env import DesignVecEnv

        seed = self.ctx.seed_for("torch")
        self.single_thread(seed)
        vec = DesignVecEnv(core, continuous=True)
        o = self.opts
        self.model = SAC(
            "MlpPolicy",
            vec,
            learning_rate=o["learning_rate"],
            gamma=o["gamma"],
            batch_size=o["batch_size"],
            learning_starts=o["learning_starts"],
            tau=o["tau"],
            buffer_size=min(100_000, max(1000, 4 * self.ctx.budget)),
            train_freq=1,
            gradient_steps=1,
            policy_kwargs={"net_arch": list(o["net_arch"])},
            seed=self.ctx.seed_for("agents"),
            device="cpu",
            verbose=0,
        )
        self.model.set_logger(Logger(folder=None, output_formats=[]))
        self._meta = {
            "kind": "sac",
            "family": self.ctx.spec.family,
            "params": list(core.space.names),
            "obs_dim": int(vec.observation_space.shape[0]),
        }
        if o.get("warm_start"):
            self._load(Path(o["warm_start"]))
        explorer = self

        class Stop(BaseCallback):
            def _on_step(self) -> bool:
                return not explorer.should_stop(core)

        self.model.learn(total_timesteps=max_steps * core.n, callback=Stop())

    def _load(self, src: Path) -> None:
        meta_file = src / "policy.json"
        if not meta_file.is_file():
            raise ConfigError(
                f"warm_start must be a policy folder with policy.json, not {str(src)!r}"
            )
        saved = json.loads(meta_file.read_text())
        for key, mine in self._meta.items():
            if saved.get(key) != mine:
                raise ConfigError(
                    f"warm_start policy {str(src)!r} does not fit this campaign: its {key} is "
                    f"{saved.get(key)!r}, the campaign needs {mine!r}"
                )
        self.model.set_parameters(str(src / "sac.zip"), exact_match=True, device="cpu")

    def save_policy(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.model.save(path / "sac.zip")
        meta: dict[str, Any] = dict(self._meta)
        (path / "policy.json").write_text(json.dumps(meta, indent=2) + "\n")


register_explorer("sac", SACExplorer)
