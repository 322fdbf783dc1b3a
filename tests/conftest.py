"""Tests marked ``sim`` skip, with the reason, when the simulation toolchain is missing.

Under CI (``CI=true``) they run anyway, so that a missing tool fails the run instead of hiding.
"""

import functools
import os

import pytest


@functools.cache
def _toolchain_problem() -> str | None:
    from accelsmith.core.errors import ToolNotFoundError
    from accelsmith.sim.runner import check_toolchain

    try:
        check_toolchain()
    except ToolNotFoundError as exc:
        return str(exc)
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("sim") is None or os.environ.get("CI") == "true":
        return
    problem = _toolchain_problem()
    if problem is not None:
        pytest.skip(problem)
