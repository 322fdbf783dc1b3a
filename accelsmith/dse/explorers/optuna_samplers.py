"""Optuna sampler explorers: ``nsga2``, ``nsga3``, ``tpe`` (multivariate), ``gp``, ``random``.

One ask/tell loop (:class:`OptunaExplorer`) serves every sampler. Constraints reach the
samplers through ``constraints_func`` (the ledger's ``constraint_values``, ``<= 0`` satisfied).

Reproducibility: before each trial the sampler is rebuilt with the seed
``seed_for(trial_number)`` (a hash of the campaign seed, explorer and number). Every sampler
here is a pure function of its seed and the finished trials in storage, so a run killed and
resumed proposes exactly the trials of an uninterrupted run with one worker; trials left
RUNNING by a dead worker are finished with the parameters they already had (or that the
same seed gives). Several workers interleave trials nondeterministically, as they must.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from typing import TYPE_CHECKING, Any, ClassVar

from ..ledger import (
    CONSTRAINTS_KEY,
    SAMPLER_SECONDS_KEY,
    create_running_trial,
    set_trial_attrs,
    trial_handle,
)
from ..record import tell_trial
from ..workers import OVERBUDGET_KEY, OWNER_KEY, is_stale, owner_token, rank_in_budget
from .base import Explorer, Option

if TYPE_CHECKING:
    import optuna

__all__ = [
    "GPExplorer",
    "NSGA2Explorer",
    "NSGA3Explorer",
    "OptunaExplorer",
    "RandomExplorer",
    "TPEExplorer",
]

_BATCH = Option((int,), 1, "trials asked before one vectorized evaluation", low=1, high=4096)


def _constraints(trial: optuna.trial.FrozenTrial) -> list[float]:
    return list(trial.user_attrs.get(CONSTRAINTS_KEY, []))


def _ask(study: optuna.Study, owner: dict[str, Any]) -> optuna.Trial:
    """``study.ask()`` with the owner attribute written in the same insert as the trial, so
    that a worker killed at any instant leaves no RUNNING trial without an owner."""
    return create_running_trial(study, {OWNER_KEY: owner})


class OptunaExplorer(Explorer):
    """Ask/tell loop around an Optuna sampler (subclasses implement :meth:`make_sampler`)."""

    options: ClassVar = {"batch": _BATCH}

    def make_sampler(self, seed: int) -> optuna.samplers.BaseSampler:
        raise NotImplementedError

    @property
    def constraints_func(self) -> Any:
        return _constraints if self.ctx.spec.constraints else None

    def _sampler_for(self, number: int) -> optuna.samplers.BaseSampler:
        return self.make_sampler(self.ctx.seed_for(number))

    def run(self) -> None:
        import optuna

        warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
        warnings.filterwarnings("ignore", message=".*constraints_func.*")
        self.recover()
        ctx, study = self.ctx, self.ctx.study
        owner = owner_token()
        pruned = optuna.trial.TrialState.PRUNED
        while not ctx.stop():
            # one storage read per iteration: trial count, budget left, pruned trials
            t0 = time.perf_counter()
            snapshot = study.get_trials(deepcopy=False)
            n_pruned = sum(1 for t in snapshot if t.state == pruned)
            left = ctx.budget - (len(snapshot) - n_pruned)
            if left <= 0:
                break
            asked: list[tuple[optuna.Trial, dict[str, Any], float]] = []
            over = False
            for k in range(min(self.opts["batch"], left)):
                if k:
                    t0 = time.perf_counter()
                study.sampler = self._sampler_for(len(snapshot) + k)
                trial = _ask(study, owner)
                # rank upper bound from the snapshot; ask storage only when it may be over
                # (pruned trials only accumulate, so the exact rank is never larger)
                near = trial.number - n_pruned >= ctx.budget
                if near and rank_in_budget(study, trial.number) >= ctx.budget:
                    set_trial_attrs(study, trial, user={OVERBUDGET_KEY: True})
                    study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                    over = True
                    break
                config = ctx.space.suggest(trial)
                asked.append((trial, config, time.perf_counter() - t0))
            self._finish(asked)
            if over:
                break

    def _finish(self, asked: list[tuple[optuna.Trial, dict[str, Any], float]]) -> None:
        if not asked:
            return
        result = self.ctx.evaluator.evaluate([c for _, c, _ in asked])
        for i, (trial, _, sampler_s) in enumerate(asked):
            extra = {SAMPLER_SECONDS_KEY: sampler_s}
            tell_trial(self.ctx.study, trial, result, i, self.ctx.explorer, extra)
        self.ctx.tick()

    def recover(self) -> int:
        """Finish the RUNNING trials of dead workers (same parameters); returns how many."""
        import optuna

        study = self.ctx.study
        running = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
        stale = [t for t in running if is_stale(t, self.ctx.stale_after)]
        owner = owner_token()
        done = 0
        for ft in sorted(stale, key=lambda t: t.number):
            # several workers resuming at once recover the same stale trials: the first to
            # finish one wins, the others skip it (any step may find it finished)
            with contextlib.suppress(optuna.exceptions.UpdateFinishedTrialError):
                set_trial_attrs(study, ft, system={OWNER_KEY: owner})
                if rank_in_budget(study, ft.number) >= self.ctx.budget:
                    set_trial_attrs(study, ft, user={OVERBUDGET_KEY: True})
                    with contextlib.suppress(RuntimeError, ValueError):
                        study.tell(ft.number, state=optuna.trial.TrialState.PRUNED)
                    continue
                t0 = time.perf_counter()
                study.sampler = self._sampler_for(ft.number)
                trial = trial_handle(study, ft)
                config = self.ctx.space.suggest(trial)
                try:
                    self._finish([(trial, config, time.perf_counter() - t0)])
                    done += 1
                except (RuntimeError, ValueError) as exc:  # another worker finished it first
                    text = str(exc)
                    if not any(w in text for w in ("RUNNING", "finished", "Cannot tell a")):
                        raise
        return done


class NSGA2Explorer(OptunaExplorer):
    """NSGA-II (Deb et al. 2002) with constrained domination, Optuna's ``NSGAIISampler``."""

    name = "nsga2"
    options: ClassVar = {
        "population_size": Option((int,), 50, "individuals per generation", low=2),
        "mutation_prob": Option((float,), None, "per-parameter mutation probability", 0, 1),
        "crossover_prob": Option((float,), 0.9, "crossover probability", 0, 1),
        "swapping_prob": Option((float,), 0.5, "uniform-crossover swap probability", 0, 1),
        "batch": _BATCH,
    }

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
        import optuna

        o = self.opts
        group = self.ctx.space.conditional if o["group"] is None else o["group"]
        return optuna.samplers.TPESampler(
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


class RandomExplorer(OptunaExplorer):
    """Uniform random search (log-uniform on log ranges): the baseline of every comparison."""

    name = "random"
    options: ClassVar = {
        "batch": Option((int,), 16, "trials per vectorized evaluation", low=1, high=4096)
    }

    def make_sampler(self, seed: int) -> optuna.samplers.BaseSampler:
        import optuna

        return optuna.samplers.RandomSampler(seed=seed)
