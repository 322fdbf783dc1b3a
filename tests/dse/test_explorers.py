"""Every explorer on a 64-point space: budget, ledger contents, seeds, constraints, failures."""

from __future__ import annotations

import numpy as np
import optuna
import pytest

from accelsmith.core.errors import ConfigError
from accelsmith.dse import ledger
from accelsmith.dse.campaign import open_campaign, run_worker
from accelsmith.dse.evaluator import Evaluator
from accelsmith.dse.explorers import explorer_names, get_explorer
from accelsmith.dse.explorers.exhaustive import ExhaustiveExplorer
from accelsmith.dse.pareto import nondominated_mask
from accelsmith.dse.spec import parse_spec

from .dse_helpers import tiny_spec_dict

OPTUNA = ["nsga2", "nsga2-optuna", "nsga3", "tpe", "gp", "random"]
OPTIONS = {
    "nsga2": {"population_size": 6},
    "nsga2-optuna": {"population_size": 6},
    "nsga3": {"population_size": 6},
    "tpe": {"n_startup_trials": 3},
    "gp": {"n_startup_trials": 3},
    "random": {},
}


def _run(tmp_path, explorer: str, budget: int = 12, seed: int = 0, **changes) -> optuna.Study:
    spec = parse_spec(
        tiny_spec_dict(
            explorer={"name": explorer, "options": OPTIONS.get(explorer, {})},
            budget=budget,
            seed=seed,
            storage=f"sqlite:///{tmp_path / 'study.db'}",
            **changes,
        )
    )
    c = open_campaign(spec)
    run_worker(c)
    return c.study


def test_builtin_explorers_are_registered() -> None:
    assert {*OPTUNA, "exhaustive"} <= set(explorer_names())
    assert get_explorer("exhaustive").exact and not get_explorer("tpe").exact


@pytest.mark.parametrize("explorer", OPTUNA)
def test_optuna_explorer_fills_the_budget_with_ledger_trials(
    tmp_path, monkeypatch, explorer: str
) -> None:
    monkeypatch.chdir(tmp_path)
    n = 5 if explorer == "gp" else 12  # GP fits a model per trial: keep it short
    study = _run(tmp_path, explorer, budget=n, constraints=["area_mm2 <= 0.9"])
    trials = study.get_trials()
    assert [t.number for t in trials] == list(range(n))
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    info = ledger.study_info(study)
    assert info["explorer"] == explorer and info["campaign"] == "tiny"
    assert info["objectives"] == [
        ["latency_s", "minimize"],
        ["energy_j", "minimize"],
        ["area_um2", "minimize"],
    ]
    for t in trials:
        ua = t.user_attrs
        assert ua[ledger.EXPLORER_KEY] == explorer
        m = ua[ledger.METRICS_KEY]
        assert t.values == [m["latency_s"], m["energy_j"], m["area_um2"]]
        assert ua[ledger.CONSTRAINTS_KEY] == [pytest.approx((m["area_mm2"] - 0.9) / 0.9)]
        assert ua[ledger.FEASIBLE_KEY] == (m["area_mm2"] <= 0.9)
        assert t.system_attrs["constraints"] == ua[ledger.CONSTRAINTS_KEY]
        assert ua[ledger.CONFIG_KEY]["filter_kb"] == 64  # fixed parameters are in the config
        assert set(t.params) == {"rows", "cols", "dataflow", "ifmap_kb"}
    frame = ledger.trials_frame(study)
    assert len(frame) == n and {"latency_s", "rows", "constraint_0"} <= set(frame.columns)


@pytest.mark.parametrize("explorer", ["random", "tpe", "nsga2", "nsga2-optuna"])
def test_same_seed_same_trials(tmp_path, monkeypatch, explorer: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "c").mkdir()
    a = [t.params for t in _run(tmp_path / "a", explorer, budget=7).trials]
    b = [t.params for t in _run(tmp_path / "b", explorer, budget=7).trials]
    c = [t.params for t in _run(tmp_path / "c", explorer, budget=7, seed=1).trials]
    assert a == b
    assert a != c


def _brute_front(spec) -> set[tuple]:
    ev = Evaluator(spec)
    grid = next(spec.build_space().grid_batches(10_000))
    res = ev.evaluate(grid)
    vals = np.where(res.feasible[:, None], res.values, np.nan)
    mask = nondominated_mask(vals, spec.directions)
    return {tuple(sorted(res.config(i).items())) for i in np.flatnonzero(mask)}


def test_exhaustive_stores_exactly_the_front(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    study = _run(tmp_path, "exhaustive", constraints=["area_mm2 <= 0.9"])
    info = ledger.study_info(study)
    assert info["points_evaluated"] == 64 and info["complete"] is True
    assert 0 < info["points_feasible"] < 64
    stored = {tuple(sorted(t.user_attrs["config"].items())) for t in study.trials}
    spec = parse_spec(tiny_spec_dict(constraints=["area_mm2 <= 0.9"]))
    assert stored == _brute_front(spec)
    assert all(t.user_attrs["feasible"] for t in study.trials)


def test_exhaustive_small_batches_give_the_same_front(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    spec = parse_spec(
        tiny_spec_dict(
            explorer={"name": "exhaustive", "options": {"batch_size": 7}},
            storage=f"sqlite:///{tmp_path / 's.db'}",
        )
    )
    c = open_campaign(spec)
    run_worker(c)
    stored = {tuple(sorted(t.user_attrs["config"].items())) for t in c.study.trials}
    assert stored == _brute_front(spec)


def test_exhaustive_refuses_large_or_continuous_spaces(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(
        ConfigError,
        match=r"the space has 64 points; exhaustive search is limited to 10 points",
    ):
        spec = parse_spec(
            tiny_spec_dict(
                explorer={"name": "exhaustive", "options": {"max_points": 10}},
                storage=f"sqlite:///{tmp_path / 's.db'}",
            )
        )
        run_worker(open_campaign(spec))
    space = dict(tiny_spec_dict()["space"], freq_mhz={"low": 500.0, "high": 1000.0})
    spec = parse_spec(
        tiny_spec_dict(space=space, explorer="exhaustive", storage=f"sqlite:///{tmp_path / 't.db'}")
    )
    with pytest.raises(ConfigError, match="the space has continuous"):
        run_worker(open_campaign(spec))


def test_invalid_configurations_become_failed_trials(tmp_path, monkeypatch) -> None:
    # dataflow 'is' has no RTL generator: the model refuses those rows, the campaign goes on.
    # (`dse run` refuses such a spec up front, see test_spec_model_checks.py; the early check
    # is bypassed here to exercise rows refused while the campaign runs.)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("accelsmith.dse.validate.probe", lambda *args, **kwargs: None)
    monkeypatch.setattr("accelsmith.dse.campaign.probe", lambda *args, **kwargs: None)
    space = dict(tiny_spec_dict()["space"], dataflow={"choices": ["os", "is"]})
    study = _run(tmp_path, "random", budget=16, space=space)
    failed = [t for t in study.trials if t.state == optuna.trial.TrialState.FAIL]
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(study.trials) == 16 and failed and done
    assert all(t.params["dataflow"] == "is" for t in failed)
    assert all(t.params["dataflow"] == "os" for t in done)
    assert "dataflow 'is' has no RTL generator" in failed[0].user_attrs["error"]
    assert failed[0].user_attrs["feasible"] is False
    assert len(ledger.trials_frame(study, include_failed=True)) == 16


def test_evaluator_isolates_bad_rows_and_weights_workloads() -> None:
    spec = parse_spec(tiny_spec_dict())
    ev = Evaluator(spec)
    rows = [
        {"rows": 4, "cols": 4, "dataflow": "os"},
        {"rows": 4, "cols": 4, "dataflow": "is"},
        {"rows": 999, "cols": 4, "dataflow": "os"},
        {"rows": 8, "cols": 8, "dataflow": "ws"},
    ]
    res = ev.evaluate(rows)
    assert res.ok.tolist() == [True, False, False, True]
    assert "config: rows must be an integer in 1..256, not 999" in res.errors[2]
    single = ev.evaluate(rows[:1])
    assert res.values[0] == pytest.approx(single.values[0])
    # a 1:3 mix of the same workload twice equals that workload
    mix = parse_spec(tiny_spec_dict(workload=[spec.workload[0].source] * 2))
    mixed = Evaluator(mix).evaluate(rows[:1])
    assert mixed.values[0] == pytest.approx(single.values[0])
    assert mixed.row_metrics(0)["tops_per_w"] == pytest.approx(single.row_metrics(0)["tops_per_w"])


def test_unknown_objective_metric_is_refused_before_running(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    spec = parse_spec(
        tiny_spec_dict(
            objectives={"latency_s": "minimize", "joules": "minimize"},
            storage=f"sqlite:///{tmp_path / 's.db'}",
        )
    )
    with pytest.raises(ConfigError, match=r"^objectives.joules: not a numeric output of"):
        run_worker(open_campaign(spec))


def test_exhaustive_default_space_is_refused_nowhere_near_its_limit() -> None:
    assert ExhaustiveExplorer.check_options({})["max_points"] >= 256_000


@pytest.mark.parametrize("explorer", ["random", "nsga2", "tpe"])
def test_no_design_is_stored_twice_and_an_exhausted_space_stops(
    tmp_path, monkeypatch, explorer: str
) -> None:
    # budget 100 on the 64-point space: every design at most once, then the explorer stops
    monkeypatch.chdir(tmp_path)
    study = _run(tmp_path, explorer, budget=100)
    configs = [tuple(sorted(t.params.items())) for t in study.trials]
    assert len(configs) == len(set(configs))
    # random and TPE reach every design; NSGA-II converges and stops when its children keep
    # repeating known designs (the miss limit), short of the last few
    assert len(configs) == 64 if explorer != "nsga2" else 48 <= len(configs) <= 64
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    keys = [t.user_attrs["design"] for t in study.trials]
    assert len(set(keys)) == len(configs)


def test_repeated_proposals_are_kept_out_of_the_trials_and_replayed(tmp_path, monkeypatch) -> None:
    # TPE on 64 points proposes known designs: told the stored result, kept as repeat entries
    # (study system attributes), never as trials; a resumed run equals an uninterrupted one
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    full = _run(tmp_path / "a", "tpe", budget=30)
    from accelsmith.dse.ledger_bulk import LedgerWriter

    repeats = LedgerWriter(full, ["rows", "cols", "dataflow", "ifmap_kb"]).read_repeats()
    assert repeats, "TPE on a 64-point space repeats itself (seed 0)"
    known = {t.user_attrs["design"] for t in full.trials}
    assert {r["design"] for r in repeats} <= known
    asks = sorted(
        [t.system_attrs["accelsmith:ask"] for t in full.trials] + [r["ask"] for r in repeats]
    )
    assert asks == list(range(len(asks)))  # every proposal has its place in the ask order
    _run(tmp_path / "b", "tpe", budget=18)
    resumed = _run(tmp_path / "b", "tpe", budget=30)
    assert [t.params for t in resumed.trials] == [t.params for t in full.trials]


@pytest.mark.parametrize(
    ("budget", "batch", "constraints"),
    [(40, 4, []), (100, 8, ["area_mm2 <= 0.9"]), (80, 1, ["area_mm2 <= 0.9"])],
)
def test_tpe_with_its_caches_proposes_what_optunas_tpe_proposes(
    tmp_path, monkeypatch, budget: int, batch: int, constraints: list[str]
) -> None:
    # the conversion cache and the once-per-batch split/below estimator (constant liar,
    # HSSP tie-breaks, infeasible trials, repeats told inside a batch) change no proposal
    from optuna.samplers._tpe import sampler as tpe

    from accelsmith.dse.explorers import optuna_samplers

    monkeypatch.chdir(tmp_path)
    space = {  # a space with a log range and a conditional-free categorical, 2,000+ points
        "rows": {"low": 4, "high": 64, "step": 4},
        "cols": {"low": 4, "high": 64, "log": True},
        "dataflow": {"choices": ["os", "ws"]},
        "ifmap_kb": {"choices": [16, 64]},
    }
    splits = []
    real_split = tpe._split_trials

    def counting_split(study, trials, n_below):
        splits.append(n_below)
        return real_split(study, trials, n_below)

    monkeypatch.setattr(tpe, "_split_trials", counting_split)

    def run(db: str) -> list:
        spec = parse_spec(
            tiny_spec_dict(
                explorer={"name": "tpe", "options": {"n_startup_trials": 4, "batch": batch}},
                budget=budget,
                space=space,
                constraints=constraints,
                storage=f"sqlite:///{tmp_path / db}",
            )
        )
        c = open_campaign(spec)
        run_worker(c)
        return [(t.params, t.values) for t in c.study.trials]

    cached = run("cached.db")
    n_cached = len(splits)
    assert optuna_samplers._tpe_class() is not optuna.samplers.TPESampler
    monkeypatch.setattr(optuna_samplers, "_tpe_class", lambda: optuna.samplers.TPESampler)
    plain = run("plain.db")
    assert len(cached) == budget and cached == plain
    # Optuna splits at every ask (with its own function); ours once per batch (plus once per
    # repeat told in a batch), on arrays (Optuna's function only with pruned trials)
    assert n_cached == 0 and len(splits) >= budget - 4


def test_the_hssp_memo_selects_what_optunas_hssp_selects(monkeypatch) -> None:
    # 3 objectives, copies of vectors (repeats told again) and growing subset sizes, as in a
    # TPE campaign: same selection, in the same order, as Optuna's HSSP; fewer solves
    from optuna._hypervolume import hssp
    from optuna.samplers._tpe.sampler import _get_reference_point

    from accelsmith.dse.explorers.optuna_samplers import _HSSPMemo

    rng = np.random.default_rng(0)
    solves = []
    real = hssp._solve_hssp_on_unique_loss_vals

    def counting(*args):
        solves.append(args[2])
        return real(*args)

    monkeypatch.setattr(hssp, "_solve_hssp_on_unique_loss_vals", counting)
    memo = _HSSPMemo()
    base = rng.random((60, 3))
    base /= np.linalg.norm(base, axis=1, keepdims=True)  # points on a sphere: one front
    theirs = ours = 0
    for copies in range(0, 30, 3):
        loss = np.vstack([base, base[rng.integers(0, len(base), copies)]])
        idx = rng.permutation(1000)[: len(loss)]
        ref = _get_reference_point(loss)
        for k in (5, 12, 13, 20, 59, 60, len(loss)):
            args = (tuple(loss.ravel()), tuple(idx), k, tuple(ref))
            before = len(solves)
            want = hssp._solve_hssp(loss, idx, k, ref)
            theirs += len(solves) - before
            before = len(solves)
            assert memo(*args).tolist() == want.tolist()
            ours += len(solves) - before
    # the distinct vectors never change: solved for k = 5 (to 13, serving 12 and 13), 20, 59
    assert ours == 3 and theirs > 40
    for step in range(6):  # new vectors join, some dominated: equality still
        base = np.vstack([base, rng.random((5, 3)) * (0.6 + 0.2 * step)])
        ref = _get_reference_point(base)
        idx = np.arange(len(base))
        for k in (7, 15, 16):
            want = hssp._solve_hssp(base, idx, k, ref)
            got = memo(tuple(base.ravel()), tuple(idx), k, tuple(ref))
            assert got.tolist() == want.tolist()


def _uid(loss: np.ndarray) -> np.ndarray:
    """An id per row, equal exactly for rows that compare equal (0.0 == -0.0), numbered in
    order of first appearance (not the lexicographic order np.unique sorts by)."""
    ids: dict = {}
    return np.array([ids.setdefault(tuple(r), len(ids)) for r in (loss + 0.0).tolist()])


@pytest.mark.parametrize("kind", ["sphere", "grid", "signed-zero"])
def test_the_hssp_memo_on_arrays_selects_what_it_selects_on_tuples(kind: str) -> None:
    # the split's path (distinct-vector ids instead of tuples and np.unique over rows):
    # the same indices in the same order as Optuna's solver, for subsets smaller than, equal
    # to and larger than the number of distinct vectors (then every distinct vector and the
    # first copies), with copies of vectors and with 0.0 and -0.0 (one vector)
    from optuna._hypervolume import hssp
    from optuna.samplers._tpe.sampler import _get_reference_point

    from accelsmith.dse.explorers.optuna_samplers import _HSSPMemo

    rng = np.random.default_rng(7)
    if kind == "sphere":
        base = rng.random((40, 3))
        base /= np.linalg.norm(base, axis=1, keepdims=True)
    elif kind == "grid":
        base = np.unique(rng.integers(0, 4, (40, 3)).astype(float), axis=0)[::-1]
    else:
        base = np.array([[0.0, 1.0, 2.0], [-0.0, 1.0, 2.0], [1.0, 0.0, 2.0], [2.0, -0.0, 0.0]])
        base = np.vstack([base, base * -1.0, rng.random((6, 3))])
    memo = _HSSPMemo()
    for copies in (0, 5, 30):
        loss = np.vstack([base, base[rng.integers(0, len(base), copies)]])
        loss = loss[rng.permutation(len(loss))]
        idx = rng.permutation(1000)[: len(loss)]
        ref = _get_reference_point(loss)
        n_unique = len(np.unique(loss, axis=0))
        for k in sorted({1, 3, n_unique - 1, n_unique, n_unique + 1, len(loss) - 1, len(loss)}):
            if not 0 < k <= len(loss):
                continue
            want = hssp._solve_hssp(loss, idx, k, ref)
            got = memo.select(loss, idx, _uid(loss), k, ref)
            assert got.tolist() == want.tolist(), (copies, k)
