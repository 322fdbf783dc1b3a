"""accelsmith: design-space exploration and RTL generation for ML accelerators.

The import is light on purpose: subpackages load Amaranth, cocotb, pandas or Optuna only when
they are used.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("accelsmith")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
