"""Analytical cost models: pure numpy, vectorized over configurations and layers.

The entry point is :func:`evaluate`; technology tables are in :mod:`.tech`, workloads in
:mod:`.workloads` (built-in networks in :mod:`.networks`), the systolic timing rules in
:mod:`.systolic`, its cost model in :mod:`.systolic_cost` and SCALE-Sim's conventions in
:mod:`.scalesim_convention`.
"""

from .evaluate import evaluate
from .workloads import Workload, load_workload

__all__ = ["Workload", "evaluate", "load_workload"]
