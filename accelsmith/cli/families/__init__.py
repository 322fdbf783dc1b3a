"""Per-family CLI plug-ins: each module here adds its family's sub-commands.

A module ``accelsmith/cli/families/<family>.py`` defines ``register(kind, app)``, called once
for each of ``kind`` = ``"generate"``, ``"verify"`` and ``"cost"`` with that command group's
``typer.Typer``; it adds a command named after the family (e.g. ``lut-core``) or does nothing
for a kind it does not support. A registered family (:func:`accelsmith.core.registry.families`)
without a plug-in command gets the generic one of :mod:`.generic`, derived from its parameter
declarations, so a new family needs no CLI module. Commands are listed in the order of the
modules' ``ORDER`` (default 100), then by module name. Modules import heavy dependencies inside
their commands only, so that ``accelsmith --help`` stays fast.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

__all__ = ["register_all"]


def register_all(kind: str, app: typer.Typer) -> None:
    """Let every family plug-in add its ``kind`` command to ``app``."""
    modules = [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name)
    ]
    for module in sorted(modules, key=lambda m: getattr(m, "ORDER", 100)):
        register = getattr(module, "register", None)
        if register is not None:
            register(kind, app)
    from accelsmith.core.registry import families

    from .generic import register_generic

    have = {info.name for info in app.registered_commands}
    for name, family in families().items():
        if name not in have:
            register_generic(kind, app, family)
