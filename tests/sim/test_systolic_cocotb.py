"""cocotb on Verilator: the generated Verilog against the golden and latency models.

Each configuration builds once (the runner caches builds by content hash) and runs the three
testbench tests: corner cases with exact tile cycle counts, back-to-back tiles on the exact
schedule, and random gaps/back-pressure with exact advance-cycles per result row.
"""

import pytest

from accelsmith.core.families.systolic import SystolicParams
from accelsmith.sim.verify import verify

pytestmark = pytest.mark.sim

CONFIGS = {
    "os-3x5-s8": SystolicParams(rows=3, cols=5, dataflow="os", in_bits=8, signed=True, max_k=24),
    "ws-3x5-u4": SystolicParams(rows=3, cols=5, dataflow="ws", in_bits=4, signed=False, max_k=17),
    "os-1x8-u2": SystolicParams(rows=1, cols=8, dataflow="os", in_bits=2, signed=False, max_k=9),
    "ws-8x1-s16": SystolicParams(rows=8, cols=1, dataflow="ws", in_bits=16, signed=True, max_k=20),
    "ws-4x4-s2-wrap": SystolicParams(
        rows=4, cols=4, dataflow="ws", in_bits=2, signed=True, max_k=30, acc_bits=5
    ),
    "os-2x2-s16-k1000": SystolicParams(
        rows=2, cols=2, dataflow="os", in_bits=16, signed=True, max_k=1000
    ),
    "os-1x1-s3": SystolicParams(rows=1, cols=1, dataflow="os", in_bits=3, signed=True, max_k=4),
    "ws-8x8-s8": SystolicParams(rows=8, cols=8, dataflow="ws", in_bits=8, signed=True),
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_config_passes(name, tmp_path):
    p = CONFIGS[name]
    report = verify(p, tiles=24, seed=7, workdir=tmp_path)
    by_name = {t.name: t for t in report.tests}
    assert set(by_name) == {"corner_cases", "back_to_back", "random_stalls"}, report
    for t in report.tests:
        assert t.errors == [], (t.name, t.errors[:3])
        assert t.mismatches == 0 and t.timing_mismatches == 0
        assert t.tiles > 0 and t.measured_cycles == t.predicted_cycles > 0
    assert by_name["back_to_back"].tiles + by_name["random_stalls"].tiles == 24
    assert report.passed


def test_checker_catches_a_wrong_result(tmp_path):
    """With one expected value corrupted, every test must report the mismatch and fail."""
    p = CONFIGS["os-3x5-s8"]
    report = verify(p, tiles=4, seed=1, workdir=tmp_path / "bad", inject_fault=True)
    assert not report.passed
    assert [t.mismatches for t in report.tests] == [1, 1, 1]
    again = verify(p, tiles=4, seed=1, workdir=tmp_path / "good")
    assert again.passed and again.build_cached  # the same design is never rebuilt
