"""The exact ``accelsmith generate <family> ...`` command line for a configuration.

Derived from the ``generate`` command itself (its click options), so the command printed by
``dse pareto``, reports and the dashboard always parses back to the same parameters.
"""

from __future__ import annotations

import functools
import shlex
from collections.abc import Mapping
from typing import Any

__all__ = ["generate_argv", "generate_command"]


def _flag_value(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@functools.cache
def _generate_commands() -> dict[str, Any]:
    """``accelsmith generate`` sub-commands by family (building the typer group takes ~60 ms)."""
    import typer

    from .generate import app

    return dict(typer.main.get_group(app).commands)


def generate_argv(family: str, config: Mapping[str, Any], out: str | None = None) -> list[str]:
    """Arguments after ``accelsmith`` that generate ``config``'s Verilog.

    Only keys that are parameters of ``family`` (fields of its params class) become flags;
    model-only columns (buffers, clock, bandwidth) are ignored. Values equal to ``None`` are
    left to their defaults.
    """
    from accelsmith.core.registry import get_family

    fam = get_family(family)
    fields = set(fam.params_class().field_names())
    command = _generate_commands().get(family)
    if command is None:
        raise KeyError(f"no `accelsmith generate {family}` command")
    argv = ["generate", family]
    for param in command.params:
        name = param.name
        if name not in fields or name not in config or config[name] is None:
            continue
        value = config[name]
        if getattr(param, "is_flag", False) and param.secondary_opts:
            argv.append(param.opts[0] if bool(value) else param.secondary_opts[0])
        elif isinstance(value, bool):
            argv.append(param.opts[0] if value else f"--no-{param.opts[0][2:]}")
        else:
            argv += [param.opts[0], _flag_value(value)]
    if out is not None:
        argv += ["--out", out]
    return argv


def generate_command(family: str, config: Mapping[str, Any], out: str | None = None) -> str:
    """Shell command line (``accelsmith generate ...``) for ``config``."""
    return shlex.join(["accelsmith", *generate_argv(family, config, out)])
