"""Explorer registry: name -> :class:`~accelsmith.dse.explorers.base.Explorer` subclass.

Built-ins are lazy import paths (nothing heavy is imported to list them). Another module adds
explorers with :func:`register_explorer` (a class or a ``"module:Class"`` path); a module
placed in this package is discovered automatically when a name is not found: importing it
must call :func:`register_explorer` (keep heavy imports such as torch inside functions).

A module whose optional third-party dependency is missing is skipped, and named when its
explorer is asked for; any other failure to import a module of this package (a syntax error,
a broken ``accelsmith`` import) is an error naming the module, never silently skipped.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING

from ...core.errors import AccelsmithError, ConfigError

if TYPE_CHECKING:
    from .base import Explorer

__all__ = ["explorer_names", "get_explorer", "register_explorer"]

_REGISTRY: dict[str, str | type[Explorer]] = {
    "nsga2": "accelsmith.dse.explorers.nsga2:NSGA2Explorer",
    "nsga2-optuna": "accelsmith.dse.explorers.optuna_samplers:NSGA2Explorer",
    "nsga3": "accelsmith.dse.explorers.optuna_samplers:NSGA3Explorer",
    "tpe": "accelsmith.dse.explorers.optuna_samplers:TPEExplorer",
    "gp": "accelsmith.dse.explorers.optuna_samplers:GPExplorer",
    "random": "accelsmith.dse.explorers.optuna_samplers:RandomExplorer",
    "exhaustive": "accelsmith.dse.explorers.exhaustive:ExhaustiveExplorer",
}
_discovered = False
#: modules skipped because an optional dependency is missing: module -> reason
_UNAVAILABLE: dict[str, str] = {}


class ExplorerModuleError(AccelsmithError):
    """An explorer module of this package cannot be imported (a bug, not bad input)."""


def register_explorer(name: str, cls: str | type[Explorer]) -> None:
    """Make ``cls`` (a class or ``"module:Class"``) available as explorer ``name``."""
    _REGISTRY[name] = cls


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    _discovered = True
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_") or info.name in ("base", "optuna_samplers", "exhaustive"):
            continue
        module = f"{__name__}.{info.name}"
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            missing = exc.name or ""
            if missing.split(".")[0] == "accelsmith" or not missing:
                _discovered = False
                raise ExplorerModuleError(f"explorer module {module} is broken: {exc}") from None
            # an optional dependency (e.g. stable-baselines3) is not installed
            _UNAVAILABLE[module] = f"needs {missing!r}, which is not installed"
        except Exception as exc:
            _discovered = False
            text = " ".join(str(exc).split())
            raise ExplorerModuleError(
                f"explorer module {module} is broken: {type(exc).__name__}: {text}"
            ) from None


def explorer_names() -> list[str]:
    """Every registered explorer name."""
    _discover()
    return sorted(_REGISTRY)


def get_explorer(name: str) -> type[Explorer]:
    """The explorer class registered as ``name`` (ConfigError listing the known names)."""
    if name not in _REGISTRY:
        _discover()
    if name not in _REGISTRY:
        allowed = ", ".join(explorer_names())
        skipped = "".join(f"; {m} {why}" for m, why in sorted(_UNAVAILABLE.items()))
        raise ConfigError(f"explorer.name must be one of {allowed}, not {name!r}{skipped}")
    entry = _REGISTRY[name]
    if isinstance(entry, str):
        module, _, attr = entry.partition(":")
        entry = getattr(importlib.import_module(module), attr)
        _REGISTRY[name] = entry
    return entry
