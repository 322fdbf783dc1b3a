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
