"""The design space as a reinforcement-learning problem: a batched walker core and its archive.

The RL explorers (``marl``, ``ppo``, ``sac``, ``random-walk``) share one environment model:

State
    A current design (one grid index per varying parameter) and what is known about it. The
    observation is ``[u, f, known, feasible, dominated, t]`` (plus the episode's weights in
    ``scalarized`` mode), all in ``[0, 1]``: ``u`` the normalized design (grid index / (levels -
    1)), ``f`` its objectives (log10, minimization-oriented, scaled by the range of every feasible
    design seen so far), ``known`` whether it has been evaluated, ``feasible`` and ``dominated``
    (by the archive front) flags and ``t`` the fraction of the episode elapsed.
Actions: per-parameter moves (the choice and why)
    Each parameter takes one of :data:`MOVES` = ``(-big, -1, 0, +1, +big)`` steps along its
    grid (``big`` ~ an eighth of the levels; unordered choices cycle). We chose moves over
    direct value choices because (1) the observation then matters: with direct choices the
    next design does not depend on the state, which reduces the problem to a bandit whose
    policy collapses onto one mode of the front, while moves let a policy learn "the latency is
    high: grow the array" from the objectives it sees; (2) every parameter has the same small
    action set, whatever its cardinality (a 32-level ``rows`` and a 2-choice ``dataflow`` both
    take 5 actions), so policy heads stay small and parameter sharing across agents works;
    (3) starting episodes on archive Pareto points and moving locally is a learned local
    search around the front, which is where hypervolume is won. The continuous relaxation for
    SAC moves each normalized coordinate by up to ``big`` levels.
Reward
    ``hv`` (default): the hypervolume improvement of the archive of feasible designs found so
    far (all objectives minimized, normalized to the ideal/nadir of the archive front plus the
    new point, reference point 1.1), times ``reward_scale``. ``scalarized``: each episode
    draws weights ``w ~ Dirichlet(1)`` (shown in the observation) and the reward is the
    improvement of the archive's best weighted-Chebyshev value, so episodes with different
    weights pull towards different parts of the front. Either way a design that violates a
    constraint earns ``-penalty * (1 + min(1, relative violation))``, a design the cost model
    rejects ``-2 * penalty`` and revisiting a known design ``-revisit_penalty``.
Budget
    Only designs never evaluated before are evaluated (the cost model is deterministic, so a
    revisit is a cache hit): the budget counts evaluated designs, like Optuna trials; each is
    recorded once. A batch that would overrun the budget is truncated.
Episodes
    ``episode_length`` steps; a reset starts from a random archive Pareto point with
    probability ``front_start`` (once the archive has one), else from a uniformly random
    design whose objectives are unknown until it is evaluated (resets never spend budget).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...core.errors import ConfigError

__all__ = [
    "MOVES",
    "Archive",
    "BatchOutcome",
    "EnvOptions",
    "WalkCore",
    "WalkSpace",
    "walk_space",
]

#: Move codes per parameter: index offsets in units of (``big``, 1, 0, 1, ``big``).
MOVES = (-2, -1, 0, 1, 2)
REWARDS = ("hv", "scalarized")


@dataclass(frozen=True, kw_only=True)
class EnvOptions:
    """Environment options (explorer options in the campaign spec).

    Parameters
    ----------
    episode_length : int
        Steps per episode (>= 1).
    reward : {"hv", "scalarized"}
        Hypervolume improvement of the archive, or weighted-Chebyshev improvement with weights
        redrawn each episode.
    reward_scale : float
        Multiplier of the improvement rewards (> 0).
    penalty : float
        Constraint-violation penalty scale (>= 0).
    revisit_penalty : float
        Reward for proposing an already evaluated design (>= 0, subtracted).
    front_start : float
        Probability that an episode starts on an archive Pareto point (0..1).
    """

    episode_length: int = 4
    reward: str = "hv"
    reward_scale: float = 10.0
    penalty: float = 0.1
    revisit_penalty: float = 0.01
    front_start: float = 0.5

    def __post_init__(self) -> None:
        if not isinstance(self.episode_length, int) or self.episode_length < 1:
            raise ConfigError(
                f"explorer.episode_length must be an integer >= 1, not {self.episode_length!r}"
            )
        if self.reward not in REWARDS:
            raise ConfigError(f"explorer.reward must be one of {REWARDS}, not {self.reward!r}")
        for name, lo in (("reward_scale", 1e-12), ("penalty", 0.0), ("revisit_penalty", 0.0)):
            v = getattr(self, name)
            if not isinstance(v, int | float) or isinstance(v, bool) or v < lo:
                raise ConfigError(f"explorer.{name} must be a number >= {lo:g}, not {v!r}")
        if not isinstance(self.front_start, int | float) or not 0 <= self.front_start <= 1:
            raise ConfigError(f"explorer.front_start must be in [0, 1], not {self.front_start!r}")

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> EnvOptions:
        """The environment subset of an explorer options dict (other keys are ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in options.items() if k in names})


@dataclass(frozen=True)
class WalkSpace:
    """A discrete, ordered view of a design space for walkers.

    Attributes
    ----------
    names : tuple of str
        The varying parameters, in order.
    levels : tuple of tuple
        Every parameter's values (ordered grid for numbers, choices otherwise).
    ordered : tuple of bool
        Whether moving by +1 means "larger" (numbers) or "next choice" (cycled).
    to_config : callable
        ``to_config(values: dict) -> dict``: the full configuration (fixed parameters added,
        inactive conditional parameters dropped) of one assignment of the varying ones.
    """

    names: tuple[str, ...]
    levels: tuple[tuple[Any, ...], ...]
    ordered: tuple[bool, ...]
    to_config: Callable[[dict[str, Any]], dict[str, Any]]

    def __post_init__(self) -> None:
        if not self.names:
            raise ConfigError("space must have at least one varying parameter for RL explorers")

    @property
    def sizes(self) -> np.ndarray:
        return np.array([len(v) for v in self.levels], dtype=np.int64)

    @property
    def big_steps(self) -> np.ndarray:
        """Index offset of a big move per parameter (about an eighth of its levels, >= 2)."""
        return np.maximum(2, np.round(self.sizes / 8)).astype(np.int64)

    def configs(self, idx: np.ndarray) -> list[dict[str, Any]]:
        """Full configurations of index rows ``idx`` (n x d)."""
        out = []
        for row in np.asarray(idx):
            values = {n: lv[int(i)] for n, lv, i in zip(self.names, self.levels, row, strict=True)}
            out.append(self.to_config(values))
        return out

    def normalized(self, idx: np.ndarray) -> np.ndarray:
        """Index rows scaled to ``[0, 1]`` per parameter."""
        return np.asarray(idx, dtype=np.float64) / np.maximum(self.sizes - 1, 1)

    def apply_moves(self, idx: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """New index rows after discrete move codes (indices into :data:`MOVES`)."""
        unit = np.asarray(MOVES, dtype=np.int64)[np.asarray(codes, dtype=np.int64)]
        big = np.abs(unit) == 2
        delta = np.where(big, np.sign(unit) * self.big_steps, unit)
        return self._wrap(np.asarray(idx, dtype=np.int64) + delta)

    def apply_continuous(self, idx: np.ndarray, a: np.ndarray) -> np.ndarray:
        """New index rows after a relaxed move ``a`` in ``[-1, 1]`` (scaled by big steps)."""
        delta = np.rint(np.clip(a, -1.0, 1.0) * self.big_steps).astype(np.int64)
        return self._wrap(np.asarray(idx, dtype=np.int64) + delta)

    def _wrap(self, idx: np.ndarray) -> np.ndarray:
        sizes = self.sizes
        ordered = np.asarray(self.ordered)
        return np.where(ordered, np.clip(idx, 0, sizes - 1), np.mod(idx, sizes))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` uniformly random index rows."""
        return rng.integers(0, self.sizes, size=(n, len(self.names)))


#: Levels given to a continuous float range (and the cap for very fine grids): walkers move on
#: this many evenly spaced positions of the dimension's normalized (log-aware) axis.
RELAXED_LEVELS = 33
MAX_LEVELS = 257


def walk_space(space: Any) -> WalkSpace:
    """The :class:`WalkSpace` of an :class:`accelsmith.dse.space.Space`.

    Int, stepped float and categorical dimensions keep their grid, except that a grid finer
    than ``MAX_LEVELS`` values, and any continuous float range, is sampled at evenly spaced
    normalized positions (``RELAXED_LEVELS``; log ranges stay log-spaced) through
    ``Dimension.denormalize``. Numbers and categorical choices that are all numbers given in
    increasing order are ordered (moves go up and down); other choices cycle.
    """
    names, levels, ordered = [], [], []
    for d in space.varying:
        if d.enumerable and d.size <= MAX_LEVELS:
            vals = [v.item() if isinstance(v, np.generic) else v for v in d.values()]
        else:
            n = RELAXED_LEVELS if not d.enumerable else MAX_LEVELS
            vals = []
            for u in np.linspace(0.0, 1.0, n):
                v = d.denormalize(float(u))
                if not vals or v != vals[-1]:
                    vals.append(v)
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals)
        names.append(d.name)
        levels.append(tuple(vals))
        ordered.append(numeric and all(a < b for a, b in itertools.pairwise(vals)))
    return WalkSpace(
        names=tuple(names),
        levels=tuple(levels),
        ordered=tuple(ordered),
        to_config=space.config,
    )


@dataclass
class BatchOutcome:
    """What the evaluator backend returns for a batch of new configurations.

    Attributes
    ----------
    objectives : ndarray (n, m)
        Objective values, minimization-oriented (maximized ones negated), natural units.
    feasible : ndarray of bool (n,)
    violation : ndarray (n,)
        Relative constraint violation (0 when feasible).
    ok : ndarray of bool (n,)
        False where the cost model rejected the configuration.
    """

    objectives: np.ndarray
    feasible: np.ndarray
    violation: np.ndarray
    ok: np.ndarray


def _log_obj(y: np.ndarray) -> np.ndarray:
    """Monotone log10 of objectives of one sign (cost-model outputs span decades)."""
    y = np.asarray(y, dtype=np.float64)
    tiny = 1e-300
    return np.where(y >= 0, np.log10(np.maximum(y, tiny)), -np.log10(np.maximum(-y, tiny)))


def _config_key(config: dict[str, Any]) -> tuple[Any, ...]:
    """Hashable identity of a full configuration (two index rows that differ only in an
    inactive conditional parameter are the same design; ``16`` and ``16.0`` are equal)."""
    items = []
    for k, v in config.items():
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        items.append((k, (type(v).__name__, v)))
    return tuple(sorted(items))


class Archive:
    """Feasible evaluated designs (minimization-oriented objectives) and their Pareto front."""

    def __init__(self, n_obj: int) -> None:
        self.n_obj = n_obj
        self.front = np.empty((0, n_obj))
        self.front_keys: list[Any] = []
        self.lo = np.full(n_obj, np.inf)
        self.hi = np.full(n_obj, -np.inf)

    def features(self, y: np.ndarray) -> np.ndarray:
        """Objective observation features in [0, 1] (log scale, range of all feasible seen)."""
        ly = _log_obj(np.atleast_2d(y))
        span = np.where(self.hi > self.lo, self.hi - self.lo, 1.0)
        return np.clip((ly - np.where(np.isfinite(self.lo), self.lo, 0.0)) / span, 0.0, 1.0)

    def dominated(self, y: np.ndarray) -> bool:
        f = self.front
        return bool(f.size and np.any(np.all(f <= y, axis=1) & np.any(f < y, axis=1)))

    def hv_gain(self, y: np.ndarray) -> float:
        """Hypervolume the archive front gains by adding ``y`` (normalized, ref 1.1)."""
        import moocore

        f = self.front
        if f.size and np.any(np.all(f <= y, axis=1)):
            return 0.0
        allp = np.vstack([f, y[None, :]])
        lo, hi = allp.min(axis=0), allp.max(axis=0)
        span = np.where(hi > lo, hi - lo, 1.0)
        ref = np.full(self.n_obj, 1.1)
        new = float(moocore.hypervolume((allp - lo) / span, ref=ref))
        old = float(moocore.hypervolume((f - lo) / span, ref=ref)) if f.size else 0.0
        return max(0.0, new - old)

    def chebyshev(self, y: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Weighted Chebyshev value(s) of ``y`` on the archive-front scale (lower is better)."""
        f = self.front
        lo, hi = f.min(axis=0), f.max(axis=0)
        span = np.where(hi > lo, hi - lo, np.maximum(np.abs(hi), 1e-30))
        return np.max(w * (np.atleast_2d(y) - lo) / span, axis=1)

    def add(self, y: np.ndarray, key: Any) -> None:
        ly = _log_obj(y)
        self.lo, self.hi = np.minimum(self.lo, ly), np.maximum(self.hi, ly)
        f = self.front
        if f.size and np.any(np.all(f <= y, axis=1)):
            return
        keep = ~(np.all(y <= f, axis=1) & np.any(y < f, axis=1)) if f.size else np.ones(0, bool)
        self.front = np.vstack([f[keep], y[None, :]])
        self.front_keys = [k for k, m in zip(self.front_keys, keep, strict=True) if m] + [key]


class WalkCore:
    """``n`` walkers on one space, stepping through one batched evaluation per step.

    Parameters
    ----------
    space : WalkSpace
    n_obj : int
        Number of objectives.
    evaluate : callable
        ``evaluate(configs: list[dict]) -> BatchOutcome``: evaluates (and records) new designs.
    budget : int
        Evaluated designs allowed (>= 1).
    n : int
        Number of walkers.
    options : EnvOptions
    seed : int
    """

    def __init__(
        self,
        space: WalkSpace,
        n_obj: int,
        evaluate: Callable[[list[dict[str, Any]]], BatchOutcome],
        *,
        budget: int,
        n: int = 1,
        options: EnvOptions | None = None,
        seed: int = 0,
    ) -> None:
        self.space, self.n_obj, self.n = space, n_obj, n
        self._evaluate = evaluate
        self.budget = budget
        self.options = options or EnvOptions()
        self.rng = np.random.default_rng(seed)
        self.archive = Archive(n_obj)
        self.cache: dict[tuple[Any, ...], tuple[np.ndarray, bool, float, bool]] = {}
        self.rows_of: dict[tuple[Any, ...], np.ndarray] = {}
        self.evaluated = 0
        d = len(space.names)
        self.idx = np.zeros((n, d), dtype=np.int64)
        self.t = np.zeros(n, dtype=np.int64)
        self.known = np.zeros(n, dtype=bool)
        self.y = np.zeros((n, n_obj))
        self.feas = np.zeros(n, dtype=bool)
        self.w = np.full((n, n_obj), 1.0 / n_obj)

    def restart(self, seed: int) -> None:
        """Reseed and forget the archive and the cache (a seeded ``reset`` of the env).

        The evaluation count is kept: the budget is spent for good, and a design evaluated
        before the restart is evaluated (and recorded) again if it is proposed again.
        """
        self.rng = np.random.default_rng(seed)
        self.archive = Archive(self.n_obj)
        self.cache.clear()
        self.rows_of.clear()
        self.known[:] = False
        self.t[:] = 0

    # ------------------------------------------------------------------ observation
    @property
    def obs_dim(self) -> int:
        extra = self.n_obj if self.options.reward == "scalarized" else 0
        return len(self.space.names) + self.n_obj + 4 + extra

    @property
    def exhausted(self) -> bool:
        return self.evaluated >= self.budget

    def observe(self, rows: Sequence[int] | None = None) -> np.ndarray:
        rows = np.arange(self.n) if rows is None else np.asarray(rows)
        u = self.space.normalized(self.idx[rows])
        f = np.where(self.known[rows, None], self.archive.features(self.y[rows]), 0.0)
        dom = np.array(
            [self.known[i] and self.feas[i] and self.archive.dominated(self.y[i]) for i in rows]
        )
        parts = [
            u,
            f,
            self.known[rows, None],
            self.feas[rows, None],
            dom[:, None],
            (self.t[rows] / self.options.episode_length)[:, None],
        ]
        if self.options.reward == "scalarized":
            parts.append(self.w[rows])
        return np.clip(np.hstack(parts), 0.0, 1.0).astype(np.float32)

    # ------------------------------------------------------------------ episodes
    def reset_rows(self, rows: Sequence[int]) -> None:
        """Start new episodes for walkers ``rows`` (no evaluation is spent)."""
        for i in rows:
            keys = self.archive.front_keys
            if keys and self.rng.random() < self.options.front_start:
                key = keys[int(self.rng.integers(len(keys)))]
                self.idx[i] = self.rows_of[key]
                y, feas, _, _ = self.cache[key]
                self.known[i], self.y[i], self.feas[i] = True, y, feas
            else:
                self.idx[i] = self.space.sample(self.rng, 1)[0]
                key = _config_key(self.space.configs(self.idx[i : i + 1])[0])
                hit = self.cache.get(key)
                self.known[i] = hit is not None and hit[3]
                self.y[i] = hit[0] if self.known[i] else 0.0
                self.feas[i] = bool(hit[1]) if self.known[i] else False
            self.t[i] = 0
            if self.options.reward == "scalarized":
                self.w[i] = self.rng.dirichlet(np.ones(self.n_obj))

    # ------------------------------------------------------------------ stepping
    def step_to(self, new_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Move every walker to ``new_idx`` (n x d) and evaluate what is new, in one batch.

        Returns
        -------
        rewards : ndarray (n,)
        truncated : ndarray of bool (n,)
            Episode length reached.
        evaluated : ndarray of bool (n,)
            The walker's design was evaluated in this step (not a revisit, within budget).
        """
        opt = self.options
        new_idx = np.asarray(new_idx, dtype=np.int64)
        configs = self.space.configs(new_idx)
        keys = [_config_key(c) for c in configs]
        fresh: list[int] = []  # walker rows whose design is new (first occurrence only)
        seen: set[tuple[Any, ...]] = set()
        for i, k in enumerate(keys):
            if k not in self.cache and k not in seen:
                seen.add(k)
                fresh.append(i)
        fresh = fresh[: max(0, self.budget - self.evaluated)]
        new_set = {keys[i] for i in fresh}
        if fresh:
            out = self._evaluate([configs[i] for i in fresh])
            self.evaluated += len(fresh)
        rewards = np.zeros(self.n)
        evaluated = np.zeros(self.n, dtype=bool)
        pos = {keys[i]: j for j, i in enumerate(fresh)}
        for i, k in enumerate(keys):
            if k in new_set and k not in self.cache:
                j = pos[k]
                y, feas = out.objectives[j].astype(float), bool(out.feasible[j])
                viol, ok = float(out.violation[j]), bool(out.ok[j])
                self.cache[k] = (y, feas, viol, ok)
                self.rows_of[k] = new_idx[i].copy()
                evaluated[i] = True
                if not ok:
                    rewards[i] = -2.0 * opt.penalty
                elif not feas:
                    rewards[i] = -opt.penalty * (1.0 + min(1.0, viol))
                else:
                    rewards[i] = opt.reward_scale * self._improvement(y, self.w[i])
                    self.archive.add(y, k)
            elif k in self.cache:
                rewards[i] = -opt.revisit_penalty
            # else: beyond the budget -> not evaluated, reward 0 (the run ends)
            hit = self.cache.get(k)
            self.idx[i] = new_idx[i]
            self.known[i] = hit is not None and hit[3]
            self.y[i] = hit[0] if self.known[i] else 0.0
            self.feas[i] = bool(hit[1]) if self.known[i] else False
        self.t += 1
        truncated = self.t >= opt.episode_length
        return rewards, truncated, evaluated

    def _improvement(self, y: np.ndarray, w: np.ndarray) -> float:
        if self.options.reward == "hv":
            return self.archive.hv_gain(y)
        if not self.archive.front.size:
            return 1.0
        best = float(self.archive.chebyshev(self.archive.front, w).min())
        return max(0.0, best - float(self.archive.chebyshev(y, w)[0]))
