"""Design-space exploration: campaign specs, spaces, explorers, storage and quality metrics.

Public API (imported lazily, so ``import accelsmith.dse`` stays cheap):

- :func:`load_spec`, :func:`parse_spec`, :class:`CampaignSpec` (:mod:`.spec`)
- :class:`Space` (:mod:`.space`)
- :class:`Evaluator`, :class:`BatchResult` (:mod:`.evaluator`)
- :func:`open_campaign`, :func:`run_campaign`, :func:`run_worker`, :func:`resolve_target`
  (:mod:`.campaign`)
- :func:`get_explorer`, :func:`register_explorer`, :func:`explorer_names`, :class:`Explorer`,
  :class:`ExplorerContext` (:mod:`.explorers`)
- :func:`record_evaluations`, :func:`tell_trial` (:mod:`.record`)
- :func:`status`, :func:`pareto_designs`, :func:`export_trials` (:mod:`.results`)

The storage layout every piece reads and writes is described in :mod:`.ledger`; the quality
metrics (hypervolume, HV ratio, IGD+) are in :mod:`.pareto`.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "load_spec": ".spec",
    "parse_spec": ".spec",
    "CampaignSpec": ".spec",
    "Space": ".space",
    "Evaluator": ".evaluator",
    "BatchResult": ".evaluator",
    "open_campaign": ".campaign",
    "run_campaign": ".campaign",
    "run_worker": ".campaign",
    "resolve_target": ".campaign",
    "get_explorer": ".explorers",
    "register_explorer": ".explorers",
    "explorer_names": ".explorers",
    "Explorer": ".explorers.base",
    "ExplorerContext": ".explorers.base",
    "record_evaluations": ".record",
    "tell_trial": ".record",
    "status": ".results",
    "pareto_designs": ".results",
    "export_trials": ".results",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
