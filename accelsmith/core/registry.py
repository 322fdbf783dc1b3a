"""Family registry: name -> where its parameters, generator, golden model and models live.

Each module in :mod:`accelsmith.core.families` declares one :class:`Family` record as its
``FAMILY`` attribute; :func:`families` discovers them, so a new family touches no shared file.
Entries are import paths (``"module:attribute"``) so that looking a family up imports nothing
heavy.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigError

__all__ = ["Family", "families", "get_family"]


@dataclass(frozen=True)
class Family:
    """Where one accelerator family's pieces live (``module:attribute`` strings).

    Attributes
    ----------
    name : str
        User-facing name (``systolic``, ``lut-core``, ``simd``, ``pim``): CLI sub-commands,
        campaign specs, ``evaluate(family, ...)``.
    params : str
        The frozen params dataclass (a :class:`~accelsmith.core.params.ParamsBase`).
    generator : str or None
        ``build(params) -> wiring.Component``; ``None`` for a model-only family (a cost model
        without RTL, e.g. ``coexplore``): :meth:`build` then refuses in one line, so
        ``generate``, ``verify`` and ``synth`` of it exit 2 with that message.
    golden : str or None
        Bit-exact numpy reference of the family (``None`` exactly when ``generator`` is).
    bench : str or None
        Importable cocotb testbench module (run by :func:`accelsmith.sim.verify.verify`);
        ``None`` exactly when ``generator`` is.
    cost : str
        ``cost(configs: DataFrame, workload: Workload, *, tech, per_layer, convention)
        -> DataFrame``: the family's cost model behind :func:`accelsmith.models.evaluate`.
    manifest : str or None
        ``extras(params) -> dict``: family sections of the generated JSON manifest
        (protocol summary, latency formula ...).
    space : mapping
        Default DSE space in campaign-spec syntax (see :mod:`accelsmith.dse.space`): per
        parameter a fixed value, ``{low, high, step?, log?}`` or ``{choices: [...]}``, each
        optionally with ``when: {other_param: value or [values]}``.
    agent_groups : mapping
        Sub-system name -> parameter names, for the multi-agent RL explorer.
    test_order : tuple of str
        cocotb test names in the order ``accelsmith verify`` reports them.
    """

    name: str
    params: str
    generator: str | None
    golden: str | None
    bench: str | None
    cost: str
    manifest: str | None = None
    space: Mapping[str, Any] = field(default_factory=dict)
    agent_groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    test_order: tuple[str, ...] = ()

    @staticmethod
    def _load(path: str) -> Any:
        module, _, attr = path.partition(":")
        obj = importlib.import_module(module)
        return getattr(obj, attr) if attr else obj

    def params_class(self) -> Any:
        return self._load(self.params)

    @property
    def model_only(self) -> bool:
        """True for a family with a cost model but no generator (no RTL, golden or bench)."""
        return self.generator is None

    def _refuse_model_only(self) -> None:
        raise ConfigError(
            f"family {self.name!r} is model-only (a cost model, no RTL): generate, verify and "
            f"synth are not available; use `accelsmith cost {self.name}` or a DSE campaign"
        )

    def build(self) -> Any:
        if self.generator is None:
            self._refuse_model_only()
        return self._load(self.generator)

    def golden_model(self) -> Any:
        if self.golden is None:
            self._refuse_model_only()
        return self._load(self.golden)

    def __post_init__(self) -> None:
        pieces = (self.generator, self.golden, self.bench)
        if any(p is None for p in pieces) and any(p is not None for p in pieces):
            raise ValueError(
                f"family {self.name!r}: generator, golden and bench are all given "
                "or all None (model-only)"
            )

    def cost_model(self) -> Any:
        return self._load(self.cost)

    def manifest_extras(self, params: Any) -> dict[str, Any]:
        return self._load(self.manifest)(params) if self.manifest else {}


@functools.cache
def families() -> dict[str, Family]:
    """Every registered family by name (discovered from :mod:`accelsmith.core.families`)."""
    from . import families as pkg

    found: dict[str, Family] = {}
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        record = getattr(module, "FAMILY", None)
        if isinstance(record, Family):
            found[record.name] = record
    return found


def get_family(name: str) -> Family:
    """Look a family up by name, with a clear error listing the known ones."""
    known = families()
    if name not in known:
        allowed = ", ".join(repr(n) for n in sorted(known))
        raise ConfigError(f"family must be one of {allowed}, not {name!r}")
    return known[name]
