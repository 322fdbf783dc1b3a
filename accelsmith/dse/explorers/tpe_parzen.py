"""The ``tpe`` explorer's Parzen estimator: Optuna's ``_ParzenEstimator`` with the same
numbers bit for bit and less work per estimator (issue 17; used by
:mod:`accelsmith.dse.explorers.tpe_sampler`, whose docstring says what costs what).
"""

from __future__ import annotations

from typing import Any

__all__ = ["_GatheredRows", "_kernel_trie", "_parzen_class", "_unique_pairs"]


def _parzen_class() -> type:
    """Optuna's ``_ParzenEstimator`` whose ``log_pdf`` does per estimator what Optuna does
    per call, when every parameter is discrete (categorical, or int/float with a step).

    Optuna 5.0's mixture ``log_pdf`` takes, per categorical parameter, the log of the
    weight of each (candidate, kernel) pair: candidates x kernels logarithms per call, ~2/3
    of the acquisition's time at 2,000 trials. Here the log of each kernel's weights
    (kernels x choices, at most 6 choices on the hard spaces against 24 candidates) is
    taken once per estimator and the candidates' entries gathered from it; the discrete
    kernels' normalizers, the unique (mu, sigma) pairs and the log mixture weights, which
    do not depend on the candidates, are also kept. The terms are added in Optuna's order
    with Optuna's helpers, so every value equals Optuna's bit for bit
    (``tests/dse/test_tpe_sampler.py``). A mixture with a continuous parameter uses
    Optuna's ``log_pdf`` unchanged.
    """
    global _FastParzen
    if _FastParzen is not None:
        return _FastParzen
    import numpy as np
    from optuna.samplers._tpe import _truncnorm
    from optuna.samplers._tpe import probability_distributions as pd
    from optuna.samplers._tpe.parzen_estimator import EPS as _EPS
    from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator

    class FastParzenEstimator(_ParzenEstimator):
        _terms: Any = None

        def _calculate_categorical_distributions(
            self, observations: Any, param_name: str, search_space: Any, parameters: Any
        ) -> Any:
            """Optuna's kernels of a categorical parameter (a row of choice weights per
            observation and one for the prior), with each distinct row computed once: the
            row of an observation depends only on its choice and the number of kernels, so
            the ``choices + 1`` distinct rows are built as Optuna builds every row (the
            prior's share, one added at the choice, divided by the row's sum) and gathered.
            Optuna fills, adds to and normalizes kernels x choices numbers per estimator
            (~14 ms per ask for the two estimators at ~31,000 trials on accel, cProfile,
            issue 17). The rows and each kernel's row index are kept for :meth:`_prepare`,
            and the kernels x choices array is only gathered when something reads it
            (:class:`_GatheredRows`: the "below" estimator's sampling reads the rows of the
            kernels it drew; the "above" estimator's is never read on the fast path)."""
            c = len(search_space.choices)
            if len(observations) == 0:
                return super()._calculate_categorical_distributions(
                    observations, param_name, search_space, parameters
                )
            n_kernels = len(observations) + 1
            rows = np.full((c + 1, c), fill_value=parameters.prior_weight / n_kernels)
            rows[np.arange(c), np.arange(c)] += 1  # row c: the prior's kernel
            row_sums = rows.sum(axis=1, keepdims=True)
            rows /= np.where(row_sums == 0, 1, row_sums)
            which = np.append(observations.astype(int), c)
            self.__dict__.setdefault("_rows", {})[param_name] = (rows, which)
            return pd._BatchedCategoricalDistributions(_GatheredRows(rows, which))

        def _calculate_numerical_distributions(
            self, observations: Any, search_space: Any, parameters: Any
        ) -> Any:
            """Optuna's kernels of a numerical parameter, the same arrays: a kernel per
            observation (mu the observed value, sigma the larger gap to its neighbours in
            sorted order, the domain's ends as outer neighbours, the first and last gaps
            replaced unless ``consider_endpoints``, clipped) and the prior's (the middle,
            the width). Optuna sorts the observations (``np.argsort``; ties keep its order,
            which decides which copy of a value gets a gap) and puts the sigmas back in
            observation order by a second argsort, of the permutation; here the sigmas are
            scattered through the permutation instead, the same array without the second
            sort (~1 ms per parameter and estimator at ~31,000 kernels)."""
            low, high = search_space.low, search_space.high
            step = search_space.step
            if step is not None:
                low, high = low - step / 2, high + step / 2
            if search_space.log:
                observations = np.log(observations)
                low, high = np.log(low), np.log(high)
            n = len(observations)
            order = np.argsort(observations)
            ends = np.empty(n + 2, dtype=float)
            ends[0], ends[-1] = low, high
            ends[1:-1] = observations[order]
            gaps = np.maximum(ends[1:-1] - ends[:-2], ends[2:] - ends[1:-1])
            if not parameters.consider_endpoints and n + 2 >= 4:
                gaps[0] = ends[2] - ends[1]
                gaps[-1] = ends[-2] - ends[-3]
            sigmas = np.empty_like(gaps)
            sigmas[order] = gaps
            if parameters.consider_magic_clip:
                floor = (high - low) / min(100.0, 1.0 + (n + 1))
            else:
                floor = _EPS
            sigmas = np.asarray(np.clip(sigmas, floor, high - low))
            mus = np.append(observations, [0.5 * (low + high)])
            sigmas = np.append(sigmas, [high - low])
            lo, hi = search_space.low, search_space.high
            if step is None:
                cont = (
                    pd._BatchedTruncLogNormDistributions
                    if search_space.log
                    else pd._BatchedTruncNormDistributions
                )
                return cont(mus, sigmas, lo, hi)
            cls = (
                pd._BatchedDiscreteTruncLogNormDistributions
                if search_space.log
                else pd._BatchedDiscreteTruncNormDistributions
            )
            return cls(mus, sigmas, lo, hi, step)

        def _prepare(self) -> tuple[list[Any], list[Any], Any, Any] | None:
            """What :meth:`log_pdf` needs that does not depend on the candidates, or None
            when a parameter is continuous (Optuna's ``log_pdf`` then): per parameter its
            term (("cat", log of the distinct kernel rows) or ("num", the distribution,
            distinct mu, distinct sigma, normalizer per distinct pair)) and each kernel's
            code in it (its row, or its (mu, sigma) pair); the kernels' prefix tree over
            those codes (:func:`_kernel_trie`); the log mixture weights."""
            mix = self._mixture_distribution
            kept = self.__dict__.get("_rows", {})
            terms: list[Any] = []
            codes: list[Any] = []
            radices: list[int] = []
            for name, d in zip(self._search_space, mix.distributions, strict=True):
                if isinstance(d, pd._BatchedCategoricalDistributions):
                    rows, which = kept.get(name, (d.weights, None))
                    terms.append(("cat", np.log(rows)))
                    codes.append(np.arange(len(rows)) if which is None else which)
                    radices.append(len(rows))
                    continue
                if d.step == 0.0:
                    return None
                mu, sigma, inv = _unique_pairs(d.mu, d.sigma)
                norm = _truncnorm._log_gauss_mass(
                    (d.adapted_low - mu) / sigma, (d.adapted_high - mu) / sigma
                )
                terms.append(("num", d, mu, sigma, norm))
                codes.append(inv)
                radices.append(mu.size)
            if not terms:
                return None
            sig, trie = _kernel_trie(np.stack(codes), radices)
            return terms, trie, sig, np.log(mix.weights[np.newaxis])

        def log_pdf(self, samples_dict: dict[str, Any]) -> Any:
            """Optuna's mixture ``log_pdf``, bit for bit, with the per-parameter terms added
            once per distinct prefix of kernel codes instead of once per kernel.

            Optuna adds, for each candidate and kernel, the parameters' log terms in the
            search-space order, then the kernel's log weight. Two kernels with the same
            codes in the first ``j`` parameters have the same partial sum after ``j``
            terms (the same additions of the same numbers), so the sums are carried on the
            prefix tree of the kernels' codes (:func:`_kernel_trie`): a prefix's sum is its
            parent's plus its own term, one addition per (candidate, prefix) instead of
            per (candidate, kernel). At large history most kernels are copies (TPE's
            repeats are told again: ~31,600 kernels, ~10,000 distinct, on accel at 10,000
            designs). The full sums are then gathered per kernel, and the log weights and
            the log-sum-exp done over every kernel as Optuna does them."""
            if self._terms is None:
                self._terms = self._prepare() or []
            if not self._terms:
                return super().log_pdf(samples_dict)
            terms, trie, sig, log_w = self._terms
            x = self._transform(samples_dict)
            acc = np.zeros((len(x), 1), dtype=np.float64)  # the root: Optuna's zeros
            for i, (term, (parent, code)) in enumerate(zip(terms, trie, strict=True)):
                if term[0] == "cat":
                    # table[c, r] = log(w[r, x_c]): row r's log weight of each candidate's choice
                    table = np.take(term[1].T, x[:, i].astype(np.int64), axis=0)
                    acc = np.take(acc, parent, axis=1)
                    acc += np.take(table, code, axis=1)
                    continue
                _, d, mu, sigma, norm = term
                xu, xinv = np.unique(x[:, i], return_inverse=True)
                half = d.step / 2
                left = np.log(xu - half) if d.is_log else xu - half
                right = np.log(xu + half) if d.is_log else xu + half
                mass = pd._log_gauss_mass_unique(
                    (left[:, np.newaxis] - mu) / sigma, (right[:, np.newaxis] - mu) / sigma
                )
                acc = np.take(acc, parent, axis=1)
                acc += np.take(mass[xinv], code, axis=1)
                acc -= norm[code]
            out = np.take(acc, sig, axis=1)  # every kernel's sum, candidates x kernels
            out += log_w
            top = out.max(axis=1)
            top[np.isneginf(top)] = 0
            # log(sum(exp(out - top))) + top, in place (the same operations on the same
            # numbers; no new candidates x kernels arrays)
            out -= top[:, None]
            np.exp(out, out=out)
            with np.errstate(divide="ignore"):
                return np.log(out.sum(axis=1)) + top

    _FastParzen = FastParzenEstimator
    return FastParzenEstimator


_FastParzen: type | None = None


def _unique_pairs(a: Any, b: Any) -> tuple[Any, Any, Any]:
    """Optuna's ``probability_distributions._unique_inverse_2d(a, b)``: the distinct
    ``(a, b)`` pairs in lexicographic order and each element's index among them.

    The pairs are a numerical parameter's kernels' (mu, sigma): few distinct values each (a
    mu is an observed value of a stepped parameter, a sigma one of a few neighbour gaps or
    the clip), so the distinct values of each are sorted (``np.unique``, no argsort) and
    each element found by binary search, and only the integer pair codes are made unique.
    Optuna's two argsorts over the kernels were ~10 ms per ask for the above estimator at
    ~28,000 kernels (accel, load ~12, issue 17). Same arrays, exactly: the distinct values
    are elements of ``a`` and ``b``, and the order is theirs. Values with no single
    representative under ``==`` (NaN, and 0.0 next to -0.0) take Optuna's function."""
    import numpy as np
    from optuna.samplers._tpe import probability_distributions as pd

    if not (np.isfinite(a).all() and np.isfinite(b).all()) or (a == 0).any() or (b == 0).any():
        return pd._unique_inverse_2d(a, b)
    au, bu = np.unique(a), np.unique(b)
    code = np.searchsorted(au, a) * bu.size + np.searchsorted(bu, b)
    cu = np.unique(code)
    return au[cu // bu.size], bu[cu % bu.size], np.searchsorted(cu, code)


class _GatheredRows:
    """``rows[which]`` (a categorical's kernels x choices weights) as Optuna's code reads
    it, gathered only when read: ``weights[kernels, :]`` (the mixture's sampling) gathers
    the rows of those kernels alone; anything else (``np.asarray``, other indexing) reads
    the whole array, gathered once. The same floats either way."""

    __slots__ = ("_full", "rows", "which")

    def __init__(self, rows: Any, which: Any) -> None:
        self.rows, self.which, self._full = rows, which, None

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.which), self.rows.shape[1])

    def __len__(self) -> int:
        return len(self.which)

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        if self._full is None:
            self._full = self.rows[self.which]
        return self._full if dtype is None else self._full.astype(dtype)

    def __getitem__(self, index: Any) -> Any:
        import numpy as np

        if (
            self._full is None
            and isinstance(index, tuple)
            and len(index) == 2
            and isinstance(index[0], np.ndarray)
            and isinstance(index[1], slice)
            and index[1] == slice(None)
        ):
            return self.rows[self.which[index[0]]]
        return np.asarray(self)[index]


#: the largest mixed-radix key :func:`_kernel_trie` builds before renumbering (int64)
KEY_SPAN = 2**62


def _kernel_trie(codes: Any, radices: Any) -> tuple[Any, list[tuple[Any, Any]]]:
    """The prefix tree of the kernels' codes (``codes[j, k]``: kernel ``k``'s code in
    parameter ``j``, ``0 <= codes[j] < radices[j]``).

    Returns ``sig`` (each kernel's distinct code vector, numbered in lexicographic order)
    and per parameter ``j`` a pair ``(parent, code)`` over the distinct prefixes of length
    ``j + 1`` (in lexicographic order): the index of the prefix of length ``j`` it extends
    (0: the empty one) and its last code. The distinct prefixes of length ``j + 1`` of the
    last level are the distinct vectors, so ``sig`` indexes them.

    The vectors are made unique as one integer key per kernel (the codes as digits of a
    mixed-radix number, first parameter first, renumbered by rank whenever the next digit
    would pass :data:`KEY_SPAN`, which keeps the order), one sort of the kernels; the
    prefixes are then runs of the sorted distinct vectors."""
    import numpy as np

    codes = np.asarray(codes, dtype=np.int64)
    n_params = codes.shape[0]
    key = codes[0].copy()
    span = int(radices[0])
    for j in range(1, n_params):
        r = int(radices[j])
        if span * r > KEY_SPAN:
            _, key = np.unique(key, return_inverse=True)
            key = key.astype(np.int64)
            span = int(key.max()) + 1
        key = key * r + codes[j]
        span *= r
    _, first, sig = np.unique(key, return_index=True, return_inverse=True)
    ordered = codes[:, first]  # the distinct vectors in lexicographic order
    n = first.size
    new = np.zeros(n, dtype=bool)
    new[:1] = True
    parent = np.zeros(n, dtype=np.intp)  # each vector's prefix of the level above
    trie = []
    for j in range(n_params):
        new[1:] |= ordered[j, 1:] != ordered[j, :-1]
        starts = np.flatnonzero(new)
        trie.append((parent[starts], ordered[j, starts]))
        parent = np.cumsum(new) - 1
    return sig.reshape(-1), trie
