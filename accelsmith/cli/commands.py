"""Re-export of :mod:`accelsmith.core.commands` (the command line now lives in the library)."""

from accelsmith.core.commands import generate_argv, generate_command

__all__ = ["generate_argv", "generate_command"]
