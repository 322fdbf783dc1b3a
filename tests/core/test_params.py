"""SystolicParams validation: every error names the field, the bad value and what is allowed."""

import pytest

from accelsmith.core.errors import ConfigError
from accelsmith.core.families.systolic import SystolicParams, exact_acc_bits


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rows": 0}, "rows must be an integer in 1..256, not 0"),
        ({"cols": 257}, "cols must be an integer in 1..256, not 257"),
        ({"rows": 2.5}, "rows must be an integer in 1..256, not 2.5"),
        ({"rows": True}, "rows must be an integer in 1..256, not True"),
        ({"dataflow": "xx"}, "dataflow must be one of 'os', 'ws', not 'xx'"),
        ({"in_bits": 40}, "in_bits must be an integer in 2..16, not 40"),
        ({"in_bits": 1}, "in_bits must be an integer in 2..16, not 1"),
        ({"signed": "yes"}, "signed must be true or false, not 'yes'"),
        ({"max_k": 0}, "max_k must be an integer in 1..1048576, not 0"),
        ({"acc_bits": 1}, "acc_bits must be an integer in 2..128, not 1"),
        ({"acc_bits": 200}, "acc_bits must be an integer in 2..128, not 200"),
    ],
)
def test_invalid_values(kwargs, message):
    with pytest.raises(ConfigError) as info:
        SystolicParams(**kwargs)
    assert str(info.value) == message


def test_positional_arguments_refused():
    with pytest.raises(TypeError):
        SystolicParams(8, 8)  # type: ignore[misc]


def test_frozen():
    p = SystolicParams()
    with pytest.raises(AttributeError):
        p.rows = 4  # type: ignore[misc]


@pytest.mark.parametrize("signed", [True, False])
@pytest.mark.parametrize("in_bits", [2, 3, 8, 16])
@pytest.mark.parametrize("max_k", [1, 2, 7, 256, 1 << 20])
def test_exact_acc_bits_is_tight(in_bits, signed, max_k):
    """The default width holds the extreme sums, and one bit less would not."""
    n = exact_acc_bits(in_bits, signed, max_k)
    if signed:
        lo_in, hi_in = -(1 << (in_bits - 1)), (1 << (in_bits - 1)) - 1
        hi, lo = max_k * lo_in * lo_in, max_k * lo_in * hi_in

        def fits(bits):
            return -(1 << (bits - 1)) <= lo and hi <= (1 << (bits - 1)) - 1
    else:
        hi = max_k * ((1 << in_bits) - 1) ** 2

        def fits(bits):
            return hi < (1 << bits)

    assert fits(n)
    assert not fits(n - 1)


def test_worked_acc_bits_examples():
    # int8 x int8 over 256 terms: (-128)^2 * 256 = 2^22 needs 24 signed bits (2^22 < 2^23)
    assert SystolicParams(in_bits=8, signed=True, max_k=256).acc_bits == 24
    # uint8: 255^2 * 256 = 16_646_400 < 2^24
    assert SystolicParams(in_bits=8, signed=False, max_k=256).acc_bits == 24
    # int2 over 1 term: products in -2..4 need 4 signed bits
    assert SystolicParams(in_bits=2, signed=True, max_k=1).acc_bits == 4


def test_round_trip_and_unknown_key():
    p = SystolicParams(rows=3, cols=5, dataflow="ws", in_bits=4, signed=False, acc_bits=9)
    assert SystolicParams.from_dict(p.to_dict()) == p
    assert p.wraps
    with pytest.raises(ConfigError, match="unknown key 'colz'; allowed keys are rows, cols"):
        SystolicParams.from_dict({"colz": 3})


def test_from_yaml_errors(tmp_path):
    bad = tmp_path / "p.yaml"
    bad.write_text("rows: [1, 2\n")
    with pytest.raises(ConfigError, match="is not valid YAML"):
        SystolicParams.from_yaml(bad)
    # the message says where: the problem and its line and column
    bad.write_text("rows: 4\ncols: 4\n  in_bits: 8\n")
    with pytest.raises(
        ConfigError,
        match=r"is not valid YAML: mapping values are not allowed here \(line 3, column 10\)$",
    ):
        SystolicParams.from_yaml(bad)
    bad.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        SystolicParams.from_yaml(bad)
    with pytest.raises(ConfigError, match="cannot be read"):
        SystolicParams.from_yaml(tmp_path / "missing.yaml")


def test_slug_is_stable_and_distinct():
    a, b = SystolicParams(rows=4), SystolicParams(rows=5)
    assert a.slug() == SystolicParams(rows=4).slug()
    assert a.slug() != b.slug()
    assert a.slug().startswith("systolic_")
