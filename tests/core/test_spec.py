"""Parameter declarations (``accelsmith.core.spec``): everything derived from one place."""

import dataclasses
from typing import ClassVar

import pytest

from accelsmith.core.errors import ConfigError
from accelsmith.core.params import ParamsBase, merge_config
from accelsmith.core.spec import (
    NOT_IN_SPACE,
    column_spec,
    default_space,
    model_param,
    param,
    param_specs,
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ToyParams(ParamsBase):
    """A made-up family: one declaration per parameter, nothing else."""

    family: ClassVar[str] = "toy"

    width: int = param(8, lo=2, hi=32, unit="bits", help="Word width.", space={"low": 2, "high": 8})
    mode: str = param("a", choices=("a", "b"), help="Mode.", space={"choices": ["a", "b"]})
    fast: bool = param(True, flag="--fast/--slow", help="Speed.")
    depth: int | None = param(None, kind=int, lo=1, hi=99, derived=True, help="Depth.")
    names: tuple[str, ...] = param(("x", "y"), custom_check=True, column={"default": "x,y"})
    gain: float = param(1.0, lo=0.0, hi=2.0, help="Gain.", column={"skip": True})

    model_params = (
        model_param("clock_mhz", 100.0, lo=1.0, hi=1e4, unit="MHz", cli_default=100.0),
        model_param("buffer_kb", 4.0, lo=0.0, hi=64.0, space={"choices": [1.0, 4.0]}),
    )

    def check(self) -> None:
        if self.depth is None:
            self._set("depth", 2 * self.width)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"width": 1}, "width must be an integer in 2..32, not 1"),
        ({"width": 2.5}, "width must be an integer in 2..32, not 2.5"),
        ({"width": True}, "width must be an integer in 2..32, not True"),
        ({"mode": "c"}, "mode must be one of 'a', 'b', not 'c'"),
        ({"fast": 1}, "fast must be true or false, not 1"),
        ({"depth": 100}, "depth must be an integer in 1..99, not 100"),
        ({"gain": float("nan")}, "gain must be a finite number in 0..2, not nan"),
        ({"gain": float("inf")}, "gain must be a finite number in 0..2, not inf"),
        ({"gain": 2.5}, "gain must be a finite number in 0..2, not 2.5"),
        ({"gain": "1"}, "gain must be a finite number in 0..2, not '1'"),
    ],
)
def test_validation_is_derived(kwargs, message):
    with pytest.raises(ConfigError) as info:
        ToyParams(**kwargs)
    assert str(info.value) == message


def test_derived_default_and_round_trip():
    p = ToyParams(width=5)
    assert p.depth == 10 and p.names == ("x", "y")
    assert ToyParams.from_dict(p.to_dict()) == p


def test_specs_columns_and_space():
    specs = {s.name: s for s in param_specs(ToyParams)}
    assert list(specs) == [
        "width", "mode", "fast", "depth", "names", "gain", "clock_mhz", "buffer_kb"
    ]  # fmt: skip
    assert specs["fast"].flags == ("--fast", "--slow")
    assert specs["width"].flags == ("--width", None)
    assert specs["clock_mhz"].model_only and specs["clock_mhz"].commands == ("cost",)
    assert specs["depth"].space is NOT_IN_SPACE
    assert column_spec(ToyParams) == {
        "width": (8, int, 2, 32),
        "mode": ("a", ("a", "b"), 0, 0),
        "fast": (True, bool, 0, 1),
        "depth": (None, int, 1, 99),
        "names": ("x,y", str, 0, 0),
        "clock_mhz": (100.0, float, 1.0, 1e4),
        "buffer_kb": (4.0, float, 0.0, 64.0),
    }
    assert default_space(ToyParams) == {
        "width": {"low": 2, "high": 8},
        "mode": {"choices": ["a", "b"]},
        "buffer_kb": {"choices": [1.0, 4.0]},
    }
    assert list(default_space(ToyParams, order=("buffer_kb",))) == ["buffer_kb", "width", "mode"]


def test_cli_values():
    specs = {s.name: s for s in param_specs(ToyParams)}
    assert specs["fast"].cli_value(False) == ["--slow"]
    assert specs["width"].cli_value(8.0) == ["--width", "8"]
    assert specs["names"].cli_value(("x", "z")) == ["--names", "x,z"]


def test_merge_config(tmp_path):
    cfg = tmp_path / "t.yaml"
    cfg.write_text("width: 4\nmode: b\n")
    p = merge_config(ToyParams, cfg, {"mode": None, "fast": False})
    # flags win, None means not given, and the derived depth follows the merged width
    assert (p.width, p.mode, p.fast, p.depth) == (4, "b", False, 8)
    cfg.write_text("width: 4\ndepth: 3\n")
    assert merge_config(ToyParams, cfg, {"width": 6}).depth == 3  # set in the file: kept
    cfg.write_text("widht: 4\n")
    with pytest.raises(ConfigError, match="unknown key 'widht'; allowed keys are width, mode"):
        merge_config(ToyParams, cfg, {})


def test_systolic_columns_are_the_declarations():
    """The cost model's bounds are the params' own (no second table to keep in step)."""
    from accelsmith.core.families.systolic import SystolicParams
    from accelsmith.models.systolic_cost import SYSTOLIC_COLUMNS

    cols = column_spec(SystolicParams)
    assert cols == SYSTOLIC_COLUMNS
    assert cols["rows"] == (None, int, 1, 256)  # required by the model
    assert cols["dataflow"][1] == ("os", "ws", "is")  # SCALE-Sim's input-stationary too
    assert cols["freq_mhz"] == (1000.0, float, 1.0, 10_000.0)
