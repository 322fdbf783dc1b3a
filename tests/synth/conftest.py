"""Synthesis tests skip (with the reason) when a flow's tools are missing; under CI=true they
must run."""

from __future__ import annotations

import os

import pytest


def require(*tools: str) -> None:
    from accelsmith.core.errors import ToolNotFoundError
    from accelsmith.synth.tools import find_tool

    for tool in tools:
        try:
            find_tool(tool)
        except ToolNotFoundError as exc:
            if os.environ.get("CI") == "true":
                pytest.fail(f"{exc} (CI=true: required)", pytrace=False)
            pytest.skip(str(exc))


def load_bench(name: str):
    """Import ``bench/<name>.py`` (the benches are scripts, not a package) as a module."""
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "bench" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def assert_one_line_exit_2(code: int, err: str, msg: str) -> None:
    """A bad input: exit 2 and a single stderr line containing ``msg``."""
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and msg in lines[0], (code, lines)
