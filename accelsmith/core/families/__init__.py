"""Parameter objects of every accelerator family (no heavy imports)."""

from .systolic import SystolicParams

__all__ = ["SystolicParams"]
