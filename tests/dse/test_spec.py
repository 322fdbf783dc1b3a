"""Campaign specs: the issue's minimal spec, defaults, and every error message (exact)."""

from __future__ import annotations

import pytest

from accelsmith.core.errors import ConfigError
from accelsmith.dse.spec import load_spec, parse_spec

from .dse_helpers import tiny_spec_dict

MINIMAL = """\
name: sa-resnet50
family: systolic
workload: resnet50
objectives: {latency_s: minimize, energy_j: minimize, area_um2: minimize}
explorer: {name: nsga2}
budget: 1000
seed: 0
"""


def test_minimal_spec_from_the_issue(tmp_path) -> None:
    p = tmp_path / "s.yaml"
    p.write_text(MINIMAL)
    spec = load_spec(p)
    assert spec.objectives == [
        ("latency_s", "minimize"),
        ("energy_j", "minimize"),
        ("area_um2", "minimize"),
    ]
    assert spec.storage_url() == "sqlite:///runs/sa-resnet50/study.db"
    space = spec.build_space()
    assert space.size() == 256_000  # the systolic family's default space
    assert spec.explorer.name == "nsga2" and spec.budget == 1000 and spec.workers == 1


def test_space_entries_override_the_family_default_per_parameter() -> None:
    spec = parse_spec(
        tiny_spec_dict(space={"rows": {"low": 8, "high": 16, "step": 8}, "ofmap_kb": None})
    )
    space = spec.build_space()
    assert space["rows"].to_dict() == {"low": 8, "high": 16, "step": 8}
    assert space["cols"].to_dict() == {"low": 4, "high": 128, "step": 4}  # default kept
    assert "ofmap_kb" not in space.names  # null removes a default parameter


def test_constraints_strings_and_mappings() -> None:
    spec = parse_spec(tiny_spec_dict(constraints=["area_mm2 <= 4", "tops>=0.5", "power_w < 2e0"]))
    assert [str(c) for c in spec.constraints] == ["area_mm2 <= 4", "tops >= 0.5", "power_w <= 2"]
    spec = parse_spec(tiny_spec_dict(constraints={"area_mm2": {"<=": 4, ">=": 1}}))
    assert [str(c) for c in spec.constraints] == ["area_mm2 <= 4", "area_mm2 >= 1"]


def test_workload_list_with_weights_and_explorer_shorthand() -> None:
    spec = parse_spec(
        tiny_spec_dict(
            workload=["resnet50", {"name": "bert-base-128", "weight": 3}], explorer="tpe"
        )
    )
    assert [(w.source, w.weight) for w in spec.workload] == [
        ("resnet50", 1.0),
        ("bert-base-128", 3.0),
    ]
    assert spec.explorer.name == "tpe" and spec.explorer.options == {}


def _without(key: str) -> dict:
    return {k: v for k, v in tiny_spec_dict().items() if k != key}


CASES = [
    (_without("name"), "spec: name is required"),
    (
        tiny_spec_dict(budgett=3),
        "spec: unknown key 'budgett'; allowed keys are name, family, space, workload, "
        "objectives, constraints, explorer, budget, seed, storage, workers, node_nm, tech",
    ),
    (
        tiny_spec_dict(objectives={"latency_s": "minimize"}),
        "spec: objectives must name 2 to 4 metrics, not 1",
    ),
    (
        tiny_spec_dict(objectives={"latency_s": "min", "energy_j": "minimize"}),
        "spec: objectives.latency_s must be 'minimize' or 'maximize', not 'min'",
    ),
    (
        tiny_spec_dict(constraints=["area_mm2 =< 4"]),
        "spec: constraints must read like 'area_mm2 <= 4' (metric, <= or >=, number), "
        "not 'area_mm2 =< 4'",
    ),
    (
        tiny_spec_dict(explorer={"name": "nsga2", "options": {"population": 3}}),
        "spec: explorer.options: unknown option 'population' for nsga2; allowed: "
        "population_size, mutation_prob, crossover_prob, swapping_prob",
    ),
    (
        tiny_spec_dict(explorer={"name": "nsga2", "options": {"population_size": 1}}),
        "spec: explorer.options.population_size must be an int >= 2, not 1",
    ),
    (tiny_spec_dict(budget=0), "spec: budget must be >= 1, not 0"),
    (tiny_spec_dict(budget="many"), "spec: budget must be an integer, not 'many'"),
    (
        tiny_spec_dict(space={"rows": {"low": 4, "high": 16, "step": 0}}),
        "spec: space.rows.step must be a positive integer, not 0",
    ),
    (
        tiny_spec_dict(space={"rows": {"low": 4, "high": 18, "step": 4}}),
        "spec: space.rows.high must be low + a multiple of step (4 + k*4), not 18",
    ),
    (
        tiny_spec_dict(space={"rows": {"low": 4, "high": 16, "stride": 4}}),
        "spec: space.rows: unknown key 'stride'; allowed keys are low, high, step, log, when "
        "(a range), choices, when (categorical) or value, when (fixed)",
    ),
    (
        tiny_spec_dict(space={"rows": {"low": 4, "high": 16, "when": {"dataflow": "xs"}}}),
        "spec: space.rows.when.dataflow must be values of dataflow (one of 'os', 'ws'), not 'xs'",
    ),
    (
        tiny_spec_dict(name="a b"),
        "spec: name must start with a letter or digit and hold only letters, digits, '.', "
        "'_' and '-', not 'a b'",
    ),
    (
        tiny_spec_dict(workload=[{"name": "resnet50", "weight": 0}]),
        "spec: workload.0.weight must be > 0.0, not 0",
    ),
]


@pytest.mark.parametrize(("data", "message"), CASES, ids=[m[6:40] for _, m in CASES])
def test_spec_errors_name_the_key_path(data: dict, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_spec(data)
    assert str(info.value) == message


def test_unknown_family_explorer_and_workload() -> None:
    with pytest.raises(ConfigError, match=r"^spec: family must be one of .*'systolic'.*not 'tpu'$"):
        parse_spec(tiny_spec_dict(family="tpu"))
    with pytest.raises(
        ConfigError, match=r"^spec: explorer.name must be one of .*nsga2.*tpe.*not 'annealing'$"
    ):
        parse_spec(tiny_spec_dict(explorer={"name": "annealing"}))
    with pytest.raises(ConfigError, match=r"^spec: workload must be a built-in name .*'resnet51'$"):
        parse_spec(tiny_spec_dict(workload="resnet51"))


def test_yaml_errors_and_relative_workload_files(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: not valid YAML \(line 2\)"):
        load_spec(bad)
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "g.yaml").write_text("- {M: 8, N: 8, K: 8}\n")
    p = tmp_path / "s.yaml"
    p.write_text(MINIMAL.replace("workload: resnet50", "workload: {file: w/g.yaml}"))
    assert load_spec(p).workload[0].file == str((tmp_path / "w" / "g.yaml").resolve())
    with pytest.raises(ConfigError, match="does not exist"):
        load_spec(tmp_path / "missing.yaml")


@pytest.mark.parametrize("name", ["sa-resnet50", "sa-llama2-decode", "sa-mix"])
def test_example_campaigns_validate(name: str) -> None:
    from pathlib import Path

    path = Path(__file__).parents[2] / "examples" / "campaigns" / f"{name}.yaml"
    spec = load_spec(path)
    assert spec.name == name
    assert spec.build_space().size() >= 1000
