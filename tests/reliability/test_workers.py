"""Issue 14 item 6 / item 2: workers start without the CLI, a crashing worker is a failed run
(exit 1 with its error), and explorer discovery names a broken module."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from accelsmith.cli.main import main
from accelsmith.core.errors import AccelsmithError, ConfigError
from accelsmith.dse import explorers

from .helpers import spec_file


def test_worker_module_runs_without_the_cli(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    spec = spec_file(tmp_path, budget=2)
    assert main(["dse", "run", str(spec), "--quiet"]) == 0
    code = textwrap.dedent(
        f"""
        import sys
        from accelsmith.dse.worker import main
        rc = main(["--storage", "sqlite:///{tmp_path / "tiny.db"}", "--campaign", "tiny",
                   "--budget", "4"])
        assert rc == 0, rc
        assert not [m for m in sys.modules if m.startswith("accelsmith.cli")]
        """
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    import optuna

    from accelsmith.dse.campaign import make_storage
    from accelsmith.dse.workers import counted_trials

    study = optuna.load_study(
        study_name="tiny@random", storage=make_storage(f"sqlite:///{tmp_path / 'tiny.db'}")
    )
    assert counted_trials(study) == 4


@pytest.mark.parametrize("start", ["spawn", "fork"])
def test_crashing_worker_is_a_failed_run(tmp_path, monkeypatch, capsys, start) -> None:
    """A worker's crash (not bad input) gives exit 1 and the worker's own error line, for
    workers started as fresh interpreters (the crash injected by ``sitecustomize``) and
    forked from the run (injected here: the forked worker inherits it)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ACCELSMITH_WORKER_START", start)
    inject = tmp_path / "inject"
    inject.mkdir()
    (inject / "sitecustomize.py").write_text(
        textwrap.dedent(
            """
            import os
            if os.environ.get("ACCELSMITH_TEST_CRASH"):
                import accelsmith.dse.campaign as c

                def crash(*args, **kwargs):
                    raise RuntimeError("injected worker crash")

                c.run_worker = crash
            """
        )
    )
    import os

    monkeypatch.setenv("PYTHONPATH", f"{inject}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    monkeypatch.setenv("ACCELSMITH_TEST_CRASH", "1")
    if start == "fork":
        import accelsmith.dse.campaign as c

        def crash(*args, **kwargs):
            raise RuntimeError("injected worker crash")

        monkeypatch.setattr(c, "run_worker", crash)
    spec = spec_file(tmp_path, budget=6, workers=2)
    assert main(["dse", "run", str(spec), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "injected worker crash" in err and "RuntimeError" in err
    assert err.count("\n") == 1


@pytest.fixture
def extra_explorer_dir(tmp_path, monkeypatch):
    """A folder added to the explorer package's search path (discovery runs again)."""
    folder = tmp_path / "plugins"
    folder.mkdir()
    monkeypatch.setattr(explorers, "__path__", [*explorers.__path__, str(folder)])
    monkeypatch.setattr(explorers, "_discovered", False)
    monkeypatch.setattr(explorers, "_UNAVAILABLE", {})
    yield folder
    for name in list(sys.modules):
        if name.startswith("accelsmith.dse.explorers.zz_"):
            del sys.modules[name]


def test_broken_explorer_module_is_named(extra_explorer_dir) -> None:
    (extra_explorer_dir / "zz_broken.py").write_text("from accelsmith.dse import no_such_thing\n")
    with pytest.raises(AccelsmithError, match=r"explorer module .*zz_broken is broken"):
        explorers.get_explorer("does-not-exist")


def test_explorer_with_syntax_error_is_named(extra_explorer_dir) -> None:
    (extra_explorer_dir / "zz_syntax.py").write_text("def (:\n")
    with pytest.raises(AccelsmithError, match=r"zz_syntax is broken: SyntaxError"):
        explorers.explorer_names()


def test_missing_optional_dependency_is_named_when_asked_for(extra_explorer_dir) -> None:
    (extra_explorer_dir / "zz_optional.py").write_text("import zz_not_installed_package\n")
    assert "nsga2" in explorers.explorer_names()  # the others stay usable
    with pytest.raises(ConfigError, match=r"zz_optional needs 'zz_not_installed_package'"):
        explorers.get_explorer("zz-optional")
