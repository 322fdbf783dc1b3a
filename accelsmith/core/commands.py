"""The exact ``accelsmith generate <family> ...`` command line for a configuration.

Built from the parameter declarations (:mod:`accelsmith.core.spec`), the same ones the CLI
builds its options from, so the command printed by ``dse pareto``, reports and the dashboard
always parses back to the same parameters (the tests run it through the real CLI for every
family). Library code uses this module; it never imports the CLI package.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

from .registry import get_family
from .spec import cli_specs

__all__ = ["generate_argv", "generate_command"]


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def generate_argv(family: str, config: Mapping[str, Any], out: str | None = None) -> list[str]:
    """Arguments after ``accelsmith`` that generate ``config``'s Verilog.

    Only keys that are generator parameters of ``family`` (fields of its params class shown
    by ``generate``) become flags; model-only columns (buffers, clock, bandwidth) are ignored.
    Missing values (``None``, NaN) are left to their defaults.
    """
    cls = get_family(family).params_class()
    argv = ["generate", family]
    for spec in cli_specs(cls, "generate"):
        if spec.model_only:
            continue
        value = _plain(config.get(spec.name))
        if value is None or (isinstance(value, float) and value != value):
            continue
        argv += spec.cli_value(value)
    if out is not None:
        argv += ["--out", out]
    return argv


def generate_command(family: str, config: Mapping[str, Any], out: str | None = None) -> str:
    """Shell command line (``accelsmith generate ...``) for ``config``."""
    return shlex.join(["accelsmith", *generate_argv(family, config, out)])
