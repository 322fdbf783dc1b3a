"""The ``tpe`` explorer's Parzen estimator: Optuna's ``_ParzenEstimator`` with the same
numbers bit for bit and less work per estimator (issue 17; used by
:mod:`accelsmith.dse.explorers.tpe_sampler`, whose docstring says what costs what).
"""

from __future__ import annotations

from typing import Any

__all__ = ["_parzen_class", "_unique_pairs"]


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
    from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator

    class FastParzenEstimator(_ParzenEstimator):
        _terms: list[Any] | None = None

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
            issue 17). The rows and each kernel's row index are kept for :meth:`_prepare`."""
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
            return pd._BatchedCategoricalDistributions(rows[which])

        def _prepare(self) -> list[Any] | None:
            """Per parameter: ("cat", log weights, choices x kernels) or ("num", the
            distribution, unique mu, unique sigma, inverse, normalizer per kernel); None
            when a parameter is continuous. A categorical's log weights are the logs of
            its distinct rows gathered (:meth:`_calculate_categorical_distributions`)."""
            mix = self._mixture_distribution
            kept = self.__dict__.get("_rows", {})
            terms: list[Any] = []
            for name, d in zip(self._search_space, mix.distributions, strict=True):
                if isinstance(d, pd._BatchedCategoricalDistributions):
                    if name in kept:
                        rows, which = kept[name]
                        log_rows = np.ascontiguousarray(np.log(rows).T)
                        terms.append(("cat", np.take(log_rows, which, axis=1)))
                    else:
                        terms.append(("cat", np.ascontiguousarray(np.log(d.weights).T)))
                    continue
                if d.step == 0.0:
                    return None
                mu, sigma, inv = _unique_pairs(d.mu, d.sigma)
                norm = _truncnorm._log_gauss_mass(
                    (d.adapted_low - mu) / sigma, (d.adapted_high - mu) / sigma
                )[inv]
                terms.append(("num", d, mu, sigma, inv, norm))
            terms.append(np.log(mix.weights[np.newaxis]))
            return terms

        def log_pdf(self, samples_dict: dict[str, Any]) -> Any:
            if self._terms is None:
                self._terms = self._prepare() or []
            if not self._terms:
                return super().log_pdf(samples_dict)
            x = self._transform(samples_dict)
            out = np.zeros((len(x), len(self._mixture_distribution.weights)), dtype=np.float64)
            for i, term in enumerate(self._terms[:-1]):
                if term[0] == "cat":
                    # log(w[kernel, choice]) of each candidate's choice: rows of the table
                    out += np.take(term[1], x[:, i].astype(np.int64), axis=0)
                    continue
                _, d, mu, sigma, inv, norm = term
                xu, xinv = np.unique(x[:, i], return_inverse=True)
                half = d.step / 2
                left = np.log(xu - half) if d.is_log else xu - half
                right = np.log(xu + half) if d.is_log else xu + half
                mass = pd._log_gauss_mass_unique(
                    (left[:, np.newaxis] - mu) / sigma, (right[:, np.newaxis] - mu) / sigma
                )
                # mass[np.ix_(xinv, inv)]: the same numbers, gathered rows then columns
                out += np.take(mass[xinv], inv, axis=1)
                out -= norm
            out += self._terms[-1]
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
