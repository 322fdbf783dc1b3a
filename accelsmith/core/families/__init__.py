"""Parameter objects of every accelerator family (no heavy imports).

Each module here defines one family's params dataclass and its ``FAMILY`` registry record
(:class:`accelsmith.core.registry.Family`).
"""

from .systolic import SystolicParams

__all__ = ["SystolicParams"]
