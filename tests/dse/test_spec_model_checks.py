"""Specs the cost model cannot run are refused before any trial (exit 2, one line)."""

from __future__ import annotations

import pytest

from accelsmith.cli.main import main
from accelsmith.dse.storage import driver_url

from .dse_helpers import TINY_SPACE, write_spec


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"rows": {"low": 0, "high": 8}}, "space.rows: the systolic model refuses 0"),
        ({"cols": {"low": 4, "high": 1000}}, "space.cols: the systolic model refuses 1000"),
        (
            {"dataflow": {"choices": ["os", "xs"]}},
            "space.dataflow: the systolic model refuses 'xs'",
        ),
    ],
)
def test_space_values_outside_the_model_are_refused(tmp_path, monkeypatch, capsys, entry, message):
    monkeypatch.chdir(tmp_path)
    spec = write_spec(tmp_path / "spec.yaml", space={**TINY_SPACE, **entry})
    assert main(["dse", "run", str(spec), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err
    assert "Traceback" not in err


def test_non_numeric_objective_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    spec = write_spec(
        tmp_path / "spec.yaml", objectives={"dataflow": "minimize", "energy_j": "minimize"}
    )
    assert main(["dse", "run", str(spec), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "objectives.dataflow: not a numeric output of the systolic cost model" in err
    allowed = err.split("allowed: ")[1].split(", ")
    assert "energy_j" in allowed and "dataflow" not in allowed


def test_plain_postgresql_urls_use_the_installed_driver():
    assert driver_url("postgresql://u@h:5/db") == "postgresql+psycopg2://u@h:5/db"
    assert driver_url("postgres://u@h/db") == "postgresql+psycopg2://u@h/db"
    assert driver_url("postgresql+psycopg2://u@h/db") == "postgresql+psycopg2://u@h/db"
    assert driver_url("sqlite:///x.db") == "sqlite:///x.db"


def test_a_misspelled_key_is_named(tmp_path):
    from accelsmith.core.errors import ConfigError
    from accelsmith.dse.spec import parse_spec

    from .dse_helpers import tiny_spec_dict

    data = tiny_spec_dict()
    data["famliy"] = data.pop("family")
    with pytest.raises(ConfigError, match=r"spec: unknown key 'famliy'; allowed keys are"):
        parse_spec(data)


def test_a_misspelled_space_column_is_named_not_a_neighbour(tmp_path, monkeypatch, capsys):
    """``space: {rowz: 4}`` names rowz; it used to blame space.rows (whose name is in the
    allowed-columns list of the model's message)."""
    monkeypatch.chdir(tmp_path)
    spec = write_spec(tmp_path / "spec.yaml", space={**TINY_SPACE, "rowz": 4})
    assert main(["dse", "run", str(spec), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "unknown column 'rowz'" in err, err
    assert "space.rows" not in err and "refuses" not in err, err
    assert not (tmp_path / "runs").exists()
