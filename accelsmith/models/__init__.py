"""Analytical cost models: pure numpy, vectorized over configurations and layers.

The entry point is :func:`evaluate`; technology tables are in :mod:`.tech`, workloads in
:mod:`.workloads`, the systolic timing rules in :mod:`.systolic`.
"""

from .evaluate import evaluate

__all__ = ["evaluate"]
