"""``accelsmith verify``: output locations are checked before the (minutes-long) build."""

from __future__ import annotations

import pytest

from accelsmith.cli.main import main


@pytest.fixture
def no_simulation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any build or simulation fails the test: the error must come first."""
    import accelsmith.sim.runner as runner
    import accelsmith.sim.verify as sim_verify

    def boom(*args, **kwargs):
        raise AssertionError("the simulator was built although an output cannot be written")

    monkeypatch.setattr(runner, "build", boom)
    monkeypatch.setattr(runner, "check_toolchain", lambda: None)
    monkeypatch.setattr(sim_verify, "verify", boom)


@pytest.mark.parametrize("family", [["systolic", "--rows", "2"], ["lut-core", "--tile-m", "1"]])
@pytest.mark.parametrize("option", ["--report", "--workdir"])
def test_unwritable_output_fails_before_the_build(
    tmp_path, capsys, no_simulation, family, option
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    bad = blocker / "sub" / ("r.json" if option == "--report" else "work")
    code = main(["verify", *family, "--tiles", "2", option, str(bad)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"error: {option} {bad} cannot be ") and err.count("\n") == 1
    assert not blocker.with_name("sub").exists()


def test_report_that_is_a_folder(tmp_path, capsys, no_simulation) -> None:
    code = main(["verify", "systolic", "--rows", "2", "--report", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(f"error: --report {tmp_path} cannot be written")


def test_verify_api_checks_the_workdir_before_building(tmp_path, monkeypatch) -> None:
    import accelsmith.sim.runner as runner
    from accelsmith.core.errors import OutputError
    from accelsmith.core.families.systolic import SystolicParams
    from accelsmith.sim.verify import verify

    def boom(*args, **kwargs):
        raise AssertionError("built before checking --workdir")

    monkeypatch.setattr(runner, "build", boom)
    monkeypatch.setattr(runner, "check_toolchain", lambda: None)
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OutputError, match=r"--workdir .* cannot be created: Not a directory"):
        verify(SystolicParams(rows=2, cols=2), tiles=2, workdir=blocker / "w")
