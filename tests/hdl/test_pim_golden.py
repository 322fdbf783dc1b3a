"""Fast tier: PIM parameters, presets, golden numerics and the command schedule."""

import numpy as np
import pytest

from accelsmith.core.errors import ConfigError
from accelsmith.core.families.pim import PRESETS, PimParams, load_timing
from accelsmith.core.latency.pim import Timer, engine_schedule
from accelsmith.sim.golden.pim import gemv, mac_burst, zero_acc


def test_presets_load_with_cited_sources():
    for name, preset in PRESETS.items():
        p = PimParams(timing=name)
        assert p.timings() == {k: v for k, v in preset.items() if k.startswith("t_")}
        assert "@" in preset["source"]
    hbm = PimParams(timing="hbm2")
    assert (hbm.t_rcd, hbm.t_rp, hbm.t_ras, hbm.t_faw, hbm.t_refi) == (14, 14, 34, 30, 3900)
    aim = PimParams(timing="gddr6-aim")
    assert (aim.t_rcd, aim.t_ccd, aim.t_rfc, aim.t_refi, aim.t_cl) == (56, 2, 210, 3333, 50)


def test_custom_timing_yaml(tmp_path):
    f = tmp_path / "t.yaml"
    f.write_text(
        "tRCD: 3\ntRP: 4\ntRAS: 8\ntCCD: 2\ntRRD: 2\ntFAW: 12\ntRTP: 3\ntWR: 5\n"
        "tRFC: 9\ntREFI: 200\nt_cl: 2\n"
    )
    t = load_timing(f)
    p = PimParams(timing="custom", **t)
    assert p.t_rcd == 3 and p.t_cl == 2 and p.t_refi == 200
    f.write_text("tRCD: 3\n")
    with pytest.raises(ConfigError, match="missing tRP"):
        load_timing(f)
    f.write_text("tRCD: 0\n")
    with pytest.raises(ConfigError, match=r"tRCD must be an integer in 1\.\.65535, not 0"):
        load_timing(f)
    f.write_text("tXYZ: 3\n")
    with pytest.raises(ConfigError, match="unknown key 'tXYZ'"):
        load_timing(f)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"precision": "fp8"}, "precision must be one of 'int8', 'fp16', 'bf16', not 'fp8'"),
        ({"lanes": 0}, r"lanes must be an integer in 1\.\.64, not 0"),
        ({"lanes": 16, "burst_bits": 128}, r"burst_bits must be lanes \* element bits"),
        ({"row_bytes": 40}, "row_bytes must be a multiple of the burst"),
        ({"banks": 65}, r"banks must be an integer in 1\.\.64, not 65"),
        ({"timing": "ddr9"}, "timing must be one of 'hbm2', 'gddr6', 'gddr6-aim', 'custom'"),
        ({"timing": "custom"}, "t_rcd must be given with timing 'custom'"),
        ({"t_refi": 100}, r"t_refi must be greater than t_rfc \(260\), not 100"),
        ({"t_ccd": 0}, r"t_ccd must be an integer in 1\.\.65535, not 0"),
    ],
)
def test_params_errors(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        PimParams(**kwargs)


def _f16(v):
    return np.array(v, dtype=np.float16).view(np.uint16).astype(np.int64)


def test_fp16_lane_is_unfused():
    """Reference §3.2: a = b = 1.0009765625, c = -1.001953125: unfused 0.0, fused 9.5e-7."""
    p = PimParams(precision="fp16", lanes=1, row_bytes=2, banks=1)
    acc = _f16([-1.001953125])
    out = mac_burst(p, acc, _f16([1.0009765625]), _f16([1.0009765625]))
    assert out[0] == 0  # +0.0


def test_fp16_overflow_then_nan():
    p = PimParams(precision="fp16", lanes=2, row_bytes=4, banks=1)
    acc = zero_acc(p)
    acc = mac_burst(p, acc, _f16([60000.0, 1.0]), _f16([2.0, 1.0]))
    assert list(acc) == [0x7C00, 0x3C00]  # 120000 overflows to +Inf
    acc = mac_burst(p, acc, _f16([-60000.0, 0.0]), _f16([2.0, np.inf]))
    assert list(acc) == [0x7E00, 0x7E00]  # Inf - Inf and 0 * Inf: canonical NaN


def test_fp16_accumulation_order_matters():
    """Per-lane burst order: big + (-big) + small differs from big + small + (-big)."""
    p = PimParams(precision="fp16", lanes=1, row_bytes=6, banks=1)
    w = np.array([[2048.0, -2048.0, 1.0]], dtype=np.float16).view(np.uint16)
    x = np.array([1.0, 1.0, 1.0], dtype=np.float16).view(np.uint16)
    assert np.float32(gemv(p, w, x)["y"][0]) == 1.0
    w2 = np.array([[2048.0, 1.0, -2048.0]], dtype=np.float16).view(np.uint16)
    assert np.float32(gemv(p, w2, x)["y"][0]) == 0.0  # 2048 + 1 rounds to 2048 in FP16


def test_int8_wraps_at_32_bits_and_matches_numpy():
    p = PimParams(precision="int8", lanes=4, row_bytes=8, banks=3, rows=64)
    rng = np.random.default_rng(0)
    w = rng.integers(-128, 128, (7, 21))
    x = rng.integers(-128, 128, 21)
    np.testing.assert_array_equal(gemv(p, w, x)["y"], w @ x)


def test_bf16_rd_mac_rounds_ties_to_even():
    p = PimParams(precision="bf16", lanes=2, row_bytes=4, banks=1)
    one = 0x3F80
    eps = 0x3B80  # 2^-8
    acc = mac_burst(p, zero_acc(p), [one, eps], [one, one])  # 1 + 2^-8: a tie
    from accelsmith.sim.golden.pim import read_mac

    assert read_mac(p, acc)[0] == 0x3F80  # ties to even: 1.0


def test_schedule_matches_hand_count():
    """One group, one burst, one bank, from reset: WR_GB at 1, ACT at 2, MAC at 2 + tRCD,
    PRE at max(ACT + tRAS, MAC + tRTP), RD_MAC at max(PRE + 1, MAC + tCCD), done at
    RD_MAC + tCL."""
    p = PimParams(precision="int8", lanes=4, row_bytes=4, banks=1, rows=4)
    s = engine_schedule(p, 1, 1, 1)
    times = [t for t, _ in s["commands"]]
    mac = 2 + p.t_rcd
    pre = max(2 + p.t_ras, mac + p.t_rtp)
    rdmac = max(pre + 1, mac + p.t_ccd)
    assert times == [1, 2, mac, pre, rdmac]
    assert [c.op for _, c in s["commands"]] == ["WR_GB", "ACT", "MAC", "PRE", "RD_MAC"]
    assert s["done"] == rdmac + p.t_cl and s["cycles"] == s["done"] + 1


def test_timer_refuses_fifth_act_in_faw_window():
    p = PimParams(precision="int8", lanes=4, row_bytes=4, banks=8, rows=4)
    tm = Timer(p)
    from accelsmith.core.latency.pim import Cmd

    t = 0
    for b in range(4):
        c = Cmd("ACT", bank=b)
        t = tm.earliest(c, t)
        tm.issue(c, t)
    fifth = Cmd("ACT", bank=4)
    assert tm.earliest(fifth, t + 1) == p.t_faw
    assert tm.violations(fifth, p.t_faw - 1) == {"tFAW"}
