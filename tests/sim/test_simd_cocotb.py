"""cocotb on Verilator: the SIMD engine against the golden and latency models.

Three format sets, both accumulation modes, binary32, binary16 and posit16 results, each
built once: every product pair of every <= 8-bit mode (65,536 per 8-bit format) and every
16-bit code x 1 inside one build, random products, §2.5 special values, lane isolation,
dot products, mode switches, gating and back-pressure, with every result's cycle checked
against ``K + pipeline + 2``.
"""

import pytest

from accelsmith.core.families.simd import SimdParams
from accelsmith.sim.verify import verify

pytestmark = pytest.mark.sim

CONFIGS = {
    # the XR-NPE set: 1 x posit16, 2 x posit8, 4 x FP4 / posit4 per 16-bit word; quire dot
    # products rounded once to posit(16,1)
    "xrnpe-exact-posit16": SimdParams(
        lane_bits=16,
        lanes=1,
        formats=("posit16_1", "posit8_0", "fp4_e2m1", "posit4_1"),
        acc="exact",
        pipeline=2,
        power_gating=1,
        out_format="posit16_1",
    ),
    # OCP FP8, integers and the mixed posit8 x FP4 mode, binary32 accumulation
    "ocp-int-mixed-fp32": SimdParams(
        lane_bits=16,
        lanes=2,
        formats=("int8", "fp8_e4m3", "fp8_e5m2", "int4", "posit8_0xfp4_e2m1"),
        acc="fp32",
        pipeline=3,
        power_gating=2,
    ),
    # an 8-bit word, odd lane count, deepest pipeline, small quire, binary16 results (E5M2
    # products overflow and underflow binary16: the rounder's Inf and subnormal paths)
    "w8x3-exact-fp16": SimdParams(
        lane_bits=8,
        lanes=3,
        formats=("fp8_e5m2", "posit4_1", "int4"),
        acc="exact",
        pipeline=4,
        power_gating=3,
        max_k=100,
        out_format="fp16",
    ),
}

TESTS = {
    "exhaustive_products",
    "random_products",
    "special_values",
    "lane_isolation",
    "dot_products",
    "mode_switch",
    "gated_lanes",
    "back_pressure",
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_config_passes(name, tmp_path):
    p = CONFIGS[name]
    report = verify(p, tiles=24, seed=3, workdir=tmp_path)
    by_name = {t.name: t for t in report.tests}
    assert set(by_name) == TESTS, report
    for t in report.tests:
        assert t.errors == [], (t.name, t.errors[:3])
        assert t.mismatches == 0 and t.timing_mismatches == 0
        assert t.tiles > 0 and t.measured_cycles == t.predicted_cycles > 0
    # every pair of every 8-bit mode is one single-product dot product
    per_beat = {16: p.lanes * 2, 8: p.lanes}
    if p.lane_bits == 16:
        assert by_name["exhaustive_products"].tiles >= 65536 // per_beat[16]
    assert report.passed


def test_checker_catches_a_wrong_result(tmp_path):
    """With one expected value corrupted, every test must report the mismatch and fail."""
    p = CONFIGS["w8x3-exact-fp16"]
    report = verify(p, tiles=2, seed=1, workdir=tmp_path / "bad", inject_fault=True)
    assert not report.passed
    assert [t.mismatches for t in report.tests] == [1] * len(TESTS)
