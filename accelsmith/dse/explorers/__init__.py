"""Explorer registry: name -> :class:`~accelsmith.dse.explorers.base.Explorer` subclass.

Built-ins are lazy import paths (nothing heavy is imported to list them). Another module adds
explorers with :func:`register_explorer` (a class or a ``"module:Class"`` path); a module
placed in this package is discovered automatically when a name is not found: importing it
must call :func:`register_explorer` (keep heavy imports such as torch inside functions).
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING

from ...core.errors import ConfigError

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
        try:
            importlib.import_module(f"{__name__}.{info.name}")
        except ImportError:  # an optional dependency (e.g. stable-baselines3) is missing
            continue


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
        raise ConfigError(f"explorer.name must be one of {allowed}, not {name!r}")
    entry = _REGISTRY[name]
    if isinstance(entry, str):
        module, _, attr = entry.partition(":")
        entry = getattr(importlib.import_module(module), attr)
        _REGISTRY[name] = entry
    return entry
