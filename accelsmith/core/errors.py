"""Domain exceptions. The CLI turns them into one-line messages and exit codes.

Exit codes: 2 for bad input (:class:`ConfigError`, :class:`OutputError`), 1 for a failed
check (:class:`VerificationError`), 3 for a missing external tool (:class:`ToolNotFoundError`).
"""


class AccelsmithError(Exception):
    """Base class of every error accelsmith reports to a user."""

    exit_code = 1


class ConfigError(AccelsmithError, ValueError):
    """A parameter, option or configuration file is invalid.

    The message names the field, the bad value and what is allowed.
    """

    exit_code = 2


class OutputError(AccelsmithError, OSError):
    """An output location cannot be created or written."""

    exit_code = 2


class ToolNotFoundError(AccelsmithError, RuntimeError):
    """An external tool (Verilator, a C++ compiler, make) is missing or too old."""

    exit_code = 3


class VerificationError(AccelsmithError, AssertionError):
    """A simulation disagreed with the golden model or the latency model."""

    exit_code = 1
