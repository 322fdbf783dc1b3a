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
