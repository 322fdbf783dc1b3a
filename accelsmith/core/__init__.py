"""Dependency-free core: errors, parameter validation helpers and the family registry."""

from .errors import (
    AccelsmithError,
    ConfigError,
    OutputError,
    ToolNotFoundError,
    VerificationError,
)
from .params import ParamsBase

__all__ = [
    "AccelsmithError",
    "ConfigError",
    "OutputError",
    "ParamsBase",
    "ToolNotFoundError",
    "VerificationError",
]
