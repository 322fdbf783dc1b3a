"""Systolic cost model: hand-worked layers, properties, vectorized vs scalar, errors."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsmith.core.errors import ConfigError
from accelsmith.models.evaluate import evaluate
from accelsmith.models.tech import Tech

from .systolic_reference import reference_layer

BIG = {"ifmap_kb": 1 << 14, "filter_kb": 1 << 14, "ofmap_kb": 1 << 14, "dram_gbps": 1e4}


def one(cfg, gemms, **kw):
    return evaluate("systolic", [cfg], gemms, **kw).iloc[0]


def test_hand_worked_os_layer():
    # 4x4 OS array, GEMM 6x5x3: tiles = ceil(6/4)*ceil(5/4) = 4, tile = 3+4+4+2 = 13 cycles,
    # back to back every max(3, 4, 2) = 4 cycles: 13 + 3*4 = 25 compute cycles.
    r = one({"rows": 4, "cols": 4, "dataflow": "os", **BIG}, [(6, 5, 3)])
    assert r.compute_cycles == 25 and r.cycles == 25 and r.stall_cycles == 0
    assert r.macs == 90
    assert r.utilization == pytest.approx(90 / (16 * 25))
    # zero-padded slots: 4 tiles x 16 PEs x K=3 = 192; mapping efficiency 90/192
    assert r.mapping_efficiency == pytest.approx(90 / 192)
    # SRAM words: a beats 3 per tile x 4 rows x 4 tiles = 48; b 48; c 4 rows x 4 x 4 = 64
    assert (r.ifmap_sram_reads, r.filter_sram_reads, r.ofmap_sram_writes) == (48, 48, 64)


def test_hand_worked_ws_layer():
    # 2x3 WS array, GEMM 2x3x5: one tile, 3 folds of 2; 2 weight rows + 3*2 beats + 2 + 3 + 2
    r = one({"rows": 2, "cols": 3, "dataflow": "ws", **BIG}, [(2, 3, 5)])
    assert r.compute_cycles == 2 + 6 + 2 + 3 + 2


def test_memory_bound_stalls():
    # 1 GB/s at 1 GHz = 1 byte per cycle. GEMV 1x4096x4096 int8 on 16x16 OS: weights 16 MiB
    # must stream from DRAM (64 KB buffer), so DRAM cycles >= 16.7 M > compute 256*4096 = 1 M.
    r = one({"rows": 16, "cols": 16, "dataflow": "os", "dram_gbps": 1.0}, [(1, 4096, 4096)])
    assert r.compute_cycles == 4096 + 16 + 16 + 2 + 255 * 4096
    assert r.cycles == pytest.approx(r.dram_bytes, rel=1e-9)  # 1 byte per cycle
    assert r.stall_cycles == r.cycles - r.compute_cycles > 0
    assert r.dram_bytes >= 4096 * 4096


def test_dram_traffic_fetches_conv_inputs_once():
    from accelsmith.models.workloads import Conv

    # 3x3 conv, 16x16x8 -> 16 filters, pad 1: M = 256, N = 16, K = 72; im2col A has
    # 256*72 = 18,432 elements but the input is 16*16*8 = 2,048 elements (int8: bytes).
    # Everything fits: DRAM = 2,048 + weights 72*16 = 1,152 + outputs 256*16*acc_bits/8.
    conv = Conv(
        name="c", in_h=16, in_w=16, in_ch=8, out_ch=16, kernel_h=3, kernel_w=3, pad_h=1, pad_w=1
    )
    r = one({"rows": 8, "cols": 8, **BIG}, conv)
    assert r.dram_bytes == pytest.approx(2048 + 1152 + 256 * 16 * r.acc_bits / 8)
    g = one({"rows": 8, "cols": 8, **BIG}, [(256, 16, 72)])  # the same GEMM, no conv view
    assert g.dram_bytes == pytest.approx(256 * 72 + 1152 + 256 * 16 * g.acc_bits / 8)
    assert g.cycles == r.cycles


def test_buffer_too_small_rereads_operands():
    # 4x4 OS, GEMM 64x64x64 int8: A = B = 4,096 bytes. With 1 KiB buffers neither fits; a
    # 4-row block of A (4*64 = 256 B) and a 64x4 block of B (256 B) do. Columns outer keeps
    # the weight block: B once + A once per column block (16x): 4,096 + 16 * 4,096
    r = one(
        {
            "rows": 4,
            "cols": 4,
            "dataflow": "os",
            "ifmap_kb": 1.0,
            "filter_kb": 1.0,
            "dram_gbps": 1e4,
        },
        [(64, 64, 64)],
    )
    assert r.dram_bytes == pytest.approx(4096 + 16 * 4096 + 64 * 64 * r.acc_bits / 8)


def test_totals_and_derived_units():
    r = one({"rows": 8, "cols": 8, "dataflow": "ws", "freq_mhz": 500.0}, [(64, 64, 64)] * 3)
    assert r.latency_s == pytest.approx(r.cycles / 500e6)
    assert r.power_w == pytest.approx(r.energy_j / r.latency_s)
    assert r.tops == pytest.approx(2 * r.macs / r.latency_s / 1e12)
    assert r.tops_per_w == pytest.approx(r.tops / r.power_w)
    assert r.area_mm2 == pytest.approx(r.area_um2 / 1e6)
    parts = r.energy_mac_j + r.energy_reg_j + r.energy_sram_j + r.energy_dram_j + r.energy_leak_j
    assert r.energy_j == pytest.approx(parts)
    areas = r.area_array_um2 + r.area_skew_um2 + r.area_control_um2 + r.area_sram_um2
    assert r.area_um2 == pytest.approx(areas)


def test_per_layer_rows_sum_to_totals():
    cfgs = pd.DataFrame({"rows": [4, 16], "cols": [8, 16], "dataflow": ["os", "ws"]})
    gemms = [(100, 30, 7), (3, 3, 300), (64, 64, 64)]
    per = evaluate("systolic", cfgs, gemms, per_layer=True)
    tot = evaluate("systolic", cfgs, gemms)
    assert len(per) == 6 and list(per["layer"][:3]) == list(per["layer"][3:])
    for i in range(2):
        rows = per[per["config"] == i]
        for col in ("cycles", "energy_j", "macs", "dram_bytes"):
            assert rows[col].sum() == pytest.approx(tot[col][i])


cfg_strategy = st.fixed_dictionaries(
    {
        "rows": st.integers(1, 64),
        "cols": st.integers(1, 64),
        "dataflow": st.sampled_from(["os", "ws"]),
        "in_bits": st.integers(2, 16),
        "ifmap_kb": st.sampled_from([1.0, 16.0, 256.0]),
        "filter_kb": st.sampled_from([1.0, 64.0]),
        "dram_gbps": st.sampled_from([1.0, 25.6, 400.0]),
    }
)
gemm_strategy = st.tuples(st.integers(1, 300), st.integers(1, 300), st.integers(1, 500))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(cfg_strategy, min_size=1, max_size=5), st.lists(gemm_strategy, min_size=1, max_size=4)
)
def test_vectorized_equals_scalar_reference(cfgs, gemms):
    tech = Tech.at_node(45)
    per = evaluate("systolic", cfgs, gemms, per_layer=True, tech=tech)
    for row in per.itertuples():
        cfg = {
            "rows": row.rows,
            "cols": row.cols,
            "dataflow": row.dataflow,
            "in_bits": row.in_bits,
            "acc_bits": row.acc_bits,
            "ifmap_kb": row.ifmap_kb,
            "filter_kb": row.filter_kb,
            "freq_mhz": row.freq_mhz,
            "dram_gbps": row.dram_gbps,
        }
        ref = reference_layer(cfg, row.M, row.N, row.K, tech)
        for key, value in ref.items():
            assert getattr(row, key) == pytest.approx(value, rel=1e-9), key


@settings(max_examples=60, deadline=None)
@given(cfg_strategy, gemm_strategy, st.sampled_from(["rtl", "scalesim"]))
def test_larger_k_never_fewer_cycles(cfg, g, convention):
    m, n, k = g
    a = one(cfg, [(m, n, k)], convention=convention)
    b = one(cfg, [(m, n, k + 1)], convention=convention)
    assert b.cycles >= a.cycles and b.compute_cycles >= a.compute_cycles
    assert b.energy_j >= a.energy_j and b.dram_bytes >= a.dram_bytes


@settings(max_examples=60, deadline=None)
@given(cfg_strategy, gemm_strategy, st.sampled_from(["rtl", "scalesim"]))
def test_wider_operands_never_cheaper(cfg, g, convention):
    if cfg["in_bits"] == 16:
        return
    a = one(cfg, [g], convention=convention)
    b = one(cfg | {"in_bits": cfg["in_bits"] + 1}, [g], convention=convention)
    assert b.area_um2 > a.area_um2
    assert b.energy_j >= a.energy_j
    assert b.energy_mac_j > a.energy_mac_j and b.energy_sram_j >= a.energy_sram_j


@pytest.mark.parametrize(
    ("cfg", "message"),
    [
        ({"rows": 0, "cols": 4}, "configs row 0: rows must be an integer in 1..256, not 0"),
        ({"rows": 4, "cols": 4.5}, "configs row 0: cols must be an integer in 1..256, not 4.5"),
        ({"rows": 4, "cols": 4, "dataflow": "xs"}, "configs row 0: dataflow must be one of"),
        ({"rows": 4, "cols": 4, "in_bits": 40}, "in_bits must be an integer in 2..16, not 40"),
        ({"rows": 4, "cols": 4, "signed": "yes"}, "signed must be true or false, not 'yes'"),
        ({"rows": 4, "cols": 4, "dram_gbps": -1}, "dram_gbps must be a number in"),
        ({"rows": 4, "cols": 4, "colour": 1}, "unknown column 'colour'; allowed columns"),
        ({"cols": 4}, "configs row 1: rows is missing"),
        ({"rows": 4, "cols": 4, "dataflow": "is"}, "dataflow 'is' has no RTL generator"),
    ],
)
def test_config_errors_name_row_and_field(cfg, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(".", r"\.")):
        evaluate(
            "systolic",
            [{"rows": 2, "cols": 2}, cfg] if "row 0" not in message else [cfg],
            [(4, 4, 4)],
        )


def test_missing_required_column():
    with pytest.raises(ConfigError, match="configs must have a column 'rows'"):
        evaluate("systolic", [{"cols": 4}], [(4, 4, 4)])


def test_bad_row_index_is_reported():
    with pytest.raises(ConfigError, match="configs row 2: rows must be"):
        evaluate("systolic", [{"rows": 2, "cols": 2}] * 2 + [{"rows": 999, "cols": 2}], [(4, 4, 4)])


def test_bad_family_and_convention():
    with pytest.raises(ConfigError, match=r"family must be one of .*'systolic'.*, not 'gpu'"):
        evaluate("gpu", [{"rows": 2, "cols": 2}], [(1, 1, 1)])
    with pytest.raises(ConfigError, match="convention must be one of 'rtl', 'scalesim'"):
        evaluate("systolic", [{"rows": 2, "cols": 2}], [(1, 1, 1)], convention="timeloop")


def test_node_scaling_reduces_energy_and_area():
    cfg = {"rows": 16, "cols": 16, "dataflow": "os", **BIG}
    a = one(cfg, [(256, 256, 256)], node_nm=45)
    b = one(cfg, [(256, 256, 256)], node_nm=7)
    assert b.area_um2 < a.area_um2 and b.energy_mac_j < a.energy_mac_j
    assert b.cycles == a.cycles


def test_throughput_of_vectorized_evaluation():
    """10^4 configurations x 20 layers in one call (the benchmark measures the rate)."""
    rng = np.random.default_rng(0)
    cfgs = pd.DataFrame(
        {
            "rows": rng.integers(1, 257, 10_000),
            "cols": rng.integers(1, 257, 10_000),
            "dataflow": rng.choice(["os", "ws"], 10_000),
            "in_bits": rng.integers(2, 17, 10_000),
        }
    )
    gemms = [tuple(int(x) for x in rng.integers(1, 2000, 3)) for _ in range(20)]
    out = evaluate("systolic", cfgs, gemms)
    assert len(out) == 10_000 and np.isfinite(out["energy_j"]).all()


def test_max_k_defaults_to_the_deepest_layer():
    # without max_k the accumulator is sized for the workload's deepest K (exact everywhere)
    r = evaluate("systolic", [{"rows": 4, "cols": 4}], [(8, 8, 100), (8, 8, 3000)]).iloc[0]
    assert r.max_k == 3000 and not r.exceeds_max_k
    # signed 8-bit: 3000 * 2**14 < 2**26, so 26 bits + sign = 27
    assert r.acc_bits == 27
    # an explicit max_k is kept, and the model says when a layer is deeper
    r = evaluate("systolic", [{"rows": 4, "cols": 4, "max_k": 256}], [(8, 8, 3000)]).iloc[0]
    assert r.max_k == 256 and r.acc_bits == 24 and r.exceeds_max_k
    # rows that leave max_k empty take the default, others keep theirs
    df = pd.DataFrame({"rows": [4, 4], "cols": [4, 4], "max_k": [None, 64]})
    out = evaluate("systolic", df, [(8, 8, 500)])
    assert list(out["max_k"]) == [500, 64]
