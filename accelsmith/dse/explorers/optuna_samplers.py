"""Optuna sampler explorers: ``nsga2-optuna``, ``nsga3``, ``tpe``, ``gp``; and ``random``.

One batched ask/tell loop (:class:`OptunaExplorer`) serves every Optuna sampler. The sampler
works on an **in-memory mirror** of the ledger study (every stored trial, loaded once and
kept current with the trials of other workers), so asking and telling cost no database
round trip; each batch is evaluated in one vectorized call and stored in one transaction
(:class:`accelsmith.dse.ledger_bulk.LedgerWriter`). Constraints reach the samplers through
``constraints_func`` (the ledger's ``constraint_values``, ``<= 0`` satisfied).

Batches
    ``batch`` trials per batch, aligned on trial numbers (``[k B, (k+1) B)``); NSGA-II/III use
    their population size, so a batch is exactly one generation (a generation is never asked
    before the previous one is told). TPE with ``batch > 1`` uses the constant liar (trials
    of the batch not yet told are seen as running).
Samplers
    One sampler object per run, its random streams reseeded at each batch with
    ``seed_for(k B)`` (its caches, functions of the trials only, are kept: the search space
    and the GA generations are not recomputed from every trial at each batch).
Repeated designs and reproducibility
    See :mod:`accelsmith.dse.explorers.base`: a proposal of a known design is told the stored
    result (in the mirror only), kept as a repeat entry of the study and asked again; every
    trial stores its ask position (:data:`~accelsmith.dse.ledger_bulk.ASK_KEY`), so a resumed
    run rebuilds the mirror in ask order (repeats replayed with their stored results) and
    proposes exactly the trials of an uninterrupted run.

``random`` is not an Optuna sampler here: it draws a whole batch from ``seed_for("random",
start)`` with numpy (uniform, log-uniform on log ranges) and never repeats a design.

Several workers draw from their slot's streams (:func:`_salt`; see
:mod:`accelsmith.dse.explorers.base`, "Several workers").
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..ledger import CONSTRAINTS_KEY, SAMPLER_SECONDS_KEY
from ..ledger_bulk import ASK_KEY, Row, design_key, stored_trial
from ..record import ledger_rows
from ..workers import OWNER_KEY, owner_token
from .base import Explorer, Option
from .tpe_sampler import _HSSPMemo, _tpe_class  # noqa: F401  (_HSSPMemo: re-exported)

if TYPE_CHECKING:
    import optuna

    from ..ledger_bulk import LedgerTrial, LedgerWriter

__all__ = [
    "MISS_BATCHES",
    "MISS_FLOOR",
    "GPExplorer",
    "NSGA2Explorer",
    "NSGA3Explorer",
    "OptunaExplorer",
    "RandomExplorer",
    "TPEExplorer",
]

_BATCH = Option((int,), 1, "trials asked before one vectorized evaluation", low=1, high=4096)
#: consecutive proposals of known designs after which an explorer stops (space exhausted or
#: sampler converged): max(MISS_FLOOR, MISS_BATCHES x batch)
MISS_FLOOR = 200
MISS_BATCHES = 20


def _constraints(trial: optuna.trial.FrozenTrial) -> list[float]:
    return list(trial.user_attrs.get(CONSTRAINTS_KEY, []))


@dataclass
class _Asked:
    trial: Any
    config: dict[str, Any]
    key: str
    sampler_s: float
    dup_of: int | None = None  # number of the stored trial it repeats
    twin: int | None = None  # index of the same design earlier in this batch
    row: Row | None = None


def _salt(writer: LedgerWriter) -> tuple[Any, ...]:
    """Seed keys of this worker's streams: none for worker slot 0 (a single worker, so one
    worker's trials do not depend on the slot machinery), ``("worker", i)`` for slot ``i``
    (:meth:`~accelsmith.dse.ledger_bulk.LedgerWriter.claim_worker`). Workers started together
    hold distinct slots, so they draw distinct proposals from their first batch on."""
    slot = writer.worker
    return () if slot == 0 else ("worker", slot)


def _reseed_in_place(sampler: Any, seed: int) -> bool:
    """Seed every random stream of an Optuna sampler (``_rng`` and its child sampler's);
    False when it has a stream this function does not know (then it is rebuilt)."""
    from optuna.samplers._lazy_random_state import LazyRandomState

    rng = getattr(sampler, "_rng", None)
    if not isinstance(rng, LazyRandomState):
        return False
    rng.rng.seed(seed)
    for name in ("_random_sampler", "_independent_sampler"):
        child = getattr(sampler, name, None)
        if child is not None and not _reseed_in_place(child, seed):
            return False
    return True


def _exhausted(ctx: Any, writer: LedgerWriter) -> bool:
    space = ctx.space
    if not space.enumerable or space.grid_product() > 1_000_000:
        return False
    size = ctx.__dict__.setdefault("_space_size", space.size())
    return len(writer.designs) >= size


class OptunaExplorer(Explorer):
    """Batched ask/tell loop around an Optuna sampler (subclasses implement
    :meth:`make_sampler`)."""

    options: ClassVar = {"batch": _BATCH}

    def make_sampler(self, seed: int) -> optuna.samplers.BaseSampler:
        raise NotImplementedError

    def batch_size(self) -> int:
        return int(self.opts["batch"])

    @property
    def constraints_func(self) -> Any:
        return _constraints if self.ctx.spec.constraints else None

    def _reseed(self, old: Any, seed: int) -> optuna.samplers.BaseSampler:
        """``old`` with its random streams reseeded to ``seed`` (a new sampler if it has none
        we know). Reseeding in place keeps the samplers' caches (search space, GA
        generations), which are functions of the trials only."""
        if old is not None and _reseed_in_place(old, seed):
            return old
        return self.make_sampler(seed)

    # ------------------------------------------------------------------ mirror
    def _mirror(self, writer: LedgerWriter) -> optuna.Study:
        """In-memory study holding the ledger's trials and the stored repeats, in ask order."""
        import optuna

        mem = optuna.create_study(
            directions=self.ctx.spec.directions, sampler=optuna.samplers.RandomSampler(0)
        )
        self._add_to_mirror(mem, writer, writer.read_all(), writer.read_repeats())
        return mem

    def _add_to_mirror(
        self,
        mem: optuna.Study,
        writer: LedgerWriter,
        trials: list[LedgerTrial],
        repeats: list[dict[str, Any]] = (),  # type: ignore[assignment]
    ) -> None:
        import datetime

        import optuna

        S = optuna.trial.TrialState
        now = datetime.datetime.now()
        dists = self.ctx.space.distributions()
        items: list[tuple[int, int, Any]] = [
            (int(t.system_attrs.get(ASK_KEY, t.number)), 0, t) for t in trials
        ]
        items += [(int(r.get("ask", -1)), 1, r) for r in repeats]
        for _, kind, item in sorted(items, key=lambda x: (x[0], x[1])):
            if kind == 0:
                t = item
                changes: dict[str, Any] = {"datetime_complete": t.datetime_complete or now}
                if t.state == S.RUNNING:  # a legacy trial of a dead worker
                    changes.update(state=S.FAIL, values=None)
                ft = t.frozen(**changes)
            else:
                hit = writer.designs.get(item.get("design") or "")
                if hit is None:
                    continue
                _, state, values, cons = hit
                params = dict(item.get("params", {}))
                ft = optuna.trial.FrozenTrial(
                    number=-1,
                    state=state,
                    value=None,
                    values=values if state == S.COMPLETE else None,
                    datetime_start=now,
                    datetime_complete=now,
                    params=params,
                    distributions={k: dists[k] for k in params if k in dists},
                    user_attrs={CONSTRAINTS_KEY: cons},
                    system_attrs=dict(item.get("system", {})),
                    intermediate_values={},
                    trial_id=-1,
                )
            mem.add_trial(ft)
            self._asks += 1

    @staticmethod
    def _tell(mem: optuna.Study, trial: Any, state: Any, values: Any, cons: list[float]) -> None:
        import optuna

        trial.set_user_attr(CONSTRAINTS_KEY, cons)
        if state == optuna.trial.TrialState.COMPLETE:
            mem.tell(trial, list(values))
        else:
            mem.tell(trial, state=optuna.trial.TrialState.FAIL)

    # ------------------------------------------------------------------ loop
    def run(self) -> None:
        import optuna

        warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
        warnings.filterwarnings("ignore", message=".*constraints_func.*")
        ctx = self.ctx
        writer = ctx.ledger
        self._asks = 0
        mem = self._mirror(writer)
        owner = owner_token()
        B = self.batch_size()
        names = ctx.space.names
        S = optuna.trial.TrialState
        sampler = None
        misses = 0
        while not ctx.stop() and writer.counted < ctx.budget and not _exhausted(ctx, writer):
            start = self._asks
            sampler = self._reseed(sampler, ctx.seed_for(start, *_salt(writer)))
            mem.sampler = sampler
            asked: list[_Asked] = []
            first: dict[str, int] = {}
            for _ in range((start // B + 1) * B - start):
                t0 = time.perf_counter()
                trial = mem.ask()
                config = ctx.space.suggest(trial)
                a = _Asked(trial, config, design_key(config, names), time.perf_counter() - t0)
                hit = writer.designs.get(a.key)
                if hit is not None:  # told the stored result, asked again
                    a.dup_of = hit[0]
                    self._tell(mem, trial, hit[1], hit[2], hit[3])
                elif a.key in first:
                    a.twin = first[a.key]
                else:
                    first[a.key] = len(asked)
                asked.append(a)
            self._asks += len(asked)
            fresh = [a for a in asked if a.dup_of is None and a.twin is None]
            if fresh:
                result = ctx.evaluator.evaluate([a.config for a in fresh])
                rows = ledger_rows(result, ctx.space, ctx.explorer, range(len(fresh)), owner=owner)
                for j, (a, row) in enumerate(zip(fresh, rows, strict=True)):
                    a.row = row
                    ok = result.errors[j] is None
                    cons = result.constraints[j].tolist() if ok else []
                    self._tell(mem, a.trial, S.COMPLETE if ok else S.FAIL, row.values, cons)
            for a in asked:
                if a.twin is not None:
                    src = asked[a.twin].row
                    assert src is not None
                    cons = src.user_attrs.get(CONSTRAINTS_KEY, [])
                    self._tell(mem, a.trial, src.state, src.values, cons)
            repeats: list[dict[str, Any]] = []
            out = writer.write(
                [self._row(a, asked, owner) for a in asked], budget=ctx.budget, repeats=repeats
            )
            if out.others:
                self._add_to_mirror(mem, writer, out.others)
            ctx.tick()
            new = sum(1 for n in out.numbers if n is not None)
            misses = 0 if new else misses + len(asked)
            over = any(
                n is None and d is None for n, d in zip(out.numbers, out.duplicate_of, strict=True)
            )
            if over or misses >= max(MISS_FLOOR, MISS_BATCHES * B):
                break

    def _row(self, a: _Asked, asked: list[_Asked], owner: dict[str, Any]) -> Row:
        """The ledger row of an asked trial (a known design's row is dropped by the writer
        and kept as a repeat entry)."""
        frozen = stored_trial(a.trial)
        sysattrs = {**frozen.system_attrs, OWNER_KEY: owner, ASK_KEY: frozen.number}
        src = a.row if a.twin is None else asked[a.twin].row
        if a.dup_of is not None or src is None:
            return Row(
                state=frozen.state,
                params=frozen.params,
                distributions=frozen.distributions,
                system_attrs=sysattrs,
                design=a.key,
            )
        return Row(
            state=src.state,
            params=frozen.params,
            distributions=frozen.distributions,
            values=src.values,
            user_attrs={**src.user_attrs, SAMPLER_SECONDS_KEY: a.sampler_s},
            system_attrs={**src.system_attrs, **sysattrs},
            design=a.key,
            datetime_start=frozen.datetime_start,
            datetime_complete=frozen.datetime_complete,
        )


class NSGA2Explorer(OptunaExplorer):
    """NSGA-II (Deb et al. 2002) with constrained domination, Optuna's ``NSGAIISampler``
    (``nsga2-optuna``: the reference for :mod:`accelsmith.dse.explorers.nsga2`, which breeds
    a whole generation at once and is about 10x faster per trial)."""

    name = "nsga2-optuna"
    options: ClassVar = {
        "population_size": Option((int,), 50, "individuals per generation", low=2),
        "mutation_prob": Option((float,), None, "per-parameter mutation probability", 0, 1),
        "crossover_prob": Option((float,), 0.9, "crossover probability", 0, 1),
        "swapping_prob": Option((float,), 0.5, "uniform-crossover swap probability", 0, 1),
        "batch": _BATCH,
    }

    def batch_size(self) -> int:
        return int(self.opts["population_size"])

    def make_sampler(self, seed: int) -> optuna.samplers.BaseSampler:
        import optuna

        o = self.opts
        return optuna.samplers.NSGAIISampler(
            population_size=o["population_size"],
            mutation_prob=o["mutation_prob"],
            crossover_prob=o["crossover_prob"],
            swapping_prob=o["swapping_prob"],
            seed=seed,
            constraints_func=self.constraints_func,
        )


class NSGA3Explorer(OptunaExplorer):
    """NSGA-III (Deb and Jain 2014; reference-point niching), Optuna's ``NSGAIIISampler``."""

    name = "nsga3"
    options: ClassVar = {
        "population_size": Option((int,), 50, "individuals per generation", low=2),
        "dividing_parameter": Option((int,), 3, "reference-point divisions per axis", low=1),
        "mutation_prob": Option((float,), None, "per-parameter mutation probability", 0, 1),
        "crossover_prob": Option((float,), 0.9, "crossover probability", 0, 1),
        "swapping_prob": Option((float,), 0.5, "uniform-crossover swap probability", 0, 1),
        "batch": _BATCH,
    }

    def batch_size(self) -> int:
        return int(self.opts["population_size"])

    def make_sampler(self, seed: int) -> optuna.samplers.BaseSampler:
        import optuna

        o = self.opts
        return optuna.samplers.NSGAIIISampler(
            population_size=o["population_size"],
            dividing_parameter=o["dividing_parameter"],
            mutation_prob=o["mutation_prob"],
            crossover_prob=o["crossover_prob"],
            swapping_prob=o["swapping_prob"],
            seed=seed,
            constraints_func=self.constraints_func,
        )


class TPEExplorer(OptunaExplorer):
    """Multi-objective TPE (Ozaki et al. 2020), multivariate by default."""

    name = "tpe"
    options: ClassVar = {
        "n_startup_trials": Option((int,), 10, "random trials before the model", low=0),
        "n_ei_candidates": Option((int,), 24, "candidates per proposal", low=1),
        "multivariate": Option((bool,), True, "joint density over parameters"),
        "group": Option((bool,), None, "decompose conditional spaces (default: if any)"),
        "constant_liar": Option((bool,), True, "avoid duplicate proposals across workers"),
        "batch": _BATCH,
    }

    def make_sampler(self, seed: int) -> optuna.samplers.BaseSampler:
        o = self.opts
        group = self.ctx.space.conditional if o["group"] is None else o["group"]
        return _tpe_class()(
            n_startup_trials=o["n_startup_trials"],
            n_ei_candidates=o["n_ei_candidates"],
            multivariate=o["multivariate"],
            group=group and o["multivariate"],
            constant_liar=o["constant_liar"],
            seed=seed,
            constraints_func=self.constraints_func,
        )


class GPExplorer(OptunaExplorer):
    """Gaussian-process Bayesian optimization (log EHVI for several objectives)."""

    name = "gp"
    options: ClassVar = {
        "n_startup_trials": Option((int,), 10, "random trials before the model", low=0),
        "deterministic_objective": Option((bool,), True, "noise-free objectives (models are)"),
        "batch": _BATCH,
    }

    def make_sampler(self, seed: int) -> optuna.samplers.BaseSampler:
        import optuna

        o = self.opts
        return optuna.samplers.GPSampler(
            n_startup_trials=o["n_startup_trials"],
            deterministic_objective=o["deterministic_objective"],
            seed=seed,
            constraints_func=self.constraints_func,
            warn_independent_sampling=False,
        )


class RandomExplorer(Explorer):
    """Uniform random search (log-uniform on log ranges): the baseline of every comparison.

    Batches of ``batch`` designs drawn with numpy from ``seed_for("random", start, attempt)``
    (``start`` the stored trial count, ``attempt`` the number of earlier draws at that count);
    designs already in the ledger, or twice in a batch, are drawn again, never evaluated.
    A batch ends at the next multiple of ``batch`` stored trials, so that one worker's
    batches are the same whether or not it was interrupted; once other workers' trials
    arrive (several workers: not reproducible anyway) every batch is ``batch`` designs, so the
    batches do not shrink to the gaps the others leave, or more while the workers queue for
    the study lock on a server database (``LedgerWriter.batch_size``). Proposals do not
    depend on the stored history and a known design is only drawn again, never told, so
    the ledger reads only which designs are stored (``LedgerWriter.history`` and
    ``results``).
    """

    name = "random"
    history = False
    results = False
    options: ClassVar = {
        "batch": Option((int,), 256, "designs per vectorized evaluation", low=1, high=65536)
    }

    def run(self) -> None:
        ctx = self.ctx
        writer = ctx.ledger
        owner = owner_token()
        B = int(self.opts["batch"])
        names = ctx.space.names
        d = len(ctx.space.varying)
        last, attempt, misses = -1, 0, 0
        while not ctx.stop() and writer.counted < ctx.budget and not _exhausted(ctx, writer):
            t0 = time.perf_counter()
            start = writer.total
            attempt = attempt + 1 if start == last else 0
            last = start
            rng = ctx.rng("random", start, attempt, *_salt(writer))
            if writer.others_seen:
                n = writer.batch_size(B, ctx.budget - writer.counted)
            else:
                n = (start // B + 1) * B - start
            u = rng.random((n, d))
            configs, seen = [], set()
            for row in u:
                config = ctx.space.denormalize(row)
                key = design_key(config, names)
                if key in writer.designs or key in seen:
                    continue
                seen.add(key)
                configs.append(config)
            configs = configs[: ctx.budget - writer.counted]
            spent = (time.perf_counter() - t0) / max(1, n)
            if configs:
                result = ctx.evaluator.evaluate(configs)
                rows = ledger_rows(
                    result,
                    ctx.space,
                    ctx.explorer,
                    range(len(configs)),
                    extra_user_attrs={SAMPLER_SECONDS_KEY: spent},
                    owner=owner,
                )
                out = writer.write(rows, budget=ctx.budget)
                ctx.tick()
                new = sum(1 for x in out.numbers if x is not None)
            else:
                new = 0
            misses = 0 if new else misses + n
            if misses >= max(MISS_FLOOR, MISS_BATCHES * B):
                break
