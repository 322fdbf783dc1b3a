"""accelsmith.synth.paths.column_periods and bench/bench_ws_columns_dev.py: the fold path of
each column of a WS array apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import load_bench, require


@pytest.mark.slow
def test_column_periods_of_a_two_column_ws_array() -> None:
    """Each of a 1 x 2 WS array's two fold queues gets its own worst path; the slowest lies
    at or under the array's whole fold-and-result path (which also ends in the de-skew and
    output registers) and under its period."""
    require("yosys", "sta")
    from accelsmith.core.families.systolic import SystolicParams
    from accelsmith.synth import synthesize
    from accelsmith.synth.calibrate import WS_FOLD_NETS
    from accelsmith.synth.paths import column_periods, split_periods

    p = SystolicParams(rows=1, cols=2, dataflow="ws", in_bits=3, signed=True, max_k=8)
    name = p.default_name()
    rep = synthesize(p, clock_ns=10.0, name=name)
    cols = column_periods(rep.folder, name)
    fold, _ = split_periods(rep.folder, name, WS_FOLD_NETS)
    assert len(cols) == 2
    assert all(c > 0.5 for c in cols)
    assert max(cols) <= fold + 1e-6
    assert max(cols) <= 1000.0 / rep.fmax_mhz + 0.01


def test_column_periods_without_fold_queues_is_one_clear_error(tmp_path: Path) -> None:
    """A netlist with no ``colJ.q`` / ``colJ.sum`` flip-flops (``colJ.q_first`` is not a fold
    register) is refused before OpenSTA runs."""
    from accelsmith.synth.paths import column_periods
    from accelsmith.synth.tools import SynthError

    (tmp_path / "netlist.v").write_text(
        "module t(clk);\n  sky130_fd_sc_hd__dfxtp_1 _1_ (\n    .CLK(clk),\n    .D(a),\n"
        "    .Q(\\col0.q_first )\n  );\nendmodule\n"
    )
    with pytest.raises(SynthError, match=r"cannot split the fold paths of t: no colJ\.q"):
        column_periods(tmp_path, "t")


def test_dev_bench_takes_the_ws_rows_of_the_silicon_draw() -> None:
    """The development bench reads exactly the WS rows of bench_silicon.py's systolic draw
    (seed 15, the standard draw: 9 of its 20 rows), and the half-spread is around the
    midpoint."""
    bench = load_bench("bench_ws_columns_dev")
    rows = bench.ws_rows(15, 20)
    assert [p.default_name() for p in rows] == [
        *("sa_ws_3x3_u3", "sa_ws_3x4_s6", "sa_ws_3x3_s9", "sa_ws_3x1_s7", "sa_ws_4x4_s7"),
        *("sa_ws_2x1_s5", "sa_ws_4x1_s9", "sa_ws_4x4_u10", "sa_ws_2x3_s3"),
    ]
    silicon = load_bench("bench_silicon")
    assert silicon.half_spread_pct([3.0, 5.0, 4.0]) == pytest.approx(25.0)
    assert silicon.half_spread_pct([4.2]) == 0.0
