"""cocotb on Verilator: the PIM channel against the golden numerics and the command schedule.

Three builds (one per precision and timing preset), each running all six bench tests: every
timing rule one cycle early, random GEMVs back to back with exact RD_MAC words and cycles,
partial tiles, refresh stalls, FP special values and random host traffic. The INT8 build is
reused for the fault-injection and CLI checks.
"""

import json

import pytest

from accelsmith.cli.main import main
from accelsmith.core.families.pim import PimParams
from accelsmith.sim.verify import verify

pytestmark = pytest.mark.sim

CONFIGS = {
    "int8-hbm2-b5-l4": PimParams(
        precision="int8", banks=5, lanes=4, rows=12, row_bytes=12, timing="hbm2"
    ),
    "fp16-aim-b3-l2": PimParams(
        precision="fp16", banks=3, lanes=2, rows=12, row_bytes=8, timing="gddr6-aim"
    ),
    "bf16-custom-b2-l2": PimParams(
        precision="bf16",
        banks=2,
        lanes=2,
        rows=10,
        row_bytes=12,
        timing="custom",
        t_rcd=5,
        t_rp=4,
        t_ras=11,
        t_ccd=2,
        t_rrd=3,
        t_faw=14,
        t_rtp=3,
        t_wr=6,
        t_rfc=17,
        t_refi=400,
        t_cl=3,
    ),
}
TESTS = {
    "timing_rules",
    "gemv_results",
    "partial_tiles",
    "refresh_stalls",
    "fp_specials",
    "random_commands",
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_config_passes(name, tmp_path):
    report = verify(CONFIGS[name], tiles=6, seed=3, workdir=tmp_path)
    by_name = {t.name: t for t in report.tests}
    assert set(by_name) == TESTS, report
    for t in report.tests:
        assert t.errors == [], (t.name, t.errors[:3])
        assert t.mismatches == 0 and t.timing_mismatches == 0 and t.tiles > 0
    assert by_name["timing_rules"].tiles >= 15  # every rule probe plus the state probes
    for t in ("gemv_results", "partial_tiles", "refresh_stalls", "fp_specials"):
        assert by_name[t].measured_cycles == by_name[t].predicted_cycles > 0
    assert by_name["gemv_results"].tiles == 6
    assert report.passed


def test_checker_catches_a_wrong_result_and_cli_reuses_the_build(tmp_path):
    p = CONFIGS["int8-hbm2-b5-l4"]
    bad = verify(p, tiles=2, seed=1, workdir=tmp_path / "bad", inject_fault=True)
    assert not bad.passed and bad.build_cached
    wrong = {t.name: t.mismatches for t in bad.tests}
    assert all(
        wrong[t] == 1 for t in ("gemv_results", "partial_tiles", "fp_specials", "random_commands")
    )
    rep = tmp_path / "r.json"
    argv = [
        "verify",
        "pim",
        "--precision",
        "int8",
        "--banks",
        "5",
        "--lanes",
        "4",
        "--rows",
        "12",
        "--row-bytes",
        "12",
        "--timing",
        "hbm2",
        "--tiles",
        "2",
        "--report",
        str(rep),
    ]
    assert main(argv) == 0
    out = json.loads(rep.read_text())
    assert out["passed"] and out["build_cached"]
