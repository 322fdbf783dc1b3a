"""Multi-agent PPO on a design space: one stable-baselines3 PPO policy per sub-system.

After Krishnan et al., "Multi-Agent Reinforcement Learning for Microprocessor Design Space
Exploration" (NeurIPS 2022 ML for Systems workshop, arXiv 2211.16385): the parameters of
different sub-systems are nearly independent, so each sub-system gets its own agent and all
agents cooperate on one shared (team) reward. Their training driver was never published; this
is ours.

Agents
    One agent per group of :attr:`accelsmith.core.registry.Family.agent_groups` that has at
    least one varying parameter in the campaign space; varying parameters that no group names
    form one more agent, ``other``. Option ``grouping: parameter`` gives one agent per varying
    parameter instead (an ablation of the decomposition). Each agent observes the full state
    (as every agent of ArchGym's ``macme`` environment does) and chooses the moves of its own
    parameters only (``MultiDiscrete([5] * len(group))``, see
    :mod:`accelsmith.dse.explorers.rl_common`).
Learning
    Independent learners (default): each agent is its own PPO model (policy, value function,
    rollout buffer, optimizer) trained on the shared reward; the value of a truncated
    episode's last observation is bootstrapped per agent. ``share_parameters: true``: one PPO
    model for all agents, its input the state plus a one-hot agent id, its action head the
    largest group's size (unused slots of smaller groups are ignored); every agent-walker pair
    is one row of its rollout buffer.
Stepping
    ``n_envs`` walkers step together; all agents act on every walker, the joint design is
    evaluated in one batched call (:class:`~accelsmith.dse.explorers.env.DesignVecEnv`).
Determinism
    ``torch.set_num_threads(1)``, ``set_random_seed(seed)`` (torch, numpy, random) before the
    models are built, each agent's SB3 seed ``seed + agent index``; the environment has its own
    ``numpy`` generator. Same seed, same trials.

Single-agent PPO (``explorer: ppo``) is this class with one group holding every parameter, so
the comparison MARL vs PPO changes only the decomposition.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ...core.errors import ConfigError
from . import register_explorer
from .base import Option
from .env import ACTION_MODES
from .rl_base import ENV_OPTIONS, POLICY_OPTIONS, RLExplorer
from .rl_common import WalkCore

if TYPE_CHECKING:
    from .env import DesignVecEnv

__all__ = ["MARLExplorer", "MultiAgentPPO", "PPOExplorer", "PPOOptions", "agent_groups"]


@dataclass(frozen=True, kw_only=True)
class PPOOptions:
    """PPO hyper-parameters of the RL explorers (explorer options in the campaign spec).

    Small defaults on purpose: campaigns have budgets of hundreds to thousands of designs, so
    the learners must update often (every ``n_steps * n_envs`` = 128 transitions).
    """

    n_envs: int = 8
    n_steps: int = 16
    batch_size: int = 64
    n_epochs: int = 4
    learning_rate: float = 1e-3
    gamma: float = 0.9
    gae_lambda: float = 0.9
    ent_coef: float = 0.01
    clip_range: float = 0.2
    net_arch: tuple[int, ...] = (64, 64)
    share_parameters: bool = False

    def __post_init__(self) -> None:
        for name in ("n_envs", "n_steps", "batch_size", "n_epochs"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ConfigError(f"explorer.{name} must be an integer >= 1, not {v!r}")
        for name, lo, hi in (
            ("learning_rate", 0.0, 1.0),
            ("gamma", 0.0, 1.0),
            ("gae_lambda", 0.0, 1.0),
            ("ent_coef", 0.0, 10.0),
            ("clip_range", 0.0, 1.0),
        ):
            v = getattr(self, name)
            if not isinstance(v, int | float) or isinstance(v, bool) or not lo <= v <= hi:
                raise ConfigError(f"explorer.{name} must be a number in [{lo}, {hi}], not {v!r}")
        arch = self.net_arch
        if not isinstance(arch, tuple | list) or not all(
            isinstance(h, int) and not isinstance(h, bool) and h >= 1 for h in arch
        ):
            raise ConfigError(
                f"explorer.net_arch must be a list of positive integers, not {arch!r}"
            )
        object.__setattr__(self, "net_arch", tuple(arch))
        if not isinstance(self.share_parameters, bool):
            raise ConfigError(
                f"explorer.share_parameters must be true or false, not {self.share_parameters!r}"
            )

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> PPOOptions:
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in options.items() if k in names})


def agent_groups(
    groups: dict[str, Sequence[str]], varying: Sequence[str]
) -> list[tuple[str, list[int]]]:
    """Agents as ``(name, indices into varying)``: declared groups with a varying parameter,
    then ``other`` for varying parameters no group names (empty groups are dropped)."""
    pos = {n: i for i, n in enumerate(varying)}
    out: list[tuple[str, list[int]]] = []
    taken: set[str] = set()
    for name, params in groups.items():
        idx = [pos[p] for p in params if p in pos and p not in taken]
        taken.update(varying[i] for i in idx)
        if idx:
            out.append((name, idx))
    rest = [i for i, n in enumerate(varying) if n not in taken]
    if rest:
        out.append(("other", rest))
    return out


def _spaces_only(observation_space: Any, action_space: Any, num_envs: int) -> Any:
    """The minimal VecEnv stand-in a PPO model needs to be built (spaces and ``num_envs``)."""
    from stable_baselines3.common.vec_env.base_vec_env import VecEnv

    class SpacesOnly(VecEnv):
        def reset(self) -> np.ndarray:
            return np.zeros((self.num_envs, *self.observation_space.shape), np.float32)

        def step_async(self, actions: np.ndarray) -> None:
            raise RuntimeError("a spaces-only env cannot step")

        def step_wait(self) -> Any:
            raise RuntimeError("a spaces-only env cannot step")

        def close(self) -> None:
            return None

        def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
            return [None] * self.num_envs

        def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
            return None

        def env_method(self, *args: Any, **kwargs: Any) -> list[Any]:
            return [None] * self.num_envs

        def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
            return [False] * self.num_envs

    env = SpacesOnly(num_envs, observation_space, action_space)
    env.render_mode = None
    return env


class MultiAgentPPO:
    """Cooperative PPO agents, each moving its own parameters, trained on a shared reward.

    Parameters
    ----------
    vec : DesignVecEnv
        The batched environment (``vec.num_envs`` walkers, discrete moves).
    groups : list of (str, list of int)
        Agents and the indices of the parameters each one moves (see :func:`agent_groups`).
    options : PPOOptions
    seed : int
    """

    def __init__(
        self,
        vec: DesignVecEnv,
        groups: list[tuple[str, list[int]]],
        options: PPOOptions,
        *,
        seed: int,
    ) -> None:
        import torch
        from gymnasium import spaces
        from stable_baselines3 import PPO
        from stable_baselines3.common.logger import Logger
        from stable_baselines3.common.utils import set_random_seed

        from .env import action_space_for

        if vec.continuous:
            raise ValueError("MultiAgentPPO needs discrete moves (continuous=False)")
        torch.set_num_threads(1)
        set_random_seed(seed)
        self.vec, self.groups, self.options, self.seed = vec, groups, options, seed
        self.n_agents = len(groups)
        n_envs = vec.num_envs
        obs_dim = vec.observation_space.shape[0]
        kw = dict(
            n_steps=options.n_steps,
            batch_size=options.batch_size,
            n_epochs=options.n_epochs,
            learning_rate=options.learning_rate,
            gamma=options.gamma,
            gae_lambda=options.gae_lambda,
            ent_coef=options.ent_coef,
            clip_range=options.clip_range,
            policy_kwargs={"net_arch": list(options.net_arch)},
            device="cpu",
            verbose=0,
        )
        self.models: list[Any] = []
        if options.share_parameters:
            width = max(len(idx) for _, idx in groups)
            obs_space = spaces.Box(0.0, 1.0, (obs_dim + self.n_agents,), np.float32)
            env = _spaces_only(obs_space, action_space_for(width), n_envs * self.n_agents)
            self.models.append(PPO("MlpPolicy", env, seed=seed, **kw))
        else:
            for a, (_, idx) in enumerate(groups):
                env = _spaces_only(vec.observation_space, action_space_for(len(idx)), n_envs)
                self.models.append(PPO("MlpPolicy", env, seed=seed + a, **kw))
        for m in self.models:
            m.set_logger(Logger(folder=None, output_formats=[]))
        if getattr(vec, "actions", "local") == "jump":
            self._jump_prior()
        self.updates = 0

    def _jump_prior(self) -> None:
        """Initial action logits of ``jump`` mode: the codes' :data:`~.env.JUMP_PRIOR`.

        SB3 initializes the action head with small weights (orthogonal, gain 0.01), so its
        bias sets the untrained policy: crossover-and-mutation rates like NSGA-II's, which
        learning then adapts per agent and state.
        """
        import torch as th

        from .env import JUMP_PRIOR

        logp = th.log(th.tensor(JUMP_PRIOR, dtype=th.float32))
        for m in self.models:
            bias = m.policy.action_net.bias
            with th.no_grad():
                bias.copy_(logp.repeat(bias.numel() // len(JUMP_PRIOR)))

    # ------------------------------------------------------------------ helpers
    def _agent_obs(self, obs: np.ndarray) -> list[np.ndarray]:
        """Per-model observation batches (shared model: agent-major rows with one-hot id)."""
        if not self.options.share_parameters:
            return [obs] * len(self.models)
        n = obs.shape[0]
        eye = np.eye(self.n_agents, dtype=np.float32)
        rows = [
            np.hstack([obs, np.repeat(eye[a][None, :], n, axis=0)]) for a in range(self.n_agents)
        ]
        return [np.vstack(rows)]

    def _joint(self, actions: list[np.ndarray], n: int) -> np.ndarray:
        joint = np.zeros((n, self.vec.action_space.shape[0]), dtype=np.int64)
        for a, (_, idx) in enumerate(self.groups):
            if self.options.share_parameters:
                part = actions[0][a * n : (a + 1) * n, : len(idx)]
            else:
                part = actions[a]
            joint[:, idx] = part
        return joint

    # ------------------------------------------------------------------ training
    def run(self, should_stop: Callable[[], bool], max_env_steps: int) -> int:
        """Act, evaluate and learn until ``should_stop()`` or ``max_env_steps`` vector steps.

        Returns the number of vector steps taken.
        """
        import torch as th

        vec, n = self.vec, self.vec.num_envs
        obs = vec.reset()
        starts = np.ones(n, dtype=bool)
        for m in self.models:
            m.rollout_buffer.reset()
            m.policy.set_training_mode(False)
        steps = 0
        while steps < max_env_steps and not should_stop():
            filled = 0
            for _ in range(self.options.n_steps):
                views = self._agent_obs(obs)
                acts, vals, logps = [], [], []
                with th.no_grad():
                    for m, o in zip(self.models, views, strict=True):
                        a, v, lp = m.policy(th.as_tensor(o))
                        acts.append(a.numpy())
                        vals.append(v)
                        logps.append(lp)
                new_obs, rewards, dones, infos = vec.step(self._joint(acts, n))
                steps += 1
                for k, (m, o) in enumerate(zip(self.models, views, strict=True)):
                    r = np.asarray(rewards, dtype=np.float32)
                    r = np.tile(r, self.n_agents) if self.options.share_parameters else r.copy()
                    # bootstrap the episodes cut by the time limit (jump mode: real ends)
                    ends = np.array(
                        [i for i in np.flatnonzero(dones) if infos[i].get("TimeLimit.truncated")],
                        dtype=np.int64,
                    )
                    if ends.size:
                        term = np.stack([infos[i]["terminal_observation"] for i in ends])
                        tviews = self._agent_obs(term)
                        with th.no_grad():
                            tv = m.policy.predict_values(th.as_tensor(tviews[k])).numpy()[:, 0]
                        rows = (
                            np.concatenate([ends + a * n for a in range(self.n_agents)])
                            if self.options.share_parameters
                            else ends
                        )
                        r[rows] += m.gamma * tv
                    st = np.tile(starts, self.n_agents) if self.options.share_parameters else starts
                    m.rollout_buffer.add(o, acts[k], r, st, vals[k], logps[k])
                obs, starts = new_obs, dones
                filled += 1
                if should_stop() or steps >= max_env_steps:
                    break
            if filled < self.options.n_steps:
                break  # budget spent mid-rollout: nothing left to learn for
            views = self._agent_obs(obs)
            for m, o in zip(self.models, views, strict=True):
                with th.no_grad():
                    last = m.policy.predict_values(th.as_tensor(o))
                d = np.tile(starts, self.n_agents) if self.options.share_parameters else starts
                m.rollout_buffer.compute_returns_and_advantage(last_values=last, dones=d)
                m._current_progress_remaining = 1.0
                m.train()
                m.policy.set_training_mode(False)
                m.rollout_buffer.reset()
            self.updates += 1
        return steps

    # ------------------------------------------------------------------ warm start
    def meta(self, names: Sequence[str], family: str) -> dict[str, Any]:
        return {
            "kind": "marl-ppo",
            "family": family,
            "groups": [[g, [names[i] for i in idx]] for g, idx in self.groups],
            "obs_dim": int(self.vec.observation_space.shape[0]),
            "options": asdict(self.options),
        }

    def save(self, path: str | Path, names: Sequence[str], family: str) -> Path:
        """Save every agent's policy (SB3 zips) and a ``policy.json`` that describes them."""
        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        for i, m in enumerate(self.models):
            m.save(out / f"agent{i}.zip")
        meta = self.meta(names, family)
        (out / "policy.json").write_text(json.dumps(meta, indent=2) + "\n")
        return out

    def load(self, path: str | Path, names: Sequence[str], family: str) -> None:
        """Warm-start every agent from a policy saved by :meth:`save` on a compatible space."""
        src = Path(path)
        meta_file = src / "policy.json"
        if not meta_file.is_file():
            raise ConfigError(
                f"warm_start must be a policy folder with policy.json, not {str(src)!r}"
            )
        saved = json.loads(meta_file.read_text())
        mine = self.meta(names, family)
        for key in ("kind", "family", "groups", "obs_dim"):
            if saved.get(key) != mine[key]:
                raise ConfigError(
                    f"warm_start policy {str(src)!r} does not fit this campaign: its {key} is "
                    f"{saved.get(key)!r}, the campaign needs {mine[key]!r}"
                )
        if bool(saved["options"].get("share_parameters")) != self.options.share_parameters:
            raise ConfigError(
                f"warm_start policy {str(src)!r} has share_parameters="
                f"{saved['options'].get('share_parameters')}, the campaign "
                f"{self.options.share_parameters}"
            )
        for i, m in enumerate(self.models):
            m.set_parameters(str(src / f"agent{i}.zip"), exact_match=True, device="cpu")


# ---------------------------------------------------------------------- explorers
ACTIONS_OPTION = Option(
    (str,),
    "local",
    "local: per-parameter moves from the current design; jump: each step edits a design of "
    "the archive front with a partner (keep, partner, down, up, random per parameter)",
    choices=ACTION_MODES,
)
PPO_OPTIONS: dict[str, Option] = {
    **ENV_OPTIONS,
    "actions": ACTIONS_OPTION,
    "n_steps": Option((int,), 16, "vector steps per rollout (one PPO update each)", low=1),
    "batch_size": Option((int,), 64, "PPO minibatch size", low=1),
    "n_epochs": Option((int,), 4, "PPO epochs per update", low=1),
    "learning_rate": Option((float,), 1e-3, "Adam learning rate", low=0.0, high=1.0),
    "gamma": Option((float,), 0.9, "discount factor", low=0.0, high=1.0),
    "gae_lambda": Option((float,), 0.9, "GAE lambda", low=0.0, high=1.0),
    "ent_coef": Option((float,), 0.01, "entropy bonus", low=0.0, high=10.0),
    "clip_range": Option((float,), 0.2, "PPO clip range", low=0.0, high=1.0),
    "net_arch": Option((list,), [64, 64], "hidden layer sizes of the policy and value nets"),
    **POLICY_OPTIONS,
}


class MARLExplorer(RLExplorer):
    """``marl``: one PPO agent per sub-system (``Family.agent_groups``), shared team reward.

    Options: the environment options of :mod:`accelsmith.dse.explorers.rl_base`, the PPO
    hyper-parameters of :class:`PPOOptions`, ``share_parameters`` (one policy with a one-hot
    agent-id input), ``warm_start`` and ``save_policy``.
    """

    name = "marl"
    options: ClassVar[dict[str, Option]] = {
        **PPO_OPTIONS,
        "share_parameters": Option(
            (bool,), False, "one policy for all agents, with a one-hot agent-id input"
        ),
        "grouping": Option(
            (str,),
            "family",
            "family: one agent per sub-system (Family.agent_groups); parameter: one agent "
            "per varying parameter (an ablation of the decomposition)",
            choices=("family", "parameter"),
        ),
    }

    def groups(self, names: Sequence[str]) -> list[tuple[str, list[int]]]:
        from ...core.registry import get_family

        if self.opts.get("grouping") == "parameter":
            return [(n, [i]) for i, n in enumerate(names)]
        fam = get_family(self.ctx.spec.family)
        return agent_groups(dict(fam.agent_groups), list(names))

    def ppo_options(self, n_envs: int) -> PPOOptions:
        return PPOOptions.from_options(
            {**self.opts, "n_envs": n_envs, "net_arch": tuple(self.opts["net_arch"])}
        )

    def train(self, core: WalkCore, max_steps: int) -> None:
        from .env import DesignVecEnv

        self.single_thread(self.ctx.seed_for("torch"))
        vec = DesignVecEnv(core, actions=self.opts["actions"], seed=self.ctx.seed_for("jumps"))
        self.learner = MultiAgentPPO(
            vec,
            self.groups(core.space.names),
            self.ppo_options(core.n),
            seed=self.ctx.seed_for("agents"),
        )
        self._names = core.space.names
        if self.opts.get("warm_start"):
            self.learner.load(self.opts["warm_start"], self._names, self.ctx.spec.family)
        self.learner.run(lambda: self.should_stop(core), max_steps)

    def save_policy(self, path: Path) -> None:
        self.learner.save(path, self._names, self.ctx.spec.family)


class PPOExplorer(MARLExplorer):
    """``ppo``: single-agent PPO moving every parameter (the MARL learner with one group, so
    the comparison with ``marl`` changes only the decomposition)."""

    name = "ppo"
    options: ClassVar[dict[str, Option]] = dict(PPO_OPTIONS)

    def groups(self, names: Sequence[str]) -> list[tuple[str, list[int]]]:
        return [("all", list(range(len(names))))]

    def ppo_options(self, n_envs: int) -> PPOOptions:
        return PPOOptions.from_options(
            {
                **self.opts,
                "n_envs": n_envs,
                "net_arch": tuple(self.opts["net_arch"]),
                "share_parameters": False,
            }
        )


register_explorer("marl", MARLExplorer)
register_explorer("ppo", PPOExplorer)
