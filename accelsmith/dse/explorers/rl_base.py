"""Common driver of the RL explorers (``marl``, ``ppo``, ``sac``, ``random-walk``).

:class:`RLExplorer` turns an :class:`~accelsmith.dse.explorers.base.ExplorerContext` into a
:class:`~accelsmith.dse.explorers.rl_common.WalkCore` whose evaluations go through the
campaign evaluator in one batch per environment step and are recorded at once as trials of the
campaign study (``ctx.record``: ``study.add_trials`` with the ledger's fields, exactly like the
Optuna explorers' trials), after which the CLI progress bar moves (``ctx.tick``).

Ledger
    Trials carry the ledger's fields; ``sampler_seconds`` is the explorer's own time (policy
    inference, training updates, walking) since the previous batch, divided by the batch's
    designs.
Budget
    ``ctx.remaining()`` designs are evaluated (a revisit of a known design is a cache hit, not
    an evaluation). The walk also stops after ``max_steps_per_eval * budget`` vector steps in
    case a policy keeps revisiting known designs (it then ends with fewer trials).
Resume
    Trials already in the study are loaded into the cache and archive first, so a resumed run
    never evaluates them again and counts them against the budget; the learners restart from
    their initial (or warm-start) weights, so a resumed RL run is not identical to an
    uninterrupted one.
Warm start
    ``warm_start: PATH`` loads a policy saved by an earlier campaign (``policy.json`` plus SB3
    zips) on a space of the same shape, e.g. the same family on another workload.
    ``save_policy: PATH`` chooses where the trained policy goes (``auto``: a ``policies/
    <explorer>`` folder next to a SQLite storage file, nothing for other storages; ``none``:
    never).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ...core.errors import ConfigError
from ..ledger import CONFIG_KEY, SAMPLER_SECONDS_KEY
from .base import Explorer, Option
from .rl_common import BatchOutcome, EnvOptions, WalkCore, _config_key, walk_space

__all__ = ["ENV_OPTIONS", "POLICY_OPTIONS", "RLExplorer"]

ENV_OPTIONS: dict[str, Option] = {
    "n_envs": Option((int,), 8, "walkers stepping together (one batched evaluation)", low=1),
    "episode_length": Option((int,), 4, "steps per episode", low=1),
    "reward": Option(
        (str,),
        "hv",
        "hv: archive hypervolume gain; scalarized: Chebyshev, weights per episode",
        choices=("hv", "scalarized"),
    ),
    "reward_scale": Option((float,), 10.0, "multiplier of improvement rewards", low=1e-9),
    "penalty": Option((float,), 0.1, "constraint-violation penalty scale", low=0.0),
    "revisit_penalty": Option((float,), 0.01, "penalty for proposing a known design", low=0.0),
    "front_start": Option(
        (float,), 0.5, "probability an episode starts on an archive Pareto point", low=0, high=1
    ),
    "max_steps_per_eval": Option(
        (int,), 50, "stop after this many vector steps per budgeted evaluation", low=1
    ),
}
POLICY_OPTIONS: dict[str, Option] = {
    "warm_start": Option((str,), None, "policy folder saved by an earlier campaign"),
    "save_policy": Option((str,), "auto", "where to save the trained policy (auto, none, PATH)"),
}


class RLExplorer(Explorer):
    """Base of the RL explorers: builds the walker core, records, resumes, saves policies.

    Subclasses implement :meth:`train` (``core`` is ready, its evaluations are recorded) and,
    for learners, :meth:`save_policy` / :meth:`load_policy`.
    """

    parallel = False
    options: ClassVar = dict(ENV_OPTIONS)

    @classmethod
    def check_options(cls, options: Any) -> dict[str, Any]:
        """Validated options; a ``warm_start`` folder must hold a saved policy."""
        out = super().check_options(options)
        src = out.get("warm_start")
        if src and not (Path(src) / "policy.json").is_file():
            raise ConfigError(
                "explorer.options.warm_start must be a policy folder with policy.json (saved "
                f"by an RL campaign, e.g. runs/<name>/policies/<explorer>), not {src!r}"
            )
        return out

    def run(self) -> None:
        import warnings

        ctx = self.ctx
        remaining = ctx.remaining()
        if remaining <= 0 or ctx.stop():
            return
        space = walk_space(ctx.space)
        self._signs = np.array([1.0 if d == "minimize" else -1.0 for d in ctx.spec.directions])
        env_opts = EnvOptions.from_options(self.opts)
        core = WalkCore(
            space,
            len(self._signs),
            self._evaluate,
            budget=remaining,
            n=self.opts["n_envs"],
            options=env_opts,
            seed=ctx.seed_for("env"),
        )
        self._preload(core)
        self._mark = time.perf_counter()
        max_steps = self.opts["max_steps_per_eval"] * remaining
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=UserWarning, module="stable_baselines3")
            self.train(core, max_steps)
        target = self._policy_target()
        if target is not None:
            self.save_policy(target)

    # ------------------------------------------------------------------ subclass hooks
    def train(self, core: WalkCore, max_steps: int) -> None:
        raise NotImplementedError

    def save_policy(self, path: Path) -> None:
        """Save the trained policy to ``path`` (learners only)."""

    def should_stop(self, core: WalkCore) -> bool:
        return core.exhausted or self.ctx.stop()

    # ------------------------------------------------------------------ evaluation + ledger
    def _evaluate(self, configs: list[dict[str, Any]]) -> BatchOutcome:
        ctx = self.ctx
        # the explorer's own time (policy inference, training, walking) since the last batch,
        # shared by this batch's designs: the ledger's sampler_seconds, as Optuna explorers
        spent = (time.perf_counter() - self._mark) / max(1, len(configs))
        result = ctx.evaluator.evaluate(configs)
        ctx.record(result, **{SAMPLER_SECONDS_KEY: spent})
        self._mark = time.perf_counter()
        ok = result.ok
        y = np.where(np.isfinite(result.values), result.values * self._signs, 0.0)
        cons = result.constraints
        if cons.size:
            viol = np.nan_to_num(np.clip(cons, 0.0, None), nan=1.0).sum(axis=1)
        else:
            viol = np.zeros(len(configs))
        return BatchOutcome(objectives=y, feasible=result.feasible, violation=viol, ok=ok)

    def _preload(self, core: WalkCore) -> None:
        """Known trials of the study (resume) into the core's cache and archive."""
        import optuna

        states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL)
        trials = self.ctx.study.get_trials(deepcopy=False, states=states)
        if not trials:
            return
        space = core.space
        pos = [{_config_key({"v": v}): j for j, v in enumerate(lv)} for lv in space.levels]
        names = set(self.ctx.space.names)
        for t in trials:
            config = t.user_attrs.get(CONFIG_KEY)
            if not config:
                continue
            # the recorded config also holds parameters the model derived (max_k, acc_bits):
            # identify the design by the space's parameters, as the candidates are
            config = {k: v for k, v in config.items() if k in names}
            key = _config_key(config)
            ok = t.state == optuna.trial.TrialState.COMPLETE and t.values is not None
            y = np.asarray(t.values, dtype=float) * self._signs if ok else np.zeros(core.n_obj)
            feas = bool(t.user_attrs.get("feasible", ok)) and ok
            core.cache[key] = (y, feas, 0.0, ok)
            row = [
                p.get(_config_key({"v": config.get(n)}))
                for n, p in zip(space.names, pos, strict=True)
            ]
            if all(r is not None for r in row):
                core.rows_of[key] = np.array(row, dtype=np.int64)
                if feas:
                    core.archive.add(y, key)
        # archive keys without a grid row cannot be episode starts
        keep = [k in core.rows_of for k in core.archive.front_keys]
        if not all(keep):
            core.archive.front = core.archive.front[np.array(keep)]
            core.archive.front_keys = [
                k for k, m in zip(core.archive.front_keys, keep, strict=True) if m
            ]

    # ------------------------------------------------------------------ policies
    def _policy_target(self) -> Path | None:
        choice = self.opts.get("save_policy")
        if choice in (None, "none") or "save_policy" not in self.options:
            return None
        if choice != "auto":
            return Path(choice)
        url = self.ctx.spec.storage_url()
        if not url.startswith("sqlite:///"):
            return None
        db = Path(url.removeprefix("sqlite:///"))
        return db.parent / "policies" / self.ctx.explorer if db.name else None

    @staticmethod
    def single_thread(seed: int) -> None:
        """One torch thread and every global generator seeded (reproducible training)."""
        import torch
        from stable_baselines3.common.utils import set_random_seed

        torch.set_num_threads(1)
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        set_random_seed(seed)
