"""Arithmetic helpers that accept Python numbers or numpy arrays (numpy imported lazily).

A formula written with these and the ordinary operators gives a Python ``int`` for ``int``
inputs (the manifests) and an element-wise array for arrays (the cost models).
"""

from __future__ import annotations

import functools
import math
from typing import Any

__all__ = ["ceil_div", "floor", "maximum", "minimum", "select"]


def _is_array(x: Any) -> bool:
    return getattr(x, "shape", ()) != ()


def ceil_div(a: Any, b: Any) -> Any:
    """``ceil(a / b)`` for non-negative integers (exact: integer arithmetic)."""
    return -(-a // b)


def maximum(*xs: Any) -> Any:
    """Element-wise maximum of two or more numbers or broadcastable arrays."""
    if any(_is_array(x) for x in xs):
        import numpy as np

        return functools.reduce(np.maximum, xs)
    return max(xs)


def minimum(*xs: Any) -> Any:
    """Element-wise minimum of two or more numbers or broadcastable arrays."""
    if any(_is_array(x) for x in xs):
        import numpy as np

        return functools.reduce(np.minimum, xs)
    return min(xs)


def select(cond: Any, a: Any, b: Any) -> Any:
    """``a`` where ``cond`` holds, else ``b`` (``numpy.where`` for an array condition)."""
    if not _is_array(cond):
        return a if cond else b
    import numpy as np

    return np.where(cond, a, b)


def floor(x: Any) -> Any:
    """``floor(x)`` (``numpy.floor`` for arrays; a float for a float, as numpy gives)."""
    if _is_array(x) or type(x).__module__ == "numpy":
        import numpy as np

        return np.floor(x)
    return float(math.floor(x))
