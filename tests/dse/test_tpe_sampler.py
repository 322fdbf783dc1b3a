"""The TPE sampler's fast paths (issue 17): the same numbers as Optuna's, bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator, _ParzenEstimatorParameters
from optuna.samplers._tpe.sampler import default_weights

from accelsmith.dse.explorers.tpe_sampler import _parzen_class

SPACE = {  # the kinds of the hard spaces: stepped ints (linear, log), categoricals
    "rows": IntDistribution(4, 64, step=4),
    "cols": IntDistribution(8, 128, step=8),
    "group": IntDistribution(2, 6),
    "lanes": IntDistribution(1, 64, log=True),
    "buf": CategoricalDistribution((16, 32, 64, 128, 256, 512)),
    "flow": CategoricalDistribution(("os", "ws")),
    "map": CategoricalDistribution(("systolic", "lut-core", "pim")),
    "bits": FloatDistribution(2.0, 8.0, step=2.0),
}


def _draw(rng, space, n: int) -> dict[str, np.ndarray]:
    """n points in Optuna's internal representation (choice indices for categoricals)."""
    out = {}
    for k, d in space.items():
        if isinstance(d, CategoricalDistribution):
            out[k] = rng.integers(0, len(d.choices), n).astype(float)
        elif d.log:
            out[k] = np.exp(rng.uniform(np.log(d.low), np.log(d.high), n)).round()
        else:
            steps = int((d.high - d.low) / d.step)
            out[k] = d.low + d.step * rng.integers(0, steps + 1, n).astype(float)
    return out


@pytest.mark.parametrize("n", [0, 1, 7, 60, 900, 5000])
@pytest.mark.parametrize("below", [False, True])
def test_the_fast_estimator_gives_optunas_log_densities_bit_for_bit(n: int, below: bool) -> None:
    rng = np.random.default_rng(n)
    params = _ParzenEstimatorParameters(1.0, True, False, default_weights, True)
    obs = _draw(rng, SPACE, n)
    weights = np.ones(n) if below else None  # the multi-objective below estimator's weights
    ours = _parzen_class()(obs, SPACE, params, weights)
    theirs = _ParzenEstimator(obs, SPACE, params, weights)
    assert isinstance(ours, _ParzenEstimator)
    for _ in range(3):  # the estimator's tables are reused across calls
        samples = ours.sample(np.random.RandomState(n), 24)
        # the same draws as Optuna's estimator (categorical rows gathered per drawn kernel)
        want = theirs.sample(np.random.RandomState(n), 24)
        assert all(np.array_equal(samples[k], want[k]) for k in SPACE)
        want = theirs.log_pdf(samples)
        got = ours.log_pdf(samples)
        assert np.isfinite(want).all() and want.shape == (24,)
        assert np.array_equal(got, want)  # not approx: identical floats, so identical choices


@pytest.mark.parametrize("n", [1, 60, 5000])
def test_the_categorical_kernels_built_per_choice_are_optunas_bit_for_bit(n: int) -> None:
    # each categorical's kernel rows built once per choice and gathered: the same weights
    # array as Optuna's, the same log table as the log of Optuna's weights, for 2 to 12
    # choices (choices never observed, too), below (unit weights) and above
    rng = np.random.default_rng(n)
    space = {
        **SPACE,
        "wide": CategoricalDistribution(tuple(range(12))),
        "nine": CategoricalDistribution(tuple(f"c{i}" for i in range(9))),
    }
    obs = _draw(rng, space, n)
    obs["nine"] = np.minimum(obs["nine"], 6.0)  # choices 7 and 8 never observed
    for below in (False, True):
        params = _ParzenEstimatorParameters(1.0 + below, True, False, default_weights, True)
        weights = np.ones(n) if below else None
        ours = _parzen_class()(obs, space, params, weights)
        theirs = _ParzenEstimator(obs, space, params, weights)
        cats = [i for i, d in enumerate(space.values()) if isinstance(d, CategoricalDistribution)]
        space_keys = list(space)
        terms, trie, sig, _ = ours._prepare()
        codes = _kernel_codes(trie, sig)  # each kernel's row of the log table
        assert set(ours._rows) == {space_keys[i] for i in cats}  # the fast path was taken
        for i in cats:
            want = theirs._mixture_distribution.distributions[i].weights
            assert np.array_equal(ours._mixture_distribution.distributions[i].weights, want)
            assert terms[i][0] == "cat" and np.array_equal(terms[i][1][codes[i]], np.log(want))
        samples = theirs.sample(np.random.RandomState(n), 24)
        assert np.array_equal(ours.log_pdf(samples), theirs.log_pdf(samples))


def _kernel_codes(trie, sig) -> np.ndarray:
    """Each kernel's code vector read back from the prefix tree (leaf to root)."""
    node = np.asarray(sig)
    out = []
    for parent, code in reversed(trie):
        out.append(code[node])
        node = parent[node]
    assert not node.any()  # every path ends at the root
    return np.array(out[::-1])


@pytest.mark.parametrize("span", [None, 40, 7])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_kernel_trie_holds_every_kernel_and_each_prefix_once(seed, span, monkeypatch) -> None:
    # kernels' codes with many copies (few distinct vectors, as TPE's repeats give),
    # radices 1 to 40; span: the renumbering of the mixed-radix key forced early
    from accelsmith.dse.explorers import tpe_parzen

    if span is not None:
        monkeypatch.setattr(tpe_parzen, "KEY_SPAN", span)
    rng = np.random.default_rng(seed)
    # 7 parameters; seed 2: 16 of 40 codes, as one number past 2**63 (renumbered on the way)
    radices = [40] * 16 if seed == 2 else [int(r) for r in rng.integers(1, 41, 7)]
    radices[2] = 1  # a parameter with one code (e.g. one choice observed)
    pool = np.array([rng.integers(0, r, 60 + 40 * seed) for r in radices])
    codes = pool[:, rng.integers(0, pool.shape[1], 3000)]
    sig, trie = tpe_parzen._kernel_trie(codes, radices)
    assert np.array_equal(_kernel_codes(trie, sig), codes)  # every kernel's vector
    assert len(trie) == len(radices)
    for j, (parent, code) in enumerate(trie):
        prefixes = [tuple(v) for v in _kernel_codes(trie[: j + 1], np.arange(len(code))).T]
        want = sorted({tuple(v) for v in codes[: j + 1].T})
        assert prefixes == want  # each distinct prefix once, in lexicographic order
        if j:  # a prefix's parent is its own prefix one code shorter
            above = [tuple(v) for v in _kernel_codes(trie[:j], parent).T]
            assert above == [p[:j] for p in prefixes]
    distinct = sorted({tuple(v) for v in codes.T})
    assert len(trie[-1][1]) == len(distinct) < codes.shape[1] // 10  # copies were shared
    assert [distinct[i] for i in sig] == [tuple(v) for v in codes.T]


@pytest.mark.parametrize("span", [None, 5])
@pytest.mark.parametrize(("designs", "n"), [(1, 40), (30, 2000), (400, 9000)])
def test_the_log_densities_on_the_prefix_tree_are_optunas_with_copies(
    designs, n, span, monkeypatch
) -> None:
    # TPE at large history: thousands of kernels, copies of a few hundred designs (repeats
    # told again) told at different positions, so copies carry different weights; the
    # above estimator (Optuna's weight ramp) and the below one: identical floats
    from accelsmith.dse.explorers import tpe_parzen

    if span is not None:
        monkeypatch.setattr(tpe_parzen, "KEY_SPAN", span)
    rng = np.random.default_rng(designs)
    pool = _draw(rng, SPACE, designs)
    pick = rng.integers(0, designs, n)
    obs = {k: v[pick] for k, v in pool.items()}
    for below in (False, True):
        params = _ParzenEstimatorParameters(1.0, True, False, default_weights, True)
        weights = np.ones(n) if below else None
        ours = _parzen_class()(obs, SPACE, params, weights)
        theirs = _ParzenEstimator(obs, SPACE, params, weights)
        _, trie, sig, _ = ours._prepare()
        # kernels of copies share their terms (copies differ by sigma only at the edges of
        # a run of tied values); + 1: the prior's kernel
        assert sig.size == n + 1 and len(trie[-1][1]) < (sig.size // 4 if n > 40 else sig.size)
        for draw in range(3):
            samples = theirs.sample(np.random.RandomState(draw), 24)
            if draw == 2:  # candidates that are observed designs, copies among them
                samples = {k: v[pick[:24] % 5] for k, v in pool.items()}
            want = theirs.log_pdf(samples)
            assert np.isfinite(want).all()
            assert np.array_equal(ours.log_pdf(samples), want)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 40, 3000])
@pytest.mark.parametrize(("clip", "endpoints"), [(True, False), (False, True), (True, True)])
def test_the_numerical_kernels_are_optunas_arrays(n: int, clip: bool, endpoints: bool) -> None:
    # each numerical kernel's (mu, sigma), the prior's, the class and its bounds: Optuna's
    # arrays bit for bit, ties (copies of a value, whose order in the sort decides which copy
    # gets a gap) included; stepped, log, and continuous parameters
    space = {
        **{k: d for k, d in SPACE.items() if not isinstance(d, CategoricalDistribution)},
        "freq": FloatDistribution(0.1, 2.0),
        "vdd": FloatDistribution(0.5, 1.5, log=True),
    }
    rng = np.random.default_rng(n)
    obs = _draw(rng, {k: d for k, d in space.items() if d.step is not None}, n)
    obs["freq"] = rng.choice([0.1, 0.7, 0.70001, 2.0], n)
    obs["vdd"] = rng.choice([0.5, 0.9, 1.5], n)
    params = _ParzenEstimatorParameters(1.0, clip, endpoints, default_weights, True)
    ours = _parzen_class()(obs, space, params)
    theirs = _ParzenEstimator(obs, space, params)
    for a, b in zip(
        ours._mixture_distribution.distributions,
        theirs._mixture_distribution.distributions,
        strict=True,
    ):
        assert type(a) is type(b)
        for x, y in zip(a, b, strict=True):
            assert np.array_equal(x, y) and np.asarray(x).dtype == np.asarray(y).dtype


def test_the_gathered_rows_read_as_optunas_weights_array() -> None:
    # rows[which], read the ways Optuna's code reads a categorical's weights
    from accelsmith.dse.explorers.tpe_parzen import _GatheredRows

    rng = np.random.default_rng(0)
    rows = rng.random((5, 4))
    which = rng.integers(0, 5, 300)
    full = rows[which]
    g = _GatheredRows(rows, which)
    active = rng.integers(0, 300, 24)
    assert np.array_equal(g[active, :], full[active, :]) and g._full is None  # not gathered
    assert g.shape == full.shape and len(g) == 300
    assert np.array_equal(g[np.newaxis], full[np.newaxis])
    assert np.array_equal(np.log(g), np.log(full))
    assert np.array_equal(g[active, 1:], full[active, 1:]) and np.array_equal(g[3], full[3])
    assert np.array_equal(g[active, :], full[active, :])  # from the gathered array now


@pytest.mark.parametrize("kind", ["kernels", "ties", "zero", "nan"])
def test_the_distinct_pairs_are_optunas_unique_inverse_2d(kind: str) -> None:
    # a numerical parameter's (mu, sigma) pairs: few distinct values each, many copies;
    # the same three arrays as Optuna's function (0.0 and NaN: Optuna's function itself)
    from optuna.samplers._tpe import probability_distributions as pd

    from accelsmith.dse.explorers.tpe_parzen import _unique_pairs

    rng = np.random.default_rng(len(kind))
    a = rng.integers(1, 17, 3000) * 4.0
    b = rng.choice([0.61, 4.0, 8.0, 12.0, 0.61 + 1e-12], 3000)
    if kind == "ties":  # one a, sigma alone varies; then one pair
        a[:] = 8.0
        b[:1500] = 4.0
    elif kind == "zero":
        a[::7] = -0.0
        a[1::7] = 0.0
    elif kind == "nan":
        b[5] = np.nan
    want = pd._unique_inverse_2d(a, b)
    got = _unique_pairs(a, b)
    for w, g in zip(want, got, strict=True):
        assert w.shape == g.shape and np.array_equal(w, g, equal_nan=True)
    assert np.array_equal(np.signbit(want[0]), np.signbit(got[0]))


def test_a_continuous_parameter_falls_back_to_optunas_log_pdf() -> None:
    rng = np.random.default_rng(1)
    space = {**SPACE, "freq": FloatDistribution(0.1, 2.0)}
    params = _ParzenEstimatorParameters(1.0, True, False, default_weights, True)
    obs = _draw(rng, SPACE, 50) | {"freq": rng.uniform(0.1, 2.0, 50)}
    ours = _parzen_class()(obs, space, params)
    samples = ours.sample(np.random.RandomState(0), 24)
    want = _ParzenEstimator(obs, space, params).log_pdf(samples)
    assert np.array_equal(ours.log_pdf(samples), want)
    assert ours._terms == []  # the fallback was taken


@pytest.mark.slow
def test_tpe_proposes_what_optunas_tpe_proposes_on_the_coexplore_space(
    tmp_path, monkeypatch
) -> None:
    # 300 trials of the co-exploration campaign (16 parameters, area and power constraints,
    # batch 8, constant liar, repeats told inside batches): every trial's parameters and
    # values equal those of the same explorer driving Optuna's own TPESampler
    import optuna

    from accelsmith.dse.campaign import open_campaign, run_worker
    from accelsmith.dse.explorers import optuna_samplers
    from accelsmith.dse.spec import load_spec

    monkeypatch.chdir(tmp_path)
    base = load_spec(Path(__file__).parents[2] / "examples/campaigns/coexplore-llama3.yaml")

    def run(db: str) -> list:
        spec = base.with_overrides(
            explorer={"name": "tpe", "options": {"batch": 8}},
            budget=300,
            seed=3,
            storage=f"sqlite:///{tmp_path / db}",
        )
        c = open_campaign(spec)
        run_worker(c)
        return [(t.params, t.values) for t in c.study.trials]

    ours = run("ours.db")
    monkeypatch.setattr(optuna_samplers, "_tpe_class", lambda: optuna.samplers.TPESampler)
    theirs = run("optuna.db")
    assert len(ours) == 300 and ours == theirs


def _trials_for_split(seed: int, n: int, infeasible: float) -> list:
    """n finished 3-objective trials on a coarse grid (ties, copies of vectors: the HSSP
    tie-break is exercised), a share of them infeasible with tied scores; in the order a
    study lists them."""
    import optuna

    rng = np.random.default_rng(seed)
    study = optuna.create_study(directions=["minimize", "minimize", "maximize"])
    dist = {"x": IntDistribution(0, 9)}
    for _ in range(n):
        cons = [float(rng.choice([-1.0, 0.0])), float(rng.choice([-2.0, -0.5]))]
        if rng.random() < infeasible:
            cons = [float(rng.choice([0.5, 1.0, 2.0])), float(rng.choice([-1.0, 0.5]))]
        study.add_trial(
            optuna.trial.create_trial(
                params={"x": int(rng.integers(0, 10))},
                distributions=dist,
                values=[float(v) for v in rng.integers(1, 6, 3)],
                system_attrs={"constraints": cons},
            )
        )
    return study, study.get_trials(deepcopy=False)


@pytest.mark.parametrize(
    ("seed", "n", "infeasible"), [(0, 40, 0.0), (1, 300, 0.3), (2, 1200, 0.2), (3, 60, 0.9)]
)
def test_the_array_split_is_optunas_split(seed: int, n: int, infeasible: float) -> None:
    # the below/above split on arrays gives Optuna's _split_trials' lists, trial for trial,
    # and the non-domination levels it keeps across calls give Optuna's rank array,
    # for every n_below (0, the TPE default 10 %, more than the feasible trials, all); a
    # grown list reuses the rows found before, a list with trials inserted (every other
    # trial, then all of them: in batches, trials finish out of number order) is not taken
    # for a grown one
    from optuna.samplers._tpe import sampler as tpe
    from optuna.study._multi_objective import _fast_non_domination_rank

    from accelsmith.dse.explorers.tpe_sampler import _tpe_class

    study, trials = _trials_for_split(seed, n, infeasible)
    sampler = _tpe_class()(seed=0)
    for done in (trials[: n // 2], trials, trials[::2], trials):
        m = len(done)
        for n_below in sorted({0, 1, tpe.default_gamma_multiobjective(m), m // 2, m - 1, m}):
            want_below, want_above = tpe._split_trials(study, done, n_below)
            split = sampler._split(study, done, n_below)
            assert split is not None  # the array path is taken (no pruned trial here)
            below, above = split
            assert [done[i].number for i in below] == [t.number for t in want_below]
            assert [done[i].number for i in above] == [t.number for t in want_above]
        # the levels the split keeps across calls give Optuna's rank array for these trials
        table = sampler._split_table
        rows = table.rows(done, sampler._infeasible_score)
        rows = rows[table.kind[rows] == table.COMPLETE]
        loss = table.values[rows] * [1.0, 1.0, -1.0]
        for n_below in (1, tpe.default_gamma_multiobjective(len(rows)), len(rows)):
            want = _fast_non_domination_rank(loss, n_below=n_below)
            assert np.array_equal(table.levels.ranks(rows, loss, n_below), want)
    assert sampler._split_table.n == n  # each trial read once


@pytest.mark.parametrize("running", [True, False])
def test_the_trial_lists_kept_across_asks_are_optunas_state_filters(running: bool) -> None:
    # trials asked, finished out of order (complete, pruned, failed: a failed one is in
    # neither list), and queued ones (waiting: in neither) started later with smaller
    # numbers: at every step the two lists equal Optuna's state filters of the whole list
    import optuna
    from optuna.trial import TrialState

    from accelsmith.dse.explorers.tpe_sampler import _History

    study = optuna.create_study()
    history = _History()
    rng = np.random.default_rng(0)
    live: list = []
    for _ in range(400):
        r = rng.random()
        if r < 0.1:
            study.enqueue_trial({})
        elif r < 0.55 or not live:
            live.append(study.ask())
        else:
            t = live.pop(int(rng.integers(len(live))))
            end = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)[int(rng.integers(3))]
            study.tell(t, 1.0 if end == TrialState.COMPLETE else None, state=end)
        want_done = study._get_trials(
            deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)
        )
        want_live = study._get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        use_cache = bool(rng.random() < 0.5)  # the cached list or a fresh copy
        done, got_live = history(study._get_trials(deepcopy=False, use_cache=use_cache), running)
        assert [t.number for t in done] == [t.number for t in want_done]
        assert all(a is b for a, b in zip(done, want_done, strict=True))
        assert [t.number for t in got_live] == ([t.number for t in want_live] if running else [])
    trials = study._get_trials(deepcopy=False)
    assert 0 < history.p < len(trials)  # a prefix was reused and unfinished trials remain
    # another study's list (other trial objects, running ones inside the old prefix)
    other = optuna.create_study()
    for _ in range(history.p + 2):
        other.ask()
    done, got_live = history(other._get_trials(deepcopy=False), True)
    assert done == [] and len(got_live) == len(other.trials)
