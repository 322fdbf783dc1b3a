"""Technology tables: cited anchors reproduced, width and node scaling, YAML overrides."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from accelsmith.core.errors import ConfigError
from accelsmith.models.tech import NODES, Tech, node_factors

PJ = 1e-12


def test_horowitz_anchors_at_45nm():
    t = Tech.at_node(45)
    # Horowitz ISSCC 2014: int add 8b 0.03 pJ, 32b 0.1 pJ; int mult 8b 0.2 pJ, 32b 3.1 pJ
    assert t.int_add_energy_j(8) == pytest.approx(0.03 * PJ)
    assert t.int_add_energy_j(32) == pytest.approx(0.1 * PJ)
    assert t.int_mul_energy_j(8) == pytest.approx(0.2 * PJ)
    assert t.int_mul_energy_j(32) == pytest.approx(3.1 * PJ)
    # the linear adder fit also lands near his 16-bit point (0.05 pJ)
    assert t.int_add_energy_j(16) == pytest.approx(0.05 * PJ, rel=0.1)
    # SRAM 64-bit reads: 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ; 32-bit word is half
    assert t.sram_read_energy_j(8 * 1024, 64) == pytest.approx(10 * PJ)
    assert t.sram_read_energy_j(32 * 1024, 64) == pytest.approx(20 * PJ)
    assert t.sram_read_energy_j(1 << 20, 64) == pytest.approx(100 * PJ)
    assert t.sram_read_energy_j(8 * 1024, 32) == pytest.approx(5 * PJ)
    assert t.fp_mul_energy_j("fp32") == pytest.approx(3.7 * PJ)
    # DRAM: 1.95 nJ per 64-bit access (midpoint of 1.3-2.6 nJ) = 30.5 pJ/bit
    assert t.dram_energy_j_per_bit * 64 == pytest.approx(1.95e-9, rel=1e-3)
    # areas: 8-bit multiplier 282 um^2, 32-bit adder 137 um^2; NAND2_X1 0.798 um^2
    assert t.int_mul_area_um2(8) == pytest.approx(282.0)
    assert t.int_add_area_um2(32) == pytest.approx(137.0)
    assert t.ge_to_um2(1000) == pytest.approx(798.0)
    # 1 KiB of SRAM: 8192 bits x 0.346 um^2 / 0.5 efficiency
    assert t.sram_area_um2(1024) == pytest.approx(8192 * 0.346 / 0.5)


def test_node_factors_match_reference_table():
    # reference §5.3, corrected Stillmaker-Baas factors from 45 nm (area, energy at 0.8 V)
    expected = {
        32: (0.46, 0.659),
        28: (0.377, 0.513),
        22: (0.252, 0.294),
        16: (0.19, 0.174),
        7: (0.059, 0.094),
    }
    for node, (area, energy) in expected.items():
        e, a = node_factors(node)
        assert a == pytest.approx(area, abs=1e-3)
        assert e == pytest.approx(energy, abs=1.5e-3)
    # worked example from the reference: 8-bit multiply ~0.10 pJ at 28 nm, ~0.019 pJ at 7 nm
    assert Tech.at_node(28).int_mul_energy_j(8) == pytest.approx(0.10 * PJ, rel=0.05)
    assert Tech.at_node(7).int_mul_energy_j(8) == pytest.approx(0.019 * PJ, rel=0.05)


def test_smaller_nodes_cost_less():
    prev = None
    for node in sorted(NODES, reverse=True):  # from 130 nm down to 7 nm
        t = Tech.at_node(node)
        cur = (
            t.int_mul_energy_j(8),
            t.int_mul_area_um2(8),
            t.sram_area_um2(65536),
            t.sram_read_energy_j(65536, 64),
        )
        if prev is not None:
            assert all(c < p for c, p in zip(cur, prev, strict=True)), node
        prev = cur
    # DRAM is off chip: the same at every node
    assert Tech.at_node(7).dram_energy_j_per_bit == Tech.at_node(45).dram_energy_j_per_bit


@given(st.integers(2, 63), st.sampled_from(NODES))
def test_wider_never_cheaper(bits, node):
    t = Tech.at_node(node)
    for f in (
        t.int_add_energy_j,
        t.int_mul_energy_j,
        t.int_add_area_um2,
        t.int_mul_area_um2,
        t.reg_energy_j,
        t.reg_area_um2,
    ):
        assert f(bits + 1) > f(bits)


def test_vectorized():
    t = Tech.at_node(16)
    bits = np.arange(2, 33)
    assert t.int_mul_energy_j(bits).shape == (31,)
    caps = np.logspace(2, 8, 50)
    e = t.sram_read_energy_j(caps, 64)
    assert np.all(np.diff(e) > 0)


@pytest.mark.parametrize("node", [40, 5, 0, "28", True])
def test_unsupported_node(node):
    with pytest.raises(ConfigError, match="node_nm must be one of 45, 32, 28, 22, 20, 16"):
        Tech.at_node(node)


def test_yaml_override_is_absolute_at_its_node(tmp_path):
    f = tmp_path / "t.yaml"
    f.write_text("node_nm: 28\nint_mul_pj_8: 0.15\nsram_array_efficiency: 0.7\n")
    t = Tech.from_yaml(f)
    assert t.node_nm == 28
    assert t.int_mul_energy_j(8) == pytest.approx(0.15 * PJ)
    assert t.sram_array_efficiency == 0.7
    # untouched fields keep the scaled defaults
    assert t.int_add_energy_j(8) == pytest.approx(Tech.at_node(28).int_add_energy_j(8))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("int_mul_pj_9: 1\n", "unknown key 'int_mul_pj_9'; allowed keys are node_nm"),
        ("int_mul_pj_8: -1\n", "int_mul_pj_8 must be a non-negative number, not -1"),
        ("int_mul_pj_8: fast\n", "int_mul_pj_8 must be a non-negative number, not 'fast'"),
        ("- 1\n", "must be a mapping"),
        ("a: [\n", "is not valid YAML"),
        ("node_nm: 40\n", "node_nm must be one of"),
        # NaN / inf gave NaN energies; zero in a log-scale anchor a ZeroDivisionError
        ("int_mul_pj_8: .nan\n", "int_mul_pj_8 must be a non-negative number, not nan"),
        ("int_mul_um2_32: .inf\n", "int_mul_um2_32 must be a non-negative number, not inf"),
        ("int_mul_pj_8: 0\n", "int_mul_pj_8 must be > 0 .*, not 0"),
        ("int_mul_um2_8: 0.0\n", "int_mul_um2_8 must be > 0 .*, not 0.0"),
        ("sram_pj_64b_1mb: 0\n", "sram_pj_64b_1mb must be > 0 .*, not 0"),
        ("sram_array_efficiency: 0\n", r"sram_array_efficiency must be in \(0, 1\], not 0"),
        ("sram_array_efficiency: 1.5\n", r"sram_array_efficiency must be in \(0, 1\], not 1.5"),
        ("rows: 1\nb: [1,\n", "is not valid YAML: .* \\(line 3, column 1\\)"),
    ],
)
def test_yaml_errors(tmp_path, text, message):
    f = tmp_path / "t.yaml"
    f.write_text(text)
    with pytest.raises(ConfigError, match=message.replace(" [", r" \[")):
        Tech.from_yaml(f)


def test_zero_is_allowed_where_it_means_nothing(tmp_path):
    f = tmp_path / "t.yaml"
    f.write_text("leakage_w_per_um2: 0\ndram_pj_per_bit: 0\n")
    t = Tech.from_yaml(f)
    assert t.leakage_w(100.0) == 0 and t.dram_energy_j_per_bit == 0
