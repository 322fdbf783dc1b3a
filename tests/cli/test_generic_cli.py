"""Generic ``generate|verify|cost <family>`` commands of a family without a CLI plug-in."""

import json

import typer

from accelsmith.cli.families.generic import describe, register_generic
from accelsmith.core.registry import families


def _run(app: typer.Typer, args: list[str]) -> int:
    result = typer.main.get_command(app).main(args=args, standalone_mode=False)
    return result if isinstance(result, int) else 0


def _app(kind: str, family: str) -> typer.Typer:
    app = typer.Typer()
    register_generic(kind, app, families()[family])
    app.command("other")(lambda: None)  # keep a group (typer runs a lone command directly)
    return app


def test_generic_generate_writes_the_declared_design(tmp_path, capsys):
    from accelsmith.core.families.systolic import SystolicParams

    app = _app("generate", "systolic")
    args = ["systolic", "--rows", "3", "--cols", "2", "--unsigned", "--max-k", "9"]
    assert _run(app, [*args, "--name", "g", "--out", str(tmp_path)]) == 0
    m = json.loads((tmp_path / "g.json").read_text())
    want = SystolicParams(rows=3, cols=2, signed=False, max_k=9)
    assert m["parameters"] == want.to_dict()
    assert describe(want) in capsys.readouterr().out


def test_generic_cost_matches_the_library(capsys, tmp_path):
    from accelsmith.models import evaluate

    app = _app("cost", "lut-core")
    assert _run(app, ["lut-core", "--tile-n", "8", "--act-kb", "32", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)["totals"]
    lib = evaluate("lut-core", [{"tile_n": 8, "act_kb": 32.0}], "resnet50").iloc[0]
    assert got["energy_j"] == lib.energy_j and got["cycles"] == lib.cycles
    assert _run(app, ["lut-core", "--workload", "bert-base-128"]) == 0
    out = capsys.readouterr().out
    assert "totals" in out and "TOPS/W" in out


def test_generic_options_and_help(capsys):
    app = _app("verify", "pim")
    assert _run(app, ["pim", "--help"]) == 0
    out = capsys.readouterr().out
    for flag in ("--rows", "--t-rcd", "--config", "--tiles", "--seed", "--workdir"):
        assert flag in out
    assert "DRAM banks with MAC lanes" in out  # the params class docstring
