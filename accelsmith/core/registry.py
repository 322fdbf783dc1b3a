"""Family registry: name -> where its parameters, generator, golden model and models live.

Entries are import paths so that looking a family up imports nothing heavy.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from .errors import ConfigError


@dataclass(frozen=True)
class Family:
    """Where one accelerator family's pieces live (``module:attribute`` strings)."""

    name: str
    params: str
    generator: str
    golden: str
    latency: str
    bench: str

    @staticmethod
    def _load(path: str) -> Any:
        module, _, attr = path.partition(":")
        obj = importlib.import_module(module)
        return getattr(obj, attr) if attr else obj

    def params_class(self) -> Any:
        return self._load(self.params)

    def build(self) -> Any:
        return self._load(self.generator)

    def golden_model(self) -> Any:
        return self._load(self.golden)


FAMILIES: dict[str, Family] = {
    "systolic": Family(
        name="systolic",
        params="accelsmith.core.families.systolic:SystolicParams",
        generator="accelsmith.hdl.systolic:build",
        golden="accelsmith.sim.golden.systolic:golden",
        latency="accelsmith.models.systolic:tile_cycles",
        bench="accelsmith.sim.benches.systolic_tb",
    ),
}


def get_family(name: str) -> Family:
    """Look a family up by name, with a clear error listing the known ones."""
    try:
        return FAMILIES[name]
    except KeyError:
        known = ", ".join(sorted(FAMILIES))
        raise ConfigError(f"family must be one of {known}, not {name!r}") from None
