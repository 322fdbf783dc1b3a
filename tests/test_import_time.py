"""What a command imports, and a worker's start-up (issue 17 item 1).

Each check runs in a fresh interpreter (a subprocess): the modules a command loads are then
its own, not the test session's. ``accelsmith --help`` must not load the numeric stack or the
optional heavy packages (the RL stack, plotting, the dashboard, the HDL and simulation tools);
a campaign worker loads what it evaluates and stores with (numpy, pandas, Optuna) and nothing
else of that list. A heavy import that comes back into one of these paths fails here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.dse.dse_helpers import write_spec

ROOT = Path(__file__).resolve().parents[1]
#: optional or heavy packages no campaign worker and no --help needs
HEAVY = (
    "torch",
    "stable_baselines3",
    "gymnasium",
    "plotly",
    "dash",
    "kaleido",
    "matplotlib",
    "scipy",
    "amaranth",
    "cocotb",
    "cocotb_tools",
    "distributed",
)
#: the CLI modules of the ``dse`` group (all a ``dse`` command loads of accelsmith.cli)
DSE_CLI = (
    "accelsmith.cli.dse",
    "accelsmith.cli.dse_reference",
    "accelsmith.cli.dse_tables",
    "accelsmith.cli.dse_verify",
)
#: what the CLI's help needs none of
NUMERIC = ("numpy", "pandas", "optuna", "sqlalchemy", "yaml", "pydantic")

_REPORT = """
import gc, json, sys
print(json.dumps({"modules": sorted({m.split(".")[0] for m in sys.modules}),
                  "ours": sorted(m for m in sys.modules if m.startswith("accelsmith.")),
                  "gc_enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}))
"""


def _loaded(code: str, cwd: Path | None = None) -> dict:
    """Run ``code`` then :data:`_REPORT` in a fresh interpreter; what it reports."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code + _REPORT],
        cwd=cwd or ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "args", [["--help"], ["dse", "run", "--help"], ["dse", "worker", "--help"]]
)
def test_cli_help_loads_no_numeric_or_heavy_package(args):
    code = (
        "import contextlib, io\n"
        "from accelsmith.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        f"    assert main({args!r}) == 0\n"
        "assert 'Usage' in out.getvalue()\n"
    )
    loaded = set(_loaded(code)["modules"])
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    if args == ["--help"]:
        assert not loaded & set(NUMERIC), sorted(loaded & set(NUMERIC))
        # the version is read from the installed metadata only when asked for (--version)
        assert "email" not in loaded  # importlib.metadata's parser of METADATA files


@pytest.fixture(scope="module")
def started_campaign(tmp_path_factory) -> tuple[Path, str]:
    """A tiny SQLite campaign with one trial stored (budget 1), its folder and storage URL."""
    folder = tmp_path_factory.mktemp("startup")
    spec = write_spec(folder / "spec.yaml", budget=1)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "accelsmith.cli.main", "dse", "run", str(spec), "--quiet"]
    subprocess.run(cmd, cwd=folder, env=env, check=True, timeout=300)
    return folder, yaml.safe_load(spec.read_text())["storage"]


@pytest.mark.parametrize("entry", ["module", "cli"])
def test_a_worker_loads_no_heavy_package_and_ends_its_start_up(started_campaign, entry):
    """A worker that evaluates and stores designs (``python -m accelsmith.dse.worker`` and
    ``accelsmith dse worker``): none of :data:`HEAVY` loaded; the garbage collector, paused
    during its start-up (:mod:`accelsmith.dse.startup`), is on again and the start-up's
    objects are frozen."""
    folder, url = started_campaign
    budget = 5 if entry == "module" else 9
    if entry == "module":
        call = (
            "from accelsmith.dse.worker import main\n"
            f"assert main(['--storage', {url!r}, '--campaign', 'tiny', '--budget', "
            f"'{budget}']) == 0\n"
        )
    else:
        call = (
            "from accelsmith.cli.main import main\n"
            f"assert main(['dse', 'worker', '--quiet', '--storage', {url!r}, '--campaign', "
            f"'tiny', '--budget', '{budget}']) == 0\n"
        )
    code = (
        call + "import optuna\n"
        "from accelsmith.dse.storage import open_storage\n"  # (Optuna's own would load alembic)
        f"s = optuna.load_study(study_name='tiny@random', storage=open_storage({url!r}))\n"
        f"assert len(s.trials) == {budget}, len(s.trials)\n"
    )
    report = _loaded(code, cwd=folder)
    loaded = set(report["modules"])
    assert {"numpy", "pandas", "optuna"} <= loaded  # it did evaluate and store
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    assert report["gc_enabled"] and report["frozen"] > 10_000
    # the CLI builds the dse group alone for a dse command (accelsmith.cli.main.build_app)
    cli = {m for m in report["ours"] if m.startswith("accelsmith.cli.")}
    assert cli <= {"accelsmith.cli.main", *DSE_CLI}, sorted(cli - set(DSE_CLI))
    # a storage at the installed Optuna's schema is checked without alembic
    # (accelsmith.dse.rdb_schema: the first opening, by the campaign's `dse run`, cached the
    # head revision)
    assert "alembic" not in loaded


def _plain(value: object) -> str:
    """``repr`` without memory addresses (the two trees build their own objects)."""
    import re

    if callable(value) and hasattr(value, "__qualname__"):
        return f"{getattr(value, '__module__', '')}.{value.__qualname__}"
    return re.sub(r" at 0x[0-9a-f]+", "", repr(value))


def _tree(command, path="accelsmith") -> dict:
    """A click command tree as plain data: every command's and parameter's attributes."""
    out = {
        path: (
            {k: _plain(v) for k, v in vars(command).items() if k not in ("params", "commands")},
            [{k: _plain(v) for k, v in vars(p).items()} for p in command.params],
        )
    }
    for name, sub in getattr(command, "commands", {}).items():
        out.update(_tree(sub, f"{path} {name}"))
    return out


def test_the_dse_tree_alone_is_the_dse_group_of_the_whole_tree():
    """``accelsmith dse ...`` is parsed by the root with the dse group alone
    (:func:`accelsmith.cli.main.build_app`): every dse command, option, default and help
    text is the whole tree's, after the same help and NaN passes."""
    import typer

    from accelsmith.cli.main import _plain_help, _refuse_nan, build_app

    trees = []
    for only in (None, "dse"):
        command = typer.main.get_command(build_app(only))
        _refuse_nan(command)
        _plain_help(command)
        trees.append(_tree(command))
    whole, alone = trees
    dse = {k: v for k, v in whole.items() if k == "accelsmith" or k.startswith("accelsmith dse")}
    assert len(dse) > 10 and "accelsmith dse worker" in dse
    assert alone == dse


def test_a_dse_command_builds_no_other_command_group():
    """``accelsmith dse ... --help`` and a dse command's usage error load no other command
    group's module (generate, synth, cost ... and the family flags they are built from)."""
    code = (
        "import contextlib, io\n"
        "from accelsmith.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    assert main(['dse', 'verify-front', '--help']) == 0\n"
        "assert '--target' in out.getvalue()\n"
        "with contextlib.redirect_stderr(io.StringIO()) as err:\n"
        "    assert main(['dse', 'status', 'x.yaml', '--frobnicate']) == 2\n"
        "assert 'No such option' in err.getvalue(), err.getvalue()\n"
    )
    cli = {m for m in _loaded(code)["ours"] if m.startswith("accelsmith.cli.")}
    assert cli <= {"accelsmith.cli.main", *DSE_CLI}, sorted(cli - set(DSE_CLI))
