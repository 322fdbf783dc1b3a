"""Non-dominated sorting, hypervolume, HV ratio, IGD+ and history (accelsmith.dse.pareto).

Hand-computed cases carry their arithmetic; random cases compare against brute-force
references written here (O(n^2) dominance, exact HV by counting grid cells) and against moocore
called directly.
"""

from __future__ import annotations

import itertools
import math

import moocore
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from accelsmith.core.errors import ConfigError
from accelsmith.dse import pareto as P

MIN2 = ["minimize", "minimize"]


# ----------------------------------------------------------------------------- references


def brute_ranks(a: np.ndarray) -> np.ndarray:
    """Pareto ranks by repeated peeling with an explicit O(n^2) dominance matrix (minimize)."""
    le = (a[:, None, :] <= a[None, :, :]).all(axis=2)
    lt = (a[:, None, :] < a[None, :, :]).any(axis=2)
    dom = le & lt  # dom[i, j]: i dominates j
    ranks = np.full(len(a), -1)
    left = np.ones(len(a), bool)
    r = 0
    while left.any():
        # the points of `left` that no point of `left` dominates form the next front
        sub = np.flatnonzero(left)
        dominated = dom[np.ix_(sub, sub)].any(axis=0)
        front = sub[~dominated]
        ranks[front] = r
        left[front] = False
        r += 1
    return ranks


def cell_hv(points: np.ndarray, box: int) -> int:
    """Exact HV of integer points in [0, box)^m w.r.t. reference (box, ..., box), in unit cells.

    A unit cell with lower corner c is dominated iff some point p <= c componentwise.
    """
    m = points.shape[1]
    grid = np.array(list(itertools.product(range(box), repeat=m)))
    covered = np.zeros(len(grid), bool)
    for p in points:
        covered |= (grid >= p).all(axis=1)
    return int(covered.sum())


def unit_norm(m: int, nadir: float = 1.0) -> P.Normalization:
    """Normalization with ideal 0 and the given nadir on every axis (minimize)."""
    return P.Normalization(ideal=(0.0,) * m, nadir=(nadir,) * m, directions=("minimize",) * m)


# ----------------------------------------------------------------------- non-dominated sort


def test_ranks_hand_computed_2d() -> None:
    pts = np.array([[1, 5], [2, 3], [3, 4], [4, 1], [5, 5], [2, 3]])
    # (1,5), (2,3) twice and (4,1) dominate nothing among themselves -> rank 0;
    # (3,4) is dominated by (2,3) only -> rank 1; (5,5) is dominated by (3,4) -> rank 2.
    assert P.pareto_ranks(pts).tolist() == [0, 0, 1, 0, 2, 0]
    assert P.nondominated_mask(pts).tolist() == [True, True, False, True, False, True]


def test_ranks_respect_directions() -> None:
    pts = np.array([[1.0, 10.0], [2.0, 20.0], [0.5, 1.0]])
    # minimize x, maximize y: (2,20) is not dominated, (1,10) is not, (0.5,1) is not.
    assert P.pareto_ranks(pts, ["minimize", "maximize"]).tolist() == [0, 0, 0]
    # minimize both: (0.5,1) dominates both others, and (1,10) dominates (2,20).
    assert P.pareto_ranks(pts, MIN2).tolist() == [1, 2, 0]
    # maximize both: the reverse chain
    assert P.pareto_ranks(pts, ["maximize", "maximize"]).tolist() == [1, 0, 2]


def test_non_finite_rows_are_excluded() -> None:
    pts = np.array([[1.0, 1.0], [np.nan, 0.0], [2.0, 2.0], [np.inf, 0.0]])
    assert P.pareto_ranks(pts).tolist() == [0, -1, 1, -1]
    assert P.nondominated_mask(pts).tolist() == [True, False, False, False]
    assert P.pareto_ranks(np.empty((0, 3))).shape == (0,)


@pytest.mark.parametrize("m", [2, 3, 4])
def test_ranks_match_brute_force_with_ties(rng: np.random.Generator, m: int) -> None:
    for _ in range(5):
        pts = rng.integers(0, 6, size=(300, m)).astype(float)  # many ties and duplicates
        ref = brute_ranks(pts)
        assert (P.pareto_ranks(pts) == ref).all()
        assert (P.nondominated_mask(pts) == (ref == 0)).all()
        dirs = ["maximize"] * m
        assert (P.pareto_ranks(-pts, dirs) == ref).all()


def test_ranks_large_set_agree_with_moocore(rng: np.random.Generator) -> None:
    pts = rng.random((20_000, 4))
    ranks = P.pareto_ranks(pts)
    assert (ranks == moocore.pareto_rank(pts)).all()
    assert ranks.max() > 5  # several fronts, not only the first
    # every point of rank r > 0 is dominated by some point of rank r - 1 (spot check)
    for i in rng.choice(np.flatnonzero(ranks > 0), 50, replace=False):
        prev = pts[ranks == ranks[i] - 1]
        assert ((prev <= pts[i]).all(axis=1) & (prev < pts[i]).any(axis=1)).any()


# --------------------------------------------------------------------------- normalization


def test_normalization_maps_ideal_to_0_and_nadir_to_1() -> None:
    pts = np.array([[1.0, 100.0], [3.0, 50.0], [2.0, 80.0], [5.0, 10.0]])
    # minimize x, maximize y: (1,100) has both the smallest x and the largest y, so it
    # dominates every other point and is the whole front: ideal = nadir.
    n = P.Normalization.from_points(pts, ["minimize", "maximize"])
    assert n.ideal == (1.0, 100.0) and n.nadir == (1.0, 100.0)
    # degenerate axes: scaled by |ideal| -> z = (x - 1) / 1, (100 - y) / 100
    assert np.allclose(n.transform([[2.0, 50.0]]), [[1.0, 0.5]])

    pts = np.array([[1.0, 10.0], [3.0, 50.0], [2.0, 20.0], [5.0, 5.0]])
    n = P.Normalization.from_points(pts, ["minimize", "maximize"])
    # front: (1,10), (2,20), (3,50) ((5,5) is dominated by all); ideal (1,50), nadir (3,10)
    assert n.ideal == (1.0, 50.0) and n.nadir == (3.0, 10.0)
    assert np.allclose(n.transform(pts), [[0, 1], [1, 0], [0.5, 0.75], [2, 1.125]])
    assert n.to_dict()["reference_point"] == P.REFERENCE_POINT == 1.1


def test_log_normalization() -> None:
    pts = np.array([[1.0, 100.0], [10.0, 10.0], [100.0, 1.0], [1000.0, 1000.0]])
    n = P.Normalization.from_points(pts, MIN2, log=True)
    # front: the first three; ideal (1, 1), nadir (100, 100); log10 maps 10 to the middle
    assert n.ideal == (1.0, 1.0) and n.nadir == (100.0, 100.0)
    assert np.allclose(n.transform(pts), [[0, 1], [0.5, 0.5], [1, 0], [1.5, 1.5]])
    # z = (0,1), (.5,.5), (1,0) with reference 1.1: slabs 0.5*0.1 + 0.5*0.6 + 0.1*1.1 = 0.46
    assert P.hypervolume(pts, n) == pytest.approx(0.46)
    up = P.Normalization.from_points(1.0 / pts, ["maximize", "maximize"], log=True)
    assert np.allclose(up.transform(1.0 / pts), n.transform(pts))
    assert n.to_dict()["scale"] == "log10"
    with pytest.raises(ConfigError, match=r"log normalization needs positive values, not 0\.0"):
        n.transform([[0.0, 1.0]])
    with pytest.raises(ConfigError, match="log normalization needs positive objective values"):
        P.Normalization(ideal=(0.0,), nadir=(1.0,), directions=("minimize",), log=True)


def test_normalization_errors() -> None:
    with pytest.raises(ConfigError, match="direction must be 'minimize' or 'maximize', not 'up'"):
        P.Normalization(ideal=(0.0,), nadir=(1.0,), directions=("up",))
    with pytest.raises(ConfigError, match=r"reference must be a finite number > 1, not 1\.0"):
        P.Normalization(ideal=(0.0,), nadir=(1.0,), directions=("minimize",), reference=1.0)
    with pytest.raises(ConfigError, match="nadir must not be better than ideal"):
        P.Normalization(ideal=(1.0,), nadir=(0.0,), directions=("minimize",))
    with pytest.raises(ConfigError, match="no point with finite objective values"):
        P.Normalization.from_points(np.full((3, 2), np.nan), MIN2)
    with pytest.raises(ConfigError, match="values must have 2 objective columns, not 3"):
        unit_norm(2).transform(np.zeros((1, 3)))


# ------------------------------------------------------------------------------ hypervolume


def test_hypervolume_hand_computed_2d() -> None:
    pts = np.array([[5.0, 5.0], [4.0, 6.0], [2.0, 7.0], [7.0, 4.0]])
    norm = unit_norm(2, nadir=10.0)  # reference 1.1 -> 11 in natural units
    # sorted by x: (2,7) (4,6) (5,5) (7,4); slabs up to x = 11:
    # (4-2)(11-7) + (5-4)(11-6) + (7-5)(11-5) + (11-7)(11-4) = 8 + 5 + 12 + 28 = 53;
    # normalized by 10 x 10 -> 0.53
    assert P.hypervolume(pts, norm) == pytest.approx(0.53, rel=1e-12)
    # the same front with y maximized (stored as -y) has the same hypervolume
    flipped = P.Normalization(
        ideal=(0.0, 0.0), nadir=(10.0, -10.0), directions=("minimize", "maximize")
    )
    assert P.hypervolume(pts * [1, -1], flipped) == pytest.approx(0.53, rel=1e-12)
    # moocore's own example with reference 10 gives 38 (same slab arithmetic)
    assert moocore.hypervolume(pts, ref=[10, 10]) == 38.0


def test_hypervolume_hand_computed_3d() -> None:
    norm = unit_norm(3)
    # a point at the ideal owns the whole box: 1.1^3
    assert P.hypervolume([[0.0, 0.0, 0.0]], norm) == pytest.approx(1.331)
    # (0,0,1) -> 1.1*1.1*0.1 = 0.121; (1,0,0) -> 0.121; overlap x>=1, z>=1: 0.1*1.1*0.1 = 0.011
    assert P.hypervolume([[0, 0, 1], [1, 0, 0]], norm) == pytest.approx(0.231)
    # points on or beyond the reference point add nothing; non-finite rows are ignored
    assert P.hypervolume([[1.1, 0, 0], [2, 2, 2], [np.nan, 0, 0]], norm) == 0.0


@pytest.mark.parametrize("m", [2, 3, 4])
def test_hypervolume_matches_cell_count_and_moocore(rng: np.random.Generator, m: int) -> None:
    box = 10 if m < 4 else 7
    # nadir = box / 1.1 puts the reference point exactly on the integer `box`
    norm = unit_norm(m, nadir=box / 1.1)
    for _ in range(3):
        pts = rng.integers(0, box, size=(25, m)).astype(float)
        expected = cell_hv(pts, box) / (box / 1.1) ** m
        assert P.hypervolume(pts, norm) == pytest.approx(expected, rel=1e-9)
    pts = rng.random((400, m)) * 3.0
    direct = moocore.hypervolume(pts / 2.0, ref=[1.1] * m)
    assert P.hypervolume(pts, unit_norm(m, nadir=2.0)) == pytest.approx(direct, rel=1e-12)


def test_hv_ratio() -> None:
    front = np.array([[0.0, 1.0], [0.5, 0.5], [1.0, 0.0]])
    norm = P.Normalization.from_points(front, MIN2)
    assert P.hv_ratio(front, front, norm) == 1.0
    # only the knee: [0.5,1.1]^2 = 0.36 of HV(front) = 0.36 + 2*(0.5*0.1... ) computed:
    # slabs: x in [0,0.5): 1.1-1 = 0.1 high -> 0.05; [0.5,1): 0.6 -> 0.3; [1,1.1): 1.1 -> 0.11
    assert P.hypervolume(front, norm) == pytest.approx(0.46)
    assert P.hv_ratio(front[1:2], front, norm) == pytest.approx(0.36 / 0.46)
    with pytest.raises(ConfigError, match="exact front with a positive hypervolume"):
        P.hv_ratio(front, np.empty((0, 2)), norm)


finite = st.floats(0.0, 1.0, allow_nan=False, width=32)


@settings(max_examples=60, deadline=None)
@given(
    pts=arrays(
        np.float64, st.tuples(st.integers(1, 30), st.sampled_from([2, 3, 4])), elements=finite
    ),
    which=st.integers(0, 29),
    delta=arrays(np.float64, 4, elements=st.floats(0.0, 0.5, allow_nan=False, width=32)),
)
def test_adding_a_dominated_point_never_changes_hv(pts, which, delta) -> None:
    m = pts.shape[1]
    norm = unit_norm(m)
    base = P.hypervolume(pts, norm)
    worse = pts[which % len(pts)] + delta[:m]  # weakly dominated by an existing point
    assert P.hypervolume(np.vstack([pts, worse]), norm) == pytest.approx(base, rel=1e-12, abs=0)
    # and the exact front with itself has HV ratio 1
    if base > 0:
        front = pts[P.nondominated_mask(pts)]
        assert P.hv_ratio(front, front, norm) == 1.0
        assert P.hv_ratio(pts, front, norm) == pytest.approx(1.0, rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    pts=arrays(np.float64, st.tuples(st.integers(1, 20), st.just(3)), elements=finite),
    extra=arrays(np.float64, 3, elements=finite),
)
def test_hv_is_monotone(pts, extra) -> None:
    norm = unit_norm(3)
    assert P.hypervolume(np.vstack([pts, extra]), norm) >= P.hypervolume(pts, norm) - 1e-12


# ------------------------------------------------------------------------------------ IGD+


def test_igd_plus_ishibuchi_example_4() -> None:
    z = np.array([[10, 0], [6, 1], [2, 2], [1, 6], [0, 10]], float)
    a = np.array([[4, 2], [3, 3], [2, 4]], float)
    b = np.array([[8, 2], [4, 4], [2, 8]], float)
    norm = unit_norm(2)  # identity map
    # per z, min over a of ||max(a - z, 0)||: (10,0)->2 [(4,2)], (6,1)->1 [(4,2)],
    # (2,2)->sqrt(2) [(3,3)], (1,6)->1 [(2,4)], (0,10)->2 [(2,4)]; mean (6 + sqrt 2) / 5
    assert P.igd_plus(a, z, norm) == pytest.approx((6 + math.sqrt(2)) / 5)
    assert P.igd_plus(a, z, norm) == pytest.approx(moocore.igd_plus(a, ref=z))
    assert P.igd_plus(a, z, norm) < P.igd_plus(b, z, norm)  # A is better; plain IGD says not
    assert P.igd_plus(z, z, norm) == 0.0
    assert P.igd_plus(np.full((2, 2), np.nan), z, norm) == math.inf


def test_igd_plus_matches_moocore_normalized(rng: np.random.Generator) -> None:
    z = rng.random((300, 3))
    a = rng.random((2_000, 3)) + 0.1
    norm = P.Normalization(ideal=(0, 0, 0), nadir=(2, 4, 8), directions=("minimize",) * 3)
    expected = moocore.igd_plus(a / [2, 4, 8], ref=z / [2, 4, 8])
    assert P.igd_plus(a, z, norm) == pytest.approx(expected, rel=1e-10)


# ---------------------------------------------------------------------------------- history


def test_trial_checkpoints() -> None:
    assert P.trial_checkpoints(5).tolist() == [1, 2, 3, 4, 5]
    c = P.trial_checkpoints(20_000, max_points=200)
    assert c[0] == 1 and c[-1] == 20_000 and len(c) <= 200 and (np.diff(c) > 0).all()
    assert P.trial_checkpoints(0).size == 0


def test_history_equals_prefix_hypervolumes(rng: np.random.Generator) -> None:
    pts = rng.random((600, 3))
    pts[rng.random(600) < 0.2] = np.nan  # infeasible trials: counted, no volume
    norm = unit_norm(3)
    counts, hv = P.hypervolume_history(pts, norm, max_points=50)
    assert counts[-1] == 600 and len(counts) <= 50
    expected = [P.hypervolume(pts[:k], norm) for k in counts]
    assert np.allclose(hv, expected, rtol=1e-12)
    assert (np.diff(hv) >= 0).all()
    counts, hv = P.hypervolume_history(pts, norm, checkpoints=[10, 200, 600])
    assert hv.tolist() == pytest.approx([P.hypervolume(pts[:k], norm) for k in (10, 200, 600)])
    with pytest.raises(ConfigError, match="checkpoints must be increasing trial counts"):
        P.hypervolume_history(pts, norm, checkpoints=[5, 700])


# ---------------------------------------------------------------------- trials-frame helpers


OBJ = [("latency_s", "minimize"), ("tops_per_w", "maximize")]


def test_frame_helpers(make_trials_frame) -> None:
    v = np.array([[1.0, 5.0], [2.0, 9.0], [0.5, 1.0], [0.1, 100.0], [3.0, 2.0]])
    f = make_trials_frame(v, ["latency_s", "tops_per_w"], feasible=[1, 1, 1, 0, 1])
    # row 3 would dominate everything but is infeasible; (3,2) is dominated by (2,9)
    assert P.front_mask(f, OBJ).tolist() == [True, True, True, False, False]
    assert P.front_ranks(f, OBJ).tolist()[:3] == [0, 0, 0]
    assert P.front_ranks(f, OBJ).isna().tolist() == [False, False, False, True, False]
    assert P.front_mask(f, OBJ, feasible_only=False).tolist() == [False, False, False, True, False]
    assert P.front_mask(f, dict(OBJ)).tolist() == P.front_mask(f, OBJ).tolist()
    with pytest.raises(ConfigError, match=r"objective 'power_w' is not a metric of the trials"):
        P.objective_values(f, [("power_w", "minimize")])
    with pytest.raises(
        ConfigError,
        match="direction of objective 'latency_s' must be 'minimize' or 'maximize', not 'min'",
    ):
        P.front_mask(f, [("latency_s", "min")])


def test_frames_without_completed_trials(make_trials_frame) -> None:
    import pandas as pd

    assert P.objective_values(pd.DataFrame(), OBJ).shape == (0, 2)
    failed = pd.DataFrame({"number": [0, 1], "state": ["FAIL", "FAIL"], "feasible": [0, 0]})
    assert np.isnan(P.objective_values(failed, OBJ)).all()
    ok = make_trials_frame(np.array([[1.0, 2.0], [2.0, 3.0]]), ["latency_s", "tops_per_w"])
    frames = {"nsga2": ok, "tpe": pd.DataFrame()}  # tpe: a study with no trial yet
    q = P.quality_summary(frames, OBJ)
    assert q.loc["tpe", "trials"] == 0 and q.loc["tpe", "hypervolume"] == 0.0
    assert set(P.history_frame(frames, OBJ)["explorer"]) == {"nsga2"}
    with pytest.raises(ConfigError, match="no point with finite objective values"):
        P.campaign_normalization({"tpe": pd.DataFrame()}, OBJ)


def test_campaign_metrics(make_trials_frame, rng: np.random.Generator) -> None:
    names = ["latency_s", "tops_per_w"]
    x = np.linspace(0.0, 1.0, 11)
    exact = np.column_stack([1.0 + x, 5.0 + 5.0 * x**2])  # slower but more efficient
    # the other explorers find points of the curve made worse on both axes (dominated)
    u = rng.random(300)
    grid = np.column_stack([1.0 + u + rng.random(300), 5.0 + 5.0 * u**2 - 3 * rng.random(300)])
    frames = {
        "exhaustive": make_trials_frame(exact, names, explorer="exhaustive"),
        "random": make_trials_frame(grid, names),
        "perfect": make_trials_frame(np.vstack([grid[:20], exact]), names),
    }
    norm = P.campaign_normalization(frames, OBJ)
    assert norm.source == "exact front (exhaustive, 11 points)"
    assert norm.ideal == (1.0, 10.0) and norm.nadir == (2.0, 5.0)
    q = P.quality_summary(frames, OBJ, normalization=norm)
    assert q.loc["exhaustive", "hv_ratio"] == 1.0 and q.loc["perfect", "hv_ratio"] == 1.0
    assert q.loc["perfect", "igd_plus"] == 0.0
    assert 0.0 < q.loc["random", "hv_ratio"] < 1.0 and q.loc["random", "igd_plus"] > 0.0
    assert q.loc["random", "trials"] == 300
    h = P.history_frame(frames, OBJ, normalization=norm)
    assert set(h["explorer"]) == {"random", "perfect"}
    last = h.groupby("explorer")["hv_ratio"].last()
    assert last["perfect"] == pytest.approx(1.0)
    assert last["random"] == pytest.approx(q.loc["random", "hv_ratio"], rel=1e-12)
    # without the exhaustive study: bounds of the union of all feasible trials, no HV ratio
    rest = {k: v for k, v in frames.items() if k != "exhaustive"}
    norm2 = P.campaign_normalization(rest, OBJ)
    assert norm2.source.startswith("front of all 331 feasible trials of 2 explorer(s)")
    q2 = P.quality_summary(rest, OBJ)
    assert q2["hv_ratio"].isna().all() and (q2["igd_plus_reference"] == "combined front").all()
