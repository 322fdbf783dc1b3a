"""NaN and inf are refused by the library's cost models, not only by the CLI's float options."""

import math

import pandas as pd
import pytest

from accelsmith.core.errors import ConfigError
from accelsmith.models import evaluate

WL = [(8, 8, 8)]


@pytest.mark.parametrize(
    ("family", "configs", "message"),
    [
        (
            "systolic",
            [{"rows": 8, "cols": 8, "freq_mhz": math.nan}],
            "configs row 0: freq_mhz must be a number in 1..10000, not nan",
        ),
        (
            "systolic",
            [{"rows": 8, "cols": 8}, {"rows": 8, "cols": 8, "max_k": math.nan}],
            "configs row 1: max_k must be an integer in 1..1.04858e+06, not nan",
        ),
        (
            "systolic",
            {"rows": [8], "cols": [8], "ifmap_kb": [math.nan]},
            "configs row 0: ifmap_kb must be a number in 0..1.04858e+06, not nan",
        ),
        (
            "systolic",
            [{"rows": 8, "cols": 8, "dataflow": math.nan}],
            "configs row 0: dataflow must be one of 'os', 'ws', 'is', not nan",
        ),
        (
            "systolic",
            [{"rows": 8, "cols": 8, "dram_gbps": math.inf}],
            "configs row 0: dram_gbps must be a number in 0.01..100000, not inf",
        ),
        (
            "lut-core",
            [{"act_kb": -math.inf}],
            "configs row 0: act_kb must be a number in 0..1.04858e+06, not -inf",
        ),
        ("simd", [{"min_sqnr_db": math.nan}], "configs row 0: min_sqnr_db must be a number"),
        ("pim", [{"batch": math.nan}], "configs row 0: batch must be an integer in 1..4096"),
    ],
)
def test_nan_and_inf_refused(family, configs, message):
    with pytest.raises(ConfigError) as info:
        evaluate(family, configs, WL)
    assert str(info.value).startswith(message)


def test_nan_in_a_dataframe_is_a_missing_value():
    """pandas marks a missing value (a record without the key, an inactive conditional DSE
    parameter) with NaN: there the column's default applies, as documented."""
    df = pd.DataFrame([{"rows": 8, "cols": 8, "freq_mhz": 500.0}, {"rows": 8, "cols": 8}])
    assert math.isnan(df["freq_mhz"][1])
    out = evaluate("systolic", df, WL)
    assert list(out["freq_mhz"]) == [500.0, 1000.0]
