"""130 nm systolic period: the weight-stationary PE and fold queue paths (models/calib.py,
models/ws_period.py)."""

from __future__ import annotations

import numpy as np
import pytest

from accelsmith.models import calib, ws_period


def _fold_ns(acc: float) -> float:
    """The fold queue priced from components (the form of data files without fold samples)."""
    return float(
        calib.op_period_ns("add", acc) + calib.op_period_ns("mux", acc) - calib.pipe_period_ns()
    )


def _ctx_row(kind: str, width: int) -> dict:
    return next(r for r in calib.load()["ctx_samples"][kind] if r["width"] == width)


def test_the_ws_contexts_record_their_pe_and_fold_paths_apart() -> None:
    """Every WS context sample holds its PE path (``pe_ns``) and its fold queue's path
    (``fold_ns``) apart (``synth.calibrate._split``); the array's period is the worst of
    them and of its control paths, which set it only in arrays of at most 4-bit operands
    (2026-12-07: the 2 x 1 at 4 signed bits, 6.5 % above its fold path), and by less than
    10 %."""
    for _, prefix, _ in calib.CTX_WS:
        for sg in "su":
            rows = calib.load()["ctx_samples"][f"{prefix}_{sg}"]
            assert len(rows) == 11
            for r in rows:
                top = max(r["pe_ns"], r["fold_ns"])
                assert top <= r["period_ns"] + 1e-9
                assert top >= (0.9 if r["width"] <= 4 else 1 - 1e-9) * r["period_ns"], (
                    prefix,
                    sg,
                    r["width"],
                )
    assert {prefix: (rows, n // rows) for n, prefix, rows in calib.CTX_WS} == ws_period.CTX_SHAPES
    from accelsmith.synth.asic import ABC_DELAY_PS

    assert ws_period.ABC_TARGET_NS == ABC_DELAY_PS / 1000.0


def test_the_fold_path_is_priced_from_the_bottom_partial_sum() -> None:
    """The fold queue adds the bottom PE's partial sum into an ``acc_bits`` sum; above the
    partial sum's bits the addition is an increment, so a longer reduction (a wider
    accumulator, same partial sum) leaves the fold path and the clock as they are, while
    the components' ``acc_bits`` adder (the form before session 9) grew with it. The fold
    path grows with the partial sum and the number of columns, vectorized."""
    tech = calib.CalibratedTech()
    for sg in (True, False):
        # one row: the partial sum is the 10-bit product at max_k 8 (acc 13) and 1000 (acc 20)
        short, long_ = (float(tech.systolic_period_ns(1, 2, 5, a, False, sg)) for a in (13, 20))
        assert short == pytest.approx(long_, rel=1e-12)
        assert _fold_ns(20) > _fold_ns(13) + 0.3  # the old form told them apart
    fold = ws_period.fold_period_ns(np.array([6, 10, 14, 20, 20]), np.array([1, 1, 1, 1, 4]))
    assert np.all(np.diff(fold[:4]) > 0) and fold[4] > fold[3]
    coef, below, above = ws_period.fold_fit()
    assert 0.2 < coef[1] < 1.0 and 0.0 < below < 0.15 and 0.0 < above < 0.15
    # the fit reproduces the samples it was fitted to within a few times its scatter
    a = ws_period._fold_rows(calib.load())
    pred = ws_period.fold_period_ns(a[:, 0], a[:, 1])
    assert np.all(np.abs(np.log(a[:, 2] / pred)) < 4 * max(below, above))


def test_expected_max_of_two_scattered_paths() -> None:
    """Clark's expected maximum: equal centres with relative spread s give
    ``a (1 + s / sqrt(pi))``; far-apart centres give the larger; no spread gives the max;
    it matches sampling (200,000 draws, fixed seed) where the two are close."""
    em = ws_period.expected_max_ns
    assert float(em(5.0, 5.0, 0.08, 0.08)) == pytest.approx(5.0 * (1 + 0.08 / np.sqrt(np.pi)))
    assert float(em(8.0, 4.0, 0.05, 0.05)) == pytest.approx(8.0, rel=1e-6)
    assert np.allclose(em([3.0, 6.0], [4.0, 5.0], 0.0, 0.0), [4.0, 6.0])
    rng = np.random.default_rng(7)
    a = 5.0 * (1 + 0.08 * rng.standard_normal(200_000))
    b = 4.7 * (1 + 0.05 * rng.standard_normal(200_000))
    assert float(em(5.0, 4.7, 0.08, 0.05)) == pytest.approx(np.maximum(a, b).mean(), rel=2e-3)


def test_a_ws_array_prices_its_pe_and_fold_paths_apart() -> None:
    """A WS array's clock is the expected worst of its PE path and its fold path, never
    faster than either; an OS array of the same shape has no fold queue. A 3 x 3 array of
    3-bit unsigned operands (synthesized 2026-12-07: ``cf_sr -> col1.sum``) is set by its
    fold queue."""
    tech = calib.CalibratedTech()
    from accelsmith.models.rtl_inventory import ws_psum_bits

    ws = float(tech.systolic_period_ns(3, 3, 3, 13, False, False))
    os_ = float(tech.systolic_period_ns(3, 3, 3, 13, True, False))
    ps = float(ws_psum_bits(3, False, 13, 3))
    fold = float(ws_period.fold_period_ns(ps, 3))
    pe = float(calib.ws_pe_period_ns("wspe_u", 3, ps, 9))
    assert fold > pe and ws >= fold and os_ < ws
    # wide operands: the PE sets the clock, the fold path adds almost nothing
    wide = float(tech.systolic_period_ns(3, 3, 16, 40, False, True))
    ps = float(ws_psum_bits(16, True, 40, 3))
    pe = float(calib.ws_pe_period_ns("wspe_s", 16, ps, 9))
    assert pe <= wide < 1.01 * pe


@pytest.mark.parametrize("prefix", ["sactx1_ws", "sactx21_ws", "sactx_ws", "sactx4_ws"])
@pytest.mark.parametrize("sg", ["s", "u"])
def test_a_ws_context_shape_takes_that_contexts_pe_path(prefix, sg) -> None:
    """At a WS context's PE count (``calib.CTX_WS``) and its own parameters, the PE level is
    that context's recorded PE path (``pe_ns``), at every sampled width: not its whole
    period, which is often its fold queue's at the context's accumulator."""
    from accelsmith.models.rtl_inventory import ws_psum_bits

    pes, _, rows = next(c for c in calib.CTX_WS if c[1] == prefix)
    kind = f"wspe_{sg}"
    differs = 0
    for w in (2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 16):
        row = _ctx_row(f"{prefix}_{sg}", w)
        ps = ws_psum_bits(w, sg == "s", row["acc_bits"], rows)
        got = float(calib.ws_pe_period_ns(kind, np.float64(w), ps, pes))
        assert got == pytest.approx(row["pe_ns"], rel=1e-9), w
        differs += row["period_ns"] > row["pe_ns"] + 0.05
    assert differs >= 3


def test_ws_level_moves_with_the_pe_count() -> None:
    """Between the contexts' PE counts the level is interpolated in log(PEs): 8 PEs lie
    halfway between the 2 x 2 and 4 x 4 constructions, 3 at log2(3) - 1 of the way from the
    2 x 1 to the 2 x 2, at the array's own partial sum; 64 PEs take the 4 x 4 level (no
    extrapolation)."""
    w, ps = np.float64(10), np.float64(22)
    for kind in ("wspe_s", "wspe_u"):
        one, two, four, sixteen = (calib.ws_pe_period_ns(kind, w, ps, n) for n in (1, 2, 4, 16))
        assert float(four) == pytest.approx(float(calib.pe_period_ns(kind, w, ps)), rel=1e-12)
        assert abs(float(sixteen - four)) > 0.05 and abs(float(one - four)) > 0.05
        three, eight = (calib.ws_pe_period_ns(kind, w, ps, n) for n in (3, 8))
        t = np.log2(3) - 1
        assert float(three) == pytest.approx(float(two + t * (four - two)), rel=1e-12)
        assert float(eight) == pytest.approx(float(0.5 * (four + sixteen)), rel=1e-12)
        assert float(calib.ws_pe_period_ns(kind, w, ps, 64)) == pytest.approx(float(sixteen))
        # vectorized over the PE count
        got = calib.ws_pe_period_ns(kind, w, ps, np.array([1, 2, 3, 4, 8, 16]))
        assert np.allclose(got, [one, two, three, four, eight, sixteen], rtol=1e-12)


def test_without_the_other_contexts_ws_keeps_the_2x2_level(monkeypatch) -> None:
    """Calibration data without ``sactx1_ws_*``/``sactx21_ws_*``/``sactx4_ws_*`` (an older
    data file) prices
    every WS PE at the 2 x 2 context's level."""
    data = calib.load()
    ctx = {
        k: v
        for k, v in data["ctx_samples"].items()
        if not k.startswith(("sactx1", "sactx21", "sactx4"))
    }
    monkeypatch.setattr(calib, "load", lambda: {**data, "ctx_samples": ctx})
    w, ps = np.float64(10), np.float64(23)
    for kind in ("wspe_s", "wspe_u"):
        for n in (1, 2, 16):
            got = calib.ws_pe_period_ns(kind, w, ps, n)
            assert float(got) == float(calib.pe_period_ns(kind, w, ps))


def test_without_split_samples_ws_keeps_the_whole_period_and_the_component_fold(
    monkeypatch,
) -> None:
    """A data file from before session 9 (no ``pe_ns``/``fold_ns``): the PE level is each
    context's whole period and the fold queue is priced from components (``add`` + ``mux``
    at ``acc_bits``), the larger of the two setting the clock."""
    data = calib.load()
    strip = {"pe_ns", "fold_ns"}
    ctx = {
        k: [{f: v for f, v in r.items() if f not in strip} for r in rows]
        for k, rows in data["ctx_samples"].items()
    }
    monkeypatch.setattr(calib, "load", lambda: {**data, "ctx_samples": ctx})
    assert ws_period.fold_fit() is None
    tech = calib.CalibratedTech()
    row = next(r for r in ctx["sactx_ws_u"] if r["width"] == 12)
    assert float(calib.pe_period_ns("wspe_u", 12, 25)) == pytest.approx(row["period_ns"])
    ws = float(tech.systolic_period_ns(3, 3, 3, 13, False, False))
    assert ws == pytest.approx(_fold_ns(13), rel=1e-12)


@pytest.mark.parametrize("sg", ["s", "u"])
def test_a_one_row_ws_array_takes_the_1x1_context(sg) -> None:
    """Zeros enter every top-row PE, so a one-row WS array (1 x N) has the 1 x 1 context's
    PE, a registered multiplier without a partial-sum adder: its PE level is the 1 x 1
    context's PE path for any column count (the columns count only in its fold queues); an
    array of two rows keeps its PE count."""
    from accelsmith.models.rtl_inventory import ws_psum_bits

    for w in (2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 16):
        row = _ctx_row(f"sactx1_ws_{sg}", w)
        ps = ws_psum_bits(w, sg == "s", row["acc_bits"], 1)
        pes = calib.ws_context_pes(np.ones(5), np.array([1, 2, 3, 4, 8]))
        got = calib.ws_pe_period_ns(f"wspe_{sg}", np.float64(w), ps, pes)
        assert np.allclose(got, row["pe_ns"], rtol=1e-9), w
    got = calib.ws_context_pes(np.array([1, 1, 1, 2, 2, 4, 8]), np.array([1, 4, 16, 1, 4, 4, 2]))
    assert got.tolist() == [1, 1, 1, 2, 8, 16, 16]
