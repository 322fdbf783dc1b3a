"""``random-walk``: walkers taking uniformly random moves (ArchGym's random-walker baseline).

Same environment as the learners (:mod:`accelsmith.dse.explorers.rl_common`): episodes of
``episode_length`` moves that start on an archive Pareto point (probability ``front_start``)
or a random design, every parameter moving by a uniformly drawn code of
:data:`~accelsmith.dse.explorers.rl_common.MOVES`. No learning: the difference between this
and ``ppo`` / ``marl`` at equal budget is what the learners contribute. With ``actions:
jump`` (:class:`~accelsmith.dse.explorers.env.Jumps`) each step edits an archive front
design with a partner, every parameter's code drawn from
:data:`~accelsmith.dse.explorers.env.JUMP_PRIOR` (the untrained policy of the learners in
that mode).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from . import register_explorer
from .base import Option
from .env import JUMP_PRIOR, Jumps
from .marl import ACTIONS_OPTION
from .rl_base import ENV_OPTIONS, RLExplorer
from .rl_common import MOVES, WalkCore

__all__ = ["RandomWalkExplorer"]


class RandomWalkExplorer(RLExplorer):
    """``random-walk``: uniformly random per-parameter moves, batched over ``n_envs`` walkers."""

    name = "random-walk"
    options: ClassVar[dict[str, Option]] = {**ENV_OPTIONS, "actions": ACTIONS_OPTION}

    def train(self, core: WalkCore, max_steps: int) -> None:
        rng = self.ctx.rng("moves")
        core.reset_rows(range(core.n))
        steps = 0
        d = len(core.space.names)
        if self.opts["actions"] == "jump":
            jumps = Jumps(core, self.ctx.seed_for("jumps"))
            jumps.draw()
            rows = np.arange(core.n)
            while steps < max_steps and not self.should_stop(core):
                codes = rng.choice(len(JUMP_PRIOR), size=(core.n, d), p=JUMP_PRIOR)
                core.step_to(jumps.apply(rows, codes))
                jumps.draw()
                steps += 1
            return
        while steps < max_steps and not self.should_stop(core):
            codes = rng.integers(0, len(MOVES), size=(core.n, d))
            _, truncated, _ = core.step_to(core.space.apply_moves(core.idx, codes))
            done = [i for i in range(core.n) if truncated[i]]
            if done:
                core.reset_rows(done)
            steps += 1


register_explorer("random-walk", RandomWalkExplorer)
