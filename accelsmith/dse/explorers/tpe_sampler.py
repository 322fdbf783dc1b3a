"""The ``tpe`` explorer's sampler: Optuna's multivariate ``TPESampler`` with the same
proposals and less work per ask (issue 17: sampler time must not blow up with history).

What costs what (cProfile, thread CPU time, the accel and coexplore spaces at 1,000-2,000
trials, batch 8, constant liar) and what is done about it, each keeping Optuna 5.0's
algorithm, its random draws and so its proposals (``tests/dse/test_tpe_sampler.py`` and the
identity tests in ``tests/dse/test_explorers.py`` compare trial for trial):

- the below/above split (non-domination ranks, the HSSP tie-break, infeasibility scores)
  and the "below" Parzen estimator depend on the finished trials only: computed once per
  batch (:meth:`CachedTPE._sample`), the HSSP greedy orders memoized (:class:`_HSSPMemo`),
  the infeasibility score, state and objective values of a finished trial read once into
  arrays (:class:`_SplitTable`), and the split itself done on those arrays
  (:meth:`CachedTPE._split`: Optuna's steps on index arrays instead of Python loops and
  sorts over every trial at every split, which made a 10,000-trial run's asks grow to
  ~0.5 s each at the end);
- the conversion of a finished trial's parameters to the estimator's representation is
  cached (:meth:`CachedTPE._get_internal_repr`);
- the acquisition function (log density of 24 candidates under the below and above
  mixtures, O(candidates x trials x parameters) per ask) takes the logarithm of each
  categorical kernel's weights once per estimator (trials x choices) instead of once per
  candidate (candidates x trials), and the normalizers of the discrete kernels once per
  estimator (:mod:`~accelsmith.dse.explorers.tpe_parzen`): the same floating-point
  operations on the same numbers, so the same values bit for bit.

At large history and batch 1 (the bench's TPE runs: every ask adds a trial, a repeat of a
known design included, so the split and both estimators are rebuilt per ask; accel seed 0
at ~31,600 trials, 138 ms of sampler CPU per ask before, 58 ms after, same proposals;
session 8, load ~10): Optuna's two state filters of the whole trial list per ask are kept
incrementally (:class:`_History`); the HSSP tie-break works on arrays with the split's
distinct-vector ids (:meth:`_HSSPMemo.select`); no per-ask Python list of the above
trials; in the estimator (:mod:`~accelsmith.dse.explorers.tpe_parzen`), a categorical's
kernel rows are built once per choice and gathered, a numerical's distinct (mu, sigma)
pairs found from the sorted distinct values of each.
"""

from __future__ import annotations

from typing import Any

from .tpe_parzen import _parzen_class

__all__ = ["_HSSPMemo", "_parzen_class", "_tpe_class"]


class _HSSPMemo:
    """Optuna 5.0's HSSP tie-break of the multi-objective TPE split
    (``optuna.samplers._tpe.sampler._solve_hssp_with_cache``), same arguments, same result,
    with the greedy orders it computed kept.

    Optuna solves the hypervolume subset selection greedily on the *distinct* loss vectors
    of the tie-breaking rank (``optuna._hypervolume.hssp._solve_hssp``), and a greedy
    selection of ``k`` points is the first ``k`` of a selection of more points (each step
    depends only on the earlier ones). TPE on a discrete space proposes known designs, whose
    stored results are told again: the rank then gains copies of vectors it already holds
    and ``k`` grows by one every ten trials, so most calls re-solve a problem solved before
    (1,000-trial campaign, batch 8: 174 of 316 calls had the distinct vectors and reference
    point of an earlier call; at trials 900..1000 one solve took ~60 ms of CPU on a loaded
    machine). Here a problem is solved once for ``k + HEADROOM`` points and later calls with
    the same distinct vectors and ``k`` up to that take the prefix.
    """

    HEADROOM = 8
    KEEP = 32  # problems remembered (the oldest is forgotten first)

    def __init__(self) -> None:
        self._orders: dict[tuple, Any] = {}

    def __call__(
        self,
        lvals: tuple[float, ...],
        indices: tuple[int, ...],
        subset_size: int,
        reference: tuple[float, ...],
    ) -> Any:
        import numpy as np
        from optuna._hypervolume import hssp

        n, m = len(indices), len(reference)
        loss = np.reshape(lvals, (n, m))
        idx = np.array(indices)
        ref = np.array(reference)
        if subset_size == n:
            return idx
        unique, first = np.unique(loss, return_index=True, axis=0)
        n_unique = first.size
        if n_unique < subset_size:  # every distinct vector and some copies: Optuna's rule
            return hssp._solve_hssp(loss, idx, subset_size, ref)
        if n_unique == subset_size:
            return idx[first]
        return idx[first[self._order(unique, subset_size, ref)]]

    def _order(self, unique: Any, subset_size: int, ref: Any) -> Any:
        """The first ``subset_size`` of the greedy order over the distinct vectors
        ``unique`` (more of them than ``subset_size``), solved once for some headroom."""
        import numpy as np
        from optuna._hypervolume import hssp

        key = (unique.tobytes(), unique.shape, ref.tobytes())
        order = self._orders.get(key)
        if order is None or len(order) < subset_size:
            size = min(len(unique) - 1, subset_size + self.HEADROOM)
            order = hssp._solve_hssp_on_unique_loss_vals(unique, np.arange(len(unique)), size, ref)
            self._orders.pop(key, None)
            self._orders[key] = order
            while len(self._orders) > self.KEEP:
                self._orders.pop(next(iter(self._orders)))
        return order[:subset_size]

    def select(self, loss: Any, idx: Any, uid: Any, subset_size: int, reference: Any) -> Any:
        """What ``self(tuple(loss.ravel()), tuple(idx), subset_size, tuple(reference))``
        returns (same indices, same order), from arrays, with ``uid`` naming each row's
        distinct vector (equal ids exactly for vectors that compare equal, as the split's
        :class:`~accelsmith.dse.explorers.tpe_rank.Levels` keeps them).

        At large history the tied rank holds thousands of copies of few vectors (TPE's
        repeats are told again): the tuples of every coordinate, and ``np.unique`` over rows
        (a sort of structured values, done twice, once by Optuna's solver when the distinct
        vectors are fewer than the subset) were ~38 ms of a ~160 ms ask at ~31,000 trials
        (cProfile, accel seed 0, load ~11). Here the first row of each distinct vector
        comes from an integer ``np.unique`` of ``uid`` (first occurrences, as Optuna's
        stable sort keeps them), put in the lexicographic order of their vectors, which is
        ``np.unique(loss, axis=0)``'s order (the vectors are distinct, so no ties)."""
        import numpy as np

        n = len(idx)
        if subset_size == n:
            return idx
        _, first = np.unique(uid, return_index=True)
        n_unique = first.size
        if n_unique < subset_size:  # every distinct vector, then the first copies
            chosen = np.zeros(n, dtype=bool)
            chosen[first] = True
            chosen[np.flatnonzero(~chosen)[: subset_size - n_unique]] = True
            return idx[chosen]
        first = first[np.lexsort(loss[first].T[::-1])]
        if n_unique == subset_size:
            return idx[first]
        ref = np.asarray(reference, dtype=np.float64)
        return idx[first[self._order(loss[first], subset_size, ref)]]


class _ReprTable:
    """Rows of finished trials' parameters in the TPE estimator's representation (float64),
    one table per search space, grown by doubling; ``index`` maps a trial id to its row
    (-1: the trial lacks a parameter of the space)."""

    def __init__(self, names: tuple[str, ...], dists: tuple[Any, ...]) -> None:
        import numpy as np

        self.names, self.dists = names, dists
        self.index: dict[int, int] = {}
        self.rows = np.empty((64, len(names)), dtype=np.float64)
        self.n = 0

    def add(self, trial_id: int, row: tuple | None) -> int:
        import numpy as np

        if row is None:
            self.index[trial_id] = -1
            return -1
        if self.n == len(self.rows):
            self.rows = np.concatenate([self.rows, np.empty_like(self.rows)])
        self.rows[self.n] = row
        self.index[trial_id] = self.n
        self.n += 1
        return self.n - 1


class _SplitTable:
    """What Optuna's split reads of each finished trial, read once per trial: its kind
    (``COMPLETE`` feasible, ``PRUNED`` feasible, infeasible: Optuna's order of tests), the
    infeasibility score (Optuna's ``_get_infeasible_trial_score``) and the objective values
    (NaN when it has none); ``index`` maps a trial id to its row."""

    COMPLETE, PRUNED, INFEASIBLE = 0, 1, 2

    def __init__(self, n_objectives: int) -> None:
        import numpy as np

        self.index: dict[int, int] = {}
        self.kind = np.empty(64, dtype=np.int8)
        self.score = np.empty(64, dtype=np.float64)
        self.values = np.empty((64, n_objectives), dtype=np.float64)
        self.n = 0
        from .tpe_rank import Levels

        self.levels = Levels(n_objectives)  # of the feasible complete rows' loss vectors

    def rows(self, trials: Any, score: Any) -> Any:
        """Row of each (finished) trial, reading the new ones with ``score``."""
        import numpy as np
        from optuna.trial import TrialState

        index = self.index
        out = np.fromiter(
            (index.get(t._trial_id, -1) for t in trials), dtype=np.intp, count=len(trials)
        )
        for i in np.flatnonzero(out < 0):
            t = trials[i]
            if self.n == len(self.kind):
                self.kind = np.concatenate([self.kind, np.empty_like(self.kind)])
                self.score = np.concatenate([self.score, np.empty_like(self.score)])
                self.values = np.concatenate([self.values, np.empty_like(self.values)])
            r = self.n
            sc = score(t)
            if sc > 0:
                self.kind[r] = self.INFEASIBLE
            elif t.state == TrialState.COMPLETE:
                self.kind[r] = self.COMPLETE
            elif t.state == TrialState.PRUNED:
                self.kind[r] = self.PRUNED
            else:  # pragma: no cover - Optuna asserts the same
                raise AssertionError(f"trial {t.number} is {t.state.name}")
            self.score[r] = sc
            self.values[r] = t.values if t.values is not None else np.nan
            index[t._trial_id] = out[i] = r
            self.n += 1
        return out


class _Prefix:
    """The rows found for the last list of finished trials: a later list that starts with it
    looks up only its new tail. The lists are a study's finished trials in trial-number
    order, and a finished trial stays finished, so a later list whose element at the old
    length - 1 is the old list's last trial starts with the old list (any trial inserted
    before it would have moved it)."""

    def __init__(self) -> None:
        self.last: Any = None
        self.rows: Any = None

    def __call__(self, trials: Any, lookup: Any) -> Any:
        import numpy as np

        rows = self.rows
        p = 0 if rows is None else len(rows)
        if p and len(trials) >= p and trials[p - 1] is self.last:
            rows = np.concatenate([rows, lookup(trials[p:])]) if len(trials) > p else rows
        else:
            rows = lookup(trials)
        self.rows, self.last = rows, (trials[-1] if len(trials) else None)
        return rows


class _History:
    """A study's trials (its whole list, in trial-number order, as ``Study._get_trials``
    returns it without a state filter) split into the finished trials TPE models (complete
    and pruned) and the running ones, with the longest all-finished prefix of the list
    remembered with its complete and pruned trials: a later list whose element at that
    prefix's end is the same trial object starts with the same trials (a finished trial
    stays finished and its object is never replaced; a trial entering the list before it,
    e.g. a waiting one that started, would have moved it), so only its tail is read.

    Optuna filters the whole list by state at every ask, twice (``_sample_relative``'s
    count of finished trials and ``_sample``'s list; ~8 ms each at ~31,000 trials, cProfile
    on accel seed 0, issue 17); here it is a copy of the kept list and a test of the tail
    (at batch 1: the asking trial alone)."""

    def __init__(self) -> None:
        self.last: Any = None
        self.p = 0
        self.done: list[Any] = []

    def __call__(self, trials: list[Any], running: bool) -> tuple[list[Any], list[Any]]:
        """(complete and pruned trials, running trials if ``running`` else []), in order."""
        from optuna.trial import TrialState

        kept = (TrialState.COMPLETE, TrialState.PRUNED)
        p = self.p
        if not (p and len(trials) >= p and trials[p - 1] is self.last):
            p, self.done = 0, []
        prefix = self.done
        tail = trials[p:]
        k = 0
        for t in tail:  # the finished head of the tail joins the prefix
            if not t.state.is_finished():
                break
            if t.state in kept:
                prefix.append(t)
            k += 1
        rest = tail[k:]
        self.p = p + k
        self.last = trials[self.p - 1] if self.p else None
        done = prefix + [t for t in rest if t.state in kept]
        live = [t for t in rest if t.state == TrialState.RUNNING] if running else []
        return done, live


def _tpe_class() -> type:
    """Optuna's ``TPESampler`` with the conversion of finished trials' parameters to the
    estimator's internal representation cached (:class:`_CachedTPE`)."""
    import optuna

    global _CachedTPE
    if _CachedTPE is not None:
        return _CachedTPE

    class CachedTPE(optuna.samplers.TPESampler):
        """``TPESampler`` whose ``_get_internal_repr`` converts each finished trial once.

        Optuna 5.0 converts every trial's parameters (``_get_params`` and
        ``to_internal_repr`` per parameter, in Python) twice per ask: O(trials x parameters)
        per ask, the largest single cost of its sampler at 1,000 trials (about 30 % of the
        TPE explorer's CPU time, cProfile, issue 17). A finished trial's parameters never
        change, so its converted row is kept, keyed by trial id and the search space;
        running trials (the constant liar's) are converted every time as before.
        """

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._repr_cache: dict[tuple[str, ...], _ReprTable] = {}
            self._hssp = _HSSPMemo()
            self._parzen_estimator_cls = _parzen_class()
            self._scores: dict[int, float] = {}
            self._split_table: _SplitTable | None = None
            self._split_study: Any = None
            self._split_prefix = _Prefix()
            self._repr_prefix: dict[int, tuple[_ReprTable, _Prefix]] = {}
            self._given_repr: tuple[list[Any], dict[str, Any]] | None = None
            self._history = _History()
            from optuna.samplers._tpe import sampler as tpe

            self._real_score = tpe._get_infeasible_trial_score  # Optuna's, unpatched

        def _infeasible_score(self, trial: Any) -> float:
            """Optuna's ``_get_infeasible_trial_score`` of a finished trial, computed once.

            Optuna computes it for every trial at every split (parsing the trial's
            constraint system attributes, ~10-20 us per trial in Python: at 2,000 trials
            the largest part of a split, cProfile on the accel space, issue 17); a finished
            trial's constraints never change, so it is kept by trial id."""
            score = self._scores.get(trial._trial_id)
            if score is None:
                score = self._real_score(trial)
                if trial.state.is_finished():
                    self._scores[trial._trial_id] = score
            return score

        def _get_internal_repr(self, trials: Any, search_space: Any, study: Any) -> Any:
            """Optuna's ``_get_internal_repr`` (each trial's parameters in the estimator's
            representation, one array per parameter, trials lacking one left out), with a
            finished trial's row converted once and kept in a float64 table
            (:class:`_ReprTable`): the arrays are gathered from it by index. They hold the
            same numbers as Optuna's (choice indices and stepped values are exact in
            float64); Optuna's arrays of choice indices are int64, which only ever meet
            float64 ones in the estimator (``_ParzenEstimator._transform``)."""
            import numpy as np

            given = self._given_repr
            if given is not None and trials is given[0]:  # gathered by _sample
                return given[1]
            table = self._repr_table(search_space)
            sel: list[int] = []
            extra: list[tuple] = []
            index = table.index
            for trial in trials:
                if trial.state.is_finished():
                    r = index.get(trial._trial_id)
                    if r is None:
                        r = table.add(trial._trial_id, self._row(trial, table, study))
                    if r >= 0:
                        sel.append(r)
                else:  # running (the constant liar's): converted every time
                    row = self._row(trial, table, study)
                    if row is not None:
                        sel.append(-1 - len(extra))
                        extra.append(row)
            rows = table.rows[: table.n]
            if extra:
                sel = [r if r >= 0 else table.n - 1 - r for r in sel]
                rows = np.vstack([rows, np.asarray(extra, dtype=np.float64)])
            out = rows[np.asarray(sel, dtype=np.intp)]
            return {k: out[:, i] for i, k in enumerate(table.names)}

        def _repr_table(self, search_space: Any) -> _ReprTable:
            names = tuple(search_space)
            dists = tuple(search_space.values())
            table = self._repr_cache.get(names)
            if table is None or table.dists != dists:
                table = self._repr_cache[names] = _ReprTable(names, dists)
            return table

        def _repr_of_finished(self, trials: Any, search_space: Any, study: Any) -> Any:
            """The table of :meth:`_get_internal_repr` and each finished trial's row in it
            (-1: the trial lacks a parameter of the space)."""
            import numpy as np

            table = self._repr_table(search_space)
            index = table.index

            def lookup(trials: Any) -> Any:
                out = np.fromiter(
                    (index.get(t._trial_id, -2) for t in trials), dtype=np.intp, count=len(trials)
                )
                for i in np.flatnonzero(out == -2):
                    t = trials[i]
                    out[i] = table.add(t._trial_id, self._row(t, table, study))
                return out

            prefix = self._repr_prefix.get(id(table))
            if prefix is None or prefix[0] is not table:
                prefix = self._repr_prefix[id(table)] = (table, _Prefix())
            return table, prefix[1](trials, lookup)

        def _split(self, study: Any, done: Any, n_below: int) -> Any:
            """Optuna 5.0's ``_split_trials`` of the finished trials ``done`` (in trial-number
            order, as the study lists them), as index arrays into ``done``: the same below
            and above sets in the same (trial-number) order, so the same trials.

            Optuna's steps, on arrays read once per trial (:class:`_SplitTable`): infeasible
            trials (score > 0) apart; the feasible complete trials split by non-domination
            rank (Optuna's ``_fast_non_domination_rank``) with the HSSP tie-break (our memo
            of Optuna's solver); the infeasible ones fill what is left of ``n_below`` by
            score (a stable sort, as Python's ``sorted``). Pruned trials, a single objective
            or no trial: Optuna's own function (returns None)."""
            import numpy as np
            from optuna.samplers._tpe import sampler as tpe
            from optuna.study import StudyDirection
            from optuna.study._multi_objective import _fast_non_domination_rank

            directions = study.directions
            if len(directions) <= 1 or not done:
                return None
            table = self._split_table
            if table is None or self._split_study is not study:
                table = self._split_table = _SplitTable(len(directions))
                self._split_study, self._split_prefix = study, _Prefix()
            rows = self._split_prefix(done, lambda ts: table.rows(ts, self._infeasible_score))
            kind = table.kind[rows]
            if (kind == _SplitTable.PRUNED).any():
                return None
            complete = np.flatnonzero(kind == _SplitTable.COMPLETE)
            infeasible = np.flatnonzero(kind == _SplitTable.INFEASIBLE)
            # _split_complete_trials (multi-objective)
            k = min(n_below, complete.size)
            if k == 0:
                below = complete[:0]
            elif k == complete.size:
                below = complete
            else:
                lvals = table.values[rows[complete]]
                lvals *= [-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in directions]
                uid = None
                if np.isnan(lvals).any():  # pragma: no cover - Optuna fails such trials
                    ranks = _fast_non_domination_rank(lvals, n_below=k)
                else:  # the same array, from levels kept across asks (tpe_rank.py)
                    ranks = table.levels.ranks(rows[complete], lvals, k)
                    uid = table.levels.uid[rows[complete]]
                # Optuna's np.unique(ranks, return_counts=True): the ranks are small
                # non-negative integers, so their counts are a bincount
                counts = np.bincount(ranks)
                uniq = np.flatnonzero(counts)
                last = int(np.max(uniq[np.cumsum(counts[uniq]) <= k], initial=-1))
                idx = np.arange(complete.size)
                sel = idx[ranks <= last]
                if sel.size < k:  # tie-break: hypervolume subset selection
                    tie = ranks == last + 1
                    tied = lvals[tie]
                    ref = tpe._get_reference_point(tied)
                    if uid is None:  # pragma: no cover - with the NaN fallback above
                        chosen = self._hssp(
                            tuple(tied.ravel()), tuple(idx[tie]), k - sel.size, tuple(ref)
                        )
                    else:
                        chosen = self._hssp.select(tied, idx[tie], uid[tie], k - sel.size, ref)
                    sel = np.append(sel, chosen)
                below = complete[sel]
            # _split_infeasible_trials with what is left of n_below
            left = min(max(0, n_below - below.size), infeasible.size)
            order = np.argsort(table.score[rows[infeasible]], kind="stable")
            mask = np.zeros(len(done), dtype=bool)
            mask[below] = True
            mask[infeasible[order[:left]]] = True
            return np.flatnonzero(mask), np.flatnonzero(~mask)

        def _row(self, trial: Any, table: Any, study: Any) -> tuple | None:
            params = self._get_params(trial, study)
            if not all(k in params for k in table.names):
                return None
            return tuple(
                d.to_internal_repr(params[k]) for k, d in zip(table.names, table.dists, strict=True)
            )

        def _sample_relative(self, study: Any, trial: Any, search_space: Any) -> dict[str, Any]:
            """Optuna 5's ``TPESampler._sample_relative`` (random until ``n_startup_trials``
            trials are complete or pruned), counting them with :class:`_History`."""
            if search_space == {}:
                return {}
            done, _ = self._history(study._get_trials(deepcopy=False, use_cache=True), False)
            if len(done) < self._n_startup_trials:
                return {}
            return self._sample(study, trial, search_space)

        def _sample(self, study: Any, trial: Any, search_space: Any) -> dict[str, Any]:
            """Optuna 5.0's ``TPESampler._sample`` (same inputs, same random draws, same
            result), with what depends on the finished trials only kept for the next ask.

            The below/above split of the finished trials (non-domination ranks, the HSSP
            tie-break, the infeasibility scores) and the "below" Parzen estimator change only
            when a trial finishes; running trials (the constant liar's) only ever join the
            "above" group. Within a batch every ask sees the same finished trials, so both
            are computed once per batch instead of once per ask (cProfile, 1,000-trial
            3-objective campaign, batch 8: the split was ~2/3 of the sampler's time, issue
            17). The "above" estimator, which holds the running trials, is built per ask.
            """
            import numpy as np
            from optuna.samplers._tpe import sampler as tpe

            # Optuna's study._get_trials(states=(COMPLETE, PRUNED[, RUNNING]), use_cache=not
            # constant_liar), as the two lists: the same trials in the same order
            trials = study._get_trials(deepcopy=False, use_cache=not self._constant_liar)
            done, live = self._history(trials, self._constant_liar)
            live = [t for t in live if t.number != trial.number]
            if self._gamma is None:
                multi = len(study.directions) > 1
                self._gamma = tpe.default_gamma_multiobjective if multi else tpe.default_gamma
            n_below = self._gamma(len(done))
            # a finished trial stays finished and the study only gains trials, so the
            # number of finished trials names the set (no O(trials) tuple of ids per ask)
            key = (
                len(done),
                n_below,
                tuple(search_space),
                tuple(search_space.values()),
            )
            memo = getattr(self, "_split_memo", None)
            if memo is None or memo[0] is not study or memo[1] != key:
                real_score = self._real_score
                split = self._split(study, done, n_below)
                if split is None:  # Optuna's split, with our HSSP memo and kept scores
                    real_hssp = tpe._solve_hssp_with_cache
                    tpe._solve_hssp_with_cache = self._hssp
                    tpe._get_infeasible_trial_score = self._infeasible_score
                    try:
                        below, above_done = tpe._split_trials(study, done, n_below)
                    finally:
                        tpe._solve_hssp_with_cache = real_hssp
                        tpe._get_infeasible_trial_score = real_score
                    obs_done = self._get_internal_repr(above_done, search_space, study)
                    last = above_done[-1].number if above_done else -1
                    above_of = above_done.copy
                else:
                    # no list of the above trials (O(history) Python per ask at batch 1):
                    # the last one's number, and the list only if a running trial sorts
                    # before it; the below trials are named by their indices
                    below, above_i = split
                    last = done[int(above_i[-1])].number if above_i.size else -1
                    above_of = (lambda d, a: lambda: [d[i] for i in a.tolist()])(done, above_i)
                    # the below and above trials' rows gathered from the table at once
                    # (the trials lacking a parameter of the space left out, as Optuna does)
                    table, rows = self._repr_of_finished(done, search_space, study)
                    obs_done, obs_below = (
                        {k: out[:, i] for i, k in enumerate(table.names)}
                        for r in (rows[above_i], rows[below])
                        for out in (table.rows[r[r >= 0]],)
                    )
                    self._given_repr = (below, obs_below)
                try:
                    mpe_below = self._build_parzen_estimator(
                        study, search_space, below, handle_below=True
                    )
                finally:
                    self._given_repr = None
                memo = (study, key, mpe_below, above_of, last, obs_done)
                self._split_memo = memo
            _, _, mpe_below, above_of, last, obs_done = memo
            if all(t.number > last for t in live):  # running trials sort after the rest
                obs_live = self._get_internal_repr(live, search_space, study)
                obs = {
                    k: (
                        np.concatenate([obs_done[k], obs_live[k]])
                        if len(obs_live[k]) and len(obs_done[k])
                        else (obs_live[k] if len(obs_live[k]) else obs_done[k])
                    )
                    for k in search_space
                }
            else:
                above = sorted(above_of() + live, key=lambda t: t.number)
                obs = self._get_internal_repr(above, search_space, study)
            mpe_above = self._parzen_estimator_cls(
                obs, search_space, self._parzen_estimator_parameters
            )
            samples = mpe_below.sample(self._rng.rng, self._n_ei_candidates)
            acq = self._compute_acquisition_func(samples, mpe_below, mpe_above)
            best = self._compare(samples, acq)
            return {k: d.to_external_repr(best[k]) for k, d in search_space.items()}

    _CachedTPE = CachedTPE
    return CachedTPE


_CachedTPE: type | None = None
