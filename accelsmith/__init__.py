"""accelsmith: design-space exploration and RTL generation for ML accelerators.

The import is light on purpose: subpackages load Amaranth, cocotb, pandas or Optuna only when
they are used, and ``__version__`` is read from the installed metadata when first asked for
(``importlib.metadata`` and the metadata lookup cost ~20 ms, which ``accelsmith --help`` and
every command that never prints the version need not pay).
"""

from __future__ import annotations

from typing import Any

__all__ = ["__version__"]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("accelsmith")
        except PackageNotFoundError:  # running from a source tree without installation
            value = "0.0.0+unknown"
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
