"""SIMD-engine latency rules, exact for the RTL of :mod:`accelsmith.hdl.simd`.

A dot product of ``k`` beats passes the operand register, ``pipeline`` product/alignment
stages and the quire/output register; the cocotb bench checks the measured cycles against
:func:`dot_cycles`.
"""

from __future__ import annotations

from typing import Any

from ._ops import ceil_div

__all__ = ["DOT_CYCLES_FORMULA", "dot_cycles", "layer_cycles"]

#: :func:`dot_cycles` as text (written into the manifest)
DOT_CYCLES_FORMULA = "K + pipeline + 2"


def dot_cycles(k: Any, pipeline: Any) -> Any:
    """Cycles of one dot product of ``k`` beats, from the cycle its first beat transfers to
    the cycle its result transfers, both counted, with no stalls: ``k + pipeline + 2``.

    Back to back, a result leaves every ``k`` cycles. Works on numpy arrays too.
    """
    return k + pipeline + 2


def layer_cycles(m: Any, n: Any, k: Any, parallel: Any, pipeline: Any) -> Any:
    """Cycles of one ``M x N x K`` layer instance on ``parallel`` lanes: the ``ceil(M N / P)``
    dot products run back to back (one every ``k`` cycles), the last one pays the pipeline
    fill: ``ceil(M * N / P) * K + pipeline + 2``."""
    return (ceil_div(m * n, parallel) - 1) * k + dot_cycles(k, pipeline)
