"""Exact non-domination ranks kept across the asks of the ``tpe`` explorer (issue 17).

Optuna 5's multi-objective TPE split ranks the feasible complete trials at every ask
(``optuna.study._multi_objective._fast_non_domination_rank``): ``np.unique`` of every loss
vector, then front after front peeled off until the fronts hold ``n_below`` distinct
vectors, each peel comparing every remaining vector with every front vector, O(history x
front) per ask. The explorer tells a known design's stored result again when TPE proposes
it, so on the accel space a 10,000-design run holds ~30,000 trials by its end and the rank
was the largest single cost of an ask there (77 ms at 10,000 points, tpe6's
micro-benchmark, session 6).

Trials are only ever added to a study, and the non-domination level of every vector is a
function of the set of vectors, so the levels are kept and updated per added vector instead
(:class:`Levels`): a new vector's level is the first level none of whose members dominates
it (a binary search over the levels: if no member of level ``l`` dominates it, no member of
a deeper level does, since each of those is dominated by a member of level ``l``); it joins
that level, the members it dominates move one level down, the members of the next level
they dominate move down in turn, and so on until nothing moves (the "efficient
non-domination level update" of K. Li, K. Deb, Q. Zhang, S. Kwong, IEEE Trans. Cybernetics
45(10), 2015, for an insertion). :meth:`Levels.ranks` then gives, from the levels, exactly
the array Optuna's function returns for the same ``n_below`` (its ranks of the fronts it
peels, and one rank past them for every other vector); ``tests/dse/test_tpe_rank.py``
compares the two arrays for every ``n_below`` over grown, shuffled and rebuilt sets.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Levels"]


def _dominated(members: np.ndarray, by: np.ndarray) -> np.ndarray:
    """Which rows of ``members`` (k x m) some row of ``by`` (j x m) dominates (<= in every
    objective, < in one; the vectors here are distinct, so <= everywhere and not equal)."""
    le = (by[:, None, :] <= members[None, :, :]).all(axis=2)
    lt = (by[:, None, :] < members[None, :, :]).any(axis=2)
    return (le & lt).any(axis=0)


class Levels:
    """Non-domination levels (0 = the Pareto front) of the distinct loss vectors of a set
    of rows that only grows (rows of the sampler's per-trial table: one row per trial).

    ``uid[row]`` is the distinct vector of an inserted row (-1: not inserted); vectors are
    the same when they compare equal (``0.0 == -0.0``, as ``np.unique`` has it), found by a
    dict of tuples. ``fronts[l]`` holds the distinct vectors of level ``l``."""

    def __init__(self, n_objectives: int) -> None:
        self.m = n_objectives
        self._reset()

    def _reset(self) -> None:
        self.uid = np.full(64, -1, dtype=np.intp)
        self.vec = np.empty((64, self.m), dtype=np.float64)
        self.level = np.empty(64, dtype=np.intp)
        self.n_vec = 0
        self.n_rows = 0
        self.keys: dict[tuple[float, ...], int] = {}
        self.fronts: list[np.ndarray] = []

    def ranks(self, rows: np.ndarray, loss: np.ndarray, n_below: int) -> np.ndarray:
        """Optuna's ``_fast_non_domination_rank(loss, n_below=n_below)`` (no penalty) for the
        distinct ``rows`` whose loss vectors are ``loss`` (same order), ``0 < n_below``.

        Rows inserted before and absent from ``rows`` (the set shrank: another list of
        trials) rebuild the levels from ``rows``; new rows are inserted one by one."""
        rows = np.asarray(rows, dtype=np.intp)
        if rows.size and rows.max() >= self.uid.size:
            grown = np.full(max(2 * self.uid.size, int(rows.max()) + 1), -1, dtype=np.intp)
            grown[: self.uid.size] = self.uid
            self.uid = grown
        have = self.uid[rows] >= 0
        if int(have.sum()) != self.n_rows:
            self._rebuild(rows, loss)
        else:
            for i in np.flatnonzero(~have):
                self._insert_row(int(rows[i]), loss[i])
        if not rows.size:
            return np.array([], dtype=int)
        level = self.level[self.uid[rows]]
        # Optuna peels fronts while it has fewer than min(n_below, distinct) distinct
        # vectors; what is left gets the rank after the last front peeled
        sizes = np.fromiter((f.size for f in self.fronts), dtype=np.intp, count=len(self.fronts))
        need = min(n_below, self.n_vec)
        peeled = int(np.searchsorted(np.cumsum(sizes), need)) + 1
        return np.minimum(level, peeled).astype(int)

    # ------------------------------------------------------------------ building
    def _vector(self, v: np.ndarray) -> tuple[int, bool]:
        """The distinct vector equal to ``v`` (its id, and whether it is new)."""
        key = tuple(v.tolist())
        u = self.keys.get(key)
        if u is not None:
            return u, False
        u = self.n_vec
        if u == len(self.vec):
            self.vec = np.concatenate([self.vec, np.empty_like(self.vec)])
            self.level = np.concatenate([self.level, np.empty_like(self.level)])
        self.vec[u] = v
        self.keys[key] = u
        self.n_vec += 1
        return u, True

    def _insert_row(self, row: int, v: np.ndarray) -> None:
        u, new = self._vector(v)
        self.uid[row] = u
        self.n_rows += 1
        if new:
            self._insert(u)

    def _insert(self, u: int) -> None:
        """Put the new distinct vector ``u`` on its level and move down what it pushes."""
        fronts, vec = self.fronts, self.vec
        p = vec[u][None, :]
        lo, hi = 0, len(fronts)
        while lo < hi:  # first level none of whose members dominates p
            mid = (lo + hi) // 2
            if _dominated(p, vec[fronts[mid]])[0]:
                lo = mid + 1
            else:
                hi = mid
        moving = np.array([u], dtype=np.intp)
        lvl = lo
        while moving.size and lvl < len(fronts):
            members = fronts[lvl]
            down = _dominated(vec[members], vec[moving])
            fronts[lvl] = np.concatenate([members[~down], moving])
            self.level[moving] = lvl
            moving = members[down]
            lvl += 1
        if moving.size:
            fronts.append(moving)
            self.level[moving] = lvl

    def _rebuild(self, rows: np.ndarray, loss: np.ndarray) -> None:
        """Levels of ``rows`` from scratch: the distinct vectors inserted in lexicographic
        order (first objective first), where a vector never dominates one inserted before
        it, so each insertion is the binary search alone (no vector moves; the "efficient
        non-dominated sort" with binary search of X. Zhang, Y. Tian, R. Cheng, Y. Jin, IEEE
        Trans. Evol. Comput. 19(2), 2015)."""
        self._reset()
        top = int(rows.max()) + 1 if rows.size else 0
        self.uid = np.full(max(64, top), -1, dtype=np.intp)
        for r, v in zip(rows.tolist(), loss, strict=True):
            u, _ = self._vector(v)
            self.uid[r] = u
        self.n_rows = int(rows.size)
        vec = self.vec[: self.n_vec]
        for u in np.lexsort(vec.T[::-1]).tolist():
            self._insert(u)

    def check(self) -> None:
        """Assert the invariants (tests): each member of level ``l > 0`` is dominated by a
        member of level ``l - 1`` and by none of its own level."""
        vec = self.vec
        for lvl, members in enumerate(self.fronts):
            assert not _dominated(vec[members], vec[members]).any()
            if lvl:
                assert _dominated(vec[members], vec[self.fronts[lvl - 1]]).all()
