"""130 nm systolic period: the weight-stationary fold queue path (models/calib.py)."""

from __future__ import annotations

import numpy as np
import pytest

from accelsmith.models import calib


def _fold_ns(acc: float) -> float:
    return float(
        calib.op_period_ns("add", acc) + calib.op_period_ns("mux", acc) - calib.pipe_period_ns()
    )


def test_ws_period_covers_the_fold_queue_adder() -> None:
    """A WS array's clock is at least its fold queue's path (an ``acc_bits`` adder and the
    queue's enable multiplexer, from the ``add``/``mux``/``pipe`` components), and equals it
    where the PE is faster: narrow operands with a long reduction (3-bit unsigned, 13-bit
    accumulator: synthesized 2026-12-07, the worst path is ``cf_sr -> col1.sum``); an OS
    array of the same shape has no fold queue and keeps the PE's period."""
    tech = calib.CalibratedTech()
    ws = float(tech.systolic_period_ns(3, 3, 3, 13, False, False))
    os_ = float(tech.systolic_period_ns(3, 3, 3, 13, True, False))
    assert ws == pytest.approx(_fold_ns(13), rel=1e-12)
    assert os_ < ws
    # wide operands: the PE is slower than the fold path, which then does not set the clock
    wide = float(tech.systolic_period_ns(3, 3, 16, 40, False, True))
    assert wide > _fold_ns(40)
    # vectorized over configurations, the fold path grows with the accumulator
    acc = np.array([10.0, 13.0, 20.0, 28.0])
    got = tech.systolic_period_ns(np.full(4, 3), np.full(4, 3), np.full(4, 2), acc, False, False)
    assert np.all(got >= [_fold_ns(a) for a in acc]) and np.all(np.diff(got) > 0)


def _ctx_row(kind: str, width: int) -> dict:
    return next(r for r in calib.load()["ctx_samples"][kind] if r["width"] == width)


@pytest.mark.parametrize("prefix", ["sactx1_ws", "sactx21_ws", "sactx_ws", "sactx4_ws"])
@pytest.mark.parametrize("sg", ["s", "u"])
def test_a_ws_array_of_a_context_shape_takes_that_context(prefix, sg) -> None:
    """A WS array of a context's shape (1 x 1, 2 x 1, 2 x 2, 4 x 4: ``calib.CTX_WS``) at the
    context's own parameters is priced at that context's synthesized period, wherever the PE
    (not the fold queue) sets the clock."""
    tech = calib.CalibratedTech()
    pes, _, rows = next(c for c in calib.CTX_WS if c[1] == prefix)
    checked = 0
    for w in (2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 16):  # every sampled width
        row = _ctx_row(f"{prefix}_{sg}", w)
        got = float(
            tech.systolic_period_ns(rows, pes // rows, w, row["acc_bits"], False, sg == "s")
        )
        if got > _fold_ns(row["acc_bits"]) + 1e-9:  # the PE, not the fold queue, sets it
            assert got == pytest.approx(row["period_ns"], rel=1e-9), w
            checked += 1
    assert checked >= 3


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


@pytest.mark.parametrize("sg", ["s", "u"])
def test_a_one_row_ws_array_takes_the_1x1_context(sg) -> None:
    """Zeros enter every top-row PE, so a one-row WS array (1 x N) has the 1 x 1 context's
    PE, a registered multiplier without a partial-sum adder: at the 1 x 1 context's own
    parameters it is priced at that context's period for any column count, wherever the PE
    (not the fold queue) sets the clock; an array of two rows keeps its PE count."""
    tech = calib.CalibratedTech()
    checked = 0
    for w in (2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 16):
        row = _ctx_row(f"sactx1_ws_{sg}", w)
        cols = np.array([1, 2, 3, 4, 8])
        got = tech.systolic_period_ns(np.ones(5), cols, w, row["acc_bits"], False, sg == "s")
        if float(got.min()) > _fold_ns(row["acc_bits"]) + 1e-9:
            assert np.allclose(got, row["period_ns"], rtol=1e-9), w
            checked += 1
    assert checked >= 3
    got = calib.ws_context_pes(np.array([1, 1, 1, 2, 2, 4, 8]), np.array([1, 4, 16, 1, 4, 4, 2]))
    assert got.tolist() == [1, 1, 1, 2, 8, 16, 16]
