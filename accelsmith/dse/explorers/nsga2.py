"""``nsga2``: NSGA-II (Deb, Pratap, Agarwal, Meyarivan, IEEE TEC 6(2), 2002), one generation
per batch, in numpy.

Why not Optuna's ``NSGAIISampler``
    It works trial by trial (each ask scans the study for its generation and parents: about
    O(n) per trial, 280 trials per CPU second at 3,000 trials on this machine, issue 17).
    Here a whole generation is bred at once, evaluated in one vectorized call and stored in
    one transaction; the operators and defaults are Optuna's, so results are comparable.
Generations
    Generation 0: ``population_size`` uniformly random designs. Generation ``g >= 1``: the
    parents are the elite of the previous parents and generation ``g - 1``: constrained
    non-dominated sorting (a feasible design beats an infeasible one, infeasible ones are
    ordered by total relative violation, Deb 2000) and, on the last front that fits, the
    largest crowding distance. Children: binary tournament (rank, then crowding distance),
    uniform crossover with probability ``crossover_prob`` (each parameter from the second
    parent with probability ``swapping_prob``), then each parameter redrawn uniformly with
    probability ``mutation_prob`` (default ``1 / parameters``), on the space's normalized
    coordinates (:meth:`accelsmith.dse.space.Space.denormalize` snaps them to the grid;
    log ranges stay log-uniform).
Repeated designs
    A child that is a known design (in the ledger, or earlier in the generation) is not
    evaluated: its stored result is already in the selection history, and another child is
    bred in its place (up to ``20 x population_size`` draws per generation; a run whose
    generations bring no new design for ``MISS_FLOOR`` draws stops early).
Ledger and reproducibility
    Each trial stores its generation (system attribute :data:`GENERATION_KEY`). Generation
    ``g`` is drawn from ``seed_for("nsga2", g)``; a resumed run replays the selections from
    the stored generations, so it proposes exactly the trials of an uninterrupted run. Several
    workers breed generations concurrently from what they have seen, each from its slot's
    streams (``seed_for("nsga2", g, "worker", slot)``; see
    :mod:`accelsmith.dse.explorers.base`, "Several workers").
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import numpy as np

from ..ledger import CONFIG_KEY, CONSTRAINTS_KEY, SAMPLER_SECONDS_KEY
from ..ledger_bulk import design_key
from ..record import ledger_rows
from ..workers import owner_token
from . import register_explorer
from .base import Explorer, Option
from .optuna_samplers import MISS_BATCHES, MISS_FLOOR, _exhausted, _salt

__all__ = ["GENERATION_KEY", "NSGA2Explorer", "elite", "tournament_keys"]

GENERATION_KEY = "accelsmith:nsga2:generation"


def _crowding(y: np.ndarray) -> np.ndarray:
    """Crowding distance of each row of ``y`` (one front; boundary points: inf)."""
    n, m = y.shape
    out = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for k in range(m):
        order = np.argsort(y[:, k], kind="stable")
        col = y[order, k]
        span = col[-1] - col[0]
        out[order[0]] = out[order[-1]] = np.inf
        if span > 0:
            out[order[1:-1]] += (col[2:] - col[:-2]) / span
    return out


def tournament_keys(y: np.ndarray, viol: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rank, crowding) of every row: feasible rows by non-dominated rank (0 best), then the
    infeasible ones by increasing violation; crowding within each rank."""
    from ..pareto import pareto_ranks

    n = len(y)
    rank = np.zeros(n, dtype=np.int64)
    crowd = np.zeros(n)
    feas = viol <= 0
    if feas.any():
        r = pareto_ranks(y[feas])
        rank[feas] = r
        base = int(r.max()) + 1
    else:
        base = 0
    inf_idx = np.flatnonzero(~feas)
    if len(inf_idx):
        order = np.argsort(viol[inf_idx], kind="stable")
        rank[inf_idx[order]] = base + np.arange(len(inf_idx))
    for r in np.unique(rank[feas]) if feas.any() else ():
        sel = np.flatnonzero(feas & (rank == r))
        crowd[sel] = _crowding(y[sel])
    crowd[~feas] = np.inf
    return rank, crowd


def elite(y: np.ndarray, viol: np.ndarray, size: int) -> np.ndarray:
    """Indices of the ``size`` survivors (NSGA-II's crowded-comparison truncation)."""
    rank, crowd = tournament_keys(y, viol)
    order = np.lexsort((np.arange(len(y)), -crowd, rank))
    return np.sort(order[:size])


class NSGA2Explorer(Explorer):
    """NSGA-II with constrained domination, one generation per batch (module docstring)."""

    name = "nsga2"
    options: ClassVar = {
        "population_size": Option((int,), 50, "individuals per generation", low=2),
        "mutation_prob": Option((float,), None, "per-parameter mutation probability", 0, 1),
        "crossover_prob": Option((float,), 0.9, "crossover probability", 0, 1),
        "swapping_prob": Option((float,), 0.5, "uniform-crossover swap probability", 0, 1),
    }

    def run(self) -> None:
        ctx = self.ctx
        writer = ctx.ledger
        space = ctx.space
        n_pop = int(self.opts["population_size"])
        d = len(space.varying)
        p_mut = self.opts["mutation_prob"]
        p_mut = 1.0 / max(1, d) if p_mut is None else float(p_mut)
        signs = np.array([1.0 if s == "minimize" else -1.0 for s in ctx.spec.directions])
        owner = owner_token()
        # the population: normalized designs, oriented objectives, violations
        self._pop = (np.empty((0, d)), np.empty((0, len(signs))), np.empty(0))
        gen = self._replay(n_pop)
        misses = 0
        while not ctx.stop() and writer.counted < ctx.budget and not _exhausted(ctx, writer):
            t0 = time.perf_counter()
            gen += 1
            rng = ctx.rng("nsga2", gen, *_salt(writer))
            want = min(n_pop, ctx.budget - writer.counted)
            configs, draws = self._offspring(rng, gen, want, d, p_mut, n_pop)
            spent = (time.perf_counter() - t0) / max(1, len(configs))
            if not configs:
                misses += draws
                if misses >= max(MISS_FLOOR, MISS_BATCHES * n_pop):
                    break
                continue
            misses = 0
            if self._evaluate_generation(configs, gen, spent, owner, n_pop):
                break  # the budget is spent

    def _replay(self, n_pop: int) -> int:
        """Rebuild the population from the stored generations (resume); the last generation."""
        import optuna

        S = optuna.trial.TrialState
        pending: list[Any] = []
        gen = -1
        for t in self.ctx.ledger.read_all():
            g = t.system_attrs.get(GENERATION_KEY)
            if g is None:
                continue
            if g != gen and pending:
                self._select(pending, n_pop)
                pending = []
            gen = max(gen, int(g))
            if t.state == S.COMPLETE and t.values is not None and t.user_attrs.get(CONFIG_KEY):
                pending.append(self._member(t.user_attrs[CONFIG_KEY], t.values, t.user_attrs))
        if pending:
            self._select(pending, n_pop)
        return gen

    def _offspring(
        self, rng: Any, gen: int, want: int, d: int, p_mut: float, n_pop: int
    ) -> tuple[list[dict[str, Any]], int]:
        """Up to ``want`` new designs (none already stored); the configs and the draws made."""
        writer = self.ctx.ledger
        space = self.ctx.space
        names = space.names
        configs, keys = [], set()
        draws = 0
        while len(configs) < want and draws < MISS_BATCHES * n_pop:
            draws += 1
            u = self._child(rng, d, p_mut) if gen and len(self._pop[0]) else rng.random(d)
            config = space.denormalize(u)
            key = design_key(config, names)
            if key in writer.designs or key in keys:
                continue
            keys.add(key)
            configs.append(config)
        return configs, draws

    def _evaluate_generation(
        self, configs: list[dict[str, Any]], gen: int, spent: float, owner: Any, n_pop: int
    ) -> bool:
        """Evaluate, store and select one generation; True once the budget is spent."""
        import optuna

        ctx = self.ctx
        writer = ctx.ledger
        S = optuna.trial.TrialState
        result = ctx.evaluator.evaluate(configs)
        rows = ledger_rows(
            result,
            ctx.space,
            ctx.explorer,
            range(len(configs)),
            extra_user_attrs={SAMPLER_SECONDS_KEY: spent},
            owner=owner,
        )
        for row in rows:
            row.system_attrs[GENERATION_KEY] = gen
        out = writer.write(rows, budget=ctx.budget)
        ctx.tick()
        members = [
            self._member(configs[j], result.values[j], {CONSTRAINTS_KEY: row_cons})
            for j, row_cons in enumerate(result.constraints.tolist())
            if result.errors[j] is None and out.numbers[j] is not None
        ]
        others = [
            self._member(t.user_attrs[CONFIG_KEY], t.values, t.user_attrs)
            for t in out.others
            if t.state == S.COMPLETE and t.values is not None and t.user_attrs.get(CONFIG_KEY)
        ]
        self._select(members + others, n_pop)
        return any(
            n is None and dup is None for n, dup in zip(out.numbers, out.duplicate_of, strict=True)
        )

    # ------------------------------------------------------------------ operators
    def _member(self, config: dict[str, Any], values: Any, attrs: dict[str, Any]) -> tuple:
        signs = np.array([1.0 if s == "minimize" else -1.0 for s in self.ctx.spec.directions])
        cons = np.asarray(attrs.get(CONSTRAINTS_KEY, []), dtype=np.float64)
        viol = float(np.clip(np.nan_to_num(cons, nan=1.0), 0, None).sum()) if cons.size else 0.0
        return (
            self.ctx.space.normalize(config),
            np.asarray(values, dtype=np.float64) * signs,
            viol,
        )

    def _select(self, members: list[tuple], size: int) -> None:
        """Parents of the next generation: the elite of the parents and ``members``."""
        if not members:
            return
        u0, y0, v0 = self._pop
        u = np.vstack([u0, np.array([m[0] for m in members])])
        y = np.vstack([y0, np.array([m[1] for m in members])])
        v = np.concatenate([v0, np.array([m[2] for m in members])])
        keep = elite(y, v, size)
        self._pop = (u[keep], y[keep], v[keep])
        self._keys = tournament_keys(self._pop[1], self._pop[2])

    def _child(self, rng: np.random.Generator, d: int, p_mut: float) -> np.ndarray:
        u, _, _ = self._pop
        rank, crowd = self._keys

        def pick() -> int:
            a, b = rng.integers(len(u), size=2)
            if rank[a] != rank[b]:
                return int(a if rank[a] < rank[b] else b)
            return int(a if crowd[a] >= crowd[b] else b)

        child = u[pick()].copy()
        if rng.random() < self.opts["crossover_prob"]:
            other = u[pick()]
            swap = rng.random(d) < self.opts["swapping_prob"]
            child[swap] = other[swap]
        mutate = rng.random(d) < p_mut
        child[mutate] = rng.random(int(mutate.sum()))
        return child


register_explorer("nsga2", NSGA2Explorer)
